package covop

import (
	"math"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dualssl/dualssl/pkg/loss"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/train"
)

// explicitAlignment decomposes OP itself and returns the fractions of
// ‖w‖² in its top-1 and top-k eigenspaces (eigenvalues above tol·λ_max).
func explicitAlignment(t *testing.T, op *mat.SymDense, w []float64, k int, tol float64) (float64, float64) {
	var es mat.EigenSym
	if !es.Factorize(op, true) {
		t.Fatal("eigendecomposition failed")
	}
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	idx := make([]int, len(vals))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return vals[idx[a]] > vals[idx[b]] })
	wv := mat.NewVecDense(len(w), w)
	ww := mat.Dot(wv, wv)
	lmax := vals[idx[0]]
	// Group tied eigenvalues (the output layer's are n_L-fold).
	var top1, sum float64
	groups := 0
	for n, i := range idx {
		if !(vals[i] > tol*lmax) {
			break
		}
		if n == 0 || vals[idx[n-1]]-vals[i] > 1e-9*lmax {
			groups++
			if groups == 2 {
				top1 = sum / ww
			}
			if n >= k {
				break
			}
		}
		c := mat.Dot(vecs.ColView(i), wv)
		sum += c * c
	}
	if groups < 2 {
		top1 = sum / ww
	}
	return top1, sum / ww
}

// TestAlignmentMatchesEigenvectors checks the eigenspace fractions against
// a direct decomposition of OP, through the Gram route (root key: 2·n_L
// rows, fewer than the side) and the direct one (a kept level with many
// keys), for the tree network and the MLP.
func TestAlignmentMatchesEigenvectors(t *testing.T) {
	m := testModel(t, 2, 2, 241)
	mlp := nn.NewMLP(m.NumLeaves(), []int{5, 3}, false)
	mlp.Init(testRand(242), 1)
	for _, net := range []*nn.Network{testTree(2, 2, 3, false, 243), testTree(2, 2, 3, true, 244), mlp} {
		for _, keep := range []int{0, 2} {
			d, err := Exact(m, keep)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Analyze(net, d, Config{Matrix: true, Align: true})
			if err != nil {
				t.Fatal(err)
			}
			p := newPlan(net)
			for _, o := range rep.Operators {
				if o.Scope == ScopeNode {
					if !math.IsNaN(o.AlignTop1) {
						t.Fatalf("node %s: alignment %v, want NaN", o.Name, o.AlignTop1)
					}
					continue
				}
				w := layerVec(p, net.Layers[o.Layer-1].Blocks, o.Layer-1, func(b *nn.Block) []float64 { return b.W })
				w1, wk := explicitAlignment(t, o.Matrix, w, net.OutDim(), DefaultRankTol)
				if math.Abs(w1-o.AlignTop1) > 1e-9 || math.Abs(wk-o.AlignTopN) > 1e-9 {
					t.Errorf("%s keep %d %s: alignment (%v, %v), direct (%v, %v)", net.Arch, keep, o.Name, o.AlignTop1, o.AlignTopN, w1, wk)
				}
				if !(o.AlignTop1 > 0 && o.AlignTop1 <= o.AlignTopN && o.AlignTopN <= 1+1e-12) {
					t.Errorf("%s %s: fractions %v, %v out of order", net.Arch, o.Name, o.AlignTop1, o.AlignTopN)
				}
			}
		}
	}
}

// TestExactAndMonteCarloAgree compares, on a depth-2 tree, the exact
// (enumerated) alignment fractions and Theorem 1 step with their Monte
// Carlo estimates from 16 independent sets of 2000 views.
//
// Alignment: the mean of the 16 estimates must lie within 4 standard
// errors (sd/√16) plus 1/rows (the estimators' O(1/n) bias) of the exact
// value (about 99.99 % for a normal mean).
//
// Step: the bias-free, un-normalised simp step from views (training's own
// ExpectedStep with fresh negatives) is an unbiased estimate of exactly
// 2·(2·OP·w) (the code's simp has no ½). The squared distance between the
// mean of the 16 step vectors and 4·OP·w must stay below 3 times its
// expectation Σ_i var_i/16 (a χ²-like statistic with 24 or 60 degrees of
// freedom: exceeded with probability below 1e-6). The cosine itself is
// biased low by O(dim/n) (1 − cos ≈ 0.003 here) and is only logged.
func TestExactAndMonteCarloAgree(t *testing.T) {
	m := testModel(t, 2, 2, 251)
	net := testTree(2, 2, 3, false, 252)
	d, err := Exact(m, 0)
	if err != nil {
		t.Fatal(err)
	}
	exact, err := Analyze(net, d, Config{Align: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.Config{Loss: loss.Simp{}, LR: 1, Seed: 253}
	const sets, rows = 16, 2000
	type stat struct{ sum, sum2 float64 }
	acc := map[string]*stat{}
	add := func(key string, v float64) {
		if acc[key] == nil {
			acc[key] = &stat{}
		}
		acc[key].sum += v
		acc[key].sum2 += v * v
	}
	stepSum := map[int][]float64{}
	stepSum2 := map[int][]float64{}
	reportedSE2 := map[int]float64{} // Σ over sets of the within-set Σ se²
	for set := range sets {
		keys, xa, xb := sampleViews(m, 0, 2*rows, uint64(260+set))
		in := m.NumLeaves()
		mc, err := FromViews(keys[:rows], xa[:rows*in], xb[:rows*in], in)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Analyze(net, mc, Config{Align: true})
		if err != nil {
			t.Fatal(err)
		}
		src := &train.Replay{Rows: rows, In: in, H: 1, XA: xa[:rows*in], XB: xb[:rows*in], XNeg: xa[rows*in:], Seed: 1, EpochRows: rows}
		st, err := train.ExpectedStep(net, cfg, src, 100)
		if err != nil {
			t.Fatal(err)
		}
		step := st.Mean
		if err := rep.FitStep(net, step, st.SE2); err != nil {
			t.Fatal(err)
		}
		p := newPlan(net)
		for _, o := range rep.Operators {
			if o.Scope != ScopeLevel {
				continue
			}
			add(o.Name+" align1", o.AlignTop1)
			add(o.Name+" alignN", o.AlignTopN)
			s := layerVec(p, step.Layers[o.Layer-1].Blocks, o.Layer-1, func(b *nn.Block) []float64 { return b.W })
			ss := 0.0
			for _, v := range s {
				ss += v * v
			}
			reportedSE2[o.Layer] += o.StepNoise * o.StepNoise * ss
			if stepSum[o.Layer] == nil {
				stepSum[o.Layer], stepSum2[o.Layer] = make([]float64, len(s)), make([]float64, len(s))
			}
			for r, v := range s {
				stepSum[o.Layer][r] += v
				stepSum2[o.Layer][r] += v * v
			}
		}
	}
	for _, o := range exact.Operators {
		if o.Scope != ScopeLevel {
			continue
		}
		for key, want := range map[string]float64{o.Name + " align1": o.AlignTop1, o.Name + " alignN": o.AlignTopN} {
			s := acc[key]
			mean := s.sum / sets
			sd := math.Sqrt(max(0, s.sum2/sets-mean*mean) * sets / (sets - 1))
			tolerance := 4*sd/math.Sqrt(sets) + 1.0/rows
			t.Logf("%-14s exact %.5f  Monte Carlo %.5f (sd of one set %.5f)", key, want, mean, sd)
			if math.Abs(mean-want) > tolerance {
				t.Errorf("%s: Monte Carlo mean %.5f differs from exact %.5f by more than %.5f", key, mean, want, tolerance)
			}
		}
		dist2, expect := 0.0, 0.0
		for r, v := range stepSum[o.Layer] {
			mean := v / sets
			variance := max(0, stepSum2[o.Layer][r]/sets-mean*mean) * sets / (sets - 1)
			e := mean - 2*o.OpW[r]
			dist2 += e * e
			expect += variance / sets
		}
		t.Logf("%s: ‖mean step − 4·OP·w‖² = %.3g, expected %.3g under Monte Carlo error alone", o.Name, dist2, expect)
		// StepNoise, from the spread of one set's batches, must predict the
		// spread across sets: their ratio has a relative sd of about
		// √(2/16) for the across-set side, so [0.5, 2] holds at > 3σ.
		ratio := reportedSE2[o.Layer] / sets / (expect * sets)
		t.Logf("%s: StepNoise-predicted / observed squared error per set: %.2f", o.Name, ratio)
		if ratio < 0.5 || ratio > 2 {
			t.Errorf("%s: StepNoise predicts a squared error %.3g per set, the sets' spread gives %.3g", o.Name, reportedSE2[o.Layer]/sets, expect*sets)
		}
		if dist2 > 3*expect {
			t.Errorf("%s: the mean Monte Carlo step misses 4·OP·w by %.3g (squared), 3× its expected %.3g", o.Name, dist2, expect)
		}
	}
}
