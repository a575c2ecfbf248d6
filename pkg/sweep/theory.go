package sweep

import (
	"fmt"
	"math"
	"sort"
)

// Amp is one latent's amplification of initial selectivity at one epoch
// (probe's amp_* columns, docs/theory.md §10).
type Amp struct {
	Spearman float64 // Spearman of |s_k(0)| and |s_k(t)| over the latent's neurons (NaN if undefined)
	InitRank int     // rank at epoch 0 of the neuron best at t (1 = best)
	Neurons  int     // neurons compared (0: no amplification columns)
	SignKept float64 // fraction of neurons whose correlation kept its sign
}

// CovopRow is the part of one covop-table row of scope level or layer that
// the operator summary needs (docs/theory.md §9).
type CovopRow struct {
	Epoch, Level, DepthIndex int
	StepCos, StepResidue     float64 // NaN when covop ran without --step
	StepNoise                float64 // the step's relative Monte Carlo error (NaN without --step)
	Align1, AlignN           float64 // NaN when covop ran without --align
}

// AmpSummary is one setting and level's amplification at the last epoch,
// over seeds: each seed contributes the level's mean Spearman (over its
// latents), the fraction of its latents whose best neuron at the end was
// the best (Top1) or in the top 2 (Top2) at initialisation, and the mean
// fraction of neurons that kept their sign.
type AmpSummary struct {
	Setting                    string
	Values                     []Value
	Level, DepthIndex          int
	FinalEpoch                 int
	Spearman, Top1, Top2, Sign Stat
	// Chance1 and Chance2 are Top1's and Top2's values under no
	// amplification: 1/n and 2/n for n neurons per latent.
	Chance1, Chance2 float64
}

// SummariseAmplification returns, per setting (in run order) and level
// (root first), the amplification at each run's last epoch, mean ± sd over
// seeds. Runs whose probe tables lack the amplification columns are left
// out; nil when none has them.
func SummariseAmplification(results []RunResult) []AmpSummary {
	type acc struct {
		s                          AmpSummary
		sp, top1, top2, sign, ch1s []float64
		ch2s                       []float64
	}
	var order []string
	bySetting := map[string]map[int]*acc{}
	for _, res := range results {
		last := -1
		for _, r := range res.Probe {
			if r.Amp.Neurons > 0 {
				last = max(last, r.Epoch)
			}
		}
		if last < 0 {
			continue
		}
		type lvAcc struct {
			di                         int
			sp                         []float64
			top1, top2, sign, ch1, ch2 float64
			n                          int
		}
		levels := map[int]*lvAcc{}
		for _, r := range res.Probe {
			if r.Epoch != last || r.Amp.Neurons == 0 {
				continue
			}
			a := levels[r.Level]
			if a == nil {
				a = &lvAcc{di: r.DepthIndex}
				levels[r.Level] = a
			}
			if !math.IsNaN(r.Amp.Spearman) {
				a.sp = append(a.sp, r.Amp.Spearman)
			}
			if r.Amp.InitRank <= 1 {
				a.top1++
			}
			if r.Amp.InitRank <= 2 {
				a.top2++
			}
			a.sign += r.Amp.SignKept
			a.ch1 += 1 / float64(r.Amp.Neurons)
			a.ch2 += min(2/float64(r.Amp.Neurons), 1)
			a.n++
		}
		set := bySetting[res.Run.Setting]
		if set == nil {
			set = map[int]*acc{}
			bySetting[res.Run.Setting] = set
			order = append(order, res.Run.Setting)
		}
		for l, a := range levels {
			s := set[l]
			if s == nil {
				s = &acc{s: AmpSummary{Setting: res.Run.Setting, Values: res.Run.Values, Level: l, DepthIndex: a.di}}
				set[l] = s
			}
			n := float64(a.n)
			if len(a.sp) > 0 {
				s.sp = append(s.sp, StatOf(a.sp).Mean)
			}
			s.top1 = append(s.top1, a.top1/n)
			s.top2 = append(s.top2, a.top2/n)
			s.sign = append(s.sign, a.sign/n)
			s.ch1s = append(s.ch1s, a.ch1/n)
			s.ch2s = append(s.ch2s, a.ch2/n)
			s.s.FinalEpoch = max(s.s.FinalEpoch, last)
		}
	}
	var out []AmpSummary
	for _, setting := range order {
		for _, l := range sortedKeys(bySetting[setting]) {
			a := bySetting[setting][l]
			a.s.Spearman, a.s.Top1, a.s.Top2, a.s.Sign = StatOf(a.sp), StatOf(a.top1), StatOf(a.top2), StatOf(a.sign)
			a.s.Chance1, a.s.Chance2 = StatOf(a.ch1s).Mean, StatOf(a.ch2s).Mean
			out = append(out, a.s)
		}
	}
	return out
}

// FormatAmplification returns the amplification summary as a Markdown
// table: the varying keys (seed excluded), level, depth index, seeds, the
// last epoch, and mean ± sd over seeds of the Spearman correlation, the
// top-1 and top-2 hit rates (chance in parentheses) and the sign kept.
func FormatAmplification(varying []string, rows []AmpSummary) string {
	keys := withoutSeed(varying)
	header := append(append([]string(nil), keys...), "level", "d", "seeds", "epoch", "spearman", "best was best (chance)", "best was top 2 (chance)", "sign kept")
	table := [][]string{header}
	for _, r := range rows {
		var line []string
		for _, k := range keys {
			line = append(line, r.Values[ParamIndex(k)].Text)
		}
		line = append(line, fmt.Sprint(r.Level), fmt.Sprint(r.DepthIndex), fmt.Sprint(r.Top1.N), fmt.Sprint(r.FinalEpoch),
			r.Spearman.String(), fmt.Sprintf("%s (%.2f)", r.Top1, r.Chance1), fmt.Sprintf("%s (%.2f)", r.Top2, r.Chance2), r.Sign.String())
		table = append(table, line)
	}
	return markdownTable(table)
}

// OperatorSummary is one setting and level's covariance-operator picture,
// over seeds, at the first and the last epoch covop analysed: the cosine
// between the actual expected step and 2·OP·vec(W), the residue after the
// best scalar fit, and the fraction of ‖vec W‖² in OP's top-n_L (and
// top-1) eigenspace.
type OperatorSummary struct {
	Setting               string
	Values                []Value
	Level, DepthIndex     int
	FirstEpoch, LastEpoch int
	CosFirst, CosLast     Stat
	NoiseFirst, NoiseLast Stat // the step's relative Monte Carlo error: a cosine means little when it nears 1
	ResidueLast           Stat
	AlignNFirst, AlignN   Stat
	Align1                Stat // at the last epoch
}

// SummariseOperators returns the operator summary per setting (in run
// order) and level (root first); runs without covop rows are left out, and
// NaN values (a measure covop did not compute) are left out of their Stat.
func SummariseOperators(results []RunResult) []OperatorSummary {
	type acc struct {
		s                                       OperatorSummary
		cos0, cos1, res1, alignN0, alignN1, al1 []float64
		noise0, noise1                          []float64
	}
	var order []string
	bySetting := map[string]map[int]*acc{}
	push := func(xs *[]float64, v float64) {
		if !math.IsNaN(v) {
			*xs = append(*xs, v)
		}
	}
	for _, res := range results {
		if len(res.Covop) == 0 {
			continue
		}
		first, last := res.Covop[0].Epoch, res.Covop[0].Epoch
		for _, r := range res.Covop {
			first, last = min(first, r.Epoch), max(last, r.Epoch)
		}
		set := bySetting[res.Run.Setting]
		if set == nil {
			set = map[int]*acc{}
			bySetting[res.Run.Setting] = set
			order = append(order, res.Run.Setting)
		}
		for _, r := range res.Covop {
			a := set[r.Level]
			if a == nil {
				a = &acc{s: OperatorSummary{Setting: res.Run.Setting, Values: res.Run.Values, Level: r.Level, DepthIndex: r.DepthIndex, FirstEpoch: first}}
				set[r.Level] = a
			}
			a.s.FirstEpoch = min(a.s.FirstEpoch, first)
			a.s.LastEpoch = max(a.s.LastEpoch, last)
			if r.Epoch == first {
				push(&a.cos0, r.StepCos)
				push(&a.noise0, r.StepNoise)
				push(&a.alignN0, r.AlignN)
			}
			if r.Epoch == last {
				push(&a.cos1, r.StepCos)
				push(&a.noise1, r.StepNoise)
				push(&a.res1, r.StepResidue)
				push(&a.alignN1, r.AlignN)
				push(&a.al1, r.Align1)
			}
		}
	}
	var out []OperatorSummary
	for _, setting := range order {
		for _, l := range sortedKeys(bySetting[setting]) {
			a := bySetting[setting][l]
			a.s.CosFirst, a.s.CosLast, a.s.ResidueLast = StatOf(a.cos0), StatOf(a.cos1), StatOf(a.res1)
			a.s.NoiseFirst, a.s.NoiseLast = StatOf(a.noise0), StatOf(a.noise1)
			a.s.AlignNFirst, a.s.AlignN, a.s.Align1 = StatOf(a.alignN0), StatOf(a.alignN1), StatOf(a.al1)
			out = append(out, a.s)
		}
	}
	return out
}

// FormatOperators returns the operator summary as a Markdown table: per
// setting and level, mean ± sd over seeds of step_cos and step_noise at the
// first and last snapshot, the last step_residue, align_n at the first and
// last snapshot and the last align_1.
func FormatOperators(varying []string, rows []OperatorSummary) string {
	keys := withoutSeed(varying)
	header := append(append([]string(nil), keys...), "level", "d", "seeds", "epochs", "cos first", "noise first", "cos last", "noise last", "residue last", "align_n first", "align_n last", "align_1 last")
	table := [][]string{header}
	for _, r := range rows {
		var line []string
		for _, k := range keys {
			line = append(line, r.Values[ParamIndex(k)].Text)
		}
		line = append(line, fmt.Sprint(r.Level), fmt.Sprint(r.DepthIndex), fmt.Sprint(max(r.CosLast.N, r.AlignN.N)),
			fmt.Sprintf("%d→%d", r.FirstEpoch, r.LastEpoch), r.CosFirst.String(), r.NoiseFirst.String(), r.CosLast.String(), r.NoiseLast.String(), r.ResidueLast.String(),
			r.AlignNFirst.String(), r.AlignN.String(), r.Align1.String())
		table = append(table, line)
	}
	return markdownTable(table)
}

func withoutSeed(varying []string) []string {
	var keys []string
	for _, k := range varying {
		if k != "seed" {
			keys = append(keys, k)
		}
	}
	return keys
}

func sortedKeys[V any](m map[int]V) []int {
	ks := make([]int, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	return ks
}
