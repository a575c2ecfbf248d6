package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli/augmentcmd"
	"github.com/dualssl/dualssl/pkg/cli/catcmd"
	"github.com/dualssl/dualssl/pkg/cli/covopcmd"
	"github.com/dualssl/dualssl/pkg/cli/hltmgencmd"
	"github.com/dualssl/dualssl/pkg/cli/probecmd"
	"github.com/dualssl/dualssl/pkg/cli/ssltraincmd"
)

// The fuzz tests feed each tool's input path arbitrary bytes: the tool
// must never panic, must fail with a one-line error, and must leave no
// output file (nor a temporary one) when it fails. Their seeds are valid
// inputs and the faults of issue 7: truncated, concatenated and corrupted
// streams, the wrong kind, a newer format version, schema drift (a missing
// column, a wrong type, a wrong list width) and absurd models (a million
// levels, negative sizes, out-of-range polarities). `go test` runs the
// seeds and testdata/fuzz/Fuzz*; `go test -fuzz FuzzAugment` explores.

// fuzzDeadline bounds one run on a small input (generous for -race on a
// loaded machine).
var fuzzDeadline = 30 * time.Second

// run runs a tool's app in this process with args and returns its error
// and stderr. Unlike cli.Main it does not recover a panic, so a panic
// fails the test. Text the tool writes to stdout is discarded.
func run(t testing.TB, app *ucli.App, args ...string) (error, string) {
	var stderr bytes.Buffer
	app.Writer, app.ErrWriter = &stderr, &stderr
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	stdout := os.Stdout
	os.Stdout = null
	defer func() { os.Stdout = stdout }()
	err = app.Run(append([]string{app.Name}, args...))
	return err, stderr.String()
}

// fixture makes the valid inputs: samples (s), views (v, and vn with
// explicit negatives), a network (n) of a depth-2 tree.
func fixture(t testing.TB) map[string][]byte {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	steps := []struct {
		app  *ucli.App
		args []string
	}{
		{hltmgencmd.App(), []string{"--depth", "2", "-n", "96", "--seed", "1", "-q", "--batch-rows", "40", "--out", p("s")}},
		{augmentcmd.App(), []string{"--in", p("s"), "-q", "--out", p("v")}},
		{augmentcmd.App(), []string{"--in", p("s"), "-q", "--negatives", "2", "--out", p("vn")}},
		{ssltraincmd.App(), []string{"--in", p("v"), "-q", "--hid", "2", "--epochs", "2", "--batch", "16", "--out", p("n")}},
	}
	for _, s := range steps {
		if err, msg := run(t, s.app, s.args...); err != nil {
			t.Fatalf("%s: %v %s", s.app.Name, err, msg)
		}
	}
	m := map[string][]byte{}
	for _, k := range []string{"s", "v", "vn", "n"} {
		b, err := os.ReadFile(p(k))
		if err != nil {
			t.Fatal(err)
		}
		m[k] = b
	}
	return m
}

// crafted writes a one-row file of the given kind, model and columns with
// arrowio, for schema drift and absurd models.
func crafted(t testing.TB, kind arrowio.Kind, model string, cols []arrowio.Column, row ...any) []byte {
	var buf bytes.Buffer
	meta := arrowio.Meta{Model: model}.WithStep(kind, "fuzz-seed", "0", "{}")
	w, err := arrowio.Create("-", &buf, meta, cols)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(row...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const model2 = `{"type":"hltm","depth":2,"children":2,"polarity":[0.9,-0.8,0.7,0.9,-0.9,0.8]}`

// absurdModels are model metadata no tool should trust.
var absurdModels = []string{
	`{"type":"hltm","depth":1000000,"children":2,"polarity":[0.5,0.5]}`,
	`{"type":"hltm","depth":-3,"children":2,"polarity":[]}`,
	`{"type":"hltm","depth":2,"children":-2,"polarity":[0.5]}`,
	`{"type":"hltm","depth":8,"children":1000,"polarity":[]}`,
	`{"type":"hltm","depth":1,"children":2,"polarity":[1e308,-7]}`,
	`{"type":"hltm","depth":1,"children":2}`,
	`{"type":"tree","depth":1,"children":2,"polarity":[0.5,0.5]}`,
}

// seeds returns the generic fault seeds made from a valid input b and a
// file of another kind.
func seeds(b, other []byte) [][]byte {
	out := [][]byte{b, other, nil, []byte("not arrow"), b[:len(b)/2], b[:len(b)-8], append(append([]byte(nil), b...), b...)}
	for _, k := range []int{40, len(b) / 3, len(b) - 40} {
		c := append([]byte(nil), b...)
		c[k] ^= 0x5a
		out = append(out, c)
	}
	// A newer major format version (1.0 or 3.0, as the kind has; 2.0
	// for a file written with --int8).
	for _, v := range []string{"1.0", "2.0", "3.0"} {
		if c := bytes.Replace(b, []byte("\x03\x00\x00\x00"+v+"\x00"), []byte("\x03\x00\x00\x009.0\x00"), 1); !bytes.Equal(c, b) {
			out = append(out, c)
		}
	}
	return out
}

// fuzzTool runs a tool on fuzzed bytes as its input file; args gets the
// input path and the output path.
func fuzzTool(f *testing.F, newApp func() *ucli.App, extra [][]byte, args func(fx map[string]string, in, out string) []string) {
	for _, b := range extra {
		f.Add(b)
	}
	fx := fixture(f)
	dir := f.TempDir()
	paths := map[string]string{}
	for k, b := range fx {
		paths[k] = filepath.Join(dir, k+".arrows")
		if err := os.WriteFile(paths[k], b, 0o644); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		work := t.TempDir()
		in, out := filepath.Join(work, "in.arrows"), filepath.Join(work, "out.arrows")
		if err := os.WriteFile(in, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// A hang or a runaway allocation is a fault too: crash the worker
		// so that the fuzzer keeps the input.
		watchdog := time.AfterFunc(fuzzDeadline, func() {
			panic(fmt.Sprintf("no answer after %v on this input", fuzzDeadline))
		})
		defer watchdog.Stop()
		err, stderr := run(t, newApp(), args(paths, in, out)...)
		if strings.Contains(stderr, "internal error") {
			t.Fatalf("stderr: %s", stderr)
		}
		left, _ := filepath.Glob(filepath.Join(work, ".*tmp*"))
		if len(left) > 0 {
			t.Fatalf("temporary files left: %v", left)
		}
		if err == nil {
			return
		}
		if msg := err.Error(); strings.ContainsRune(strings.TrimSpace(msg), '\n') || msg == "" {
			t.Fatalf("error not one line: %q", msg)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Fatalf("failed with %q but left %s", err, out)
		}
	})
}

func FuzzHltmGenFrom(f *testing.F) {
	fx := fixture(f)
	extra := seeds(fx["s"], fx["n"])
	for _, m := range absurdModels {
		extra = append(extra, crafted(f, arrowio.KindViews, m, []arrowio.Column{{Name: "id", Type: arrowio.Int64}}, 1))
	}
	fuzzTool(f, hltmgencmd.App, extra, func(_ map[string]string, in, out string) []string {
		return []string{"--from", in, "-n", "50", "-q", "--out", out}
	})
}

func FuzzAugment(f *testing.F) {
	fx := fixture(f)
	extra := seeds(fx["s"], fx["v"])
	s := func(model string, cols []arrowio.Column, row ...any) []byte {
		return crafted(f, arrowio.KindSamples, model, cols, row...)
	}
	id := arrowio.Column{Name: "id", Type: arrowio.Int64}
	z := arrowio.Column{Name: "z", Type: arrowio.FixedInt8, Size: 7}
	x := arrowio.Column{Name: "x", Type: arrowio.FixedFloat64, Size: 4}
	zs, xs := []int8{1, 0, 1, 1, 0, 0, 1}, []float64{1, 0, 0, 1}
	extra = append(extra,
		s(model2, []arrowio.Column{id, x}, 1, xs),                                                                 // no z
		s(model2, []arrowio.Column{id, {Name: "z", Type: arrowio.Float64}, x}, 1, 0.5, xs),                        // z of a wrong type
		s(model2, []arrowio.Column{id, {Name: "z", Type: arrowio.FixedInt8, Size: 3}, x}, 1, []int8{1, 0, 1}, xs), // z too narrow
		s(model2, []arrowio.Column{id, z, x}, 1, []int8{1, 0, 2, 1, 0, 0, 1}, xs),                                 // z not 0/1
		s("", []arrowio.Column{id, z, x}, 1, zs, xs),                                                              // no model
	)
	for _, m := range absurdModels {
		extra = append(extra, s(m, []arrowio.Column{id, z, x}, 1, zs, xs))
	}
	fuzzTool(f, augmentcmd.App, extra, func(_ map[string]string, in, out string) []string {
		return []string{"--in", in, "-q", "--threads", "2", "--out", out}
	})
}

// viewCols are the columns of a views file of a tree with nl leaves and nn
// nodes, with x_a of width wa.
func viewCols(nl, nn, wa int) []arrowio.Column {
	return []arrowio.Column{
		{Name: "id", Type: arrowio.Int64}, {Name: "key", Type: arrowio.Int64},
		{Name: "x_a", Type: arrowio.FixedFloat64, Size: wa}, {Name: "x_b", Type: arrowio.FixedFloat64, Size: nl},
		{Name: "z_a", Type: arrowio.FixedInt8, Size: nn}, {Name: "z_b", Type: arrowio.FixedInt8, Size: nn},
	}
}

func FuzzSSLTrain(f *testing.F) {
	fx := fixture(f)
	extra := append(seeds(fx["v"], fx["s"]), seeds(fx["vn"], fx["n"])...)
	z := []int8{1, 0, 1, 1, 0, 0, 1}
	v := func(model string, cols []arrowio.Column, row ...any) []byte {
		return crafted(f, arrowio.KindViews, model, cols, row...)
	}
	extra = append(extra,
		v(model2, viewCols(4, 7, 3), 1, 0, []float64{1, 0, 1}, []float64{1, 0, 0, 1}, z, z), // x_a too narrow
		v(model2, viewCols(4, 7, 4)[:3], 1, 0, []float64{1, 0, 0, 1}),                       // no x_b
		v(model2, append(viewCols(4, 7, 4)[:2], arrowio.Column{Name: "x_a", Type: arrowio.Float64}, arrowio.Column{Name: "x_b", Type: arrowio.Float64}), 1, 0, 0.5, 0.5),
		v(model2, viewCols(4, 7, 4), 1, 0, []float64{1e308, -1e308, 1e308, 0}, []float64{1e308, 0, 0, 1}, z, z), // overflowing inputs
	)
	for _, m := range absurdModels {
		extra = append(extra, v(m, viewCols(4, 7, 4), 1, 0, []float64{1, 0, 0, 1}, []float64{1, 0, 0, 1}, z, z))
	}
	fuzzTool(f, ssltraincmd.App, extra, func(_ map[string]string, in, out string) []string {
		return []string{"--in", in, "-q", "--hid", "2", "--epochs", "2", "--batch", "16", "--threads", "2", "--out", out}
	})
}

// netSeeds are networks with corrupt layer descriptions.
func netSeeds(f *testing.F, fx map[string][]byte) [][]byte {
	extra := append(seeds(fx["n"], fx["v"]), seeds(fx["s"], fx["n"])...)
	cols := []arrowio.Column{
		{Name: "epoch", Type: arrowio.Int32}, {Name: "layer", Type: arrowio.Int32}, {Name: "name", Type: arrowio.String},
		{Name: "node", Type: arrowio.Int32}, {Name: "level", Type: arrowio.Int32}, {Name: "in_dim", Type: arrowio.Int32},
		{Name: "out_dim", Type: arrowio.Int32}, {Name: "in_offset", Type: arrowio.Int32}, {Name: "out_offset", Type: arrowio.Int32},
		{Name: "w", Type: arrowio.ListFloat64}, {Name: "b", Type: arrowio.ListFloat64},
	}
	for _, dims := range [][2]int{{-2, 2}, {2, -2}, {1 << 30, 1 << 30}, {2, 2}, {0, 0}} {
		extra = append(extra, crafted(f, arrowio.KindNetwork, model2, cols,
			int32(0), int32(1), "root", int32(0), int32(0), int32(dims[0]), int32(dims[1]), int32(0), int32(0), []float64{1, 2, 3}, []float64{0}))
	}
	for _, m := range absurdModels {
		extra = append(extra, crafted(f, arrowio.KindNetwork, m, cols,
			int32(0), int32(1), "root", int32(0), int32(0), int32(2), int32(2), int32(0), int32(0), []float64{1, 2, 3, 4}, []float64{0, 0}))
	}
	return extra
}

func FuzzProbe(f *testing.F) {
	fuzzTool(f, probecmd.App, netSeeds(f, fixture(f)), func(fx map[string]string, in, out string) []string {
		return []string{"--in", in, "--data", fx["s"], "-q", "--threads", "2", "--out", out}
	})
}

// FuzzProbeData fuzzes probe's --data samples with a valid network.
func FuzzProbeData(f *testing.F) {
	fx := fixture(f)
	fuzzTool(f, probecmd.App, seeds(fx["s"], fx["v"]), func(fx map[string]string, in, out string) []string {
		return []string{"--in", fx["n"], "--data", in, "-q", "--out", out}
	})
}

func FuzzCovop(f *testing.F) {
	fuzzTool(f, covopcmd.App, netSeeds(f, fixture(f)), func(fx map[string]string, in, out string) []string {
		return []string{"--in", in, "--data", fx["v"], "-q", "--threads", "2", "--out", out}
	})
}

// FuzzCovopData fuzzes covop's --data views with a valid network.
func FuzzCovopData(f *testing.F) {
	fx := fixture(f)
	fuzzTool(f, covopcmd.App, append(seeds(fx["v"], fx["s"]), seeds(fx["vn"], fx["n"])...), func(fx map[string]string, in, out string) []string {
		return []string{"--in", fx["n"], "--data", in, "-q", "--out", out}
	})
}

func FuzzCat(f *testing.F) {
	fx := fixture(f)
	extra := append(seeds(fx["s"], fx["v"]), seeds(fx["n"], fx["vn"])...)
	fuzzTool(f, catcmd.App, extra, func(_ map[string]string, in, _ string) []string {
		return []string{"--full", "--head", "5", in}
	})
}

// FuzzCatCSV prints every row as CSV and JSON lines.
func FuzzCatCSV(f *testing.F) {
	fx := fixture(f)
	fuzzTool(f, catcmd.App, seeds(fx["v"], fx["n"]), func(_ map[string]string, in, _ string) []string {
		return []string{"--csv", "--head", "0", in}
	})
}
