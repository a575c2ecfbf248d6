package sweep

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/dualssl/dualssl/pkg/report"
)

func TestStatOf(t *testing.T) {
	s := StatOf([]float64{1, 2, 3, 4})
	if s.N != 4 || math.Abs(s.Mean-2.5) > 1e-15 || math.Abs(s.SD-math.Sqrt(5.0/3)) > 1e-15 {
		t.Errorf("StatOf = %+v", s)
	}
	if s := StatOf([]float64{0.5}); s.Mean != 0.5 || !math.IsNaN(s.SD) || s.String() != "0.500" {
		t.Errorf("one value: %+v %q", s, s.String())
	}
	if s := StatOf(nil); s.N != 0 || s.String() != "–" {
		t.Errorf("no value: %+v", s)
	}
	if got := (Stat{Mean: 0.91234, SD: 0.0312, N: 3}).String(); got != "0.912 ± 0.031" {
		t.Errorf("String = %q", got)
	}
}

// rowsFor makes probe rows of a depth-2 binary tree: the root and the two
// level-1 nodes, at epochs 0 and 5, with the given values per level.
func rowsFor(root0, root5, low0a, low0b, low5a, low5b float64) []ProbeRow {
	rows := []ProbeRow{
		{Epoch: 0, Node: 0, Level: 0, DepthIndex: 2, BestAbsCorr: root0},
		{Epoch: 0, Node: 1, Level: 1, DepthIndex: 1, BestAbsCorr: low0a},
		{Epoch: 0, Node: 2, Level: 1, DepthIndex: 1, BestAbsCorr: low0b},
		{Epoch: 5, Node: 0, Level: 0, DepthIndex: 2, BestAbsCorr: root5},
		{Epoch: 5, Node: 1, Level: 1, DepthIndex: 1, BestAbsCorr: low5a},
		{Epoch: 5, Node: 2, Level: 1, DepthIndex: 1, BestAbsCorr: low5b},
	}
	for i := range rows {
		rows[i].Ceiling = 0.9 + 0.05*float64(rows[i].Level) // 0.9 at the root, 0.95 below
	}
	return rows
}

func TestSummarise(t *testing.T) {
	g := mustGrid(t, "seed = 1..2\nhid = 2, 4\n")
	runs, _ := g.Runs()
	results := []RunResult{
		{Run: runs[0], Probe: rowsFor(0.1, 0.5, 0.2, 0.4, 0.8, 0.6)},
		{Run: runs[1], Probe: rowsFor(0.3, 0.7, 0.2, 0.2, 0.9, 0.9)},
		{Run: runs[2], Probe: rowsFor(0.2, 0.9, 0.1, 0.1, 1.0, 1.0)},
		// The last run of hid=4 lost its epoch-0 rows: it counts for Final only.
		{Run: runs[3], Probe: rowsFor(0.2, 0.7, 0.1, 0.1, 0.8, 0.8)[3:]},
	}
	sum := Summarise(results)
	if len(sum) != 4 {
		t.Fatalf("%d summary rows, want 4", len(sum))
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	r := sum[0] // hid=2, root
	if r.Setting != "hid=2" || r.Level != 0 || r.DepthIndex != 2 || r.FinalEpoch != 5 ||
		!near(r.Init.Mean, 0.2) || !near(r.Final.Mean, 0.6) || !near(r.Final.SD, math.Sqrt(0.02)) {
		t.Errorf("hid=2 root: %+v", r)
	}
	r = sum[1] // hid=2, level 1: per-run level means 0.7 and 0.9 at the end, 0.3 and 0.2 at init
	if r.Level != 1 || !near(r.Final.Mean, 0.8) || !near(r.Init.Mean, 0.25) || r.Final.N != 2 {
		t.Errorf("hid=2 level 1: %+v", r)
	}
	r = sum[3] // hid=4, level 1
	if r.Setting != "hid=4" || r.Init.N != 1 || r.Final.N != 2 || !near(r.Final.Mean, 0.9) {
		t.Errorf("hid=4 level 1: %+v", r)
	}
	text := FormatSummary(Varying(runs), sum)
	for _, want := range []string{"| hid | level | d | seeds | epoch | init          | final         |", "| 2   | 0     | 2 | 2     | 5     | 0.200 ± 0.141 | 0.600 ± 0.141 | 0.900   |", "| 4   | 1     | 1 | 2     | 5     | 0.100         | 0.900 ± 0.141 | 0.950   |"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}

	wide := FormatSummaryWide(Varying(runs), sum)
	for _, want := range []string{"| hid | seeds | epoch | root (d=2)            | level 1 (d=1)         |",
		"| 4   | 2     | 5     | 0.800 ± 0.141 (0.200) | 0.900 ± 0.141 (0.100) |"} {
		if !strings.Contains(wide, want) {
			t.Errorf("wide summary lacks %q:\n%s", want, wide)
		}
	}

	for name, mk := range map[string]func() error{
		"trend": func() error {
			f, err := TrendPlot("hid", results)
			if err != nil {
				return err
			}
			for _, format := range report.Formats {
				if _, err := f.Encode(format, FigureSize(f, report.DPI)); err != nil {
					return err
				}
			}
			return nil
		},
		"curves": func() error {
			f, err := CurvePlot("hid=2", results[:2])
			if err != nil {
				return err
			}
			b, err := f.Encode("svg", FigureSize(f, report.DPI))
			if err == nil && !bytes.Contains(b, []byte("ceiling 0.900")) {
				err = fmt.Errorf("the learning curves' legend names no ceiling")
			}
			return err
		},
	} {
		if err := mk(); err != nil {
			t.Errorf("%s plot: %v", name, err)
		}
	}
	if _, err := TrendPlot("hid", nil); err == nil {
		t.Error("trend plot of nothing did not fail")
	}
}

// uniformResults gives every run of the grid the same probe rows.
func uniformResults(t *testing.T, grid string) []RunResult {
	t.Helper()
	runs, err := mustGrid(t, grid).Runs()
	if err != nil {
		t.Fatal(err)
	}
	var results []RunResult
	for _, r := range runs {
		results = append(results, RunResult{Run: r, Probe: rowsFor(0.1, 0.5, 0.2, 0.4, 0.8, 0.6)})
	}
	return results
}

func TestTrendPlotHoldsOtherKeysAtTheBase(t *testing.T) {
	results := uniformResults(t, "seed = 1..2\nhid = 4\nloss = nce\n[width]\nhid = 2, 4\n[loss]\nloss = nce, simp\n")
	f, err := TrendPlot("hid", results)
	if err != nil {
		t.Fatal(err)
	}
	// The simp runs (hid 4 only) are left out: the slice loss=nce has both widths.
	if !strings.HasSuffix(f.Title, " at loss=nce") || len(f.Panels) != 1 || len(f.Panels[0]) != 1 {
		t.Errorf("title %q, %d rows of panels; want one panel at loss=nce", f.Title, len(f.Panels))
	}
	f, err = TrendPlot("loss", results)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(f.Title, " at hid=4") {
		t.Errorf("title %q, want it to end at hid=4", f.Title)
	}
}

// TestTrendPlotSmallMultiples checks that every slice of a full-factorial
// grid gets a panel, that numeric keys are spaced by value and categorical
// ones shown as categories with no line joining them.
func TestTrendPlotSmallMultiples(t *testing.T) {
	results := uniformResults(t, "seed = 1..2\nhid = 2, 4, 10\nloss = nce, simp\ndelta_lower = 0.6, 0.9\n")
	f, err := TrendPlot("hid", results)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, row := range f.Panels {
		for _, p := range row {
			if p != nil {
				titles = append(titles, p.Title.Text)
				var ticks []string
				for _, tk := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
					ticks = append(ticks, fmt.Sprintf("%v=%s", tk.Value, tk.Label))
				}
				if got := strings.Join(ticks, " "); got != "2=2 4=4 10=10" {
					t.Errorf("hid ticks %q: numbers must sit at their values", got)
				}
			}
		}
	}
	if want := "delta_lower=0.6, loss=nce|delta_lower=0.6, loss=simp|delta_lower=0.9, loss=nce|delta_lower=0.9, loss=simp"; strings.Join(titles, "|") != want {
		t.Errorf("panels %q, want %q", strings.Join(titles, "|"), want)
	}
	f, err = TrendPlot("loss", results)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Panels) * len(f.Panels[0]); n < 6 {
		t.Errorf("%d tiles for the 6 slices of hid × delta_lower", n)
	}
	p := f.Panels[0][0]
	var labels []string
	for _, tk := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		labels = append(labels, tk.Label)
	}
	if got := strings.Join(labels, " "); got != "nce simp" {
		t.Errorf("loss ticks %q, want the categories", got)
	}
	b, err := f.Encode("svg", FigureSize(f, report.DPI))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("hid=10, delta_lower=0.9")) && !bytes.Contains(b, []byte("delta_lower=0.9, hid=10")) {
		t.Error("the svg lacks the panel of slice delta_lower=0.9, hid=10")
	}
}
