package lineval

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/par"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Feature sets.
const (
	// FeatRoot is the root embedding f (the network's output, no ReLU).
	FeatRoot = "root"
	// FeatLevel is the concatenated activations (after the ReLU) of the
	// latent's own level (tree), or of every layer in turn (MLP: one set
	// per layer, named "layer<l>").
	FeatLevel = "level"
	// FeatNode is the latent's own neurons N_μ after the ReLU (tree only).
	FeatNode = "node"
)

// DefaultLambdas is the regularisation grid searched on the validation
// split (on standardised features).
var DefaultLambdas = []float64{1, 1e-1, 1e-2, 1e-3}

// Config sets up an Evaluator.
type Config struct {
	// Train, Val and Test are the sizes of the three splits, taken in
	// this order from the start of the samples.
	Train, Val, Test int
	// Lambdas is the L2 grid (nil: DefaultLambdas); fits run from the
	// largest λ to the smallest, each starting at the previous optimum.
	Lambdas []float64
	// Features lists the feature sets (nil: root, level, node).
	Features []string
	// Latents lists the latents to evaluate (nil: every latent).
	Latents []int
	// Threads runs that many fits at once (< 1: one); results do not
	// depend on it.
	Threads int
}

// Result is the linear evaluation of one latent on one feature set of one
// network.
type Result struct {
	Latent   int     // HLTM node id
	Level    int     // its level (root 0)
	Features string  // root, level, node, or layer<l> (MLP)
	Dim      int     // number of features
	Subtree  bool    // whether the features see only the leaves under the latent
	Lambda   float64 // the regulariser chosen on the validation split
	ValAcc   float64 // validation accuracy at Lambda
	Accuracy float64 // held-out (test) accuracy
	StdErr   float64 // its standard error √(a(1−a)/n_test)
	// Ceiling is the Bayes accuracy given the leaves the features see,
	// estimated on the test samples as the mean of max(p, 1−p) with the
	// exact posterior p; CeilingSE is its standard error.
	Ceiling, CeilingSE float64
	// Exact is the same ceiling summed over every leaf configuration, or
	// NaN when the features see more than MaxExactLeaves leaves.
	Exact float64
}

// Evaluator runs the linear evaluation of networks on one fixed set of
// samples. Create it with NewEvaluator.
type Evaluator struct {
	m      *hltm.Model
	cfg    Config
	x      []float64 // (Train+Val+Test)×leaves
	z      []int8    // (Train+Val+Test)×nodes
	n      int
	latent []int
	// per latent: ceilings
	all, allSE, sub, subSE []float64
	exactAll, exactSub     []float64
	act                    nn.Activations // reused by Evaluate
	// warm holds each fit's solutions at the previous call, in raw
	// feature units, as starting points for the next call.
	warm map[warmKey]*warmState
	// groups holds, per set of leaves (−1: all; μ: the leaves under μ),
	// the samples grouped by their values on those leaves; designs keeps
	// each block of columns' buffers from one call to the next.
	groups  map[int]*grouping
	designs map[[3]int]*design
}

// grouping is the samples of each split grouped by their values on a set
// of leaves: a feature set that reads only those leaves takes one value
// per group. first lists each group's first sample (absolute index), in
// order of appearance; rowOf gives each sample's group.
type grouping struct {
	first, rowOf [3][]int32
}

// grouping returns (computing it once) the grouping of the samples by
// the leaves under latent set, or by every leaf when set < 0.
func (e *Evaluator) grouping(set int) *grouping {
	if g := e.groups[set]; g != nil {
		return g
	}
	leaves := e.m.NumLeaves()
	from, width := 0, leaves
	if set >= 0 {
		first := set
		width = 1
		for l := e.m.Level(set); l < e.m.Depth(); l++ {
			first, width = first*e.m.Children()+1, width*e.m.Children()
		}
		from = first - e.m.NumLatents()
	}
	c := e.cfg
	bounds := [4]int{0, c.Train, c.Train + c.Val, e.n}
	g := &grouping{}
	sub := make([]float64, 0, max(c.Train, c.Val, c.Test)*width)
	for k := 0; k < 3; k++ {
		sub = sub[:0]
		for s := bounds[k]; s < bounds[k+1]; s++ {
			sub = append(sub, e.x[s*leaves+from:][:width]...)
		}
		_, rowOf := Distinct(sub, width)
		var first []int32
		for i, r := range rowOf {
			if int(r) == len(first) {
				first = append(first, int32(bounds[k]+i))
			}
		}
		g.first[k], g.rowOf[k] = first, rowOf
	}
	if e.groups == nil {
		e.groups = map[int]*grouping{}
	}
	e.groups[set] = g
	return g
}

// warmKey names a fit across calls of Evaluate.
type warmKey struct {
	latent, layer, off, dim int
}

// warmState is one fit's solution at each λ of the grid, in raw (not
// standardised) feature units: the standardisation changes from one
// network to the next, the units do not.
type warmState struct {
	w [][]float64 // per λ: weights (nil: none yet)
	b []float64   // per λ: intercept
}

// NewEvaluator copies the first Train+Val+Test samples (x: leaves, z:
// every node, row-major) and computes the ceilings on the test split. It
// returns an error when there are too few samples or the configuration is
// invalid.
func NewEvaluator(m *hltm.Model, x []float64, z []int8, cfg Config) (*Evaluator, error) {
	leaves, nodes := m.NumLeaves(), m.NumNodes()
	if cfg.Train < 2 || cfg.Val < 1 || cfg.Test < 1 {
		return nil, fmt.Errorf("lineval: splits train %d, val %d, test %d: need at least 2, 1 and 1", cfg.Train, cfg.Val, cfg.Test)
	}
	n := cfg.Train + cfg.Val + cfg.Test
	if len(x) < n*leaves || len(z) < n*nodes {
		return nil, fmt.Errorf("lineval: %d samples, the splits need %d (train %d + val %d + test %d)", min(len(x)/leaves, len(z)/nodes), n, cfg.Train, cfg.Val, cfg.Test)
	}
	if cfg.Lambdas == nil {
		cfg.Lambdas = DefaultLambdas
	}
	for _, l := range cfg.Lambdas {
		if !(l >= 0) || math.IsInf(l, 0) {
			return nil, fmt.Errorf("lineval: regulariser %v: must be finite and non-negative", l)
		}
	}
	if cfg.Features == nil {
		cfg.Features = []string{FeatRoot, FeatLevel, FeatNode}
	}
	for _, f := range cfg.Features {
		if f != FeatRoot && f != FeatLevel && f != FeatNode {
			return nil, fmt.Errorf("lineval: feature set %q: want %s, %s or %s", f, FeatRoot, FeatLevel, FeatNode)
		}
	}
	e := &Evaluator{m: m, cfg: cfg, n: n,
		x: append([]float64(nil), x[:n*leaves]...), z: append([]int8(nil), z[:n*nodes]...)}
	e.latent = cfg.Latents
	if e.latent == nil {
		for mu := 0; mu < m.NumLatents(); mu++ {
			e.latent = append(e.latent, mu)
		}
	}
	for _, mu := range e.latent {
		if mu < 0 || mu >= m.NumLatents() {
			return nil, fmt.Errorf("lineval: node %d is not a latent (0 … %d)", mu, m.NumLatents()-1)
		}
	}
	off := cfg.Train + cfg.Val
	e.all, e.allSE, e.sub, e.subSE = bayesStats(m, e.x[off*leaves:], cfg.Test)
	nl := m.NumLatents()
	e.exactAll, e.exactSub = make([]float64, nl), make([]float64, nl)
	for _, mu := range e.latent {
		var err error
		if e.exactAll[mu], err = ExactCeiling(m, mu, false); errors.Is(err, hltm.ErrTooLarge) {
			e.exactAll[mu] = math.NaN()
		} else if err != nil {
			return nil, err
		}
		if e.exactSub[mu], err = ExactCeiling(m, mu, true); errors.Is(err, hltm.ErrTooLarge) {
			e.exactSub[mu] = math.NaN()
		} else if err != nil {
			return nil, err
		}
	}
	return e, nil
}

// task is one fit: a latent and a block of columns of one layer's
// activations.
type task struct {
	latent   int
	name     string
	layer    int // 1 … L: F[layer] of nn.Activations
	off, dim int
	subtree  bool // the columns read only the leaves under latent
}

func (e *Evaluator) tasks(net *nn.Network) ([]task, error) {
	L := len(net.Layers)
	var ts []task
	if net.Arch == nn.ArchTree {
		if net.Depth != e.m.Depth() || net.Kids != e.m.Children() {
			return nil, fmt.Errorf("lineval: tree network of depth %d with %d children, the HLTM has depth %d with %d", net.Depth, net.Kids, e.m.Depth(), e.m.Children())
		}
		for _, mu := range e.latent {
			lv := e.m.Level(mu)
			l := e.m.Depth() - lv // layer of μ's level
			for _, f := range e.cfg.Features {
				switch f {
				case FeatRoot:
					ts = append(ts, task{mu, f, L, 0, net.OutDim(), false})
				case FeatLevel:
					ts = append(ts, task{mu, f, l, 0, net.Layers[l-1].OutDim, false})
				case FeatNode:
					for _, b := range net.Layers[l-1].Blocks {
						if b.Node == mu {
							ts = append(ts, task{mu, f, l, b.OutOffset, b.Out, mu != 0})
						}
					}
				}
			}
		}
		return ts, nil
	}
	if net.InDim() != e.m.NumLeaves() {
		return nil, fmt.Errorf("lineval: network reads %d inputs, the HLTM has %d leaves", net.InDim(), e.m.NumLeaves())
	}
	for _, mu := range e.latent {
		for _, f := range e.cfg.Features {
			switch f {
			case FeatRoot:
				ts = append(ts, task{mu, f, L, 0, net.OutDim(), false})
			case FeatLevel:
				for l := 1; l < L; l++ {
					ts = append(ts, task{mu, fmt.Sprintf("layer%d", l), l, 0, net.Layers[l-1].OutDim, false})
				}
			}
		}
	}
	return ts, nil
}

// Evaluate runs the linear evaluation of net: one Result per latent and
// feature set, in latent order then feature order (the order of
// Config.Features; an MLP's level set expands to every hidden layer).
// Each fit starts from its solution on the network of the previous call
// when that is better than the regularisation path's start, so evaluate
// a run's snapshots in order: the results then depend on the earlier
// calls only through the solver's tolerance (weights within about
// GradTol of the optimum). It is not safe for concurrent use (it reuses
// one forward pass's buffers and keeps that state).
func (e *Evaluator) Evaluate(net *nn.Network) ([]Result, error) {
	if net.InDim() != e.m.NumLeaves() {
		return nil, fmt.Errorf("lineval: network reads %d inputs, the HLTM has %d leaves", net.InDim(), e.m.NumLeaves())
	}
	ts, err := e.tasks(net)
	if err != nil {
		return nil, err
	}
	// Every layer's activations for every sample, in one forward pass
	// (the splits are bounded, so is the memory); F[L] is the output f,
	// without ReLU.
	e.act.Batch = 0
	net.Forward(e.x, e.n, &e.act)
	acts := e.act.F
	// One standardised design per distinct block of columns, shared by
	// the latents that use it (the root embedding serves every latent).
	// The columns of a design read a set of leaves (every leaf, or a
	// node's subtree); the samples are grouped by their values there
	// once, so that a design gathers one row per group.
	if e.designs == nil {
		e.designs = map[[3]int]*design{}
	}
	designs := e.designs
	var keys [][3]int
	sets := map[[3]int]*grouping{}
	for _, t := range ts {
		k := [3]int{t.layer, t.off, t.dim}
		if sets[k] == nil {
			if designs[k] == nil {
				designs[k] = &design{}
			}
			keys = append(keys, k)
			set := -1
			if t.subtree {
				set = t.latent
			}
			sets[k] = e.grouping(set)
		}
	}
	threads := max(1, e.cfg.Threads)
	par.For(len(keys), threads, func(_, i int) {
		k := keys[i]
		designs[k].build(e, acts[k[0]], net.Layers[k[0]-1].OutDim, k[1], k[2], sets[k])
	})
	// Tasks on the same columns for the same latent (the root latent's
	// root, level and node sets are one block) share one fit. Each fit
	// starts from its own solution at the previous call: one state per
	// fit, created here so that the workers only read the map.
	if e.warm == nil {
		e.warm = map[warmKey]*warmState{}
	}
	type fitKey struct{ latent, layer, off, dim int }
	owner := map[fitKey]int{}
	var fits []int // task index of each distinct fit
	states := make([]*warmState, len(ts))
	for i, t := range ts {
		fk := fitKey{t.latent, t.layer, t.off, t.dim}
		if _, ok := owner[fk]; ok {
			continue
		}
		owner[fk] = i
		fits = append(fits, i)
		k := warmKey{t.latent, t.layer, t.off, t.dim}
		if e.warm[k] == nil {
			e.warm[k] = &warmState{w: make([][]float64, len(e.cfg.Lambdas)), b: make([]float64, len(e.cfg.Lambdas))}
		}
		states[i] = e.warm[k]
	}
	res := make([]Result, len(ts))
	errs := make([]error, len(ts))
	par.For(len(fits), threads, func(_, j int) {
		i := fits[j]
		t := ts[i]
		res[i], errs[i] = e.fit(designs[[3]int{t.layer, t.off, t.dim}], t, states[i])
	})
	for i, t := range ts {
		if o := owner[fitKey{t.latent, t.layer, t.off, t.dim}]; o != i {
			res[i] = res[o]
			res[i].Features = t.name
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// design is one block of feature columns over the three splits: one row
// per group of samples with the same values on the leaves the columns
// read (so identical rows merge without looking at them), standardised
// with the training split's moments, and each sample's row.
type design struct {
	dim   int
	rows  [3][]float64
	rowOf [3][]int32
	// basis (dim×rank, orthonormal columns) spans the training rows when
	// they span fewer than dim directions, and reduced holds the training
	// rows in it (rank per row); nil when there is no reduction.
	basis   *mat.Dense
	rank    int
	reduced []float64
	scale   Scaler // the training split's standardisation
}

// reduceMinDim is the feature count from which designs look for a
// lower-dimensional row space.
const reduceMinDim = 16

// rankTol is the eigenvalue of the training Gram matrix (per sample, on
// standardised features, relative to the largest) below which a
// direction counts as absent.
const rankTol = 1e-10

// reduce finds the span of the training rows. The L2-regularised optimum
// w lies in that span (a component orthogonal to every row only adds to
// the penalty), so with an orthonormal basis V, w = Vβ and ‖w‖ = ‖β‖: the
// fit on the rows' coordinates XV is the same problem in fewer unknowns.
// A tree's level features need it: each node's block is a function of the
// few leaves under it, so its rows take few distinct values.
func (d *design) reduce() {
	if d.dim < reduceMinDim {
		return
	}
	// The training rows' Gram matrix, weighted by their counts: the
	// rows scaled by √count, stored by columns.
	train := Counted(d.rows[0], d.dim, d.rowOf[0], make([]int8, len(d.rowOf[0])))
	n := train.Rows()
	a := make([]float64, n*d.dim)
	for u := 0; u < n; u++ {
		s := math.Sqrt(train.Count0[u])
		for j, v := range train.X[u*d.dim : (u+1)*d.dim] {
			a[j*n+u] = s * v
		}
	}
	g := mat.NewSymDense(d.dim, nil)
	raw := g.RawSymmetric()
	colGram(a, n, d.dim, raw.Data, raw.Stride, 1/train.N)
	var eig mat.EigenSym
	if !eig.Factorize(g, true) {
		return
	}
	vals := eig.Values(nil)
	top := math.Max(vals[len(vals)-1], 1)
	var keep []int
	for i, v := range vals {
		if v > rankTol*top {
			keep = append(keep, i)
		}
	}
	if len(keep) > d.dim*3/4 {
		return // too little to gain
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	r := max(len(keep), 1)
	basis := mat.NewDense(d.dim, r, nil)
	for k, i := range keep {
		basis.SetCol(k, mat.Col(nil, i, &vecs))
	}
	rows := len(d.rows[0]) / d.dim
	red := mat.NewDense(rows, r, nil)
	red.Mul(mat.NewDense(rows, d.dim, d.rows[0]), basis)
	d.basis, d.rank, d.reduced = basis, r, red.RawMatrix().Data
}

// lift returns m (fitted on the reduced training rows) in the original
// features.
func (d *design) lift(m *Model) *Model {
	if d.basis == nil {
		return m
	}
	w := mat.NewVecDense(d.dim, nil)
	w.MulVec(d.basis, mat.NewVecDense(d.rank, m.W))
	return &Model{W: w.RawVector().Data, B: m.B}
}

// toRaw stores m (on standardised features, all d.dim of them) in st's
// slot k in raw feature units: w_j/scale_j, b − Σ_j w_j·mean_j/scale_j.
func (d *design) toRaw(m *Model, st *warmState, k int) {
	w := st.w[k]
	if len(w) != d.dim {
		w = make([]float64, d.dim)
	}
	b := m.B
	for j, v := range m.W {
		w[j] = v / d.scale.Scale[j]
		b -= w[j] * d.scale.Mean[j]
	}
	st.w[k], st.b[k] = w, b
}

// fromRaw returns st's slot k on this design's standardised features, in
// the coordinates the fit uses (the reduced ones when there is a basis),
// or nil when the slot is empty or of another width.
func (d *design) fromRaw(st *warmState, k int) *Model {
	if len(st.w[k]) != d.dim {
		return nil
	}
	w := make([]float64, d.dim)
	b := st.b[k]
	for j, v := range st.w[k] {
		w[j] = v * d.scale.Scale[j]
		b += v * d.scale.Mean[j]
	}
	if d.basis == nil {
		return &Model{W: w, B: b}
	}
	// The optimum lies in the span of the training rows: project on it.
	beta := mat.NewVecDense(d.rank, nil)
	beta.MulVec(d.basis.T(), mat.NewVecDense(d.dim, w))
	return &Model{W: beta.RawVector().Data, B: b}
}

func (d *design) build(e *Evaluator, act []float64, width, off, dim int, g *grouping) {
	d.dim = dim
	for k := 0; k < 3; k++ {
		first := g.first[k]
		rows := slices.Grow(d.rows[k][:0], len(first)*dim)[:len(first)*dim]
		for u, s := range first {
			copy(rows[u*dim:(u+1)*dim], act[int(s)*width+off:][:dim])
		}
		d.rows[k], d.rowOf[k] = rows, g.rowOf[k]
	}
	// The scaler weighs each distinct row by its count: labels do not
	// matter for the moments.
	sc := NewScaler(Counted(d.rows[0], dim, d.rowOf[0], make([]int8, len(d.rowOf[0]))))
	d.scale = sc
	for k := 0; k < 3; k++ {
		sc.Apply(&Data{D: dim, X: d.rows[k], Count0: make([]float64, len(d.rows[k])/dim)})
	}
	d.basis, d.rank, d.reduced = nil, 0, nil
	d.reduce()
}

func (e *Evaluator) labels(mu, from, to int) []int8 {
	nodes := e.m.NumNodes()
	y := make([]int8, to-from)
	for s := from; s < to; s++ {
		y[s-from] = e.z[s*nodes+mu]
	}
	return y
}

// scoreAll returns the scores of every model on d's rows (rows×len(ms),
// row-major), by one BLAS Dgemm.
func scoreAll(d *Data, ms []*Model) []float64 {
	rows, k := d.Rows(), len(ms)
	w := make([]float64, d.D*k)
	for j, m := range ms {
		for i, v := range m.W {
			w[i*k+j] = v
		}
	}
	s := make([]float64, rows*k)
	for u := 0; u < rows; u++ {
		for j, m := range ms {
			s[u*k+j] = m.B
		}
	}
	if rows > 0 && d.D > 0 {
		blas64.Implementation().Dgemm(blas.NoTrans, blas.NoTrans, rows, k, d.D, 1, d.X, d.D, w, k, 1, s, k)
	}
	return s
}

// accuracyLoss returns the accuracy (score 0 counts as label 0) and, with
// loss, the mean log-loss on d of model j of scoreAll's k.
func accuracyLoss(d *Data, scores []float64, k, j int, loss bool) (acc, logLoss float64) {
	for u := 0; u < d.Rows(); u++ {
		s := scores[u*k+j]
		if s > 0 {
			acc += d.Count1[u]
		} else {
			acc += d.Count0[u]
		}
		if loss {
			logLoss += d.Count1[u]*softplus(-s) + d.Count0[u]*softplus(s)
		}
	}
	return acc / d.N, logLoss / d.N
}

// choose returns the index of the model of ms with the best accuracy on
// the validation data val, the lower mean log-loss breaking ties (the
// first of equal ones wins), and that accuracy. Every model's scores come
// from one pass over the rows; the log-loss, which needs a logarithm per
// row, is computed only for tied models.
func choose(val *Data, ms []*Model) (best int, bestAcc float64) {
	scores := scoreAll(val, ms)
	bestAcc, bestLoss := -1.0, math.Inf(1)
	for k := range ms {
		acc, _ := accuracyLoss(val, scores, len(ms), k, false)
		loss := math.Inf(1)
		if acc == bestAcc {
			_, loss = accuracyLoss(val, scores, len(ms), k, true)
			if bestLoss == math.Inf(1) {
				_, bestLoss = accuracyLoss(val, scores, len(ms), best, true)
			}
		}
		if acc > bestAcc || (acc == bestAcc && loss < bestLoss) {
			best, bestAcc, bestLoss = k, acc, loss
		}
	}
	return best, bestAcc
}

func (e *Evaluator) fit(d *design, t task, st *warmState) (Result, error) {
	c := e.cfg
	train := Counted(d.rows[0], d.dim, d.rowOf[0], e.labels(t.latent, 0, c.Train))
	if d.basis != nil {
		train = Counted(d.reduced, d.rank, d.rowOf[0], e.labels(t.latent, 0, c.Train))
	}
	val := Counted(d.rows[1], d.dim, d.rowOf[1], e.labels(t.latent, c.Train, c.Train+c.Val))
	test := Counted(d.rows[2], d.dim, d.rowOf[2], e.labels(t.latent, c.Train+c.Val, e.n))
	var prev *Model
	pa := newPath(train)
	models := make([]*Model, len(c.Lambdas))
	for k, lambda := range c.Lambdas {
		// Start from the better (lower objective) of the previous λ's
		// optimum and this λ's optimum on the previous network.
		m, err := pa.fit(lambda, prev, d.fromRaw(st, k))
		if err != nil {
			return Result{}, fmt.Errorf("%w (latent %d, %s features, λ = %g)", err, t.latent, t.name, lambda)
		}
		prev = m
		models[k] = d.lift(m)
		d.toRaw(models[k], st, k)
	}
	bestK, bestAcc := choose(val, models)
	best, bestLambda := models[bestK], c.Lambdas[bestK]
	acc := best.Accuracy(test)
	r := Result{
		Latent: t.latent, Level: e.m.Level(t.latent), Features: t.name, Dim: t.dim, Subtree: t.subtree,
		Lambda: bestLambda, ValAcc: bestAcc, Accuracy: acc,
		StdErr:  math.Sqrt(acc * (1 - acc) / float64(c.Test)),
		Ceiling: e.all[t.latent], CeilingSE: e.allSE[t.latent], Exact: e.exactAll[t.latent],
	}
	if t.subtree {
		r.Ceiling, r.CeilingSE, r.Exact = e.sub[t.latent], e.subSE[t.latent], e.exactSub[t.latent]
	}
	return r, nil
}
