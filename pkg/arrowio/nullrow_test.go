package arrowio_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/arrowio/arrowiotest"
)

// TestNullRowBits checks arrowiotest.NullRow on the bit-packed columns the
// tools write (a null row of a fixed_size_list<bool>, as another program
// may write it) and that every reader refuses it in one line naming file,
// column and row, x_a through ViewsReader and z_a through Batch.Binary.
func TestNullRowBits(t *testing.T) {
	const rows, nodes, leaves = 9, 7, 4
	for _, col := range []string{"x_a", "z_a", "x_neg"} {
		path := filepath.Join(t.TempDir(), "v.arrows")
		w, err := arrowio.Create(path, nil, arrowio.Meta{Kind: arrowio.KindViews}, arrowio.ViewsColumns(nodes, leaves, 1, arrowio.Bits), arrowio.WithBatchRows(4))
		if err != nil {
			t.Fatal(err)
		}
		z := []int8{1, 0, 1, 1, 0, 0, 1}
		for i := 0; i < rows; i++ {
			if err := w.Append(int64(i), int64(1), z[3:], z[3:], z, z, z[:4]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := arrowiotest.NullRow(path, col, 5); err != nil {
			t.Fatal(err)
		}
		r, err := arrowio.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		v, err := arrowio.NewViewsReader(r, "test", true)
		if err != nil {
			t.Fatal(err)
		}
		for err == nil && v.Next() {
			if _, err = v.Views(); err == nil {
				_, _, err = v.Batch().Binary("z_a")
			}
		}
		if err == nil {
			err = v.Err()
		}
		want := "v.arrows: column " + col + " is null in row 5; dualssl files have no nulls"
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("null %s: %v, want …%s", col, err, want)
		}
		r.Close()
	}
}
