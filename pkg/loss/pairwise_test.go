package loss

import (
	"math"
	"testing"

	"github.com/dualssl/dualssl/pkg/rng"
)

// TestBetaGivesGradient checks, for every loss with explicit and in-batch
// negatives, that the gradient assembled from its pairwise weights alone
// (Σ β·∇‖·‖²) is Eval's gradient to rounding, and that β has the sign the
// operator picture needs (positives contract, negatives expand).
func TestBetaGivesGradient(t *testing.T) {
	r := rng.New(2, "test", 0)
	for _, f := range allLosses() {
		pf := f.(Pairwise)
		for _, inBatch := range []bool{false, true} {
			for _, H := range []int{1, 3} {
				p := randPairs(r, 6, H, 4, inBatch)
				want, got := newGrads(p), newGrads(p)
				f.Eval(p, want)
				var w Weights
				pf.Beta(p, &w)
				w.Gradient(p, got)
				for v, pair := range [][2][]float64{{want.A, got.A}, {want.P, got.P}, {want.Neg, got.Neg}} {
					if e := relDiff(pair[0], pair[1]); e > 1e-14 {
						t.Errorf("%s %+v inBatch=%v H=%d: gradient of %c from β differs from Eval's by %.3g (relative)", f.Name(), f, inBatch, H, "APN"[v], e)
					}
				}
				for i, b := range w.Pos {
					if b < 0 {
						t.Errorf("%s: β₊[%d] = %v < 0", f.Name(), i, b)
					}
				}
				for i, b := range w.Neg {
					if b > 0 {
						t.Errorf("%s: β⁻[%d] = %v > 0", f.Name(), i, b)
					}
				}
			}
		}
	}
}

// TestBetaValues pins the weights to their closed forms: simp's constants
// (1/B, −1/(BH): the code's simp has no ½), nce's β₊ = Σ_k −β_k, and
// nce-ref = simp × BatchScale exactly.
func TestBetaValues(t *testing.T) {
	r := rng.New(3, "test", 0)
	const B, H, D = 5, 2, 3
	p := randPairs(r, B, H, D, false)
	var s, n, c Weights
	Simp{}.Beta(p, &s)
	for i := range B {
		if s.Pos[i] != 1.0/B {
			t.Fatalf("simp β₊ = %v, want 1/B = %v", s.Pos[i], 1.0/B)
		}
		for k := range H {
			if s.Neg[i*H+k] != -1.0/(B*H) {
				t.Fatalf("simp β⁻ = %v, want −1/(BH)", s.Neg[i*H+k])
			}
		}
	}
	NCE{Temp: 0.4}.Beta(p, &n)
	for i := range B {
		sum := 0.0
		for k := range H {
			sum -= n.Neg[i*H+k]
		}
		if math.Abs(sum-n.Pos[i]) > 1e-15 {
			t.Errorf("nce anchor %d: β₊ = %v but −Σ_k β_k = %v", i, n.Pos[i], sum)
		}
	}
	ref := NCERef{Temp: 0.1}
	ref.Beta(p, &c)
	k := ref.BatchScale(p)
	if !(k > 0) {
		t.Fatalf("nce-ref batch scale %v, want > 0", k)
	}
	for i := range B {
		if c.Pos[i] != k*s.Pos[i] {
			t.Errorf("nce-ref β₊ = %v, want %v × simp's %v", c.Pos[i], k, s.Pos[i])
		}
	}
	for i := range c.Neg {
		if c.Neg[i] != k*s.Neg[i] {
			t.Errorf("nce-ref β⁻ = %v, want %v × simp's %v", c.Neg[i], k, s.Neg[i])
		}
	}
	// And so the nce-ref gradient is simp's times k.
	gs, gc := newGrads(p), newGrads(p)
	Simp{}.Eval(p, gs)
	ref.Eval(p, gc)
	for i := range gs.A {
		gs.A[i] *= k
	}
	if e := relDiff(gs.A, gc.A); e > 1e-14 {
		t.Errorf("nce-ref gradient differs from simp's × %v by %.3g", k, e)
	}
}

// relDiff returns ‖a − b‖/max(‖a‖, ‖b‖) (0 when both are zero).
func relDiff(a, b []float64) float64 {
	var num, na, nb float64
	for i := range a {
		d := a[i] - b[i]
		num += d * d
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	if num == 0 {
		return 0
	}
	return math.Sqrt(num / max(na, nb))
}
