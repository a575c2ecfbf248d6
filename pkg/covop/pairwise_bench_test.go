package covop

import (
	"testing"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/loss"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/rng"
)

// BenchmarkPairwiseReference: the exact pairwise operator of nce applied
// to the weights and checked against back-propagation, every level of a
// bias-free reference-sized tree network (depth 5, hid 10), one batch of
// 128 anchors with one explicit negative (384 inputs) per iteration.
func BenchmarkPairwiseReference(b *testing.B) {
	n, _ := hltm.NumNodesFor(5, 2)
	m, err := hltm.New(5, 2, hltm.RandomPolarities(rng.New(1, rng.Tree, 0), n-1, 0.7, 1, false))
	if err != nil {
		b.Fatal(err)
	}
	batch := testBatch(m, 128, 1, false, 2)
	net := nn.NewTree(5, 2, 10, false)
	net.Init(rng.New(3, rng.Init, 0), 1)
	b.ResetTimer()
	for range b.N {
		if _, err := PairwiseOperator(net, batch, loss.NCE{Temp: 0.1}, false); err != nil {
			b.Fatal(err)
		}
	}
}
