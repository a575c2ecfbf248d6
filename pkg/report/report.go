package report

import (
	"bytes"
	"fmt"
	"image/color"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Level is one tree level's measurements over the probed snapshots.
type Level struct {
	Level      int       // edges from the root
	DepthIndex int       // the reference's index, depth − level
	Epochs     []float64 // the snapshots' epochs, ascending
	BestAbs    []float64 // mean best |corr| of the level's latents, per epoch
	Ceiling    float64   // mean ceiling of the level's latents
}

// Label names a level the way the reference's log does, with both indices.
func (l Level) Label() string {
	if l.Level == 0 {
		return fmt.Sprintf("root (d=%d)", l.DepthIndex)
	}
	return fmt.Sprintf("level %d (d=%d)", l.Level, l.DepthIndex)
}

// Default picture size.
const (
	Width  = 16 * vg.Centimeter
	Height = 11 * vg.Centimeter
)

// Curves returns the learning-curve figure: one line with points per level
// (mean best |corr| against epoch) and the level's ceiling as a dashed
// line of the same colour across the epochs. It returns an error if a
// level has no points or mismatched lengths.
func Curves(title string, levels []Level) (*plot.Plot, error) {
	p := newPlot(title)
	p.X.Label.Text = "epoch"
	for i, lv := range levels {
		if len(lv.Epochs) == 0 || len(lv.Epochs) != len(lv.BestAbs) {
			return nil, fmt.Errorf("report: %s has %d epochs and %d values", lv.Label(), len(lv.Epochs), len(lv.BestAbs))
		}
		xy := make(plotter.XYs, len(lv.Epochs))
		for k := range xy {
			xy[k].X, xy[k].Y = lv.Epochs[k], lv.BestAbs[k]
		}
		line, points, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", lv.Label(), err)
		}
		c := plotutil.Color(i)
		line.Color, points.Color = c, c
		line.Width = vg.Points(1.5)
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(lv.Label(), line, points)
		lo, hi := lv.Epochs[0], lv.Epochs[len(lv.Epochs)-1]
		if lo == hi {
			lo, hi = lo-0.5, hi+0.5
		}
		ceil, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lv.Ceiling}, {X: hi, Y: lv.Ceiling}})
		if err != nil {
			return nil, fmt.Errorf("report: %s ceiling: %w", lv.Label(), err)
		}
		ceil.Color = c
		ceil.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(ceil)
	}
	addCeilingKey(p)
	return p, nil
}

// Bars returns the single-snapshot figure: one bar per level (mean best
// |corr|, the last value of each Level) with the level's ceiling as a
// dashed mark across the bar.
func Bars(title string, levels []Level) (*plot.Plot, error) {
	p := newPlot(title)
	vals := make(plotter.Values, len(levels))
	names := make([]string, len(levels))
	for i, lv := range levels {
		if len(lv.BestAbs) == 0 {
			return nil, fmt.Errorf("report: %s has no value", lv.Label())
		}
		vals[i] = lv.BestAbs[len(lv.BestAbs)-1]
		names[i] = lv.Label()
	}
	w := vg.Points(28)
	bars, err := plotter.NewBarChart(vals, w)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	bars.Color = plotutil.Color(0)
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.Legend.Add("mean best |corr|", bars)
	for i, lv := range levels {
		ceil, err := plotter.NewLine(plotter.XYs{{X: float64(i) - 0.4, Y: lv.Ceiling}, {X: float64(i) + 0.4, Y: lv.Ceiling}})
		if err != nil {
			return nil, fmt.Errorf("report: %s ceiling: %w", lv.Label(), err)
		}
		ceil.Color = color.Black
		ceil.Width = vg.Points(1.5)
		ceil.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(ceil)
	}
	p.NominalX(names...)
	p.X.Label.Text = "tree level"
	// Room above the bars for the legend.
	p.Y.Max = 1.3
	p.Legend.Top = true
	addCeilingKey(p)
	return p, nil
}

func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "mean best |corr| of the level's latents"
	p.Y.Min, p.Y.Max = 0, 1.05
	p.Legend.Top = false
	p.Legend.Left = false
	p.Add(plotter.NewGrid())
	return p
}

// addCeilingKey adds a legend entry explaining the dashed lines.
func addCeilingKey(p *plot.Plot) {
	key, _ := plotter.NewLine(plotter.XYs{{}, {}})
	key.Color = color.Gray{Y: 0x40}
	key.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	p.Legend.Add("ceiling (dashed)", key)
}

// FormatOf returns "png" or "svg" from a file name's extension, or an error
// naming the file.
func FormatOf(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png":
		return "png", nil
	case ".svg":
		return "svg", nil
	default:
		return "", fmt.Errorf("%s: picture format %q: use a .png or .svg name", path, ext)
	}
}

// Encode draws p at width×height and returns the picture in format "png"
// (96 dpi) or "svg".
func Encode(p *plot.Plot, format string, width, height vg.Length) ([]byte, error) {
	return encode(format, width, height, p.Draw)
}

// encode runs drawFn on a width×height canvas of the format and returns the
// encoded picture.
func encode(format string, width, height vg.Length, drawFn func(draw.Canvas)) ([]byte, error) {
	var buf bytes.Buffer
	switch format {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(96))
		drawFn(draw.New(c))
		if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
			return nil, err
		}
	case "svg":
		c := vgsvg.New(width, height)
		drawFn(draw.New(c))
		if _, err := c.WriteTo(&buf); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("report: picture format %q: want png or svg", format)
	}
	return buf.Bytes(), nil
}
