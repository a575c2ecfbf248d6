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
