package report

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// AmpLevel is one tree level's neurons for the amplification figure:
// |s_k| = |corr(z_μ, h_k)| of every neuron compared with a latent of the
// level, at the first and the last snapshot, and the trajectory of each
// latent's best neuron at the last snapshot.
type AmpLevel struct {
	Level, DepthIndex int
	First, Last       []float64   // |s_k| at the first and last snapshot, every neuron of the level's latents
	BestFirst         []float64   // per latent: its best neuron at the last snapshot, |s| at the first …
	BestLast          []float64   // … and at the last
	Epochs            []float64   // the snapshots' epochs
	Trajectories      [][]float64 // per latent: |s(t)| of that neuron at every epoch
}

// Label names the level like Level.Label.
func (a AmpLevel) Label() string { return Level{Level: a.Level, DepthIndex: a.DepthIndex}.Label() }

// Amplification returns the amplification figure as a grid of plots, one
// row per level: on the left |s_k| at the first snapshot against the last
// for every neuron (the latents' best neurons at the last snapshot
// highlighted, the diagonal dashed: points above it grew), on the right
// the trajectories of those best neurons against epoch. Draw it with
// EncodeGrid.
func Amplification(title string, levels []AmpLevel) ([][]*plot.Plot, error) {
	if len(levels) == 0 {
		return nil, fmt.Errorf("report: no level to draw")
	}
	var rows [][]*plot.Plot
	for i, lv := range levels {
		if len(lv.First) == 0 || len(lv.First) != len(lv.Last) || len(lv.BestFirst) != len(lv.BestLast) || len(lv.Trajectories) != len(lv.BestLast) {
			return nil, fmt.Errorf("report: %s: %d and %d neurons, %d and %d best, %d trajectories", lv.Label(), len(lv.First), len(lv.Last), len(lv.BestFirst), len(lv.BestLast), len(lv.Trajectories))
		}
		sc := plot.New()
		sc.Title.Text = lv.Label()
		if i == 0 {
			sc.Title.Text = title + ": " + lv.Label()
		}
		sc.X.Label.Text = fmt.Sprintf("|corr| at epoch %g", first(lv.Epochs))
		sc.Y.Label.Text = fmt.Sprintf("|corr| at epoch %g", last(lv.Epochs))
		sc.X.Min, sc.X.Max, sc.Y.Min, sc.Y.Max = 0, 1, 0, 1
		sc.Add(plotter.NewGrid())
		diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
		if err != nil {
			return nil, err
		}
		diag.Color = color.Gray{Y: 0x60}
		diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		sc.Add(diag)
		all, err := plotter.NewScatter(pairs(lv.First, lv.Last))
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", lv.Label(), err)
		}
		all.Color = color.Gray{Y: 0x90}
		all.Radius = vg.Points(2)
		sc.Add(all)
		best, err := plotter.NewScatter(pairs(lv.BestFirst, lv.BestLast))
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", lv.Label(), err)
		}
		best.Color = plotutil.Color(0)
		best.Shape = draw.CircleGlyph{}
		best.Radius = vg.Points(3)
		sc.Add(best)
		sc.Legend.Add("all neurons", all)
		sc.Legend.Add("best at the end", best)
		// Bottom right: below the diagonal, where only neurons that lost
		// selectivity fall.
		sc.Legend.Top, sc.Legend.Left = false, false

		tr := plot.New()
		tr.Title.Text = lv.Label() + ": best neurons"
		tr.X.Label.Text = "epoch"
		tr.X.Tick.Marker = IntegerTicks{}
		tr.Y.Label.Text = "|corr|"
		tr.Y.Min, tr.Y.Max = 0, 1
		tr.Add(plotter.NewGrid())
		for k, ys := range lv.Trajectories {
			if len(ys) != len(lv.Epochs) {
				return nil, fmt.Errorf("report: %s: trajectory %d has %d points for %d epochs", lv.Label(), k, len(ys), len(lv.Epochs))
			}
			line, err := plotter.NewLine(pairs(lv.Epochs, ys))
			if err != nil {
				return nil, fmt.Errorf("report: %s: %w", lv.Label(), err)
			}
			line.Color = plotutil.Color(k)
			line.Width = vg.Points(1)
			tr.Add(line)
		}
		rows = append(rows, []*plot.Plot{sc, tr})
	}
	return rows, nil
}

func first(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return xs[0]
}

func last(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return xs[len(xs)-1]
}

func pairs(x, y []float64) plotter.XYs {
	xy := make(plotter.XYs, len(x))
	for i := range xy {
		xy[i].X, xy[i].Y = x[i], y[i]
	}
	return xy
}

// GridSize returns a picture size for a grid of rows × cols plots: Width
// wide, 7 cm a row.
func GridSize(rows, cols int) (vg.Length, vg.Length) {
	return Width * vg.Length(max(cols, 2)) / 2, vg.Length(rows) * 7 * vg.Centimeter
}

// EncodeGrid draws a grid of plots (rows of equal length) at
// width×height and returns the picture in format "png" (at DPI), "svg" or
// "pdf".
func EncodeGrid(plots [][]*plot.Plot, format string, width, height vg.Length) ([]byte, error) {
	if len(plots) == 0 || len(plots[0]) == 0 {
		return nil, fmt.Errorf("report: an empty grid")
	}
	tiles := draw.Tiles{Rows: len(plots), Cols: len(plots[0]), PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	return encode(format, Size{W: width, H: height, DPI: DPI}, func(dc draw.Canvas) {
		canvases := plot.Align(plots, tiles, dc)
		for i := range plots {
			for j, p := range plots[i] {
				if p != nil {
					p.Draw(canvases[i][j])
				}
			}
		}
	})
}
