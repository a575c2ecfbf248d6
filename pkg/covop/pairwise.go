package covop

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/dualssl/dualssl/pkg/loss"
	"github.com/dualssl/dualssl/pkg/nn"
)

// Batch is one training batch as network inputs: Rows anchors x_a with
// their positives x_b and H negatives each, either explicit rows (XNeg) or
// the x_b of other anchors (NegIdx), as package train and package loss see
// a batch.
type Batch struct {
	Rows, H int
	XA, XB  []float64 // Rows × InDim
	XNeg    []float64 // (Rows·H) × InDim explicit negatives, or nil
	NegIdx  []int     // with XNeg nil: negative k of anchor i is x_b of row NegIdx[i·H+k]
}

// PairLayer is the pairwise operator of one layer (a level of the tree
// network) for one batch.
type PairLayer struct {
	Layer int    // network layer 1 … L
	Scope string // ScopeLevel or ScopeLayer
	Name  string // "level 2" or the MLP layer's name
	Level int    // tree: HLTM level; MLP: the layer number

	// OpW = OP^β_l·vec(W_l) with OP^β_l = −2 Σ β_ij (K_i − K_j)(K_i − K_j)ᵀ
	// over the batch's pairs, computed from the connections K only;
	// NegGrad = −∇_{vec W_l} L by back-propagation of the loss's own
	// gradient; RelErr = ‖NegGrad − OpW‖/max(‖NegGrad‖, ‖OpW‖).
	OpW, NegGrad []float64
	RelErr       float64
	// Matrix is OP^β_l itself (symmetric, indefinite: positive pairs
	// contract, negatives expand), with wantMatrix.
	Matrix *mat.SymDense
}

// PairReport is the result of PairwiseOperator.
type PairReport struct {
	Layers []PairLayer
	Loss   float64      // the batch's loss on the un-normalised outputs
	Beta   loss.Weights // the pairwise weights β = ∂L/∂d
}

// PairwiseOperator computes, for one batch and every layer of a bias-free
// network, the loss's exact pairwise operator applied to the layer's
// weights and checks it against back-propagation (docs/theory.md §9): for a
// loss that reads the outputs f (no normalisation) only through squared
// distances d_ij = ‖f_i − f_j‖² with weights β_ij = ∂L/∂d_ij,
//
//	−∇_{vec W_l} L = OP^β_l·vec(W_l),  OP^β_l = −2 Σ β_ij (K_i − K_j)(K_i − K_j)ᵀ,
//
// exactly (gates held), per level of the tree network and per layer of the
// MLP. The two sides share only the forward pass: OpW contracts the
// connections K_l(x) = f_{l−1} ⊗ J_lᵀ with vec(W_l), NegGrad back-propagates
// ∂L/∂f. wantMatrix also forms OP^β_l (it holds every input's connection at
// once: for small networks and batches).
//
// It returns ErrBias for a network with biases (f ≠ K_lᵀvec(W_l) there) and
// an error when the batch does not fit the network.
func PairwiseOperator(net *nn.Network, b *Batch, f loss.Pairwise, wantMatrix bool) (*PairReport, error) {
	if err := net.Validate(); err != nil {
		return nil, err
	}
	if net.Bias {
		return nil, ErrBias
	}
	x, err := b.inputs(net.InDim())
	if err != nil {
		return nil, err
	}
	in, nL := net.InDim(), net.OutDim()
	N := len(x) / in
	p := newPlan(net)
	if wantMatrix {
		if need := int64(N) * int64(p.size) * 8; need > DefaultMaxBytes/4 {
			return nil, fmt.Errorf("%w: the pairwise operator's matrix holds %d inputs' connections, %.1f GiB", ErrTooLarge, N, float64(need)/(1<<30))
		}
	}

	var act nn.Activations
	net.Forward(x, N, &act)
	out := act.Output()
	R, H := b.Rows, b.H
	pairs := &loss.Pairs{B: R, H: H, D: nL, A: out[:R*nL], P: out[R*nL : 2*R*nL]}
	grads := &loss.Grads{A: make([]float64, R*nL), P: make([]float64, R*nL)}
	if b.XNeg != nil {
		pairs.Neg = out[2*R*nL:]
		grads.Neg = make([]float64, len(pairs.Neg))
	} else {
		pairs.NegIdx = b.NegIdx
	}
	rep := &PairReport{Loss: f.Eval(pairs, grads)}
	f.Beta(pairs, &rep.Beta)

	// −∇ by back-propagation of ∂L/∂f.
	dOut := make([]float64, 0, N*nL)
	dOut = append(append(append(dOut, grads.A...), grads.P...), grads.Neg...)
	g := net.ZeroLike()
	var bp nn.Backprop
	net.Backward(&act, dOut, g, &bp, false)

	// The batch's pairs as (i, j, β) over the N inputs.
	type pair struct {
		i, j int
		beta float64
	}
	var ps []pair
	for i := range R {
		ps = append(ps, pair{i, R + i, rep.Beta.Pos[i]})
		for k := range H {
			j := 2*R + i*H + k
			if b.XNeg == nil {
				j = R + b.NegIdx[i*H+k]
			}
			ps = append(ps, pair{i, j, rep.Beta.Neg[i*H+k]})
		}
	}

	// Each input's connections, one input at a time (or all kept for the
	// matrix); u[s][l] = K_{s,l}ᵀ vec(W_l).
	var jac nn.Jacobians
	net.Jacobian(&act, &jac)
	L := len(net.Layers)
	vecW := make([][]float64, L)
	for l := range L {
		vecW[l] = layerVec(p, net.Layers[l].Blocks, l, func(b *nn.Block) []float64 { return b.W })
	}
	slab := make([]float64, p.size)
	var kept [][]float64
	connection := func(s int) []float64 {
		if kept != nil {
			return kept[s]
		}
		clear(slab)
		jac.AddConnections(net, &act, s, s+1, nil, slab)
		return slab
	}
	if wantMatrix {
		kept = make([][]float64, N)
		for s := range N {
			kept[s] = make([]float64, p.size)
			jac.AddConnections(net, &act, s, s+1, nil, kept[s])
		}
	}
	u := make([]float64, N*L*nL)
	for s := range N {
		c := connection(s)
		for l := range L {
			contract(p, l, c, vecW[l], u[(s*L+l)*nL:(s*L+l+1)*nL])
		}
	}
	// OP^β w = −2 Σ_pairs β (K_i − K_j)(u_i − u_j) = −2 Σ_s K_s c_s.
	coef := make([]float64, N*L*nL)
	for _, q := range ps {
		for t := range L * nL {
			d := q.beta * (u[q.i*L*nL+t] - u[q.j*L*nL+t])
			coef[q.i*L*nL+t] += d
			coef[q.j*L*nL+t] -= d
		}
	}
	opw := make([][]float64, L)
	for l := range L {
		opw[l] = make([]float64, p.layerDim[l])
	}
	for s := range N {
		c := connection(s)
		for l := range L {
			expand(p, l, c, coef[(s*L+l)*nL:(s*L+l+1)*nL], -2, opw[l])
		}
	}

	for l := range L {
		layer := &net.Layers[l]
		pl := PairLayer{Layer: l + 1, Level: layer.Level, OpW: opw[l]}
		if net.Arch == nn.ArchTree {
			pl.Scope, pl.Name = ScopeLevel, fmt.Sprintf("level %d", layer.Level)
		} else {
			pl.Scope, pl.Name = ScopeLayer, layer.Blocks[0].Name
		}
		pl.NegGrad = layerVec(p, g.Layers[l].Blocks, l, func(b *nn.Block) []float64 { return b.W })
		for r := range pl.NegGrad {
			pl.NegGrad[r] = -pl.NegGrad[r]
		}
		pl.RelErr = relErr(pl.NegGrad, pl.OpW)
		if wantMatrix {
			pl.Matrix = pairMatrix(p, l, kept, func(yield func(i, j int, beta float64)) {
				for _, q := range ps {
					yield(q.i, q.j, q.beta)
				}
			})
		}
		rep.Layers = append(rep.Layers, pl)
	}
	return rep, nil
}

// inputs stacks the batch's network inputs: anchors, positives, explicit
// negatives.
func (b *Batch) inputs(in int) ([]float64, error) {
	R, H := b.Rows, b.H
	if R < 1 || H < 1 || len(b.XA) != R*in || len(b.XB) != R*in {
		return nil, fmt.Errorf("covop: batch of %d rows and %d negatives with %d and %d inputs (width %d)", R, H, len(b.XA), len(b.XB), in)
	}
	if (b.XNeg == nil) == (b.NegIdx == nil) {
		return nil, fmt.Errorf("covop: a batch needs explicit negatives or in-batch indices, not both or neither")
	}
	if b.XNeg != nil && len(b.XNeg) != R*H*in {
		return nil, fmt.Errorf("covop: %d negative inputs for %d rows × %d negatives of width %d", len(b.XNeg), R, H, in)
	}
	if b.NegIdx != nil {
		if len(b.NegIdx) != R*H {
			return nil, fmt.Errorf("covop: %d negative indices for %d rows × %d negatives", len(b.NegIdx), R, H)
		}
		for _, j := range b.NegIdx {
			if j < 0 || j >= R {
				return nil, fmt.Errorf("covop: negative index %d outside the batch of %d rows", j, R)
			}
		}
	}
	x := make([]float64, 0, (2*R+len(b.XNeg)/in)*in)
	return append(append(append(x, b.XA...), b.XB...), b.XNeg...), nil
}

// layerVec returns the parameters of layer l (index l, 0-based) that part
// picks from each block (its W) as one vector in vec order: the blocks'
// vec(W_b) stacked, entry (o, i) of block b at blockOff + i·Out + o.
func layerVec(p *plan, blocks []nn.Block, l int, part func(*nn.Block) []float64) []float64 {
	v := make([]float64, p.layerDim[l])
	for bi := range blocks {
		b := &blocks[bi]
		w, off := part(b), p.blockOff[l][bi]
		for o := 0; o < b.Out; o++ {
			for i := 0; i < b.In; i++ {
				v[off+i*b.Out+o] = w[o*b.In+i]
			}
		}
	}
	return v
}

// contract sets u = K_lᵀ v for one input's connections c (plan layout) and a
// layer-l vector v in vec order (u has n_L entries).
func contract(p *plan, l int, c, v, u []float64) {
	nL := p.nL
	clear(u)
	for bi, b := range p.net.Layers[l].Blocks {
		bs := b.In * b.Out
		at := p.layerOff[l] + p.blockOff[l][bi]*nL
		vb := v[p.blockOff[l][bi]:][:bs]
		for k := range nL {
			s := 0.0
			for r, x := range c[at+k*bs:][:bs] {
				s += x * vb[r]
			}
			u[k] += s
		}
	}
}

// expand adds alpha·K_l·u to dst (layer l's vec order) for one input's
// connections c.
func expand(p *plan, l int, c, u []float64, alpha float64, dst []float64) {
	nL := p.nL
	for bi, b := range p.net.Layers[l].Blocks {
		bs := b.In * b.Out
		at := p.layerOff[l] + p.blockOff[l][bi]*nL
		db := dst[p.blockOff[l][bi]:][:bs]
		for k := range nL {
			a := alpha * u[k]
			if a == 0 {
				continue
			}
			for r, x := range c[at+k*bs:][:bs] {
				db[r] += a * x
			}
		}
	}
}

// pairMatrix forms OP^β_l = −2 Σ β (K_i − K_j)(K_i − K_j)ᵀ from every
// input's connections.
func pairMatrix(p *plan, l int, kept [][]float64, pairs func(yield func(i, j int, beta float64))) *mat.SymDense {
	nL, dl := p.nL, p.layerDim[l]
	op := mat.NewSymDense(dl, nil)
	diff := mat.NewDense(dl, nL, nil)
	pairs(func(i, j int, beta float64) {
		if beta == 0 {
			return
		}
		for bi, b := range p.net.Layers[l].Blocks {
			bs := b.In * b.Out
			at := p.layerOff[l] + p.blockOff[l][bi]*nL
			for k := range nL {
				ki, kj := kept[i][at+k*bs:][:bs], kept[j][at+k*bs:][:bs]
				for r := range bs {
					diff.Set(p.blockOff[l][bi]+r, k, ki[r]-kj[r])
				}
			}
		}
		op.SymRankK(op, -2*beta, diff)
	})
	return op
}

// CheckPairwise runs PairwiseOperator on one batch for net (the network
// r was computed for) and records each layer's relative error in the
// report's level and layer operators (PairRelErr). It returns the pairwise
// report too. Errors are PairwiseOperator's.
func (r *Report) CheckPairwise(net *nn.Network, b *Batch, f loss.Pairwise) (*PairReport, error) {
	pr, err := PairwiseOperator(net, b, f, false)
	if err != nil {
		return nil, err
	}
	for i := range r.Operators {
		o := &r.Operators[i]
		if o.Scope != ScopeNode {
			o.PairRelErr = pr.Layers[o.Layer-1].RelErr
		}
	}
	return pr, nil
}
