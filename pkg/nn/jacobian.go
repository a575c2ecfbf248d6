package nn

import "fmt"

// Jacobians holds the top-down Jacobians of one batch: for every layer
// l = 1 … L and every sample s, J_l(s) = ∂f/∂h_l, an n_L × n_l matrix taken
// at the un-normalised output f = h_L (THEORY section 5). J_L = I and
// J_{l−1} = J_l W_l D_{l−1}, D the ReLU gate diag(1[h > 0]).
//
// J[l] stores the transposes: sample s of layer l is J_l(s)ᵀ, an n_l × n_L
// row-major matrix starting at s·n_l·n_L, so that
//
//	J[l][(s·n_l + u)·n_L + k] = ∂f_k/∂h_l[u].
//
// Row u is ∂f/∂h_l[u]; a block's units are consecutive rows, so its part
// (b.Out × n_L, see Block) is contiguous, and the connection of THEORY
// section 5, K_b = f_in ⊗ J_bᵀ, is row i of the input times this block.
// J[0] is nil: the input has no gate.
//
// The zero value is ready to use; buffers are reused across calls.
type Jacobians struct {
	Batch int
	Out   int // n_L, the output width
	J     [][]float64

	scaled []float64 // AddConnections' weighted inputs
}

// Block returns rows b.OutOffset … b.OutOffset+b.Out−1 of J_l(s)ᵀ for block
// bi of layer l (1 … L): ∂f_k/∂h_l[b.OutOffset+o] at index o·n_L+k, a
// b.Out × n_L row-major slice aliasing j. It panics if an index is out of
// range.
func (j *Jacobians) Block(n *Network, l, s, bi int) []float64 {
	layer := &n.Layers[l-1]
	b := &layer.Blocks[bi]
	start := (s*layer.OutDim + b.OutOffset) * j.Out
	return j.J[l][start : start+b.Out*j.Out]
}

// Dense writes J_l(s) (not transposed) as an n_L × n_l row-major matrix
// into dst (len n_L·n_l) and returns it; dst may be nil.
func (j *Jacobians) Dense(n *Network, l, s int, dst []float64) []float64 {
	nl := n.Layers[l-1].OutDim
	if len(dst) != j.Out*nl {
		dst = make([]float64, j.Out*nl)
	}
	src := j.J[l][s*nl*j.Out : (s+1)*nl*j.Out]
	for u := 0; u < nl; u++ {
		for k := 0; k < j.Out; k++ {
			dst[k*nl+u] = src[u*j.Out+k]
		}
	}
	return dst
}

// Jacobian computes every layer's top-down Jacobian for the batch of the
// last Forward, whose activations are a, and stores them in j. It walks the
// layers top-down; each block passes its sub-Jacobian, times its weights, to
// the units of the layer below that it reads (for the tree network: node μ
// to each of its children). Only open gates are visited on both sides, so
// the cost per sample is about n_L × (open outputs) × (open inputs) per
// block; the first step below the output, where J_L = I, is a copy.
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
	j.J[L] = grow(j.J[L], batch*nL*nL)
	jl := j.J[L]
	clear(jl)
	for s := 0; s < batch; s++ {
		for k := 0; k < nL; k++ {
			jl[(s*nL+k)*nL+k] = 1
		}
	}
	var active []int
	zero := make([]float64, nL)
	for l := L; l >= 2; l-- {
		// The strip kernel sets (not adds) whole rows, so it needs blocks
		// that read disjoint inputs, and at least four outputs per row.
		// When the blocks' inputs also cover the layer below, every row is
		// set or cleared below, so the buffer needs no clearing first.
		disjoint, covering := inputTiling(&n.Layers[l-1])
		stripOK := useStrip4 && nL >= 4 && disjoint
		layer := &n.Layers[l-1]
		below := &n.Layers[l-2]
		nl, nb := layer.OutDim, below.OutDim
		j.J[l-1] = grow(j.J[l-1], batch*nb*nL)
		jb := j.J[l-1]
		if !(stripOK && covering) || l == L {
			clear(jb)
		}
		jt := j.J[l]
		hTop, hBelow := a.H[l], a.H[l-1]
		for s := 0; s < batch; s++ {
			src := jt[s*nl*nL : (s+1)*nl*nL]
			dst := jb[s*nb*nL : (s+1)*nb*nL]
			hb := hBelow[s*nb : (s+1)*nb]
			for bi := range layer.Blocks {
				b := &layer.Blocks[bi]
				lo, hi := max(b.InOffset, 0), min(b.InOffset+b.In, nb)
				if l == L {
					// J_L = I: row u of J_{L−1}ᵀ is column u of W, gated.
					for u := lo; u < hi; u++ {
						if !(hb[u] > 0) {
							continue
						}
						d := dst[u*nL : (u+1)*nL]
						for o := 0; o < b.Out; o++ {
							d[b.OutOffset+o] += b.W[o*b.In+u-b.InOffset]
						}
					}
					continue
				}
				ht := hTop[s*nl+b.OutOffset : s*nl+b.OutOffset+b.Out]
				rows := src[b.OutOffset*nL : (b.OutOffset+b.Out)*nL]
				if stripOK {
					open := false
					for _, v := range ht {
						if v > 0 {
							open = true
							break
						}
					}
					if !open {
						clear(dst[lo*nL : hi*nL])
						continue
					}
					// Dense product on the AVX2 kernel (closed rows of J_lᵀ
					// are zero), then the gate of the layer below, while
					// the rows are in cache. The gate is applied without
					// branches: gates are as good as random, and
					// mispredicted branches cost more than multiplying
					// every row by 0 or 1 (J is finite).
					passDown4(rows, b.W, b.In, b.Out, dst[b.InOffset*nL:], nL, zero)
					for u := lo; u < hi; u++ {
						m := float64(b2i(hb[u] > 0))
						d := dst[u*nL : (u+1)*nL]
						for k := range d {
							d[k] *= m
						}
					}
					continue
				}
				active = active[:0]
				for o, v := range ht {
					if v > 0 {
						active = append(active, o)
					}
				}
				if len(active) == 0 {
					continue
				}
				passDown(rows, b.W, b.In, b.InOffset, active, dst, hb, lo, hi, nL)
			}
		}
	}
}

// passDown4 sets rows 0 … nIn−1 of dst (n_L values each, the block's
// input units) to Wᵀ·jt, jt the block's rows of J_lᵀ (nOut × n_L), on the
// AVX2 kernels (stripCols; n_L must be at least 4). zero holds at least n_L
// zeros.
func passDown4(jt, w []float64, nIn, nOut int, dst []float64, nL int, zero []float64) {
	// dst[u·nL + k] = Σ_o w[o·nIn + u]·jt[o·nL + k]
	stripCols(dst, nL, zero, 0, w, 1, nIn, jt, nL, nIn, nOut, nL)
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

// passDown adds, for every open unit u in lo … hi−1 of the layer below
// (hb[u] > 0), Σ_{o ∈ active} w[o·nIn+u−inOff]·jt[o·nL+k] to dst[u·nL+k]:
// the block's rows of Jᵀ times its weights. Four active rows are taken at a
// time so that each pass over a destination row does four multiply-adds per
// load.
func passDown(jt, w []float64, nIn, inOff int, active []int, dst, hb []float64, lo, hi, nL int) {
	for u := lo; u < hi; u++ {
		if !(hb[u] > 0) {
			continue
		}
		d := dst[u*nL : (u+1)*nL]
		c := u - inOff
		a := 0
		for ; a+4 <= len(active); a += 4 {
			o0, o1, o2, o3 := active[a], active[a+1], active[a+2], active[a+3]
			w0, w1, w2, w3 := w[o0*nIn+c], w[o1*nIn+c], w[o2*nIn+c], w[o3*nIn+c]
			r0 := jt[o0*nL:][:len(d)]
			r1 := jt[o1*nL:][:len(d)]
			r2 := jt[o2*nL:][:len(d)]
			r3 := jt[o3*nL:][:len(d)]
			for k := range d {
				d[k] += w0*r0[k] + w1*r1[k] + w2*r2[k] + w3*r3[k]
			}
		}
		for ; a < len(active); a++ {
			o0 := active[a]
			w0 := w[o0*nIn+c]
			r0 := jt[o0*nL:][:len(d)]
			for k := range d {
				d[k] += w0 * r0[k]
			}
		}
	}
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
// ConnectionSize: for every layer l and block b, in order, a b.In × b.Out ×
// n_L block whose entry (i·b.Out + o)·n_L + k gains
//
//	Σ_s weights[s−s0] · f_{l−1}(s)[b.InOffset+i] · ∂f_k/∂h_l(s)[b.OutOffset+o].
//
// Row i·b.Out+o is the entry of vec(W_b) (columns stacked) for weight
// (o, i), so each layer's part is Σ_s w_s K_l(x_s), K_l = f_{l−1} ⊗ J_lᵀ of
// THEORY section 5 with the blocks' rows stacked. weights nil means 1.
// The sum over samples runs on the AVX2 kernel where available (the order
// of the additions is fixed, so results do not depend on threads); at the
// output layer, where J = I, only the diagonal entries are touched.
func (j *Jacobians) AddConnections(n *Network, a *Activations, s0, s1 int, weights, dst []float64) {
	if s0 < 0 || s1 > a.Batch || s0 > s1 || len(dst) != n.ConnectionSize() || (weights != nil && len(weights) != s1-s0) {
		panic(fmt.Sprintf("nn: AddConnections: samples %d…%d of %d, %d weights, len(dst) = %d, want %d", s0, s1, a.Batch, len(weights), len(dst), n.ConnectionSize()))
	}
	L, nL, S := len(n.Layers), j.Out, s1-s0
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
			step := b.Out * nL
			blk := dst[off : off+b.In*step]
			off += b.In * step
			if l == L {
				for s := range S {
					for i, v := range f[s*inDim+b.InOffset : s*inDim+b.InOffset+b.In] {
						if v == 0 {
							continue
						}
						row := blk[i*step : (i+1)*step]
						for o := 0; o < b.Out; o++ {
							row[o*nL+b.OutOffset+o] += v
						}
					}
				}
				continue
			}
			jrows := j.J[l][(s0*nl+b.OutOffset)*nL:] // sample s at (s−s0)·nl·nL
			t0 := 0
			if useStrip4 {
				// blk[i·step + t] += Σ_s f[s·inDim + InOffset + i]·jrows[s·nl·nL + t],
				// in disjoint groups of 12 columns then 4 (the sums are
				// added in place, so groups must not overlap).
				for ; t0+12 <= step; t0 += 12 {
					stripCols(blk[t0:], step, blk[t0:], step, f[b.InOffset:], 1, inDim, jrows[t0:], nl*nL, b.In, S, 12)
				}
				for ; t0+4 <= step; t0 += 4 {
					strip4(blk[t0:], step, blk[t0:], step, f[b.InOffset:], 1, inDim, jrows[t0:], nl*nL, b.In, S)
				}
			}
			if t0 == step {
				continue
			}
			for s := range S {
				js := jrows[s*nl*nL : s*nl*nL+step]
				for i, v := range f[s*inDim+b.InOffset : s*inDim+b.InOffset+b.In] {
					if v == 0 {
						continue
					}
					row := blk[i*step : (i+1)*step]
					for t := t0; t < step; t++ {
						row[t] += v * js[t]
					}
				}
			}
		}
	}
}

// b2i converts without a branch (the compiler emits SETcc).
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
