package scripttest

import (
	"fmt"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dualssl/dualssl/pkg/arrowio"
)

func init() {
	// rebatch IN OUT N: copy the dualssl file IN to OUT, metadata and
	// values unchanged, in record batches of N rows (0: one batch).
	Commands["rebatch"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 3 {
			ts.Fatalf("usage: rebatch IN OUT N")
		}
		n, err := strconv.Atoi(args[2])
		if err != nil || n < 0 {
			ts.Fatalf("rebatch: N %q: want a row count ≥ 0", args[2])
		}
		ts.Check(Rebatch(ts.MkAbs(args[0]), ts.MkAbs(args[1]), n))
	}
}

// Rebatch copies the dualssl file in to out with the same metadata and
// values in record batches of n rows (0: all rows in one batch).
func Rebatch(in, out string, n int) error {
	r, err := arrowio.Open(in, nil)
	if err != nil {
		return err
	}
	defer r.Close()
	t, err := arrowio.ReadTable(r)
	if err != nil {
		return err
	}
	cols := t.Columns()
	data := make([]any, len(cols))
	for i, c := range cols {
		var err error
		switch c.Type {
		case arrowio.Int8:
			data[i], err = t.Int8(c.Name)
		case arrowio.Int32:
			data[i], err = t.Int32(c.Name)
		case arrowio.Int64:
			data[i], err = t.Int64(c.Name)
		case arrowio.Float64:
			data[i], err = t.Float64(c.Name)
		case arrowio.String:
			data[i], err = t.String(c.Name)
		case arrowio.Bool:
			data[i], err = t.Bool(c.Name)
		case arrowio.FixedInt8:
			data[i], err = t.FixedInt8(c.Name)
		case arrowio.FixedFloat64:
			data[i], err = t.FixedFloat64(c.Name)
		case arrowio.ListFloat64:
			data[i], err = t.ListFloat64(c.Name)
		default:
			err = fmt.Errorf("column %s: type %s", c.Name, c.Type)
		}
		if err != nil {
			return err
		}
	}
	w, err := arrowio.Create(out, nil, t.Meta(), cols)
	if err != nil {
		return err
	}
	defer w.Abort()
	rows := t.Rows()
	step := n
	if step == 0 {
		step = max(rows, 1)
	}
	for lo := 0; lo < rows; lo += step {
		hi := min(rows, lo+step)
		part := make([]any, len(cols))
		for i, c := range cols {
			part[i] = slice(data[i], lo, hi, max(c.Size, 1))
		}
		if err := w.WriteColumns(hi-lo, part...); err != nil {
			return err
		}
	}
	return w.Close()
}

// slice returns rows lo … hi−1 of a column of size values per row.
func slice(col any, lo, hi, size int) any {
	switch v := col.(type) {
	case []int8:
		return v[lo*size : hi*size]
	case []int32:
		return v[lo:hi]
	case []int64:
		return v[lo:hi]
	case []float64:
		return v[lo*size : hi*size]
	case []string:
		return v[lo:hi]
	case []bool:
		return v[lo:hi]
	case [][]float64:
		return v[lo:hi]
	}
	panic(fmt.Sprintf("rebatch: column of %T", col))
}
