package probe_test

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/probe"
	"github.com/dualssl/dualssl/pkg/rng"
)

// Probe a freshly initialised tree network on 10000 samples of a depth-3
// binary HLTM, and compare each level's mean best |corr| with its ceiling.
func Example() {
	m, _ := hltm.New(3, 2, hltm.RandomPolarities(rng.New(1, rng.Tree, 0), 14, 0.7, 1, false))
	net := nn.NewTree(3, 2, 4, true)
	net.Init(rng.New(1, rng.Init, 0), 1)

	p, err := probe.New(m, []*nn.Network{net}, probe.Options{})
	if err != nil {
		panic(err)
	}
	rnd := rng.New(1, rng.Sample, 0)
	z, x := make([]int8, m.NumNodes()), make([]float64, m.NumLeaves())
	for i := 0; i < 10000; i++ { // one sample at a time; batches work too
		m.Sample(rnd, z)
		m.Leaves(z, x)
		if err := p.Add(z, x); err != nil {
			panic(err)
		}
	}
	res, err := p.Result()
	if err != nil {
		panic(err)
	}
	for _, lv := range res.Levels(m, 0) {
		fmt.Printf("level %d (d=%d): best %.2f of ceiling %.2f\n", lv.Level, lv.DepthIndex, lv.BestAbs, lv.Ceiling)
	}
	// Output:
	// level 0 (d=3): best 0.69 of ceiling 0.82
	// level 1 (d=2): best 0.73 of ceiling 0.89
	// level 2 (d=1): best 0.96 of ceiling 0.96
}
