package hltm

import (
	"testing"

	"github.com/dualssl/dualssl/pkg/rng"
)

// BenchmarkSample reports node draws per second of ancestral sampling on
// the reference tree (depth 5, binary: 63 nodes per sample), one core.
func BenchmarkSample(b *testing.B) {
	m, _ := New(5, 2, RandomPolarities(rng.New(1, rng.Tree, 0), 62, 0.7, 1, false))
	rnd := rng.New(1, rng.Sample, 0)
	z := make([]int8, m.NumNodes())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Sample(rnd, z)
	}
	b.ReportMetric(float64(b.N)*float64(m.NumNodes())/b.Elapsed().Seconds(), "draws/s")
}

// BenchmarkSampleRows measures the block sampler with leaves, on one and
// two goroutines (rows of the reference tree).
func BenchmarkSampleRows(b *testing.B) {
	m, _ := New(5, 2, RandomPolarities(rng.New(1, rng.Tree, 0), 62, 0.7, 1, false))
	const rows = 16 * BlockRows
	z := make([]int8, rows*m.NumNodes())
	x := make([]float64, rows*m.NumLeaves())
	for _, threads := range []int{1, 2} {
		b.Run(map[int]string{1: "threads=1", 2: "threads=2"}[threads], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				m.SampleRows(1, int64(i)*rows, rows, z, x, threads)
			}
			b.ReportMetric(float64(b.N)*rows*float64(m.NumNodes())/b.Elapsed().Seconds(), "draws/s")
		})
	}
}
