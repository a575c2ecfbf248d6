package nn

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/nn/internal/kernel"
)

// Jacobians holds the top-down Jacobians of one batch: for every layer
// l = 1 … L and every sample s, J_l(s) = ∂f/∂h_l, an n_L × n_l matrix taken
// at the un-normalised output f = h_L (docs/theory.md §5). J_L = I and
// J_{l−1} = J_l W_l D_{l−1}, D the ReLU gate diag(1[h > 0]).
//
// J[l] is stored output by output: for each k < n_L, the batch's rows
// ∂f_k/∂h_l(s) (Batch × n_l, row-major, like Activations.H[l]), so that
//
//	J[l][(k·Batch + s)·n_l + u] = ∂f_k/∂h_l(s)[u]   (see At and Row).
//
// Row k of J_l is what back-propagating ∂L/∂f = e_k gives; laid out like
// H[l], the batch's rows for one k come out of the same kernel as the
// backward pass, with the ReLU gate fused into its stores. J[0] is nil: the
// input has no gate.
//
// The zero value is ready to use; buffers are reused across calls.
type Jacobians struct {
	Batch int
	Out   int // n_L, the output width
	J     [][]float64

	scaled []float64 // AddConnections' weighted inputs
	sums   []float64 // AddConnections' input sums at the output layer
	zero   []float64 // zeros for the kernels' init
}

// At returns ∂f_k/∂h_l[u] for sample s (layer l = 1 … L).
func (j *Jacobians) At(l, s, k, u int) float64 {
	nl := len(j.J[l]) / (j.Out * j.Batch)
	return j.J[l][(k*j.Batch+s)*nl+u]
}

// Row returns ∂f_k/∂h_l for sample s, a slice of n_l values aliasing j.
func (j *Jacobians) Row(l, k, s int) []float64 {
	nl := len(j.J[l]) / (j.Out * j.Batch)
	return j.J[l][(k*j.Batch+s)*nl : (k*j.Batch+s+1)*nl]
}

// Dense writes J_l(s) as an n_L × n_l row-major matrix into dst (len
// n_L·n_l) and returns it; dst may be nil.
func (j *Jacobians) Dense(n *Network, l, s int, dst []float64) []float64 {
	nl := n.Layers[l-1].OutDim
	if len(dst) != j.Out*nl {
		dst = make([]float64, j.Out*nl)
	}
	for k := 0; k < j.Out; k++ {
		copy(dst[k*nl:(k+1)*nl], j.Row(l, k, s))
	}
	return dst
}

// Jacobian computes every layer's top-down Jacobian for the batch of the
// last Forward, whose activations are a, and stores them in j. It walks the
// layers top-down; for each output k, each block passes its rows of J_l
// times its weights to the units of the layer below that it reads (for the
// tree network: node μ to each of its children), gated there. It is n_L
// backward passes at once: on the AVX2 kernel each block's product runs over
// the whole batch with the gate fused into the stores.
//
// Biases do not enter J. Jacobian panics if a does not hold a forward pass
// of n.
func (n *Network) Jacobian(a *Activations, j *Jacobians) {
	L := len(n.Layers)
	if len(a.H) != L+1 || a.H[L] == nil || len(a.H[L]) != a.Batch*n.OutDim() {
		panic("nn: Jacobian: activations do not hold a forward pass of this network")
	}
	batch, nL := a.Batch, n.OutDim()
	j.Batch, j.Out = batch, nL
	if len(j.J) != L+1 {
		j.J = make([][]float64, L+1)
	}
	// Top: J_L = I for every sample.
	j.J[L] = grow(j.J[L], nL*batch*nL)
	jl := j.J[L]
	clear(jl)
	for k := 0; k < nL; k++ {
		for s := 0; s < batch; s++ {
			jl[(k*batch+s)*nL+k] = 1
		}
	}
	for l := L; l >= 2; l-- {
		layer := &n.Layers[l-1]
		nl, nb := layer.OutDim, layer.InDim
		disjoint, covering := inputTiling(layer)
		strip := useStrip4 && disjoint
		for _, b := range layer.Blocks {
			strip = strip && b.In >= 4
		}
		j.J[l-1] = grow(j.J[l-1], nL*batch*nb)
		jb := j.J[l-1]
		hb := a.H[l-1][:batch*nb]
		// The kernel sets (not adds) its outputs: with disjoint inputs each
		// unit has one writer, and when they also cover the layer below
		// every unit is written, so no clearing is needed.
		if !(strip && covering) {
			clear(jb)
		}
		for k := 0; k < nL; k++ {
			src := j.J[l][k*batch*nl : (k+1)*batch*nl]
			dst := jb[k*batch*nb : (k+1)*batch*nb]
			for bi := range layer.Blocks {
				b := &layer.Blocks[bi]
				if strip {
					// dst[s, InOffset+c] = gate · Σ_o src[s, OutOffset+o]·W[o, c]
					kernel.StripColsMode(dst[b.InOffset:], nb, j.zeros(b.In), 0, src[b.OutOffset:], nl, 1,
						b.W, b.In, batch, b.Out, b.In, kernel.StoreGate, hb[b.InOffset:])
					continue
				}
				passDown(src, nl, b, dst, nb, hb, batch)
			}
		}
	}
}

// zeros returns n zeros (never written).
func (j *Jacobians) zeros(n int) []float64 {
	if len(j.zero) < n {
		j.zero = make([]float64, n)
	}
	return j.zero[:n]
}

// passDown adds, for every sample s, Σ_o src[s·nl + OutOffset + o]·W[o, c]
// to dst[s·nb + InOffset + c] and applies the gate of the layer below
// (units whose h is not positive get 0): the portable kernel. Zero entries
// of src (closed gates above) are skipped.
func passDown(src []float64, nl int, b *Block, dst []float64, nb int, hb []float64, batch int) {
	for s := 0; s < batch; s++ {
		row := src[s*nl+b.OutOffset : s*nl+b.OutOffset+b.Out]
		d := dst[s*nb+b.InOffset : s*nb+b.InOffset+b.In]
		for o, e := range row {
			if e == 0 {
				continue
			}
			w := b.W[o*b.In : (o+1)*b.In]
			for c := range d {
				d[c] += e * w[c]
			}
		}
		for c, v := range hb[s*nb+b.InOffset : s*nb+b.InOffset+b.In] {
			if !(v > 0) {
				d[c] = 0
			}
		}
	}
}

// inputTiling reports whether the layer's blocks read pairwise disjoint
// input ranges and whether together they read every input (both true of
// the tree network and the MLP).
func inputTiling(layer *Layer) (disjoint, covering bool) {
	read := 0
	for i, a := range layer.Blocks {
		read += a.In
		for _, b := range layer.Blocks[i+1:] {
			if a.InOffset < b.InOffset+b.In && b.InOffset < a.InOffset+a.In {
				return false, false
			}
		}
	}
	return true, read == layer.InDim
}

// ConnectionSize returns the number of entries of all layers' connections
// K_l = f_{l−1} ⊗ J_lᵀ for one input: Σ over blocks of In·Out·n_L.
func (n *Network) ConnectionSize() int {
	s := 0
	for _, l := range n.Layers {
		for _, b := range l.Blocks {
			s += b.In * b.Out
		}
	}
	return s * n.OutDim()
}

// AddConnections adds the weighted connections of samples s0 … s1−1 of the
// batch (activations a, Jacobians j of the same batch) into dst, of length
// ConnectionSize. For every layer l and block b, in order, dst holds K_bᵀ:
// n_L rows (one per output k) of b.In·b.Out entries in vec(W_b) order
// (columns stacked: entry i·b.Out + o is weight (o, i)), and
//
//	dst[base_b + k·b.In·b.Out + i·b.Out + o] += Σ_s weights[s−s0] · f_{l−1}(s)[b.InOffset+i] · ∂f_k/∂h_l(s)[b.OutOffset+o],
//
// base_b being the sum of In·Out·n_L over the blocks before b. This is
// Σ_s w_s K_l(x_s), K_l = f_{l−1} ⊗ J_lᵀ of docs/theory.md §5, block by
// block. weights nil means 1. The sum over samples runs on the AVX2 kernel
// where available (its order is fixed, so results do not depend on how a
// caller splits work between threads); at the output layer, where J = I,
// only the entries with o = k − b.OutOffset are touched.
func (j *Jacobians) AddConnections(n *Network, a *Activations, s0, s1 int, weights, dst []float64) {
	if s0 < 0 || s1 > a.Batch || s0 > s1 || len(dst) != n.ConnectionSize() || (weights != nil && len(weights) != s1-s0) {
		panic(fmt.Sprintf("nn: AddConnections: samples %d…%d of %d, %d weights, len(dst) = %d, want %d", s0, s1, a.Batch, len(weights), len(dst), n.ConnectionSize()))
	}
	L, nL, S, batch := len(n.Layers), j.Out, s1-s0, j.Batch
	if S == 0 {
		return
	}
	off := 0
	for l := 1; l <= L; l++ {
		layer := &n.Layers[l-1]
		inDim, nl := layer.InDim, layer.OutDim
		// f[(s−s0)·inDim + i]: the (weighted) inputs of the samples.
		f := a.F[l-1][s0*inDim : s1*inDim]
		if weights != nil {
			j.scaled = grow(j.scaled, len(f))
			for s := range S {
				w := weights[s]
				src, d := f[s*inDim:(s+1)*inDim], j.scaled[s*inDim:(s+1)*inDim]
				for i, v := range src {
					d[i] = w * v
				}
			}
			f = j.scaled
		}
		for bi := range layer.Blocks {
			b := &layer.Blocks[bi]
			bs := b.In * b.Out
			blk := dst[off : off+nL*bs]
			off += nL * bs
			if l == L {
				// J = I: output k reaches only unit k.
				j.sums = grow(j.sums, b.In)
				clear(j.sums)
				for s := range S {
					for i, v := range f[s*inDim+b.InOffset : s*inDim+b.InOffset+b.In] {
						j.sums[i] += v
					}
				}
				for o := 0; o < b.Out; o++ {
					k := b.OutOffset + o
					if k >= nL {
						break
					}
					row := blk[k*bs : (k+1)*bs]
					for i, v := range j.sums {
						row[i*b.Out+o] += v
					}
				}
				continue
			}
			for k := 0; k < nL; k++ {
				row := blk[k*bs : (k+1)*bs]
				jk := j.J[l][(k*batch+s0)*nl : (k*batch+s1)*nl] // sample s at (s−s0)·nl
				addOuter(row, f, inDim, b, jk, nl, S)
			}
		}
	}
}

// addOuter adds Σ_s f[s·inDim + InOffset + i]·jk[s·nl + OutOffset + o] to
// row[i·Out + o]. On the AVX2 kernel it works on disjoint groups of at most
// 12 columns o (the sums are added in place, which the kernel allows for
// one group at a time); columns left over (fewer than 4) and machines
// without AVX2 take the portable loop, which skips zero inputs.
func addOuter(row, f []float64, inDim int, b *Block, jk []float64, nl, S int) {
	c0 := 0
	if useStrip4 {
		for ; c0+4 <= b.Out; c0 += 12 {
			w := min(12, b.Out-c0)
			kernel.StripCols(row[c0:], b.Out, row[c0:], b.Out, f[b.InOffset:], 1, inDim, jk[b.OutOffset+c0:], nl, b.In, S, w)
		}
	}
	if c0 >= b.Out {
		return
	}
	for s := range S {
		js := jk[s*nl+b.OutOffset+c0 : s*nl+b.OutOffset+b.Out]
		for i, v := range f[s*inDim+b.InOffset : s*inDim+b.InOffset+b.In] {
			if v == 0 {
				continue
			}
			r := row[i*b.Out+c0 : (i+1)*b.Out]
			for t, e := range js {
				r[t] += v * e
			}
		}
	}
}
