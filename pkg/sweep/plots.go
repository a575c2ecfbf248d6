package sweep

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/dualssl/dualssl/pkg/report"
)

// The sweep's figures follow pkg/report's conventions (one legend beside
// the panels, fitted ranges, one palette, one DPI rule); this file only
// decides what goes where.

// meanErr is a series with symmetric error bars: the XYer and YErrorer that
// plotter.NewYErrorBars wants.
type meanErr struct {
	plotter.XYs
	plotter.YErrors
}

func levelLabel(level, depthIndex int) string {
	if level == 0 {
		return fmt.Sprintf("root (d=%d)", depthIndex)
	}
	return fmt.Sprintf("level %d (d=%d)", level, depthIndex)
}

// series is one level's points in one panel: mean ± sd and the mean
// ceiling at each x.
type series struct {
	x, mean, sd, ceil []float64
}

// addSeries draws s in level colour i: points with error bars (where sd is
// finite), joined by a line when joined is set (numeric axes; categories
// are never joined), and the ceiling as a dashed line (joined) or as a
// short dashed mark of half-width mark at each x (categories).
func addSeries(p *plot.Plot, i int, s series, joined bool, mark float64) (line *plotter.Line, points *plotter.Scatter, ceil *plotter.Line, err error) {
	m := meanErr{XYs: make(plotter.XYs, len(s.x)), YErrors: make(plotter.YErrors, len(s.x))}
	bars := false
	for k := range s.x {
		m.XYs[k].X, m.XYs[k].Y = s.x[k], s.mean[k]
		if e := s.sd[k]; !math.IsNaN(e) {
			m.YErrors[k].Low, m.YErrors[k].High = e, e
			bars = true
		}
	}
	c := report.Color(i)
	if points, err = plotter.NewScatter(m.XYs); err != nil {
		return nil, nil, nil, err
	}
	points.Color, points.Shape = c, plotutil.Shape(i)
	if line, err = plotter.NewLine(m.XYs); err != nil {
		return nil, nil, nil, err
	}
	line.Color, line.Width = c, vg.Points(1.2)
	if joined {
		p.Add(line)
	}
	p.Add(points)
	if bars {
		eb, err := plotter.NewYErrorBars(m)
		if err != nil {
			return nil, nil, nil, err
		}
		eb.Color = c
		p.Add(eb)
	}
	ceil, _ = plotter.NewLine(plotter.XYs{{}, {}})
	ceil.Color, ceil.Dashes = c, report.CeilingDashes
	for k, x := range s.x {
		if math.IsNaN(s.ceil[k]) {
			continue
		}
		if joined {
			continue
		}
		seg, err := plotter.NewLine(plotter.XYs{{X: x - mark, Y: s.ceil[k]}, {X: x + mark, Y: s.ceil[k]}})
		if err != nil {
			return nil, nil, nil, err
		}
		seg.Color, seg.Dashes = c, report.CeilingDashes
		p.Add(seg)
	}
	if joined {
		var xy plotter.XYs
		for k, x := range s.x {
			if !math.IsNaN(s.ceil[k]) {
				xy = append(xy, plotter.XY{X: x, Y: s.ceil[k]})
			}
		}
		if len(xy) > 0 {
			cl, err := plotter.NewLine(xy)
			if err != nil {
				return nil, nil, nil, err
			}
			cl.Color, cl.Dashes = c, report.CeilingDashes
			p.Add(cl)
		}
	}
	return line, points, ceil, nil
}

// PanelSize is the size of one small-multiple panel; a figure of R × C
// panels is C·W (+ the legend) wide and R·H (+ the title) high. A single
// panel figure is report.DefaultSize.
var PanelSize = struct{ W, H vg.Length }{9 * vg.Centimeter, 7 * vg.Centimeter}

// FigureSize returns the size to draw f at: report.DefaultSize for one
// panel, PanelSize per panel (plus room for the legend and the title) for
// small multiples, at dpi.
func FigureSize(f *report.Figure, dpi int) report.Size {
	rows := len(f.Panels)
	cols := 0
	if rows > 0 {
		cols = len(f.Panels[0])
	}
	if rows*cols <= 1 {
		s := report.DefaultSize
		s.DPI = dpi
		return s
	}
	return report.Size{W: vg.Length(cols)*PanelSize.W + 4*vg.Centimeter, H: vg.Length(rows)*PanelSize.H + 1.5*vg.Centimeter, DPI: dpi}
}

// slices groups results by the values of the varying keys other than key
// and seed: one slice of a full-factorial grid per combination. It returns
// the slices' names ("" when key is the only varying key) in the order of
// those keys' values (numbers ascending, words as they appear).
func slices(key string, results []RunResult) (names []string, groups map[string][]RunResult) {
	runs := make([]Run, len(results))
	for i, r := range results {
		runs[i] = r.Run
	}
	var others []int
	for _, k := range Varying(runs) {
		if k != key && k != "seed" {
			others = append(others, ParamIndex(k))
		}
	}
	groups = map[string][]RunResult{}
	var firsts []RunResult
	for _, r := range results {
		var parts []string
		for _, oi := range others {
			parts = append(parts, Params[oi].Key+"="+r.Run.Values[oi].Text)
		}
		name := strings.Join(parts, ", ")
		if _, ok := groups[name]; !ok {
			names = append(names, name)
			firsts = append(firsts, r)
		}
		groups[name] = append(groups[name], r)
	}
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		for _, oi := range others {
			va, vb := firsts[idx[a]].Run.Values[oi], firsts[idx[b]].Run.Values[oi]
			if Params[oi].Type != String && va.Float != vb.Float {
				return va.Float < vb.Float
			}
		}
		return false
	})
	sorted := make([]string, len(names))
	for i, j := range idx {
		sorted[i] = names[j]
	}
	return sorted, groups
}

// TrendPlot returns the figure of the last epoch's mean best |corr| per
// level against the values of key: one series per level, error bars: sd
// over seeds, dashed: the level's mean ceiling. A numeric key is spaced by
// value (on a log scale when its values span a factor of 20 or more) and
// its points are joined; a categorical key (loss, arch, keep) is shown as
// categories, never joined. The levels' points are offset sideways so that
// their error bars do not overlap. When other keys vary too, every slice of
// the grid that has at least two values of key gets a panel of its own
// (small multiples on a shared y range; with none, every slice); a grid
// that varies one factor at a time thus gets one panel per section. It
// fails when no result has probe rows.
func TrendPlot(key string, results []RunResult) (*report.Figure, error) {
	pi := ParamIndex(key)
	if pi < 0 {
		return nil, fmt.Errorf("sweep: unknown parameter %q", key)
	}
	names, groups := slices(key, results)
	var shown []string
	for _, n := range names {
		vals := map[string]bool{}
		for _, r := range groups[n] {
			vals[r.Run.Values[pi].Text] = true
		}
		if len(vals) >= 2 {
			shown = append(shown, n)
		}
	}
	if len(shown) == 0 {
		shown = names
	}
	seeds := map[string]bool{}
	for _, r := range results {
		seeds[r.Run.Values[ParamIndex("seed")].Text] = true
	}
	title := fmt.Sprintf("last epoch vs %s: mean best |corr| per level (mean ± sd over %d seeds; dashed: ceilings)", key, len(seeds))
	if len(shown) == 1 && shown[0] != "" {
		title += " at " + shown[0]
	}
	f := report.NewFigure(title)
	categorical := Params[pi].Type == String
	var panels []*plot.Plot
	var ys []float64
	legend := map[int]bool{}
	for _, name := range shown {
		ptitle := name
		if len(shown) == 1 {
			ptitle = ""
		}
		p := report.NewPanel(ptitle, key, report.YLabel)
		type lv struct{ level, value int }
		var values []Value
		valueIdx := map[string]int{}
		finals, ceils := map[lv][]float64{}, map[lv][]float64{}
		depthIndex := map[int]int{}
		for _, res := range groups[name] {
			v := res.Run.Values[pi]
			if _, ok := valueIdx[v.Text]; !ok {
				valueIdx[v.Text] = len(values)
				values = append(values, v)
			}
			for _, c := range RunCurves(res.Probe) {
				k := lv{c.Level, valueIdx[v.Text]}
				finals[k] = append(finals[k], c.Mean[len(c.Mean)-1])
				ceils[k] = append(ceils[k], c.Ceiling[len(c.Ceiling)-1])
				depthIndex[c.Level] = c.DepthIndex
			}
		}
		if len(depthIndex) == 0 {
			continue
		}
		order := make([]int, len(values))
		for i := range order {
			order[i] = i
		}
		if !categorical {
			sort.SliceStable(order, func(a, b int) bool { return values[order[a]].Float < values[order[b]].Float })
		}
		// Positions: categories at 0, 1, …; numbers at their value.
		pos := make([]float64, len(order))
		logScale := false
		if categorical {
			labels := make([]string, len(order))
			for i, o := range order {
				pos[i], labels[i] = float64(i), values[o].Text
			}
			p.NominalX(labels...)
		} else {
			for i, o := range order {
				pos[i] = values[o].Float
			}
			lo, hi := pos[0], pos[len(pos)-1]
			if lo > 0 && hi/lo >= 20 {
				logScale = true
				p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, valueTicks(pos)
			} else {
				p.X.Tick.Marker = valueTicks(pos)
			}
		}
		levels := sortedKeys(depthIndex)
		// Sideways offsets: a fraction of a category, or of the axis.
		span, step := 1.0, math.Min(0.18, 0.7/float64(len(levels)))
		if !categorical {
			span, step = pos[len(pos)-1]-pos[0], 0.02
			if logScale {
				span = math.Log10(pos[len(pos)-1] / pos[0])
			}
			if span == 0 {
				span = 1
			}
		}
		for i, l := range levels {
			off := (float64(i) - float64(len(levels)-1)/2) * step * span
			var s series
			for j, o := range order {
				st := StatOf(finals[lv{l, o}])
				if st.N == 0 {
					continue
				}
				x := pos[j] + off
				if logScale {
					x = pos[j] * math.Pow(10, off)
				}
				c := StatOf(ceils[lv{l, o}]).Mean
				s.x, s.mean, s.sd, s.ceil = append(s.x, x), append(s.mean, st.Mean), append(s.sd, st.SD), append(s.ceil, c)
				ys = append(ys, st.Mean+nanZero(st.SD), st.Mean-nanZero(st.SD), c)
			}
			line, points, ceil, err := addSeries(p, l, s, !categorical, 0.45*step)
			if err != nil {
				return nil, err
			}
			if !legend[l] {
				legend[l] = true
				if categorical {
					f.AddLegend(levelLabel(l, depthIndex[l]), points)
				} else {
					f.AddLegend(levelLabel(l, depthIndex[l]), line, points)
				}
				f.AddLegend("ceiling", ceil)
			}
			_ = i
		}
		if categorical {
			p.X.Min, p.X.Max = -0.6, float64(len(order))-0.4
		} else if logScale {
			p.X.Min, p.X.Max = pos[0]/math.Pow(10, 0.08*span), pos[len(pos)-1]*math.Pow(10, 0.08*span)
		} else {
			p.X.Min, p.X.Max = pos[0], pos[len(pos)-1]
			report.PadX(p, 0.08)
		}
		panels = append(panels, p)
	}
	if len(panels) == 0 {
		return nil, fmt.Errorf("sweep: no probe rows to plot")
	}
	for i, p := range panels {
		report.FitY(p, ys...)
		if len(panels) > 1 && i%len(grid(panels)[0]) != 0 {
			p.Y.Label.Text = "" // said once per row, at its left
		}
	}
	f.Panels = grid(panels)
	return f, nil
}

// grid lays out n panels in rows of ⌈√n⌉.
func grid(panels []*plot.Plot) [][]*plot.Plot {
	cols := int(math.Ceil(math.Sqrt(float64(len(panels)))))
	var rows [][]*plot.Plot
	for i := 0; i < len(panels); i += cols {
		row := make([]*plot.Plot, cols)
		copy(row, panels[i:min(i+cols, len(panels))])
		rows = append(rows, row)
	}
	return rows
}

// valueTicks labels exactly the grid's values (they are what was run).
func valueTicks(values []float64) plot.ConstantTicks {
	var t plot.ConstantTicks
	for _, v := range values {
		t = append(t, plot.Tick{Value: v, Label: fmt.Sprint(v)})
	}
	return t
}

func nanZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// CurvePlot returns the learning curves of the results (meant to be the
// runs of one setting): per level, the mean over runs of the level's mean
// best |corr| at each epoch with sd error bars (offset sideways per level),
// and the level's mean ceiling dashed; integer epoch ticks, y fitted.
func CurvePlot(title string, results []RunResult) (*report.Figure, error) {
	type le struct{ level, epoch int }
	vals, ceils := map[le][]float64{}, map[le][]float64{}
	epochs := map[int]map[int]bool{}
	depthIndex := map[int]int{}
	for _, res := range results {
		for _, c := range RunCurves(res.Probe) {
			depthIndex[c.Level] = c.DepthIndex
			if epochs[c.Level] == nil {
				epochs[c.Level] = map[int]bool{}
			}
			for k, e := range c.Epochs {
				vals[le{c.Level, e}] = append(vals[le{c.Level, e}], c.Mean[k])
				ceils[le{c.Level, e}] = append(ceils[le{c.Level, e}], c.Ceiling[k])
				epochs[c.Level][e] = true
			}
		}
	}
	if len(depthIndex) == 0 {
		return nil, fmt.Errorf("sweep: no probe rows to plot")
	}
	f := report.NewFigure(title)
	p := report.NewPanel("", "epoch (0 = initialisation)", report.YLabel)
	p.X.Tick.Marker = report.IntegerTicks{}
	levels := sortedKeys(depthIndex)
	lo, hi := math.Inf(1), math.Inf(-1)
	var ys []float64
	for i, l := range levels {
		es := sortedKeys(epochs[l])
		span := float64(es[len(es)-1] - es[0])
		if span == 0 {
			span = 1
		}
		off := (float64(i) - float64(len(levels)-1)/2) * 0.006 * span
		var s series
		for _, e := range es {
			st := StatOf(vals[le{l, e}])
			c := StatOf(ceils[le{l, e}]).Mean
			s.x, s.mean, s.sd, s.ceil = append(s.x, float64(e)+off), append(s.mean, st.Mean), append(s.sd, st.SD), append(s.ceil, c)
			ys = append(ys, st.Mean+nanZero(st.SD), st.Mean-nanZero(st.SD), c)
			lo, hi = math.Min(lo, float64(e)), math.Max(hi, float64(e))
		}
		line, points, ceil, err := addSeries(p, l, s, true, 0)
		if err != nil {
			return nil, err
		}
		f.AddLegend(levelLabel(l, depthIndex[l]), line, points)
		f.AddLegend(fmt.Sprintf("ceiling %.3f", s.ceil[len(s.ceil)-1]), ceil)
	}
	report.FitY(p, ys...)
	p.X.Min, p.X.Max = lo, hi
	if lo == hi {
		p.X.Min, p.X.Max = lo-0.5, hi+0.5
	}
	report.PadX(p, 0.03)
	f.Panels = [][]*plot.Plot{{p}}
	return f, nil
}
