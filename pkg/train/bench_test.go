//go:build unix

package train

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/dualssl/dualssl/pkg/loss"
)

// BenchmarkReferenceEpoch trains one epoch of the reference configuration
// (depth 5, binary, delta-lower 0.8, hid 10, batch 128, 64000 rows, nce-ref,
// τ = 0.1, one explicit negative per anchor) on views held in memory, so it
// measures training alone. It reports seconds per epoch and GFLOP/s (two
// flops per counted multiply-add).
func BenchmarkReferenceEpoch(b *testing.B) {
	const rows = 64000
	data := views(b, 5, rows, 1, 1)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			net := newNet(5, 10, true, 1)
			tr, err := New(net, Config{Loss: loss.NCERef{Temp: 0.1}, Normalize: true, Eps: loss.DefaultEps, LR: 0.1, Negatives: 1, Seed: 1, Threads: threads})
			if err != nil {
				b.Fatal(err)
			}
			var madds int64
			cpu0 := cpuSeconds()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				l := &Loop{Trainer: tr, Source: data, EpochRows: rows, BatchRows: 128, Epochs: i + 1, Done: i,
					OnEpoch: func(e EpochStats) error { madds += e.MulAdds; return nil }}
				if _, err := l.Run(); err != nil {
					b.Fatal(err)
				}
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(sec, "s/epoch")
			b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/epoch")
			b.ReportMetric(2*float64(madds)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// cpuSeconds returns the process's user+system CPU time: on a busy machine
// it says what the epoch costs better than wall time does.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
