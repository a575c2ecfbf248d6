package nn

import "fmt"

// Backprop holds one backward pass's values: for l = 1 … L, D[l] = ∂L/∂h_l
// (Batch×OutDim(l) row-major, zero where the ReLU gate of h_l is closed,
// except at the output which has no gate); D[0] = ∂L/∂x when the input
// gradient was asked for, otherwise nil. The zero value is ready to use and
// its buffers are reused across calls.
type Backprop struct {
	D [][]float64

	sc scratch
}

// Backward back-propagates dOut = ∂L/∂f (a.Batch×OutDim row-major) through
// the activations a of the network's last Forward and adds the gradient,
// summed over the batch, into g: ∂L/∂W into every block's W and, when n.Bias,
// ∂L/∂b into its B (g's biases are left alone otherwise). g must have n's
// shape (see ZeroLike); it may hold a previous gradient to accumulate onto.
// d receives ∂L/∂h_l for every layer, and ∂L/∂x when wantInput.
//
// Backward panics if dOut or g do not match the network.
func (n *Network) Backward(a *Activations, dOut []float64, g *Network, d *Backprop, wantInput bool) {
	batch := a.Batch
	L := len(n.Layers)
	if len(dOut) != batch*n.OutDim() {
		panic(fmt.Sprintf("nn: Backward: len(dOut) = %d, want %d×%d", len(dOut), batch, n.OutDim()))
	}
	if len(g.Layers) != L || len(a.H) != L+1 {
		panic("nn: Backward: gradient or activations do not match the network")
	}
	if len(d.D) != L+1 {
		d.D = make([][]float64, L+1)
	}
	d.D[L] = growSlack(d.D[L], len(dOut))
	copy(d.D[L], dOut)
	d.D[0] = nil
	for l := L; l >= 1; l-- {
		layer := &n.Layers[l-1]
		gl := &g.Layers[l-1]
		delta := d.D[l]
		in := a.F[l-1]
		needIn := l > 1 || wantInput
		var gin []float64
		disjoint := tilesInputs(layer)
		if needIn {
			d.D[l-1] = growSlack(d.D[l-1], batch*layer.InDim)
			gin = d.D[l-1]
			if !disjoint || !useStrip4 {
				clear(gin) // the portable kernel adds onto gin
			}
		}
		// The ReLU gate of layer l−1 is fused into the input gradient where
		// the kernels allow; gated says whether every block did it.
		var hg []float64
		if l > 1 {
			hg = a.H[l-1][:len(gin)]
		}
		gated := true
		for bi := range layer.Blocks {
			blk := &layer.Blocks[bi]
			gblk := &gl.Blocks[bi]
			if len(gblk.W) != len(blk.W) || len(gblk.B) != len(blk.B) {
				panic(fmt.Sprintf("nn: Backward: gradient block %s has the wrong size", blk.Name))
			}
			var gb []float64
			if n.Bias {
				gb = gblk.B
			}
			blockGradW(gblk.W, gb, blk.In, blk.Out, delta, layer.OutDim, blk.OutOffset, in, layer.InDim, blk.InOffset, batch, &d.sc)
			if needIn && !blockGradIn(blk.W, blk.In, blk.Out, delta, layer.OutDim, blk.OutOffset, gin, layer.InDim, blk.InOffset, batch, disjoint, hg, &d.sc) {
				gated = false
			}
		}
		if l > 1 && !gated {
			// Gate: ∂L/∂h_{l−1} = ∂L/∂f_{l−1} where h_{l−1} > 0, else 0.
			gate(hg, gin)
		}
	}
}

// tilesInputs reports whether the layer's blocks read disjoint input ranges
// that together cover the whole input (true for tree and MLP layers); the
// input gradient can then be written block by block instead of summed.
func tilesInputs(l *Layer) bool {
	covered := 0
	for _, b := range l.Blocks {
		if b.InOffset != covered {
			return false
		}
		covered += b.In
	}
	return covered == l.InDim
}
