// Command covop computes, for every layer of each network snapshot, the
// covariance operator that drives self-supervised learning (Tian et al.,
// Theorem 1) and optionally checks the theorem. See pkg/cli/covop.
package main

import (
	"os"

	"github.com/dualssl/dualssl/pkg/cli/covop"
)

func main() { os.Exit(covop.Main(os.Args)) }
