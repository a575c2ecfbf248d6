package covop

import (
	"errors"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/dualssl/dualssl/pkg/nn"
)

// alignment returns the fractions of ‖w‖² in the eigenspace of the largest
// eigenvalue and in that of the k largest (with multiplicity; an eigenvalue
// tied with the k-th is included) of OP = XᵀX (X is p × len(w)), counting
// only eigenvalues above tol·λ_max. With p < len(w) it works on the Gram matrix
// X Xᵀ = U Λ Uᵀ: OP's eigenvectors are v_i = Xᵀu_i/√λ_i, so
// (v_iᵀw)² = (u_iᵀXw)²/λ_i. Both fractions are NaN when w = 0.
func alignment(X *mat.Dense, w []float64, k int, tol float64) (top1, topk float64) {
	ww := 0.0
	for _, v := range w {
		ww += v * v
	}
	if ww == 0 {
		return math.NaN(), math.NaN()
	}
	p, side := X.Dims()
	wv := mat.NewVecDense(side, w)
	var S mat.SymDense
	var y mat.VecDense // the vector whose coordinates in S's eigenbasis we need
	gram := p < side
	if gram {
		S.SymOuterK(1, X)
		y.MulVec(X, wv)
	} else {
		S.SymOuterK(1, X.T())
		y.CloneFromVec(wv)
	}
	var es mat.EigenSym
	if !es.Factorize(&S, true) {
		return math.NaN(), math.NaN()
	}
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	lmax := 0.0
	for _, v := range vals {
		lmax = max(lmax, v)
	}
	type part struct{ lambda, mass float64 }
	var parts []part
	for i, lam := range vals {
		if !(lam > tol*lmax) || lmax == 0 {
			continue
		}
		c := mat.Dot(vecs.ColView(i), &y)
		m := c * c
		if gram {
			m /= lam
		}
		parts = append(parts, part{lam, m})
	}
	sort.Slice(parts, func(a, b int) bool { return parts[a].lambda > parts[b].lambda })
	// A multiple eigenvalue's eigenspace is counted whole: OP of the output
	// layer is V ⊗ I_{n_L}, every eigenvalue n_L-fold, and a "top
	// eigenvector" of it would be an arbitrary pick.
	tie := tieTol * lmax
	sum, have1 := 0.0, false
	for i, q := range parts {
		if i > 0 && parts[i-1].lambda-q.lambda > tie {
			if !have1 {
				top1, have1 = sum/ww, true
			}
			if i >= k {
				break
			}
		}
		sum += q.mass
	}
	if !have1 {
		top1 = sum / ww
	}
	return top1, sum / ww
}

// tieTol is the relative gap (to λ_max) below which two eigenvalues count
// as one multiple eigenvalue in alignment.
const tieTol = 1e-9

// FitStep compares an actual expected step with Theorem 1's, layer by
// layer: for every level or layer operator it sets StepCos, StepScale and
// StepResidue from s = the step's weights of that layer (in vec order) and
// OpW = 2·OP·vec(W), and, when se2 (the squared standard error of each
// entry of step, as train.Step.SE2) is not nil, StepNoise =
// √(Σ se2)/‖s‖, the relative Monte Carlo error of s. step and se2 must have
// net's shape (nn.Network.SameShape), net being the network the report was
// computed for; biases are ignored (OP concerns the weights only).
func (r *Report) FitStep(net, step, se2 *nn.Network) error {
	if !step.SameShape(net) || (se2 != nil && !se2.SameShape(net)) {
		return errors.New("covop: the step does not have the network's shape")
	}
	p := newPlan(net)
	weights := func(b *nn.Block) []float64 { return b.W }
	for i := range r.Operators {
		o := &r.Operators[i]
		if o.Scope == ScopeNode || o.OpW == nil {
			continue
		}
		s := layerVec(p, step.Layers[o.Layer-1].Blocks, o.Layer-1, weights)
		o.StepCos, o.StepScale, o.StepResidue = fitScalar(s, o.OpW)
		if se2 != nil {
			var ss, ee float64
			for r, v := range layerVec(p, se2.Layers[o.Layer-1].Blocks, o.Layer-1, weights) {
				ee += v
				ss += s[r] * s[r]
			}
			o.StepNoise = math.Sqrt(ee / ss)
		}
	}
	return nil
}

// fitScalar returns cos(s, o), the least-squares c = ⟨s, o⟩/⟨o, o⟩ and
// ‖s − c·o‖/‖s‖ (NaN where a norm is zero).
func fitScalar(s, o []float64) (cos, c, residue float64) {
	var so, oo, ss float64
	for i := range s {
		so += s[i] * o[i]
		oo += o[i] * o[i]
		ss += s[i] * s[i]
	}
	if oo == 0 || ss == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	c = so / oo
	rr := 0.0
	for i := range s {
		d := s[i] - c*o[i]
		rr += d * d
	}
	return so / math.Sqrt(ss*oo), c, math.Sqrt(rr / ss)
}
