package report_test

import (
	"bytes"
	"fmt"
	"image/png"

	"github.com/dualssl/dualssl/pkg/report"
)

// Draw two levels' learning curves with their ceilings and encode the
// figure as PNG.
func ExampleCurves() {
	levels := []report.Level{
		{Level: 0, DepthIndex: 2, Epochs: []float64{0, 1, 2}, BestAbs: []float64{0.4, 0.6, 0.7}, Ceiling: 0.8},
		{Level: 1, DepthIndex: 1, Epochs: []float64{0, 1, 2}, BestAbs: []float64{0.7, 0.85, 0.9}, Ceiling: 0.95},
	}
	p, err := report.Curves("latent recovery", levels)
	if err != nil {
		panic(err)
	}
	b, err := p.Encode("png", report.DefaultSize)
	if err != nil {
		panic(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	fmt.Println(levels[0].Label(), "and", levels[1].Label(), "drawn at", img.Bounds().Dx(), "×", img.Bounds().Dy(), "pixels")
	// Output: root (d=2) and level 1 (d=1) drawn at 945 × 650 pixels
}
