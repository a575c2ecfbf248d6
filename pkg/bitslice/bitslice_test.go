package bitslice

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/dualssl/dualssl/pkg/rng"
)

func TestTranspose(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 20; trial++ {
		var a, orig [64]uint64
		for i := range a {
			a[i] = r.Uint64()
		}
		orig = a
		Transpose(&a)
		for i := 0; i < 64; i++ {
			for j := 0; j < 64; j++ {
				if a[i]>>j&1 != orig[j]>>i&1 {
					t.Fatalf("trial %d: bit %d of row %d is not bit %d of row %d", trial, j, i, i, j)
				}
			}
		}
		Transpose(&a)
		if a != orig {
			t.Fatal("Transpose twice is not the identity")
		}
	}
}

// TestPackUnpack checks both conversions against their definitions, for
// plane counts around multiples of 64, partial lanes and a wide stride,
// and that Unpack leaves the bytes beyond the planes alone.
func TestPackUnpack(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 7, 8, 9, 63, 64, 65, 127, 130} {
		for _, lanes := range []int{1, 5, 63, 64} {
			stride := n + 3
			planes := make([]uint64, n)
			for i := range planes {
				planes[i] = r.Uint64()
			}
			dst := make([]int8, lanes*stride)
			for i := range dst {
				dst[i] = 7
			}
			Unpack(dst, stride, lanes, planes)
			for s := 0; s < lanes; s++ {
				for i := 0; i < stride; i++ {
					want := int8(7)
					if i < n {
						want = int8(planes[i] >> s & 1)
					}
					if got := dst[s*stride+i]; got != want {
						t.Fatalf("n=%d lanes=%d: Unpack row %d byte %d = %d, want %d", n, lanes, s, i, got, want)
					}
				}
			}
			back := make([]uint64, n)
			Pack(back, dst, stride, lanes)
			mask := ^uint64(0) >> (64 - lanes)
			for i := range back {
				if back[i] != planes[i]&mask {
					t.Fatalf("n=%d lanes=%d: Pack plane %d = %x, want %x", n, lanes, i, back[i], planes[i]&mask)
				}
			}
		}
	}
}

// drawn returns the words Bernoulli(src, t) takes from src, by replaying a
// copy of the generator, its result, and the next 100 words src would have
// given instead.
func drawn(src *rng.Xoshiro, t uint64) (words []uint64, got uint64, stream []uint64) {
	replay, ahead := *src, *src
	for range 100 {
		stream = append(stream, ahead.Uint64())
	}
	got = Bernoulli(src, t)
	for replay != *src {
		words = append(words, replay.Uint64())
	}
	return words, got, stream
}

// TestBernoulliExact checks that Bernoulli decides every lane as the scalar
// comparison U < t would for the U it implies: with k words drawn, lane s
// of U has its top k bits from bit s of the words, and U < t must hold
// for the smallest and the largest U with those top bits alike and equal
// the lane's result (so the result is decided by the bits drawn, whatever
// would follow). It also checks the number of words against the stopping
// rule: minWords words (fewer when t's bits run out), then until every
// lane is decided. Thresholds cover 0, 1, 2⁶³, 2⁶⁴−1, 2⁶⁴−2, thresholds
// with long runs of equal bits and random ones.
func TestBernoulliExact(t *testing.T) {
	ts := []uint64{0, 1, 2, 3, 1 << 63, 1<<63 + 1, 1<<63 - 1, math.MaxUint64, math.MaxUint64 - 1,
		0xffffffff00000000, 0x00000000ffffffff, 0xaaaaaaaaaaaaaaaa, 0x5555555555555555, 1 << 40, 0x7f << 50,
		rng.Threshold(0.05), rng.Threshold(0.95), rng.Threshold(1e-9), rng.Threshold(1 - 1e-9)}
	r := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		ts = append(ts, r.Uint64(), r.Uint64()>>r.IntN(64), r.Uint64()<<r.IntN(64))
	}
	src := rng.NewXoshiro(7, rng.Sample, 0)
	for _, th := range ts {
		for rep := 0; rep < 50; rep++ {
			words, got, stream := drawn(src, th)
			k := len(words)
			// The stopping rule, step by step.
			want, und, tt := 0, ^uint64(0), th
			for tt != 0 && (want < minWords || und != 0) {
				und &^= stream[want] ^ -(tt >> 63)
				tt <<= 1
				want++
			}
			if k != want {
				t.Fatalf("t = %#x: drew %d words, the rule says %d", th, k, want)
			}
			for s := 0; s < 64; s++ {
				var prefix uint64
				for _, w := range words {
					prefix = prefix<<1 | w>>s&1
				}
				var umin, umax uint64 = 0, ^uint64(0)
				switch {
				case k >= 64:
					umin, umax = prefix, prefix
				case k > 0:
					umin = prefix << (64 - k)
					umax = umin | ^uint64(0)>>k
				}
				if lo, hi := umin < th, umax < th; lo != hi {
					t.Fatalf("t = %#x: stopped after %d words with lane %d undecided", th, k, s)
				} else if (got>>s&1 == 1) != lo {
					t.Fatalf("t = %#x, %d words: lane %d is %d, the scalar comparison gives %v", th, k, s, got>>s&1, lo)
				}
			}
		}
	}
}

// TestBernoulliFrequency checks Bernoulli's ones against P(U < t) =
// t/2⁶⁴ for thresholds at the ends of the range, exact binomial tests on
// 2¹⁶ words (2²² lanes) each at a per-threshold false-alarm rate of 10⁻⁶:
// t = 0 must give no ones, t = 2⁶⁴−1 ones everywhere (but with
// probability 2⁻⁶⁴ a lane).
func TestBernoulliFrequency(t *testing.T) {
	const words = 1 << 16
	src := rng.NewXoshiro(11, rng.Sample, 3)
	for _, th := range []uint64{0, 1, 1 << 20, 1 << 43, rng.Threshold(1e-6), rng.Threshold(0.01), rng.Threshold(0.3),
		1<<63 - 1, 1 << 63, 1<<63 + 1, rng.Threshold(0.7), rng.Threshold(0.999), math.MaxUint64 - 1<<20, math.MaxUint64 - 1, math.MaxUint64} {
		ones := 0
		for range words {
			ones += bits.OnesCount64(Bernoulli(src, th))
		}
		n := words * Lanes
		p := math.Ldexp(float64(th), -64)
		switch {
		case th == 0:
			if ones != 0 {
				t.Errorf("t = 0: %d ones", ones)
			}
			continue
		case p*float64(n) < 1e-3:
			// Expected well under one: three or more is a 1e-10 event.
			if ones > 2 {
				t.Errorf("t = %#x: %d ones in %d lanes, expected %.3g", th, ones, n, p*float64(n))
			}
			continue
		case (1-p)*float64(n) < 1e-3:
			if n-ones > 2 {
				t.Errorf("t = %#x: %d zeros in %d lanes, expected %.3g", th, n-ones, n, (1-p)*float64(n))
			}
			continue
		}
		b := distuv.Binomial{N: float64(n), P: p}
		pval := 2 * min(b.CDF(float64(ones)), 1-b.CDF(float64(ones-1)))
		if pval < 1e-6 {
			t.Errorf("t = %#x: %d ones in %d lanes, want probability %.6g (p-value %.2g)", th, ones, n, p, pval)
		}
	}
}
