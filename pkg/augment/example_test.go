package augment_test

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/augment"
	"github.com/dualssl/dualssl/pkg/bitslice"
	"github.com/dualssl/dualssl/pkg/hltm"
)

// Two views of each sample share the root (the key); everything else is
// redrawn from the model given it. Views are packed bits, as the output
// file stores them; Bytes unpacks them.
func ExampleAugmenter_Fill() {
	m, _ := hltm.New(2, 2, []float64{0.9, -0.8, 1, 0.5, -1, 0.7})
	p := augment.Policy{Keep: 0, Pairs: 1}
	a, _ := augment.New(m, p)
	const samples = 3
	// The samples' latents as the sample file stores them: packed bits.
	z := make([]uint64, bitslice.Words(samples*m.NumNodes()))
	m.SampleRowsBits(1, 0, samples, z, nil, 1)
	v := augment.NewViews(m, p, samples)
	a.Fill(2, 0, samples, z, v, 1)
	n := m.NumNodes()
	b := v.Bytes()
	for r := 0; r < b.Rows; r++ {
		fmt.Println(b.Key[r], b.ZA[r*n:(r+1)*n], b.ZB[r*n:(r+1)*n])
	}
	// Output:
	// 0 [0 0 1 0 0 0 1] [0 0 1 0 0 0 0]
	// 0 [0 0 1 0 1 0 1] [0 0 1 0 1 0 1]
	// 0 [0 0 1 0 1 0 1] [0 0 1 0 1 0 1]
}
