package arrowio

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// TestValues writes a column of every type in batches of 3 rows and reads
// each back with Batch.Values (batch by batch) and Table.Values (whole),
// which must give what WriteColumns took.
func TestValues(t *testing.T) {
	const rows = 7
	cols := []Column{{Name: "i8", Type: Int8}, {Name: "i32", Type: Int32}, {Name: "i64", Type: Int64},
		{Name: "f", Type: Float64}, {Name: "s", Type: String}, {Name: "b", Type: Bool},
		{Name: "fi8", Type: FixedInt8, Size: 2}, {Name: "ff", Type: FixedFloat64, Size: 3}, {Name: "l", Type: ListFloat64}}
	data := []any{make([]int8, rows), make([]int32, rows), make([]int64, rows), make([]float64, rows),
		make([]string, rows), make([]bool, rows), make([]int8, 2*rows), make([]float64, 3*rows), make([][]float64, rows)}
	for i := 0; i < rows; i++ {
		data[0].([]int8)[i] = int8(-i)
		data[1].([]int32)[i] = int32(100 * i)
		data[2].([]int64)[i] = int64(1e12) * int64(i)
		data[3].([]float64)[i] = float64(i) / 4
		data[4].([]string)[i] = string(rune('a' + i))
		data[5].([]bool)[i] = i%3 == 0
		data[6].([]int8)[2*i], data[6].([]int8)[2*i+1] = int8(i), int8(i%2)
		for k := 0; k < 3; k++ {
			data[7].([]float64)[3*i+k] = float64(10*i + k)
		}
		data[8].([][]float64)[i] = data[7].([]float64)[:i]
	}
	var buf bytes.Buffer
	w, err := Create("-", &buf, Meta{Kind: KindProbe}, cols, WithBatchRows(3))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteColumns(rows, data...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	read := func() *Reader {
		r, err := OpenReader(bytes.NewReader(buf.Bytes()), "all.arrows")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := read()
	lo := 0
	for r.Next() {
		b := r.Batch()
		for j, c := range cols {
			v, err := b.Values(c.Name)
			if err != nil {
				t.Fatal(err)
			}
			per := max(c.Size, 1)
			want := reflect.ValueOf(data[j]).Slice(lo*per, (lo+b.Rows())*per).Interface()
			if !reflect.DeepEqual(v, want) {
				t.Errorf("batch at row %d: column %s = %v, want %v", lo, c.Name, v, want)
			}
		}
		if _, err := b.Values("nope"); !errors.Is(err, ErrNoColumn) {
			t.Errorf("Batch.Values of a missing column: %v", err)
		}
		lo += b.Rows()
	}
	r.Close()
	r = read()
	defer r.Close()
	tab, err := ReadTable(r)
	if err != nil {
		t.Fatal(err)
	}
	for j, c := range cols {
		if v, err := tab.Values(c.Name); err != nil || !reflect.DeepEqual(v, data[j]) {
			t.Errorf("Table.Values(%s) = %v, %v; want %v", c.Name, v, err, data[j])
		}
	}
	if _, err := tab.Values("nope"); !errors.Is(err, ErrNoColumn) {
		t.Errorf("Table.Values of a missing column: %v", err)
	}
}
