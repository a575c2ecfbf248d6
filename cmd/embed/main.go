// Command embed writes the activations of network snapshots on samples or
// views, one row per snapshot and sample, for any outside analysis. See
// pkg/cli/embedcmd.
package main

import (
	"os"

	"github.com/dualssl/dualssl/pkg/cli/embedcmd"
)

func main() { os.Exit(embedcmd.Main(os.Args)) }
