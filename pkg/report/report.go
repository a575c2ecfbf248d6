package report

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
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

// YLabel is the y axis of every latent-recovery figure.
const YLabel = "mean best |corr| of the level's latents"

// Curves returns the learning-curve figure: one line with points per level
// (mean best |corr| against epoch, integer epoch ticks) and the level's
// ceiling as a dashed line of the same colour, each named in the legend
// with its value. The y range is fitted to the data and the ceilings. It
// returns an error if a level has no points or mismatched lengths.
func Curves(title string, levels []Level) (*Figure, error) {
	f := NewFigure(title)
	p := NewPanel("", "epoch (0 = initialisation)", YLabel)
	p.X.Tick.Marker = IntegerTicks{}
	var ys []float64
	for i, lv := range levels {
		if len(lv.Epochs) == 0 || len(lv.Epochs) != len(lv.BestAbs) {
			return nil, fmt.Errorf("report: %s has %d epochs and %d values", lv.Label(), len(lv.Epochs), len(lv.BestAbs))
		}
		xy := make(plotter.XYs, len(lv.Epochs))
		for k := range xy {
			xy[k].X, xy[k].Y = lv.Epochs[k], lv.BestAbs[k]
		}
		ys = append(ys, lv.BestAbs...)
		ys = append(ys, lv.Ceiling)
		line, points, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", lv.Label(), err)
		}
		c := Color(i)
		line.Color, points.Color = c, c
		line.Width = vg.Points(1.5)
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		f.AddLegend(lv.Label(), line, points)
		lo, hi := lv.Epochs[0], lv.Epochs[len(lv.Epochs)-1]
		if lo == hi {
			lo, hi = lo-0.5, hi+0.5
		}
		ceil, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lv.Ceiling}, {X: hi, Y: lv.Ceiling}})
		if err != nil {
			return nil, fmt.Errorf("report: %s ceiling: %w", lv.Label(), err)
		}
		ceil.Color = c
		ceil.Dashes = CeilingDashes
		p.Add(ceil)
		f.AddLegend(fmt.Sprintf("ceiling %.3f", lv.Ceiling), ceil)
	}
	FitY(p, ys...)
	p.X.Min, p.X.Max = math.Inf(1), math.Inf(-1)
	for _, lv := range levels {
		p.X.Min, p.X.Max = math.Min(p.X.Min, lv.Epochs[0]), math.Max(p.X.Max, lv.Epochs[len(lv.Epochs)-1])
	}
	PadX(p, 0.02)
	f.Panels = [][]*plot.Plot{{p}}
	return f, nil
}

// Bars returns the single-snapshot figure: one bar per level (mean best
// |corr|, the last value of each Level) in the level's colour, with the
// level's ceiling as a dashed mark of the same colour across the bar.
func Bars(title string, levels []Level) (*Figure, error) {
	f := NewFigure(title)
	p := NewPanel("", "tree level", YLabel)
	names := make([]string, len(levels))
	hi := 0.0
	w := vg.Points(28)
	for i, lv := range levels {
		if len(lv.BestAbs) == 0 {
			return nil, fmt.Errorf("report: %s has no value", lv.Label())
		}
		v := lv.BestAbs[len(lv.BestAbs)-1]
		names[i] = lv.Label()
		bars, err := plotter.NewBarChart(plotter.Values{v}, w)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		bars.XMin = float64(i)
		bars.Color = Color(i)
		bars.LineStyle.Width = 0
		p.Add(bars)
		ceil, err := plotter.NewLine(plotter.XYs{{X: float64(i) - 0.4, Y: lv.Ceiling}, {X: float64(i) + 0.4, Y: lv.Ceiling}})
		if err != nil {
			return nil, fmt.Errorf("report: %s ceiling: %w", lv.Label(), err)
		}
		ceil.Color = Color(i)
		ceil.Width = vg.Points(1.5)
		ceil.Dashes = CeilingDashes
		p.Add(ceil)
		f.AddLegend(fmt.Sprintf("%s %.3f", lv.Label(), v), bars)
		f.AddLegend(fmt.Sprintf("ceiling %.3f", lv.Ceiling), ceil)
		hi = math.Max(hi, math.Max(v, lv.Ceiling))
	}
	p.NominalX(names...)
	p.Y.Min, p.Y.Max = 0, hi*1.06
	f.Panels = [][]*plot.Plot{{p}}
	return f, nil
}

// Encode draws the figure f at width×height (PNG at DPI) in format "png",
// "svg" or "pdf".
func Encode(f *Figure, format string, width, height vg.Length) ([]byte, error) {
	return f.Encode(format, Size{W: width, H: height, DPI: DPI})
}
