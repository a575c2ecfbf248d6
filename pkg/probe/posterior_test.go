package probe

import (
	"math"
	"testing"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/rng"
)

// brutePosteriors enumerates every joint state of m and returns, for each
// leaf configuration (leaf 0 the most significant bit) and latent μ,
// P(z_μ = 1 | leaves under μ) and P(z_μ = 1 | all leaves).
func brutePosteriors(m *hltm.Model) (sub, all [][]float64) {
	nn, nl, nleaf := m.NumNodes(), m.NumLatents(), m.NumLeaves()
	cfgs := 1 << nleaf
	num := make([][]float64, cfgs) // all leaves: P(x, z_μ = 1)
	den := make([]float64, cfgs)
	subNum := make([][]float64, nl) // [μ][sub-configuration]
	subDen := make([][]float64, nl)
	under := func(mu int) (first, count int) {
		lv := m.Level(mu)
		count = 1
		for i := lv; i < m.Depth(); i++ {
			count *= m.Children()
		}
		return (mu - m.LevelStart(lv)) * count, count
	}
	for mu := 0; mu < nl; mu++ {
		_, c := under(mu)
		subNum[mu] = make([]float64, 1<<c)
		subDen[mu] = make([]float64, 1<<c)
	}
	for i := range num {
		num[i] = make([]float64, nl)
	}
	z := make([]int, nn)
	for state := 0; state < 1<<nn; state++ {
		p := 0.5
		for i := 0; i < nn; i++ {
			z[i] = (state >> i) & 1
			if i > 0 {
				q := (1 + m.Polarity(i)) / 2
				if z[i] != z[m.Parent(i)] {
					q = 1 - q
				}
				p *= q
			}
		}
		cfg := 0
		for j := 0; j < nleaf; j++ {
			cfg = cfg<<1 | z[nl+j]
		}
		den[cfg] += p
		for mu := 0; mu < nl; mu++ {
			first, c := under(mu)
			sc := (cfg >> (nleaf - first - c)) & (1<<c - 1)
			subDen[mu][sc] += p
			if z[mu] == 1 {
				num[cfg][mu] += p
				subNum[mu][sc] += p
			}
		}
	}
	sub, all = make([][]float64, cfgs), make([][]float64, cfgs)
	for cfg := range sub {
		sub[cfg], all[cfg] = make([]float64, nl), make([]float64, nl)
		for mu := 0; mu < nl; mu++ {
			first, c := under(mu)
			sc := (cfg >> (nleaf - first - c)) & (1<<c - 1)
			sub[cfg][mu] = subNum[mu][sc] / subDen[mu][sc]
			all[cfg][mu] = num[cfg][mu] / den[cfg]
		}
	}
	return sub, all
}

// TestPosteriorMatchesEnumeration checks both message-passing posteriors
// against enumeration of every joint state on small trees with mixed-sign
// polarities.
func TestPosteriorMatchesEnumeration(t *testing.T) {
	for _, tc := range []struct{ depth, children int }{{3, 2}, {2, 3}, {1, 4}} {
		n, _ := hltm.NumNodesFor(tc.depth, tc.children)
		pol := hltm.RandomPolarities(rng.New(3, rng.Tree, uint64(tc.children)), n-1, 0.2, 0.95, false)
		m, err := hltm.New(tc.depth, tc.children, pol)
		if err != nil {
			t.Fatal(err)
		}
		sub, all := brutePosteriors(m)
		post := NewPosterior(m)
		x := make([]float64, m.NumLeaves())
		for cfg := range sub {
			for j := range x {
				x[j] = float64((cfg >> (len(x) - 1 - j)) & 1)
			}
			post.Compute(x)
			for mu := 0; mu < m.NumLatents(); mu++ {
				if d := math.Abs(post.Subtree[mu] - sub[cfg][mu]); d > 1e-12 {
					t.Fatalf("depth %d children %d leaves %v node %d: subtree posterior %v, enumeration %v", tc.depth, tc.children, x, mu, post.Subtree[mu], sub[cfg][mu])
				}
				if d := math.Abs(post.All[mu] - all[cfg][mu]); d > 1e-12 {
					t.Fatalf("depth %d children %d leaves %v node %d: full posterior %v, enumeration %v", tc.depth, tc.children, x, mu, post.All[mu], all[cfg][mu])
				}
			}
		}
	}
}

// TestPosteriorZeroPolarityChild checks that a child joined by polarity 0
// carries no information: μ's subtree posterior ignores its leaves.
func TestPosteriorZeroPolarityChild(t *testing.T) {
	pol := hltm.RandomPolarities(rng.New(4, rng.Tree, 0), 14, 0.5, 0.9, false)
	pol[3-1] = 0 // edge 1→3 (node 3 is node 1's first child)
	m, _ := hltm.New(3, 2, pol)
	post := NewPosterior(m)
	x := []float64{1, 0, 1, 1, 0, 1, 0, 0}
	post.Compute(x)
	want := post.Subtree[1]
	for cfg := 0; cfg < 4; cfg++ { // every value of node 3's leaves (0 and 1)
		x[0], x[1] = float64(cfg>>1), float64(cfg&1)
		post.Compute(x)
		if math.Abs(post.Subtree[1]-want) > 1e-15 {
			t.Fatalf("leaves of the independent child changed μ's posterior: %v vs %v", post.Subtree[1], want)
		}
	}
	if post.Subtree[3] == 0.5 {
		t.Fatal("node 3's own posterior should still depend on its leaves")
	}
}
