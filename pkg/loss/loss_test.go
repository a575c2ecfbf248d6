package loss

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dualssl/dualssl/pkg/rng"
)

func randVec(r *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64() * 0.5
	}
	return v
}

func randPairs(r *rand.Rand, B, H, D int, inBatch bool) *Pairs {
	p := &Pairs{B: B, H: H, D: D, A: randVec(r, B*D), P: randVec(r, B*D)}
	if inBatch {
		p.NegIdx = make([]int, B*H)
		for i := range p.NegIdx {
			p.NegIdx[i] = (i/H + 1 + r.IntN(B-1)) % B
		}
	} else {
		p.Neg = randVec(r, B*H*D)
	}
	return p
}

func newGrads(p *Pairs) *Grads {
	g := &Grads{A: make([]float64, len(p.A)), P: make([]float64, len(p.P))}
	if p.Neg != nil {
		g.Neg = make([]float64, len(p.Neg))
	}
	return g
}

func allLosses() []Func {
	return []Func{Simp{}, Triplet{Temp: 0.3, Margin: 0.2}, Triplet{Temp: 0, Margin: 0.1}, NCE{Temp: 0.5}, NCERef{Temp: 0.1}}
}

// TestGradientsFiniteDifferences checks every loss's gradient against
// central differences, with explicit and with in-batch negatives.
func TestGradientsFiniteDifferences(t *testing.T) {
	r := rng.New(1, "test", 0)
	for _, f := range allLosses() {
		for _, inBatch := range []bool{false, true} {
			for _, H := range []int{1, 3} {
				p := randPairs(r, 5, H, 4, inBatch)
				g := newGrads(p)
				f.Eval(p, g)
				vecs := [][]float64{p.A, p.P, p.Neg}
				grads := [][]float64{g.A, g.P, g.Neg}
				const eps = 1e-6
				for v := range vecs {
					for i := range vecs[v] {
						old := vecs[v][i]
						vecs[v][i] = old + eps
						up := f.Eval(p, nil)
						vecs[v][i] = old - eps
						down := f.Eval(p, nil)
						vecs[v][i] = old
						fd := (up - down) / (2 * eps)
						if math.Abs(fd-grads[v][i]) > 1e-7*(1+math.Abs(fd)) {
							t.Errorf("%s %+v inBatch=%v H=%d: ∂/∂%c[%d] = %v, finite difference %v",
								f.Name(), f, inBatch, H, "APN"[v], i, grads[v][i], fd)
						}
					}
				}
			}
		}
	}
}

// single returns the batch reduced to anchor i and its negative k.
func single(p *Pairs, i, k int) *Pairs {
	D := p.D
	n, _ := p.neg(nil, i, k)
	return &Pairs{B: 1, H: 1, D: D, A: p.A[i*D : (i+1)*D], P: p.P[i*D : (i+1)*D], Neg: n}
}

// TestNCEIsReweightedSimp checks docs/theory.md §4: for one anchor,
// ∇nce = (1/τ) Σ_k p_k ∇(d₊² − d_k²), where ∇(d₊² − d_k²) is the simp
// gradient of the anchor with negative k alone.
func TestNCEIsReweightedSimp(t *testing.T) {
	r := rng.New(2, "test", 0)
	const tau, H, D = 0.7, 4, 3
	p := randPairs(r, 1, H, D, false)
	g := newGrads(p)
	NCE{Temp: tau}.Eval(p, g)
	// Softmax weights of the negatives.
	logits := []float64{-sqDist(p.A, p.P) / tau}
	for k := 0; k < H; k++ {
		n, _ := p.neg(nil, 0, k)
		logits = append(logits, -sqDist(p.A, n)/tau)
	}
	z := 0.0
	for _, v := range logits {
		z += math.Exp(v)
	}
	wantA, wantP, wantN := make([]float64, D), make([]float64, D), make([]float64, H*D)
	for k := 0; k < H; k++ {
		pk := math.Exp(logits[k+1]) / z
		s := single(p, 0, k)
		gs := newGrads(s)
		Simp{}.Eval(s, gs)
		for j := 0; j < D; j++ {
			wantA[j] += pk / tau * gs.A[j]
			wantP[j] += pk / tau * gs.P[j]
			wantN[k*D+j] = pk / tau * gs.Neg[j]
		}
	}
	for _, c := range []struct {
		name      string
		got, want []float64
	}{{"A", g.A, wantA}, {"P", g.P, wantP}, {"Neg", g.Neg, wantN}} {
		for j := range c.got {
			if math.Abs(c.got[j]-c.want[j]) > 1e-13 {
				t.Errorf("∂nce/∂%s[%d] = %v, re-weighted simp %v", c.name, j, c.got[j], c.want[j])
			}
		}
	}
}

// TestNCERefIsScaledSimp checks that the nce-ref gradient is s(1−s)/(Dτ)
// times the simp gradient of the same batch.
func TestNCERefIsScaledSimp(t *testing.T) {
	r := rng.New(3, "test", 0)
	const tau = 0.1
	for _, inBatch := range []bool{false, true} {
		p := randPairs(r, 6, 2, 5, inBatch)
		g, gs := newGrads(p), newGrads(p)
		L := NCERef{Temp: tau}.Eval(p, g)
		Simp{}.Eval(p, gs)
		s := -L
		c := s * (1 - s) / (float64(p.D) * tau)
		for _, pair := range [][2][]float64{{g.A, gs.A}, {g.P, gs.P}, {g.Neg, gs.Neg}} {
			for j := range pair[0] {
				if math.Abs(pair[0][j]-c*pair[1][j]) > 1e-14 {
					t.Fatalf("inBatch=%v: nce-ref gradient %v, scaled simp %v", inBatch, pair[0][j], c*pair[1][j])
				}
			}
		}
	}
}

// TestNCERefHandComputed checks nce-ref on a batch of two anchors with unit
// embeddings: P = ((0.4)² + (0.8)²)/4 = 0.2, Q = (2² + 1 + 1)/4 = 1.5, so
// with τ = 0.1 the loss is −e^{−2}/(e^{−2} + e^{−15}) = −1/(1 + e^{−13}).
func TestNCERefHandComputed(t *testing.T) {
	p := &Pairs{B: 2, H: 1, D: 2,
		A:   []float64{1, 0, 0, 1},
		P:   []float64{0.6, 0.8, 0, 1},
		Neg: []float64{-1, 0, 1, 0},
	}
	got := NCERef{Temp: 0.1}.Eval(p, nil)
	want := -1 / (1 + math.Exp(-13))
	if math.Abs(got-want) > 1e-15 {
		t.Fatalf("nce-ref = %.17g, want %.17g", got, want)
	}
	// In-batch: negative of anchor 0 is P row 1 = (0, 1), of anchor 1 is
	// P row 0 = (0.6, 0.8): Q = ((1+1) + (0.36+0.04))/4 = 0.6.
	p.Neg, p.NegIdx = nil, []int{1, 0}
	got = NCERef{Temp: 0.1}.Eval(p, nil)
	want = -1 / (1 + math.Exp(-4))
	if math.Abs(got-want) > 1e-15 {
		t.Fatalf("in-batch nce-ref = %.17g, want %.17g", got, want)
	}
}

// TestHandValues checks simp, hinge and nce on one anchor with d₊² = 1 and
// d₋² = 4.
func TestHandValues(t *testing.T) {
	p := &Pairs{B: 1, H: 1, D: 1, A: []float64{0}, P: []float64{1}, Neg: []float64{2}}
	check := func(f Func, want float64) {
		if got := f.Eval(p, nil); math.Abs(got-want) > 1e-15 {
			t.Errorf("%s = %v, want %v", f.Name(), got, want)
		}
	}
	check(Simp{}, -3)
	check(Triplet{Temp: 0, Margin: 4}, 1)
	check(Triplet{Temp: 0, Margin: 2}, 0)
	check(Triplet{Temp: 1, Margin: 3}, math.Log(2))
	check(NCE{Temp: 1}, math.Log(1+math.Exp(-3)))
}

// TestNormalizeBackward checks the normalisation's gradient against central
// differences of the scalar Σ c⊙f̂.
func TestNormalizeBackward(t *testing.T) {
	r := rng.New(4, "test", 0)
	const rows, d, eps = 3, 4, 1e-4
	f := randVec(r, rows*d)
	c := randVec(r, rows*d)
	norms := make([]float64, rows)
	out := make([]float64, rows*d)
	val := func() float64 {
		Normalize(f, rows, d, eps, out, norms)
		s := 0.0
		for i, v := range out {
			s += c[i] * v
		}
		return s
	}
	val()
	for i := 0; i < rows; i++ {
		nn := 0.0
		for j := 0; j < d; j++ {
			nn += out[i*d+j] * out[i*d+j]
		}
		if want := norms[i] / (norms[i] + eps); math.Abs(math.Sqrt(nn)-want) > 1e-15 {
			t.Fatalf("row %d: ‖f̂‖ = %v, want %v", i, math.Sqrt(nn), want)
		}
	}
	g := make([]float64, rows*d)
	NormalizeBackward(f, norms, rows, d, eps, c, g)
	for i := range f {
		old := f[i]
		f[i] = old + 1e-6
		up := val()
		f[i] = old - 1e-6
		down := val()
		f[i] = old
		fd := (up - down) / 2e-6
		if math.Abs(fd-g[i]) > 1e-7*(1+math.Abs(fd)) {
			t.Errorf("∂/∂f[%d] = %v, finite difference %v", i, g[i], fd)
		}
	}
}

func ExampleNCERef() {
	p := &Pairs{B: 1, H: 1, D: 2, A: []float64{1, 0}, P: []float64{1, 0}, Neg: []float64{0, 1}}
	// P = 0, Q = 1: loss = −1/(1 + e^{−10}).
	fmt.Printf("%.6f\n", NCERef{Temp: 0.1}.Eval(p, nil))
	// Output: -0.999955
}

// TestNormalizeBlocked: Normalize and NormalizeBackward, four rows at a
// time, give bit for bit what one row at a time gives (the textbook loops
// below), for row counts around the block, widths 1–12, a zero row, and
// out aliasing f (gIn aliasing gOut).
func TestNormalizeBlocked(t *testing.T) {
	const eps = DefaultEps
	for rows := 0; rows <= 9; rows++ {
		for d := 1; d <= 12; d++ {
			f, g := benchOutputs(rows, d), benchOutputs(rows+1, d)[d:]
			if rows > 2 {
				clear(f[2*d : 3*d])
			}
			wantOut, wantNorms, wantGIn := make([]float64, rows*d), make([]float64, rows), make([]float64, rows*d)
			for i := 0; i < rows; i++ {
				s := 0.0
				for _, v := range f[i*d : (i+1)*d] {
					s += v * v
				}
				r := math.Sqrt(s)
				wantNorms[i] = r
				dot := 0.0
				for j := 0; j < d; j++ {
					wantOut[i*d+j] = f[i*d+j] * (1 / (r + eps))
					dot += f[i*d+j] * g[i*d+j]
				}
				c := 0.0
				if r > 0 {
					c = dot / (r * (r + eps) * (r + eps))
				}
				for j := 0; j < d; j++ {
					wantGIn[i*d+j] = g[i*d+j]*(1/(r+eps)) - f[i*d+j]*c
				}
			}
			out, norms := slices.Clone(f), make([]float64, rows)
			Normalize(out, rows, d, eps, out, norms) // in place
			gIn := slices.Clone(g)
			NormalizeBackward(f, norms, rows, d, eps, gIn, gIn) // in place
			for _, c := range []struct {
				what      string
				got, want []float64
			}{{"out", out, wantOut}, {"norms", norms, wantNorms}, {"gIn", gIn, wantGIn}} {
				for i := range c.want {
					if math.Float64bits(c.got[i]) != math.Float64bits(c.want[i]) {
						t.Fatalf("rows %d, d %d: %s[%d] = %v, want %v", rows, d, c.what, i, c.got[i], c.want[i])
					}
				}
			}
		}
	}
}
