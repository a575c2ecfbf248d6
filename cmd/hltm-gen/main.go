// Command hltm-gen draws samples from a hierarchical latent tree model.
// See pkg/cli/hltmgencmd.
package main

import (
	"os"

	"github.com/dualssl/dualssl/pkg/cli/hltmgencmd"
)

func main() { os.Exit(hltmgencmd.Main(os.Args)) }
