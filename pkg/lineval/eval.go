package lineval

import (
	"errors"
	"fmt"
	"math"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/par"
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
	subtree  bool
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
// Config.Features; an MLP's level set expands to every hidden layer). It
// is not safe for concurrent use (it reuses one forward pass's buffers).
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
	designs := map[[3]int]*design{}
	var keys [][3]int
	for _, t := range ts {
		k := [3]int{t.layer, t.off, t.dim}
		if designs[k] == nil {
			designs[k] = &design{}
			keys = append(keys, k)
		}
	}
	threads := max(1, e.cfg.Threads)
	par.For(len(keys), threads, func(_, i int) {
		k := keys[i]
		designs[k].build(e, acts[k[0]], net.Layers[k[0]-1].OutDim, k[1], k[2])
	})
	res := make([]Result, len(ts))
	errs := make([]error, len(ts))
	par.For(len(ts), threads, func(_, i int) {
		t := ts[i]
		res[i], errs[i] = e.fit(designs[[3]int{t.layer, t.off, t.dim}], t)
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// design is one block of feature columns over the three splits: the
// distinct rows, standardised with the training split's moments, and
// each sample's row.
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
	train := Counted(d.rows[0], d.dim, d.rowOf[0], make([]int8, len(d.rowOf[0])))
	g := mat.NewSymDense(d.dim, nil)
	for u := 0; u < train.Rows(); u++ {
		row := mat.NewVecDense(d.dim, train.X[u*d.dim:(u+1)*d.dim])
		g.SymRankOne(g, train.Count0[u]/train.N, row)
	}
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

func (d *design) build(e *Evaluator, act []float64, width, off, dim int) {
	d.dim = dim
	c := e.cfg
	bounds := [4]int{0, c.Train, c.Train + c.Val, e.n}
	x := make([]float64, 0, c.Train*dim)
	for k := 0; k < 3; k++ {
		x = x[:0]
		for s := bounds[k]; s < bounds[k+1]; s++ {
			x = append(x, act[s*width+off:][:dim]...)
		}
		d.rows[k], d.rowOf[k] = Distinct(x, dim)
	}
	// The scaler weighs each distinct row by its count: labels do not
	// matter for the moments.
	sc := NewScaler(Counted(d.rows[0], dim, d.rowOf[0], make([]int8, len(d.rowOf[0]))))
	for k := 0; k < 3; k++ {
		sc.Apply(&Data{D: dim, X: d.rows[k], Count0: make([]float64, len(d.rows[k])/dim)})
	}
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

func (e *Evaluator) fit(d *design, t task) (Result, error) {
	c := e.cfg
	train := Counted(d.rows[0], d.dim, d.rowOf[0], e.labels(t.latent, 0, c.Train))
	if d.basis != nil {
		train = Counted(d.reduced, d.rank, d.rowOf[0], e.labels(t.latent, 0, c.Train))
	}
	val := Counted(d.rows[1], d.dim, d.rowOf[1], e.labels(t.latent, c.Train, c.Train+c.Val))
	test := Counted(d.rows[2], d.dim, d.rowOf[2], e.labels(t.latent, c.Train+c.Val, e.n))
	var best, prev *Model
	var cache hessCache
	bestLambda, bestAcc, bestLoss := 0.0, -1.0, math.Inf(1)
	for _, lambda := range c.Lambdas {
		m, err := fitWith(train, lambda, prev, &cache)
		if err != nil {
			return Result{}, fmt.Errorf("%w (latent %d, %s features, λ = %g)", err, t.latent, t.name, lambda)
		}
		prev = m
		m = d.lift(m)
		// The log-loss only breaks ties: compute it only then.
		acc, loss := m.Accuracy(val), math.Inf(1)
		if acc == bestAcc {
			_, loss = m.Eval(val)
			if bestLoss == math.Inf(1) {
				_, bestLoss = best.Eval(val)
			}
		}
		if acc > bestAcc || (acc == bestAcc && loss < bestLoss) {
			best, bestLambda, bestAcc, bestLoss = m, lambda, acc, loss
		}
	}
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
