package hltm

import (
	"fmt"
	"math"
)

// Upward computes, for every node μ, the likelihood of the observed leaves
// below μ given z_μ, by one upward message-passing sweep:
//
//	lam[μ][a] · exp(logScale[μ]) = P(leaves under μ = x | z_μ = a).
//
// Each lam[μ] is normalised to sum 1, so deep trees do not underflow.
// x holds the leaves (len NumLeaves; values > ½ count as 1); lam and
// logScale have len NumNodes and are overwritten (logScale may be nil).
// Since every marginal is ½, E[z_μ | leaves under μ] = lam[μ][1].
func (m *Model) Upward(x []float64, lam [][2]float64, logScale []float64) {
	n, nl := m.NumNodes(), m.NumLatents()
	if len(x) != m.NumLeaves() || len(lam) != n || (logScale != nil && len(logScale) != n) {
		panic(fmt.Sprintf("hltm: Upward: lengths x=%d lam=%d, want %d and %d", len(x), len(lam), m.NumLeaves(), n))
	}
	for j, v := range x {
		if v > 0.5 {
			lam[nl+j] = [2]float64{0, 1}
		} else {
			lam[nl+j] = [2]float64{1, 0}
		}
		if logScale != nil {
			logScale[nl+j] = 0
		}
	}
	c := m.children
	for mu := nl - 1; mu >= 0; mu-- {
		l := [2]float64{1, 1}
		ls := 0.0
		for k := 0; k < c; k++ {
			nu := mu*c + 1 + k
			p := (1 + m.polarity[nu]) / 2
			ln := lam[nu]
			l[0] *= p*ln[0] + (1-p)*ln[1]
			l[1] *= (1-p)*ln[0] + p*ln[1]
			if logScale != nil {
				ls += logScale[nu]
			}
		}
		s := l[0] + l[1]
		if s > 0 {
			lam[mu] = [2]float64{l[0] / s, l[1] / s}
			ls += math.Log(s)
		} else {
			lam[mu] = [2]float64{0.5, 0.5}
			ls = math.Inf(-1)
		}
		if logScale != nil {
			logScale[mu] = ls
		}
	}
}

// MaxEnumLeaves bounds EnumerateLeaves: 2^22 leaf configurations.
const MaxEnumLeaves = 22

// EnumerateLeaves calls fn once for every configuration of the leaves, in
// binary counting order (leaf 0 is the most significant bit). fn receives the
// leaves x (0/1 floats, reused between calls: copy to keep) and
// cond(μ, a) = P(leaves under μ = x | z_μ = a) for any node μ; for example
// P(x | z₀ = a) = cond(0, a), and given the whole level k the probability is
// the product of cond(μ, z_μ) over that level. It returns an error wrapping
// ErrTooLarge if the tree has more than MaxEnumLeaves leaves.
func (m *Model) EnumerateLeaves(fn func(x []float64, cond func(mu, a int) float64)) error {
	nleaf := m.NumLeaves()
	if nleaf > MaxEnumLeaves {
		return fmt.Errorf("%w: %d leaves, at most %d", ErrTooLarge, nleaf, MaxEnumLeaves)
	}
	n := m.NumNodes()
	x := make([]float64, nleaf)
	lam := make([][2]float64, n)
	ls := make([]float64, n)
	cond := func(mu, a int) float64 { return lam[mu][a] * math.Exp(ls[mu]) }
	for s := 0; s < 1<<nleaf; s++ {
		for j := range x {
			x[j] = float64((s >> (nleaf - 1 - j)) & 1)
		}
		m.Upward(x, lam, ls)
		fn(x, cond)
	}
	return nil
}
