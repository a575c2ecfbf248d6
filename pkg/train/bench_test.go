package train

import (
	"fmt"
	"testing"

	"github.com/dualssl/dualssl/pkg/internal/cputime"
	"github.com/dualssl/dualssl/pkg/loss"
	"github.com/dualssl/dualssl/pkg/nn"
)

// BenchmarkReferenceEpoch trains one epoch of the reference configuration
// (depth 5, binary, delta-lower 0.8, hid 10, batch 128, 64000 rows, nce-ref,
// τ = 0.1, one explicit negative per anchor) on views held in memory, so it
// measures training alone, in float64 and in float32 (Config.Precision).
// It reports seconds per epoch (wall and CPU), GFLOP/s (two flops per
// counted multiply-add) per wall second and per CPU-second, and peak-frac:
// the CPU rate's fraction of the FMA rate of one core in the run's
// precision (nn.PeakGFLOPs, nn.PeakGFLOPs32), measured just before in the
// same run.
// The epoch includes the replay's gather of shuffled rows, the loss and
// the updates; BenchmarkTreeChunk in pkg/nn isolates the kernels.
func BenchmarkReferenceEpoch(b *testing.B) {
	const rows = 64000
	// Loaded as ssl-train loads a views file it replays (int8 copies).
	data, err := LoadReplay(&rowsOf{r: views(b, 5, rows, 1, 1)}, 32, 1)
	if err != nil {
		b.Fatal(err)
	}
	data.Seed, data.EpochRows = 1, rows
	for _, prec := range []string{Float64, Float32} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", prec, threads), func(b *testing.B) {
				benchEpoch(b, data, rows, prec, threads)
			})
		}
	}
}

func benchEpoch(b *testing.B, data *Replay, rows int, prec string, threads int) {
	net := newNet(5, 10, true, 1)
	tr, err := New(net, Config{Loss: loss.NCERef{Temp: 0.1}, Normalize: true, Eps: loss.DefaultEps, LR: 0.1, Negatives: 1, Seed: 1, Threads: threads, Precision: prec})
	if err != nil {
		b.Fatal(err)
	}
	peak := nn.PeakGFLOPs()
	if prec == Float32 {
		peak = nn.PeakGFLOPs32()
	}
	var madds int64
	cpu0 := cputime.Seconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l := &Loop{Trainer: tr, Source: data, EpochRows: rows, BatchRows: 128, Epochs: i + 1, Done: i,
			OnEpoch: func(e EpochStats) error { madds += e.MulAdds; return nil }}
		if _, err := l.Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := cputime.Seconds() - cpu0
	flops := 2 * float64(madds)
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/epoch")
	b.ReportMetric(cpu/float64(b.N), "cpu-s/epoch")
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu > 0 && peak > 0 {
		b.ReportMetric(flops/cpu/1e9, "cpu-GFLOP/s")
		b.ReportMetric(flops/cpu/1e9/peak, "peak-frac")
	}
}

// BenchmarkUpdate: one SGD update of the reference network (3630
// parameters) with momentum, in each precision; ns/param per update.
func BenchmarkUpdate(b *testing.B) {
	for _, prec := range []string{Float64, Float32} {
		b.Run(prec, func(b *testing.B) {
			net := newNet(5, 10, true, 1)
			tr, err := New(net, Config{Loss: loss.NCERef{Temp: 0.1}, LR: 1e-9, Momentum: 0.9, Negatives: 1, Precision: prec})
			if err != nil {
				b.Fatal(err)
			}
			tr.Velocity = net.ZeroLike()
			tr.refreshParams()
			gs := tr.grad.ParamSlices()
			params := 0
			for _, g := range gs {
				params += len(g)
				for i := range g {
					g[i] = 1e-3
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := tr.update(gs, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(params), "ns/param")
		})
	}
}
