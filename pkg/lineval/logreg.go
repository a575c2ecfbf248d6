package lineval

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// Data is a binary classification set: N rows of D features (row-major X)
// with labels Y ∈ {0,1}. Identical rows may be merged: row u then stands
// for Count0[u] samples of label 0 and Count1[u] of label 1.
type Data struct {
	D              int
	X              []float64 // rows × D
	Count0, Count1 []float64 // per row
	N              float64   // total samples Σ Count0 + Count1
}

// Rows returns the number of distinct rows.
func (d *Data) Rows() int { return len(d.Count0) }

// Compress builds Data from n samples (x: n×dim row-major, y: n labels),
// merging bit-identical rows (see Distinct).
func Compress(x []float64, y []int8, dim int) *Data {
	if len(x) != len(y)*dim {
		panic(fmt.Sprintf("lineval: Compress: len(x) = %d, want %d×%d", len(x), len(y), dim))
	}
	rows, rowOf := Distinct(x, dim)
	return Counted(rows, dim, rowOf, y)
}

// Distinct returns the distinct rows of x (n×dim row-major), bit for bit,
// in the order they first appear, and for each sample the index of its
// row; when the first rows are mostly distinct it returns a copy of every
// row unmerged instead (the counts then do the same job). Features of a node that sees few leaves take few distinct values,
// so fits on distinct rows with counts are much cheaper and have the
// same objective.
func Distinct(x []float64, dim int) (rows []float64, rowOf []int32) {
	n := len(x) / dim
	rowOf = make([]int32, n)
	if n > 2*probeRows && distinctIn(x[:probeRows*dim], dim) > probeRows/2 {
		// Mostly distinct rows (features that see many leaves): merging
		// would cost more than it saves.
		for i := range rowOf {
			rowOf[i] = int32(i)
		}
		return append([]float64(nil), x...), rowOf
	}
	seed := maphash.MakeSeed()
	index := make(map[uint64][]int32, 64)
	buf := make([]byte, 8*dim)
	k := int32(0)
	for i := 0; i < n; i++ {
		row := x[i*dim : (i+1)*dim]
		for j, v := range row {
			binary.LittleEndian.PutUint64(buf[8*j:], math.Float64bits(v))
		}
		h := maphash.Bytes(seed, buf)
		u := int32(-1)
		for _, c := range index[h] {
			if equal(rows[int(c)*dim:int(c+1)*dim], row) {
				u = c
				break
			}
		}
		if u < 0 {
			u = k
			k++
			index[h] = append(index[h], u)
			rows = append(rows, row...)
		}
		rowOf[i] = u
	}
	return rows, rowOf
}

// probeRows is how many rows Distinct inspects before merging.
const probeRows = 256

// distinctIn counts the distinct rows of x exactly.
func distinctIn(x []float64, dim int) int {
	seen := make(map[string]bool, len(x)/dim)
	buf := make([]byte, 8*dim)
	for i := 0; i < len(x)/dim; i++ {
		for j, v := range x[i*dim : (i+1)*dim] {
			binary.LittleEndian.PutUint64(buf[8*j:], math.Float64bits(v))
		}
		seen[string(buf)] = true
	}
	return len(seen)
}

// Counted returns Data over the distinct rows (shared, not copied) with
// the label counts of the samples: sample i has row rowOf[i] and label
// y[i].
func Counted(rows []float64, dim int, rowOf []int32, y []int8) *Data {
	u := len(rows) / dim
	d := &Data{D: dim, X: rows, Count0: make([]float64, u), Count1: make([]float64, u), N: float64(len(y))}
	for i, r := range rowOf {
		if y[i] != 0 {
			d.Count1[r]++
		} else {
			d.Count0[r]++
		}
	}
	return d
}

func equal(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// Scaler standardises features: (x − Mean)/Scale, with Scale 1 for a
// constant feature (a dead ReLU).
type Scaler struct{ Mean, Scale []float64 }

// NewScaler returns the standardisation of d's features (weighted by the
// row counts).
func NewScaler(d *Data) Scaler {
	s := Scaler{Mean: make([]float64, d.D), Scale: make([]float64, d.D)}
	for u := 0; u < d.Rows(); u++ {
		c := d.Count0[u] + d.Count1[u]
		for j, v := range d.X[u*d.D : (u+1)*d.D] {
			s.Mean[j] += c * v
		}
	}
	for j := range s.Mean {
		s.Mean[j] /= d.N
	}
	for u := 0; u < d.Rows(); u++ {
		c := d.Count0[u] + d.Count1[u]
		for j, v := range d.X[u*d.D : (u+1)*d.D] {
			e := v - s.Mean[j]
			s.Scale[j] += c * e * e
		}
	}
	for j := range s.Scale {
		s.Scale[j] = math.Sqrt(s.Scale[j] / d.N)
		if !(s.Scale[j] > 1e-12*(1+math.Abs(s.Mean[j]))) {
			s.Scale[j] = 1
		}
	}
	return s
}

// Apply standardises d's features in place.
func (s Scaler) Apply(d *Data) {
	for u := 0; u < d.Rows(); u++ {
		row := d.X[u*d.D : (u+1)*d.D]
		for j := range row {
			row[j] = (row[j] - s.Mean[j]) / s.Scale[j]
		}
	}
}

// Model is a fitted logistic regression P(y=1|x) = σ(W·x + B) on
// standardised features.
type Model struct {
	W []float64
	B float64
}

// Score returns W·x + B for one (standardised) row.
func (m *Model) Score(row []float64) float64 {
	return m.B + blas64.Implementation().Ddot(len(m.W), m.W, 1, row, 1)
}

// Accuracy returns the fraction of d's samples m classifies correctly
// (score 0 counts as label 0).
func (m *Model) Accuracy(d *Data) float64 {
	acc := 0.0
	for u := 0; u < d.Rows(); u++ {
		if m.Score(d.X[u*d.D:(u+1)*d.D]) > 0 {
			acc += d.Count1[u]
		} else {
			acc += d.Count0[u]
		}
	}
	return acc / d.N
}

// Eval returns the accuracy (as Accuracy) and the mean log-loss of m on d.
func (m *Model) Eval(d *Data) (acc, logLoss float64) {
	for u := 0; u < d.Rows(); u++ {
		s := m.Score(d.X[u*d.D : (u+1)*d.D])
		if s > 0 {
			acc += d.Count1[u]
		} else {
			acc += d.Count0[u]
		}
		logLoss += d.Count1[u]*softplus(-s) + d.Count0[u]*softplus(s)
	}
	return acc / d.N, logLoss / d.N
}

// softplus returns log(1 + eˣ) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// objective is the L2-regularised mean log-loss
//
//	L(w, b) = (1/N) Σ_u [c1_u·softplus(−s_u) + c0_u·softplus(s_u)] + (λ/2)‖w‖²,
//
// s_u = w·x_u + b; the intercept b = p[D] is not penalised. One pass over
// the rows at a point (scores by one BLAS Dgemv, one exponential each)
// caches every σ(s_u), so the gradient and Hessian there cost no further
// exponentials; the value, which needs a logarithm per row, is computed
// from the same pass only when asked for.
type objective struct {
	d      *Data
	lambda float64
	slots  [2]*evalSlot // the last two points evaluated
	cur    *evalSlot    // the one at the point last asked for
	r      []float64    // gradient weights (c0+c1)σ − c1
	abuf   []float64    // (D+1)×rows weighted design by columns (Hess)
}

// evalSlot caches one pass over the rows at the parameters last.
type evalSlot struct {
	s    []float64 // s_u
	e    []float64 // e^{−|s_u|}
	sig  []float64 // σ(s_u)
	last []float64
	ok   bool
	f    float64 // L at last, when fOK
	fOK  bool    // f is at last and the objective's lambda
}

func newObjective(d *Data, lambda float64) *objective {
	n := d.Rows()
	o := &objective{d: d, lambda: lambda, r: make([]float64, n)}
	for k := range o.slots {
		o.slots[k] = &evalSlot{s: make([]float64, n), e: make([]float64, n), sig: make([]float64, n), last: make([]float64, d.D+1)}
	}
	o.cur = o.slots[0]
	return o
}

// setLambda changes the regulariser (the cached passes stay valid).
func (o *objective) setLambda(lambda float64) {
	o.lambda = lambda
	for _, sl := range o.slots {
		sl.fOK = false
	}
}

// pass makes o.cur the scores, e^{−|s|} and σ(s) at p, computing them
// unless one of the last two points evaluated was p.
func (o *objective) pass(p []float64) {
	for _, sl := range o.slots {
		if sl.ok && equal(sl.last, p) {
			o.cur = sl
			return
		}
	}
	sl := o.slots[0]
	if sl == o.cur {
		sl = o.slots[1]
	}
	o.cur = sl
	d := o.d
	rows := len(sl.s)
	if d.D > 0 && rows > 0 {
		blas64.Implementation().Dgemv(blas.NoTrans, rows, d.D, 1, d.X, d.D, p[:d.D], 1, 0, sl.s, 1)
	} else {
		clear(sl.s)
	}
	b := p[d.D]
	for u, s := range sl.s {
		s += b
		sl.s[u] = s
		e := math.Exp(-math.Abs(s))
		sl.e[u] = e
		if s >= 0 {
			sl.sig[u] = 1 / (1 + e)
		} else {
			sl.sig[u] = e / (1 + e)
		}
	}
	copy(sl.last, p)
	sl.ok, sl.fOK = true, false
}

func (o *objective) Func(p []float64) float64 {
	o.pass(p)
	sl := o.cur
	if sl.fOK {
		return sl.f
	}
	d := o.d
	l := 0.0
	for u, s := range sl.s {
		// softplus(±s) = max(±s, 0) + log1p(e^{−|s|}).
		lp := math.Log1p(sl.e[u])
		if s >= 0 {
			l += d.Count1[u]*lp + d.Count0[u]*(s+lp)
		} else {
			l += d.Count1[u]*(lp-s) + d.Count0[u]*lp
		}
	}
	r := 0.0
	for _, x := range p[:d.D] {
		r += x * x
	}
	sl.f, sl.fOK = l/d.N+o.lambda/2*r, true
	return sl.f
}

func (o *objective) Grad(g, p []float64) {
	o.pass(p)
	d := o.d
	gb := 0.0
	for u, q := range o.cur.sig {
		// ∂/∂s of c1·softplus(−s) + c0·softplus(s) = (c0+c1)σ(s) − c1.
		r := (d.Count0[u]+d.Count1[u])*q - d.Count1[u]
		o.r[u] = r
		gb += r
	}
	gw := g[:d.D]
	if d.D > 0 && len(o.r) > 0 {
		blas64.Implementation().Dgemv(blas.Trans, len(o.r), d.D, 1/d.N, d.X, d.D, o.r, 1, 0, gw, 1)
	} else {
		clear(gw)
	}
	for j := range gw {
		gw[j] += o.lambda * p[j]
	}
	g[d.D] = gb / d.N
}

// Hess sets h to the Hessian (1/N) Σ_u (c0+c1)σ(s_u)(1−σ(s_u)) x̃_u x̃_uᵀ +
// λ·diag(1,…,1,0), with x̃ = (x, 1), as (1/N)·Aᵀ A + λ·diag(1,…,1,0) with
// A = diag(√w_u)·[X 1] stored by columns, each entry of the upper
// triangle one dot product of two columns (gonum's BLAS Ddot).
func (o *objective) Hess(h *mat.SymDense, p []float64) {
	o.pass(p)
	d := o.d
	D1 := d.D + 1
	rows := len(o.r)
	if cap(o.abuf) < rows*D1 {
		o.abuf = make([]float64, rows*D1)
	}
	a := o.abuf[:rows*D1]
	ones := a[d.D*rows:]
	for u, q := range o.cur.sig {
		s := math.Sqrt((d.Count0[u] + d.Count1[u]) * q * (1 - q))
		ones[u] = s
		for j, v := range d.X[u*d.D : (u+1)*d.D] {
			a[j*rows+u] = s * v
		}
	}
	raw := h.RawSymmetric()
	colGram(a, rows, D1, raw.Data, raw.Stride, 1/d.N)
	for i := 0; i < d.D; i++ {
		raw.Data[i*raw.Stride+i] += o.lambda
	}
}

// colGram sets the upper triangle of dst (cols×cols, row stride) to
// scale·AᵀA for A stored by columns (cols columns of rows entries each),
// every entry one dot product of two columns (BLAS Ddot).
func colGram(a []float64, rows, cols int, dst []float64, stride int, scale float64) {
	impl := blas64.Implementation()
	for i := 0; i < cols; i++ {
		ai := a[i*rows : (i+1)*rows]
		hi := dst[i*stride:]
		for j := i; j < cols; j++ {
			hi[j] = impl.Ddot(rows, ai, 1, a[j*rows:], 1) * scale
		}
	}
}

// GradTol is the gradient infinity norm at which a fit stops at λ ≥ 1;
// below, Newton's method stops at GradTol·max(λ, 1e-3), so that the
// weights are within about GradTol of the optimum (the objective is
// λ-strongly convex in them) whatever the starting point: far below what
// changes a prediction on standardised features.
const GradTol = 1e-6

// gradTol is the gradient infinity norm at which Newton's method stops
// at lambda.
func gradTol(lambda float64) float64 {
	return GradTol * min(1, max(lambda, 1e-3))
}

// NewtonMaxDim is the largest feature count fitted by Newton's method;
// wider feature sets use L-BFGS, whose iterations cost O(D) instead of
// O(D²) per row.
const NewtonMaxDim = 400

// Fit minimises the L2-regularised mean log-loss on d (standardised
// features), starting from init (nil for zero weights). Up to
// NewtonMaxDim features it runs Newton's method (Cholesky solves by
// gonum/mat, Armijo backtracking; the objective is strictly convex, so a
// handful of iterations reach GradTol); wider sets run gonum/optimize's
// L-BFGS. It is deterministic. It panics if lambda is negative or NaN.
func Fit(d *Data, lambda float64, init *Model) (*Model, error) {
	return newPath(d).fit(lambda, init, nil)
}

// hessCache carries the last Hessian along a path of fits on the same
// data (strongest λ to weakest), so the next fit can start with it.
type hessCache struct {
	h      *mat.SymDense // Hessian at some recent point, with lambda on the diagonal
	lambda float64
}

// path fits one Data at a sequence of regularisers, reusing one
// objective's buffers and carrying the last Hessian from one fit to the
// next.
type path struct {
	o    *objective
	c    hessCache
	p, q []float64
}

func newPath(d *Data) *path {
	return &path{o: newObjective(d, 0), p: make([]float64, d.D+1), q: make([]float64, d.D+1)}
}

// fit is Fit at lambda from init, or from alt (when not nil) if the
// objective is lower there.
func (pa *path) fit(lambda float64, init, alt *Model) (*Model, error) {
	if !(lambda >= 0) {
		panic(fmt.Sprintf("lineval: Fit: lambda %v", lambda))
	}
	o, d, p := pa.o, pa.o.d, pa.p
	o.setLambda(lambda)
	clear(p)
	if init != nil {
		copy(p, init.W)
		p[d.D] = init.B
	}
	if alt != nil {
		// Both points stay cached (init usually is already: the last
		// point of the previous fit), so the fit starts from a cached
		// evaluation either way.
		q := pa.q
		copy(q, alt.W)
		q[d.D] = alt.B
		if o.Func(q) < o.Func(p) {
			copy(p, q)
		}
	}
	var err error
	if d.D <= NewtonMaxDim {
		err = o.newton(p, &pa.c)
	} else {
		p, err = o.lbfgs(p)
	}
	if err != nil {
		return nil, err
	}
	for _, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("lineval: logistic regression diverged")
		}
	}
	return &Model{W: append([]float64(nil), p[:d.D]...), B: p[d.D]}, nil
}

// newtonMaxIter bounds Newton iterations; from a warm start 2–4 suffice.
const newtonMaxIter = 100

// chordRate is the factor by which a step with a reused Hessian must
// shrink the gradient's infinity norm for the next step to reuse it
// again; otherwise the next step computes the Hessian afresh.
const chordRate = 0.25

// chordMinDim is the parameter count (features + 1) from which Newton
// reuses Hessians (chord steps). Below it a Hessian costs no more than an
// evaluation of the objective (whose exponentials and logarithms dominate),
// and fresh ones converge in fewer steps.
const chordMinDim = 16

// fullStepDecrement is the squared Newton decrement gᵀH⁻¹g (twice the
// decrease the quadratic model predicts) below which a fresh Newton step
// is taken whole and judged by the gradient at its end, without the
// objective's value: near the optimum Newton converges quadratically and
// the full step is the right one.
const fullStepDecrement = 1e-2

// newton minimises the objective from p in place. A Hessian is formed
// only when the previous one stops paying: steps with a recent Hessian
// (chord steps, each costing a gradient instead of a Hessian) converge
// linearly at a fast rate near the optimum. Chord steps and Newton steps
// with a small decrement are taken whole and kept when they shrink the
// gradient's infinity norm (for a chord step to stay a chord step, by
// chordRate); otherwise, and for Newton steps with a large decrement, the
// step is a fresh Newton step with Armijo backtracking on the objective.
// With c not nil it starts from c's Hessian (shifted to this λ) and
// leaves its last Hessian there.
func (o *objective) newton(p []float64, c *hessCache) error {
	D := o.d.D
	chord := D+1 >= chordMinDim
	var h *mat.SymDense
	stale := false // h was not computed at the current p
	if chord && c != nil && c.h != nil && c.h.SymmetricDim() == D+1 {
		h = c.h
		for i := 0; i < D; i++ {
			h.SetSym(i, i, h.At(i, i)+o.lambda-c.lambda)
		}
		c.lambda = o.lambda
		stale = true
	} else {
		h = mat.NewSymDense(D+1, nil)
	}
	if c != nil {
		c.h, c.lambda = h, o.lambda
	}
	g := make([]float64, D+1)
	gt := make([]float64, D+1)
	step := make([]float64, D+1)
	trial := make([]float64, D+1)
	var chol mat.Cholesky
	factored := false
	o.Grad(g, p)
	gn := infNorm(g)
	tol := gradTol(o.lambda)
	for it := 0; it < newtonMaxIter; it++ {
		if gn < tol {
			return nil
		}
		if !stale || !factored {
			if !stale {
				o.Hess(h, p)
			}
			if !chol.Factorize(h) {
				// Only a degenerate problem (λ = 0, a constant feature)
				// gets here; a ridge makes the step a damped gradient
				// step.
				for i := 0; i < D+1; i++ {
					h.SetSym(i, i, h.At(i, i)+1e-8)
				}
				if !chol.Factorize(h) {
					return fmt.Errorf("lineval: logistic regression: singular Hessian")
				}
			}
			factored = true
		}
		reused := stale
		sv := mat.NewVecDense(D+1, step)
		if err := chol.SolveVecTo(sv, mat.NewVecDense(D+1, g)); err != nil {
			// A condition warning still leaves the solution: it is used
			// while it is a descent direction.
			var cond mat.Condition
			if !errors.As(err, &cond) {
				return fmt.Errorf("lineval: logistic regression: %v", err)
			}
		}
		slope := 0.0 // gᵀH⁻¹g > 0: −step is a descent direction
		for i := range g {
			slope += g[i] * step[i]
		}
		if !(slope > 0) || math.IsInf(slope, 0) {
			return fmt.Errorf("lineval: logistic regression: singular Hessian")
		}
		if reused || slope <= fullStepDecrement {
			for i := range p {
				trial[i] = p[i] - step[i]
			}
			o.Grad(gt, trial)
			if gtn := infNorm(gt); gtn < gn {
				copy(p, trial)
				g, gt = gt, g
				stale = chord && gtn <= chordRate*gn
				factored = factored && stale
				gn = gtn
				continue
			}
			if reused {
				// The old Hessian no longer pays: a fresh one at p.
				stale, factored = false, false
				continue
			}
		}
		// Armijo backtracking along −step.
		f := o.Func(p)
		t := 1.0
		for {
			for i := range p {
				trial[i] = p[i] - t*step[i]
			}
			if o.Func(trial) <= f-1e-4*t*slope {
				break
			}
			t /= 2
			if t < 1e-12 {
				return nil // no further decrease in floating point: at the optimum
			}
		}
		copy(p, trial)
		o.Grad(g, p)
		stale, factored = false, false
		gn = infNorm(g)
	}
	return nil
}

func infNorm(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// lbfgs minimises the objective from p with gonum's L-BFGS.
func (o *objective) lbfgs(p []float64) ([]float64, error) {
	prob := optimize.Problem{Func: o.Func, Grad: o.Grad}
	settings := &optimize.Settings{
		GradientThreshold: GradTol,
		MajorIterations:   500,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-12, Relative: 1e-12, Iterations: 20},
	}
	res, err := optimize.Minimize(prob, p, settings, &optimize.LBFGS{Store: 10})
	if err != nil && res == nil {
		return nil, fmt.Errorf("lineval: logistic regression: %v", err)
	}
	// An iteration limit or a stalled line search at a flat optimum still
	// leaves the best point found.
	return res.X, nil
}
