// Command hltm-gen draws samples from a hierarchical latent tree model.
// See pkg/cli/hltmgen.
package main

import (
	"os"

	"github.com/dualssl/dualssl/pkg/cli/hltmgen"
)

func main() { os.Exit(hltmgen.Main(os.Args)) }
