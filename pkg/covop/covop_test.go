package covop

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/rng"
)

func testModel(t testing.TB, depth, kids int, seed uint64) *hltm.Model {
	t.Helper()
	n, _ := hltm.NumNodesFor(depth, kids)
	pol := hltm.RandomPolarities(rng.New(seed, rng.Tree, 0), n-1, 0.5, 0.95, false)
	m, err := hltm.New(depth, kids, pol)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func testTree(depth, kids, hid int, bias bool, seed uint64) *nn.Network {
	n := nn.NewTree(depth, kids, hid, bias)
	n.Init(rng.New(seed, rng.Init, 0), 1)
	return n
}

// TestTheorem1Exact checks −∇E[½d₊² − ½d₋²] = 2·OP_l·vec(W_l) per level,
// by exact enumeration, for several trees and kept levels, and that
// vec(W_l)ᵀ OP_l vec(W_l) is the same for every level.
func TestTheorem1Exact(t *testing.T) {
	cases := []struct{ depth, kids, hid, keep int }{
		{2, 2, 3, 0}, {2, 3, 2, 0}, {3, 2, 3, 0}, {3, 2, 2, 1}, {3, 2, 2, 2}, {2, 2, 4, 2}, {3, 2, 1, 0}, {2, 2, 13, 1},
	}
	for ci, c := range cases {
		m := testModel(t, c.depth, c.kids, uint64(10+ci))
		d, err := Exact(m, c.keep)
		if err != nil {
			t.Fatal(err)
		}
		net := testTree(c.depth, c.kids, c.hid, false, uint64(20+ci))
		rep, err := Analyze(net, d, Config{Check: true, Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		var wopw []float64
		for _, o := range rep.Operators {
			if o.Scope != ScopeLevel {
				continue
			}
			if !(o.CheckRelErr <= 1e-10) {
				t.Errorf("case %+v %s: relative error %g", c, o.Name, o.CheckRelErr)
			}
			wopw = append(wopw, o.WOpW)
		}
		if len(wopw) != c.depth {
			t.Fatalf("case %+v: %d level operators", c, len(wopw))
		}
		// wᵀOPw = tr V[E f|key] = −E[L] for every level.
		for l, v := range wopw {
			if math.Abs(v+rep.Loss) > 1e-10*math.Abs(rep.Loss) || v <= 0 {
				t.Errorf("case %+v level op %d: wᵀOPw = %v, −E[L] = %v", c, l, v, -rep.Loss)
			}
		}
	}
}

// TestNodeBlockIsNotTheGradient shows that a node's diagonal block alone
// does not give its gradient: 2·OP_μμ·vec(W_μ) misses node μ's part of
// −∇E[L] by far more than rounding, while its row of the level operator
// gives it exactly.
func TestNodeBlockIsNotTheGradient(t *testing.T) {
	m := testModel(t, 2, 2, 31)
	d, err := Exact(m, 0)
	if err != nil {
		t.Fatal(err)
	}
	net := testTree(2, 2, 3, false, 32)
	rep, err := Analyze(net, d, Config{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for _, o := range rep.Operators {
		if o.Scope == ScopeNode && o.Level == 1 {
			worst = max(worst, relErr(o.NegGrad, o.OpW))
		}
	}
	if worst < 0.05 {
		t.Fatalf("diagonal blocks alone match the gradient to %g: the test tree does not separate them", worst)
	}
	t.Logf("lowest latents: the diagonal block alone misses the node gradient by up to %.0f%%", 100*worst)
}

func testRand(seed uint64) *rand.Rand { return rng.New(seed, "test", 0) }

// sampleViews draws rows of (key, x_a, x_b): a fresh HLTM sample, its
// level-keep values as the key, and two independent redraws of everything
// else given them.
func sampleViews(m *hltm.Model, keep, rows int, seed uint64) (keys []int64, xa, xb []float64) {
	r := rng.New(seed, rng.Sample, 0)
	n, nleaf := m.NumNodes(), m.NumLeaves()
	z, za := make([]int8, n), make([]int8, n)
	keys = make([]int64, rows)
	xa, xb = make([]float64, rows*nleaf), make([]float64, rows*nleaf)
	first, size := m.LevelStart(keep), m.LevelSize(keep)
	for row := range rows {
		m.Sample(r, z)
		for j := range size {
			keys[row] = keys[row]<<1 | int64(z[first+j])
		}
		copy(za, z)
		m.SampleGiven(r, za, keep)
		m.Leaves(za, xa[row*nleaf:(row+1)*nleaf])
		copy(za, z)
		m.SampleGiven(r, za, keep)
		m.Leaves(za, xb[row*nleaf:(row+1)*nleaf])
	}
	return keys, xa, xb
}

// TestClosedFormLowestLatents checks OP_μ = ¼ρ₀μ²(a aᵀ) ⊗ (J_μᵀJ_μ) for the
// lowest latents when J is frozen: large positive biases keep every gate
// open for every input, so J does not depend on x.
func TestClosedFormLowestLatents(t *testing.T) {
	m := testModel(t, 3, 2, 61)
	net := nn.NewTree(3, 2, 3, true)
	net.Init(rng.New(62, rng.Init, 0), 0.1)
	for li := range net.Layers {
		for bi := range net.Layers[li].Blocks {
			for o := range net.Layers[li].Blocks[bi].B {
				net.Layers[li].Blocks[bi].B[o] = 100
			}
		}
	}
	d, err := Exact(m, 0)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Analyze(net, d, Config{Matrix: true})
	if err != nil {
		t.Fatal(err)
	}
	var a nn.Activations
	var j nn.Jacobians
	net.Forward(d.X[:d.InDim], 1, &a)
	for _, h := range a.H[1:] {
		for _, v := range h {
			if !(v > 0) {
				t.Fatal("a gate is closed: J is not frozen")
			}
		}
	}
	net.Jacobian(&a, &j)
	level := rep.Operators[0]
	if level.Scope != ScopeLevel || level.Layer != 1 {
		t.Fatalf("first operator is %s %s", level.Scope, level.Name)
	}
	nL := net.OutDim()
	off := 0
	for _, b := range net.Layers[0].Blocks {
		dense := mat.NewDense(nL, net.Layers[0].OutDim, j.Dense(net, 1, 0, nil))
		jt := mat.DenseCopyOf(dense.Slice(0, nL, b.OutOffset, b.OutOffset+b.Out).T()) // J_μᵀ
		var jtj mat.Dense
		jtj.Mul(jt, jt.T())
		av := mat.NewVecDense(b.In, nil)
		for i := range b.In {
			av.SetVec(i, m.Polarity(m.FirstChild(b.Node)+i))
		}
		var aa, want mat.Dense
		aa.Outer(0.25*m.RootPolarity(b.Node)*m.RootPolarity(b.Node), av, av)
		want.Kronecker(&aa, &jtj)
		got := level.Matrix.SliceSym(off, off+b.In*b.Out)
		var diff mat.Dense
		diff.Sub(got, &want)
		if e := maxAbs(&diff); e > 1e-12*maxAbs(&want) {
			t.Fatalf("node %s: closed form misses by %g (scale %g)", b.Name, e, maxAbs(&want))
		}
		off += b.In * b.Out
	}
}

// TestMonteCarloConvergence checks that with views the Theorem 1 error
// ‖−∇̂E[L] − 2·OP̂·vec(W)‖ (both sides estimated from the same views) falls
// like 1/√n: 16 times more rows should divide it by about 4 (1/n would give
// 16, no convergence 1). The error is the root mean square over 48
// independent data sets at each size. Over twelve such experiments with 24
// data sets the ratio had mean 4.2 and standard deviation 0.9, so with 48
// the band [2.2, 7.5] holds at about 3σ while excluding the other rates.
func TestMonteCarloConvergence(t *testing.T) {
	m := testModel(t, 3, 2, 72)
	net := testTree(3, 2, 3, false, 73)
	errAt := func(rows int) float64 {
		sum := 0.0
		for rep := range 48 {
			keys, xa, xb := sampleViews(m, 0, rows, uint64(1000*rows+rep))
			d, err := FromViews(keys, xa, xb, m.NumLeaves())
			if err != nil {
				t.Fatal(err)
			}
			r, err := Analyze(net, d, Config{Check: true, Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range r.Operators {
				if o.Scope == ScopeLevel {
					for i := range o.OpW {
						e := o.OpW[i] - o.NegGrad[i]
						sum += e * e
					}
				}
			}
		}
		return math.Sqrt(sum / 48)
	}
	small, large := errAt(250), errAt(4000)
	ratio := small / large
	t.Logf("Theorem 1 error %.3g at 250 rows, %.3g at 4000 rows: ratio %.2f (1/√n predicts 4)", small, large, ratio)
	if ratio < 2.2 || ratio > 7.5 {
		t.Fatalf("error ratio %.2f, want about 4", ratio)
	}
}

// TestThreadsDeterminism checks bit-identical results for 1, 2 and 3
// threads with Monte Carlo views and several keys.
func TestThreadsDeterminism(t *testing.T) {
	m := testModel(t, 3, 2, 81)
	net := testTree(3, 2, 3, false, 82)
	keys, xa, xb := sampleViews(m, 1, 1200, 83)
	d, err := FromViews(keys, xa, xb, m.NumLeaves())
	if err != nil {
		t.Fatal(err)
	}
	var ref *Report
	for _, threads := range []int{1, 2, 3} {
		r, err := Analyze(net, d, Config{Check: true, Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = r
			continue
		}
		if math.Float64bits(r.Loss) != math.Float64bits(ref.Loss) {
			t.Fatalf("threads %d: loss differs", threads)
		}
		for i, o := range r.Operators {
			q := ref.Operators[i]
			same := o.Trace == q.Trace && o.Frobenius == q.Frobenius && o.Rank == q.Rank &&
				math.Float64bits(o.WOpW) == math.Float64bits(q.WOpW) &&
				math.Float64bits(o.CheckRelErr) == math.Float64bits(q.CheckRelErr)
			for k := range o.Top {
				same = same && math.Float64bits(o.Top[k]) == math.Float64bits(q.Top[k])
			}
			if !same {
				t.Fatalf("threads %d: %s %s differs", threads, o.Scope, o.Name)
			}
		}
	}
}

func TestErrors(t *testing.T) {
	m := testModel(t, 2, 2, 91)
	d, err := Exact(m, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Analyze(testTree(2, 2, 3, true, 92), d, Config{Check: true}); !errors.Is(err, ErrBias) {
		t.Fatalf("check with biases: %v", err)
	}
	if _, err := Analyze(testTree(3, 2, 3, false, 92), d, Config{}); err == nil {
		t.Fatal("network of the wrong width accepted")
	}
	if _, err := Analyze(testTree(2, 2, 30, false, 92), d, Config{MaxSide: 10}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("spectrum over the limit: %v", err)
	}
	if _, err := Exact(testModel(t, 5, 2, 93), 0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("exact on 32 leaves: %v", err)
	}
	if _, err := Exact(testModel(t, 4, 2, 93), 3); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("exact on 2^16 leaf states × 2^8 keys: %v", err)
	}
	if _, err := FromViews([]int64{1, 2}, make([]float64, 4), make([]float64, 3), 2); err == nil {
		t.Fatal("ragged views accepted")
	}
}

// TestTheorem1ExactMLP checks the identity per layer of a bias-free MLP
// on the leaves of a depth-3 tree, for two kept levels.
func TestTheorem1ExactMLP(t *testing.T) {
	m := testModel(t, 3, 2, 121)
	for _, keep := range []int{0, 2} {
		d, err := Exact(m, keep)
		if err != nil {
			t.Fatal(err)
		}
		net := nn.NewMLP(m.NumLeaves(), []int{6, 5, 4}, false)
		net.Init(rng.New(122, rng.Init, 0), 1)
		rep, err := Analyze(net, d, Config{Check: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Operators) != 3 {
			t.Fatalf("%d operators for 3 layers", len(rep.Operators))
		}
		for _, o := range rep.Operators {
			if o.Scope != ScopeLayer || o.Dim != net.Layers[o.Layer-1].InDim*net.Layers[o.Layer-1].OutDim {
				t.Fatalf("%s: scope %s dim %d", o.Name, o.Scope, o.Dim)
			}
			if !(o.CheckRelErr <= 1e-10) || math.Abs(o.WOpW+rep.Loss) > 1e-10*math.Abs(rep.Loss) {
				t.Fatalf("keep %d %s: relative error %g, wᵀOPw %v, −E[L] %v", keep, o.Name, o.CheckRelErr, o.WOpW, -rep.Loss)
			}
		}
	}
}

// TestImpossibleKeys: with copying edges (ρ = 1) some kept configurations
// have probability 0; they get weight 0 and the identities still hold.
func TestImpossibleKeys(t *testing.T) {
	m, err := hltm.New(2, 2, []float64{1, 1, 0.8, -0.9, 0.7, 0.6})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Exact(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Analyze(testTree(2, 2, 3, false, 131), d, Config{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rep.Operators {
		if o.Scope == ScopeLevel && !(o.CheckRelErr <= 1e-10) {
			t.Fatalf("%s: relative error %g", o.Name, o.CheckRelErr)
		}
		if o.Rank > 3 { // two possible keys: rank ≤ n_L·(keys − 1)
			t.Fatalf("%s: rank %d with two possible keys", o.Name, o.Rank)
		}
	}
}
