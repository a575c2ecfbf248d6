package train

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/loss"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/rng"
)

// views draws rows of the reference's views from a depth-d binary HLTM:
// x_a and x_b share the root, and h fresh samples serve as negatives.
func views(t testing.TB, depth, rows, h int, seed uint64) *Replay {
	t.Helper()
	r := rng.New(seed, rng.Tree, 0)
	m, err := hltm.New(depth, 2, hltm.RandomPolarities(r, (1<<(depth+1))-2, 0.8, 1, false))
	if err != nil {
		t.Fatal(err)
	}
	in := m.NumLeaves()
	rep := &Replay{Rows: rows, In: in, H: h, XA: make([]float64, rows*in), XB: make([]float64, rows*in), Seed: seed}
	if h > 0 {
		rep.XNeg = make([]float64, rows*h*in)
	}
	z := make([]int8, m.NumNodes())
	s := rng.New(seed, rng.Sample, 0)
	for i := 0; i < rows; i++ {
		m.Sample(s, z)
		m.Leaves(z, rep.XA[i*in:(i+1)*in])
		m.SampleGiven(s, z, 0)
		m.Leaves(z, rep.XB[i*in:(i+1)*in])
		for k := 0; k < h; k++ {
			m.Sample(s, z)
			m.Leaves(z, rep.XNeg[(i*h+k)*in:(i*h+k+1)*in])
		}
	}
	rep.EpochRows = rows
	return rep
}

func newNet(depth, hid int, bias bool, seed uint64) *nn.Network {
	n := nn.NewTree(depth, 2, hid, bias)
	n.Init(rng.New(seed, rng.Init, 0), 1)
	return n
}

func sameParams(t *testing.T, what string, a, b *nn.Network) {
	t.Helper()
	as, bs := a.ParamSlices(), b.ParamSlices()
	for k := range as {
		for i := range as[k] {
			if math.Float64bits(as[k][i]) != math.Float64bits(bs[k][i]) {
				t.Fatalf("%s: parameter %d[%d] differs: %v vs %v", what, k, i, as[k][i], bs[k][i])
			}
		}
	}
}

// TestGradientFiniteDifferences checks the trainer's whole-batch gradient
// (network, normalisation, loss; chunks summed) against central
// differences of its loss, for every loss and both kinds of negatives.
func TestGradientFiniteDifferences(t *testing.T) {
	for _, name := range loss.Names {
		for _, h := range []int{0, 2} {
			f, err := loss.New(name, 0.5, 0.1)
			if err != nil {
				t.Fatal(err)
			}
			net := newNet(2, 3, true, 1)
			tr, err := New(net, Config{Loss: f, Normalize: true, Eps: loss.DefaultEps, LR: 0.1, Negatives: 2, Seed: 7, Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			data := views(t, 2, 40, h, 3) // two chunks: 32 + 8
			var b Batch
			data.Begin(1)
			data.Next(&b, 40)
			H, explicit := 2, h > 0
			if _, _, err := tr.gradient(&b, 40, H, explicit, 1); err != nil {
				t.Fatal(err)
			}
			grad := net.ZeroLike()
			for k, s := range tr.grad.ParamSlices() {
				copy(grad.ParamSlices()[k], s)
			}
			lossAt := func() float64 {
				L, _, err := tr.gradient(&b, 40, H, explicit, 1)
				if err != nil {
					t.Fatal(err)
				}
				return L
			}
			const eps = 1e-6
			ps, gs := net.ParamSlices(), grad.ParamSlices()
			for k := range ps {
				for i := range ps[k] {
					old := ps[k][i]
					ps[k][i] = old + eps
					up := lossAt()
					ps[k][i] = old - eps
					down := lossAt()
					ps[k][i] = old
					fd := (up - down) / (2 * eps)
					if math.Abs(fd-gs[k][i]) > 1e-6*(1e-3+math.Abs(fd)) {
						t.Errorf("%s h=%d: ∂L/∂param %d[%d] = %v, finite difference %v", name, h, k, i, gs[k][i], fd)
					}
				}
			}
		}
	}
}

// TestThreadsIdentical checks that the result is bit-identical for 1, 2
// and 3 threads, with a batch that leaves a partial chunk, in both
// precisions.
func TestThreadsIdentical(t *testing.T) {
	for _, tc := range []struct {
		h    int
		prec string
	}{{0, Float64}, {1, Float64}, {0, Float32}, {1, Float32}} {
		h := tc.h
		var ref *nn.Network
		// The int8 batches of a compact replay train bit for bit as the
		// float64 ones.
		for _, compact := range []bool{false, true} {
			for _, threads := range []int{1, 2, 3} {
				net := newNet(3, 4, true, 2)
				tr, err := New(net, Config{Loss: loss.NCERef{Temp: 0.1}, Normalize: true, Eps: loss.DefaultEps, LR: 0.1, Momentum: 0.5, Negatives: 1, Seed: 9, Threads: threads, Precision: tc.prec})
				if err != nil {
					t.Fatal(err)
				}
				src := views(t, 3, 300, h, 4)
				if compact {
					if src, err = LoadReplay(&rowsOf{r: src}, src.In, src.H); err != nil || !src.compact {
						t.Fatalf("LoadReplay: %v, compact %v", err, src.compact)
					}
					src.Seed, src.EpochRows = 4, 300
				}
				l := &Loop{Trainer: tr, Source: src, EpochRows: 300, BatchRows: 100, Epochs: 2}
				if _, err := l.Run(); err != nil {
					t.Fatal(err)
				}
				if ref == nil {
					ref = net
					continue
				}
				sameParams(t, fmt.Sprintf("%s, threads %d, compact %v", tc.prec, threads, compact), ref, net)
			}
		}
	}
}

// TestResumeIdentical checks that two epochs, then a fresh trainer resumed
// from the network, momentum and step counter for two more, end
// bit-identical to four uninterrupted epochs, for replayed and streamed
// input, in both precisions.
func TestResumeIdentical(t *testing.T) {
	for _, prec := range []string{Float64, Float32} {
		testResumeIdentical(t, prec)
	}
}

func testResumeIdentical(t *testing.T, prec string) {
	cfg := Config{Loss: loss.NCE{Temp: 0.3}, Normalize: true, Eps: loss.DefaultEps, LR: 0.05, Momentum: 0.9, WeightDecay: 1e-3, Negatives: 3, Seed: 11, Threads: 2, Precision: prec}
	for _, stream := range []bool{false, true} {
		source := func() Source {
			data := views(t, 3, 400, 0, 5)
			if !stream {
				data.EpochRows = 100
				return data
			}
			return &Stream{R: &rowsOf{r: data}, In: data.In, EpochRows: 100}
		}
		full := newNet(3, 4, true, 3)
		tr, _ := New(full, cfg)
		if _, err := (&Loop{Trainer: tr, Source: source(), EpochRows: 100, BatchRows: 32, Epochs: 4}).Run(); err != nil {
			t.Fatal(err)
		}
		half := newNet(3, 4, true, 3)
		tr1, _ := New(half, cfg)
		last, err := (&Loop{Trainer: tr1, Source: source(), EpochRows: 100, BatchRows: 32, Epochs: 2}).Run()
		if err != nil || last != 2 {
			t.Fatalf("first half: last epoch %d, %v", last, err)
		}
		resumed := half.Clone()
		tr2, _ := New(resumed, cfg)
		tr2.Velocity = tr1.Velocity.Clone()
		tr2.Step = int64(2 * (100 / 32))
		last, err = (&Loop{Trainer: tr2, Source: source(), EpochRows: 100, BatchRows: 32, Epochs: 4, Done: 2}).Run()
		if err != nil || last != 4 {
			t.Fatalf("second half: last epoch %d, %v", last, err)
		}
		sameParams(t, "resume "+prec, full, resumed)
	}
}

// TestStreamEpochs checks that a stream's epochs are consecutive slices of
// the input: with 100-row epochs and 32-row batches each epoch drops 4 rows,
// and the fourth epoch of a 350-row input is cut short.
func TestStreamEpochs(t *testing.T) {
	data := views(t, 2, 350, 0, 6)
	net := newNet(2, 2, false, 4)
	tr, _ := New(net, Config{Loss: loss.Simp{}, LR: 0.01, Negatives: 1, Threads: 1})
	var epochs []EpochStats
	l := &Loop{Trainer: tr, Source: &Stream{R: &rowsOf{r: data}, In: data.In, EpochRows: 100}, EpochRows: 100, BatchRows: 32,
		OnEpoch: func(e EpochStats) error { epochs = append(epochs, e); return nil }}
	last, err := l.Run()
	if err != nil || last != 4 {
		t.Fatalf("last epoch %d, err %v; want 4", last, err)
	}
	want := []EpochStats{{Epoch: 1, Steps: 3, Rows: 96}, {Epoch: 2, Steps: 3, Rows: 96}, {Epoch: 3, Steps: 3, Rows: 96}, {Epoch: 4, Steps: 1, Rows: 32, Short: true}}
	for i, e := range epochs {
		w := want[i]
		if e.Epoch != w.Epoch || e.Steps != w.Steps || e.Rows != w.Rows || e.Short != w.Short {
			t.Errorf("epoch %d: got %+v, want %+v", i+1, e, w)
		}
	}
	if tr.Step != 10 {
		t.Errorf("%d steps, want 10", tr.Step)
	}
}

// TestNonFinite checks that a NaN input stops the loop with an error naming
// the epoch and step and leaves the network as after the last good step.
func TestNonFinite(t *testing.T) {
	data := views(t, 2, 128, 0, 7)
	data.EpochRows = 64
	net := newNet(2, 3, true, 5)
	tr, _ := New(net, Config{Loss: loss.NCERef{Temp: 0.1}, Normalize: true, Eps: loss.DefaultEps, LR: 0.1, Negatives: 1, Threads: 2})
	var good *nn.Network
	poisoned := &poison{Source: data, at: 3}
	l := &Loop{Trainer: tr, Source: poisoned, EpochRows: 64, BatchRows: 32, Epochs: 2,
		OnStep: func(e int, s StepStats) error { good = net.Clone(); return nil }}
	last, err := l.Run()
	var nf *NonFiniteError
	if !errors.As(err, &nf) || nf.Epoch != 2 || nf.Step != 3 || nf.What != "gradient" {
		// The ReLU maps NaN to 0 in the forward pass, so the NaN input shows
		// up in the weight gradient.
		t.Fatalf("got last %d, err %v; want non-finite gradient at epoch 2, step 3", last, err)
	}
	if last != 1 || tr.Step != 2 {
		t.Fatalf("last epoch %d, step %d; want 1, 2", last, tr.Step)
	}
	sameParams(t, "after NaN", good, net)
}

// poison puts a NaN into the at-th batch.
type poison struct {
	Source
	at, n int
}

func (p *poison) Next(b *Batch, n int) (int, error) {
	got, err := p.Source.Next(b, n)
	p.n++
	if p.n == p.at {
		b.XA[0] = math.NaN()
	}
	return got, err
}

// TestLossDecreases checks that training the reference's setting on a small
// tree lowers the nce-ref loss: the mean loss of the tenth epoch is below the
// first's. (Deterministic: fixed seeds.)
func TestLossDecreases(t *testing.T) {
	data := views(t, 3, 1024, 1, 8)
	net := newNet(3, 10, true, 6)
	tr, _ := New(net, Config{Loss: loss.NCERef{Temp: 0.1}, Normalize: true, Eps: loss.DefaultEps, LR: 0.1, Negatives: 1, Threads: 2})
	var first, last float64
	l := &Loop{Trainer: tr, Source: data, EpochRows: 1024, BatchRows: 128, Epochs: 10,
		OnEpoch: func(e EpochStats) error {
			if e.Epoch == 1 {
				first = e.MeanLoss
			}
			last = e.MeanLoss
			return nil
		}}
	if _, err := l.Run(); err != nil {
		t.Fatal(err)
	}
	t.Logf("mean loss: epoch 1 %.4f, epoch 10 %.4f", first, last)
	if !(last < first-0.05) {
		t.Fatalf("mean loss went from %.4f to %.4f", first, last)
	}
}

// TestFloat32TracksFloat64 trains the reference configuration (depth 5,
// hid 10, nce-ref τ = 0.1, lr 0.1, one explicit negative) in float32 and in
// float64 from the same float32-representable weights: after each of the
// first steps every weight agrees to 1e-5 of the largest weight, the
// losses to 1e-5 relative, and the float32 run's weights stay float32
// values.
func TestFloat32TracksFloat64(t *testing.T) {
	data := views(t, 5, 128*4, 1, 6)
	nets := map[string]*nn.Network{Float64: newNet(5, 10, true, 4), Float32: newNet(5, 10, true, 4)}
	for _, s := range nets[Float64].ParamSlices() {
		round32(s)
	}
	trs := map[string]*Trainer{}
	for prec, net := range nets {
		tr, err := New(net, Config{Loss: loss.NCERef{Temp: 0.1}, Normalize: true, Eps: loss.DefaultEps, LR: 0.1, Negatives: 1, Seed: 1, Threads: 2, Precision: prec})
		if err != nil {
			t.Fatal(err)
		}
		trs[prec] = tr
	}
	sameParams(t, "float32 rounding at New", nets[Float64], nets[Float32])
	data.Begin(1)
	var b Batch
	worst := 0.0
	for step := 1; step <= 4; step++ {
		data.Next(&b, 128)
		s64, err := trs[Float64].TrainStep(&b)
		if err != nil {
			t.Fatal(err)
		}
		s32, err := trs[Float32].TrainStep(&b)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(s32.Loss-s64.Loss) > 1e-5*math.Abs(s64.Loss) {
			t.Fatalf("step %d: float32 loss %v, float64 %v", step, s32.Loss, s64.Loss)
		}
		p64, p32 := nets[Float64].ParamSlices(), nets[Float32].ParamSlices()
		scale := 0.0
		for _, s := range p64 {
			for _, v := range s {
				scale = max(scale, math.Abs(v))
			}
		}
		for k := range p64 {
			for i, v := range p32[k] {
				if float64(float32(v)) != v {
					t.Fatalf("step %d: float32 weight %d[%d] = %v is not a float32 value", step, k, i, v)
				}
				d := math.Abs(v - p64[k][i])
				worst = max(worst, d/scale)
				if d > 1e-5*scale {
					t.Fatalf("step %d: weight %d[%d] float32 %v, float64 %v (largest weight %v)", step, k, i, v, p64[k][i], scale)
				}
			}
		}
	}
	t.Logf("largest weight difference after 4 steps: %.2g of the largest weight", worst)
}

// TestPrecisionFlag checks that New refuses an unknown precision.
func TestPrecisionFlag(t *testing.T) {
	if _, err := New(newNet(2, 3, true, 1), Config{Loss: loss.NCERef{Temp: 0.1}, LR: 0.1, Precision: "float16"}); err == nil {
		t.Fatal("precision float16 accepted")
	}
}

// TestTranspose: the blocked transpose moves every value to its place and
// touches nothing else, for row counts around the block of eight and
// strides wider than the matrix.
func TestTranspose(t *testing.T) {
	for rows := 0; rows <= 19; rows++ {
		for cols := 1; cols <= 4; cols++ {
			as, ds := cols+2, rows+3
			a := make([]float64, rows*as)
			for i := range a {
				a[i] = float64(i) + 0.5
			}
			dst := make([]float32, cols*ds)
			for i := range dst {
				dst[i] = -1
			}
			transpose(a, as, rows, cols, dst, ds)
			for j := 0; j < cols; j++ {
				for i := 0; i < ds; i++ {
					want := float32(-1)
					if i < rows {
						want = float32(a[i*as+j])
					}
					if got := dst[j*ds+i]; got != want {
						t.Fatalf("rows %d cols %d: dst[%d·%d+%d] = %v, want %v", rows, cols, j, ds, i, got, want)
					}
				}
			}
		}
	}
}

// rowsOf is a RowReader over a Replay's float64 views, in stored order.
type rowsOf struct {
	r  *Replay
	at int
}

func (s *rowsOf) ReadRows(xa, xb, xneg []float64, n int) (int, error) {
	in, h := s.r.In, s.r.H
	n = min(n, s.r.Rows-s.at)
	copy(xa[:n*in], s.r.XA[s.at*in:])
	copy(xb[:n*in], s.r.XB[s.at*in:])
	if h > 0 {
		copy(xneg[:n*h*in], s.r.XNeg[s.at*h*in:])
	}
	s.at += n
	return n, nil
}

// TestLoadReplayCompact: views of 0/1 values load as int8 copies, views
// with a value that is not an int8 (a half, a negative zero) as float64,
// even when that value comes after a chunk already stored compactly (row
// 4500 is in LoadReplay's second read); every
// way gives the float64 replay's batches bit for bit.
func TestLoadReplayCompact(t *testing.T) {
	for _, c := range []struct {
		name    string
		h       int
		row     int
		value   float64
		compact bool
	}{
		{"binary", 1, -1, 0, true},
		{"binary, no negatives", 0, -1, 0, true},
		{"a half in the last chunk", 1, 4500, 0.5, false},
		{"a negative zero in the first row", 1, 0, math.Copysign(0, -1), false},
		{"an integer beyond int8", 0, 3000, 200, false},
	} {
		want := views(t, 3, 5000, c.h, 7)
		if c.row >= 0 {
			want.XB[c.row*want.In+3] = c.value
		}
		got, err := LoadReplay(&rowsOf{r: want}, want.In, want.H)
		if err != nil {
			t.Fatal(err)
		}
		if got.compact != c.compact || got.Rows != want.Rows || (got.compact && got.XA != nil) {
			t.Fatalf("%s: compact %v, rows %d, XA %d values; want compact %v, rows %d", c.name, got.compact, got.Rows, len(got.XA), c.compact, want.Rows)
		}
		got.Seed, got.EpochRows = want.Seed, want.EpochRows
		for epoch := 1; epoch <= 2; epoch++ {
			if err := want.Begin(epoch); err != nil {
				t.Fatal(err)
			}
			if err := got.Begin(epoch); err != nil {
				t.Fatal(err)
			}
			var bw, bg Batch
			for {
				nw, _ := want.Next(&bw, 128)
				ng, _ := got.Next(&bg, 128)
				if nw != ng {
					t.Fatalf("%s: %d rows against %d", c.name, ng, nw)
				}
				if nw == 0 {
					break
				}
				if (bg.XA8 != nil) != c.compact {
					t.Fatalf("%s: batch of int8 views %v, want %v", c.name, bg.XA8 != nil, c.compact)
				}
				vw, vg := batchValues(&bw), batchValues(&bg)
				for k, p := range [][2][]float64{{vw[0], vg[0]}, {vw[1], vg[1]}, {vw[2], vg[2]}} {
					if (p[0] == nil) != (p[1] == nil) {
						t.Fatalf("%s: view %d: nil %v, want %v", c.name, k, p[1] == nil, p[0] == nil)
					}
					for i := range p[0] {
						if math.Float64bits(p[0][i]) != math.Float64bits(p[1][i]) {
							t.Fatalf("%s: epoch %d: value %d: %v, want %v", c.name, epoch, i, p[1][i], p[0][i])
						}
					}
					if len(p[0]) != len(p[1]) {
						t.Fatalf("%s: %d values, want %d", c.name, len(p[1]), len(p[0]))
					}
				}
			}
		}
	}
}

// batchValues returns a batch's x_a, x_b and negatives as float64, from
// whichever form it holds them in (nil negatives stay nil).
func batchValues(b *Batch) [3][]float64 {
	if b.XA8 == nil {
		return [3][]float64{b.XA, b.XB, b.XNeg}
	}
	var v [3][]float64
	for k, x := range [][]int8{b.XA8, b.XB8, b.XNeg8} {
		if x != nil {
			v[k] = make([]float64, len(x))
			widen(v[k], x)
		}
	}
	return v
}

// int8Rows is an Int8RowReader over a Replay's float64 views of small
// integers, in stored order.
type int8Rows struct{ rowsOf }

func (s *int8Rows) Int8Rows() bool { return true }

func (s *int8Rows) ReadRowsInt8(xa, xb, xneg []int8, n int) (int, error) {
	in, h := s.r.In, s.r.H
	n = min(n, s.r.Rows-s.at)
	narrow8 := func(dst []int8, src []float64) {
		for i := range dst {
			dst[i] = int8(src[i])
		}
	}
	narrow8(xa[:n*in], s.r.XA[s.at*in:])
	narrow8(xb[:n*in], s.r.XB[s.at*in:])
	if h > 0 {
		narrow8(xneg[:n*h*in], s.r.XNeg[s.at*h*in:])
	}
	s.at += n
	return n, nil
}

// TestInt8Readers: views read as int8 (Int8RowReader) train bit for bit as
// the same views read as float64, streamed and replayed, with explicit and
// in-batch negatives, in both precisions, on two threads.
func TestInt8Readers(t *testing.T) {
	for _, prec := range []string{Float64, Float32} {
		for _, h := range []int{0, 1} {
			for _, stream := range []bool{false, true} {
				var nets [2]*nn.Network
				for k, int8s := range []bool{false, true} {
					data := views(t, 3, 400, h, 8)
					var rr RowReader = &rowsOf{r: data}
					if int8s {
						rr = &int8Rows{rowsOf{r: data}}
					}
					var src Source = &Stream{R: rr, In: data.In, H: h, EpochRows: 200}
					if !stream {
						rep, err := LoadReplay(rr, data.In, h)
						if err != nil || !rep.compact || rep.Rows != 400 {
							t.Fatalf("LoadReplay: %v, compact %v, %d rows", err, rep.compact, rep.Rows)
						}
						rep.Seed, rep.EpochRows = 8, 200
						src = rep
					}
					nets[k] = newNet(3, 4, true, 3)
					tr, _ := New(nets[k], Config{Loss: loss.NCERef{Temp: 0.1}, Normalize: true, Eps: loss.DefaultEps, LR: 0.1, Negatives: 2, Seed: 3, Threads: 2, Precision: prec})
					last, err := (&Loop{Trainer: tr, Source: src, EpochRows: 200, BatchRows: 100, Epochs: 2}).Run()
					if err != nil || last != 2 {
						t.Fatalf("last epoch %d, %v", last, err)
					}
				}
				sameParams(t, fmt.Sprintf("%s, %d negatives, stream %v", prec, h, stream), nets[0], nets[1])
			}
		}
	}
}

// TestUpdateNonFiniteWeight: an update that would make one weight infinite
// (the last of the last block, so every other weight has been computed
// first) is refused whole: the weights and the momentum stay as they were,
// in both precisions; a finite update then applies.
func TestUpdateNonFiniteWeight(t *testing.T) {
	for _, prec := range []string{Float64, Float32} {
		net := newNet(2, 3, true, 5)
		tr, err := New(net, Config{Loss: loss.NCERef{Temp: 0.1}, LR: 10, Momentum: 0.5, Negatives: 1, Precision: prec})
		if err != nil {
			t.Fatal(err)
		}
		tr.Velocity = net.ZeroLike()
		tr.refreshParams()
		gs := tr.grad.ParamSlices()
		for _, g := range gs {
			for i := range g {
				g[i] = 0.25
			}
		}
		last := gs[len(gs)-2]
		last[len(last)-1] = math.MaxFloat64
		before, vel := net.Clone(), tr.Velocity.Clone()
		var nf *NonFiniteError
		if err := tr.update(gs, 7); !errors.As(err, &nf) || nf.What != "weight" || nf.Step != 7 {
			t.Fatalf("%s: update: %v, want a non-finite weight at step 7", prec, err)
		}
		sameParams(t, prec+": weights after a refused update", before, net)
		sameParams(t, prec+": momentum after a refused update", vel, tr.Velocity)
		last[len(last)-1] = 0.25
		if err := tr.update(gs, 8); err != nil {
			t.Fatalf("%s: finite update: %v", prec, err)
		}
		w, w0 := net.ParamSlices()[0][0], before.ParamSlices()[0][0]
		want := w0 - 10*(0.25)
		if prec == Float32 {
			want = float64(float32(want))
		}
		if w != want || tr.Velocity.ParamSlices()[0][0] != 0.25 {
			t.Fatalf("%s: weight %v (want %v), velocity %v (want 0.25)", prec, w, want, tr.Velocity.ParamSlices()[0][0])
		}
	}
}

// TestSumSquares: the interleaved sum of squares equals the plain one to
// rounding, and is +Inf or NaN whenever one value is.
func TestSumSquares(t *testing.T) {
	gs := [][]float64{{1, 2, 3}, {}, {0.5, -0.25, 4, 1e-3, 7, 8, 9}}
	want := 0.0
	for _, g := range gs {
		for _, v := range g {
			want += v * v
		}
	}
	if got := sumSquares(gs); math.Abs(got-want) > 1e-14*want {
		t.Fatalf("sumSquares = %v, want %v", got, want)
	}
	for _, bad := range []float64{math.Inf(-1), math.NaN(), math.MaxFloat64} {
		gs[2][5] = bad
		if got := sumSquares(gs); !math.IsInf(got, 1) && !math.IsNaN(got) {
			t.Fatalf("with %v: sumSquares = %v, want +Inf or NaN", bad, got)
		}
	}
}

// TestStreamBatches: a Stream's batches hold the input's rows in order,
// negatives included, whether the reader delivers float64 or int8 views.
func TestStreamBatches(t *testing.T) {
	data := views(t, 3, 300, 2, 9)
	for _, int8s := range []bool{false, true} {
		var rr RowReader = &rowsOf{r: data}
		if int8s {
			rr = &int8Rows{rowsOf{r: data}}
		}
		s := &Stream{R: rr, In: data.In, H: data.H, EpochRows: 300}
		var b Batch
		for at := 0; at < 300; at += 100 {
			if n, err := s.Next(&b, 100); n != 100 || err != nil {
				t.Fatalf("int8 %v: rows %d: read %d, %v", int8s, at, n, err)
			}
			v := batchValues(&b)
			in, w := data.In, data.H*data.In
			for k, want := range [][]float64{data.XA[at*in : (at+100)*in], data.XB[at*in : (at+100)*in], data.XNeg[at*w : (at+100)*w]} {
				if !slices.Equal(v[k], want) {
					t.Fatalf("int8 %v: rows %d: view %d differs from the input", int8s, at, k)
				}
			}
		}
	}
}
