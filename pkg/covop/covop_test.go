package covop

import (
	"math"
	"testing"


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
		{2, 2, 3, 0}, {2, 3, 2, 0}, {3, 2, 3, 0}, {3, 2, 2, 1}, {3, 2, 2, 2}, {2, 2, 4, 2},
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
