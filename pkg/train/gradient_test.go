package train

import (
	"math"
	"testing"

	"github.com/dualssl/dualssl/pkg/loss"
)

// TestGradientIsTheStep checks that Gradient returns exactly the gradient
// TrainStep applies (w_after = w − α·g, bit for bit), with explicit and
// in-batch negatives, and leaves the network and step counter alone.
func TestGradientIsTheStep(t *testing.T) {
	for _, h := range []int{0, 2} {
		src := views(t, 3, 64, h, 41)
		net := newNet(3, 4, true, 42)
		cfg := Config{Loss: loss.NCE{Temp: 0.5}, Normalize: true, Eps: loss.DefaultEps, LR: 0.3, Negatives: 2, Seed: 43, Threads: 2}
		tr, err := New(net, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var b Batch
		if err := src.Begin(1); err != nil {
			t.Fatal(err)
		}
		if _, err := src.Next(&b, 32); err != nil {
			t.Fatal(err)
		}
		before := net.Clone()
		g := net.ZeroLike()
		if _, err := tr.Gradient(&b, g); err != nil {
			t.Fatal(err)
		}
		sameParams(t, "after Gradient", before, net)
		if tr.Step != 0 {
			t.Fatalf("Gradient advanced the step counter to %d", tr.Step)
		}
		if _, err := tr.TrainStep(&b); err != nil {
			t.Fatal(err)
		}
		want := before.Clone()
		ws, gs := want.ParamSlices(), g.ParamSlices()
		for k := range ws {
			for i := range ws[k] {
				ws[k][i] -= cfg.LR * gs[k][i]
			}
		}
		sameParams(t, "w − α·Gradient vs TrainStep", want, net)
	}
}

// TestExpectedStep checks that ExpectedStep is minus the mean of the
// batches' gradients, each taken at its own step (in-batch negatives
// depend on it), and that the partial last batch is dropped.
func TestExpectedStep(t *testing.T) {
	src := views(t, 3, 100, 0, 51)
	net := newNet(3, 3, false, 52)
	cfg := Config{Loss: loss.Simp{}, LR: 0.1, Seed: 53}
	st, err := ExpectedStep(net, cfg, src, 30)
	if err != nil {
		t.Fatal(err)
	}
	got, n := st.Mean, st.Batches
	if n != 3 {
		t.Fatalf("%d batches of 30 from 100 rows, want 3", n)
	}
	tr, err := New(net.Clone(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	sum, sum2 := net.ZeroLike(), net.ZeroLike()
	var b Batch
	if err := src.Begin(1); err != nil {
		t.Fatal(err)
	}
	for range n {
		if _, err := src.Next(&b, 30); err != nil {
			t.Fatal(err)
		}
		g := net.ZeroLike()
		if _, err := tr.Gradient(&b, g); err != nil {
			t.Fatal(err)
		}
		gp, sp, s2 := g.ParamSlices(), sum.ParamSlices(), sum2.ParamSlices()
		for k := range gp {
			for i, v := range gp[k] {
				sp[k][i] += v
				s2[k][i] += v * v
			}
		}
		tr.Step++
	}
	gs, ss, s2, se := got.ParamSlices(), sum.ParamSlices(), sum2.ParamSlices(), st.SE2.ParamSlices()
	for k := range gs {
		for i := range gs[k] {
			if want := -ss[k][i] / 3; math.Abs(gs[k][i]-want) > 1e-15*(1+math.Abs(want)) {
				t.Fatalf("parameter %d[%d]: %v, want %v", k, i, gs[k][i], want)
			}
			// squared standard error: sample variance over 3 batches / 3
			m := ss[k][i] / 3
			want := (s2[k][i] - 3*m*m) / 2 / 3
			if math.Abs(se[k][i]-want) > 1e-12*(1e-12+math.Abs(want)) {
				t.Fatalf("parameter %d[%d]: squared standard error %v, want %v", k, i, se[k][i], want)
			}
		}
	}
	if _, err := ExpectedStep(net, cfg, views(t, 3, 10, 0, 54), 30); err == nil {
		t.Fatal("no full batch: accepted")
	}
}
