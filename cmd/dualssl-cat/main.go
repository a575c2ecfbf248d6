// Command dualssl-cat shows what a dualssl file holds. See pkg/cli/catcmd.
package main

import (
	"os"

	"github.com/dualssl/dualssl/pkg/cli/catcmd"
)

func main() { os.Exit(catcmd.Main(os.Args)) }
