// Command dualssl-cat shows what a dualssl file holds. See pkg/cli/inspect.
package main

import (
	"os"

	"github.com/dualssl/dualssl/pkg/cli/inspect"
)

func main() { os.Exit(inspect.Main(os.Args)) }
