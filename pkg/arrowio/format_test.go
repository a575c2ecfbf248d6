package arrowio

import (
	"bytes"
	"slices"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// TestFormatWritten checks the version each kind is written with: 3.0 for
// the kinds whose 0/1 columns became bit-packed (samples, views; 2.0 when
// they are written as int8), 1.0 for the others.
func TestFormatWritten(t *testing.T) {
	for _, k := range Kinds {
		want, bytes8 := "1.0", "1.0"
		if k == KindSamples || k == KindViews {
			want, bytes8 = "3.0", "2.0"
		}
		if got := FormatOf(k); got != want {
			t.Errorf("FormatOf(%s) = %s, want %s", k, got, want)
		}
		for _, c := range []struct {
			cols []Column
			want string
		}{
			{SamplesColumns(3, 2, Bits), want},
			{ViewsColumns(3, 2, 1, Bits), want},
			{SamplesColumns(3, 2, Bytes), bytes8},
			{ViewsColumns(3, 2, 1, Bytes), bytes8},
			// One bit-packed column makes a 3.0 file; float64 lists alone
			// are read by 2.x.
			{[]Column{{Name: "z", Type: FixedBool, Size: 3}, {Name: "x", Type: FixedInt8, Size: 2}}, want},
			{[]Column{{Name: "x_a", Type: FixedFloat64, Size: 2}, {Name: "x_b", Type: FixedFloat64, Size: 2}}, bytes8},
		} {
			if got := FormatFor(k, c.cols); got != c.want {
				t.Errorf("FormatFor(%s, %v) = %s, want %s", k, c.cols, got, c.want)
			}
		}
		if got := (Meta{}).WithStep(k, "t", "0", "").Format; got != want {
			t.Errorf("WithStep(%s).Format = %s, want %s", k, got, want)
		}
		var buf bytes.Buffer
		w, err := Create("-", &buf, Meta{Kind: k}, []Column{{Name: "a", Type: Int64}})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := OpenReader(bytes.NewReader(buf.Bytes()), "f.arrows")
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Meta().Format; got != want {
			t.Errorf("%s file: format %s, want %s", k, got, want)
		}
		r.Close()
	}
}

// formatFile writes a file of kind k, format f and columns cols with one
// row of vals.
func formatFile(t *testing.T, k Kind, f string, cols []Column, vals ...any) []byte {
	t.Helper()
	m := sampleMeta()
	m.Kind, m.Format = k, f
	var buf bytes.Buffer
	w, err := Create("-", &buf, m, cols)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(vals...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFormatVersions reads samples and views of format 1.0 (float64
// observation columns, as dualssl wrote them before 2.0), 2.0 (int8, or
// float64 from another program) and 3.0 (bool, or either of the others),
// and refuses a newer major with a one-line error that says so.
func TestFormatVersions(t *testing.T) {
	f64 := []Column{{Name: "id", Type: Int64}, {Name: "z", Type: FixedInt8, Size: 3}, {Name: "x", Type: FixedFloat64, Size: 2}}
	i8 := SamplesColumns(3, 2, Bytes)
	bits := SamplesColumns(3, 2, Bits)
	bitsF64 := append([]Column{}, bits...)
	bitsF64[2].Type = FixedFloat64
	for _, c := range []struct {
		format string
		cols   []Column
		x      any
	}{
		{"1.0", f64, []float64{1, 0}},
		{"1.3", f64, []float64{1, 0}},
		{"2.0", i8, []int8{1, 0}},
		{"2.0", f64, []float64{1, 0}},
		{"2.9", i8, []int8{1, 0}},
		{"3.0", bits, []int8{1, 0}},
		{"3.0", i8, []int8{1, 0}},
		{"3.0", bitsF64, []float64{1, 0}},
		{"3.1", bits, []int8{1, 0}},
	} {
		data := formatFile(t, KindSamples, c.format, c.cols, int64(7), []int8{0, 1, 1}, c.x)
		r, err := OpenReader(bytes.NewReader(data), "s.arrows")
		if err != nil {
			t.Fatalf("format %s: %v", c.format, err)
		}
		s, err := NewSamplesReader(r, "probe", 3, 2)
		if err != nil {
			t.Fatalf("format %s: %v", c.format, err)
		}
		if !s.Next() {
			t.Fatalf("format %s: no batch: %v", c.format, s.Err())
		}
		b, err := s.Samples()
		if err != nil || b.Rows != 1 || b.ID[0] != 7 || !slices.Equal(b.Z, []int8{0, 1, 1}) || !slices.Equal(b.X, []float64{1, 0}) {
			t.Fatalf("format %s: batch %+v, %v", c.format, b, err)
		}
		r.Close()
	}

	vf64 := ViewsColumns(3, 2, 1, Bytes)
	for i := range vf64 {
		if vf64[i].Name[0] == 'x' {
			vf64[i].Type = FixedFloat64
		}
	}
	x := []float64{0, 1}
	data := formatFile(t, KindViews, "1.0", vf64, int64(0), int64(1), x, x, []int8{1, 0, 1}, []int8{1, 0, 1}, x)
	r, err := OpenReader(bytes.NewReader(data), "v.arrows")
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewViewsReader(r, "ssl-train", true)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Next() {
		t.Fatal(v.Err())
	}
	if b, err := v.Views(); err != nil || !slices.Equal(b.XA, x) || !slices.Equal(b.XNeg, x) || b.Key[0] != 1 {
		t.Fatalf("views 1.0: %+v, %v", b, err)
	}
	r.Close()

	// A newer major is refused, whatever the columns; so is a version
	// that is none.
	for _, c := range []struct {
		kind   Kind
		format string
		want   string
	}{
		{KindSamples, "4.0", `new.arrows: written by a newer dualssl (format 4.0); upgrade (this dualssl reads hltm-samples files up to format 3.x)`},
		{KindViews, "9.0", `new.arrows: written by a newer dualssl (format 9.0); upgrade (this dualssl reads views files up to format 3.x)`},
		{KindProbe, "2.0", `new.arrows: written by a newer dualssl (format 2.0); upgrade (this dualssl reads probe files up to format 1.x)`},
		{KindSamples, "0.9", `new.arrows: dualssl.format "0.9" is not a dualssl format version (major.minor, as 3.0)`},
		{KindProbe, "one", `new.arrows: dualssl.format "one" is not a dualssl format version (major.minor, as 1.0)`},
	} {
		data := formatFile(t, c.kind, c.format, []Column{{Name: "a", Type: Int64}}, int64(1))
		_, err := OpenReader(bytes.NewReader(data), "new.arrows")
		wantErr(t, err, c.want)
	}
}

// TestOlderReaderRefusesBits checks what a dualssl of format 2 (before bit
// packing) says of the files this one writes by default: not a column type
// error, but the one-line "written by a newer dualssl … upgrade"; and that
// it reads the files written with Bytes.
func TestOlderReaderRefusesBits(t *testing.T) {
	saved := formatMajors
	defer func() { formatMajors = saved }()
	formatMajors = map[Kind]int{KindSamples: 2, KindViews: 2} // as dualssl 2.x had it
	for _, kind := range []Kind{KindSamples, KindViews} {
		for _, enc := range []Binary{Bits, Bytes} {
			var buf bytes.Buffer
			cols := ViewsColumns(3, 2, 0, enc)
			if kind == KindSamples {
				cols = SamplesColumns(3, 2, enc)
			}
			m := Meta{Kind: kind, Format: FormatFor(kind, cols)}
			if enc == Bits {
				// What this build writes: FormatOf(kind) before the override.
				m.Format = "3.0"
			}
			w, err := Create("-", &buf, m, cols)
			if err != nil {
				t.Fatal(err)
			}
			w.Close()
			_, err = OpenReader(bytes.NewReader(buf.Bytes()), "new.arrows")
			if enc == Bytes {
				if err != nil {
					t.Errorf("%s as int8 (format 2.0): %v", kind, err)
				}
				continue
			}
			wantErr(t, err, "new.arrows: written by a newer dualssl (format 3.0); upgrade (this dualssl reads "+string(kind)+" files up to format 2.x)")
		}
	}
}

// nullRowFile writes a file of kind k with one column per name, each a
// fixed_size_list<float64>[2] of rows rows, with row null of column
// nullCol null (AppendNull: what no dualssl writer does, but another
// program may).
func nullRowFile(t *testing.T, mem memory.Allocator, k Kind, names []string, nullCol string, rows, null int) []byte {
	t.Helper()
	m := sampleMeta()
	m.Kind = k
	cols := []Column{{Name: "id", Type: Int64}, {Name: "key", Type: Int64}, {Name: "z", Type: FixedInt8, Size: 3}}
	for _, n := range names {
		cols = append(cols, Column{Name: n, Type: FixedFloat64, Size: 2})
	}
	schema, err := schemaOf(m, cols)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := 0; i < rows; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.Int64Builder).Append(0)
		zb := b.Field(2).(*array.FixedSizeListBuilder)
		zb.Append(true)
		zb.ValueBuilder().(*array.Int8Builder).AppendValues([]int8{0, 1, 0}, nil)
		for j, n := range names {
			lb := b.Field(3 + j).(*array.FixedSizeListBuilder)
			if n == nullCol && i == null {
				lb.AppendNull()
				continue
			}
			lb.Append(true)
			lb.ValueBuilder().(*array.Float64Builder).AppendValues([]float64{1, 0}, nil)
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	// Two batches: the row named in the error counts from the file's start.
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestNullRows checks that a null observation row (a null x of samples, a
// null x_a, x_b or x_neg of views) is refused with a one-line error naming
// the file, column and row, by the typed readers and by ReadTable.
func TestNullRows(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 4
	read := func(data []byte, each func(r *Reader) error) error {
		t.Helper()
		r, err := OpenReader(bytes.NewReader(data), "n.arrows", withAllocator(mem))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if err := each(r); err != nil {
			return err
		}
		return r.Err()
	}

	data := nullRowFile(t, mem, KindSamples, []string{"x"}, "x", rows, 2)
	err := read(data, func(r *Reader) error {
		s, err := NewSamplesReader(r, "probe", 3, 2)
		if err != nil {
			t.Fatal(err)
		}
		for s.Next() {
			if _, err := s.Samples(); err != nil {
				return err
			}
		}
		return nil
	})
	wantErr(t, err, "n.arrows: column x is null in row 2; dualssl files have no nulls")

	for _, col := range []string{"x_a", "x_b", "x_neg"} {
		data := nullRowFile(t, mem, KindViews, []string{"x_a", "x_b", "x_neg"}, col, rows, 3)
		err := read(data, func(r *Reader) error {
			v, err := NewViewsReader(r, "ssl-train", true)
			if err != nil {
				t.Fatal(err)
			}
			for v.Next() {
				if _, err := v.Views(); err != nil {
					return err
				}
			}
			return nil
		})
		wantErr(t, err, "n.arrows: column "+col+" is null in row 3; dualssl files have no nulls")
		// The row counts from the start of the file, not of its batch.
		err = read(data, func(r *Reader) error {
			r.Next()
			if r.Next() {
				_, _, err := r.Batch().FixedFloat64(col)
				return err
			}
			return nil
		})
		wantErr(t, err, "n.arrows: column "+col+" is null in row 7; dualssl files have no nulls")
		err = read(data, func(r *Reader) error { _, err := ReadTable(r); return err })
		wantErr(t, err, "n.arrows: column "+col+" is null in row 3; dualssl files have no nulls")
	}
}
