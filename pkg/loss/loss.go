package loss

import (
	"fmt"
	"math"
	"strings"
)

// Pairs is one batch's embeddings, row-major with D columns.
type Pairs struct {
	B, H, D int
	A, P    []float64 // B×D: anchors and positives
	// Neg holds explicit negatives: negative k of anchor i is row i·H+k
	// ((B·H)×D). Nil when NegIdx is used.
	Neg []float64
	// NegIdx selects in-batch negatives: negative k of anchor i is row
	// NegIdx[i·H+k] of P (len B·H). Nil when Neg is used.
	NegIdx []int
}

// Grads receives a loss's gradient: ∂L/∂A and ∂L/∂P (B×D) and ∂L/∂Neg
// ((B·H)×D, only with explicit negatives; in-batch negatives' gradient is
// added to P's rows).
type Grads struct {
	A, P, Neg []float64
}

// Func is a contrastive loss.
type Func interface {
	// Name returns the loss's command-line name.
	Name() string
	// Eval returns the loss of the batch and, when g is not nil, overwrites
	// g's slices (which must have the shapes of p's) with its gradient.
	Eval(p *Pairs, g *Grads) float64
}

// Names lists the losses New knows.
var Names = []string{"simp", "tri", "nce", "nce-ref"}

// New returns the named loss (see Names) with temperature temp and margin
// (tri only). temp must be positive for nce and nce-ref and non-negative for
// tri (0 gives the hinge).
func New(name string, temp, margin float64) (Func, error) {
	bad := func() error {
		return fmt.Errorf("loss: loss %s needs a positive temperature, got %v", name, temp)
	}
	switch name {
	case "simp":
		return Simp{}, nil
	case "tri":
		if temp < 0 || math.IsNaN(temp) {
			return nil, fmt.Errorf("loss: loss tri needs a non-negative temperature, got %v", temp)
		}
		return Triplet{Temp: temp, Margin: margin}, nil
	case "nce":
		if !(temp > 0) {
			return nil, bad()
		}
		return NCE{Temp: temp}, nil
	case "nce-ref":
		if !(temp > 0) {
			return nil, bad()
		}
		return NCERef{Temp: temp}, nil
	}
	return nil, fmt.Errorf("loss: unknown loss %q: want one of %s", name, strings.Join(Names, ", "))
}

// neg returns negative k of anchor i and the slice its gradient goes to.
func (p *Pairs) neg(g *Grads, i, k int) (v, gv []float64) {
	D := p.D
	if p.NegIdx != nil {
		j := p.NegIdx[i*p.H+k]
		v = p.P[j*D : (j+1)*D]
		if g != nil {
			gv = g.P[j*D : (j+1)*D]
		}
		return v, gv
	}
	r := i*p.H + k
	v = p.Neg[r*D : (r+1)*D]
	if g != nil {
		gv = g.Neg[r*D : (r+1)*D]
	}
	return v, gv
}

func (p *Pairs) check(g *Grads) {
	if p.B < 1 || p.H < 1 || p.D < 1 || len(p.A) != p.B*p.D || len(p.P) != p.B*p.D {
		panic(fmt.Sprintf("loss: bad batch shape B=%d H=%d D=%d len(A)=%d len(P)=%d", p.B, p.H, p.D, len(p.A), len(p.P)))
	}
	if (p.Neg == nil) == (p.NegIdx == nil) {
		panic("loss: exactly one of Neg and NegIdx must be set")
	}
	if p.Neg != nil && len(p.Neg) != p.B*p.H*p.D {
		panic(fmt.Sprintf("loss: len(Neg) = %d, want %d", len(p.Neg), p.B*p.H*p.D))
	}
	if p.NegIdx != nil && len(p.NegIdx) != p.B*p.H {
		panic(fmt.Sprintf("loss: len(NegIdx) = %d, want %d", len(p.NegIdx), p.B*p.H))
	}
	if g != nil {
		if len(g.A) != len(p.A) || len(g.P) != len(p.P) || (p.Neg != nil && len(g.Neg) != len(p.Neg)) {
			panic("loss: gradient shapes do not match the batch")
		}
		clear(g.A)
		clear(g.P)
		clear(g.Neg)
	}
}

func sqDist(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		d := v - b[i]
		s += d * d
	}
	return s
}

// addPair adds w·∇_{a,b}‖a−b‖² = (2w(a−b), −2w(a−b)) to (ga, gb).
func addPair(w float64, a, b, ga, gb []float64) {
	for i, v := range a {
		d := 2 * w * (v - b[i])
		ga[i] += d
		gb[i] -= d
	}
}

// Simp is the simple contrastive loss of Theorem 1, mean_i [d₊² − mean_k d_k²].
type Simp struct{}

// Name implements Func.
func (Simp) Name() string { return "simp" }

// Eval implements Func.
func (Simp) Eval(p *Pairs, g *Grads) float64 {
	p.check(g)
	D := p.D
	wPos, wNeg := 1/float64(p.B), 1/float64(p.B*p.H)
	sum := 0.0
	for i := 0; i < p.B; i++ {
		a, pos := p.A[i*D:(i+1)*D], p.P[i*D:(i+1)*D]
		sum += wPos * sqDist(a, pos)
		if g != nil {
			addPair(wPos, a, pos, g.A[i*D:(i+1)*D], g.P[i*D:(i+1)*D])
		}
		for k := 0; k < p.H; k++ {
			n, gn := p.neg(g, i, k)
			sum -= wNeg * sqDist(a, n)
			if g != nil {
				addPair(-wNeg, a, n, g.A[i*D:(i+1)*D], gn)
			}
		}
	}
	return sum
}

// Triplet is the soft triplet loss mean_ik τ·log(1+exp((d₊² − d_k² + r)/τ)),
// with temperature τ = Temp and margin r = Margin; τ = 0 is the hinge
// max(0, d₊² − d_k² + r).
type Triplet struct{ Temp, Margin float64 }

// Name implements Func.
func (Triplet) Name() string { return "tri" }

// Eval implements Func.
func (t Triplet) Eval(p *Pairs, g *Grads) float64 {
	p.check(g)
	D := p.D
	scale := 1 / float64(p.B*p.H)
	sum := 0.0
	for i := 0; i < p.B; i++ {
		a, pos := p.A[i*D:(i+1)*D], p.P[i*D:(i+1)*D]
		dp := sqDist(a, pos)
		for k := 0; k < p.H; k++ {
			n, gn := p.neg(g, i, k)
			u := dp - sqDist(a, n) + t.Margin
			var val, w float64
			if t.Temp == 0 {
				if u > 0 {
					val, w = u, 1
				}
			} else {
				val = t.Temp * softplus(u/t.Temp)
				w = sigmoid(u / t.Temp)
			}
			sum += scale * val
			if g != nil && w != 0 {
				addPair(scale*w, a, pos, g.A[i*D:(i+1)*D], g.P[i*D:(i+1)*D])
				addPair(-scale*w, a, n, g.A[i*D:(i+1)*D], gn)
			}
		}
	}
	return sum
}

// NCE is InfoNCE with H negatives per anchor and temperature Temp, averaged
// over the anchors.
type NCE struct{ Temp float64 }

// Name implements Func.
func (NCE) Name() string { return "nce" }

// Eval implements Func.
func (c NCE) Eval(p *Pairs, g *Grads) float64 {
	p.check(g)
	D, H := p.D, p.H
	scale := 1 / float64(p.B)
	logits := make([]float64, H+1)
	sum := 0.0
	for i := 0; i < p.B; i++ {
		a, pos := p.A[i*D:(i+1)*D], p.P[i*D:(i+1)*D]
		logits[0] = -sqDist(a, pos) / c.Temp
		m := logits[0]
		for k := 0; k < H; k++ {
			n, _ := p.neg(nil, i, k)
			logits[k+1] = -sqDist(a, n) / c.Temp
			m = math.Max(m, logits[k+1])
		}
		z := 0.0
		for _, v := range logits {
			z += math.Exp(v - m)
		}
		lse := m + math.Log(z)
		sum += scale * (lse - logits[0])
		if g == nil {
			continue
		}
		// ∂L/∂d₊² = (1 − p₊)/τ = Σ_k p_k/τ and ∂L/∂d_k² = −p_k/τ.
		ga := g.A[i*D : (i+1)*D]
		for k := 0; k < H; k++ {
			n, gn := p.neg(g, i, k)
			w := scale * math.Exp(logits[k+1]-lse) / c.Temp
			addPair(w, a, pos, ga, g.P[i*D:(i+1)*D])
			addPair(-w, a, n, ga, gn)
		}
	}
	return sum
}

// NCERef is the reference's loss: −e^{−P/τ}/(e^{−P/τ} + e^{−Q/τ}) =
// −σ((Q−P)/τ), with P the mean squared difference between anchors and
// positives over the batch and the dimensions, and Q the same with the
// negatives (over all H of them).
type NCERef struct{ Temp float64 }

// Name implements Func.
func (NCERef) Name() string { return "nce-ref" }

// Eval implements Func.
func (c NCERef) Eval(p *Pairs, g *Grads) float64 {
	p.check(g)
	D := p.D
	s, wP, wQ := c.sigma(p)
	if g != nil {
		// L = −s: ∂L/∂P = s(1−s)/τ, ∂L/∂Q = −s(1−s)/τ.
		dP := s * (1 - s) / c.Temp
		for i := 0; i < p.B; i++ {
			a, ga := p.A[i*D:(i+1)*D], g.A[i*D:(i+1)*D]
			addPair(dP*wP, a, p.P[i*D:(i+1)*D], ga, g.P[i*D:(i+1)*D])
			for k := 0; k < p.H; k++ {
				n, gn := p.neg(g, i, k)
				addPair(-dP*wQ, a, n, ga, gn)
			}
		}
	}
	return -s
}

// sigma returns s = σ((Q − P)/τ) of the batch and the weights wP = 1/(BD)
// and wQ = 1/(BHD) that make P and Q means.
func (c NCERef) sigma(p *Pairs) (s, wP, wQ float64) {
	D := p.D
	wP, wQ = 1/float64(p.B*D), 1/float64(p.B*p.H*D)
	var P, Q float64
	for i := 0; i < p.B; i++ {
		a := p.A[i*D : (i+1)*D]
		P += sqDist(a, p.P[i*D:(i+1)*D])
		for k := 0; k < p.H; k++ {
			n, _ := p.neg(nil, i, k)
			Q += sqDist(a, n)
		}
	}
	P *= wP
	Q *= wQ
	return sigmoid((Q - P) / c.Temp), wP, wQ
}

// sigmoid returns 1/(1+e^{−u}) without overflow.
func sigmoid(u float64) float64 {
	if u >= 0 {
		return 1 / (1 + math.Exp(-u))
	}
	e := math.Exp(u)
	return e / (1 + e)
}

// softplus returns log(1+e^u) without overflow.
func softplus(u float64) float64 {
	if u > 0 {
		return u + math.Log1p(math.Exp(-u))
	}
	return math.Log1p(math.Exp(u))
}
