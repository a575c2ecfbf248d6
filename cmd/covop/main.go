// Command covop computes, for every layer of each network snapshot, the
// covariance operator that drives self-supervised learning (Tian et al.,
// Theorem 1) and optionally checks the theorem. See pkg/cli/covopcmd.
package main

import (
	"os"

	"github.com/dualssl/dualssl/pkg/cli/covopcmd"
)

func main() { os.Exit(covopcmd.Main(os.Args)) }
