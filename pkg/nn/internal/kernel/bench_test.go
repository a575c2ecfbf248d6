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
// outputs, gated) and its weight gradient, and the 10×2 leaf block; in
// float64 (peak-frac of PeakGFLOPs) and float32 (of PeakGFLOPs32).
func BenchmarkLanes(b *testing.B) {
	if !AVX2 {
		b.Skip("no AVX2+FMA")
	}
	b.Run("float64", func(b *testing.B) {
		benchLanes(b, LanesMul, LanesGradW, LanesSum, PeakGFLOPs())
	})
	b.Run("float32", func(b *testing.B) {
		benchLanes(b, LanesMul32, LanesGradW32, LanesSum32, PeakGFLOPs32())
	})
}

func benchLanes[T Float](b *testing.B, mul func([]T, int, []T, []T, int, int, []T, int, int, int, int, int, []T), gradW func([]T, int, []T, int, []T, int, int, int, int), sum func([]T, []T, int, int, int), peak float64) {
	const n = 96
	r := rng.New(9, "bench", 0)
	fill := func(k int) []T {
		s := make([]T, k)
		randFill(r, s)
		return s
	}
	for _, sh := range []struct{ out, in int }{{10, 20}, {10, 2}} {
		w, bias := fill(sh.out*sh.in), fill(sh.out)
		x, h, f := fill(sh.in*n), fill(sh.out*n), fill(sh.out*n)
		gx := fill(sh.in * n)
		flops := float64(2 * sh.out * sh.in * n)
		b.Run(fmt.Sprintf("forward-%dx%d", sh.out, sh.in), func(b *testing.B) {
			c0 := cputime.Seconds()
			for i := 0; i < b.N; i++ {
				mul(f, n, bias, w, sh.in, 1, x, n, sh.out, sh.in, n, LanesReLU, nil)
			}
			reportRate(b, flops, c0, peak)
		})
		b.Run(fmt.Sprintf("gradin-%dx%d", sh.out, sh.in), func(b *testing.B) {
			c0 := cputime.Seconds()
			for i := 0; i < b.N; i++ {
				mul(gx, n, nil, w, 1, sh.in, h, n, sh.in, sh.out, n, LanesGate, x)
			}
			reportRate(b, flops, c0, peak)
		})
		gw := make([]T, sh.out*sh.in)
		b.Run(fmt.Sprintf("gradw-%dx%d", sh.out, sh.in), func(b *testing.B) {
			c0 := cputime.Seconds()
			for i := 0; i < b.N; i++ {
				gradW(gw, sh.in, h, n, x, n, sh.out, sh.in, n)
				sum(bias, h, n, sh.out, n)
			}
			reportRate(b, flops, c0, peak)
		})
	}
}

// TestPeakFlops checks that both peak loops count their flops and that
// the rates come out positive where CPU time can be read.
func TestPeakFlops(t *testing.T) {
	if f64, f32 := PeakFlops(10), PeakFlops32(10); f64 <= 0 || f32 < f64 {
		t.Fatalf("PeakFlops(10) = %d, PeakFlops32(10) = %d", f64, f32)
	}
	if p64, p32 := PeakGFLOPs(), PeakGFLOPs32(); p64 < 0 || p32 < 0 {
		t.Fatalf("peaks %v, %v GFLOP/s", p64, p32)
	}
}
