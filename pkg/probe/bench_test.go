package probe

import (
	"testing"

	"github.com/dualssl/dualssl/pkg/nn"
)

// BenchmarkReference probes 51 snapshots of the reference configuration
// (depth 5, binary, hid 10, biases) on 64000 samples: one op is the whole
// probe, ceilings included. Target: 3 s or less on 2 cores. It also reports
// the process's CPU seconds per op (cpu-s/op): on a busy machine, half of
// it is what the wall time would be on two idle cores.
func BenchmarkReference(b *testing.B) {
	benchProbe(b, true)
}

// BenchmarkReferenceNoTables is the same without the tabulated layers: one
// forward pass per sample and snapshot.
func BenchmarkReferenceNoTables(b *testing.B) {
	benchProbe(b, false)
}

func benchProbe(b *testing.B, tables bool) {
	m := model(b, 5, 2, 0.7, 1)
	nets := snapshots(nn.NewTree(5, 2, 10, true), 51, true)
	z, x := samples(m, 2, 64000)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		run(b, m, nets, z, x, []int{8192}, 0, tables)
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkMLP probes 51 snapshots of an MLP (32 inputs, widths 64, 64, 10)
// on 64000 samples of the reference tree: every neuron against every latent.
func BenchmarkMLP(b *testing.B) {
	m := model(b, 5, 2, 0.7, 1)
	nets := snapshots(nn.NewMLP(m.NumLeaves(), []int{64, 64, 10}, true), 51, true)
	z, x := samples(m, 2, 64000)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		run(b, m, nets, z, x, []int{8192}, 0, true)
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// chunkProber returns a prober of the reference shape (depth 5, binary,
// hid 10, biases; one snapshot) with one whole chunk of samples buffered
// and prepared, ready for sampleStats and probeBatch.
func chunkProber(b *testing.B, scalar bool) (*Prober, int) {
	m := model(b, 5, 2, 0.8, 1)
	nets := snapshots(nn.NewTree(5, 2, 10, true), 1, true)
	p, err := newProber(m, nets, Options{Threads: 1}, switches{scalar: scalar})
	if err != nil {
		b.Fatal(err)
	}
	n := p.chunk * p.batch
	z, x := samples(m, 2, n)
	copy(p.z, z)
	copy(p.x, x)
	for k := 0; k < p.chunk; k++ {
		p.prepare(k, p.batch)
	}
	return p, n
}

// BenchmarkSampleStats times the per-run part of the probe: each batch's
// preparation (z transposed and centred, leaf patterns), the ceilings (both
// posterior means of every latent and their moments) and the configuration
// counts, in ns per sample (wall and CPU; ms for 64000 samples): fast path
// and scalar reference.
func BenchmarkSampleStats(b *testing.B) {
	for _, scalar := range []bool{false, true} {
		b.Run(map[bool]string{false: "fast", true: "scalar"}[scalar], func(b *testing.B) {
			p, n := chunkProber(b, scalar)
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				for k := 0; k < p.chunk; k++ {
					p.prepare(k, p.batch)
				}
				if scalar {
					p.sampleStatsScalar(p.chunk)
				} else {
					p.sampleStats(p.chunk)
				}
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*n)
			b.ReportMetric(ns, "ns/sample")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*n), "cpu-ns/sample")
			b.ReportMetric(ns*64000/1e6, "ms/64k-samples")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkSnapshot times the per-snapshot part of the probe (forward pass
// above the tables and moments) of the reference shape, in ns per sample
// (wall and CPU) and ms per snapshot of 64000 samples: fast path and
// scalar reference.
func BenchmarkSnapshot(b *testing.B) {
	for _, scalar := range []bool{false, true} {
		b.Run(map[bool]string{false: "fast", true: "scalar"}[scalar], func(b *testing.B) {
			p, n := chunkProber(b, scalar)
			s, w := p.snaps[0], p.work[0]
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				for k := 0; k < p.chunk; k++ {
					if scalar {
						p.probeBatch(s, &p.preps[k], k, w)
					} else {
						p.probeBatchLanes(s, &p.preps[k], k, w)
					}
				}
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*n)
			b.ReportMetric(ns, "ns/sample")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*n), "cpu-ns/sample")
			b.ReportMetric(ns*64000/1e6, "ms/snapshot-of-64k")
			b.ReportMetric(0, "ns/op")
		})
	}
}
