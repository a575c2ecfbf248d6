package scripttest

import (
	"reflect"
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
		if data[i], err = t.Values(c.Name); err != nil {
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

// slice returns rows lo … hi−1 of a column (a slice) of size values per row.
func slice(col any, lo, hi, size int) any {
	return reflect.ValueOf(col).Slice(lo*size, hi*size).Interface()
}
