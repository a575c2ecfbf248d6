package loss

import (
	"fmt"
	"math"
)

// Weights are a batch's pairwise weights β = ∂L/∂d, one for every squared
// distance the loss reads: d = ‖A_i − P_i‖² for anchor i's positive pair
// and d = ‖A_i − N_ik‖² for its negative k (an explicit row or, with
// Pairs.NegIdx, row NegIdx[i·H+k] of P).
//
// Every loss of this package depends on a batch only through these
// distances, so its gradient is Σ β·∇d: ∂L/∂A_i = Σ 2β(A_i − X) over the
// pairs of anchor i, and the opposite on each partner X. For a bias-free
// ReLU network without output normalisation, f_i − f_j = (K_i − K_j)ᵀ w for
// the connection K of any layer (gates held), hence
//
//	−∇_w L = −2 Σ β_ij (K_i − K_j)(K_i − K_j)ᵀ w,
//
// a weighted covariance operator of the batch (docs/theory.md §9; package
// covop computes and checks it).
type Weights struct {
	Pos []float64 // len B: β on anchor i's positive pair (≥ 0 for every loss here)
	Neg []float64 // len B·H: β on anchor i's negative k, at i·H+k (≤ 0)
}

// Pairwise is a loss whose batch value depends only on the squared
// distances of Weights, and which can report ∂L/∂d for each.
type Pairwise interface {
	Func
	// Beta overwrites w's slices (grown as needed) with the batch's
	// pairwise weights. It panics on a malformed batch, as Eval does.
	Beta(p *Pairs, w *Weights)
}

// Interface checks: every loss New returns is pairwise.
var (
	_ Pairwise = Simp{}
	_ Pairwise = Triplet{}
	_ Pairwise = NCE{}
	_ Pairwise = NCERef{}
)

func (w *Weights) size(p *Pairs) {
	p.check(nil)
	if cap(w.Pos) < p.B {
		w.Pos = make([]float64, p.B)
	}
	if cap(w.Neg) < p.B*p.H {
		w.Neg = make([]float64, p.B*p.H)
	}
	w.Pos, w.Neg = w.Pos[:p.B], w.Neg[:p.B*p.H]
	clear(w.Pos)
	clear(w.Neg)
}

// Beta implements Pairwise: L = Σ_i [d₊/B − Σ_k d_k/(BH)], so β₊ = 1/B and
// β_k = −1/(BH), constant (Theorem 1 writes its loss with a ½, which halves them).
func (Simp) Beta(p *Pairs, w *Weights) {
	w.size(p)
	for i := range w.Pos {
		w.Pos[i] = 1 / float64(p.B)
	}
	for r := range w.Neg {
		w.Neg[r] = -1 / float64(p.B*p.H)
	}
}

// Beta implements Pairwise: with u_ik = (d₊ − d_k + r)/τ, β₊ = Σ_k σ(u_ik)/(BH)
// and β_k = −σ(u_ik)/(BH); the hinge (τ = 0) has 1[u_ik > 0] for σ.
func (t Triplet) Beta(p *Pairs, w *Weights) {
	w.size(p)
	D := p.D
	scale := 1 / float64(p.B*p.H)
	for i := 0; i < p.B; i++ {
		a := p.A[i*D : (i+1)*D]
		dp := sqDist(a, p.P[i*D:(i+1)*D])
		for k := 0; k < p.H; k++ {
			n, _ := p.neg(nil, i, k)
			u := dp - sqDist(a, n) + t.Margin
			s := 0.0
			if t.Temp == 0 {
				if u > 0 {
					s = 1
				}
			} else {
				s = sigmoid(u / t.Temp)
			}
			w.Pos[i] += scale * s
			w.Neg[i*p.H+k] = -scale * s
		}
	}
}

// Beta implements Pairwise: with p_k the softmax weight of negative k among
// the H+1 logits −d/τ, β₊ = (1 − p₊)/(τB) = Σ_k p_k/(τB) and
// β_k = −p_k/(τB).
func (c NCE) Beta(p *Pairs, w *Weights) {
	w.size(p)
	D, H := p.D, p.H
	scale := 1 / (float64(p.B) * c.Temp)
	logits := make([]float64, H+1)
	for i := 0; i < p.B; i++ {
		a := p.A[i*D : (i+1)*D]
		logits[0] = -sqDist(a, p.P[i*D:(i+1)*D]) / c.Temp
		m := logits[0]
		for k := 0; k < H; k++ {
			n, _ := p.neg(nil, i, k)
			logits[k+1] = -sqDist(a, n) / c.Temp
			m = max(m, logits[k+1])
		}
		z := 0.0
		for _, v := range logits {
			z += math.Exp(v - m)
		}
		lse := m + math.Log(z)
		for k := 0; k < H; k++ {
			pk := math.Exp(logits[k+1] - lse)
			w.Pos[i] += scale * pk
			w.Neg[i*H+k] = -scale * pk
		}
	}
}

// Beta implements Pairwise: L = −σ((Q − P)/τ) with P = Σ_i d₊/(BD) and
// Q = Σ_ik d_k/(BHD), so β₊ = s(1−s)/(τBD) and β_k = −s(1−s)/(τBHD),
// s = σ((Q − P)/τ): simp's weights times the one batch scalar
// BatchScale.
func (c NCERef) Beta(p *Pairs, w *Weights) {
	s := c.BatchScale(p)
	Simp{}.Beta(p, w)
	for i := range w.Pos {
		w.Pos[i] *= s
	}
	for r := range w.Neg {
		w.Neg[r] *= s
	}
}

// BatchScale returns the scalar c = s(1−s)/(τD), s = σ((Q − P)/τ), by which
// nce-ref's gradient (hence its step) is exactly simp's on the same batch:
// an adaptive learning rate, one per batch.
func (c NCERef) BatchScale(p *Pairs) float64 {
	p.check(nil)
	s, _, _ := c.sigma(p)
	return s * (1 - s) / (c.Temp * float64(p.D))
}

// Gradient overwrites g (shaped like p, as for Func.Eval) with the
// gradient Σ β·∇d that the weights w give: the identity every Pairwise loss
// satisfies, ∂L/∂(A, P, Neg) from β alone.
func (w *Weights) Gradient(p *Pairs, g *Grads) {
	p.check(g)
	if len(w.Pos) != p.B || len(w.Neg) != p.B*p.H {
		panic(fmt.Sprintf("loss: Weights.Gradient: %d and %d weights for B=%d H=%d", len(w.Pos), len(w.Neg), p.B, p.H))
	}
	D := p.D
	for i := 0; i < p.B; i++ {
		a, ga := p.A[i*D:(i+1)*D], g.A[i*D:(i+1)*D]
		addPair(w.Pos[i], a, p.P[i*D:(i+1)*D], ga, g.P[i*D:(i+1)*D])
		for k := 0; k < p.H; k++ {
			n, gn := p.neg(g, i, k)
			addPair(w.Neg[i*p.H+k], a, n, ga, gn)
		}
	}
}
