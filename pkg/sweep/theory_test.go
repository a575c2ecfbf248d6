package sweep

import (
	"math"
	"strings"
	"testing"
)

// TestSummariseAmplification: two seeds of one setting on a depth-2 tree
// (root and two level-1 latents, 4 neurons each), amplification columns at
// the last epoch only matter.
func TestSummariseAmplification(t *testing.T) {
	g := mustGrid(t, "seed = 1..2\nhid = 4\n")
	runs, _ := g.Runs()
	mk := func(rootRank, aRank, bRank int, sp float64) []ProbeRow {
		rows := rowsFor(0.1, 0.5, 0.2, 0.4, 0.8, 0.6)
		ranks := []int{rootRank, aRank, bRank}
		for i := range rows {
			rows[i].Amp = Amp{Spearman: 1, InitRank: 1, Neurons: 4, SignKept: 1}
			if rows[i].Epoch == 5 {
				rows[i].Amp = Amp{Spearman: sp, InitRank: ranks[rows[i].Node], Neurons: 4, SignKept: 0.5}
			}
		}
		rows[4].Amp.Spearman = math.NaN() // one latent's Spearman undefined: left out of its level's mean
		return rows
	}
	res := []RunResult{{Run: runs[0], Probe: mk(1, 1, 3, 0.4)}, {Run: runs[1], Probe: mk(2, 2, 1, 0.8)}}
	sum := SummariseAmplification(res)
	if len(sum) != 2 {
		t.Fatalf("%d rows, want 2 (one setting, two levels)", len(sum))
	}
	root, low := sum[0], sum[1]
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	if root.Level != 0 || !near(root.Top1.Mean, 0.5) || !near(root.Top2.Mean, 1) || !near(root.Spearman.Mean, 0.6) ||
		!near(root.Chance1, 0.25) || !near(root.Chance2, 0.5) || root.FinalEpoch != 5 || !near(root.Sign.Mean, 0.5) {
		t.Errorf("root: %+v", root)
	}
	// Level 1: seed 1 ranks 1, 3 → top-1 ½, top-2 ½; seed 2 ranks 2, 1 → ½, 1.
	if low.Level != 1 || !near(low.Top1.Mean, 0.5) || !near(low.Top2.Mean, 0.75) || !near(low.Spearman.Mean, 0.6) {
		t.Errorf("level 1: %+v", low)
	}
	text := FormatAmplification(Varying(runs), sum)
	if !strings.Contains(text, "0.500 ± 0.000 (0.25)") || !strings.Contains(text, "| spearman") {
		t.Errorf("table:\n%s", text)
	}
	if SummariseAmplification([]RunResult{{Run: runs[0], Probe: rowsFor(0, 0, 0, 0, 0, 0)}}) != nil {
		t.Error("a run without amplification columns summarised")
	}
}

func TestSummariseOperators(t *testing.T) {
	g := mustGrid(t, "seed = 1..2\nloss = simp, nce\n")
	runs, _ := g.Runs()
	mk := func(c0, c1 float64) []CovopRow {
		return []CovopRow{
			{Epoch: 0, Level: 1, DepthIndex: 1, StepCos: c0, StepResidue: 0.1, StepNoise: 0.05, Align1: 0.2, AlignN: 0.3},
			{Epoch: 0, Level: 0, DepthIndex: 2, StepCos: c0, StepResidue: 0.1, Align1: 0.2, AlignN: 0.3},
			{Epoch: 10, Level: 1, DepthIndex: 1, StepCos: c1, StepResidue: 0.5, Align1: math.NaN(), AlignN: 0.9},
			{Epoch: 10, Level: 0, DepthIndex: 2, StepCos: c1, StepResidue: 0.5, Align1: 0.6, AlignN: 0.9},
		}
	}
	res := []RunResult{{Run: runs[0], Covop: mk(0.9, 0.5)}, {Run: runs[1], Covop: mk(0.7, 0.3)}, {Run: runs[2]}}
	sum := SummariseOperators(res)
	if len(sum) != 2 {
		t.Fatalf("%d rows, want 2", len(sum))
	}
	r := sum[1] // loss=simp? runs order: the first setting, level 1
	if r.Level != 1 || r.FirstEpoch != 0 || r.LastEpoch != 10 || math.Abs(r.CosFirst.Mean-0.8) > 1e-12 || math.Abs(r.CosLast.Mean-0.4) > 1e-12 ||
		r.Align1.N != 0 || math.Abs(r.AlignN.Mean-0.9) > 1e-12 || math.Abs(r.AlignNFirst.Mean-0.3) > 1e-12 ||
		math.Abs(r.NoiseFirst.Mean-0.05) > 1e-12 || r.NoiseLast.N != 2 {
		t.Errorf("level 1: %+v", r)
	}
	if text := FormatOperators(Varying(runs), sum); !strings.Contains(text, "0→10") || !strings.Contains(text, "0.800 ± 0.141") {
		t.Errorf("table:\n%s", text)
	}
}
