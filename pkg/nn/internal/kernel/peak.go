package kernel

import "github.com/dualssl/dualssl/pkg/internal/cputime"

// PeakFlops runs rounds of independent float64 fused multiply-adds on
// registers only, on the AVX2 units where the CPU has them (else as
// portable Go mul-adds), and returns the number of floating-point
// operations done.
func PeakFlops(rounds int) int64 {
	if AVX2 {
		fmaPeakAVX2(rounds)
		return int64(rounds) * 12 * 4 * 2
	}
	return peakGo[float64](rounds)
}

// PeakFlops32 is the float32 PeakFlops: eight lanes per AVX2 register.
func PeakFlops32(rounds int) int64 {
	if AVX2 {
		fmaPeak32AVX2(rounds)
		return int64(rounds) * 12 * 8 * 2
	}
	return peakGo[float32](rounds)
}

// peakGo is the portable PeakFlops: eight independent mul-add chains.
func peakGo[T Float](rounds int) int64 {
	var a [8]T
	x, y := T(1.0000001), T(0.9999999)
	for r := 0; r < rounds; r++ {
		for i := range a {
			a[i] = a[i]*x + y
		}
	}
	sink = float64(a[0] + a[7])
	return int64(rounds) * 8 * 2
}

var sink float64

// PeakGFLOPs measures the float64 FMA rate one core attains now, in GFLOP
// per CPU-second: the best of five timed PeakFlops runs of about 5 ms (0
// where the platform's CPU time cannot be read). It is the yardstick of the
// benchmarks' peak fractions, measured in the same run because a shared
// machine's rate varies.
func PeakGFLOPs() float64 { return peakGFLOPs(PeakFlops) }

// PeakGFLOPs32 is the float32 PeakGFLOPs (PeakFlops32 runs).
func PeakGFLOPs32() float64 { return peakGFLOPs(PeakFlops32) }

func peakGFLOPs(run func(rounds int) int64) float64 {
	best := 0.0
	for i := 0; i < 5; i++ {
		c0 := cputime.Seconds()
		f := run(2000000)
		if dt := cputime.Seconds() - c0; dt > 0 {
			best = max(best, float64(f)/dt/1e9)
		}
	}
	return best
}
