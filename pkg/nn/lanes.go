package nn

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/nn/internal/kernel"
)

// Lanes holds one batch's forward and backward pass in the feature-major
// layout: one row per neuron (or input), the samples along the row, so that
// the kernels put samples on the vector lanes whatever the blocks' shapes
// (the tree network's blocks are 10×2 and 10×20: too narrow to fill the
// lanes across neurons). Every row holds Stride values, of which the first
// Batch are samples and the rest padding.
//
// For l = 0 … L: F[l] is f_l (F[0] the input x, F[L] = H[L] the output),
// and D[l] = ∂L/∂h_l after BackwardLanes (D[L] = ∂L/∂f, which the caller
// fills; D[0] = ∂L/∂x when asked for, else nil). Only the output's
// pre-activation is kept (H[L]; H[l] is nil below): f_l = ReLU(h_l) > 0
// exactly where h_l > 0, so F[l] also serves as the backward pass's gate,
// and not storing h_l halves the forward pass's stores. Row i of layer l
// starts at index i·Stride.
type Lanes struct {
	Batch, Stride int
	H, F, D       [][]float64
}

// Reset sizes p for batch samples through network n, reusing its buffers,
// and zeroes the padding lanes of the input F[0] and of the output
// gradient D[L]: the callers fill only the first Batch lanes of each row,
// and zero padding keeps the padding lanes out of every gradient sum. It
// panics if batch is negative.
func (p *Lanes) Reset(n *Network, batch int) {
	if batch < 0 {
		panic(fmt.Sprintf("nn: Lanes.Reset: batch %d", batch))
	}
	g := kernel.LaneGroup
	p.Batch, p.Stride = batch, (batch+g-1)/g*g
	L := len(n.Layers)
	if len(p.H) != L+1 {
		p.H, p.F, p.D = make([][]float64, L+1), make([][]float64, L+1), make([][]float64, L+1)
	}
	p.F[0] = grow(p.F[0], n.InDim()*p.Stride)
	for l := 1; l < L; l++ {
		p.F[l] = grow(p.F[l], n.Layers[l-1].OutDim*p.Stride)
		p.H[l] = nil
	}
	p.H[L] = grow(p.H[L], n.OutDim()*p.Stride)
	p.F[L] = p.H[L]
	p.D[L] = grow(p.D[L], n.OutDim()*p.Stride)
	p.clearPadding(p.F[0])
	p.clearPadding(p.D[L])
}

func (p *Lanes) clearPadding(rows []float64) {
	if p.Batch == p.Stride {
		return
	}
	for r := 0; r < len(rows); r += p.Stride {
		clear(rows[r+p.Batch : r+p.Stride])
	}
}

// ForwardLanes runs network n on the batch in p.F[0] (InDim rows) and
// stores every layer's values in p. p must have been Reset for n.
func (n *Network) ForwardLanes(p *Lanes) {
	L, st := len(n.Layers), p.Stride
	if len(p.F) != L+1 || len(p.F[0]) != n.InDim()*st {
		panic("nn: ForwardLanes: the lanes were not Reset for this network")
	}
	for l := 1; l <= L; l++ {
		layer := &n.Layers[l-1]
		in, f := p.F[l-1], p.F[l]
		mode := kernel.LanesReLU
		if l == L {
			mode = kernel.LanesPlain
		}
		for bi := range layer.Blocks {
			b := &layer.Blocks[bi]
			lanesMul(f[b.OutOffset*st:], st, b.B, b.W, b.In, 1, in[b.InOffset*st:], st, b.Out, b.In, st, mode, nil)
		}
	}
}

// BackwardLanes back-propagates p.D[L] = ∂L/∂f (OutDim rows, zero padding)
// through the values of the last ForwardLanes and adds the gradient,
// summed over the batch, into g (which must have n's shape), biases
// included when n.Bias. It leaves ∂L/∂h_l in p.D[l], and ∂L/∂x in p.D[0]
// when wantInput.
func (n *Network) BackwardLanes(p *Lanes, g *Network, wantInput bool) {
	L, st := len(n.Layers), p.Stride
	if len(g.Layers) != L || len(p.F) != L+1 || len(p.D[L]) != n.OutDim()*st {
		panic("nn: BackwardLanes: gradient or lanes do not match the network")
	}
	p.D[0] = nil
	for l := L; l >= 1; l-- {
		layer, gl := &n.Layers[l-1], &g.Layers[l-1]
		delta, in := p.D[l], p.F[l-1]
		needIn := l > 1 || wantInput
		disjoint := tilesInputs(layer)
		var gin, hg []float64
		if needIn {
			p.D[l-1] = grow(p.D[l-1], layer.InDim*st)
			gin = p.D[l-1]
			if !disjoint {
				clear(gin)
			}
		}
		if l > 1 {
			hg = p.F[l-1] // > 0 where h_{l−1} > 0
		}
		for bi := range layer.Blocks {
			b, gb := &layer.Blocks[bi], &gl.Blocks[bi]
			if len(gb.W) != len(b.W) || len(gb.B) != len(b.B) {
				panic(fmt.Sprintf("nn: BackwardLanes: gradient block %s has the wrong size", b.Name))
			}
			d := delta[b.OutOffset*st:]
			x := in[b.InOffset*st:]
			lanesGradW(gb.W, b.In, d, st, x, st, b.Out, b.In, st)
			if n.Bias {
				lanesSum(gb.B, d, st, b.Out, st)
			}
			if !needIn {
				continue
			}
			// ∂L/∂h_{l−1} = Wᵀ·δ over the block's inputs, gated by h_{l−1} > 0.
			out := gin[b.InOffset*st:]
			switch {
			case !disjoint:
				lanesMul(out, st, nil, b.W, 1, b.In, d, st, b.In, b.Out, st, kernel.LanesAdd, nil)
			case hg != nil:
				lanesMul(out, st, nil, b.W, 1, b.In, d, st, b.In, b.Out, st, kernel.LanesGate, hg[b.InOffset*st:])
			default:
				lanesMul(out, st, nil, b.W, 1, b.In, d, st, b.In, b.Out, st, kernel.LanesPlain, nil)
			}
		}
		if needIn && !disjoint && hg != nil {
			gate(hg, gin)
		}
	}
}

// lanesMul, lanesGradW and lanesSum dispatch to the AVX2 lane kernels or
// their portable twins, as useStrip4 says.
func lanesMul(out []float64, os int, init, a []float64, ar, ak int, v []float64, vs int, m, k, n, mode int, aux []float64) {
	if useStrip4 {
		kernel.LanesMul(out, os, init, a, ar, ak, v, vs, m, k, n, mode, aux)
		return
	}
	kernel.LanesMulGo(out, os, init, a, ar, ak, v, vs, m, k, n, mode, aux)
}

func lanesGradW(gw []float64, gs int, d []float64, ds int, x []float64, xs int, m, k, n int) {
	if useStrip4 {
		kernel.LanesGradW(gw, gs, d, ds, x, xs, m, k, n)
		return
	}
	kernel.LanesGradWGo(gw, gs, d, ds, x, xs, m, k, n)
}

func lanesSum(dst, d []float64, ds, m, n int) {
	if useStrip4 {
		kernel.LanesSum(dst, d, ds, m, n)
		return
	}
	kernel.LanesSumGo(dst, d, ds, m, n)
}
