package nn

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
	for l := L; l >= 2; l-- {
		layer := &n.Layers[l-1]
		below := &n.Layers[l-2]
		nl, nb := layer.OutDim, below.OutDim
		j.J[l-1] = grow(j.J[l-1], batch*nb*nL)
		jb := j.J[l-1]
		clear(jb)
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
				active = active[:0]
				for o, v := range ht {
					if v > 0 {
						active = append(active, o)
					}
				}
				if len(active) == 0 {
					continue
				}
				passDown(src[b.OutOffset*nL:(b.OutOffset+b.Out)*nL], b.W, b.In, b.InOffset, active, dst, hb, lo, hi, nL)
			}
		}
	}
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
