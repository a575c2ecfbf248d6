package hltm

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/bitslice"
	"github.com/dualssl/dualssl/pkg/rng"
)

// Lanes is the number of samples a LaneSampler draws at once, one bit of a
// uint64 word each.
const Lanes = bitslice.Lanes

// LaneSampler draws 64 samples of a model at once, bit-sliced: Planes[i]
// holds node i of every sample, bit s for sample ("lane") s. A child's word
// is its parent's XOR a word of 64 independent flips, each drawn exactly
// with probability (1−ρ)/2 by bitslice.Bernoulli against the edge's 64-bit
// threshold: about 9.2 64-bit draws of a rng.Xoshiro per node for 64
// samples, where Sample takes one per node and sample (half that in binary
// trees). Its draws have the distribution of Sample's, not the same
// values. A LaneSampler is not safe for concurrent use.
type LaneSampler struct {
	m *Model
	// Planes has len NumNodes: bit s of Planes[i] is node i of lane s.
	Planes []uint64
	rows   []int8       // scratch rows for draws above a kept level
	lam    [][2]float64 // scratch upward messages
}

// NewLaneSampler returns a LaneSampler of m.
func (m *Model) NewLaneSampler() *LaneSampler {
	return &LaneSampler{m: m, Planes: make([]uint64, m.NumNodes())}
}

// Sample draws 64 independent samples of every node, top-down, into Planes.
func (ls *LaneSampler) Sample(src *rng.Xoshiro) {
	ls.Planes[0] = src.Uint64()
	ls.below(src, 1)
}

// SampleGiven draws, for lanes ≤ 64 samples, every node except those at
// level keep from the model conditioned on the kept nodes, like
// SampleGiven on each: sample s's kept nodes are read from
// z[s·stride + LevelStart(keep) : s·stride + LevelStart(keep+1)] (values
// 0/1; z is not modified). Levels below keep are drawn bit-sliced given
// their parents; levels above it (keep > 0) sample by sample from their
// exact posterior, then packed into Planes. On return Planes holds the
// lanes samples (bits of lanes ≥ lanes are meaningless). It panics if keep
// is out of range, lanes is not in 1 … 64 or z is too short.
func (ls *LaneSampler) SampleGiven(src *rng.Xoshiro, z []int8, stride, lanes, keep int) {
	n := ls.m.NumNodes()
	ls.checkGiven(keep, lanes)
	if stride < n || len(z) < (lanes-1)*stride+n {
		panic(fmt.Sprintf("hltm: LaneSampler.SampleGiven: %d lanes, stride %d, len(z) %d for %d nodes", lanes, stride, len(z), n))
	}
	if keep == 0 {
		var w uint64
		for s := 0; s < lanes; s++ {
			w |= uint64(z[s*stride]&1) << s
		}
		ls.Planes[0] = w
	} else {
		ls.packAbove(src, lanes, keep, func(s, i int) int8 { return z[s*stride+i] & 1 })
	}
	ls.below(src, ls.m.levelStart[keep+1])
}

// SampleGivenWords is SampleGiven with the kept nodes read from the packed
// bit matrix z (see bitslice's bit rows): sample s's node i is bit pos +
// s·stride + i. It draws what SampleGiven draws from the same values.
func (ls *LaneSampler) SampleGivenWords(src *rng.Xoshiro, z []uint64, pos, stride, lanes, keep int) {
	n := ls.m.NumNodes()
	ls.checkGiven(keep, lanes)
	if pos < 0 || stride < n || len(z)*64 < pos+(lanes-1)*stride+n {
		panic(fmt.Sprintf("hltm: LaneSampler.SampleGivenWords: %d lanes, position %d, stride %d, %d words for %d nodes", lanes, pos, stride, len(z), n))
	}
	if keep == 0 {
		var w uint64
		for s := 0; s < lanes; s++ {
			k := pos + s*stride
			w |= (z[k>>6] >> (k & 63) & 1) << s
		}
		ls.Planes[0] = w
	} else {
		ls.packAbove(src, lanes, keep, func(s, i int) int8 { return bitslice.Bit(z, pos+s*stride+i) })
	}
	ls.below(src, ls.m.levelStart[keep+1])
}

// checkGiven panics on a kept level or lane count out of range.
func (ls *LaneSampler) checkGiven(keep, lanes int) {
	if keep < 0 || keep > ls.m.depth {
		panic(fmt.Sprintf("hltm: LaneSampler.SampleGiven: level %d outside [0, %d]", keep, ls.m.depth))
	}
	if lanes < 1 || lanes > Lanes {
		panic(fmt.Sprintf("hltm: LaneSampler.SampleGiven: %d lanes, want 1 … %d", lanes, Lanes))
	}
}

// packAbove draws the levels above keep (> 0) lane by lane from their
// exact posterior given the kept level, whose node i of lane s is kept(s,
// i), into scratch rows that end with the kept level, and packs levels 0 …
// keep into Planes.
func (ls *LaneSampler) packAbove(src *rng.Xoshiro, lanes, keep int, kept func(s, i int) int8) {
	m := ls.m
	lo, hi := m.levelStart[keep], m.levelStart[keep+1]
	if len(ls.rows) < Lanes*hi {
		ls.rows = make([]int8, Lanes*hi)
		ls.lam = make([][2]float64, lo)
	}
	for s := 0; s < lanes; s++ {
		row := ls.rows[s*hi : (s+1)*hi]
		for i := lo; i < hi; i++ {
			row[i] = kept(s, i)
		}
		m.sampleAbove(src, row, keep, ls.lam)
	}
	bitslice.Pack(ls.Planes[:hi], ls.rows, hi, lanes)
}

// below redraws every node from id from on (a level start, or NumNodes)
// given its parent.
func (ls *LaneSampler) below(src *rng.Xoshiro, from int) {
	planes, flip, c := ls.Planes, ls.m.flip, ls.m.children
	if from >= len(planes) {
		return
	}
	flip = flip[:len(planes)]
	s := *src
	for p, i := (from-1)/c, from; i < len(planes); p++ {
		zp := planes[p]
		for k := 0; k < c; k, i = k+1, i+1 {
			var w uint64
			s, w = bitslice.BernoulliNext(s, flip[i])
			planes[i] = zp ^ w
		}
	}
	*src = s
}

// Unpack writes the first lanes samples of Planes to rows of int8 0/1
// values: node i of sample s to dst[s·stride + i]. See bitslice.Unpack.
func (ls *LaneSampler) Unpack(dst []int8, stride, lanes int) {
	bitslice.Unpack(dst, stride, lanes, ls.Planes)
}

// UnpackBits writes the first lanes samples of Planes to a packed bit
// matrix: node i of sample s to bit pos + s·stride + i of dst. See
// bitslice.UnpackBits.
func (ls *LaneSampler) UnpackBits(dst []uint64, pos, stride, lanes int) {
	bitslice.UnpackBits(dst, pos, stride, lanes, ls.Planes)
}

// UnpackLeavesBits is UnpackBits into z plus the leaves alone into x: leaf
// j of sample s to bit xpos + s·xstride + j of x, for the first lanes
// samples (the bits are transposed once for both). See
// bitslice.UnpackBitsSplit.
func (ls *LaneSampler) UnpackLeavesBits(z []uint64, zpos, zstride int, x []uint64, xpos, xstride, lanes int) {
	bitslice.UnpackBitsSplit(z, zpos, zstride, x, xpos, xstride, ls.m.NumLatents(), lanes, ls.Planes)
}
