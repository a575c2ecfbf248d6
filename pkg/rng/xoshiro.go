package rng

import "math/bits"

// Xoshiro is the xoshiro256++ generator of Blackman and Vigna (256-bit
// state, period 2²⁵⁶−1, every output bit of full quality): a step is a few
// shifts, rotations and additions where PCG needs five multiplications, so
// it costs about half as much. The bit-sliced sampler, which uses every
// bit of about nine words per node, draws from it. It implements
// rand.Source.
type Xoshiro struct {
	s0, s1, s2, s3 uint64
}

// NewXoshiro returns the generator of stream (seed, purpose, index): its
// state is the first four draws of NewSource(seed, purpose, index), so
// streams with different arguments are independent like New's.
func NewXoshiro(seed uint64, purpose string, index uint64) *Xoshiro {
	p := NewSource(seed, purpose, index)
	return XoshiroFrom(p.Uint64(), p.Uint64(), p.Uint64(), p.Uint64())
}

// XoshiroFrom returns the generator with state (s0, s1, s2, s3), as the
// reference implementation's s[0] … s[3]. The all-zero state, which
// xoshiro never leaves, is replaced by (1, 0, 0, 0).
func XoshiroFrom(s0, s1, s2, s3 uint64) *Xoshiro {
	if s0|s1|s2|s3 == 0 {
		s0 = 1
	}
	return &Xoshiro{s0, s1, s2, s3}
}

// Uint64 returns the next 64 uniform random bits.
func (x *Xoshiro) Uint64() uint64 {
	next, v := x.Next()
	*x = next
	return v
}

// Next returns the generator advanced by one draw, and that draw: the
// value x.Uint64() would return, without changing x (a loop can keep the
// state in a local variable, in registers).
func (x Xoshiro) Next() (Xoshiro, uint64) {
	v := bits.RotateLeft64(x.s0+x.s3, 23) + x.s0
	t := x.s1 << 17
	x.s2 ^= x.s0
	x.s3 ^= x.s1
	x.s1 ^= x.s2
	x.s0 ^= x.s3
	x.s2 ^= t
	x.s3 = bits.RotateLeft64(x.s3, 45)
	return x, v
}
