package arrowio

import (
	"bytes"
	"io"
	"testing"
)

// benchCols is the hltm-samples schema of the reference tree (63 nodes,
// 32 leaves): 327 bytes per row.
var benchCols = []Column{
	{Name: "id", Type: Int64},
	{Name: "z", Type: FixedInt8, Size: 63},
	{Name: "x", Type: FixedFloat64, Size: 32},
}

const benchRows = 1 << 14

func benchData() ([]int64, []int8, []float64) {
	ids := make([]int64, benchRows)
	z := make([]int8, benchRows*63)
	x := make([]float64, benchRows*32)
	for i := range ids {
		ids[i] = int64(i)
	}
	for i := range z {
		z[i] = int8(i % 2)
	}
	for i := range x {
		x[i] = float64(i % 2)
	}
	return ids, z, x
}

// BenchmarkWriteColumns measures writing whole columns (no copy) to a
// stream, in bytes of column data per second.
func BenchmarkWriteColumns(b *testing.B) {
	ids, z, x := benchData()
	b.SetBytes(benchRows * (8 + 63 + 8*32))
	w, err := Create("-", io.Discard, Meta{Kind: KindSamples}, benchCols)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Abort()
	for i := 0; i < b.N; i++ {
		if err := w.WriteColumns(benchRows, ids, z, x); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead measures reading a stream through the checked framer and
// the zero-copy accessors.
func BenchmarkRead(b *testing.B) {
	ids, z, x := benchData()
	var buf bytes.Buffer
	w, _ := Create("-", &buf, Meta{Kind: KindSamples}, benchCols)
	for k := 0; k < 8; k++ {
		w.WriteColumns(benchRows, ids, z, x)
	}
	w.Close()
	data := buf.Bytes()
	b.SetBytes(8 * benchRows * (8 + 63 + 8*32))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Open("-", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		for r.Next() {
			bt := r.Batch()
			if _, _, err := bt.FixedFloat64("x"); err != nil {
				b.Fatal(err)
			}
		}
		if r.Err() != nil {
			b.Fatal(r.Err())
		}
		r.Close()
	}
}
