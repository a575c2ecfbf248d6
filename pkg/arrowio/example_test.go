package arrowio_test

import (
	"bytes"
	"fmt"

	"github.com/dualssl/dualssl/pkg/arrowio"
)

// A tidy table written row by row and read back by column name.
func ExampleCreate() {
	var buf bytes.Buffer
	cols := []arrowio.Column{
		{Name: "epoch", Type: arrowio.Int32},
		{Name: "node", Type: arrowio.String},
		{Name: "best_abs_corr", Type: arrowio.Float64},
	}
	meta := arrowio.Meta{Kind: arrowio.KindProbe, Config: `{"seed":1}`}
	w, err := arrowio.Create("-", &buf, meta, cols)
	if err != nil {
		panic(err)
	}
	defer w.Abort() // removes a named output's temporary file on error
	w.Append(0, "root", 0.25)
	w.Append(0, "z1", 0.5)
	if err := w.Close(); err != nil {
		panic(err)
	}

	r, err := arrowio.Open("-", &buf)
	if err != nil {
		panic(err)
	}
	defer r.Close()
	if err := r.Expect(arrowio.KindProbe, "report"); err != nil {
		panic(err)
	}
	t, err := arrowio.ReadTable(r)
	if err != nil {
		panic(err)
	}
	nodes, _ := t.String("node")
	corr, _ := t.Float64("best_abs_corr")
	fmt.Println(t.Rows(), nodes, corr)
	_, err = t.Int64("best_abs_corr")
	fmt.Println(err)
	// Output:
	// 2 [root z1] [0.25 0.5]
	// arrowio: stdin: column best_abs_corr is float64, want int64
}

// Whole columns are written from flat slices and read back without
// copying: a fixed-size-list column is one row-major slice.
func ExampleWriter_WriteColumns() {
	var buf bytes.Buffer
	cols := []arrowio.Column{{Name: "id", Type: arrowio.Int64}, {Name: "x", Type: arrowio.FixedFloat64, Size: 2}}
	w, _ := arrowio.Create("-", &buf, arrowio.Meta{Kind: arrowio.KindSamples}, cols)
	w.WriteColumns(3, []int64{0, 1, 2}, []float64{0, 1, 1, 0, 1, 1})
	w.Close()

	r, _ := arrowio.Open("-", &buf)
	defer r.Close()
	for r.Next() {
		x, size, _ := r.Batch().FixedFloat64("x")
		fmt.Println(size, x)
	}
	// Output: 2 [0 1 1 0 1 1]
}

// Columns of any type are copied without a switch over their types:
// Values gives each as the slice WriteColumns takes.
func ExampleBatch_Values() {
	var src bytes.Buffer
	cols := []arrowio.Column{{Name: "id", Type: arrowio.Int64}, {Name: "z", Type: arrowio.FixedInt8, Size: 2}}
	w, _ := arrowio.Create("-", &src, arrowio.Meta{Kind: arrowio.KindSamples}, cols)
	w.WriteColumns(2, []int64{7, 8}, []int8{0, 1, 1, 1})
	w.Close()

	r, _ := arrowio.Open("-", &src)
	defer r.Close()
	var dst bytes.Buffer
	out, _ := arrowio.Create("-", &dst, r.Meta(), r.Columns())
	for r.Next() {
		b := r.Batch()
		vals := make([]any, len(cols))
		for j, c := range r.Columns() {
			vals[j], _ = b.Values(c.Name)
			fmt.Printf("%s %v\n", c.Name, vals[j])
		}
		if err := out.WriteColumns(b.Rows(), vals...); err != nil {
			panic(err)
		}
	}
	fmt.Println(out.Close(), out.Rows())
	// Output:
	// id [7 8]
	// z [0 1 1 1]
	// <nil> 2
}
