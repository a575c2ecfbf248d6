package lineval

import (
	"fmt"
	"math"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/probe"
)

// MaxExactLeaves bounds the leaves ExactCeiling enumerates (2¹⁶
// configurations).
const MaxExactLeaves = 16

// Subtree returns the model of the complete subtree under latent mu: its
// root is mu, its polarities those of the edges below mu.
func Subtree(m *hltm.Model, mu int) (*hltm.Model, error) {
	if mu < 0 || mu >= m.NumLatents() {
		return nil, fmt.Errorf("lineval: node %d is not a latent", mu)
	}
	depth := m.Depth() - m.Level(mu)
	c := m.Children()
	var pol []float64
	first, width := mu, 1
	for l := 1; l <= depth; l++ {
		first, width = first*c+1, width*c
		for i := 0; i < width; i++ {
			pol = append(pol, m.Polarity(first+i))
		}
	}
	return hltm.New(depth, c, pol)
}

// ExactCeiling returns the Bayes accuracy E[max(P(z_μ=1|x_S), P(z_μ=0|x_S))]
// of latent mu given the leaves S a feature set sees: every leaf, or with
// subtree only the leaves under mu. It sums over every configuration of S
// with the exact posterior of upward message passing, and returns an error
// wrapping hltm.ErrTooLarge when S has more than MaxExactLeaves leaves.
func ExactCeiling(m *hltm.Model, mu int, subtree bool) (float64, error) {
	if subtree {
		s, err := Subtree(m, mu)
		if err != nil {
			return 0, err
		}
		m, mu = s, 0
	}
	if mu < 0 || mu >= m.NumLatents() {
		return 0, fmt.Errorf("lineval: node %d is not a latent", mu)
	}
	if m.NumLeaves() > MaxExactLeaves {
		return 0, fmt.Errorf("%w: %d leaves, at most %d", hltm.ErrTooLarge, m.NumLeaves(), MaxExactLeaves)
	}
	post := probe.NewPosterior(m)
	acc := 0.0
	err := m.EnumerateLeaves(func(x []float64, cond func(mu, a int) float64) {
		px := (cond(0, 0) + cond(0, 1)) / 2 // the root is ½/½
		if px == 0 {
			return
		}
		post.Compute(x)
		p := post.All[mu]
		acc += px * math.Max(p, 1-p)
	})
	return acc, err
}

// bayesStats returns, over the samples x (n×leaves) with latent values z
// (n×nodes), the mean and standard error of max(p, 1−p) for every latent,
// with p the posterior given every leaf (all) and given the leaves under
// the latent (sub).
func bayesStats(m *hltm.Model, x []float64, n int) (all, allSE, sub, subSE []float64) {
	nl, leaves := m.NumLatents(), m.NumLeaves()
	post := probe.NewPosterior(m)
	s1a, s2a := make([]float64, nl), make([]float64, nl)
	s1s, s2s := make([]float64, nl), make([]float64, nl)
	for i := 0; i < n; i++ {
		post.Compute(x[i*leaves : (i+1)*leaves])
		for mu := 0; mu < nl; mu++ {
			a := math.Max(post.All[mu], 1-post.All[mu])
			s := math.Max(post.Subtree[mu], 1-post.Subtree[mu])
			s1a[mu] += a
			s2a[mu] += a * a
			s1s[mu] += s
			s2s[mu] += s * s
		}
	}
	mean := func(s1, s2 []float64) ([]float64, []float64) {
		m, se := make([]float64, nl), make([]float64, nl)
		for mu := range m {
			m[mu] = s1[mu] / float64(n)
			v := math.Max(0, s2[mu]/float64(n)-m[mu]*m[mu])
			se[mu] = math.Sqrt(v / float64(n))
		}
		return m, se
	}
	all, allSE = mean(s1a, s2a)
	sub, subSE = mean(s1s, s2s)
	return
}
