package probecmd

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli"
	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/probe"
	"github.com/dualssl/dualssl/pkg/rng"
)

func testModel(t *testing.T, depth int, seed uint64) (*hltm.Model, string) {
	n, _ := hltm.NumNodesFor(depth, 2)
	m, err := hltm.New(depth, 2, hltm.RandomPolarities(rng.New(seed, rng.Tree, 0), n-1, 0.7, 1, false))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	return m, string(b)
}

// writeSamples writes n samples of m as an hltm-samples file.
func writeSamples(t *testing.T, path string, m *hltm.Model, model string, n int) ([]int8, []float64) {
	rnd := rng.New(2, rng.Sample, 0)
	nn_, nl := m.NumNodes(), m.NumLeaves()
	ids, z, x := make([]int64, n), make([]int8, n*nn_), make([]float64, n*nl)
	for s := 0; s < n; s++ {
		ids[s] = int64(s)
		m.Sample(rnd, z[s*nn_:(s+1)*nn_])
		m.Leaves(z[s*nn_:(s+1)*nn_], x[s*nl:(s+1)*nl])
	}
	w, err := arrowio.Create(path, nil, arrowio.Meta{Kind: arrowio.KindSamples, Model: model}, []arrowio.Column{
		{Name: "id", Type: arrowio.Int64}, {Name: "z", Type: arrowio.FixedInt8, Size: nn_}, {Name: "x", Type: arrowio.FixedFloat64, Size: nl}})
	if err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		if err := w.WriteColumns(n, ids, z, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return z, x
}

// writeNets writes snapshots of net (re-initialised per epoch) to path.
func writeNets(t *testing.T, path, model string, net *nn.Network, epochs []int) []*nn.Network {
	w, err := arrowio.CreateNetwork(path, nil, arrowio.Meta{Model: model}, net, false)
	if err != nil {
		t.Fatal(err)
	}
	var out []*nn.Network
	for _, e := range epochs {
		c := net.Clone()
		c.Init(rng.New(uint64(e), rng.Init, 0), 1)
		if err := w.Write(e, c, nil); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

func runProbe(t *testing.T, args ...string) int {
	t.Helper()
	return Main(append([]string{"probe", "--quiet"}, args...))
}

func TestProbeTable(t *testing.T) {
	dir := t.TempDir()
	m, model := testModel(t, 3, 1)
	samples, nets, out := filepath.Join(dir, "s.arrows"), filepath.Join(dir, "n.arrows"), filepath.Join(dir, "p.arrows")
	z, x := writeSamples(t, samples, m, model, 700)
	snaps := writeNets(t, nets, model, nn.NewTree(3, 2, 4, true), []int{0, 1, 5})
	neurons, plot := filepath.Join(dir, "neurons.arrows"), filepath.Join(dir, "levels.png")
	if code := runProbe(t, "--data", samples, "--in", nets, "--out", out, "--neurons", neurons, "--plot", plot); code != 0 {
		t.Fatalf("exit %d", code)
	}
	p, _ := probe.New(m, snaps, probe.Options{})
	if err := p.Add(z, x); err != nil {
		t.Fatal(err)
	}
	want, _ := p.Result()

	r, err := arrowio.Open(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Meta().Kind != arrowio.KindProbe || r.Meta().Model != model {
		t.Fatalf("meta %+v", r.Meta())
	}
	tab, err := arrowio.ReadTable(r)
	if err != nil {
		t.Fatal(err)
	}
	nl := m.NumLatents()
	if tab.Rows() != 3*nl {
		t.Fatalf("%d rows, want %d", tab.Rows(), 3*nl)
	}
	epoch, _ := tab.Int32("epoch")
	node, _ := tab.Int32("node")
	best, _ := tab.Float64("best_abs_corr")
	ceil, _ := tab.Float64("ceiling")
	frac, _ := tab.Float64("fraction")
	di, _ := tab.Int32("depth_index")
	for i := 0; i < tab.Rows(); i++ {
		s, mu := i/nl, i%nl
		wn := want.Snapshots[s].Nodes[mu]
		if int(epoch[i]) != []int{0, 1, 5}[s] || int(node[i]) != mu || best[i] != wn.BestAbs || ceil[i] != wn.Ceiling ||
			math.Abs(frac[i]-best[i]/ceil[i]) > 1e-15 || int(di[i]) != m.DepthIndex(mu) {
			t.Fatalf("row %d: epoch %d node %d best %v ceiling %v fraction %v", i, epoch[i], node[i], best[i], ceil[i], frac[i])
		}
	}
	nr, _ := arrowio.Open(neurons, nil)
	defer nr.Close()
	nt, err := arrowio.ReadTable(nr)
	if err != nil {
		t.Fatal(err)
	}
	if nt.Rows() != 3*nl*4 {
		t.Fatalf("neuron rows %d", nt.Rows())
	}
	b, err := os.ReadFile(plot)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	// Same inputs, other thread count: the same table and picture bytes.
	out2, plot2 := filepath.Join(dir, "p2.arrows"), filepath.Join(dir, "levels2.png")
	if code := runProbe(t, "--data", samples, "--in", nets, "--out", out2, "--plot", plot2, "--threads", "1"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, pair := range [][2]string{{out, out2}, {plot, plot2}} {
		a, _ := os.ReadFile(pair[0])
		b, _ := os.ReadFile(pair[1])
		if !bytes.Equal(a, b) {
			t.Fatalf("%s and %s differ", pair[0], pair[1])
		}
	}
}

func TestProbeBadInput(t *testing.T) {
	dir := t.TempDir()
	m, model := testModel(t, 3, 1)
	_, other := testModel(t, 3, 9)
	p := func(name string) string { return filepath.Join(dir, name) }
	writeSamples(t, p("s.arrows"), m, model, 50)
	writeSamples(t, p("other.arrows"), m, other, 50)
	writeSamples(t, p("empty.arrows"), m, model, 0)
	writeNets(t, p("tree.arrows"), model, nn.NewTree(3, 2, 2, true), []int{0})
	writeNets(t, p("mlp7.arrows"), model, nn.NewMLP(7, []int{4, 3}, true), []int{0, 1})
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"no data", []string{"--in", p("tree.arrows")}, cli.ExitUsage},
		{"plot format", []string{"--data", p("s.arrows"), "--in", p("tree.arrows"), "--plot", p("x.gif")}, cli.ExitUsage},
		{"wrong kind data", []string{"--data", p("tree.arrows"), "--in", p("tree.arrows")}, cli.ExitData},
		{"wrong kind in", []string{"--data", p("s.arrows"), "--in", p("s.arrows")}, cli.ExitData},
		{"other model", []string{"--data", p("other.arrows"), "--in", p("tree.arrows")}, cli.ExitData},
		{"empty samples", []string{"--data", p("empty.arrows"), "--in", p("tree.arrows")}, cli.ExitData},
		{"mlp width", []string{"--data", p("s.arrows"), "--in", p("mlp7.arrows")}, cli.ExitData},
		{"missing file", []string{"--data", p("nope.arrows"), "--in", p("tree.arrows")}, cli.ExitData},
	} {
		out, plot := p(strings.ReplaceAll(tc.name, " ", "_")+".arrows"), p(strings.ReplaceAll(tc.name, " ", "_")+".png")
		args := append([]string{"--out", out, "--plot", plot}, tc.args...)
		if code := runProbe(t, args...); code != tc.code {
			t.Errorf("%s: exit %d, want %d", tc.name, code, tc.code)
		}
		for _, f := range []string{out, plot} {
			if _, err := os.Stat(f); err == nil {
				t.Errorf("%s: partial output %s left behind", tc.name, f)
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestProbeOneSnapshot: a single snapshot gives a bar chart.
func TestProbeOneSnapshot(t *testing.T) {
	dir := t.TempDir()
	m, model := testModel(t, 3, 1)
	samples, nets, out, plot := filepath.Join(dir, "s.arrows"), filepath.Join(dir, "n.arrows"), filepath.Join(dir, "p.arrows"), filepath.Join(dir, "bars.svg")
	writeSamples(t, samples, m, model, 300)
	writeNets(t, nets, model, nn.NewTree(3, 2, 2, false), []int{7})
	if code := runProbe(t, "--data", samples, "--in", nets, "--out", out, "--plot", plot); code != 0 {
		t.Fatalf("exit %d", code)
	}
	b, err := os.ReadFile(plot)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.Contains(s, "<svg") || !strings.Contains(s, "at epoch 7") || !strings.Contains(s, "tree level") {
		t.Fatal("the single-snapshot figure is not the bar chart")
	}
}

// TestProbeAmplification: the amp_* columns of every row equal
// probe.Amplify of the latent's neurons at that snapshot against the
// first (recomputed from the --neurons table), epoch 0 compares with
// itself, and --plot-amp writes a PNG (same bytes whatever --threads).
func TestProbeAmplification(t *testing.T) {
	dir := t.TempDir()
	m, model := testModel(t, 3, 1)
	samples, nets := filepath.Join(dir, "s.arrows"), filepath.Join(dir, "n.arrows")
	writeSamples(t, samples, m, model, 700)
	writeNets(t, nets, model, nn.NewTree(3, 2, 4, true), []int{0, 1, 5})
	out, neurons, amp := filepath.Join(dir, "p.arrows"), filepath.Join(dir, "neurons.arrows"), filepath.Join(dir, "amp.png")
	if code := runProbe(t, "--data", samples, "--in", nets, "--out", out, "--neurons", neurons, "--plot-amp", amp); code != 0 {
		t.Fatalf("exit %d", code)
	}
	read := func(path string) *arrowio.Table {
		r, err := arrowio.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		tab, err := arrowio.ReadTable(r)
		if err != nil {
			t.Fatal(err)
		}
		return tab
	}
	nt := read(neurons)
	nEpoch, _ := nt.Int32("epoch")
	nNode, _ := nt.Int32("node")
	nCorr, _ := nt.Float64("corr")
	corr := map[[2]int32][]float64{} // (epoch, node) → the node's neurons
	for i := range nt.Rows() {
		k := [2]int32{nEpoch[i], nNode[i]}
		corr[k] = append(corr[k], nCorr[i])
	}
	tab := read(out)
	epoch, _ := tab.Int32("epoch")
	node, _ := tab.Int32("node")
	sp, _ := tab.Float64("amp_spearman")
	rank, _ := tab.Int32("amp_init_rank")
	neu, _ := tab.Int32("amp_neurons")
	sign, err := tab.Float64("amp_sign_kept")
	if err != nil {
		t.Fatal(err)
	}
	for i := range tab.Rows() {
		want := probe.Amplify(corr[[2]int32{0, node[i]}], corr[[2]int32{epoch[i], node[i]}])
		same := (sp[i] == want.Spearman || math.IsNaN(sp[i]) && math.IsNaN(want.Spearman)) &&
			int(rank[i]) == want.InitRank && int(neu[i]) == want.Neurons && sign[i] == want.SignKept
		if !same {
			t.Fatalf("row %d (epoch %d node %d): amp %v %d %d %v, recomputed %+v", i, epoch[i], node[i], sp[i], rank[i], neu[i], sign[i], want)
		}
		if epoch[i] == 0 && (rank[i] != 1 || sign[i] != 1 || neu[i] != 4) {
			t.Fatalf("epoch 0 against itself: rank %d, sign kept %v, %d neurons", rank[i], sign[i], neu[i])
		}
	}
	b, err := os.ReadFile(amp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	amp2 := filepath.Join(dir, "amp2.png")
	if code := runProbe(t, "--data", samples, "--in", nets, "--out", filepath.Join(dir, "p2.arrows"), "--plot-amp", amp2, "--threads", "1"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if b2, _ := os.ReadFile(amp2); !bytes.Equal(b, b2) {
		t.Fatal("the amplification figure depends on --threads")
	}
	if code := runProbe(t, "--data", samples, "--in", nets, "--out", filepath.Join(dir, "p3.arrows"), "--plot-amp", filepath.Join(dir, "a.jpg")); code != cli.ExitUsage {
		t.Fatalf("--plot-amp a.jpg: exit %d, want %d", code, cli.ExitUsage)
	}
}
