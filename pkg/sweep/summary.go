package sweep

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// ProbeRow is the part of one probe-table row the summary needs: the best
// |corr| of one latent node at one epoch (epoch 0 = initialisation).
type ProbeRow struct {
	Epoch       int
	Node        int
	Level       int // edges from the root
	DepthIndex  int // depth − level (root = depth, lowest latents = 1)
	BestAbsCorr float64
	// Ceiling is the best any neuron of the architecture could do for the
	// node (probe's ceiling column); NaN when unknown.
	Ceiling float64
	// Amp holds probe's amplification columns (against epoch 0); its
	// Neurons is 0 when the table has none.
	Amp Amp
}

// RunResult is one finished run, its probe (and covop) rows and its
// linear evaluation rows (none for a run made before probe had --lineval).
type RunResult struct {
	Run     Run
	Probe   []ProbeRow
	Covop   []CovopRow
	Lineval []LinevalRow
}

// Stat is a mean and sample standard deviation over N values (SD is NaN
// when N < 2).
type Stat struct {
	Mean, SD float64
	N        int
}

// StatOf returns the mean and sample standard deviation (n − 1) of xs.
func StatOf(xs []float64) Stat {
	s := Stat{N: len(xs), Mean: math.NaN(), SD: math.NaN()}
	if len(xs) == 0 {
		return s
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	s.Mean = sum / float64(len(xs))
	if len(xs) > 1 {
		var ss float64
		for _, x := range xs {
			ss += (x - s.Mean) * (x - s.Mean)
		}
		s.SD = math.Sqrt(ss / float64(len(xs)-1))
	}
	return s
}

// String formats s as "0.912 ± 0.031" ("0.912" alone when N < 2).
func (s Stat) String() string {
	if s.N == 0 {
		return "–"
	}
	if s.N < 2 {
		return fmt.Sprintf("%.3f", s.Mean)
	}
	return fmt.Sprintf("%.3f ± %.3f", s.Mean, s.SD)
}

// LevelCurve is, for one run, the mean best |corr| over the latent nodes of
// one level at every epoch probed (Epochs ascending).
type LevelCurve struct {
	Level, DepthIndex int
	Epochs            []int
	Mean              []float64
	// Ceiling is the mean ceiling of the level's latents at each epoch
	// (NaN when a row's ceiling is unknown).
	Ceiling []float64
}

// RunCurves returns the run's per-level curves, one per level present in
// rows, by level ascending.
func RunCurves(rows []ProbeRow) []LevelCurve {
	type key struct{ level, epoch int }
	sum, ceil := map[key]float64{}, map[key]float64{}
	cnt := map[key]int{}
	depthIndex := map[int]int{}
	epochs := map[int]map[int]bool{}
	for _, r := range rows {
		k := key{r.Level, r.Epoch}
		sum[k] += r.BestAbsCorr
		ceil[k] += r.Ceiling
		cnt[k]++
		depthIndex[r.Level] = r.DepthIndex
		if epochs[r.Level] == nil {
			epochs[r.Level] = map[int]bool{}
		}
		epochs[r.Level][r.Epoch] = true
	}
	levels := sortedKeys(epochs)
	out := make([]LevelCurve, 0, len(levels))
	for _, l := range levels {
		c := LevelCurve{Level: l, DepthIndex: depthIndex[l]}
		for e := range epochs[l] {
			c.Epochs = append(c.Epochs, e)
		}
		sort.Ints(c.Epochs)
		for _, e := range c.Epochs {
			n := float64(cnt[key{l, e}])
			c.Mean = append(c.Mean, sum[key{l, e}]/n)
			c.Ceiling = append(c.Ceiling, ceil[key{l, e}]/n)
		}
		out = append(out, c)
	}
	return out
}

// LevelSummary is one line of the summary: one setting (the runs that
// differ only in seed) and one level, over its seeds.
type LevelSummary struct {
	Setting    string  // Run.Setting of the runs
	Values     []Value // the setting's values, one per entry of Params (seed: the first run's)
	Level      int
	DepthIndex int
	// Init is the level's mean best |corr| at epoch 0 (initialisation) and
	// Final at each run's last epoch, over the setting's seeds.
	Init, Final Stat
	// Ceiling is the level's mean ceiling at the last epoch, over the seeds
	// whose probe tables have one.
	Ceiling Stat
	// FinalEpoch is the last epoch probed (the largest over the seeds).
	FinalEpoch int
}

// Summarise returns, for every setting (in run order) and level (root
// first), the mean ± sd over seeds of the level's mean best |corr| at
// initialisation and at the last epoch. A run with no epoch 0 contributes
// to Final only.
func Summarise(results []RunResult) []LevelSummary {
	type acc struct {
		s                 LevelSummary
		init, final, ceil []float64
	}
	var order []string
	bySetting := map[string]map[int]*acc{}
	for _, res := range results {
		set := bySetting[res.Run.Setting]
		if set == nil {
			set = map[int]*acc{}
			bySetting[res.Run.Setting] = set
			order = append(order, res.Run.Setting)
		}
		for _, c := range RunCurves(res.Probe) {
			a := set[c.Level]
			if a == nil {
				a = &acc{s: LevelSummary{Setting: res.Run.Setting, Values: res.Run.Values, Level: c.Level, DepthIndex: c.DepthIndex}}
				set[c.Level] = a
			}
			if c.Epochs[0] == 0 {
				a.init = append(a.init, c.Mean[0])
			}
			last := len(c.Epochs) - 1
			a.final = append(a.final, c.Mean[last])
			if x := c.Ceiling[last]; !math.IsNaN(x) {
				a.ceil = append(a.ceil, x)
			}
			if c.Epochs[last] > a.s.FinalEpoch {
				a.s.FinalEpoch = c.Epochs[last]
			}
		}
	}
	var out []LevelSummary
	for _, setting := range order {
		levels := sortedKeys(bySetting[setting])
		for _, l := range levels {
			a := bySetting[setting][l]
			a.s.Init, a.s.Final, a.s.Ceiling = StatOf(a.init), StatOf(a.final), StatOf(a.ceil)
			out = append(out, a.s)
		}
	}
	return out
}

// FormatSummary returns the summary as a Markdown table: one row per
// setting and level with the values of the varying keys (the grid's keys
// with more than one value, seed excluded), the level, its depth index,
// the number of seeds, mean ± sd of best |corr| at initialisation and at
// the last epoch, and the mean ceiling (the best the architecture could do).
func FormatSummary(varying []string, rows []LevelSummary) string {
	keys := withoutSeed(varying)
	header := append(append([]string(nil), keys...), "level", "d", "seeds", "epoch", "init", "final", "ceiling")
	table := [][]string{header}
	for _, r := range rows {
		var line []string
		for _, k := range keys {
			line = append(line, r.Values[ParamIndex(k)].Text)
		}
		line = append(line, fmt.Sprint(r.Level), fmt.Sprint(r.DepthIndex), fmt.Sprint(r.Final.N),
			fmt.Sprint(r.FinalEpoch), r.Init.String(), r.Final.String(), ceilingText(r.Ceiling))
		table = append(table, line)
	}
	return markdownTable(table)
}

// ceilingText formats a ceiling's mean ("–" when unknown).
func ceilingText(s Stat) string {
	if s.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f", s.Mean)
}

// markdownTable formats rows (the first is the header) as an aligned
// Markdown table.
func markdownTable(table [][]string) string {
	width := make([]int, len(table[0]))
	for _, line := range table {
		for i, c := range line {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	writeLine := func(cells []string) {
		b.WriteString("|")
		for i, c := range cells {
			b.WriteString(" " + c + strings.Repeat(" ", width[i]-len([]rune(c))) + " |")
		}
		b.WriteString("\n")
	}
	writeLine(table[0])
	sep := make([]string, len(width))
	for i := range sep {
		sep[i] = strings.Repeat("-", width[i])
	}
	writeLine(sep)
	for _, line := range table[1:] {
		writeLine(line)
	}
	return b.String()
}

// FormatSummaryWide returns the summary as a Markdown table with one row
// per setting (the values of the varying keys, seed excluded) and one
// column per level, root first, headed by the level and its depth index;
// a cell is "final mean ± sd (init mean)".
func FormatSummaryWide(varying []string, rows []LevelSummary) string {
	keys := withoutSeed(varying)
	var settings []string
	bySetting := map[string][]LevelSummary{}
	levelIdx := map[int]int{} // level → depth index
	for _, r := range rows {
		if _, ok := bySetting[r.Setting]; !ok {
			settings = append(settings, r.Setting)
		}
		bySetting[r.Setting] = append(bySetting[r.Setting], r)
		levelIdx[r.Level] = r.DepthIndex
	}
	levels := sortedKeys(levelIdx)
	header := append(append([]string(nil), keys...), "seeds", "epoch")
	for _, l := range levels {
		name := fmt.Sprintf("level %d (d=%d)", l, levelIdx[l])
		if l == 0 {
			name = fmt.Sprintf("root (d=%d)", levelIdx[l])
		}
		header = append(header, name)
	}
	table := [][]string{header}
	for _, set := range settings {
		rs := bySetting[set]
		var line []string
		for _, k := range keys {
			line = append(line, rs[0].Values[ParamIndex(k)].Text)
		}
		line = append(line, fmt.Sprint(rs[0].Final.N), fmt.Sprint(rs[0].FinalEpoch))
		for _, l := range levels {
			cell := "–"
			for _, r := range rs {
				if r.Level == l {
					cell = r.Final.String()
					if r.Init.N > 0 {
						cell += fmt.Sprintf(" (%.3f)", r.Init.Mean)
					}
				}
			}
			line = append(line, cell)
		}
		table = append(table, line)
	}
	return markdownTable(table)
}
