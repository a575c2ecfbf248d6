package sweep

import (
	"fmt"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// meanErr is a line with symmetric error bars: the XYer and YErrorer that
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

// addLine adds a line with points and (where sd is finite) error bars in the
// i-th palette colour and dash pattern.
func addLine(p *plot.Plot, i int, name string, x, mean, sd []float64) error {
	m := meanErr{XYs: make(plotter.XYs, len(x)), YErrors: make(plotter.YErrors, len(x))}
	bars := true
	for k := range x {
		m.XYs[k].X, m.XYs[k].Y = x[k], mean[k]
		e := sd[k]
		if e != e { // NaN: a single seed
			e, bars = 0, false
		}
		m.YErrors[k].Low, m.YErrors[k].High = e, e
	}
	line, points, err := plotter.NewLinePoints(m.XYs)
	if err != nil {
		return err
	}
	c := plotutil.Color(i)
	line.Color, points.Color = c, c
	line.Dashes = plotutil.Dashes(i)
	points.Shape = plotutil.Shape(i)
	p.Add(line, points)
	p.Legend.Add(name, line, points)
	if bars {
		eb, err := plotter.NewYErrorBars(m)
		if err != nil {
			return err
		}
		eb.Color = c
		p.Add(eb)
	}
	return nil
}

func newPlot(title, x string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = "mean best |corr| of the level's latents"
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.Top = false
	p.Legend.Left = false
	p.Add(plotter.NewGrid())
	return p
}

// PlotSize is the size plots are meant to be drawn at.
var PlotSize = struct{ W, H vg.Length }{16 * vg.Centimeter, 11 * vg.Centimeter}

// TrendPlot returns the plot of the final mean best |corr| per level
// against the values of key: one line per level, error bars: sd over
// seeds. The other varying keys are held fixed at one slice of the grid,
// the one with the most values of key (then the most runs, then the
// first): for a grid that varies one factor at a time that is the base
// setting; the title names the fixed values. It fails when no result has
// probe rows.
func TrendPlot(key string, results []RunResult) (*plot.Plot, error) {
	pi := ParamIndex(key)
	if pi < 0 {
		return nil, fmt.Errorf("sweep: unknown parameter %q", key)
	}
	runs := make([]Run, len(results))
	for i, r := range results {
		runs[i] = r.Run
	}
	var others []int // Params indexes of the other varying keys
	for _, k := range Varying(runs) {
		if k != key && k != "seed" {
			others = append(others, ParamIndex(k))
		}
	}
	sliceOf := func(r Run) string {
		var parts []string
		for _, oi := range others {
			parts = append(parts, Params[oi].Key+"="+r.Values[oi].Text)
		}
		return strings.Join(parts, ", ")
	}
	type sliceStat struct {
		values map[string]bool
		runs   int
		first  int
	}
	slices := map[string]*sliceStat{}
	for i, r := range runs {
		s := slices[sliceOf(r)]
		if s == nil {
			s = &sliceStat{values: map[string]bool{}, first: i}
			slices[sliceOf(r)] = s
		}
		s.values[r.Values[pi].Text] = true
		s.runs++
	}
	best := ""
	for name, s := range slices {
		b := slices[best]
		if b == nil || len(s.values) > len(b.values) ||
			len(s.values) == len(b.values) && (s.runs > b.runs || s.runs == b.runs && s.first < b.first) {
			best = name
		}
	}
	var kept []RunResult
	for _, r := range results {
		if sliceOf(r.Run) == best {
			kept = append(kept, r)
		}
	}
	results = kept
	type lv struct{ level, value int }
	var values []Value
	valueIdx := map[string]int{}
	finals := map[lv][]float64{}
	depthIndex := map[int]int{}
	for _, res := range results {
		v := res.Run.Values[pi]
		if _, ok := valueIdx[v.Text]; !ok {
			valueIdx[v.Text] = len(values)
			values = append(values, v)
		}
		for _, c := range RunCurves(res.Probe) {
			k := lv{c.Level, valueIdx[v.Text]}
			finals[k] = append(finals[k], c.Mean[len(c.Mean)-1])
			depthIndex[c.Level] = c.DepthIndex
		}
	}
	if len(depthIndex) == 0 {
		return nil, fmt.Errorf("sweep: no probe rows to plot")
	}
	// Numbers in ascending order; words in order of appearance.
	order := make([]int, len(values))
	for i := range order {
		order[i] = i
	}
	if Params[pi].Type != String {
		sort.SliceStable(order, func(a, b int) bool { return values[order[a]].Float < values[order[b]].Float })
	}
	names := make([]string, len(order))
	for i, o := range order {
		names[i] = values[o].Text
	}
	title := fmt.Sprintf("last epoch vs %s (mean ± sd over seeds)", key)
	if best != "" {
		title = fmt.Sprintf("last epoch vs %s at %s (mean ± sd over seeds)", key, best)
	}
	p := newPlot(title, key)
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5 // room for the end points' error bars
	var levels []int
	for l := range depthIndex {
		levels = append(levels, l)
	}
	sort.Ints(levels)
	for i, l := range levels {
		var x, mean, sd []float64
		for pos, o := range order {
			s := StatOf(finals[lv{l, o}])
			if s.N == 0 {
				continue
			}
			x, mean, sd = append(x, float64(pos)), append(mean, s.Mean), append(sd, s.SD)
		}
		if err := addLine(p, i, levelLabel(l, depthIndex[l]), x, mean, sd); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// CurvePlot returns the learning curves of the results (meant to be the
// runs of one setting): per level, the mean over runs of the level's mean
// best |corr| at each epoch, with sd error bars.
func CurvePlot(title string, results []RunResult) (*plot.Plot, error) {
	type le struct{ level, epoch int }
	vals := map[le][]float64{}
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
				epochs[c.Level][e] = true
			}
		}
	}
	if len(depthIndex) == 0 {
		return nil, fmt.Errorf("sweep: no probe rows to plot")
	}
	p := newPlot(title, "epoch (0 = initialisation)")
	var levels []int
	for l := range depthIndex {
		levels = append(levels, l)
	}
	sort.Ints(levels)
	for i, l := range levels {
		var es []int
		for e := range epochs[l] {
			es = append(es, e)
		}
		sort.Ints(es)
		var x, mean, sd []float64
		for _, e := range es {
			s := StatOf(vals[le{l, e}])
			x, mean, sd = append(x, float64(e)), append(mean, s.Mean), append(sd, s.SD)
		}
		if err := addLine(p, i, levelLabel(l, depthIndex[l]), x, mean, sd); err != nil {
			return nil, err
		}
	}
	return p, nil
}
