package arrowio

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// randomBits returns n random 0/1 values.
func randomBits(n int, seed uint64) []int8 {
	r := rand.New(rand.NewPCG(seed, 1))
	v := make([]int8, n)
	for i := range v {
		v[i] = int8(r.IntN(2))
	}
	return v
}

// TestPackUnpack checks the multiply-shift packing and the table unpacking
// against Arrow's own bit order (bitutil), at every length and bit offset
// around a word.
func TestPackUnpack(t *testing.T) {
	for n := 0; n < 200; n++ {
		v := randomBits(n, uint64(n))
		packed := make([]byte, (n+7)/8)
		if k := packBits(packed, v); k != -1 {
			t.Fatalf("n=%d: packBits says value %d is not 0/1", n, k)
		}
		for i, x := range v {
			if bitutil.BitIsSet(packed, i) != (x == 1) {
				t.Fatalf("n=%d: bit %d is %v, value %d", n, i, bitutil.BitIsSet(packed, i), x)
			}
		}
		if n%8 != 0 && packed[n/8]>>(n%8) != 0 {
			t.Fatalf("n=%d: unused bits of the last byte are set: %08b", n, packed[n/8])
		}
		for off := 0; off <= n; off += 1 + off/16 {
			got := make([]int8, n-off)
			unpackBits(got, packed, off)
			if !slices.Equal(got, v[off:]) {
				t.Fatalf("n=%d off=%d: unpackBits %v, want %v", n, off, got, v[off:])
			}
			f := make([]float64, n-off)
			unpackFloats(f, packed, off)
			for i := range f {
				if f[i] != float64(v[off+i]) {
					t.Fatalf("n=%d off=%d: unpackFloats %v, want %v", n, off, f, v[off:])
				}
			}
		}
	}
	long := make([]int8, 130)
	long[77] = 4
	for _, bad := range [][]int8{{0, 1, 2}, {0, 0, 0, 0, 0, 0, 0, 0, 0, -1}, {1, 1, 1, 1, 1, 1, 3, 1}, long} {
		want := slices.IndexFunc(bad, func(x int8) bool { return x != 0 && x != 1 })
		if k := packBits(make([]byte, 17), bad); k != want {
			t.Errorf("packBits(%v) = %d, want %d", bad, k, want)
		}
	}
}

// TestWriteBitsRefusesNonBinary checks that a FixedBool column refuses a
// value other than 0 or 1 with a line naming the column, row and value,
// rather than packing its low bit.
func TestWriteBitsRefusesNonBinary(t *testing.T) {
	var buf bytes.Buffer
	w, err := Create("-", &buf, Meta{Kind: KindSamples}, SamplesColumns(3, 2, Bits))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.WriteColumns(2, []int64{0, 1}, []int8{0, 1, 1, 1, 0, 0}, []int8{1, 0, 0, 1}); err != nil {
		t.Fatal(err)
	}
	err = w.WriteColumns(2, []int64{2, 3}, []int8{0, 1, 1, 1, 0, 0}, []int8{1, 0, 0, 2})
	if err == nil || !strings.Contains(err.Error(), "stdout: column x: row 3, value 1 is 2: the column holds 0 or 1") {
		t.Errorf("x = 2: %v", err)
	}
	w2, _ := Create("-", &buf, Meta{Kind: KindSamples}, SamplesColumns(3, 2, Bits))
	defer w2.Abort()
	if err := w2.Append(int64(0), []int8{0, 1, 1}, []int8{1, 5}); err == nil || !strings.Contains(err.Error(), "column x is fixed_size_list<bool>[2], got []int8") {
		t.Errorf("Append x = 5: %v", err)
	}
}

// TestBitsRoundTrip writes samples as bits, column-wise and row-wise,
// and reads them back through every accessor that takes a bool column.
func TestBitsRoundTrip(t *testing.T) {
	const rows, nodes, leaves = 11, 7, 4
	z, x := randomBits(rows*nodes, 1), randomBits(rows*leaves, 2)
	var buf bytes.Buffer
	w, err := Create("-", &buf, Meta{Kind: KindSamples}, SamplesColumns(nodes, leaves, Bits), WithBatchRows(3))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, 5)
	if err := w.WriteColumns(5, ids, z[:5*nodes], x[:5*leaves]); err != nil {
		t.Fatal(err)
	}
	for i := 5; i < rows; i++ {
		if err := w.Append(int64(i), z[i*nodes:(i+1)*nodes], x[i*leaves:(i+1)*leaves]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(bytes.NewReader(buf.Bytes()), "b.arrows")
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Columns(); c[1].String() != "fixed_size_list<bool>[7]" || c[2].String() != "fixed_size_list<bool>[4]" {
		t.Fatalf("columns %v", c)
	}
	var gz, gx, vz []int8
	var cells []int8
	for r.Next() {
		b := r.Batch()
		zz, size, err := b.Binary("z")
		if err != nil || size != nodes {
			t.Fatal(err, size)
		}
		gz = append(gz, zz...)
		l, _, err := b.StoredLeaves("x")
		if err != nil || l.Bits == nil {
			t.Fatal(err, l)
		}
		f := make([]float64, l.Len())
		l.CopyTo(f, 0)
		for _, v := range f {
			gx = append(gx, int8(v))
		}
		v, err := b.Values("z")
		if err != nil {
			t.Fatal(err)
		}
		vz = append(vz, v.([]int8)...)
		for i := 0; i < b.Rows(); i++ {
			cells = append(cells, b.Cell(1, i).([]int8)...)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gz, z) || !slices.Equal(gx, x) || !slices.Equal(vz, z) || !slices.Equal(cells, z) {
		t.Errorf("read back z %v\nx %v\nValues %v\nCell %v\nwant z %v x %v", gz, gx, vz, cells, z, x)
	}
	r.Close()
}

// BenchmarkPack packs one epoch's worth of views' 0/1 values (64000 rows of
// the reference tree: 4·32 leaves and 2·63 nodes).
func BenchmarkPack(b *testing.B) {
	v := randomBits(64000*254, 3)
	dst := make([]byte, (len(v)+7)/8)
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		packBits(dst, v)
	}
}

// BenchmarkPackNaive is bit-by-bit packing, for scale.
func BenchmarkPackNaive(b *testing.B) {
	v := randomBits(64000*254, 3)
	dst := make([]byte, (len(v)+7)/8)
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		clear(dst)
		for i, x := range v {
			dst[i>>3] |= byte(x) << (i & 7)
		}
	}
}

// BenchmarkUnpack unpacks the same values to 0/1 bytes.
func BenchmarkUnpack(b *testing.B) {
	v := randomBits(64000*254, 3)
	packed := make([]byte, (len(v)+7)/8)
	packBits(packed, v)
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		unpackBits(v, packed, 0)
	}
}

// BenchmarkUnpackNaive is bit-by-bit unpacking, for scale.
func BenchmarkUnpackNaive(b *testing.B) {
	v := randomBits(64000*254, 3)
	packed := make([]byte, (len(v)+7)/8)
	packBits(packed, v)
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		for i := range v {
			v[i] = int8(packed[i>>3] >> (i & 7) & 1)
		}
	}
}

// BenchmarkUnpackFloats unpacks the x values of an epoch (64000 rows, x_a,
// x_b and x_neg of 32 leaves) straight to float64, as ssl-train does.
func BenchmarkUnpackFloats(b *testing.B) {
	v := randomBits(64000*96, 3)
	packed := make([]byte, (len(v)+7)/8)
	packBits(packed, v)
	f := make([]float64, len(v))
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		unpackFloats(f, packed, 0)
	}
}

// BenchmarkInt8ToFloats is the format-2 conversion it replaces, for scale.
func BenchmarkInt8ToFloats(b *testing.B) {
	v := randomBits(64000*96, 3)
	f := make([]float64, len(v))
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		Leaves{Int8: v}.CopyTo(f, 0)
	}
}

// TestShortBitBuffer checks that a bool list column whose bitmap is
// shorter than rows·size bits (a corrupt or hostile writer) is refused
// with a one-line error naming the file and column before any value is
// read, whether the stream or the file format carries it.
func TestShortBitBuffer(t *testing.T) {
	const rows, size = 10, 7 // 70 bits: 9 bytes; the writer pads 1 byte to 8
	m := Meta{Kind: KindSamples, Format: "3.0", Model: sampleMeta().Model}
	cols := []Column{{Name: "z", Type: FixedBool, Size: size}}
	schema, err := schemaOf(m, cols)
	if err != nil {
		t.Fatal(err)
	}
	child := array.NewData(arrow.FixedWidthTypes.Boolean, rows*size, []*memory.Buffer{nil, memory.NewBufferBytes([]byte{0xff})}, nil, 0, 0)
	list := array.NewData(schema.Field(0).Type, rows, []*memory.Buffer{nil}, []arrow.ArrayData{child}, 0, 0)
	arr := array.MakeFromData(list)
	rec := array.NewRecord(schema, []arrow.Array{arr}, rows)
	var stream bytes.Buffer
	w := ipc.NewWriter(&stream, ipc.WithSchema(schema))
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	w.Close()
	path := filepath.Join(t.TempDir(), "short.arrow")
	f, _ := os.Create(path)
	fw, err := ipc.NewFileWriter(f, ipc.WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	fw.Close()
	f.Close()
	for _, open := range []func() (*Reader, error){
		func() (*Reader, error) { return OpenReader(bytes.NewReader(stream.Bytes()), "short.arrows") },
		func() (*Reader, error) { return Open(path, nil) },
	} {
		r, err := open()
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			r.Batch().Binary("z")
		}
		err = r.Err()
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "short.arrow") || !strings.Contains(err.Error(), "column z") {
			t.Errorf("short bitmap: %v", err)
		}
		r.Close()
	}
}

// TestLatents checks SamplesReader.LatentWords: z as words, no x, and x
// still refused when it is not 0/1 (int8 or float64; bool cannot be).
func TestLatents(t *testing.T) {
	for _, c := range []struct {
		x    Type
		vals any
		want string
	}{
		{FixedBool, []int8{1, 0, 0, 1}, ""},
		{FixedInt8, []int8{1, 0, 0, 1}, ""},
		{FixedInt8, []int8{1, 0, 2, 1}, "l.arrows: column x, row 0, value 2 is 2: HLTM node values are 0 or 1"},
		{FixedFloat64, []float64{1, 0, 0.5, 1}, "l.arrows: column x, row 0, value 2 is 0.5: HLTM node values are 0 or 1"},
	} {
		cols := SamplesColumns(3, 4, Bits)
		cols[2].Type = c.x
		var buf bytes.Buffer
		w, err := Create("-", &buf, Meta{Kind: KindSamples}, cols)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Append(int64(0), []int8{1, 0, 1}, c.vals); err != nil {
			t.Fatal(err)
		}
		w.Close()
		r, err := OpenReader(bytes.NewReader(buf.Bytes()), "l.arrows")
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSamplesReader(r, "augment", 3, 4)
		if err != nil {
			t.Fatal(err)
		}
		s.Next()
		b, err := s.LatentWords()
		if c.want == "" {
			if err != nil || !slices.Equal(b.Z, []uint64{0b101}) || b.Rows != 1 {
				t.Errorf("x %v: %+v, %v", c.x, b, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("x %v: %v, want …%s", c.x, err, c.want)
		}
		r.Close()
	}
}

// BenchmarkViewsTransport writes views of the reference tree (63 nodes,
// 32 leaves, one negative) to a buffer and reads them back as ssl-train
// does (x_a, x_b, x_neg into float64), with the 0/1 columns bit-packed
// (format 3) and as int8 (format 2, --int8): the encoding's CPU on both
// sides of a pipe, and its bytes per row.
func BenchmarkViewsTransport(b *testing.B) {
	const rows, nodes, leaves = 8192, 63, 32
	ids := make([]int64, rows)
	z := randomBits(rows*nodes, 5)
	x := randomBits(rows*leaves, 6)
	for _, enc := range []struct {
		name string
		b    Binary
	}{{"bits", Bits}, {"int8", Bytes}} {
		b.Run(enc.name, func(b *testing.B) {
			var buf bytes.Buffer
			xa := make([]float64, rows*leaves)
			for b.Loop() {
				buf.Reset()
				w, err := Create("-", &buf, Meta{Kind: KindViews}, ViewsColumns(nodes, leaves, 1, enc.b))
				if err != nil {
					b.Fatal(err)
				}
				for k := 0; k < 8; k++ {
					if err := w.WriteColumns(rows, ids, ids, x, x, z, z, x); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				r, err := OpenReader(bytes.NewReader(buf.Bytes()), "v.arrows")
				if err != nil {
					b.Fatal(err)
				}
				v, err := NewViewsReader(r, "bench", false)
				if err != nil {
					b.Fatal(err)
				}
				for v.Next() {
					sb, err := v.StoredViews()
					if err != nil {
						b.Fatal(err)
					}
					sb.XA.CopyTo(xa, 0)
					sb.XB.CopyTo(xa, 0)
					sb.XNeg.CopyTo(xa, 0)
				}
				r.Close()
			}
			b.ReportMetric(float64(buf.Len())/(8*rows), "B/row")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(8*rows), "ns/row")
		})
	}
}

// TestWriteWords checks that a packed bit matrix ([]uint64) writes the
// same bytes as its 0/1 values ([]int8), as bits and as int8, at row
// counts that end inside and at the end of a word, and that a matrix of
// the wrong length or with bits set past its rows is refused.
func TestWriteWords(t *testing.T) {
	const nodes, leaves = 7, 4
	for _, enc := range []Binary{Bits, Bytes} {
		for _, rows := range []int{1, 9, 16, 64, 100} {
			z, x := randomBits(rows*nodes, 3), randomBits(rows*leaves, 4)
			ids := make([]int64, rows)
			write := func(z, x any) []byte {
				var buf bytes.Buffer
				w, err := Create("-", &buf, Meta{Kind: KindSamples}, SamplesColumns(nodes, leaves, enc))
				if err != nil {
					t.Fatal(err)
				}
				if err := w.WriteColumns(rows, ids, z, x); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				return buf.Bytes()
			}
			want := write(z, x)
			if got := write(words(z), words(x)); !bytes.Equal(got, want) {
				t.Errorf("%v, %d rows: bit matrices write other bytes than their values", enc, rows)
			}
		}
	}
	dirty := words(randomBits(3*leaves, 5))
	dirty[0] |= 1 << (3 * leaves)
	for _, c := range []struct {
		z, x any
		want string
	}{
		{words(randomBits(3*nodes, 6)), []uint64{0, 0}, "column x: 2 words of bits, want 1 for 3 rows of 4 values"},
		{words(randomBits(3*nodes, 6)), dirty, "column x: bits past the 3 rows are set"},
	} {
		var buf bytes.Buffer
		w, err := Create("-", &buf, Meta{Kind: KindSamples}, SamplesColumns(nodes, leaves, Bits))
		if err != nil {
			t.Fatal(err)
		}
		err = w.WriteColumns(3, make([]int64, 3), c.z, c.x)
		w.Abort()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want %q, got %v", c.want, err)
		}
	}
}

// words packs 0/1 values into a bit matrix's words, value k in bit k%64
// of word k/64.
func words(v []int8) []uint64 {
	w := make([]uint64, (len(v)+63)/64)
	for k, x := range v {
		w[k/64] |= uint64(x) << (k % 64)
	}
	return w
}

// TestBitsToWords checks the realignment of a bitmap into words at every
// bit offset and length around a word, against unpackBits, and packWords
// against words(), with its first non-0/1 index.
func TestBitsToWords(t *testing.T) {
	v := randomBits(300, 7)
	packed := make([]byte, (len(v)+7)/8)
	packBits(packed, v)
	for off := 0; off < 80; off++ {
		for _, n := range []int{0, 1, 7, 63, 64, 65, 128, 150, 300 - 80} {
			got := make([]uint64, (n+63)/64)
			for i := range got {
				got[i] = ^uint64(0) // stale bits must be cleared
			}
			bitsToWords(got, packed, off, n)
			if want := words(v[off : off+n]); !slices.Equal(got, want) {
				t.Fatalf("off %d, n %d: %x, want %x", off, n, got, want)
			}
		}
	}
	for n := 0; n < 200; n++ {
		v := randomBits(n, uint64(n))
		got := make([]uint64, (n+63)/64)
		if k := packWords(got, v); k != -1 || !slices.Equal(got, words(v)) {
			t.Fatalf("n %d: packWords %x (bad %d), want %x", n, got, k, words(v))
		}
	}
	bad := randomBits(130, 9)
	bad[100] = 3
	if k := packWords(make([]uint64, 3), bad); k != 100 {
		t.Errorf("packWords found value 3 at %d, want 100", k)
	}
}

// TestLatentWords reads z as words from files that store it as bits and
// as int8, over several record batches, and refuses an int8 z that is not
// 0/1 with its row.
func TestLatentWords(t *testing.T) {
	const rows, nodes, leaves = 23, 7, 4
	z, x := randomBits(rows*nodes, 11), randomBits(rows*leaves, 12)
	ids := make([]int64, rows)
	for _, enc := range []Binary{Bits, Bytes} {
		var buf bytes.Buffer
		w, err := Create("-", &buf, Meta{Kind: KindSamples}, SamplesColumns(nodes, leaves, enc), WithBatchRows(10))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < rows; i++ {
			if err := w.Append(ids[i], z[i*nodes:(i+1)*nodes], x[i*leaves:(i+1)*leaves]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := OpenReader(bytes.NewReader(buf.Bytes()), "w.arrows")
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSamplesReader(r, "augment", nodes, leaves)
		if err != nil {
			t.Fatal(err)
		}
		at := 0
		for s.Next() {
			b, err := s.LatentWords()
			if err != nil {
				t.Fatal(err)
			}
			if want := words(z[at*nodes : (at+b.Rows)*nodes]); !slices.Equal(b.Z, want) || len(b.ID) != b.Rows {
				t.Fatalf("%v, rows %d…: z %x, want %x", enc, at, b.Z, want)
			}
			at += b.Rows
		}
		if at != rows || s.Err() != nil {
			t.Fatalf("%v: %d rows, %v", enc, at, s.Err())
		}
	}
	var buf bytes.Buffer
	w, _ := Create("-", &buf, Meta{Kind: KindSamples}, SamplesColumns(3, 2, Bytes))
	w.Append(int64(0), []int8{1, 0, 1}, []int8{0, 1})
	w.Append(int64(1), []int8{1, 2, 1}, []int8{0, 1})
	w.Close()
	r, _ := OpenReader(bytes.NewReader(buf.Bytes()), "bad.arrows")
	s, err := NewSamplesReader(r, "augment", 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	s.Next()
	if _, err := s.LatentWords(); err == nil || !strings.Contains(err.Error(), "bad.arrows: column z, row 1, value 1 is 2: HLTM node values are 0 or 1") {
		t.Errorf("z = 2: %v", err)
	}
}
