package probe

import (
	"math"
	"testing"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/nn"
)

// fastTol bounds |fast − scalar| for every correlation and ceiling. The
// fast path computes the same quantities in another order: posterior means
// coming down the tree instead of by outside messages (a few ulps each),
// pre-activations with fused multiply-adds and per-child tables, moments
// in two passes over fixed batches instead of Welford updates. Over
// thousands of samples that moves a correlation by ~1e-14 (measured on the
// reference: 2e-14 at 64000 samples); 1e-12 leaves room without letting a
// wrong formula through (a real mistake moves results by ≫ 1e-6). The
// difference is mostly the scalar path's: against correlations computed
// in 200-bit arithmetic from Posterior's values, on the reference model
// with 64000 samples, the fast ceilings are off by at most 7e-16 (subtree)
// and 1.6e-15 (all leaves), the Welford ones by 1.5e-14 and 1.7e-14.
const fastTol = 1e-12

// TestFastMatchesScalar runs the fast path and the scalar reference loops
// (posterior by outside messages, Welford moments, one scalar forward pass
// per sample) on the same samples and compares every output.
func TestFastMatchesScalar(t *testing.T) {
	ones, _ := hltm.New(3, 2, []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
	for _, tc := range []struct {
		name      string
		m         *hltm.Model
		net       *nn.Network
		nonBinary bool
	}{
		{"reference shape", model(t, 5, 2, 0.8, 1), nn.NewTree(5, 2, 4, true), false},
		{"ternary", model(t, 3, 3, 0.5, 2), nn.NewTree(3, 3, 3, true), false},
		{"deep, binary", model(t, 7, 2, 0.6, 3), nn.NewTree(7, 2, 2, false), false},
		{"wide, nothing tabulated", model(t, 2, 12, 0.5, 4), nn.NewTree(2, 12, 2, true), false},
		{"chain", model(t, 4, 1, 0.5, 5), nn.NewTree(4, 1, 3, true), false},
		{"copying edges (scalar posterior)", ones, nn.NewTree(3, 2, 2, true), false},
		{"non-binary leaves", model(t, 4, 2, 0.6, 6), nn.NewTree(4, 2, 3, true), true},
		{"mlp", model(t, 4, 2, 0.6, 7), nn.NewMLP(16, []int{9, 5}, true), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.m
			nets := snapshots(tc.net, 3, tc.net.Bias)
			n := chunkBatches*BatchSize + 3*BatchSize + 41
			z, x := samples(m, 8, n)
			if tc.nonBinary {
				for s := 0; s < n; s++ {
					if (s/BatchSize)%3 == 1 && s%5 == 0 {
						x[s*m.NumLeaves()+s%m.NumLeaves()] = 0.3 + float64(s%3)*0.2
					}
				}
			}
			for _, tables := range []bool{true, false} {
				p1, _ := newProber(m, nets, Options{Threads: 2}, switches{noTables: !tables})
				p2, _ := newProber(m, nets, Options{Threads: 2}, switches{noTables: !tables, scalar: true})
				for _, p := range []*Prober{p1, p2} {
					if err := p.Add(z, x); err != nil {
						t.Fatal(err)
					}
				}
				fast, _ := p1.Result()
				ref, _ := p2.Result()
				worst := 0.0
				cmp := func(what string, a, b float64) {
					worst = max(worst, math.Abs(a-b))
					if !(math.Abs(a-b) <= fastTol) {
						t.Fatalf("tables %v: %s: fast %v, scalar %v", tables, what, a, b)
					}
				}
				for mu := range ref.SubtreeCeiling {
					cmp("subtree ceiling", fast.SubtreeCeiling[mu], ref.SubtreeCeiling[mu])
					cmp("all-leaves ceiling", fast.AllCeiling[mu], ref.AllCeiling[mu])
				}
				for si := range ref.Snapshots {
					for mu, nr := range ref.Snapshots[si].Nodes {
						for l, lr := range nr.Layers {
							for k, c := range lr.Corr {
								cmp("corr", fast.Snapshots[si].Nodes[mu].Layers[l].Corr[k], c)
							}
						}
					}
				}
				t.Logf("tables %v: largest difference %.2g", tables, worst)
			}
		})
	}
}

// TestPosteriorTables checks the fast path's posterior means, sample by
// sample, against Posterior: the subtree means to the bit (same
// arithmetic), the all-leaves means to a few ulps.
func TestPosteriorTables(t *testing.T) {
	for _, tc := range []struct{ depth, children int }{{5, 2}, {3, 3}, {7, 2}, {2, 12}, {4, 1}} {
		m := model(t, tc.depth, tc.children, 0.5, 31)
		n := 300
		_, x := samples(m, 32, n)
		for s := 0; s < n; s += 7 {
			x[s*m.NumLeaves()] = 0.4 + 0.1*float64(s%3) // thresholds at ½
		}
		ce := newCeilings(m, laneStride(n))
		if !ce.fast {
			t.Fatalf("depth %d children %d: no fast path", tc.depth, tc.children)
		}
		zc := make([]float64, m.NumLatents()*ce.stride)
		zT := make([]uint8, m.NumLatents()*ce.stride)
		patT := make([]int32, m.NumLatents()*ce.stride)
		ce.batch(x, n, ce.patterns(x, n, patT), patT, zT, zc, make([]int, m.NumLatents()))
		post := NewPosterior(m)
		worst := 0.0
		for s := 0; s < n; s++ {
			post.Compute(x[s*m.NumLeaves() : (s+1)*m.NumLeaves()])
			for mu := range post.Subtree {
				var got float64
				if mu < ce.top {
					got = ce.sub[mu*ce.stride+s]
				} else {
					got = ce.lam[ce.off[mu]+int(patT[mu*ce.stride+s])][1]
				}
				if got != post.Subtree[mu] {
					t.Fatalf("sample %d node %d: subtree mean %v, Posterior %v", s, mu, got, post.Subtree[mu])
				}
				got = ce.all[mu*ce.stride+s]
				worst = max(worst, math.Abs(got-post.All[mu]))
				if math.Abs(got-post.All[mu]) > 1e-14 {
					t.Fatalf("sample %d node %d: all-leaves mean %v, Posterior %v", s, mu, got, post.All[mu])
				}
			}
		}
		t.Logf("depth %d children %d: largest all-leaves difference %.2g", tc.depth, tc.children, worst)
	}
}
