// Package arrowiotest writes what no dualssl writer does, for tests of the
// readers' refusals: files another program may write. It imports Arrow, as
// pkg/arrowio does, so that test fixtures elsewhere need not.
package arrowiotest

import (
	"bytes"
	"fmt"
	"os"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// NullRow rewrites the Arrow IPC stream at path with row row (counted from
// the start of the file) of column col null, as another program may write
// it (for a list column, Arrow's builders also make the row's values null).
// Every other value, the schema and its metadata are kept.
func NullRow(path, col string, row int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	mem := memory.DefaultAllocator
	r, err := ipc.NewReader(bytes.NewReader(data), ipc.WithAllocator(mem))
	if err != nil {
		return fmt.Errorf("arrowiotest: %s: %w", path, err)
	}
	defer r.Release()
	schema := r.Schema()
	idx := schema.FieldIndices(col)
	if len(idx) != 1 {
		return fmt.Errorf("arrowiotest: %s: no column %s", path, col)
	}
	j := idx[0]
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	first, done := 0, false
	for r.Next() {
		rec := r.Record()
		n := int(rec.NumRows())
		if k := row - first; k >= 0 && k < n {
			cols := append([]arrow.Array(nil), rec.Columns()...)
			a := cols[j]
			null := array.MakeArrayOfNull(mem, a.DataType(), 1)
			lo, hi := array.NewSlice(a, 0, int64(k)), array.NewSlice(a, int64(k+1), int64(n))
			c, err := array.Concatenate([]arrow.Array{lo, null, hi}, mem)
			null.Release()
			lo.Release()
			hi.Release()
			if err != nil {
				return fmt.Errorf("arrowiotest: %s: column %s: %w", path, col, err)
			}
			cols[j] = c
			rec = array.NewRecord(schema, cols, int64(n))
			c.Release()
			defer rec.Release()
			done = true
		}
		if err := w.Write(rec); err != nil {
			return fmt.Errorf("arrowiotest: %s: %w", path, err)
		}
		first += n
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("arrowiotest: %s: %w", path, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("arrowiotest: %s: %w", path, err)
	}
	if !done {
		return fmt.Errorf("arrowiotest: %s: no row %d (%d rows)", path, row, first)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
