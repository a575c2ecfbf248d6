package scripttest

import (
	"math"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/arrowio/arrowiotest"
)

func init() {
	// bad-data CASE MODEL FILE: a small file of the HLTM MODEL carries (a
	// depth-1 binary tree) that is valid Arrow and of the right schema but
	// holds values no dualssl stage writes (issue 10):
	//
	//	x-half     samples, x = 0.5 in row 5
	//	x-nan      samples, x = NaN in row 5
	//	z-two      samples, z = 2 in row 5
	//	no-model   samples whose dualssl.model is empty
	//	views-nan  views, x_b = NaN in row 5
	//	views-inf  views, x_neg = +Inf in row 5
	//	views-empty views with the schema and no rows
	//	views-no-model  views whose dualssl.model is empty
	//	x-null     samples, x null in row 5 (another program's null row)
	//	views-null views, x_a null in row 5
	Commands["bad-data"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 3 {
			ts.Fatalf("usage: bad-data CASE MODEL FILE")
		}
		r, err := arrowio.Open(ts.MkAbs(args[1]), nil)
		ts.Check(err)
		model := r.Meta().Model
		r.Close()
		const rows, nodes, leaves = 8, 3, 2
		id := make([]int64, rows)
		z := make([]int8, rows*nodes)
		x := make([]float64, rows*leaves)
		for i := range id {
			id[i] = int64(i)
			z[i*nodes+1], z[i*nodes+2] = int8(i%2), int8(i/2%2)
			x[i*leaves], x[i*leaves+1] = float64(i%2), float64(i/2%2)
		}
		kind := arrowio.KindSamples
		switch args[0] {
		case "x-half":
			x[5*leaves+1] = 0.5
		case "x-nan":
			x[5*leaves] = math.NaN()
		case "z-two":
			z[5*nodes] = 2
		case "x-null":
			defer nullRow(ts, args[2], "x")
		case "no-model":
			model = ""
		case "views-no-model":
			model = ""
			kind = arrowio.KindViews
		case "views-nan", "views-inf", "views-empty":
			kind = arrowio.KindViews
		case "views-null":
			kind = arrowio.KindViews
			defer nullRow(ts, args[2], "x_a")
		default:
			ts.Fatalf("bad-data: unknown case %q", args[0])
		}
		meta := arrowio.Meta{Model: model}.WithStep(kind, "bad-data", "0", "{}")
		if kind == arrowio.KindSamples {
			w, err := arrowio.Create(ts.MkAbs(args[2]), nil, meta, floatLeaves(arrowio.SamplesColumns(nodes, leaves, arrowio.Bytes)))
			ts.Check(err)
			ts.Check(w.WriteColumns(rows, id, z, x))
			ts.Check(w.Close())
			return
		}
		xneg := append([]float64(nil), x...)
		xb := append([]float64(nil), x...)
		switch args[0] {
		case "views-nan":
			xb[5*leaves+1] = math.NaN()
		case "views-inf":
			xneg[5*leaves] = math.Inf(1)
		}
		w, err := arrowio.Create(ts.MkAbs(args[2]), nil, meta, floatLeaves(arrowio.ViewsColumns(nodes, leaves, 1, arrowio.Bytes)))
		ts.Check(err)
		if args[0] != "views-empty" {
			ts.Check(w.WriteColumns(rows, id, id, x, xb, z, z, xneg))
		}
		ts.Check(w.Close())
	}
}

// nullRow makes row 5 of column col of file null (no dualssl writer can).
func nullRow(ts *testscript.TestScript, file, col string) {
	ts.Check(arrowiotest.NullRow(ts.MkAbs(file), col, 5))
}

// floatLeaves stores the leaf columns as float64, as another program may
// (dualssl writes 0/1 leaves as bool, format 2 as int8; readers accept all).
func floatLeaves(cols []arrowio.Column) []arrowio.Column {
	for i, c := range cols {
		if c.Name == "x" || c.Name == "x_a" || c.Name == "x_b" || c.Name == "x_neg" {
			cols[i].Type = arrowio.FixedFloat64
		}
	}
	return cols
}
