package loss

import (
	"math/rand/v2"
	"testing"
)

// benchOutputs returns rows×d network outputs of the reference's shape.
func benchOutputs(rows, d int) []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	f := make([]float64, rows*d)
	for i := range f {
		f[i] = r.NormFloat64()
	}
	return f
}

// BenchmarkNormalize: one training step's normalisation in the reference
// configuration (128 anchors, their positives and one negative each: 384
// outputs of width 10), forward and backward; ns/row is per output.
func BenchmarkNormalize(b *testing.B) {
	const rows, d = 384, 10
	f, g := benchOutputs(rows, d), benchOutputs(rows, d)
	out, gIn, norms := make([]float64, rows*d), make([]float64, rows*d), make([]float64, rows)
	b.Run("forward", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			Normalize(f, rows, d, DefaultEps, out, norms)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
	})
	b.Run("backward", func(b *testing.B) {
		Normalize(f, rows, d, DefaultEps, out, norms)
		for i := 0; i < b.N; i++ {
			NormalizeBackward(f, norms, rows, d, DefaultEps, g, gIn)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
	})
}

// BenchmarkNCERef: the reference loss and its gradient on one step's
// normalised outputs (128 anchors, one explicit negative each).
func BenchmarkNCERef(b *testing.B) {
	const B, H, D = 128, 1, 10
	p := &Pairs{B: B, H: H, D: D, A: benchOutputs(B, D), P: benchOutputs(B, D), Neg: benchOutputs(B*H, D)}
	g := &Grads{A: make([]float64, B*D), P: make([]float64, B*D), Neg: make([]float64, B*H*D)}
	for i := 0; i < b.N; i++ {
		NCERef{Temp: 0.1}.Eval(p, g)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/B, "ns/anchor")
}
