package lineval

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/nn"
)

func randomModel(t testing.TB, depth, children int, seed uint64) *hltm.Model {
	rnd := rand.New(rand.NewPCG(seed, 9))
	nodes, _ := hltm.NumNodesFor(depth, children)
	m, err := hltm.New(depth, children, hltm.RandomPolarities(rnd, nodes-1, 0.3, 0.9, false))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// bruteCeiling sums the joint distribution of every node (2^nodes states)
// directly from the edge tables: P(x_S) and P(z_μ = 1, x_S) for every
// configuration of the leaves S, then Σ_x max(P(z=1,x), P(z=0,x)).
func bruteCeiling(m *hltm.Model, mu int, subtree bool) float64 {
	n, nl := m.NumNodes(), m.NumLatents()
	under := func(leaf int) bool { // is leaf below mu?
		for v := leaf; v >= 0; v = m.Parent(v) {
			if v == mu {
				return true
			}
		}
		return false
	}
	joint := map[uint64]*[2]float64{}
	for s := uint64(0); s < 1<<n; s++ {
		p := 0.5
		for v := 1; v < n; v++ {
			same := (s>>v)&1 == (s>>m.Parent(v))&1
			q := (1 + m.Polarity(v)) / 2
			if !same {
				q = 1 - q
			}
			p *= q
		}
		key := uint64(0)
		for v := nl; v < n; v++ {
			if !subtree || under(v) {
				key = key<<1 | (s>>v)&1
			}
		}
		if joint[key] == nil {
			joint[key] = &[2]float64{}
		}
		joint[key][(s>>mu)&1] += p
	}
	acc := 0.0
	for _, j := range joint {
		acc += math.Max(j[0], j[1])
	}
	return acc
}

// TestExactCeilingAgainstEnumeration: message passing against the full
// joint distribution, for every latent of small trees, both leaf sets.
func TestExactCeilingAgainstEnumeration(t *testing.T) {
	for _, c := range []struct{ depth, kids int }{{2, 2}, {3, 2}, {2, 3}, {1, 4}} {
		m := randomModel(t, c.depth, c.kids, uint64(10*c.depth+c.kids))
		for mu := 0; mu < m.NumLatents(); mu++ {
			for _, sub := range []bool{false, true} {
				got, err := ExactCeiling(m, mu, sub)
				if err != nil {
					t.Fatal(err)
				}
				want := bruteCeiling(m, mu, sub)
				if math.Abs(got-want) > 1e-12 {
					t.Fatalf("depth %d, %d children, node %d, subtree %v: %v, enumeration %v", c.depth, c.kids, mu, sub, got, want)
				}
				if got < 0.5-1e-12 || got > 1+1e-12 {
					t.Fatalf("ceiling %v outside [½, 1]", got)
				}
			}
		}
	}
	// Polarity 1 everywhere: every leaf copies the root, the ceiling is 1.
	pol := make([]float64, 6)
	for i := range pol {
		pol[i] = 1
	}
	m, _ := hltm.New(2, 2, pol)
	if got, _ := ExactCeiling(m, 1, true); math.Abs(got-1) > 1e-15 {
		t.Fatalf("copying tree: ceiling %v, want 1", got)
	}
}

// TestSampleCeiling: the mean of max(p, 1−p) over samples estimates the
// exact ceiling (|difference| < 4 standard errors, a 6e-5 false alarm
// rate per comparison).
func TestSampleCeiling(t *testing.T) {
	m := randomModel(t, 3, 2, 4)
	const n = 20000
	z := make([]int8, n*m.NumNodes())
	x := make([]float64, n*m.NumLeaves())
	m.SampleRows(1, 0, n, z, x, 1)
	all, allSE, sub, subSE := bayesStats(m, x, n)
	for mu := 0; mu < m.NumLatents(); mu++ {
		ea, _ := ExactCeiling(m, mu, false)
		es, _ := ExactCeiling(m, mu, true)
		if math.Abs(all[mu]-ea) > 4*allSE[mu] || math.Abs(sub[mu]-es) > 4*subSE[mu] {
			t.Fatalf("node %d: sample %v±%v %v±%v, exact %v %v", mu, all[mu], allSE[mu], sub[mu], subSE[mu], ea, es)
		}
	}
}

// TestFitOptimum: at the fitted parameters the gradient of the objective
// vanishes, and merging identical rows does not change the optimum.
func TestFitOptimum(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 3))
	const n, dim = 400, 3
	x := make([]float64, n*dim)
	y := make([]int8, n)
	for i := 0; i < n; i++ {
		s := 0.0
		for j := 0; j < dim; j++ {
			v := float64(rnd.IntN(3)) // few distinct rows
			x[i*dim+j] = v
			s += v * float64(j-1)
		}
		if rnd.Float64() < 1/(1+math.Exp(-s)) {
			y[i] = 1
		}
	}
	merged := Compress(x, y, dim)
	if merged.Rows() > 27 {
		t.Fatalf("%d distinct rows of 27 possible", merged.Rows())
	}
	plain := &Data{D: dim, X: x, N: n}
	for i := 0; i < n; i++ {
		plain.Count0 = append(plain.Count0, float64(1-y[i]))
		plain.Count1 = append(plain.Count1, float64(y[i]))
	}
	for _, lambda := range []float64{1e-3, 0.1} {
		a, err := Fit(merged, lambda, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Fit(plain, lambda, nil)
		if err != nil {
			t.Fatal(err)
		}
		o := newObjective(plain, lambda)
		g := make([]float64, dim+1)
		o.Grad(g, append(append([]float64(nil), a.W...), a.B))
		for j, v := range g {
			if math.Abs(v) > 10*GradTol {
				t.Fatalf("λ %v: gradient %d at the optimum is %v", lambda, j, v)
			}
		}
		for j := range a.W {
			if math.Abs(a.W[j]-b.W[j]) > 1e-5 {
				t.Fatalf("λ %v: merged rows give w %v, plain %v", lambda, a.W, b.W)
			}
		}
	}
}

// leafCopyNet is a tree network whose lowest latents' neurons copy their
// leaves (hid = children, identity weights): its node features are the
// leaves under the node, on which the Bayes classifier is linear (the
// children are independent given z_μ), so logistic regression must reach
// the subtree ceiling.
func leafCopyNet(depth, kids int) *nn.Network {
	n := nn.NewTree(depth, kids, kids, false)
	for bi := range n.Layers[0].Blocks {
		b := &n.Layers[0].Blocks[bi]
		for k := 0; k < kids; k++ {
			b.W[k*kids+k] = 1
		}
	}
	return n
}

func samples(m *hltm.Model, n int, seed uint64) ([]float64, []int8) {
	z := make([]int8, n*m.NumNodes())
	x := make([]float64, n*m.NumLeaves())
	m.SampleRows(seed, 0, n, z, x, 1)
	return x, z
}

// TestEvaluateReachesCeiling: on leaf-copying node features the held-out
// accuracy matches the subtree ceiling within 4 standard errors, and no
// feature set of a random network beats its ceiling by more than that.
func TestEvaluateReachesCeiling(t *testing.T) {
	m := randomModel(t, 3, 2, 7)
	x, z := samples(m, 9000, 2)
	cfg := Config{Train: 3000, Val: 1000, Test: 5000, Threads: 2}
	e, err := NewEvaluator(m, x, z, cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Evaluate(leafCopyNet(3, 2))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, r := range res {
		if r.Features == FeatNode && r.Level == m.Depth()-1 {
			checked++
			if !r.Subtree || math.IsNaN(r.Exact) {
				t.Fatalf("node features of a lowest latent: subtree %v, exact %v", r.Subtree, r.Exact)
			}
			se := math.Hypot(r.StdErr, r.CeilingSE)
			if math.Abs(r.Accuracy-r.Ceiling) > 4*se {
				t.Fatalf("latent %d: accuracy %v, ceiling %v ± %v", r.Latent, r.Accuracy, r.Ceiling, se)
			}
		}
	}
	if checked != 4 {
		t.Fatalf("%d lowest-latent node results, want 4", checked)
	}
	net := nn.NewTree(3, 2, 6, true)
	net.Init(rand.New(rand.NewPCG(1, 1)), 1)
	res, err = e.Evaluate(net)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3*m.NumLatents() {
		t.Fatalf("%d results, want %d", len(res), 3*m.NumLatents())
	}
	for _, r := range res {
		if r.Accuracy > r.Ceiling+4*math.Hypot(r.StdErr, r.CeilingSE) {
			t.Fatalf("latent %d, %s: accuracy %v above the ceiling %v", r.Latent, r.Features, r.Accuracy, r.Ceiling)
		}
		if r.Accuracy < 0.4 {
			t.Fatalf("latent %d, %s: accuracy %v below chance", r.Latent, r.Features, r.Accuracy)
		}
	}
}

// TestEvaluateDeterministic: the same results whatever the threads.
func TestEvaluateDeterministic(t *testing.T) {
	m := randomModel(t, 2, 3, 5)
	x, z := samples(m, 1500, 3)
	net := nn.NewTree(2, 3, 4, true)
	net.Init(rand.New(rand.NewPCG(2, 2)), 1)
	var prev []Result
	for _, th := range []int{1, 3} {
		e, err := NewEvaluator(m, x, z, Config{Train: 600, Val: 300, Test: 600, Threads: th})
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Evaluate(net)
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil && !reflect.DeepEqual(prev, res) {
			t.Fatal("results depend on the number of threads")
		}
		prev = res
	}
}

func TestConfigErrors(t *testing.T) {
	m := randomModel(t, 2, 2, 1)
	x, z := samples(m, 100, 1)
	for _, cfg := range []Config{
		{Train: 50, Val: 30, Test: 30},
		{Train: 1, Val: 1, Test: 1},
		{Train: 10, Val: 10, Test: 10, Lambdas: []float64{math.NaN()}},
		{Train: 10, Val: 10, Test: 10, Features: []string{"leaves"}},
		{Train: 10, Val: 10, Test: 10, Latents: []int{3}},
	} {
		if _, err := NewEvaluator(m, x, z, cfg); err == nil {
			t.Errorf("%+v: accepted", cfg)
		}
	}
}

// TestEvaluateMLP: an MLP's feature sets are its output and each hidden
// layer, all seeing every leaf (no node set), and none beats its ceiling.
// A first layer that copies the leaves gives a linear classifier on the
// leaves themselves, which on this depth-2 tree matches the Bayes
// decision up to the test's noise (the posterior log-odds are a sum over
// the subtrees, each a function of two leaves; the sign, not the exact
// log-odds, decides).
func TestEvaluateMLP(t *testing.T) {
	m := randomModel(t, 2, 2, 8)
	x, z := samples(m, 6000, 5)
	e, err := NewEvaluator(m, x, z, Config{Train: 2000, Val: 1000, Test: 3000})
	if err != nil {
		t.Fatal(err)
	}
	net := nn.NewMLP(4, []int{4, 3}, false)
	net.Init(rand.New(rand.NewPCG(4, 4)), 1)
	w := net.Layers[0].Blocks[0].W
	for i := range w {
		w[i] = 0
	}
	for i := 0; i < 4; i++ {
		w[i*4+i] = 1 // layer 1 copies the leaves
	}
	res, err := e.Evaluate(net)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range res {
		names = append(names, r.Features)
		if r.Subtree || math.IsNaN(r.Exact) {
			t.Fatalf("latent %d, %s: an MLP's features see every leaf (subtree %v, exact %v)", r.Latent, r.Features, r.Subtree, r.Exact)
		}
		if r.Accuracy > r.Ceiling+4*math.Hypot(r.StdErr, r.CeilingSE) {
			t.Fatalf("latent %d, %s: accuracy %v above the ceiling %v", r.Latent, r.Features, r.Accuracy, r.Ceiling)
		}
		if r.Features == "layer1" && math.Abs(r.Accuracy-r.Ceiling) > 4*math.Hypot(r.StdErr, r.CeilingSE) {
			t.Fatalf("latent %d: the leaves themselves give %v, ceiling %v", r.Latent, r.Accuracy, r.Ceiling)
		}
	}
	if got := strings.Join(names, " "); got != "root layer1 root layer1 root layer1" {
		t.Fatalf("feature sets %q", got)
	}
}

// TestReducedFitIsFullOptimum: on a tree's lowest level set (each node's
// block a function of its two leaves, so the rows span few directions),
// the fit on the rows' coordinates in the span, lifted back, is the
// optimum of the full problem: its full gradient vanishes and it matches
// Newton on every feature.
func TestReducedFitIsFullOptimum(t *testing.T) {
	m := randomModel(t, 3, 2, 5)
	x, z := samples(m, 900, 5)
	net := nn.NewTree(3, 2, 10, true)
	net.Init(rand.New(rand.NewPCG(5, 6)), 1)
	e, err := NewEvaluator(m, x, z, Config{Train: 600, Val: 150, Test: 150, Features: []string{FeatLevel}})
	if err != nil {
		t.Fatal(err)
	}
	e.act.Batch = 0
	net.Forward(e.x, e.n, &e.act)
	L := len(net.Layers)
	var d design
	d.build(e, e.act.F[1], net.Layers[0].OutDim, 0, net.Layers[0].OutDim, e.grouping(-1))
	if d.basis == nil || d.rank > 4*3 {
		t.Fatalf("level-2 features (4 nodes × 10, each of 2 leaves): rank %d, want ≤ 12 with a basis", d.rank)
	}
	mu := m.NumLatents() - 1 // a lowest latent
	if m.Level(mu) != L-1 {
		t.Fatalf("latent %d is on level %d, want %d", mu, m.Level(mu), L-1)
	}
	y := e.labels(mu, 0, 600)
	full := Counted(d.rows[0], d.dim, d.rowOf[0], y)
	red := Counted(d.reduced, d.rank, d.rowOf[0], y)
	for _, lambda := range []float64{1, 1e-3} {
		r, err := Fit(red, lambda, nil)
		if err != nil {
			t.Fatal(err)
		}
		lifted := d.lift(r)
		o := newObjective(full, lambda)
		g := make([]float64, d.dim+1)
		o.Grad(g, append(append([]float64(nil), lifted.W...), lifted.B))
		if infNorm(g) > 10*GradTol {
			t.Fatalf("λ %v: full gradient at the lifted optimum %v", lambda, infNorm(g))
		}
		f, err := Fit(full, lambda, nil)
		if err != nil {
			t.Fatal(err)
		}
		for j := range f.W {
			if math.Abs(f.W[j]-lifted.W[j]) > 1e-4*(1+math.Abs(f.W[j])) {
				t.Fatalf("λ %v: w[%d] full %v, lifted %v", lambda, j, f.W[j], lifted.W[j])
			}
		}
	}
}

// TestWarmStartFit: a fit started from another point (the optimum at
// another λ, or a poor guess) reaches the cold fit's optimum.
func TestWarmStartFit(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 9))
	const n, dim = 800, 20
	x := make([]float64, n*dim)
	y := make([]int8, n)
	for i := 0; i < n; i++ {
		s := 0.0
		for j := 0; j < dim; j++ {
			v := rnd.NormFloat64()
			x[i*dim+j] = v
			s += v * float64(j%3-1)
		}
		if rnd.Float64() < 1/(1+math.Exp(-2*s)) {
			y[i] = 1
		}
	}
	d := Compress(x, y, dim)
	far := &Model{W: make([]float64, dim), B: 3}
	for j := range far.W {
		far.W[j] = rnd.NormFloat64()
	}
	for _, lambda := range []float64{1, 1e-2, 1e-3} {
		cold, err := Fit(d, lambda, nil)
		if err != nil {
			t.Fatal(err)
		}
		other, err := Fit(d, lambda*10, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, start := range []*Model{other, far} {
			pa := newPath(d)
			for _, alt := range []*Model{start, nil} {
				warm, err := pa.fit(lambda, start, alt)
				if err != nil {
					t.Fatal(err)
				}
				for j := range cold.W {
					if math.Abs(warm.W[j]-cold.W[j]) > 1e-5*(1+math.Abs(cold.W[j])) {
						t.Fatalf("λ %v: warm w[%d] = %v, cold %v", lambda, j, warm.W[j], cold.W[j])
					}
				}
				if math.Abs(warm.B-cold.B) > 1e-5*(1+math.Abs(cold.B)) {
					t.Fatalf("λ %v: warm b = %v, cold %v", lambda, warm.B, cold.B)
				}
			}
		}
	}
}

// TestEvaluateWarmMatchesCold: an Evaluator that has seen earlier
// networks (its fits start from their solutions) gives the results of a
// fresh one, up to one test sample where a score sits at the solver's
// tolerance from 0, and its results do not depend on the threads.
func TestEvaluateWarmMatchesCold(t *testing.T) {
	m := randomModel(t, 3, 2, 11)
	x, z := samples(m, 3000, 4)
	cfg := Config{Train: 1000, Val: 500, Test: 1500}
	nets := make([]*nn.Network, 3)
	for k := range nets {
		nets[k] = nn.NewTree(3, 2, 6, true)
		nets[k].Init(rand.New(rand.NewPCG(3, 3)), 1)
		// Later networks drift from the first, as training does.
		r := rand.New(rand.NewPCG(4, uint64(k)))
		for _, l := range nets[k].Layers {
			for bi := range l.Blocks {
				for i := range l.Blocks[bi].W {
					l.Blocks[bi].W[i] += 0.2 * float64(k) * r.NormFloat64()
				}
			}
		}
	}
	var warm [][]Result
	for _, th := range []int{1, 3} {
		cfg.Threads = th
		e, err := NewEvaluator(m, x, z, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var all []Result
		for _, net := range nets {
			res, err := e.Evaluate(net)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, res...)
		}
		warm = append(warm, all)
	}
	if !reflect.DeepEqual(warm[0], warm[1]) {
		t.Fatal("warm-started results depend on the number of threads")
	}
	last := warm[0][len(warm[0])-len(warm[0])/3:]
	e, err := NewEvaluator(m, x, z, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cold, err := e.Evaluate(nets[2])
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for i, c := range cold {
		w := last[i]
		if w.Latent != c.Latent || w.Features != c.Features {
			t.Fatalf("result %d: %d %s, cold %d %s", i, w.Latent, w.Features, c.Latent, c.Features)
		}
		if math.Abs(w.Accuracy-c.Accuracy) > 1.5/float64(cfg.Test) {
			t.Fatalf("latent %d, %s: warm accuracy %v (λ %v), cold %v (λ %v)", c.Latent, c.Features, w.Accuracy, w.Lambda, c.Accuracy, c.Lambda)
		}
		if w == c {
			same++
		}
	}
	if same < len(cold)*9/10 {
		t.Fatalf("only %d of %d warm results equal the cold ones", same, len(cold))
	}
}

// TestChooseTieBreak: the validation accuracy picks the model; among
// models of equal accuracy the lower log-loss wins, and among models equal
// in both the first.
func TestChooseTieBreak(t *testing.T) {
	// One feature; rows −1 (label 0), 1 and 2 (label 1).
	val := Counted([]float64{-1, 1, 2}, 1, []int32{0, 1, 2}, []int8{0, 1, 1})
	weak := &Model{W: []float64{1}}          // every row right, small margins
	strong := &Model{W: []float64{10}}       // every row right, lower log-loss
	wrong := &Model{W: []float64{-1}}        // every row wrong
	half := &Model{W: []float64{1}, B: -1.5} // row 1 wrong: accuracy 2/3
	lucky := &Model{W: []float64{0.01}}      // every row right, the highest log-loss
	for _, c := range []struct {
		ms   []*Model
		want int
		acc  float64
	}{
		{[]*Model{weak, strong}, 1, 1},
		{[]*Model{strong, weak}, 0, 1},
		{[]*Model{wrong, half, lucky, weak, strong, strong}, 4, 1},
		{[]*Model{half, wrong}, 0, 2.0 / 3},
		{[]*Model{lucky, half}, 0, 1},
	} {
		if k, acc := choose(val, c.ms); k != c.want || acc != c.acc {
			t.Errorf("choose(%v) = %d (accuracy %v), want %d (%v)", c.ms, k, acc, c.want, c.acc)
		}
	}
}
