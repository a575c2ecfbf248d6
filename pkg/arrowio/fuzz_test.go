package arrowio

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpus under testdata/fuzz")

// seedInputs are valid, truncated and corrupted streams and files.
func seedInputs(t testing.TB) map[string][]byte {
	stream := writeSamples(t, memory.DefaultAllocator, 12, 5)
	dir := t.TempDir()
	path := filepath.Join(dir, "s.arrow")
	w, err := Create(path, nil, sampleMeta(), sampleCols, WithBatchRows(5))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 12; i++ {
		w.Append(i, []int8{0, 1, int8(i % 2)}, []float64{1, float64(i)})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	file, _ := os.ReadFile(path)
	var tidy bytes.Buffer
	tw, _ := Create("-", &tidy, Meta{Kind: KindProbe}, []Column{{Name: "node", Type: String}, {Name: "w", Type: ListFloat64}, {Name: "ok", Type: Bool}})
	tw.Append("root", []float64{1, 2}, true)
	tw.Append("z1", []float64{}, false)
	tw.Close()
	// Samples and views as the tools write them: bit-packed 0/1 columns
	// (format 3), in batches of odd sizes so that rows straddle bytes.
	var bits, views bytes.Buffer
	bw, _ := Create("-", &bits, sampleMeta(), SamplesColumns(7, 4, Bits), WithBatchRows(5))
	vw, _ := Create("-", &views, Meta{Kind: KindViews, Model: sampleMeta().Model}, ViewsColumns(7, 4, 1, Bits), WithBatchRows(3))
	for i := 0; i < 12; i++ {
		z := []int8{1, int8(i % 2), 0, int8(i / 2 % 2), 1, 1, int8(i / 4 % 2)}
		bw.Append(i, z, z[3:])
		vw.Append(i, int64(i%2), z[3:], z[:4], z, z, z[2:6])
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := vw.Close(); err != nil {
		t.Fatal(err)
	}
	seeds := map[string][]byte{
		"bits":          bits.Bytes(),
		"bits-views":    views.Bytes(),
		"bits-cut":      bits.Bytes()[:bits.Len()-50],
		"stream":        stream,
		"stream-half":   stream[:len(stream)/2],
		"stream-no-eos": stream[:len(stream)-8],
		"file":          file,
		"file-cut":      file[:len(file)-10],
		"tidy":          tidy.Bytes(),
		"empty":         {},
		"garbage":       []byte("not an arrow stream"),
	}
	for _, k := range []int{40, 200, len(stream) - 60} {
		c := append([]byte(nil), stream...)
		c[k] ^= 0xff
		seeds[fmt.Sprintf("stream-flip-%d", k)] = c
	}
	for _, k := range []int{bits.Len() - 200, bits.Len() - 120} {
		c := append([]byte(nil), bits.Bytes()...)
		c[k] ^= 0xff
		seeds[fmt.Sprintf("bits-flip-%d", k)] = c
	}
	return seeds
}

// TestWriteFuzzCorpus regenerates the committed seed corpus with
// go test ./pkg/arrowio -run TestWriteFuzzCorpus -update-corpus.
func TestWriteFuzzCorpus(t *testing.T) {
	if !*updateCorpus {
		t.Skip("pass -update-corpus to rewrite testdata/fuzz")
	}
	for _, fz := range []string{"FuzzStream", "FuzzPath"} {
		dir := filepath.Join("testdata", "fuzz", fz)
		os.MkdirAll(dir, 0o755)
		for name, b := range seedInputs(t) {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// drain reads everything a reader offers through every accessor; it must
// never panic and must release all memory.
func drain(r *Reader) {
	for r.Next() {
		b := r.Batch()
		for j, c := range r.Columns() {
			switch c.Type {
			case Int8:
				b.Int8(c.Name)
			case Int32:
				b.Int32(c.Name)
			case Int64:
				b.Int64(c.Name)
			case Float64:
				b.Float64(c.Name)
			case String:
				b.String(c.Name)
			case Bool:
				b.Bool(c.Name)
			case FixedInt8:
				b.FixedInt8(c.Name)
				b.Binary(c.Name)
				b.BinaryWords(c.Name)
			case FixedBool:
				b.Binary(c.Name)
				b.BinaryWords(c.Name)
				b.Values(c.Name)
				if l, _, err := b.StoredLeaves(c.Name); err == nil {
					l.CopyTo(make([]float64, l.Len()), 0)
				}
				var buf []float64
				b.FixedLeaves(c.Name, &buf)
			case FixedFloat64:
				b.FixedFloat64(c.Name)
			case ListFloat64:
				b.ListFloat64(c.Name)
			}
			for i := 0; i < b.Rows() && i < 3; i++ {
				b.Cell(j, i)
			}
		}
	}
	_ = r.Err()
}

func FuzzStream(f *testing.F) {
	for _, b := range seedInputs(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		r, err := Open("-", bytes.NewReader(data), withAllocator(mem))
		if err != nil {
			if bytes.ContainsRune([]byte(err.Error()), '\n') {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		drain(r)
		r.Close()
		// A clean read must release every buffer. After an error Arrow may
		// keep the buffers of a half-loaded record (it panics midway on
		// some corrupt inputs); the Go allocator's memory is still
		// garbage-collected, so only the clean case is checked.
		if r.Err() == nil {
			mem.AssertSize(t, 0)
		}
	})
}

func FuzzPath(f *testing.F) {
	for _, b := range seedInputs(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "in.arrow")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path, nil)
		if err != nil {
			return
		}
		drain(r)
		r.Close()
	})
}
