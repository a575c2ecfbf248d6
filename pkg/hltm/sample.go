package hltm

import (
	"fmt"
	"math/bits"
	"math/rand/v2"

	"github.com/dualssl/dualssl/pkg/rng"
)

// Sample draws every node top-down (ancestral sampling) into z
// (len NumNodes, values 0/1). It panics if len(z) != NumNodes.
func (m *Model) Sample(rnd *rand.Rand, z []int8) {
	if len(z) != m.NumNodes() {
		panic(fmt.Sprintf("hltm: Sample: len(z) = %d, want %d", len(z), m.NumNodes()))
	}
	z[0] = int8(rnd.Uint64() >> 63)
	m.sampleBelow(rnd, z, 1)
}

// sampleBelow redraws nodes from id `from` on, each given its parent.
// Breadth-first order guarantees parents come first. When from starts a
// sibling group (every level start does) the loop runs parent by parent,
// which avoids an integer division per node. In a binary tree the two
// children of a parent are drawn together from one 32-bit uniform against
// the cumulative probabilities of their four flip patterns (pair), two
// parents per 64-bit draw: a quarter of the generator's work of a draw per
// node, with probabilities exact to 2⁻³² (far below what any test of a
// sample can see).
func (m *Model) sampleBelow(rnd *rand.Rand, z []int8, from int) {
	c := m.children
	flip := m.flip
	if from < 1 || (from-1)%c != 0 {
		for i := from; i < len(z); i++ {
			_, f := bits.Sub64(rnd.Uint64(), flip[i], 0) // 1 iff U < flip[i]
			z[i] = z[(i-1)/c] ^ int8(f)
		}
		return
	}
	if c == 2 {
		m.samplePairs(rnd, z, (from-1)/2)
		return
	}
	for p, i := (from-1)/c, from; i < len(z); p++ {
		zp := z[p]
		for k := 0; k < c; k, i = k+1, i+1 {
			_, f := bits.Sub64(rnd.Uint64(), flip[i], 0)
			z[i] = zp ^ int8(f)
		}
	}
}

// samplePairs draws the children of parents p0, p0+1, … of a binary tree,
// two parents per 64-bit draw (the high half for the first).
func (m *Model) samplePairs(rnd *rand.Rand, z []int8, p0 int) {
	pair := m.pair
	for p := p0; p < len(pair); p += 2 {
		u := rnd.Uint64()
		drawPair(z, p, u>>32, &pair[p])
		if p+1 < len(pair) {
			drawPair(z, p+1, u&(1<<32-1), &pair[p+1])
		}
	}
}

// drawPair sets parent p's children from the 32-bit uniform u: the flip
// pattern k = #{thresholds ≤ u} ∈ 0…3 is (f₀, f₁) = (k>>1, k&1). With u <
// 2³² and t ≤ 2³², (u−t)>>63 is 1 exactly when u < t (no branch).
func drawPair(z []int8, p int, u uint64, t *[3]uint64) {
	k := int8(3 - (u-t[0])>>63 - (u-t[1])>>63 - (u-t[2])>>63)
	zp := z[p]
	z[2*p+1] = zp ^ k>>1
	z[2*p+2] = zp ^ k&1
}

// Leaves writes the leaves of z as 0/1 floats into x (len NumLeaves).
func (m *Model) Leaves(z []int8, x []float64) {
	for j, v := range z[m.NumLatents():] {
		x[j] = float64(v)
	}
}

// SampleGiven redraws every node of z except those at level keep, from the
// model conditioned on the kept nodes' current values. keep = 0 keeps the
// root only (the reference's augmentation); keep = Depth keeps the leaves.
// Nodes below the kept level are drawn given their parents; nodes above it
// are drawn from their exact posterior given the kept level (upward message
// passing, then top-down sampling). It panics if keep is out of range.
func (m *Model) SampleGiven(rnd *rand.Rand, z []int8, keep int) {
	m.SampleGivenScratch(rnd, z, keep, nil)
}

// SampleGivenScratch is SampleGiven with caller-owned scratch space for the
// upward messages, so repeated calls do not allocate: lam should have len
// at least LevelStart(keep) (a shorter one is replaced by a new slice).
// The draws are the same as SampleGiven's.
func (m *Model) SampleGivenScratch(rnd *rand.Rand, z []int8, keep int, lam [][2]float64) {
	if keep < 0 || keep > m.depth {
		panic(fmt.Sprintf("hltm: SampleGiven: level %d outside [0, %d]", keep, m.depth))
	}
	if keep > 0 {
		if len(lam) < m.levelStart[keep] {
			lam = make([][2]float64, m.levelStart[keep])
		}
		m.sampleAbove(rnd, z, keep, lam)
	}
	// Below the kept level: plain ancestral sampling from level keep+1 on.
	m.sampleBelow(rnd, z, m.levelStart[keep+1])
}

// sampleAbove draws levels 0 … keep−1 given level keep (z needs only
// nodes 0 … LevelStart(keep+1)−1).
func (m *Model) sampleAbove(rnd rand.Source, z []int8, keep int, lam [][2]float64) {
	top := m.levelStart[keep] // nodes above the kept level are 0 … top−1
	c := m.children
	// Upward: lam[μ][a] ∝ P(kept nodes below μ | z_μ = a), normalised.
	for mu := top - 1; mu >= 0; mu-- {
		l := [2]float64{1, 1}
		for k := 0; k < c; k++ {
			nu := mu*c + 1 + k
			var ln [2]float64
			if nu >= top {
				ln[z[nu]] = 1
			} else {
				ln = lam[nu]
			}
			p := (1 + m.polarity[nu]) / 2
			l[0] *= p*ln[0] + (1-p)*ln[1]
			l[1] *= (1-p)*ln[0] + p*ln[1]
		}
		s := l[0] + l[1]
		lam[mu] = [2]float64{l[0] / s, l[1] / s}
	}
	// Downward: the root from its posterior, then each node given its parent.
	z[0] = bernoulli(rnd, lam[0][1]/(lam[0][0]+lam[0][1]))
	for nu := 1; nu < top; nu++ {
		p := (1 + m.polarity[nu]) / 2
		a := z[(nu-1)/c]
		// P(z_ν = b | z_parent = a, evidence) ∝ P(b|a) lam[ν][b].
		pb1 := p
		if a == 0 {
			pb1 = 1 - p
		}
		w1 := pb1 * lam[nu][1]
		w0 := (1 - pb1) * lam[nu][0]
		z[nu] = bernoulli(rnd, w1/(w0+w1))
	}
}

func bernoulli(rnd rand.Source, p float64) int8 {
	if rnd.Uint64() < rng.Threshold(p) {
		return 1
	}
	return 0
}
