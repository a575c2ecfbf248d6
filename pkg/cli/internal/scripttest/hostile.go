package scripttest

import (
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dualssl/dualssl/pkg/arrowio"
)

// hostileCells are string cells a terminal would act on if printed raw:
// colour and title escapes, a newline and a carriage return that forge a
// row, BEL, a C1 CSI, invalid UTF-8 and a right-to-left override.
var hostileCells = []string{
	"\x1b[31mred", "a\n9  forged", "b\rX", "bel\a", "\u009b31m", "\xff\xfe", "\u202eevil", "plain",
}

func init() {
	// hostile-file FILE: a probe-kind file whose column name, provenance
	// and string cells carry terminal control sequences (hostileCells).
	Commands["hostile-file"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: hostile-file FILE")
		}
		meta := arrowio.Meta{}.WithStep(arrowio.KindProbe, "evil\x1b]0;owned\a", "1\r2", `{"x":"\u001b[2J"}`)
		cols := []arrowio.Column{{Name: "epoch", Type: arrowio.Int32}, {Name: "na\x1bme\n", Type: arrowio.String}}
		w, err := arrowio.Create(ts.MkAbs(args[0]), nil, meta, cols)
		ts.Check(err)
		epochs := make([]int32, len(hostileCells))
		ts.Check(w.WriteColumns(len(hostileCells), epochs, hostileCells))
		ts.Check(w.Close())
	}
}
