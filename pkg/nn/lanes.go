package nn

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/nn/internal/kernel"
)

// Float is the element type of the feature-major passes: float64, the
// exact path every check uses, or float32, an explicit training choice
// (twice the samples per vector register).
type Float interface{ float32 | float64 }

// LanesOf holds one batch's forward and backward pass in the feature-major
// layout, in precision T: one row per neuron (or input), the samples along
// the row, so that the kernels put samples on the vector lanes whatever the
// blocks' shapes (the tree network's blocks are 10×2 and 10×20: too narrow
// to fill the lanes across neurons). Every row holds Stride values, of
// which the first Batch are samples and the rest padding (Stride is a
// multiple of 8 in float64, 16 in float32).
//
// For l = 0 … L: F[l] is f_l (F[0] the input x, F[L] = H[L] the output),
// and D[l] = ∂L/∂h_l after BackwardLanes (D[L] = ∂L/∂f, which the caller
// fills; D[0] = ∂L/∂x when asked for, else nil). Only the output's
// pre-activation is kept (H[L]; H[l] is nil below): f_l = ReLU(h_l) > 0
// exactly where h_l > 0, so F[l] also serves as the backward pass's gate,
// and not storing h_l halves the forward pass's stores. Row i of layer l
// starts at index i·Stride.
type LanesOf[T Float] struct {
	Batch, Stride int
	H, F, D       [][]T
}

// Lanes is the float64 LanesOf, run by Network.ForwardLanes and
// Network.BackwardLanes.
type Lanes = LanesOf[float64]

// Lanes32 is the float32 LanesOf, run by ForwardLanesWith and
// BackwardLanesWith on float32 parameters.
type Lanes32 = LanesOf[float32]

// Reset sizes p for batch samples through network n, reusing its buffers,
// and zeroes the padding lanes of the input F[0] and of the output
// gradient D[L]: the callers fill only the first Batch lanes of each row,
// and zero padding keeps the padding lanes out of every gradient sum. It
// panics if batch is negative.
func (p *LanesOf[T]) Reset(n *Network, batch int) {
	if batch < 0 {
		panic(fmt.Sprintf("nn: Lanes.Reset: batch %d", batch))
	}
	g := laneKernelsFor[T]().group
	p.Batch, p.Stride = batch, (batch+g-1)/g*g
	L := len(n.Layers)
	if len(p.H) != L+1 {
		p.H, p.F, p.D = make([][]T, L+1), make([][]T, L+1), make([][]T, L+1)
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

func (p *LanesOf[T]) clearPadding(rows []T) {
	if p.Batch == p.Stride {
		return
	}
	for r := 0; r < len(rows); r += p.Stride {
		clear(rows[r+p.Batch : r+p.Stride])
	}
}

// ForwardLanes runs network n on the batch in p.F[0] (InDim rows) and
// stores every layer's values in p. p must have been Reset for n.
func (n *Network) ForwardLanes(p *Lanes) { ForwardLanesWith(n, n.ParamSlices(), p) }

// ForwardLanesWith is ForwardLanes with the parameters ws in place of n's
// own: ws holds, in the order of n.ParamSlices and with the same lengths,
// the weights and biases in precision T (n supplies the architecture). It
// panics if ws or p does not match n.
func ForwardLanesWith[T Float](n *Network, ws [][]T, p *LanesOf[T]) {
	L, st := len(n.Layers), p.Stride
	if len(p.F) != L+1 || len(p.F[0]) != n.InDim()*st {
		panic("nn: ForwardLanes: the lanes were not Reset for this network")
	}
	checkParams(n, ws, "ForwardLanes")
	kern := laneKernelsFor[T]()
	k := 0
	for l := 1; l <= L; l++ {
		layer := &n.Layers[l-1]
		in, f := p.F[l-1], p.F[l]
		mode := kernel.LanesReLU
		if l == L {
			mode = kernel.LanesPlain
		}
		for bi := range layer.Blocks {
			b := &layer.Blocks[bi]
			w, bias := ws[k], ws[k+1]
			k += 2
			kern.mul(f[b.OutOffset*st:], st, bias, w, b.In, 1, in[b.InOffset*st:], st, b.Out, b.In, st, mode, nil)
		}
	}
}

// BackwardLanes back-propagates p.D[L] = ∂L/∂f (OutDim rows, zero padding)
// through the values of the last ForwardLanes and adds the gradient,
// summed over the batch, into g (which must have n's shape), biases
// included when n.Bias. It leaves ∂L/∂h_l in p.D[l], and ∂L/∂x in p.D[0]
// when wantInput.
func (n *Network) BackwardLanes(p *Lanes, g *Network, wantInput bool) {
	if len(g.Layers) != len(n.Layers) {
		panic("nn: BackwardLanes: gradient or lanes do not match the network")
	}
	BackwardLanesWith(n, n.ParamSlices(), p, g.ParamSlices(), wantInput)
}

// BackwardLanesWith is BackwardLanes with the parameters ws (as in
// ForwardLanesWith, those of the forward pass) and the gradient gs (of
// ws's shape) in precision T. It panics if ws, gs or p does not match n.
func BackwardLanesWith[T Float](n *Network, ws [][]T, p *LanesOf[T], gs [][]T, wantInput bool) {
	L, st := len(n.Layers), p.Stride
	if len(p.F) != L+1 || len(p.D[L]) != n.OutDim()*st {
		panic("nn: BackwardLanes: gradient or lanes do not match the network")
	}
	checkParams(n, ws, "BackwardLanes")
	checkParams(n, gs, "BackwardLanes")
	kern := laneKernelsFor[T]()
	p.D[0] = nil
	k := len(ws)
	for l := L; l >= 1; l-- {
		layer := &n.Layers[l-1]
		k -= 2 * len(layer.Blocks)
		delta, in := p.D[l], p.F[l-1]
		needIn := l > 1 || wantInput
		disjoint := tilesInputs(layer)
		var gin, hg []T
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
			b := &layer.Blocks[bi]
			w, gw, gb := ws[k+2*bi], gs[k+2*bi], gs[k+2*bi+1]
			d := delta[b.OutOffset*st:]
			x := in[b.InOffset*st:]
			kern.gradW(gw, b.In, d, st, x, st, b.Out, b.In, st)
			if n.Bias {
				kern.sum(gb, d, st, b.Out, st)
			}
			if !needIn {
				continue
			}
			// ∂L/∂h_{l−1} = Wᵀ·δ over the block's inputs, gated by h_{l−1} > 0.
			out := gin[b.InOffset*st:]
			switch {
			case !disjoint:
				kern.mul(out, st, nil, w, 1, b.In, d, st, b.In, b.Out, st, kernel.LanesAdd, nil)
			case hg != nil:
				kern.mul(out, st, nil, w, 1, b.In, d, st, b.In, b.Out, st, kernel.LanesGate, hg[b.InOffset*st:])
			default:
				kern.mul(out, st, nil, w, 1, b.In, d, st, b.In, b.Out, st, kernel.LanesPlain, nil)
			}
		}
		if needIn && !disjoint && hg != nil {
			kern.gate(hg, gin)
		}
	}
}

// checkParams panics unless ws has the lengths of n.ParamSlices.
func checkParams[T Float](n *Network, ws [][]T, who string) {
	k := 0
	for li := range n.Layers {
		for bi := range n.Layers[li].Blocks {
			b := &n.Layers[li].Blocks[bi]
			if k+1 >= len(ws) || len(ws[k]) != len(b.W) || len(ws[k+1]) != len(b.B) {
				panic(fmt.Sprintf("nn: %s: parameters or gradient of block %s have the wrong size", who, b.Name))
			}
			k += 2
		}
	}
	if k != len(ws) {
		panic(fmt.Sprintf("nn: %s: %d parameter slices for %d", who, len(ws), k))
	}
}

// ParamsOf returns zero parameters of n's shape in precision T, laid out
// as n.ParamSlices (one backing array): the float32 copy of a network's
// weights, or a float32 gradient.
func ParamsOf[T Float](n *Network) [][]T {
	var total, count int
	for _, l := range n.Layers {
		for _, b := range l.Blocks {
			total += len(b.W) + len(b.B)
			count += 2
		}
	}
	all := make([]T, total)
	s := make([][]T, 0, count)
	for _, l := range n.Layers {
		for _, b := range l.Blocks {
			s = append(s, all[:len(b.W):len(b.W)])
			all = all[len(b.W):]
			s = append(s, all[:len(b.B):len(b.B)])
			all = all[len(b.B):]
		}
	}
	return s
}

// laneKernels is one precision's lane kernels and lane group.
type laneKernels[T Float] struct {
	group int
	mul   func(out []T, os int, init, a []T, ar, ak int, v []T, vs int, m, k, n, mode int, aux []T)
	gradW func(gw []T, gs int, d []T, ds int, x []T, xs int, m, k, n int)
	sum   func(dst, d []T, ds, m, n int)
	gate  func(h, g []T)
}

// The portable twins ([0]) and the AVX2 kernels ([1]) of each precision.
var (
	lanes64 = [2]laneKernels[float64]{
		{kernel.LaneGroup, kernel.LanesMulGo, kernel.LanesGradWGo, kernel.LanesSumGo, kernel.GateGo},
		{kernel.LaneGroup, kernel.LanesMul, kernel.LanesGradW, kernel.LanesSum, kernel.Gate},
	}
	lanes32 = [2]laneKernels[float32]{
		{kernel.LaneGroup32, kernel.LanesMul32Go, kernel.LanesGradW32Go, kernel.LanesSum32Go, kernel.Gate32},
		{kernel.LaneGroup32, kernel.LanesMul32, kernel.LanesGradW32, kernel.LanesSum32, kernel.Gate32},
	}
)

// laneKernelsFor returns T's lane kernels: the AVX2 ones or their portable
// twins, as useStrip4 says.
func laneKernelsFor[T Float]() *laneKernels[T] {
	i := 0
	if useStrip4 {
		i = 1
	}
	if k, ok := any(&lanes64[i]).(*laneKernels[T]); ok {
		return k
	}
	return any(&lanes32[i]).(*laneKernels[T])
}
