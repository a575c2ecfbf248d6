package probe

import (
	"errors"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/rng"
)

// samples draws n samples of m: z (n×NumNodes) and x (n×NumLeaves).
func samples(m *hltm.Model, seed uint64, n int) ([]int8, []float64) {
	rnd := rng.New(seed, rng.Sample, 0)
	nn, nleaf := m.NumNodes(), m.NumLeaves()
	z, x := make([]int8, n*nn), make([]float64, n*nleaf)
	for s := 0; s < n; s++ {
		m.Sample(rnd, z[s*nn:(s+1)*nn])
		m.Leaves(z[s*nn:(s+1)*nn], x[s*nleaf:(s+1)*nleaf])
	}
	return z, x
}

func model(t testing.TB, depth, children int, lower float64, seed uint64) *hltm.Model {
	n, _ := hltm.NumNodesFor(depth, children)
	m, err := hltm.New(depth, children, hltm.RandomPolarities(rng.New(seed, rng.Tree, 0), n-1, lower, 1, false))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// snapshots returns k randomly initialised copies of net (different seeds).
func snapshots(net *nn.Network, k int, bias bool) []*nn.Network {
	var out []*nn.Network
	for i := 0; i < k; i++ {
		c := net.Clone()
		c.Bias = bias
		c.Init(rng.New(uint64(10+i), rng.Init, 0), 1)
		out = append(out, c)
	}
	return out
}

// direct computes every snapshot's correlations the plain way: one
// nn.Forward over all samples, then gonum's stat.Correlation per
// (latent, neuron), 0/0 as 0.
func direct(m *hltm.Model, net *nn.Network, z []int8, x []float64) (corr func(layer, neuron, mu int) float64) {
	nn := m.NumNodes()
	n := len(z) / nn
	var a nnActs
	net.Forward(x, n, &a.Activations)
	zs := make([][]float64, m.NumLatents())
	for mu := range zs {
		zs[mu] = make([]float64, n)
		for s := 0; s < n; s++ {
			zs[mu][s] = float64(z[s*nn+mu])
		}
	}
	return func(layer, neuron, mu int) float64 {
		od := net.Layers[layer].OutDim
		h := make([]float64, n)
		for s := range h {
			h[s] = a.H[layer+1][s*od+neuron]
		}
		constant := true
		for _, v := range h {
			constant = constant && v == h[0]
		}
		if constant { // 0/0; gonum returns rounding noise or ±Inf here
			return 0
		}
		return stat.Correlation(zs[mu], h, nil)
	}
}

type nnActs struct{ nn.Activations }

// run probes nets on (z, x), adding the samples in pieces of the given
// sizes (cycled), with the given threads and tabulation switch.
func run(t testing.TB, m *hltm.Model, nets []*nn.Network, z []int8, x []float64, pieces []int, threads int, tables bool) *Result {
	return runBatch(t, m, nets, z, x, pieces, threads, tables, 0)
}

func runBatch(t testing.TB, m *hltm.Model, nets []*nn.Network, z []int8, x []float64, pieces []int, threads int, tables bool, batch int) *Result {
	p, err := newProber(m, nets, Options{Threads: threads}, switches{noTables: !tables, batch: batch})
	if err != nil {
		t.Fatal(err)
	}
	nn, nleaf := m.NumNodes(), m.NumLeaves()
	n := len(z) / nn
	for s, i := 0, 0; s < n; i++ {
		k := min(n-s, pieces[i%len(pieces)])
		if err := p.Add(z[s*nn:(s+k)*nn], x[s*nleaf:(s+k)*nleaf]); err != nil {
			t.Fatal(err)
		}
		s += k
	}
	r, err := p.Result()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkDirect compares every correlation of r with the direct computation.
func checkDirect(t *testing.T, m *hltm.Model, nets []*nn.Network, z []int8, x []float64, r *Result) {
	t.Helper()
	worst := 0.0
	for si, net := range nets {
		corr := direct(m, net, z, x)
		for mu, nr := range r.Snapshots[si].Nodes {
			if nr.Node != mu {
				t.Fatalf("node %d at index %d", nr.Node, mu)
			}
			for _, lr := range nr.Layers {
				for k, got := range lr.Corr {
					want := corr(lr.Layer-1, lr.Offset+k, mu)
					worst = max(worst, math.Abs(got-want))
					if math.Abs(got-want) > 1e-12 {
						t.Fatalf("snapshot %d node %d layer %d neuron %d: %v, direct %v", si, mu, lr.Layer, lr.Offset+k, got, want)
					}
				}
			}
		}
	}
	t.Logf("largest difference from gonum: %.2g", worst)
}

func TestTreeMatchesDirect(t *testing.T) {
	m := model(t, 4, 2, 0.6, 1)
	nets := snapshots(nn.NewTree(4, 2, 3, true), 3, true)
	n := 3*chunkBatches*BatchSize/2 + 77 // a partial chunk and a short batch
	z, x := samples(m, 2, n)
	for _, tables := range []bool{true, false} {
		r := run(t, m, nets, z, x, []int{1000, 3, 4096, 250}, 2, tables)
		if r.Samples != n || r.Arch != nn.ArchTree {
			t.Fatalf("samples %d arch %s", r.Samples, r.Arch)
		}
		for _, nr := range r.Snapshots[0].Nodes {
			if len(nr.Layers) != 1 || nr.Layers[0].Layer != 4-m.Level(nr.Node) || len(nr.Layers[0].Corr) != 3 {
				t.Fatalf("node %d: layers %+v", nr.Node, nr.Layers)
			}
		}
		checkDirect(t, m, nets, z, x, r)
	}
	// Odd batch sizes (wide networks get smaller batches), including one.
	for _, batch := range []int{1, 7} {
		r := runBatch(t, m, nets, z[:300*m.NumNodes()], x[:300*m.NumLeaves()], []int{64}, 2, true, batch)
		checkDirect(t, m, nets, z[:300*m.NumNodes()], x[:300*m.NumLeaves()], r)
	}
}

// TestTreeShapesMatchDirect covers other branchings: ternary (two
// tabulated layers of 3 and 9 leaves), a chain (every layer tabulated) and
// a wide single layer (no layer tabulated).
func TestTreeShapesMatchDirect(t *testing.T) {
	for _, tc := range []struct{ depth, children int }{{3, 3}, {3, 1}, {1, 12}} {
		m := model(t, tc.depth, tc.children, 0.5, 21)
		nets := snapshots(nn.NewTree(tc.depth, tc.children, 3, true), 2, true)
		z, x := samples(m, 22, 2*BatchSize+5)
		for _, tables := range []bool{true, false} {
			r := run(t, m, nets, z, x, []int{300}, 2, tables)
			checkDirect(t, m, nets, z, x, r)
		}
	}
}

// TestTreeNonBinaryLeaves mixes batches whose leaves are not all 0/1 (they
// bypass the tables) with ordinary ones.
func TestTreeNonBinaryLeaves(t *testing.T) {
	m := model(t, 3, 2, 0.6, 5)
	nets := snapshots(nn.NewTree(3, 2, 4, false), 2, false)
	n := 5*BatchSize + 9
	z, x := samples(m, 6, n)
	for s := 0; s < n; s++ {
		if (s/BatchSize)%2 == 1 && s%7 == 0 {
			x[s*m.NumLeaves()] = 0.25 + float64(s%3)
		}
	}
	r := run(t, m, nets, z, x, []int{n}, 3, true)
	checkDirect(t, m, nets, z, x, r)
}

func TestMLPMatchesDirect(t *testing.T) {
	m := model(t, 3, 2, 0.7, 7)
	nets := snapshots(nn.NewMLP(m.NumLeaves(), []int{6, 5, 3}, true), 2, true)
	n := 2*BatchSize + 31
	z, x := samples(m, 8, n)
	r := run(t, m, nets, z, x, []int{100}, 2, true)
	for _, nr := range r.Snapshots[1].Nodes {
		if len(nr.Layers) != 3 || nr.Ceiling != r.AllCeiling[nr.Node] {
			t.Fatalf("node %d: %d layers, ceiling %v", nr.Node, len(nr.Layers), nr.Ceiling)
		}
		best := 0.0
		for _, lr := range nr.Layers {
			best = max(best, lr.BestAbs)
		}
		if nr.BestAbs != best || nr.Layers[nr.Best].BestAbs != best {
			t.Fatalf("node %d: best %v, want %v", nr.Node, nr.BestAbs, best)
		}
	}
	checkDirect(t, m, nets, z, x, r)
}

// TestDeterministic checks that neither the thread count nor the way the
// samples are split changes a single bit.
func TestDeterministic(t *testing.T) {
	m := model(t, 4, 2, 0.7, 9)
	z, x := samples(m, 10, 2*chunkBatches*BatchSize+500)
	for _, nets := range [][]*nn.Network{
		snapshots(nn.NewTree(4, 2, 2, true), 4, true),
		snapshots(nn.NewMLP(m.NumLeaves(), []int{5, 3}, true), 2, true),
	} {
		deterministic(t, m, nets, z, x)
	}
}

func deterministic(t *testing.T, m *hltm.Model, nets []*nn.Network, z []int8, x []float64) {
	a := run(t, m, nets, z, x, []int{len(z)}, 1, true)
	for _, tc := range []struct {
		pieces  []int
		threads int
	}{{[]int{1, 999, 17}, 2}, {[]int{4096}, 5}} {
		b := run(t, m, nets, z, x, tc.pieces, tc.threads, true)
		for si := range a.Snapshots {
			for mu := range a.Snapshots[si].Nodes {
				for l := range a.Snapshots[si].Nodes[mu].Layers {
					ca, cb := a.Snapshots[si].Nodes[mu].Layers[l].Corr, b.Snapshots[si].Nodes[mu].Layers[l].Corr
					for k := range ca {
						if ca[k] != cb[k] {
							t.Fatalf("threads %d: snapshot %d node %d layer %d neuron %d: %v vs %v", tc.threads, si, mu, l+1, k, cb[k], ca[k])
						}
					}
				}
			}
		}
		for mu := range a.SubtreeCeiling {
			if a.SubtreeCeiling[mu] != b.SubtreeCeiling[mu] || a.AllCeiling[mu] != b.AllCeiling[mu] {
				t.Fatalf("ceiling of node %d changed", mu)
			}
		}
	}
}

// TestCeilings checks the ceilings against the posterior means correlated
// directly with gonum, and the all-polarities-1 tree, where every leaf
// copies every latent: the ceiling is exactly 1.
func TestCeilings(t *testing.T) {
	m := model(t, 3, 3, 0.5, 11)
	net := nn.NewTree(3, 3, 2, true)
	z, x := samples(m, 12, 3000)
	r := run(t, m, []*nn.Network{net}, z, x, []int{512}, 2, true)
	nn_, nl, nleaf := m.NumNodes(), m.NumLatents(), m.NumLeaves()
	post := NewPosterior(m)
	n := len(z) / nn_
	zs, sub, all := make([][]float64, nl), make([][]float64, nl), make([][]float64, nl)
	for s := 0; s < n; s++ {
		post.Compute(x[s*nleaf : (s+1)*nleaf])
		for mu := 0; mu < nl; mu++ {
			zs[mu] = append(zs[mu], float64(z[s*nn_+mu]))
			sub[mu] = append(sub[mu], post.Subtree[mu])
			all[mu] = append(all[mu], post.All[mu])
		}
	}
	for mu := 0; mu < nl; mu++ {
		ws, wa := stat.Correlation(zs[mu], sub[mu], nil), stat.Correlation(zs[mu], all[mu], nil)
		if math.Abs(r.SubtreeCeiling[mu]-ws) > 1e-12 || math.Abs(r.AllCeiling[mu]-wa) > 1e-12 {
			t.Fatalf("node %d: ceilings %v %v, direct %v %v", mu, r.SubtreeCeiling[mu], r.AllCeiling[mu], ws, wa)
		}
		// Conditioning on more leaves cannot hurt in the population; a
		// sample correlation on n = 3000 has standard error (1−ρ²)/√n <
		// 0.019, so 0.02 allows about one standard error of the difference
		// of these two strongly dependent estimates.
		if mu == 0 && math.Abs(r.AllCeiling[0]-r.SubtreeCeiling[0]) > 1e-12 {
			t.Fatalf("root: every leaf is under it, yet ceilings %v and %v", r.AllCeiling[0], r.SubtreeCeiling[0])
		}
		if r.AllCeiling[mu] < r.SubtreeCeiling[mu]-0.02 {
			t.Fatalf("node %d: all-leaves ceiling %v below subtree ceiling %v", mu, r.AllCeiling[mu], r.SubtreeCeiling[mu])
		}
	}
	ones, _ := hltm.New(3, 2, []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
	z, x = samples(ones, 13, 500)
	r = run(t, ones, []*nn.Network{nn.NewTree(3, 2, 1, false)}, z, x, []int{500}, 1, true)
	for mu := range r.SubtreeCeiling {
		if math.Abs(r.SubtreeCeiling[mu]-1) > 1e-12 || math.Abs(r.AllCeiling[mu]-1) > 1e-12 {
			t.Fatalf("polarities 1: node %d ceilings %v %v, want 1", mu, r.SubtreeCeiling[mu], r.AllCeiling[mu])
		}
	}
}

// TestCopyNetworkScoresOne hand-builds a tree network whose first neuron of
// node 1's group is 2·(first leaf under node 1) − 1. With every polarity
// under node 1 equal to 1 that leaf is z₁, so best(1) = 1, the ceiling is
// 1 and the recovered fraction is 1.
func TestCopyNetworkScoresOne(t *testing.T) {
	pol := hltm.RandomPolarities(rng.New(14, rng.Tree, 0), 14, 0.6, 0.9, false)
	for _, nu := range []int{3, 4, 7, 8, 9, 10} { // node 1's subtree
		pol[nu-1] = 1
	}
	m, _ := hltm.New(3, 2, pol)
	net := nn.NewTree(3, 2, 2, true)
	// Layer 1 block 0 (node 3) copies leaf x0 into neuron 0; layer 2 block 0
	// (node 1) maps ReLU(neuron 0 of node 3) = x0 to 2·x0 − 1.
	net.Layers[0].Blocks[0].W[0] = 1
	net.Layers[1].Blocks[0].W[0] = 2
	net.Layers[1].Blocks[0].B[0] = -1
	z, x := samples(m, 15, 1000)
	r := run(t, m, []*nn.Network{net}, z, x, []int{1000}, 2, true)
	nr := r.Snapshots[0].Nodes[1]
	if math.Abs(nr.BestAbs-1) > 1e-12 || nr.Layers[0].BestNeuron != 0 || math.Abs(nr.Ceiling-1) > 1e-12 || math.Abs(nr.Fraction-1) > 1e-12 {
		t.Fatalf("copy of z1: %+v", nr)
	}
	if nr3 := r.Snapshots[0].Nodes[3]; math.Abs(nr3.BestAbs-1) > 1e-12 {
		t.Fatalf("copy of z3: best %v", nr3.BestAbs)
	}
	lv := r.Levels(m, 0)
	if len(lv) != 3 || lv[0].DepthIndex != 3 || lv[2].Nodes != 4 || lv[1].Level != 1 {
		t.Fatalf("levels %+v", lv)
	}
	if want := (r.Snapshots[0].Nodes[1].BestAbs + r.Snapshots[0].Nodes[2].BestAbs) / 2; math.Abs(lv[1].BestAbs-want) > 1e-15 {
		t.Fatalf("level 1 mean %v want %v", lv[1].BestAbs, want)
	}
}

func TestErrors(t *testing.T) {
	m := model(t, 3, 2, 0.7, 16)
	tree := nn.NewTree(3, 2, 2, true)
	for name, tc := range map[string]struct {
		nets []*nn.Network
		want string
	}{
		"none":       {nil, "no network"},
		"mlp width":  {[]*nn.Network{nn.NewMLP(7, []int{3}, true)}, "reads 7 inputs"},
		"tree depth": {[]*nn.Network{nn.NewTree(1, 8, 2, true)}, "does not match"},
		"mixed":      {[]*nn.Network{tree, nn.NewTree(3, 2, 3, true)}, "snapshot 1 differs"},
		"arch":       {[]*nn.Network{{Arch: "cnn", Layers: tree.Layers}}, "architecture"},
	} {
		_, err := New(m, tc.nets, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
	p, err := New(m, []*nn.Network{tree}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Result(); !errors.Is(err, ErrNoSamples) {
		t.Fatalf("no samples: %v", err)
	}
	p, _ = New(m, []*nn.Network{tree}, Options{})
	z, x := samples(m, 17, 3)
	z[16] = 2
	if err := p.Add(z, x); err == nil || !strings.Contains(err.Error(), "sample 1") {
		t.Fatalf("bad z: %v", err)
	}
	z[16] = 1
	x[2] = math.NaN()
	if err := p.Add(z, x); err == nil || !strings.Contains(err.Error(), "leaf 2") {
		t.Fatalf("bad x: %v", err)
	}
}
