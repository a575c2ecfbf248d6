package lineval

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dualssl/dualssl/pkg/nn"
)

// BenchmarkReferenceSnapshot: the linear evaluation of one snapshot of the
// reference network (depth 5, binary, hid 10, random initialisation) with
// probe --lineval's default splits (1000 train, 1000 validation, 4000 test),
// every latent, the default grid of regularisers, per feature set, from
// cold starts (no previous network).
func BenchmarkReferenceSnapshot(b *testing.B) {
	m := randomModel(b, 5, 2, 1)
	x, z := samples(m, 8000, 1)
	net := nn.NewTree(5, 2, 10, true)
	net.Init(rand.New(rand.NewPCG(1, 2)), 1)
	for _, fs := range [][]string{{FeatRoot}, {FeatLevel}, {FeatNode}, {FeatRoot, FeatLevel, FeatNode}} {
		b.Run(strings.Join(fs, ","), func(b *testing.B) {
			e, err := NewEvaluator(m, x, z, Config{Train: 1000, Val: 1000, Test: 4000, Features: fs})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.warm = nil // cold starts
				if _, err := e.Evaluate(net); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReferenceSnapshots: as BenchmarkReferenceSnapshot, every feature
// set, on a sequence of 11 networks that drift from the first as training
// does (each fit starts from its solution on the previous network); ns/op
// is per network.
func BenchmarkReferenceSnapshots(b *testing.B) {
	m := randomModel(b, 5, 2, 1)
	x, z := samples(m, 8000, 1)
	nets := make([]*nn.Network, 11)
	for k := range nets {
		nets[k] = nn.NewTree(5, 2, 10, true)
		nets[k].Init(rand.New(rand.NewPCG(1, 2)), 1)
		r := rand.New(rand.NewPCG(5, uint64(k)))
		for _, l := range nets[k].Layers {
			for bi := range l.Blocks {
				for i := range l.Blocks[bi].W {
					l.Blocks[bi].W[i] += 0.02 * float64(k) * r.NormFloat64()
				}
			}
		}
	}
	e, err := NewEvaluator(m, x, z, Config{Train: 1000, Val: 1000, Test: 4000})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Evaluate(nets[i%len(nets)]); err != nil {
			b.Fatal(err)
		}
	}
}
