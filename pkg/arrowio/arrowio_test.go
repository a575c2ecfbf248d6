package arrowio

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

var sampleCols = []Column{
	{Name: "id", Type: Int64},
	{Name: "z", Type: FixedInt8, Size: 3},
	{Name: "x", Type: FixedFloat64, Size: 2},
}

func sampleMeta() Meta {
	return Meta{Kind: KindSamples, Model: `{"type":"hltm","depth":1,"children":2,"polarity":[0.9,-0.8]}`,
		Config: `{"seed":1}`, Provenance: []Step{{Tool: "hltm-gen", Version: "test", Config: []byte(`{"seed":1}`)}}}
}

// writeSamples writes rows rows in batches of batch, half column-wise and
// half row-wise, and returns the stream bytes.
func writeSamples(t testing.TB, mem memory.Allocator, rows, batch int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := Create("-", &buf, sampleMeta(), sampleCols, withAllocator(mem), WithBatchRows(batch))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	half := rows / 2
	ids := make([]int64, half)
	z := make([]int8, 3*half)
	x := make([]float64, 2*half)
	for i := 0; i < half; i++ {
		ids[i] = int64(i)
		for k := 0; k < 3; k++ {
			z[3*i+k] = int8((i + k) % 2)
		}
		x[2*i], x[2*i+1] = float64(i), -float64(i)
	}
	if err := w.WriteColumns(half, ids, z, x); err != nil {
		t.Fatal(err)
	}
	for i := half; i < rows; i++ {
		w.Int64(0, int64(i))
		w.Int8s(1, []int8{int8(i % 2), int8((i + 1) % 2), int8((i + 2) % 2)})
		w.Float64s(2, []float64{float64(i), -float64(i)})
		if err := w.EndRow(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func checkSamples(t *testing.T, r *Reader, rows int) {
	t.Helper()
	n := 0
	for r.Next() {
		b := r.Batch()
		ids, err := b.Int64("id")
		if err != nil {
			t.Fatal(err)
		}
		z, nz, err := b.FixedInt8("z")
		if err != nil {
			t.Fatal(err)
		}
		x, nx, err := b.FixedFloat64("x")
		if err != nil {
			t.Fatal(err)
		}
		if nz != 3 || nx != 2 || len(z) != 3*b.Rows() || len(x) != 2*b.Rows() {
			t.Fatalf("sizes %d %d, lens %d %d for %d rows", nz, nx, len(z), len(x), b.Rows())
		}
		for i, id := range ids {
			if id != int64(n) {
				t.Fatalf("row %d: id %d", n, id)
			}
			for k := 0; k < 3; k++ {
				if z[3*i+k] != int8((n+k)%2) {
					t.Fatalf("row %d: z[%d] = %d", n, k, z[3*i+k])
				}
			}
			if x[2*i] != float64(n) || x[2*i+1] != -float64(n) {
				t.Fatalf("row %d: x = %v", n, x[2*i:2*i+2])
			}
			n++
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if n != rows || r.Rows() != int64(rows) {
		t.Fatalf("read %d rows (Rows %d), want %d", n, r.Rows(), rows)
	}
}

func TestRoundTripNoLeaks(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	data := writeSamples(t, mem, 1001, 100)
	r, err := Open("-", bytes.NewReader(data), withAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Expect(KindSamples, "augment"); err != nil {
		t.Fatal(err)
	}
	got := r.Meta()
	want := sampleMeta()
	if got.Kind != want.Kind || got.Model != want.Model || got.Config != want.Config || got.Format != FormatOf(KindSamples) ||
		len(got.Provenance) != 1 || got.Provenance[0].Tool != "hltm-gen" || string(got.Provenance[0].Config) != `{"seed":1}` {
		t.Fatalf("meta %+v", got)
	}
	checkSamples(t, r, 1001)
}

func TestDeterministicBytes(t *testing.T) {
	a := writeSamples(t, memory.DefaultAllocator, 300, 64)
	b := writeSamples(t, memory.DefaultAllocator, 300, 64)
	if !bytes.Equal(a, b) {
		t.Fatal("same rows gave different bytes")
	}
}

func TestZeroCopy(t *testing.T) {
	data := writeSamples(t, memory.DefaultAllocator, 10, 100)
	r, err := Open("-", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.Next() {
		t.Fatal(r.Err())
	}
	b := r.Batch()
	x, _, _ := b.FixedFloat64("x")
	child := b.rec.Column(2).(*array.FixedSizeList).ListValues().(*array.Float64).Float64Values()
	if unsafe.SliceData(x) != unsafe.SliceData(child) {
		t.Fatal("FixedFloat64 copied the values")
	}
}

func TestFileFormatPath(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	path := filepath.Join(dir, "s.arrow")
	w, err := Create(path, nil, sampleMeta(), sampleCols, withAllocator(mem), WithBatchRows(7))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if err := w.Append(i, []int8{int8(i % 2), int8((i + 1) % 2), int8((i + 2) % 2)}, []float64{float64(i), -float64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	head, _ := os.ReadFile(path)
	if !bytes.HasPrefix(head, []byte("ARROW1")) {
		t.Fatal("a .arrow output is not in the IPC file format")
	}
	r, err := Open(path, nil, withAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	checkSamples(t, r, 20)
	r.Close()
	// The same bytes on stdin are refused with a hint.
	_, err = Open("-", bytes.NewReader(head))
	wantErr(t, err, "stdin holds an Arrow IPC file, not a stream: pass it with --in FILE")
}

func TestAtomicOutput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.arrows")
	w, err := Create(path, nil, sampleMeta(), sampleCols)
	if err != nil {
		t.Fatal(err)
	}
	w.Append(1, []int8{0, 1, 0}, []float64{1, 2})
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("destination exists before Close")
	}
	w.Abort()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("Abort left %v", ents)
	}
	w, _ = Create(path, nil, sampleMeta(), sampleCols)
	defer w.Abort()
	w.Append(1, []int8{0, 1, 0}, []float64{1, 2})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 || ents[0].Name() != "out.arrows" {
		t.Fatalf("after Close: %v", ents)
	}
	r, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tab, err := ReadTable(r)
	if err != nil || tab.Rows() != 1 {
		t.Fatal(tab, err)
	}
}

func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want it to contain %q", err, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %q spans lines", err)
	}
}

func TestBadInputs(t *testing.T) {
	good := writeSamples(t, memory.DefaultAllocator, 50, 10)
	_, err := Open("-", bytes.NewReader(nil))
	wantErr(t, err, "stdin: empty input")
	_, err = Open("-", strings.NewReader("hello, world, not arrow at all"))
	wantErr(t, err, "stdin: not an Arrow IPC stream")
	_, err = Open(filepath.Join(t.TempDir(), "missing.arrows"), nil)
	wantErr(t, err, "missing.arrows: no such file or directory")

	// Truncated in the middle of a batch, and exactly before the end marker.
	for _, cut := range []int{len(good) / 2, len(good) - 8} {
		r, err := Open("-", bytes.NewReader(good[:cut]))
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
		}
		if cut == len(good)-8 {
			wantErr(t, r.Err(), "stdin: stream ends without its end-of-stream marker after 50 rows")
		} else {
			wantErr(t, r.Err(), "stdin: truncated or corrupt Arrow stream after")
		}
		r.Close()
	}

	// Wrong kind names the stage that makes the right one.
	var buf bytes.Buffer
	m := sampleMeta()
	m.Kind = KindViews
	w, _ := Create("-", &buf, m, sampleCols)
	w.Close()
	r, err := OpenReader(bytes.NewReader(buf.Bytes()), "samples.arrows")
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, r.Expect(KindSamples, "probe"), "samples.arrows is a views file; probe needs hltm-samples (made by hltm-gen)")
	if _, err := r.Column("x", Float64); err == nil || err.Error() != "arrowio: samples.arrows: column x is fixed_size_list<float64>[2], want float64" {
		t.Fatalf("type error %v", err)
	}
	if _, err := r.Column("y", Float64); err == nil || err.Error() != "arrowio: samples.arrows: no column y (columns: id, z, x)" {
		t.Fatalf("missing column error %v", err)
	}
	r.Close()
	// Format versions: format_test.go.
}

func TestTidyTable(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cols := []Column{{Name: "epoch", Type: Int32}, {Name: "node", Type: String}, {Name: "best_abs_corr", Type: Float64},
		{Name: "leaf", Type: Bool}, {Name: "w", Type: ListFloat64}}
	var buf bytes.Buffer
	w, err := Create("-", &buf, Meta{Kind: KindProbe}, cols, withAllocator(mem), WithBatchRows(3))
	if err != nil {
		t.Fatal(err)
	}
	for e := 0; e < 10; e++ {
		if err := w.Append(e, "z1", float64(e)/10, e%2 == 0, make([]float64, e)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Append(1, 2, 3, 4, 5); err == nil {
		t.Fatal("Append accepted wrong types")
	}
	w.Abort()
	buf.Reset()
	w, _ = Create("-", &buf, Meta{Kind: KindProbe}, cols, withAllocator(mem), WithBatchRows(3))
	for e := 0; e < 10; e++ {
		w.Append(e, "z1", float64(e)/10, e%2 == 0, make([]float64, e))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(bytes.NewReader(buf.Bytes()), "probe.arrows", withAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tab, err := ReadTable(r)
	if err != nil {
		t.Fatal(err)
	}
	ep, _ := tab.Int32("epoch")
	v, _ := tab.Float64("best_abs_corr")
	lf, _ := tab.Bool("leaf")
	ws, _ := tab.ListFloat64("w")
	if tab.Rows() != 10 || len(ep) != 10 || ep[9] != 9 || v[3] != 0.3 || !lf[4] || len(ws[7]) != 7 {
		t.Fatalf("table %v %v %v", ep, v, ws)
	}
	if _, err := tab.Int64("best_abs_corr"); err == nil || err.Error() != "arrowio: probe.arrows: column best_abs_corr is float64, want int64" {
		t.Fatalf("type error %v", err)
	}
}

// TestPipePath reads a stream from a named pipe (as with --in <(cmd)),
// which cannot seek.
func TestPipePath(t *testing.T) {
	data := writeSamples(t, memory.DefaultAllocator, 30, 7)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	go func() {
		pw.Write(data)
		pw.Close()
	}()
	r, err := Open(fmt.Sprintf("/dev/fd/%d", pr.Fd()), nil)
	if err != nil {
		t.Skipf("no /dev/fd: %v", err)
	}
	defer r.Close()
	checkSamples(t, r, 30)
}

// TestLargeTypes reads large_string and large_list<float64> columns (as
// polars writes them) through the String and ListFloat64 accessors.
func TestLargeTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	md := arrow.NewMetadata([]string{KeyKind, KeyFormat}, []string{string(KindProbe), "1.0"})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "node", Type: arrow.BinaryTypes.LargeString},
		{Name: "w", Type: arrow.LargeListOf(arrow.PrimitiveTypes.Float64)},
	}, &md)
	b := array.NewRecordBuilder(mem, schema)
	b.Field(0).(*array.LargeStringBuilder).AppendValues([]string{"root", "z1"}, nil)
	lb := b.Field(1).(*array.LargeListBuilder)
	lb.Append(true)
	lb.ValueBuilder().(*array.Float64Builder).AppendValues([]float64{1, 2}, nil)
	lb.Append(true)
	rec := b.NewRecord()
	b.Release()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	rec.Release()
	w.Close()

	r, err := OpenReader(bytes.NewReader(buf.Bytes()), "polars.arrows", withAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tab, err := ReadTable(r)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err1 := tab.String("node")
	ws, err2 := tab.ListFloat64("w")
	if err1 != nil || err2 != nil || !slices.Equal(nodes, []string{"root", "z1"}) || !slices.Equal(ws[0], []float64{1, 2}) || len(ws[1]) != 0 {
		t.Fatalf("nodes %v %v, w %v %v", nodes, err1, ws, err2)
	}
}

// TestPlannedRows checks the row count a file's provenance plans: hltm-gen's
// -n for samples, n × --pairs for augment's views of them, and 0 (unknown)
// for anything else.
func TestPlannedRows(t *testing.T) {
	gen := Step{Tool: "hltm-gen", Config: []byte(`{"n":3200000,"depth":5}`)}
	aug := Step{Tool: "augment", Config: []byte(`{"pairs":2}`)}
	stamp := Step{Tool: "dualssl-stamp", Config: []byte(`{"kind":"views"}`)}
	for _, c := range []struct {
		m    Meta
		want int64
	}{
		{Meta{Kind: KindSamples, Provenance: []Step{gen}}, 3200000},
		{Meta{Kind: KindViews, Provenance: []Step{gen, aug}}, 6400000},
		{Meta{Kind: KindViews, Provenance: []Step{gen, stamp, aug}}, 0},
		{Meta{Kind: KindViews, Provenance: []Step{stamp}}, 0},
		{Meta{Kind: KindSamples, Provenance: []Step{{Tool: "hltm-gen", Config: []byte(`{"n":0}`)}}}, 0},
		{Meta{Kind: KindSamples, Provenance: []Step{{Tool: "hltm-gen", Config: []byte(`{"n":1.5}`)}}}, 0},
		{Meta{Kind: KindSamples, Provenance: []Step{{Tool: "hltm-gen", Config: []byte(`{"n":"9"}`)}}}, 0},
		{Meta{Kind: KindViews, Provenance: []Step{{Tool: "hltm-gen", Config: []byte(`{"n":9007199254740992}`)}, aug}}, 0},
		{Meta{Kind: KindNetwork, Provenance: []Step{gen, aug, {Tool: "ssl-train", Config: []byte(`{}`)}}}, 0},
		{Meta{Kind: KindSamples}, 0},
	} {
		if got := c.m.PlannedRows(); got != c.want {
			t.Errorf("%s %v: PlannedRows %d, want %d", c.m.Kind, c.m.Provenance, got, c.want)
		}
	}
}
