package rng

import (
	"hash/fnv"
	"math"
	"math/bits"
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
	return rand.New(NewSource(seed, purpose, index))
}

// NewSource returns the generator behind New(seed, purpose, index): the
// same draws, read through the concrete type so that hot loops can inline
// them (New wraps it; a loop may draw from both, in any order).
func NewSource(seed uint64, purpose string, index uint64) *PCG {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	p := h.Sum64()
	return &PCG{hi: mix(seed ^ p), lo: mix(index + 0x9e3779b97f4a7c15*(p|1))}
}

// PCG is math/rand/v2's PCG generator (128-bit LCG state, DXSM output),
// reimplemented so that Uint64 inlines: PCG{} seeded like
// rand.NewPCG(seed1, seed2) yields exactly the same values. It implements
// rand.Source.
type PCG struct {
	hi, lo uint64
}

// NewPCG returns the generator rand.NewPCG(seed1, seed2) would: same state,
// same values.
func NewPCG(seed1, seed2 uint64) *PCG { return &PCG{hi: seed1, lo: seed2} }

// PCG's constants (math/rand/v2's): state = state·mul + inc (mod 2¹²⁸),
// and the DXSM output multiplier.
const (
	mulHi    = 2549297995355413924
	mulLo    = 4865540595714422341
	incHi    = 6364136223846793005
	incLo    = 1442695040888963407
	cheapMul = 0xda942042e4dd58b5
)

// Uint64 returns the next 64 uniform random bits.
func (p *PCG) Uint64() uint64 {
	hi, lo := bits.Mul64(p.lo, mulLo)
	hi += p.hi*mulLo + p.lo*mulHi
	lo, c := bits.Add64(lo, incLo, 0)
	hi, _ = bits.Add64(hi, incHi, c)
	p.lo, p.hi = lo, hi
	// DXSM output ("double xorshift multiply").
	hi ^= hi >> 32
	hi *= cheapMul
	hi ^= hi >> 48
	return hi * (lo | 1)
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
