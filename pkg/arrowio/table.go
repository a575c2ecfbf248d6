package arrowio

import (
	"fmt"
	"reflect"
	"slices"
)

// Table is a whole small table read into Go slices (copies), for tidy
// tables such as train-log, probe and covop outputs.
type Table struct {
	name string
	meta Meta
	cols []Column
	rows int
	data map[string]any
}

// ReadTable reads every remaining batch of r into a Table. It does not
// close r. Columns of a type dualssl does not read (Invalid) are passed over.
func ReadTable(r *Reader) (*Table, error) {
	t := &Table{name: r.name, meta: r.meta, cols: r.Columns(), data: map[string]any{}}
	for r.Next() {
		b := r.Batch()
		for _, c := range t.cols {
			if c.Type == Invalid {
				continue
			}
			v, err := b.Values(c.Name)
			if err != nil {
				return nil, err
			}
			t.data[c.Name] = appendCopy(t.data[c.Name], v)
		}
		t.rows += b.Rows()
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// appendCopy appends the column values v of one batch (a slice that
// Batch.Values returns) to old (nil or a slice of the same type), copying
// them out of the batch.
func appendCopy(old, v any) any {
	if rows, ok := v.([][]float64); ok {
		// Each row aliases the batch: copy it (rows itself is new).
		for i := range rows {
			rows[i] = slices.Clone(rows[i])
		}
	}
	rv := reflect.ValueOf(v)
	if old == nil {
		return reflect.AppendSlice(reflect.MakeSlice(rv.Type(), 0, rv.Len()), rv).Interface()
	}
	return reflect.AppendSlice(reflect.ValueOf(old), rv).Interface()
}

// Rows returns the number of rows.
func (t *Table) Rows() int { return t.rows }

// Meta returns the table's metadata.
func (t *Table) Meta() Meta { return t.meta }

// Column returns the column called name, and whether the table has it.
func (t *Table) Column(name string) (Column, bool) {
	for _, c := range t.cols {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Values returns column name as the Go slice Writer.WriteColumns takes for
// its type (see Batch.Values), all rows; nil if the table has no record
// batches.
func (t *Table) Values(name string) (any, error) {
	c, ok := t.Column(name)
	if !ok {
		return nil, noColumn(t.name, name, t.cols)
	}
	if c.Type == Invalid {
		return nil, unreadable(t.name, c)
	}
	return t.data[name], nil
}

// Columns returns the table's columns in schema order.
func (t *Table) Columns() []Column { return append([]Column(nil), t.cols...) }

func tableCol[T any](t *Table, name string, want Type) ([]T, error) {
	for _, c := range t.cols {
		if c.Name != name {
			continue
		}
		if c.Type != want {
			return nil, fmt.Errorf("arrowio: %s: column %s is %s, want %s", t.name, name, c, want)
		}
		v, _ := t.data[name].([]T)
		if v == nil {
			v = []T{}
		}
		return v, nil
	}
	return nil, noColumn(t.name, name, t.cols)
}

// Int8 returns column name (int8).
func (t *Table) Int8(name string) ([]int8, error) { return tableCol[int8](t, name, Int8) }

// Int32 returns column name (int32).
func (t *Table) Int32(name string) ([]int32, error) { return tableCol[int32](t, name, Int32) }

// Int64 returns column name (int64).
func (t *Table) Int64(name string) ([]int64, error) { return tableCol[int64](t, name, Int64) }

// Float64 returns column name (float64).
func (t *Table) Float64(name string) ([]float64, error) { return tableCol[float64](t, name, Float64) }

// String returns column name (string).
func (t *Table) String(name string) ([]string, error) { return tableCol[string](t, name, String) }

// Bool returns column name (bool).
func (t *Table) Bool(name string) ([]bool, error) { return tableCol[bool](t, name, Bool) }

// FixedInt8 returns column name (fixed_size_list<int8>) flat, row-major.
func (t *Table) FixedInt8(name string) ([]int8, error) { return tableCol[int8](t, name, FixedInt8) }

// FixedBool returns column name (fixed_size_list<bool>) flat, row-major,
// as 0/1 bytes.
func (t *Table) FixedBool(name string) ([]int8, error) { return tableCol[int8](t, name, FixedBool) }

// FixedFloat64 returns column name (fixed_size_list<float64>) flat, row-major.
func (t *Table) FixedFloat64(name string) ([]float64, error) {
	return tableCol[float64](t, name, FixedFloat64)
}

// ListFloat64 returns column name (list<float64>), one slice per row.
func (t *Table) ListFloat64(name string) ([][]float64, error) {
	return tableCol[[]float64](t, name, ListFloat64)
}
