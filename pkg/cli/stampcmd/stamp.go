package stampcmd

import (
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli"
	"github.com/dualssl/dualssl/pkg/hltm"
)

const description = `Copies an Arrow IPC stream or file that another program wrote (Polars,
pyarrow, DuckDB, …; it has no dualssl metadata) and adds the metadata the
dualssl tools need: dualssl.kind (--kind), dualssl.format (3.0; 2.0 when no
column is bit-packed, which an older dualssl reads),
dualssl.model (the HLTM, from --model-from FILE or --model-json JSON),
dualssl.config and dualssl.provenance (this step). The columns are checked
against the kind's contract and the model first, so a file it writes is one
the tools read. Kinds a program outside dualssl makes:

  hltm-samples  z fixed_size_list<bool or int8>[nodes], x
                fixed_size_list<bool, int8 or float64>[leaves]; id int64
                optional
  views         x_a, x_b fixed_size_list<bool, int8 or float64>[leaves];
                key int64 (covop groups by it); id int64, z_a, z_b
                fixed_size_list<bool or int8>[nodes], x_neg [H·leaves]
                optional

Every column is copied as it is (other columns too, if of a type the tools
read). A file that already carries dualssl metadata is refused.

Example (views written by polars from data of a dualssl model):
  # df.write_ipc_stream("mine.arrows", compat_level=pl.CompatLevel.oldest())
  dualssl-stamp --kind views --model-from samples.arrows < mine.arrows > views.arrows
  ssl-train --epochs 10 < views.arrows > net.arrows`

// Kinds are the kinds dualssl-stamp gives: the data a program outside
// dualssl may make; every other kind is an output of a dualssl tool, whose
// metadata that tool writes.
var Kinds = []arrowio.Kind{arrowio.KindSamples, arrowio.KindViews}

// App returns the dualssl-stamp command.
func App() *ucli.App {
	return cli.NewApp(cli.Tool{
		Name:        "dualssl-stamp",
		Usage:       "add dualssl metadata to an Arrow file another program wrote",
		Description: description,
		Docs:        `README.md "Files from other programs"`,
		Input:       true,
		Output:      true,
		NoConfig:    []string{"model-from", "model-json"}, // the model is dualssl.model itself
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "kind", Usage: "the file's `KIND`: hltm-samples or views (required)"},
			cli.InputFile(&ucli.StringFlag{Name: "model-from", Usage: "take the HLTM from any dualssl `FILE` of that model (samples, views, network, …)"}),
			&ucli.StringFlag{Name: "model-json", Usage: "the HLTM as dualssl.model `JSON`: {\"type\":\"hltm\",\"depth\":D,\"children\":C,\"polarity\":[…]}"},
		},
		Action: run,
	})
}

// Main runs dualssl-stamp with args (os.Args) and returns the exit code.
func Main(args []string) int { return cli.Main(App(), args) }

func run(e *cli.Env) error {
	kind := arrowio.Kind(e.String("kind"))
	known := false
	for _, k := range Kinds {
		known = known || k == kind
	}
	if !known {
		names := make([]string, len(Kinds))
		for i, k := range Kinds {
			names[i] = string(k)
		}
		return cli.Usagef("--kind %q: want one of %s (the other kinds are written by the dualssl tools themselves)", kind, strings.Join(names, ", "))
	}
	from, js := e.String("model-from"), e.String("model-json")
	if (from == "") == (js == "") {
		return cli.Usagef("give the model with exactly one of --model-from FILE and --model-json JSON")
	}
	var m *hltm.Model
	var err error
	if from != "" {
		src, err := e.OpenPath(from, "")
		if err != nil {
			return fmt.Errorf("--model-from: %w", err)
		}
		m, err = src.Model()
		src.Close()
		if err != nil {
			return fmt.Errorf("--model-from: %w", err)
		}
	} else if m, err = arrowio.ModelOf(arrowio.Meta{Model: js}, "--model-json"); err != nil {
		return cli.Usagef("%v", err)
	}
	r, err := e.Open("", arrowio.Foreign())
	if err != nil {
		return err
	}
	defer r.Close()
	if k := r.Meta().Kind; k != "" {
		return fmt.Errorf("%s already is a dualssl %s file: dualssl-stamp adopts files without dualssl metadata", r.Name(), k)
	}
	cols := r.Columns()
	if err := check(r.Name(), kind, cols, m); err != nil {
		return err
	}
	w, err := e.Create(arrowio.Meta{Model: arrowio.ModelJSON(m)}, kind, cols)
	if err != nil {
		return err
	}
	defer w.Abort()
	vals := make([]any, len(cols))
	for r.Next() {
		b := r.Batch()
		for j, c := range cols {
			if vals[j], err = b.Values(c.Name); err != nil {
				return err
			}
		}
		if err := w.WriteColumns(b.Rows(), vals...); err != nil {
			return err
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	e.Summary("stamped %d rows of %s as %s (%s)", w.Rows(), r.Name(), kind, describe(m))
	return nil
}

func describe(m *hltm.Model) string {
	return fmt.Sprintf("hltm depth %d, children %d: %d nodes, %d leaves", m.Depth(), m.Children(), m.NumNodes(), m.NumLeaves())
}

// check verifies the columns against the kind's contract and the model.
func check(name string, kind arrowio.Kind, cols []arrowio.Column, m *hltm.Model) error {
	byName := map[string]arrowio.Column{}
	for _, c := range cols {
		if c.Type == arrowio.Invalid {
			return fmt.Errorf("%s: column %s is of type %s, which the dualssl tools do not read (use int8/int32/int64, float64, string, bool, or fixed-size lists of bool, int8 or float64)", name, c.Name, c.Arrow)
		}
		byName[c.Name] = c
	}
	leaves, nodes := m.NumLeaves(), m.NumNodes()
	leafList := func(col string, width int, required bool) error {
		c, ok := byName[col]
		switch {
		case !ok && required:
			return fmt.Errorf("%s: no column %s: a %s file needs %s as fixed_size_list<bool, int8 or float64>[%d] (the model's leaves)", name, col, kind, col, width)
		case !ok:
			return nil
		case c.Type != arrowio.FixedBool && c.Type != arrowio.FixedInt8 && c.Type != arrowio.FixedFloat64:
			return fmt.Errorf("%s: column %s is %s; a %s file needs fixed_size_list<bool, int8 or float64>[%d]", name, col, c, kind, width)
		case c.Size%leaves != 0 || c.Size == 0 || (width > 0 && c.Size != width):
			return fmt.Errorf("%s: column %s holds %d values per row; the model (%s) has %d leaves", name, col, c.Size, describe(m), leaves)
		}
		return nil
	}
	nodeList := func(col string, required bool) error {
		c, ok := byName[col]
		switch {
		case !ok && required:
			return fmt.Errorf("%s: no column %s: a %s file needs %s as fixed_size_list<bool or int8>[%d] (every node of the model)", name, col, kind, col, nodes)
		case !ok:
			return nil
		case c.Type != arrowio.FixedBool && c.Type != arrowio.FixedInt8 || c.Size != nodes:
			return fmt.Errorf("%s: column %s is %s; the model (%s) needs fixed_size_list<bool or int8>[%d]", name, col, c, describe(m), nodes)
		}
		return nil
	}
	int64Col := func(col string, required bool) error {
		c, ok := byName[col]
		switch {
		case !ok && required:
			return fmt.Errorf("%s: no column %s: a %s file needs %s as int64", name, col, kind, col)
		case ok && c.Type != arrowio.Int64:
			return fmt.Errorf("%s: column %s is %s; a %s file needs int64", name, col, c, kind)
		}
		return nil
	}
	var errs []error
	switch kind {
	case arrowio.KindSamples:
		errs = append(errs, int64Col("id", false), nodeList("z", true), leafList("x", leaves, true))
	case arrowio.KindViews:
		errs = append(errs, int64Col("id", false), int64Col("key", true),
			leafList("x_a", leaves, true), leafList("x_b", leaves, true),
			nodeList("z_a", false), nodeList("z_b", false), leafList("x_neg", 0, false))
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
