// Command probe measures how well each snapshot of a trained dual network
// recovers the latents of the HLTM its data came from, against the best any
// neuron could do. See pkg/cli/probecmd.
package main

import (
	"os"

	"github.com/dualssl/dualssl/pkg/cli/probecmd"
)

func main() { os.Exit(probecmd.Main(os.Args)) }
