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
// every latent, the default grid of regularisers, per feature set. make
// demo runs root,node on 51 snapshots.
func BenchmarkReferenceSnapshot(b *testing.B) {
	m := randomModel(b, 5, 2, 1)
	x, z := samples(m, 8000, 1)
	net := nn.NewTree(5, 2, 10, true)
	net.Init(rand.New(rand.NewPCG(1, 2)), 1)
	for _, fs := range [][]string{{FeatRoot, FeatNode}, {FeatLevel}} {
		b.Run(strings.Join(fs, ","), func(b *testing.B) {
			e, err := NewEvaluator(m, x, z, Config{Train: 1000, Val: 1000, Test: 4000, Features: fs})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.Evaluate(net); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
