package sweep

import (
	"fmt"
	"sort"
)

// LinevalRow is the part of one lineval-table row the summary needs: the
// held-out accuracy of a logistic regression of one latent on one feature
// set of one snapshot, and the Bayes ceiling of the leaves it sees.
type LinevalRow struct {
	Epoch      int
	Node       int
	Level      int
	DepthIndex int
	Features   string
	Accuracy   float64
	Ceiling    float64
}

// LinevalSummary is one line of the linear-evaluation summary: one
// setting, level and feature set, over the setting's seeds.
type LinevalSummary struct {
	Setting    string
	Values     []Value
	Level      int
	DepthIndex int
	Features   string
	// Init and Final are the level's mean accuracy at epoch 0 and at each
	// run's last epoch; Ceiling the level's mean ceiling.
	Init, Final, Ceiling Stat
}

// SummariseLineval returns, for every setting (in run order), level (root
// first) and feature set (in table order), mean ± sd over seeds of the
// level's mean held-out accuracy at initialisation and at the last epoch,
// and of its mean ceiling. Runs without lineval rows are skipped.
func SummariseLineval(results []RunResult) []LinevalSummary {
	type key struct {
		setting  string
		level    int
		features string
	}
	type acc struct {
		s                 LinevalSummary
		init, final, ceil []float64
	}
	var order []key
	all := map[key]*acc{}
	for _, res := range results {
		if len(res.Lineval) == 0 {
			continue
		}
		last := 0
		for _, r := range res.Lineval {
			last = max(last, r.Epoch)
		}
		// Per level and feature set: mean over the level's latents.
		type lk struct {
			level    int
			features string
			epoch    int
		}
		sum, ceil, cnt := map[lk]float64{}, map[lk]float64{}, map[lk]int{}
		var keys []key
		for _, r := range res.Lineval {
			k := lk{r.Level, r.Features, r.Epoch}
			if cnt[k] == 0 && r.Epoch == last {
				keys = append(keys, key{res.Run.Setting, r.Level, r.Features})
			}
			sum[k] += r.Accuracy
			ceil[k] += r.Ceiling
			cnt[k]++
		}
		for _, k := range keys {
			a := all[k]
			if a == nil {
				a = &acc{s: LinevalSummary{Setting: k.setting, Values: res.Run.Values, Level: k.level, Features: k.features}}
				all[k] = a
				order = append(order, k)
			}
			for _, r := range res.Lineval {
				if r.Level == k.level {
					a.s.DepthIndex = r.DepthIndex
					break
				}
			}
			fin := lk{k.level, k.features, last}
			a.final = append(a.final, sum[fin]/float64(cnt[fin]))
			a.ceil = append(a.ceil, ceil[fin]/float64(cnt[fin]))
			if ini := (lk{k.level, k.features, 0}); cnt[ini] > 0 && last > 0 {
				a.init = append(a.init, sum[ini]/float64(cnt[ini]))
			}
		}
	}
	// Settings in run order, then level, then feature set in table order.
	rank := map[string]int{}
	for _, k := range order {
		if _, ok := rank[k.setting]; !ok {
			rank[k.setting] = len(rank)
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if rank[a.setting] != rank[b.setting] {
			return rank[a.setting] < rank[b.setting]
		}
		return a.level < b.level
	})
	out := make([]LinevalSummary, 0, len(order))
	for _, k := range order {
		a := all[k]
		a.s.Init, a.s.Final, a.s.Ceiling = StatOf(a.init), StatOf(a.final), StatOf(a.ceil)
		out = append(out, a.s)
	}
	return out
}

// FormatLineval returns the linear-evaluation summary as a Markdown
// table: one row per setting and level with the values of the varying
// keys (seed excluded), then per feature set the final accuracy mean ±
// sd over seeds, its mean at initialisation in parentheses, and the mean
// ceiling.
func FormatLineval(varying []string, rows []LinevalSummary) string {
	var keys []string
	for _, k := range varying {
		if k != "seed" {
			keys = append(keys, k)
		}
	}
	var feats []string
	seenF := map[string]bool{}
	type lineKey struct {
		setting string
		level   int
	}
	var lines []lineKey
	seenL := map[lineKey]bool{}
	cell := map[lineKey]map[string]LinevalSummary{}
	for _, r := range rows {
		if !seenF[r.Features] {
			seenF[r.Features] = true
			feats = append(feats, r.Features)
		}
		lk := lineKey{r.Setting, r.Level}
		if !seenL[lk] {
			seenL[lk] = true
			lines = append(lines, lk)
			cell[lk] = map[string]LinevalSummary{}
		}
		cell[lk][r.Features] = r
	}
	header := append(append([]string(nil), keys...), "level", "d", "seeds")
	for _, f := range feats {
		header = append(header, f+" accuracy", f+" ceiling")
	}
	table := [][]string{header}
	for _, lk := range lines {
		var any LinevalSummary
		for _, f := range feats {
			if r, ok := cell[lk][f]; ok {
				any = r
				break
			}
		}
		var line []string
		for _, k := range keys {
			line = append(line, any.Values[ParamIndex(k)].Text)
		}
		line = append(line, fmt.Sprint(lk.level), fmt.Sprint(any.DepthIndex), fmt.Sprint(any.Final.N))
		for _, f := range feats {
			r, ok := cell[lk][f]
			if !ok {
				line = append(line, "–", "–")
				continue
			}
			acc := r.Final.String()
			if r.Init.N > 0 {
				acc += fmt.Sprintf(" (%.3f)", r.Init.Mean)
			}
			line = append(line, acc, ceilingText(r.Ceiling))
		}
		table = append(table, line)
	}
	return markdownTable(table)
}
