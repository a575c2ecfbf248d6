package e2e

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli/augmentcmd"
	"github.com/dualssl/dualssl/pkg/cli/covopcmd"
	"github.com/dualssl/dualssl/pkg/cli/hltmgencmd"
	"github.com/dualssl/dualssl/pkg/cli/probecmd"
	"github.com/dualssl/dualssl/pkg/cli/ssltraincmd"
)

// readTable reads the table file path whole; its reader closes when the
// test ends.
func readTable(t *testing.T, path string) *arrowio.Table {
	t.Helper()
	r, err := arrowio.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	tab, err := arrowio.ReadTable(r)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// finiteColumns checks that every float64 value of a tidy table is finite,
// except in the columns allowed to hold NaN (documented per tool).
func finiteColumns(t *testing.T, path string, nanOK func(col string) bool) {
	t.Helper()
	tab := readTable(t, path)
	for _, c := range tab.Columns() {
		if c.Type != arrowio.Float64 || nanOK(c.Name) {
			continue
		}
		vals, _ := tab.Float64(c.Name)
		for i, v := range vals {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s: column %s row %d is %v", filepath.Base(path), c.Name, i, v)
			}
		}
	}
}

// A batch of identical rows (every sample and view the same) trains, probes
// and analyses to finite numbers: no NaN without saying so.
func TestIdenticalRows(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	const rows = 256
	z := []int8{1, 0, 1, 1, 0, 0, 1}
	x := []float64{1, 0, 0, 1}
	write := func(path string, kind arrowio.Kind, cols []arrowio.Column, row ...any) {
		meta := arrowio.Meta{Model: model2}.WithStep(kind, "test", "0", "{}")
		w, err := arrowio.Create(path, nil, meta, cols)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < rows; i++ {
			row[0] = int64(i)
			if err := w.Append(row...); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write(p("s"), arrowio.KindSamples, []arrowio.Column{{Name: "id", Type: arrowio.Int64},
		{Name: "z", Type: arrowio.FixedInt8, Size: 7}, {Name: "x", Type: arrowio.FixedFloat64, Size: 4}}, int64(0), z, x)
	write(p("v"), arrowio.KindViews, viewCols(4, 7, 4), int64(0), int64(1), x, x, z, z)

	for _, loss := range []string{"nce-ref", "simp", "tri"} {
		out := p("n-" + loss)
		if err, msg := run(t, ssltraincmd.App(), "--in", p("v"), "--loss", loss, "--hid", "2", "--epochs", "3", "--batch", "32", "-q", "--out", out); err != nil {
			t.Fatalf("ssl-train --loss %s on identical rows: %v %s", loss, err, msg)
		}
		pr := p("p-" + loss)
		if err, msg := run(t, probecmd.App(), "--in", out, "--data", p("s"), "-q", "--out", pr); err != nil {
			t.Fatalf("probe: %v %s", err, msg)
		}
		finiteColumns(t, pr, func(c string) bool { return c == "amp_spearman" }) // NaN documented: all |corr| equal
		cv := p("c-" + loss)
		if err, msg := run(t, covopcmd.App(), "--in", out, "--data", p("v"), "--top", "2", "-q", "--out", cv); err != nil {
			t.Fatalf("covop: %v %s", err, msg)
		}
		// covop documents NaN for w_op_w and check_rel_err of node rows.
		finiteColumns(t, cv, func(c string) bool { return c == "w_op_w" || c == "check_rel_err" })
	}
}

// A learning rate that diverges stops ssl-train at the first non-finite
// step with one line that says so, keeping the snapshots before it; no NaN
// reaches the file.
func TestDivergingLearningRate(t *testing.T) {
	fx := fixture(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "v.arrows"), filepath.Join(dir, "n.arrows")
	if err := os.WriteFile(in, fx["v"], 0o644); err != nil {
		t.Fatal(err)
	}
	err, _ := run(t, ssltraincmd.App(), "--in", in, "--loss", "simp", "--normalize=false", "--lr", "1e6", "--hid", "2",
		"--epochs", "5", "--batch", "16", "-q", "--out", out)
	if err == nil || !strings.Contains(err.Error(), "non-finite") || !strings.Contains(err.Error(), "the snapshots up to epoch") {
		t.Fatalf("got %v, want a non-finite error that names the kept snapshots", err)
	}
	nr, err := arrowio.OpenNetwork(out, nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer nr.Close()
	snaps := 0
	for {
		_, net, err := nr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		snaps++
		for _, l := range net.Layers {
			for _, b := range l.Blocks {
				for _, v := range append(append([]float64(nil), b.W...), b.B...) {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("snapshot %d holds %v", snaps, v)
					}
				}
			}
		}
	}
	if snaps == 0 {
		t.Fatal("no snapshot kept")
	}
}

// A degenerate tree (depth 1, polarity 0 everywhere: the leaves say
// nothing about the root) runs through the whole pipeline to finite
// numbers: probe's ceiling is 0, covop's exact operators exist.
func TestDegenerateTree(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	steps := [][]string{
		{"hltm-gen", "--depth", "1", "--children", "2", "--polarity", "0,0", "-n", "512", "-q", "--out", p("s")},
		{"augment", "--in", p("s"), "-q", "--out", p("v")},
		{"ssl-train", "--in", p("v"), "--hid", "2", "--epochs", "2", "--batch", "32", "-q", "--out", p("n")},
		{"probe", "--in", p("n"), "--data", p("s"), "-q", "--out", p("p")},
		{"covop", "--in", p("n"), "--data", p("v"), "--top", "2", "-q", "--out", p("c")},
		{"covop", "--in", p("n"), "--exact", "--top", "2", "-q", "--out", p("ce")},
	}
	apps := map[string]func() *ucli.App{"hltm-gen": hltmgencmd.App, "augment": augmentcmd.App, "ssl-train": ssltraincmd.App, "probe": probecmd.App, "covop": covopcmd.App}
	for _, s := range steps {
		if err, msg := run(t, apps[s[0]](), s[1:]...); err != nil {
			t.Fatalf("%s: %v %s", s[0], err, msg)
		}
	}
	finiteColumns(t, p("p"), func(string) bool { return false })
	ceil, _ := readTable(t, p("p")).Float64("ceiling")
	for _, c := range ceil {
		if c != 0 {
			t.Fatalf("ceiling %v with polarity 0, want 0", c)
		}
	}
	nanOK := func(c string) bool { return c == "w_op_w" || c == "check_rel_err" }
	finiteColumns(t, p("c"), nanOK)
	finiteColumns(t, p("ce"), nanOK)
}

// A network whose weights and biases are all zero (every neuron constant)
// probes and analyses to finite numbers.
func TestZeroWeights(t *testing.T) {
	fx := fixture(t)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	for k, b := range fx {
		if err := os.WriteFile(p(k), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	nr, err := arrowio.OpenNetwork(p("n"), nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, net, err := nr.Next()
	if err != nil {
		t.Fatal(err)
	}
	meta := nr.Meta()
	nr.Close()
	for _, l := range net.Layers {
		for _, b := range l.Blocks {
			clear(b.W)
			clear(b.B)
		}
	}
	w, err := arrowio.CreateNetwork(p("zero"), nil, meta, net, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(0, net, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err, msg := run(t, probecmd.App(), "--in", p("zero"), "--data", p("s"), "-q", "--out", p("p")); err != nil {
		t.Fatalf("probe: %v %s", err, msg)
	}
	finiteColumns(t, p("p"), func(c string) bool { return c == "amp_spearman" }) // NaN documented: all |corr| equal
	if err, msg := run(t, covopcmd.App(), "--in", p("zero"), "--data", p("v"), "--top", "2", "-q", "--out", p("c")); err != nil {
		t.Fatalf("covop: %v %s", err, msg)
	}
	finiteColumns(t, p("c"), func(c string) bool { return c == "w_op_w" || c == "check_rel_err" })
}
