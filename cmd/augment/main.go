// Command augment turns HLTM samples into positive pairs of augmented
// views. See pkg/cli/augment.
package main

import (
	"os"

	"github.com/dualssl/dualssl/pkg/cli/augment"
)

func main() { os.Exit(augment.Main(os.Args)) }
