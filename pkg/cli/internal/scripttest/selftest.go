package scripttest

import (
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli"
)

// SelftestMain is a small tool exercising the shared conventions of
// pkg/cli: it writes --rows rows of a tidy probe-like table, or copies its
// input when --copy is set.
func SelftestMain(args []string) int {
	return cli.Main(cli.NewApp(cli.Tool{
		Name:        "cli-selftest",
		Usage:       "exercise the shared command-line conventions",
		Description: "Writes a tidy table of --rows rows (kind probe).\n\nExample:\n  cli-selftest --rows 3 | dualssl-cat",
		Input:       true, Output: true, Seed: true, Threads: true,
		Flags: []ucli.Flag{
			&ucli.IntFlag{Name: "rows", Value: 2, Usage: "rows to write `N`"},
			&ucli.BoolFlag{Name: "copy", Usage: "copy the input (kind probe) instead"},
			&ucli.BoolFlag{Name: "fail-late", Usage: "fail after writing some rows"},
		},
		Action: func(e *cli.Env) error {
			n := e.Int("rows")
			if n < 0 {
				return cli.Usagef("--rows %d: must be at least 0", n)
			}
			from := arrowio.Meta{}
			cols := []arrowio.Column{{Name: "epoch", Type: arrowio.Int32}, {Name: "node", Type: arrowio.String}, {Name: "value", Type: arrowio.Float64}}
			var in *arrowio.Reader
			if e.Bool("copy") {
				var err error
				in, err = e.Open(arrowio.KindProbe)
				if err != nil {
					return err
				}
				defer in.Close()
				from = in.Meta()
			}
			w, err := e.Create(from, arrowio.KindProbe, cols, arrowio.WithBatchRows(1000))
			if err != nil {
				return err
			}
			defer w.Abort()
			p := e.Progress(int64(n), "rows")
			if in != nil {
				t, err := arrowio.ReadTable(in)
				if err != nil {
					return err
				}
				ep, _ := t.Int32("epoch")
				nodes, _ := t.String("node")
				vals, _ := t.Float64("value")
				if err := w.WriteColumns(t.Rows(), ep, nodes, vals); err != nil {
					return err
				}
			} else {
				for i := 0; i < n; i++ {
					if err := w.Append(i, "z1", float64(e.Seed())+float64(i)/2); err != nil {
						return err
					}
					p.Add(1)
					if e.Bool("fail-late") && i == n/2 {
						return fmt.Errorf("simulated failure after %d rows", i+1)
					}
				}
			}
			p.Finish()
			if err := w.Close(); err != nil {
				return err
			}
			e.Summary("wrote %d rows", w.Rows())
			return nil
		},
	}), args)
}
