package report

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

func levels() []Level {
	return []Level{
		{Level: 0, DepthIndex: 3, Epochs: []float64{0, 1, 2, 3}, BestAbs: []float64{0.1, 0.3, 0.4, 0.45}, Ceiling: 0.6},
		{Level: 1, DepthIndex: 2, Epochs: []float64{0, 1, 2, 3}, BestAbs: []float64{0.2, 0.5, 0.6, 0.7}, Ceiling: 0.8},
		{Level: 2, DepthIndex: 1, Epochs: []float64{0, 1, 2, 3}, BestAbs: []float64{0.3, 0.7, 0.8, 0.85}, Ceiling: 0.95},
	}
}

// TestDeterministicBytes draws each figure twice in each format and
// requires identical bytes, and a PNG of the requested size.
func TestDeterministicBytes(t *testing.T) {
	for _, kind := range []string{"curves", "bars"} {
		for _, format := range []string{"png", "svg"} {
			var out [2][]byte
			for i := range out {
				draw := Curves
				if kind == "bars" {
					draw = Bars
				}
				p, err := draw("probe", levels())
				if err != nil {
					t.Fatal(err)
				}
				if out[i], err = Encode(p, format, Width, Height); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(out[0], out[1]) || len(out[0]) < 1000 {
				t.Fatalf("%s %s: %d and %d bytes differ", kind, format, len(out[0]), len(out[1]))
			}
			if format == "png" {
				img, err := png.Decode(bytes.NewReader(out[0]))
				if err != nil {
					t.Fatal(err)
				}
				// 16 cm × 11 cm at 96 dpi.
				if b := img.Bounds(); b.Dx() != 605 || b.Dy() != 416 {
					t.Fatalf("%s png is %v", kind, b)
				}
			} else if !strings.Contains(string(out[0]), "root (d=3)") {
				t.Fatalf("%s svg lacks the root's label", kind)
			}
		}
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
	if f, _ := FormatOf("A.SVG"); f != "svg" {
		t.Fatal("case")
	}
	p, _ := Bars("x", levels())
	if _, err := Encode(p, "gif", Width, Height); err == nil {
		t.Fatal("gif accepted")
	}
}
