// Command dualssl-torch exports a network snapshot as a PyTorch state dict
// in a safetensors file and imports one into a network file. See
// pkg/cli/torchcmd.
package main

import (
	"os"

	"github.com/dualssl/dualssl/pkg/cli/torchcmd"
)

func main() { os.Exit(torchcmd.Main(os.Args)) }
