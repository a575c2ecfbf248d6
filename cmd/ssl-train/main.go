// Command ssl-train trains the dual ReLU network on views with a
// contrastive loss; see ssl-train --help.
package main

import (
	"os"

	"github.com/dualssl/dualssl/pkg/cli/ssltrain"
)

func main() { os.Exit(ssltrain.Main(os.Args)) }
