package report

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

func ampLevels() []AmpLevel {
	return []AmpLevel{
		{Level: 0, DepthIndex: 2, First: []float64{0.1, 0.4, 0.2}, Last: []float64{0.2, 0.9, 0.1},
			BestFirst: []float64{0.4}, BestLast: []float64{0.9}, Epochs: []float64{0, 1, 2}, Trajectories: [][]float64{{0.4, 0.7, 0.9}}},
		{Level: 1, DepthIndex: 1, First: []float64{0.5, 0.6, 0.3, 0.1}, Last: []float64{0.7, 0.8, 0.3, 0.2},
			BestFirst: []float64{0.5, 0.6}, BestLast: []float64{0.7, 0.8}, Epochs: []float64{0, 1, 2}, Trajectories: [][]float64{{0.5, 0.6, 0.7}, {0.6, 0.7, 0.8}}},
	}
}

// TestAmplificationFigure draws the grid twice per format, requires the
// same bytes, a PNG of the size GridSize gives, and the levels' labels in
// the SVG.
func TestAmplificationFigure(t *testing.T) {
	for _, format := range []string{"png", "svg"} {
		var out [2][]byte
		for i := range out {
			g, err := Amplification("amplification", ampLevels())
			if err != nil {
				t.Fatal(err)
			}
			w, h := GridSize(len(g), 2)
			if out[i], err = EncodeGrid(g, format, w, h); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(out[0], out[1]) || len(out[0]) < 1000 {
			t.Fatalf("%s: %d and %d bytes differ", format, len(out[0]), len(out[1]))
		}
		if format == "png" {
			img, err := png.Decode(bytes.NewReader(out[0]))
			if err != nil {
				t.Fatal(err)
			}
			// 16 cm × 2·7 cm at DPI (150).
			if b := img.Bounds(); b.Dx() != 945 || b.Dy() != 827 {
				t.Fatalf("png is %v", b)
			}
		} else if s := string(out[0]); !strings.Contains(s, "root (d=2)") || !strings.Contains(s, "level 1 (d=1): best neurons") {
			t.Fatal("svg lacks a level's label")
		}
	}
	bad := ampLevels()
	bad[1].Trajectories = bad[1].Trajectories[:1]
	if _, err := Amplification("x", bad); err == nil {
		t.Fatal("a missing trajectory accepted")
	}
	if _, err := EncodeGrid(nil, "png", Width, Height); err == nil {
		t.Fatal("an empty grid accepted")
	}
}
