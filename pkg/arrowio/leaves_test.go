package arrowio

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestLeavesEitherEncoding writes the same views and samples with the x
// columns as bool (what dualssl writes), int8 (format 2) and as float64
// (what another program may write), and checks that the readers return the
// same float64 values from all, across batches (the bool and int8 paths
// convert into a reused buffer), and refuse any other x type with a line
// naming the encodings.
func TestLeavesEitherEncoding(t *testing.T) {
	const leaves, nodes = 4, 7
	xa8 := []int8{0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1}
	xb8 := []int8{1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 1, 1}
	z := make([]int8, 3*nodes)
	f64 := func(v []int8) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	write := func(kind Kind, cols []Column, xType Type) *bytes.Buffer {
		var buf bytes.Buffer
		for i := range cols {
			if cols[i].Name[0] == 'x' {
				cols[i].Type = xType
			}
		}
		w, err := Create("-", &buf, Meta{Kind: kind}, cols, WithBatchRows(2))
		if err != nil {
			t.Fatal(err)
		}
		for r := 0; r < 3; r++ {
			var xa, xb any = xa8[r*leaves : (r+1)*leaves], xb8[r*leaves : (r+1)*leaves]
			switch xType {
			case FixedFloat64:
				xa, xb = f64(xa.([]int8)), f64(xb.([]int8))
			case Int64:
				xa, xb = int64(1), int64(1)
			}
			vals := []any{int64(r), int64(r % 2), xa, xb, z[r*nodes : (r+1)*nodes], z[r*nodes : (r+1)*nodes], xb}
			if kind == KindSamples {
				vals = []any{int64(r), z[r*nodes : (r+1)*nodes], xa}
			}
			if err := w.Append(vals...); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return &buf
	}
	for _, xType := range []Type{FixedBool, FixedInt8, FixedFloat64} {
		r, err := Open("-", write(KindViews, ViewsColumns(nodes, leaves, 1, Bits), xType))
		if err != nil {
			t.Fatal(err)
		}
		v, err := NewViewsReader(r, "test", true)
		if err != nil {
			t.Fatal(err)
		}
		var xa, xb, xn []float64
		for v.Next() {
			b, err := v.Views()
			if err != nil {
				t.Fatal(err)
			}
			xa, xb, xn = append(xa, b.XA...), append(xb, b.XB...), append(xn, b.XNeg...)
		}
		if err := v.Err(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(xa, f64(xa8)) || !slices.Equal(xb, f64(xb8)) || !slices.Equal(xn, f64(xb8)) || v.Negatives != 1 {
			t.Errorf("views with x as %v: read %v %v %v (%d negatives)", xType, xa, xb, xn, v.Negatives)
		}

		r, err = Open("-", write(KindSamples, SamplesColumns(nodes, leaves, Bits), xType))
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSamplesReader(r, "test", nodes, leaves)
		if err != nil {
			t.Fatal(err)
		}
		xa = nil
		for s.Next() {
			b, err := s.Samples()
			if err != nil {
				t.Fatal(err)
			}
			xa = append(xa, b.X...)
		}
		if !slices.Equal(xa, f64(xa8)) {
			t.Errorf("samples with x as %v: read %v", xType, xa)
		}
	}
	r, err := Open("-", write(KindSamples, SamplesColumns(nodes, leaves, Bits), Int64))
	if err == nil {
		_, err = NewSamplesReader(r, "test", nodes, leaves)
	}
	if err == nil || !strings.Contains(err.Error(), "column x is int64, want fixed_size_list<bool>, fixed_size_list<int8> or fixed_size_list<float64>") {
		t.Errorf("x as int64: %v", err)
	}
}
