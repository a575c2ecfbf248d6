package nn

import (
	"math"
	"testing"

	"github.com/dualssl/dualssl/pkg/rng"
)

// TestTreeForwardDense checks the block-sparse forward pass of a depth-2
// binary tree network against a direct per-node computation.
func TestTreeForwardDense(t *testing.T) {
	n := NewTree(2, 2, 3, true)
	n.Init(rng.New(1, rng.Init, 0), 1)
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	x := []float64{1, 0, 1, 1}
	var a Activations
	n.Forward(x, 1, &a)
	relu := func(v float64) float64 { return math.Max(v, 0) }
	node := func(b Block, in []float64) []float64 {
		out := make([]float64, b.Out)
		for o := range out {
			out[o] = b.B[o]
			for i := range in {
				out[o] += b.W[o*b.In+i] * in[i]
			}
		}
		return out
	}
	h1 := node(n.Layers[0].Blocks[0], x[0:2])
	h2 := node(n.Layers[0].Blocks[1], x[2:4])
	var in []float64
	for _, v := range append(h1, h2...) {
		in = append(in, relu(v))
	}
	f := node(n.Layers[1].Blocks[0], in)
	for i, v := range a.Output() {
		if math.Abs(v-f[i]) > 1e-15 {
			t.Fatalf("output %d: %v want %v", i, v, f[i])
		}
	}
}
