package covop_test

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/covop"
	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/rng"
)

// Theorem 1 on a depth-2 binary HLTM, exactly: for a bias-free tree network
// the back-propagated −∇E[½d₊² − ½d₋²] equals 2·OP_l·vec(W_l) on every
// level, and vec(W_l)ᵀ OP_l vec(W_l) is the same for every level.
func ExampleAnalyze() {
	m, _ := hltm.New(2, 2, []float64{0.9, -0.8, 0.95, 0.85, -0.9, 0.8})
	net := nn.NewTree(2, 2, 4, false)
	net.Init(rng.New(1, rng.Init, 0), 1)
	d, _ := covop.Exact(m, 0) // keep the root: two keys
	rep, _ := covop.Analyze(net, d, covop.Config{Check: true})
	for _, o := range rep.Operators {
		if o.Scope != covop.ScopeLevel {
			continue
		}
		fmt.Printf("%s: dim %d, rank %d, wᵀOPw %.6f, Theorem 1 holds: %v\n",
			o.Name, o.Dim, o.Rank, o.WOpW, o.CheckRelErr < 1e-12)
	}
	// Output:
	// level 1: dim 16, rank 4, wᵀOPw 0.034806, Theorem 1 holds: true
	// level 0: dim 32, rank 4, wᵀOPw 0.034806, Theorem 1 holds: true
}
