package hltm

import (
	"testing"

	"github.com/dualssl/dualssl/pkg/internal/cputime"
	"github.com/dualssl/dualssl/pkg/rng"
)

// BenchmarkSample reports ns per sample (and node draws per second) of
// ancestral sampling on the reference tree (depth 5, binary: 63 nodes per
// sample), one core: "scalar" is Model.Sample, one sample at a time (the
// path SampleBlock took before the bit-sliced sampler); "lanes" is a
// LaneSampler drawing 64 samples and unpacking them to int8 rows, as
// SampleBlock does.
func BenchmarkSample(b *testing.B) {
	m, _ := New(5, 2, RandomPolarities(rng.New(1, rng.Tree, 0), 62, 0.8, 1, false))
	n := m.NumNodes()
	var cpu0 float64
	report := func(b *testing.B, samples int) {
		sec := b.Elapsed().Seconds()
		b.ReportMetric(sec*1e9/float64(b.N*samples), "ns/sample")
		b.ReportMetric((cputime.Seconds()-cpu0)*1e9/float64(b.N*samples), "cpu-ns/sample")
		b.ReportMetric(float64(b.N*samples*n)/sec, "draws/s")
	}
	b.Run("scalar", func(b *testing.B) {
		rnd := rng.New(1, rng.Sample, 0)
		z := make([]int8, n)
		cpu0 = cputime.Seconds()
		for i := 0; i < b.N; i++ {
			m.Sample(rnd, z)
		}
		report(b, 1)
	})
	b.Run("lanes", func(b *testing.B) {
		src := rng.NewXoshiro(1, rng.Sample, 0)
		ls := m.NewLaneSampler()
		z := make([]int8, Lanes*n)
		cpu0 = cputime.Seconds()
		for i := 0; i < b.N; i++ {
			ls.Sample(src)
			ls.Unpack(z, n, Lanes)
		}
		report(b, Lanes)
	})
	b.Run("lanes-planes-only", func(b *testing.B) {
		src := rng.NewXoshiro(1, rng.Sample, 0)
		ls := m.NewLaneSampler()
		cpu0 = cputime.Seconds()
		for i := 0; i < b.N; i++ {
			ls.Sample(src)
		}
		report(b, Lanes)
	})
}

// BenchmarkSampleRows measures the block sampler with leaves, on one and
// two goroutines (rows of the reference tree).
func BenchmarkSampleRows(b *testing.B) {
	m, _ := New(5, 2, RandomPolarities(rng.New(1, rng.Tree, 0), 62, 0.8, 1, false))
	const rows = 16 * BlockRows
	z := make([]int8, rows*m.NumNodes())
	x := make([]float64, rows*m.NumLeaves())
	for _, threads := range []int{1, 2} {
		b.Run(map[int]string{1: "threads=1", 2: "threads=2"}[threads], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				m.SampleRows(1, int64(i)*rows, rows, z, x, threads)
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N*rows), "ns/sample")
			b.ReportMetric(float64(b.N)*rows*float64(m.NumNodes())/b.Elapsed().Seconds(), "draws/s")
		})
	}
}
