// Command augment turns HLTM samples into positive pairs of augmented
// views. See pkg/cli/augmentcmd.
package main

import (
	"os"

	"github.com/dualssl/dualssl/pkg/cli/augmentcmd"
)

func main() { os.Exit(augmentcmd.Main(os.Args)) }
