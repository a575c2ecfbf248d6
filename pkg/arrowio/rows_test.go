package arrowio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// Strings read from a stream outlive their record batch: a table of one
// row per batch reads back the same names through ReadTable (hltm-sweep
// report's path), the typed RowReader and ReadAll, although the stream
// reader reuses its buffer for every batch.
func TestRowsAcrossBatches(t *testing.T) {
	var buf bytes.Buffer
	w, err := Create("-", &buf, Meta{Kind: KindProbe}, ProbeNeurons.Columns(), WithBatchRows(1))
	if err != nil {
		t.Fatal(err)
	}
	rw := ProbeNeurons.Writer(w)
	const n = 50
	for i := range n {
		if err := rw.Write(ProbeNeuron{Epoch: int32(i), Name: fmt.Sprintf("node-%02d-%s", i, string(rune('a'+i%26))), Corr: float64(i) / 8}); err != nil {
			t.Fatal(err)
		}
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	want := func(i int) string { return fmt.Sprintf("node-%02d-%s", i, string(rune('a'+i%26))) }

	r, err := OpenReader(bytes.NewReader(buf.Bytes()), "t")
	if err != nil {
		t.Fatal(err)
	}
	tab, err := ReadTable(r)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := tab.String("name")
	for i := range n {
		if names[i] != want(i) {
			t.Fatalf("ReadTable row %d: name %q, want %q", i, names[i], want(i))
		}
	}

	r, _ = OpenReader(bytes.NewReader(buf.Bytes()), "t")
	rows, err := ProbeNeurons.ReadAll(r)
	if err != nil || len(rows) != n {
		t.Fatalf("ReadAll: %d rows, %v", len(rows), err)
	}
	for i, row := range rows {
		if row.Name != want(i) || row.Epoch != int32(i) || row.Corr != float64(i)/8 {
			t.Fatalf("ReadAll row %d: %+v", i, row)
		}
	}

	// A missing column is ErrNoColumn.
	r, _ = OpenReader(bytes.NewReader(buf.Bytes()), "t")
	if _, err := ProbeNodes.Reader(r); !errors.Is(err, ErrNoColumn) {
		t.Fatalf("probe nodes from a neurons table: %v, want ErrNoColumn", err)
	}
	r, _ = OpenReader(bytes.NewReader(buf.Bytes()), "t")
	rr, _ := ProbeNeurons.Reader(r)
	for i := 0; ; i++ {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			if i != n {
				t.Fatalf("Next: %d rows", i)
			}
			break
		}
		if err != nil || row.Name != want(i) {
			t.Fatalf("Next row %d: %+v, %v", i, row, err)
		}
	}
}
