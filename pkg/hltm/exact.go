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
		kids := lam[mu*c+1 : mu*c+1+c]
		l, s := m.UpMessage(mu, kids)
		lam[mu] = l
		if logScale == nil {
			continue // no logarithm when nobody wants the scales
		}
		ls := 0.0
		for k := 0; k < c; k++ {
			ls += logScale[mu*c+1+k]
		}
		if s > 0 {
			ls += math.Log(s)
		} else {
			ls = math.Inf(-1)
		}
		logScale[mu] = ls
	}
}

// UpMessage returns latent μ's normalised upward message λ_μ (as in
// Upward) from its children's, kids (len Children, in order), and the
// normaliser s: λ_μ(a)·s = Π_k Σ_b P(z_ν=b | z_μ=a) kids[k](b). When s is
// not positive (the evidence contradicts itself) λ_μ is ½, ½. Upward calls
// it, so the two agree to the bit.
func (m *Model) UpMessage(mu int, kids [][2]float64) (lam [2]float64, s float64) {
	c := m.children
	kids = kids[:c]
	l := [2]float64{1, 1}
	for k, ln := range kids {
		p := (1 + m.polarity[mu*c+1+k]) / 2
		l[0] *= p*ln[0] + (1-p)*ln[1]
		l[1] *= (1-p)*ln[0] + p*ln[1]
	}
	s = l[0] + l[1]
	if s > 0 {
		return [2]float64{l[0] / s, l[1] / s}, s
	}
	return [2]float64{0.5, 0.5}, s
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
