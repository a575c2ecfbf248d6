package covop

import (
	"testing"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/rng"
)

// referenceViews returns the reference configuration's data: a depth-5
// binary HLTM with polarities in [0.7, 1], 64000 rows of views keeping the
// root, and a tree network with hid 10 and biases (the reference's).
func referenceViews(b *testing.B) (*Data, *nn.Network) {
	n, _ := hltm.NumNodesFor(5, 2)
	m, err := hltm.New(5, 2, hltm.RandomPolarities(rng.New(1, rng.Tree, 0), n-1, 0.7, 1, false))
	if err != nil {
		b.Fatal(err)
	}
	keys, xa, xb := sampleViews(m, 0, 64000, 2)
	d, err := FromViews(keys, xa, xb, m.NumLeaves())
	if err != nil {
		b.Fatal(err)
	}
	net := nn.NewTree(5, 2, 10, true)
	net.Init(rng.New(3, rng.Init, 0), 1)
	return d, net
}

// BenchmarkReference: the 5 level operators and 31 node blocks of the
// reference configuration over 64000 views (128000 network inputs), one
// snapshot per iteration. Target: 2 s or less on 2 cores.
func BenchmarkReference(b *testing.B) {
	d, net := referenceViews(b)
	b.ResetTimer()
	for range b.N {
		if _, err := Analyze(net, d, Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReferenceCheck adds the Theorem 1 check (a bias-free network):
// one more forward pass and a backward pass per input.
func BenchmarkReferenceCheck(b *testing.B) {
	d, net := referenceViews(b)
	net = nn.NewTree(5, 2, 10, false)
	net.Init(rng.New(3, rng.Init, 0), 1)
	b.ResetTimer()
	for range b.N {
		if _, err := Analyze(net, d, Config{Check: true}); err != nil {
			b.Fatal(err)
		}
	}
}
