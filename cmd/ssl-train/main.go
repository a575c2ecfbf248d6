// Command ssl-train trains the dual ReLU network on views with a
// contrastive loss; see ssl-train --help.
package main

import (
	"os"

	"github.com/dualssl/dualssl/pkg/cli/ssltraincmd"
)

func main() { os.Exit(ssltraincmd.Main(os.Args)) }
