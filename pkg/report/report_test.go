package report

import (
	"bytes"
	"flag"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
)

// figures, when set, makes TestDeterministicBytes also write every figure
// it draws into that directory, for looking at them:
// go test ./pkg/report -run Deterministic -figures /tmp/fig
var figures = flag.String("figures", "", "write the test figures into `DIR`")

func levels() []Level {
	return []Level{
		{Level: 0, DepthIndex: 3, Epochs: []float64{0, 1, 2, 3}, BestAbs: []float64{0.1, 0.3, 0.4, 0.45}, Ceiling: 0.6},
		{Level: 1, DepthIndex: 2, Epochs: []float64{0, 1, 2, 3}, BestAbs: []float64{0.2, 0.5, 0.6, 0.7}, Ceiling: 0.8},
		{Level: 2, DepthIndex: 1, Epochs: []float64{0, 1, 2, 3}, BestAbs: []float64{0.3, 0.7, 0.8, 0.85}, Ceiling: 0.95},
	}
}

// TestDeterministicBytes draws each figure twice in each format and
// requires identical bytes, a PNG of the requested size at DPI, and an SVG
// that names every level and every ceiling in its legend.
func TestDeterministicBytes(t *testing.T) {
	for _, kind := range []string{"curves", "bars"} {
		for _, format := range Formats {
			var out [2][]byte
			for i := range out {
				draw := Curves
				if kind == "bars" {
					draw = Bars
				}
				f, err := draw("probe", levels())
				if err != nil {
					t.Fatal(err)
				}
				if out[i], err = f.Encode(format, DefaultSize); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(out[0], out[1]) || len(out[0]) < 1000 {
				t.Fatalf("%s %s: %d and %d bytes differ", kind, format, len(out[0]), len(out[1]))
			}
			if *figures != "" {
				if err := os.WriteFile(filepath.Join(*figures, kind+"."+format), out[0], 0o644); err != nil {
					t.Fatal(err)
				}
			}
			switch format {
			case "png":
				img, err := png.Decode(bytes.NewReader(out[0]))
				if err != nil {
					t.Fatal(err)
				}
				// 16 cm × 11 cm at 150 dpi.
				if b := img.Bounds(); b.Dx() != 945 || b.Dy() != 650 {
					t.Fatalf("%s png is %v", kind, b)
				}
			case "svg":
				for _, want := range []string{"root (d=3)", "level 2 (d=1)", "ceiling 0.600", "ceiling 0.950"} {
					if !strings.Contains(string(out[0]), want) {
						t.Errorf("%s svg lacks %q", kind, want)
					}
				}
			case "pdf":
				if !bytes.HasPrefix(out[0], []byte("%PDF-")) {
					t.Fatalf("%s pdf starts %q", kind, out[0][:8])
				}
			}
		}
	}
}

// TestCurvesRanges checks the curve figure's axes: y fitted to the data
// and the ceilings (not 0–1), every point and ceiling inside the frame,
// and integer epoch ticks only.
func TestCurvesRanges(t *testing.T) {
	f, err := Curves("probe", levels())
	if err != nil {
		t.Fatal(err)
	}
	p := f.Panels[0][0]
	if !(p.Y.Min > 0.04 && p.Y.Min < 0.1 && p.Y.Max > 0.95 && p.Y.Max < 1.01) {
		t.Errorf("y range [%v, %v], want just around [0.1, 0.95]", p.Y.Min, p.Y.Max)
	}
	if !(p.X.Min < 0 && p.X.Max > 3) {
		t.Errorf("x range [%v, %v] cuts the end points", p.X.Min, p.X.Max)
	}
	for _, tk := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		if tk.Label != "" && tk.Value != math.Trunc(tk.Value) {
			t.Errorf("epoch tick %v is not an integer", tk.Value)
		}
	}
}

func TestIntegerTicks(t *testing.T) {
	for _, c := range []struct {
		min, max float64
		labels   string
	}{
		{-0.1, 3.1, "0 1 2 3"},
		{-0.5, 6.5, "0 1 2 3 4 5 6"},
		{-1, 50, "0 10 20 30 40 50"},
		{0.2, 0.8, ""},
		{-1, 17, "0 5 10 15"},
	} {
		var got []string
		for _, tk := range (IntegerTicks{}).Ticks(c.min, c.max) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if s := strings.Join(got, " "); s != c.labels {
			t.Errorf("ticks of [%v, %v] = %q, want %q", c.min, c.max, s, c.labels)
		}
	}
}

func TestParseSize(t *testing.T) {
	s, err := ParseSize("16x11", 150)
	if err != nil || s.W != 16*vg.Centimeter || s.H != 11*vg.Centimeter || s.DPI != 150 {
		t.Fatalf("16x11: %v %v", s, err)
	}
	s, err = ParseSize("6inx4in", 300)
	if err != nil || s.W != 6*vg.Inch || s.H != 4*vg.Inch {
		t.Fatalf("6inx4in: %v %v", s, err)
	}
	for _, bad := range []string{"16", "ax11", "1x11", "16x1000", "NaNx3", "16x11x2"} {
		if _, err := ParseSize(bad, 150); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseSize("16x11", 5); err == nil {
		t.Error("dpi 5 accepted")
	}
}

func TestErrors(t *testing.T) {
	if _, err := Curves("x", []Level{{Epochs: []float64{1}}}); err == nil {
		t.Fatal("mismatched lengths accepted")
	}
	if _, err := Bars("x", []Level{{}}); err == nil {
		t.Fatal("empty level accepted")
	}
	if _, err := FormatOf("a.jpg"); err == nil || !strings.Contains(err.Error(), "a.jpg") {
		t.Fatalf("format: %v", err)
	}
	for name, want := range map[string]string{"A.SVG": "svg", "b.pdf": "pdf", "c.png": "png"} {
		if f, _ := FormatOf(name); f != want {
			t.Errorf("%s: format %q", name, f)
		}
	}
	f, _ := Bars("x", levels())
	if _, err := f.Encode("gif", DefaultSize); err == nil {
		t.Fatal("gif accepted")
	}
}
