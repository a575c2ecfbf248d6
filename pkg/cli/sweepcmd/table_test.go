package sweepcmd

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/sweep"
)

// writeRead writes a small table with arrowio and reads it back.
func writeRead(t *testing.T, kind arrowio.Kind, cols []arrowio.Column, rows ...[]any) *arrowio.Table {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.arrows")
	w, err := arrowio.Create(path, nil, arrowio.Meta{Kind: kind}, cols)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Append(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	tab, err := readTable(path, kind)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestGather(t *testing.T) {
	g, err := sweep.ParseGrid("g", []byte("hid = 2, 4\n"))
	if err != nil {
		t.Fatal(err)
	}
	runs, _ := g.Runs()
	probeCols := []arrowio.Column{{Name: "epoch", Type: arrowio.Int32}, {Name: "level", Type: arrowio.Int32},
		{Name: "best_abs_corr", Type: arrowio.Float64}, {Name: "z", Type: arrowio.FixedInt8, Size: 2}, {Name: "seed", Type: arrowio.Int32}}
	covopCols := []arrowio.Column{{Name: "epoch", Type: arrowio.Int64}, {Name: "level", Type: arrowio.Int32},
		{Name: "trace", Type: arrowio.Float64}, {Name: "eig", Type: arrowio.ListFloat64}}
	parts := []part{
		{runs[0], writeRead(t, arrowio.KindProbe, probeCols, []any{int32(0), int32(1), 0.5, []int8{1, 0}, int32(7)})},
		{runs[0], writeRead(t, arrowio.KindCovop, covopCols, []any{int64(3), int32(0), 2.5, []float64{2, 0.5}})},
		{runs[1], writeRead(t, arrowio.KindProbe, probeCols, []any{int32(5), int32(0), 0.9, []int8{0, 1}, int32(8)}, []any{int32(6), int32(0), 0.95, []int8{1, 1}, int32(9)})},
	}
	tab, err := gather(parts)
	if err != nil {
		t.Fatal(err)
	}
	if tab.rows != 4 {
		t.Fatalf("%d rows, want 4", tab.rows)
	}
	var names []string
	col := map[string]any{}
	for i, c := range tab.cols {
		names = append(names, c.Name+":"+c.String())
		col[c.Name] = tab.data[i]
	}
	// Grid parameters after run and kind; then the union of the tables'
	// columns: shared ones keep their (widened) type, one-sided ones get
	// room for missing values; a column named like a parameter is renamed.
	want := "run:string kind:string depth:int64"
	if got := strings.Join(names, " "); !strings.HasPrefix(got, want) ||
		!strings.HasSuffix(got, "seed:int64 epoch:int64 level:int64 best_abs_corr:float64 z:list<float64> table_seed:float64 trace:float64 eig:list<float64>") {
		t.Errorf("columns: %s", got)
	}
	if k := col["kind"].([]string); strings.Join(k, ",") != "probe,covop,probe,probe" {
		t.Errorf("kind = %v", k)
	}
	if r := col["run"].([]string); r[0] != "hid=2/seed=1" || r[3] != "hid=4/seed=1" {
		t.Errorf("run = %v", r)
	}
	if h := col["hid"].([]int64); h[0] != 2 || h[1] != 2 || h[2] != 4 {
		t.Errorf("hid = %v", h)
	}
	if e := col["epoch"].([]int64); e[1] != 3 || e[3] != 6 {
		t.Errorf("epoch = %v", e)
	}
	b := col["best_abs_corr"].([]float64)
	if b[0] != 0.5 || !math.IsNaN(b[1]) || b[3] != 0.95 {
		t.Errorf("best_abs_corr = %v", b)
	}
	if z := col["z"].([][]float64); len(z[1]) != 0 || z[2][1] != 1 || z[0][0] != 1 {
		t.Errorf("z = %v", z)
	}
	if s := col["table_seed"].([]float64); s[0] != 7 || !math.IsNaN(s[1]) {
		t.Errorf("table_seed = %v", s)
	}
	if e := col["eig"].([][]float64); len(e[0]) != 0 || e[1][0] != 2 {
		t.Errorf("eig = %v", e)
	}

	// A column that is a string in one table and a number in another cannot be stacked.
	bad := writeRead(t, arrowio.KindProbe, []arrowio.Column{{Name: "level", Type: arrowio.String}}, []any{"root"})
	if _, err := gather([]part{parts[0], {runs[1], bad}}); err == nil || !strings.Contains(err.Error(), "hid=4/seed=1: column level is string here but int32") {
		t.Errorf("type clash: %v", err)
	}
}

func TestRunStatus(t *testing.T) {
	dir := t.TempDir()
	if got := runStatus(filepath.Join(dir, "nowhere")); got != "not run" {
		t.Errorf("missing dir: %q", got)
	}
	if got := runStatus(dir); got != "unfinished (interrupted, or still running)" {
		t.Errorf("empty dir: %q", got)
	}
	for _, tc := range []struct{ failed, want string }{
		{"net\n", "failed at stage net (see its make or Slurm log)"},
		{"pairs\nnet\npairs\n", "failed at stages pairs, net (see its make or Slurm log)"},
	} {
		if err := os.WriteFile(filepath.Join(dir, sweep.FileFailed), []byte(tc.failed), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := runStatus(dir); got != tc.want {
			t.Errorf("FAILED %q: %q, want %q", tc.failed, got, tc.want)
		}
	}
}
