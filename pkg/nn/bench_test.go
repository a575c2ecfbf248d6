package nn

import (
	"testing"

	"github.com/dualssl/dualssl/pkg/nn/internal/kernel"
	"github.com/dualssl/dualssl/pkg/rng"
)

// BenchmarkTreeChunk runs the forward and backward pass of the reference
// tree network (depth 5, binary, hid 10) on one chunk of 96 rows (32
// anchors with their positives and negatives); it reports GFLOP/s over the
// counted multiply-adds (forward, weight and input gradients).
func BenchmarkTreeChunk(b *testing.B) {
	for _, kern := range []string{"go", "avx2-4", "avx2-12"} {
		if kern != "go" && !kernel.AVX2 {
			continue
		}
		b.Run(kern, func(b *testing.B) {
			defer func(old4, old12 bool) { useStrip4, useStrip12 = old4, old12 }(useStrip4, useStrip12)
			useStrip4, useStrip12 = kern != "go", kern == "avx2-12"
			n := NewTree(5, 2, 10, true)
			n.Init(rng.New(1, rng.Init, 0), 1)
			const rows = 96
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
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n.Forward(x, rows, &a)
				n.Backward(&a, dOut, g, &d, false)
			}
			madds := float64(rows) * float64(3*n.MulAdds()-n.Layers[0].Blocks[0].In*n.Layers[0].Blocks[0].Out*len(n.Layers[0].Blocks))
			b.ReportMetric(2*madds*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
