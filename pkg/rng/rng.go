package rng

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
)

// Purposes used across the toolkit. One stream per purpose keeps, say, the
// tree's polarities unchanged when only the number of samples changes.
const (
	Tree    = "tree"
	Sample  = "sample"
	Augment = "augment"
	Init    = "init"
	Shuffle = "shuffle"
	Train   = "train"
)

// New returns the stream for (seed, purpose, index). Streams with different
// arguments are statistically independent; the same arguments give the same
// stream on every platform and Go version (PCG is a specified algorithm).
func New(seed uint64, purpose string, index uint64) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	p := h.Sum64()
	return rand.New(rand.NewPCG(mix(seed^p), mix(index+0x9e3779b97f4a7c15*(p|1))))
}

// mix is SplitMix64's finaliser: it spreads nearby seeds far apart.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Threshold maps a probability p ∈ [0,1] to t with P(U < t) = p for U
// uniform on 64 bits (exact up to 2⁻⁶⁴; p ≤ 0 gives 0, p ≥ 1 saturates at
// 2⁶⁴−1): an event of probability p is rnd.Uint64() < Threshold(p).
func Threshold(p float64) uint64 {
	if p <= 0 {
		return 0
	}
	if p >= 1 {
		return math.MaxUint64
	}
	return uint64(math.Ldexp(p, 64))
}

// Threshold32 maps a probability p ∈ [0,1] to t ∈ [0, 2³²] with
// P(U < t) = p, to 2⁻³², for U uniform on 32 bits (exact at 0 and 1).
func Threshold32(p float64) uint64 {
	if p <= 0 {
		return 0
	}
	if p >= 1 {
		return 1 << 32
	}
	return uint64(math.Round(math.Ldexp(p, 32)))
}
