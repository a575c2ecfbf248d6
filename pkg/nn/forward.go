package nn

import "fmt"

// Activations holds one batch's forward pass. For l = 1 … L, H[l] is the
// pre-activation h_l and F[l] = ReLU(h_l) (F[L] = H[L], the output), each
// Batch×OutDim(l) row-major; F[0] is the input and H[0] is nil.
type Activations struct {
	Batch int
	H, F  [][]float64

	sc scratch
}

// Forward runs the network on a batch x (batch×InDim row-major) and stores
// every layer's values in a, reusing its buffers when they are large
// enough. a.F[0] aliases x. It panics if len(x) != batch·InDim.
func (n *Network) Forward(x []float64, batch int, a *Activations) {
	if len(x) != batch*n.InDim() {
		panic(fmt.Sprintf("nn: Forward: len(x) = %d, want %d×%d", len(x), batch, n.InDim()))
	}
	L := len(n.Layers)
	if len(a.H) != L+1 {
		a.H = make([][]float64, L+1)
		a.F = make([][]float64, L+1)
	}
	a.Batch = batch
	a.F[0] = x
	for l := 1; l <= L; l++ {
		layer := &n.Layers[l-1]
		a.H[l] = grow(a.H[l], batch*layer.OutDim)
		in, h := a.F[l-1], a.H[l]
		var f []float64
		if l < L {
			a.F[l] = grow(a.F[l], len(h))
			f = a.F[l]
		}
		fused := true
		for bi := range layer.Blocks {
			blk := &layer.Blocks[bi]
			if !blockForward(blk.W, blk.B, blk.In, blk.Out, in, layer.InDim, blk.InOffset, h, layer.OutDim, blk.OutOffset, batch, f, &a.sc) {
				fused = false
			}
		}
		if l == L {
			a.F[l] = h
			continue
		}
		if !fused {
			relu(h, f)
		}
	}
}

// Output returns the network's output f = h_L of the last Forward
// (Batch×OutDim row-major).
func (a *Activations) Output() []float64 { return a.F[len(a.F)-1] }

func grow[T Float](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}
