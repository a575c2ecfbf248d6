// Command dualssl-stamp adopts an Arrow file another program wrote (Polars,
// pyarrow, …) by adding the dualssl metadata. See pkg/cli/stampcmd.
package main

import (
	"os"

	"github.com/dualssl/dualssl/pkg/cli/stampcmd"
)

func main() { os.Exit(stampcmd.Main(os.Args)) }
