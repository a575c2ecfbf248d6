package covop

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/loss"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/rng"
)

// testBatch draws a batch of root-keyed views of m with H explicit
// negatives (fresh samples) or, inBatch, H distinct other rows.
func testBatch(m *hltm.Model, rows, H int, inBatch bool, seed uint64) *Batch {
	keys, xa, xb := sampleViews(m, 0, rows*(1+H), seed)
	_ = keys
	in := m.NumLeaves()
	b := &Batch{Rows: rows, H: H, XA: xa[:rows*in], XB: xb[:rows*in]}
	if !inBatch {
		b.XNeg = xa[rows*in:]
		return b
	}
	r := testRand(seed)
	b.NegIdx = make([]int, rows*H)
	for i := range rows {
		perm := r.Perm(rows - 1)
		for k := range H {
			b.NegIdx[i*H+k] = (i + 1 + perm[k]) % rows
		}
	}
	return b
}

func pairLosses() []loss.Pairwise {
	return []loss.Pairwise{loss.Simp{}, loss.Triplet{Temp: 0.5, Margin: 0.3}, loss.Triplet{Temp: 0, Margin: 2}, loss.NCE{Temp: 0.7}, loss.NCERef{Temp: 0.1}}
}

// TestPairwiseOperatorEveryLoss checks −∇_w L = OP^β_l·vec(W_l) for one
// batch, per level of a tree network and per layer of an MLP, for every
// loss with explicit and in-batch negatives, to 1e-10 relative; and that
// the matrix OP^β_l formed from the connections gives the same OP^β·w.
func TestPairwiseOperatorEveryLoss(t *testing.T) {
	m := testModel(t, 3, 2, 201)
	nets := []*nn.Network{testTree(3, 2, 3, false, 202), nn.NewMLP(m.NumLeaves(), []int{7, 5, 4}, false)}
	nets[1].Init(rng.New(203, rng.Init, 0), 1)
	for ni, net := range nets {
		for _, f := range pairLosses() {
			for _, c := range []struct {
				H       int
				inBatch bool
			}{{1, false}, {2, false}, {1, true}, {3, true}} {
				b := testBatch(m, 9, c.H, c.inBatch, uint64(300+ni))
				rep, err := PairwiseOperator(net, b, f, true)
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Layers) != len(net.Layers) {
					t.Fatalf("%d layers reported for %d", len(rep.Layers), len(net.Layers))
				}
				for _, pl := range rep.Layers {
					if !(pl.RelErr <= 1e-10) {
						t.Errorf("%s %s %+v %s: ‖−∇L − OP^β w‖ relative %g", net.Arch, f.Name(), c, pl.Name, pl.RelErr)
					}
					var w, mw mat.VecDense
					w.CloneFromVec(mat.NewVecDense(len(pl.OpW), layerVec(newPlan(net), net.Layers[pl.Layer-1].Blocks, pl.Layer-1, func(b *nn.Block) []float64 { return b.W })))
					mw.MulVec(pl.Matrix, &w)
					if e := relErr(mw.RawVector().Data, pl.OpW); !(e <= 1e-12) {
						t.Errorf("%s %s %+v %s: matrix OP^β·w differs from the contracted OP^β·w by %g", net.Arch, f.Name(), c, pl.Name, e)
					}
					if norm(pl.NegGrad) == 0 {
						t.Errorf("%s %s %+v %s: zero gradient: the check is vacuous", net.Arch, f.Name(), c, pl.Name)
					}
				}
			}
		}
	}
}

// TestPairwiseNCERefIsScaledSimp shows that nce-ref's exact step is simp's
// times one batch scalar, for every layer: OP^β(nce-ref)·w =
// c·OP^β(simp)·w with c = s(1−s)/(τ n_L) of the batch.
func TestPairwiseNCERefIsScaledSimp(t *testing.T) {
	m := testModel(t, 3, 2, 211)
	net := testTree(3, 2, 4, false, 212)
	for _, inBatch := range []bool{false, true} {
		b := testBatch(m, 16, 1, inBatch, 213)
		ref := loss.NCERef{Temp: 0.1}
		rs, err := PairwiseOperator(net, b, loss.Simp{}, false)
		if err != nil {
			t.Fatal(err)
		}
		rr, err := PairwiseOperator(net, b, ref, false)
		if err != nil {
			t.Fatal(err)
		}
		c := rr.Beta.Pos[0] / rs.Beta.Pos[0]
		if !(c > 0) {
			t.Fatalf("batch scalar %v", c)
		}
		for l := range rs.Layers {
			scaled := append([]float64(nil), rs.Layers[l].OpW...)
			for i := range scaled {
				scaled[i] *= c
			}
			if e := relErr(scaled, rr.Layers[l].OpW); e > 1e-13 {
				t.Errorf("inBatch=%v %s: nce-ref step differs from %g × simp's by %g", inBatch, rs.Layers[l].Name, c, e)
			}
		}
	}
}

// TestPairwiseExpectationIsTheorem1: simp's weights are constant, so
// OP^β_l is a Monte Carlo estimate of Theorem 1's operator: with the code's
// L = d₊² − d₋² (no ½), E[−∇L] = 4·OP_l·w. Over one batch of 4000 views
// with fresh negatives the two agree to Monte Carlo error (about 1/√rows,
// a few per cent; a factor 2 off would miss by 50 %).
func TestPairwiseExpectationIsTheorem1(t *testing.T) {
	m := testModel(t, 2, 2, 221)
	net := testTree(2, 2, 3, false, 222)
	d, err := Exact(m, 0)
	if err != nil {
		t.Fatal(err)
	}
	exact, err := Analyze(net, d, Config{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	b := testBatch(m, 4000, 1, false, 223)
	rep, err := PairwiseOperator(net, b, loss.Simp{}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, pl := range rep.Layers {
		var opw []float64
		for _, o := range exact.Operators {
			if o.Scope == ScopeLevel && o.Layer == pl.Layer {
				opw = append([]float64(nil), o.OpW...)
			}
		}
		for i := range opw {
			opw[i] *= 2
		}
		e := relErr(opw, pl.OpW)
		t.Logf("%s: batch OP^β·w vs exact 4·OP·w: relative difference %.3g", pl.Name, e)
		if e > 0.1 {
			t.Errorf("%s: batch OP^β·w misses 4·OP·w by %.3g", pl.Name, e)
		}
	}
}

func TestPairwiseErrors(t *testing.T) {
	m := testModel(t, 2, 2, 231)
	b := testBatch(m, 4, 1, false, 232)
	if _, err := PairwiseOperator(testTree(2, 2, 2, true, 233), b, loss.Simp{}, false); !errors.Is(err, ErrBias) {
		t.Fatalf("biases: %v", err)
	}
	bad := *b
	bad.NegIdx = []int{1, 2, 3, 0}
	if _, err := PairwiseOperator(testTree(2, 2, 2, false, 233), &bad, loss.Simp{}, false); err == nil {
		t.Fatal("a batch with both kinds of negatives accepted")
	}
	bad = *b
	bad.XNeg, bad.NegIdx = nil, []int{1, 2, 3, 4}
	if _, err := PairwiseOperator(testTree(2, 2, 2, false, 233), &bad, loss.Simp{}, false); err == nil {
		t.Fatal("an in-batch index outside the batch accepted")
	}
}

func norm(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// TestCheckPairwise fills PairRelErr for levels only, per level from the
// pairwise report.
func TestCheckPairwise(t *testing.T) {
	m := testModel(t, 2, 2, 241)
	net := testTree(2, 2, 3, false, 242)
	d, err := Exact(m, 0)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Analyze(net, d, Config{})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := rep.CheckPairwise(net, testBatch(m, 8, 1, true, 243), loss.NCE{Temp: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rep.Operators {
		switch {
		case o.Scope == ScopeNode && !math.IsNaN(o.PairRelErr):
			t.Errorf("node %s: PairRelErr %v, want NaN", o.Name, o.PairRelErr)
		case o.Scope == ScopeLevel && (o.PairRelErr != pr.Layers[o.Layer-1].RelErr || !(o.PairRelErr <= 1e-10)):
			t.Errorf("%s: PairRelErr %v, pairwise report %v", o.Name, o.PairRelErr, pr.Layers[o.Layer-1].RelErr)
		}
	}
}
