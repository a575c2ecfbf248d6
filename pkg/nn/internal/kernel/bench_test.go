package kernel

import (
	"fmt"
	"testing"

	"github.com/dualssl/dualssl/pkg/internal/cputime"
	"github.com/dualssl/dualssl/pkg/rng"
)

// reportRate reports GFLOP per CPU-second and its fraction of peak.
func reportRate(b *testing.B, flops float64, c0, peak float64) {
	if dt := cputime.Seconds() - c0; dt > 0 {
		gf := flops * float64(b.N) / dt / 1e9
		b.ReportMetric(gf, "cpu-GFLOP/s")
		b.ReportMetric(gf/peak, "peak-frac")
	}
}

// BenchmarkLanes times the lane kernels on the reference tree network's
// shapes over one training chunk (96 samples): the forward pass of a
// 10×20 block with its fused ReLU, its input gradient (20 rows over 10
// outputs, gated) and its weight gradient, and the 10×2 leaf block.
func BenchmarkLanes(b *testing.B) {
	if !AVX2 {
		b.Skip("no AVX2+FMA")
	}
	const n = 96
	r := rng.New(9, "bench", 0)
	fill := func(k int) []float64 {
		s := make([]float64, k)
		for i := range s {
			s[i] = r.NormFloat64()
		}
		return s
	}
	for _, sh := range []struct{ out, in int }{{10, 20}, {10, 2}} {
		w, bias := fill(sh.out*sh.in), fill(sh.out)
		x, h, f := fill(sh.in*n), fill(sh.out*n), fill(sh.out*n)
		_ = h
		gx := fill(sh.in * n)
		peak := PeakGFLOPs()
		flops := float64(2 * sh.out * sh.in * n)
		b.Run(fmt.Sprintf("forward-%dx%d", sh.out, sh.in), func(b *testing.B) {
			c0 := cputime.Seconds()
			for i := 0; i < b.N; i++ {
				LanesMul(f, n, bias, w, sh.in, 1, x, n, sh.out, sh.in, n, LanesReLU, nil)
			}
			reportRate(b, flops, c0, peak)
		})
		b.Run(fmt.Sprintf("gradin-%dx%d", sh.out, sh.in), func(b *testing.B) {
			c0 := cputime.Seconds()
			for i := 0; i < b.N; i++ {
				LanesMul(gx, n, nil, w, 1, sh.in, h, n, sh.in, sh.out, n, LanesGate, x)
			}
			reportRate(b, flops, c0, peak)
		})
		gw := make([]float64, sh.out*sh.in)
		b.Run(fmt.Sprintf("gradw-%dx%d", sh.out, sh.in), func(b *testing.B) {
			c0 := cputime.Seconds()
			for i := 0; i < b.N; i++ {
				LanesGradW(gw, sh.in, h, n, x, n, sh.out, sh.in, n)
				LanesSum(bias, h, n, sh.out, n)
			}
			reportRate(b, flops, c0, peak)
		})
	}
}
