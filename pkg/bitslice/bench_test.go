package bitslice

import (
	"testing"

	"github.com/dualssl/dualssl/pkg/internal/cputime"
	"github.com/dualssl/dualssl/pkg/rng"
)

var sink uint64

// perLane reports ns (wall) and CPU-ns per lane of b's run, lanes lanes per
// op, from CPU seconds cpu0 at the start: on a shared machine the CPU time
// says more than the wall time.
func perLane(b *testing.B, cpu0 float64, lanes int) {
	n := float64(b.N) * float64(lanes)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/lane")
	b.ReportMetric((cputime.Seconds()-cpu0)*1e9/n, "cpu-ns/lane")
}

// BenchmarkBernoulli reports the cost per lane (one sample's draw) of
// Bernoulli at thresholds of the reference trees' flip probabilities
// (q ≤ 0.1 or ≥ 0.9), against 64 scalar comparisons Uint64() < t.
func BenchmarkBernoulli(b *testing.B) {
	ts := make([]uint64, 62)
	r := rng.New(2, rng.Tree, 0)
	for i := range ts {
		q := 0.1 * r.Float64()
		if i%2 == 1 {
			q = 1 - q
		}
		ts[i] = rng.Threshold(q)
	}
	b.Run("bitsliced", func(b *testing.B) {
		src := rng.NewXoshiro(1, rng.Sample, 0)
		var acc uint64
		cpu0 := cputime.Seconds()
		for i := 0; i < b.N; i++ {
			acc ^= Bernoulli(src, ts[i%len(ts)])
		}
		sink = acc
		perLane(b, cpu0, Lanes)
	})
	b.Run("scalar", func(b *testing.B) {
		src := rng.NewXoshiro(1, rng.Sample, 0)
		var acc uint64
		cpu0 := cputime.Seconds()
		for i := 0; i < b.N; i++ {
			t := ts[i%len(ts)]
			var w uint64
			for s := 0; s < Lanes; s++ {
				if src.Uint64() < t {
					w |= 1 << s
				}
			}
			acc ^= w
		}
		sink = acc
		perLane(b, cpu0, Lanes)
	})
}

func BenchmarkTranspose(b *testing.B) {
	var a [64]uint64
	for i := range a {
		a[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	cpu0 := cputime.Seconds()
	for i := 0; i < b.N; i++ {
		Transpose(&a)
	}
	sink = a[3]
	perLane(b, cpu0, Lanes)
}

// BenchmarkUnpackPack converts the 63 nodes of 64 samples of the reference
// tree; ns/lane is per sample.
func BenchmarkUnpackPack(b *testing.B) {
	planes := make([]uint64, 63)
	for i := range planes {
		planes[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	rows := make([]int8, 64*63)
	b.Run("unpack", func(b *testing.B) {
		cpu0 := cputime.Seconds()
		for i := 0; i < b.N; i++ {
			Unpack(rows, 63, 64, planes)
		}
		perLane(b, cpu0, Lanes)
	})
	b.Run("pack", func(b *testing.B) {
		cpu0 := cputime.Seconds()
		for i := 0; i < b.N; i++ {
			Pack(planes, rows, 63, 64)
		}
		perLane(b, cpu0, Lanes)
	})
}
