package nn

import (
	"testing"

	"github.com/dualssl/dualssl/pkg/internal/cputime"
	"github.com/dualssl/dualssl/pkg/nn/internal/kernel"
	"github.com/dualssl/dualssl/pkg/rng"
)

// BenchmarkTreeChunk runs the forward and backward pass of the reference
// tree network (depth 5, binary, hid 10) on one chunk of 192 rows (64
// anchors with their positives and negatives, train.ChunkRows), the unit
// of work of a training step: on the row-major kernels (go, avx2-4, avx2-12) and on the
// feature-major lane kernels (lanes-go, lanes), and on the float32 lane
// kernels (lanes32-go, lanes32: float32 copies of the same weights and
// inputs). It reports GFLOP/s over the
// counted multiply-adds (forward, weight and input gradients) per
// wall-clock second, the same per CPU-second (cpu-GFLOP/s: what the code
// attains while the machine is shared) and, as peak-frac, the latter's
// fraction of the FMA rate of the pass's precision measured just before
// (PeakGFLOPs, PeakGFLOPs32).
func BenchmarkTreeChunk(b *testing.B) {
	for _, kern := range []string{"go", "avx2-4", "avx2-12", "lanes-go", "lanes", "lanes32-go", "lanes32"} {
		avx := kern != "go" && kern != "lanes-go" && kern != "lanes32-go"
		if avx && !kernel.AVX2 {
			continue
		}
		b.Run(kern, func(b *testing.B) {
			defer func(old4, old12 bool) { useStrip4, useStrip12 = old4, old12 }(useStrip4, useStrip12)
			useStrip4, useStrip12 = avx, kern == "avx2-12"
			n := NewTree(5, 2, 10, true)
			n.Init(rng.New(1, rng.Init, 0), 1)
			const rows = 192
			r := rng.New(2, "bench", 0)
			x := make([]float64, rows*n.InDim())
			for i := range x {
				x[i] = float64(r.IntN(2))
			}
			dOut := make([]float64, rows*n.OutDim())
			for i := range dOut {
				dOut[i] = r.NormFloat64()
			}
			g := n.ZeroLike()
			var a Activations
			var d Backprop
			var p Lanes
			var q Lanes32
			ps, gs := n.ParamSlices(), g.ParamSlices()
			ws32, gs32 := ParamsOf[float32](n), ParamsOf[float32](n)
			lanes := kern == "lanes" || kern == "lanes-go"
			lanes32 := kern == "lanes32" || kern == "lanes32-go"
			peak := PeakGFLOPs()
			switch {
			case lanes:
				p.Reset(n, rows)
				copy(p.F[0], x) // the values do not matter, only their mix of 0 and 1
				copy(p.D[len(p.D)-1], dOut)
			case lanes32:
				for k := range ps {
					for i, v := range ps[k] {
						ws32[k][i] = float32(v)
					}
				}
				q.Reset(n, rows)
				for i, v := range x {
					q.F[0][i] = float32(v)
				}
				for i, v := range dOut {
					q.D[len(q.D)-1][i] = float32(v)
				}
				peak = PeakGFLOPs32()
			}
			c0 := cputime.Seconds()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				switch {
				case lanes:
					ForwardLanesWith(n, ps, &p)
					BackwardLanesWith(n, ps, &p, gs, false)
					continue
				case lanes32:
					ForwardLanesWith(n, ws32, &q)
					BackwardLanesWith(n, ws32, &q, gs32, false)
					continue
				}
				n.Forward(x, rows, &a)
				n.Backward(&a, dOut, g, &d, false)
			}
			madds := float64(rows) * float64(3*n.MulAdds()-n.Layers[0].Blocks[0].In*n.Layers[0].Blocks[0].Out*len(n.Layers[0].Blocks))
			flops := 2 * madds * float64(b.N)
			cpu := 0.0
			if dt := cputime.Seconds() - c0; dt > 0 {
				cpu = flops / dt / 1e9
			}
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			b.ReportMetric(cpu, "cpu-GFLOP/s")
			b.ReportMetric(cpu/peak, "peak-frac")
		})
	}
}
