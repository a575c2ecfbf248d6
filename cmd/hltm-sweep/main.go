// Command hltm-sweep plans parameter sweeps of the dualssl pipeline as a
// generated Makefile (and Slurm job array) and reports on their results.
package main

import (
	"os"

	"github.com/dualssl/dualssl/pkg/cli/sweepcmd"
)

func main() { os.Exit(sweepcmd.Main(os.Args)) }
