package augment

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dualssl/dualssl/pkg/bitslice"
	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/internal/cputime"
	"github.com/dualssl/dualssl/pkg/rng"
)

// Statistical checks use 5σ tolerances (a correct implementation fails one
// check with probability about 6e-7).
const sigmas = 5

func model(t testing.TB, depth, children int, seed uint64) *hltm.Model {
	t.Helper()
	n, _ := hltm.NumNodesFor(depth, children)
	m, err := hltm.New(depth, children, hltm.RandomPolarities(rng.New(seed, rng.Tree, 0), n-1, 0.4, 0.9, false))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestValidate(t *testing.T) {
	m := model(t, 3, 2, 1)
	for _, c := range []struct {
		p    Policy
		want string
	}{
		{Policy{Keep: 4, Pairs: 1}, "keep level 4: the tree has levels 0 … 3"},
		{Policy{Keep: -1, Pairs: 1}, "keep level -1"},
		{Policy{Flip: 1.5, Pairs: 1}, "flip probability 1.5: must lie in [0, 1]"},
		{Policy{Flip: math.NaN(), Pairs: 1}, "flip probability NaN"},
		{Policy{Pairs: 0}, "pairs 0: must be at least 1"},
		{Policy{Pairs: 1, Negatives: -2}, "negatives -2"},
	} {
		if err := c.p.Validate(m); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.p, err, c.want)
		}
	}
	big := model(t, 6, 2, 1) // level 6 has 64 leaves
	if err := (Policy{Keep: 6, Pairs: 1}).Validate(big); err == nil || !strings.Contains(err.Error(), "at most 62") {
		t.Errorf("64-node level accepted: %v", err)
	}
	if err := (Policy{Keep: 5, Pairs: 1, Flip: 1}).Validate(big); err != nil {
		t.Error(err)
	}
}

func TestKey(t *testing.T) {
	m := model(t, 3, 2, 1)
	z := make([]int8, m.NumNodes())
	z[0] = 1
	z[3], z[5], z[6] = 1, 1, 1 // level 2 is nodes 3 … 6: 1 0 1 1
	if k := Key(m, z, 0); k != 1 {
		t.Errorf("root key %d", k)
	}
	if k := Key(m, z, 2); k != 0b1011 {
		t.Errorf("level-2 key %b, want 1011", k)
	}
}

func TestDeterministic(t *testing.T) {
	m := model(t, 3, 3, 2)
	p := Policy{Keep: 1, Flip: 0.1, Pairs: 2, Negatives: 2}
	a, err := New(m, p)
	if err != nil {
		t.Fatal(err)
	}
	const samples = 2*hltm.BlockRows + 300
	z := make([]int8, samples*m.NumNodes())
	m.SampleRows(3, 0, samples, z, nil, 2)
	ref := NewViews(m, p, samples)
	a.Fill(7, 0, samples, words(z), ref, 1)
	got := NewViews(m, p, samples)
	a.Fill(7, 0, samples, words(z), got, 2)
	if !equal(ref, got) {
		t.Fatal("threads=2 changed the views")
	}
	// Two aligned chunks give the same rows as one call.
	n := m.NumNodes()
	first := NewViews(m, p, hltm.BlockRows)
	a.Fill(7, 0, hltm.BlockRows, words(z[:hltm.BlockRows*n]), first, 2)
	rest := NewViews(m, p, samples-hltm.BlockRows)
	a.Fill(7, hltm.BlockRows, samples-hltm.BlockRows, words(z[hltm.BlockRows*n:]), rest, 2)
	if !slices.Equal(append(first.XA, rest.XA...), ref.XA) || !slices.Equal(append(first.XNeg, rest.XNeg...), ref.XNeg) {
		t.Fatal("chunked Fill differs")
	}
	a.Fill(8, 0, samples, words(z), got, 2)
	if equal(ref, got) {
		t.Fatal("seeds 7 and 8 gave the same views")
	}
}

func equal(a, b *Views) bool {
	return a.Rows == b.Rows && slices.Equal(a.Key, b.Key) && slices.Equal(a.XA, b.XA) && slices.Equal(a.XB, b.XB) &&
		slices.Equal(a.ZA, b.ZA) && slices.Equal(a.ZB, b.ZB) && slices.Equal(a.XNeg, b.XNeg)
}

// exactMeans returns E[z_i | level k = kept] for every node by enumerating
// the joint distribution of a small tree from its definition.
func exactMeans(m *hltm.Model, k int, kept []int8) []float64 {
	nn := m.NumNodes()
	lo, hi := m.LevelStart(k), m.LevelStart(k+1)
	z := make([]int8, nn)
	mean := make([]float64, nn)
	total := 0.0
	for s := 0; s < 1<<nn; s++ {
		ok := true
		for i := range z {
			z[i] = int8(s >> i & 1)
			if i >= lo && i < hi && z[i] != kept[i-lo] {
				ok = false
			}
		}
		if !ok {
			continue
		}
		p := 0.5
		for i := 1; i < nn; i++ {
			q := (1 + m.Polarity(i)) / 2
			if z[i] != z[m.Parent(i)] {
				q = 1 - q
			}
			p *= q
		}
		total += p
		for i, v := range z {
			mean[i] += p * float64(v)
		}
	}
	for i := range mean {
		mean[i] /= total
	}
	return mean
}

// TestViewStatistics checks, for every kept level of a depth-3 binary tree
// and a depth-2 ternary one:
// the kept latents are equal in both views and to the sample; every other
// node of each view matches its exact conditional mean; the two views are
// conditionally independent; leaf noise shifts E[x] to p + (1−2p)·E[z];
// negatives are independent draws from the model.
func TestViewStatistics(t *testing.T) {
	for _, c := range [][2]int{{3, 2}, {2, 3}} {
		t.Run(fmt.Sprintf("depth=%d,children=%d", c[0], c[1]), func(t *testing.T) {
			viewStatistics(t, model(t, c[0], c[1], 5))
		})
	}
}

func viewStatistics(t *testing.T, m *hltm.Model) {
	nn, nl, lat := m.NumNodes(), m.NumLeaves(), m.NumLatents()
	const samples = 40000
	const flip = 0.15
	for k := 0; k <= m.Depth(); k++ {
		p := Policy{Keep: k, Flip: flip, Pairs: 1, Negatives: 2}
		a, err := New(m, p)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := m.LevelStart(k), m.LevelStart(k+1)
		kept := make([]int8, hi-lo)
		for i := range kept {
			kept[i] = int8((i*3 + k + 1) % 2)
		}
		// Every sample has the same kept latents and noise elsewhere.
		z := make([]int8, samples*nn)
		r := rng.New(uint64(k), rng.Shuffle, 0)
		for s := 0; s < samples; s++ {
			for i := 0; i < nn; i++ {
				z[s*nn+i] = int8(r.IntN(2))
			}
			copy(z[s*nn+lo:s*nn+hi], kept)
		}
		vb := NewViews(m, p, samples)
		a.Fill(uint64(100+k), 0, samples, words(z), vb, 2)
		v := vb.Bytes()
		mu := exactMeans(m, k, kept)
		check := func(what string, got, want, sd float64) {
			t.Helper()
			if tol := sigmas*sd/math.Sqrt(samples) + 1e-12; math.Abs(got-want) > tol {
				t.Errorf("keep %d: %s = %.5f, want %.5f ± %.5f", k, what, got, want, tol)
			}
		}
		for i := 0; i < nn; i++ {
			var sa, sb, cross float64
			for s := 0; s < samples; s++ {
				za, zb := v.ZA[s*nn+i], v.ZB[s*nn+i]
				sa += float64(za)
				sb += float64(zb)
				cross += float64((2*za - 1) * (2*zb - 1))
				if i >= lo && i < hi && (za != kept[i-lo] || zb != kept[i-lo]) {
					t.Fatalf("keep %d: sample %d node %d: kept latent changed", k, s, i)
				}
			}
			sd := math.Sqrt(mu[i] * (1 - mu[i]))
			check("E[z_a"+itoa(i)+"]", sa/samples, mu[i], sd)
			check("E[z_b"+itoa(i)+"]", sb/samples, mu[i], sd)
			e := (2*mu[i] - 1) * (2*mu[i] - 1) // independent views
			check("E[s_a s_b] node "+itoa(i), cross/samples, e, math.Sqrt(1-e*e))
		}
		for j := 0; j < nl; j++ {
			var xa, xn0, negA, neg01 float64
			for s := 0; s < samples; s++ {
				a := float64(v.XA[s*nl+j])
				n0, n1 := float64(v.XNeg[(2*s)*nl+j]), float64(v.XNeg[(2*s+1)*nl+j])
				xa += a
				xn0 += n0
				negA += (2*n0 - 1) * (2*a - 1)
				neg01 += (2*n0 - 1) * (2*n1 - 1)
			}
			want := flip + (1-2*flip)*mu[lat+j]
			check("E[x_a"+itoa(j)+"]", xa/samples, want, math.Sqrt(want*(1-want)))
			check("E[x_neg"+itoa(j)+"]", xn0/samples, 0.5, 0.5)
			check("E[s_neg s_a] leaf "+itoa(j), negA/samples, 0, 1)
			check("E[s_neg0 s_neg1] leaf "+itoa(j), neg01/samples, 0, 1)
		}
		// Within one negative, leaves are correlated as in the model,
		// attenuated by the noise twice: (1−2p)²·ρ_path.
		for _, pr := range [][2]int{{0, 1}, {0, 7}, {2, 3}} {
			var c float64
			for s := 0; s < samples; s++ {
				c += float64((2*v.XNeg[2*s*nl+pr[0]] - 1) * (2*v.XNeg[2*s*nl+pr[1]] - 1))
			}
			want := (1 - 2*flip) * (1 - 2*flip) * m.PathPolarity(lat+pr[0], lat+pr[1])
			check("negative corr of leaves "+itoa(pr[0])+","+itoa(pr[1]), c/samples, want, math.Sqrt(1-want*want))
		}
	}
}

func TestSelfView(t *testing.T) {
	m := model(t, 3, 2, 6)
	p := Policy{Keep: 0, Pairs: 3, SelfView: true}
	a, _ := New(m, p)
	const samples = 500
	nn, nl := m.NumNodes(), m.NumLeaves()
	z := make([]int8, samples*nn)
	x := make([]float64, samples*nl)
	m.SampleRows(1, 0, samples, z, x, 1)
	vb := NewViews(m, p, samples)
	a.Fill(2, 0, samples, words(z), vb, 2)
	v := vb.Bytes()
	if v.Rows != 3*samples || len(v.XNeg) != 0 {
		t.Fatalf("rows %d, negatives %d", v.Rows, len(v.XNeg))
	}
	differ := 0
	for r := 0; r < v.Rows; r++ {
		s := r / 3
		if !slices.Equal(v.ZA[r*nn:(r+1)*nn], z[s*nn:(s+1)*nn]) || !slices.Equal(v.XA[r*nl:(r+1)*nl], leaves8(x[s*nl:(s+1)*nl])) {
			t.Fatalf("row %d: view a is not the sample", r)
		}
		if v.ZB[r*nn] != z[s*nn] || v.Key[r] != int64(z[s*nn]) {
			t.Fatalf("row %d: view b lost the root", r)
		}
		if !slices.Equal(v.ZB[r*nn:(r+1)*nn], z[s*nn:(s+1)*nn]) {
			differ++
		}
	}
	if differ < v.Rows/2 {
		t.Fatalf("view b equals the sample in %d of %d rows", v.Rows-differ, v.Rows)
	}
}

func itoa(i int) string {
	return strconv.Itoa(i)
}

// BenchmarkFill measures the reference setting (depth 5, binary, keep
// root, one negative: three trees per sample) on one and two goroutines,
// in pairs/s and CPU-ns per sample; "scalar" is the sample-at-a-time path
// Fill took before the bit-sliced sampler (hltm.Model.SampleGivenScratch
// and Sample per view, noise by one comparison per leaf), one goroutine.
func BenchmarkFill(b *testing.B) {
	m := model(b, 5, 2, 1)
	p := Policy{Keep: 0, Pairs: 1, Negatives: 1}
	a, _ := New(m, p)
	const samples = 8 * hltm.BlockRows
	z := make([]int8, samples*m.NumNodes())
	m.SampleRows(1, 0, samples, z, nil, 2)
	v := NewViews(m, p, samples)
	zw := words(z)
	nn, nl := m.NumNodes(), m.NumLeaves()
	u := ViewBytes{Key: make([]int64, samples), XA: make([]int8, samples*nl), XB: make([]int8, samples*nl),
		ZA: make([]int8, samples*nn), ZB: make([]int8, samples*nn), XNeg: make([]int8, samples*nl)}
	report := func(b *testing.B, cpu0 float64) {
		b.ReportMetric(float64(b.N)*samples/b.Elapsed().Seconds(), "pairs/s")
		b.ReportMetric((cputime.Seconds()-cpu0)*1e9/float64(b.N*samples), "cpu-ns/sample")
	}
	for _, th := range []int{1, 2} {
		b.Run("threads="+itoa(th), func(b *testing.B) {
			cpu0 := cputime.Seconds()
			for i := 0; i < b.N; i++ {
				a.Fill(uint64(i), 0, samples, zw, v, th)
			}
			report(b, cpu0)
		})
	}
	b.Run("scalar", func(b *testing.B) {
		cpu0 := cputime.Seconds()
		for i := 0; i < b.N; i++ {
			scalarFill(m, p, rng.New(uint64(i), rng.Augment, 0), samples, z, u)
		}
		report(b, cpu0)
	})
}

// scalarFill is Fill's former block, one sample at a time, for
// BenchmarkFill's comparison (one stream for all samples).
func scalarFill(m *hltm.Model, p Policy, rnd *rand.Rand, samples int, z []int8, out ViewBytes) {
	n, l, h := m.NumNodes(), m.NumLeaves(), p.Negatives
	lam := make([][2]float64, m.LevelStart(p.Keep))
	zneg := make([]int8, n)
	flip := rng.Threshold(p.Flip)
	noise := func(x []int8) {
		if flip == 0 {
			return
		}
		for j := range x {
			_, f := bits.Sub64(rnd.Uint64(), flip, 0)
			x[j] ^= int8(f)
		}
	}
	view := func(src, dst, x []int8, fresh bool) {
		copy(dst, src)
		if fresh {
			m.SampleGivenScratch(rnd, dst, p.Keep, lam)
		}
		copy(x, dst[n-l:])
		noise(x)
	}
	for s := 0; s < samples; s++ {
		zs := z[s*n : (s+1)*n]
		key := Key(m, zs, p.Keep)
		for j := 0; j < p.Pairs; j++ {
			r := s*p.Pairs + j
			out.Key[r] = key
			view(zs, out.ZA[r*n:(r+1)*n], out.XA[r*l:(r+1)*l], !p.SelfView)
			view(zs, out.ZB[r*n:(r+1)*n], out.XB[r*l:(r+1)*l], true)
			for k := 0; k < h; k++ {
				x := out.XNeg[(r*h+k)*l : (r*h+k+1)*l]
				m.Sample(rnd, zneg)
				copy(x, zneg[n-l:])
				noise(x)
			}
		}
	}
}

// leaves8 returns 0/1 floats as int8, the views' encoding.
func leaves8(x []float64) []int8 {
	out := make([]int8, len(x))
	for i, v := range x {
		out[i] = int8(v)
	}
	return out
}

// TestShapes runs Fill on trees wider than a 64-node word (depth 6 binary:
// 127 nodes; depth 3 with 5 children: 156 nodes; a chain), several pairs,
// every kept level, partial lane groups and with and without noise: the
// kept level is each view's, and without noise x is exactly the leaves of
// z; with noise x differs from them, sometimes.
func TestShapes(t *testing.T) {
	for _, c := range []struct{ depth, children int }{{6, 2}, {3, 5}, {4, 1}, {1, 3}} {
		m := model(t, c.depth, c.children, 9)
		n, l, lat := m.NumNodes(), m.NumLeaves(), m.NumLatents()
		const samples = hltm.BlockRows + 70
		z := make([]int8, samples*n)
		m.SampleRows(4, 0, samples, z, nil, 1)
		for keep := 0; keep <= m.Depth(); keep++ {
			if m.LevelSize(keep) > MaxKeyNodes {
				continue
			}
			for _, flip := range []float64{0, 0.2} {
				p := Policy{Keep: keep, Flip: flip, Pairs: 2, Negatives: 1}
				a, err := New(m, p)
				if err != nil {
					t.Fatal(err)
				}
				vb := NewViews(m, p, samples)
				a.Fill(5, 0, samples, words(z), vb, 2)
				v := vb.Bytes()
				lo, hi := m.LevelStart(keep), m.LevelStart(keep+1)
				noisy := 0
				for r := 0; r < v.Rows; r++ {
					s := r / 2
					for _, view := range []struct{ z, x []int8 }{{v.ZA, v.XA}, {v.ZB, v.XB}} {
						zr, xr := view.z[r*n:(r+1)*n], view.x[r*l:(r+1)*l]
						if !slices.Equal(zr[lo:hi], z[s*n+lo:s*n+hi]) {
							t.Fatalf("depth %d children %d keep %d: row %d lost the kept level", c.depth, c.children, keep, r)
						}
						if !slices.Equal(xr, zr[lat:]) {
							if flip == 0 {
								t.Fatalf("depth %d children %d keep %d: row %d: x is not the leaves of z", c.depth, c.children, keep, r)
							}
							noisy++
						}
					}
					if v.Key[r] != Key(m, z[s*n:(s+1)*n], keep) {
						t.Fatalf("row %d: key %d", r, v.Key[r])
					}
				}
				if flip > 0 && noisy == 0 {
					t.Fatalf("depth %d children %d keep %d: noise changed no x", c.depth, c.children, keep)
				}
			}
		}
	}
}

// TestNoiseExtremes checks leaf noise at the ends of its range on 3000
// samples (two views and two negatives each): --flip 1 inverts every leaf
// of every view (its threshold 2⁶⁴−1 leaves a chance of 2⁻⁶⁴ a leaf),
// --flip 1e-12 flips none (about 10⁻⁷ expected in all), and --flip 0.5
// flips each leaf with probability ½ (binomial, 5σ).
func TestNoiseExtremes(t *testing.T) {
	m := model(t, 4, 2, 11)
	n, l, lat := m.NumNodes(), m.NumLeaves(), m.NumLatents()
	const samples = 3000
	z := make([]int8, samples*n)
	m.SampleRows(8, 0, samples, z, nil, 1)
	for _, flip := range []float64{1, 1e-12, 0.5} {
		p := Policy{Keep: 0, Flip: flip, Pairs: 1, Negatives: 2}
		a, _ := New(m, p)
		vb := NewViews(m, p, samples)
		a.Fill(3, 0, samples, words(z), vb, 2)
		v := vb.Bytes()
		flipped, total := 0, 0
		for r := 0; r < samples; r++ {
			for _, view := range []struct{ z, x []int8 }{{v.ZA, v.XA}, {v.ZB, v.XB}} {
				for j := 0; j < l; j++ {
					flipped += int(view.x[r*l+j] ^ view.z[r*n+lat+j])
					total++
				}
			}
		}
		switch flip {
		case 1:
			if flipped != total {
				t.Errorf("flip 1: %d of %d leaves flipped", flipped, total)
			}
			for i, x := range v.XNeg {
				if x != 0 && x != 1 {
					t.Fatalf("flip 1: negative value %d at %d", x, i)
				}
			}
		case 1e-12:
			if flipped != 0 {
				t.Errorf("flip 1e-12: %d of %d leaves flipped", flipped, total)
			}
		default:
			if d := math.Abs(float64(flipped) - 0.5*float64(total)); d > sigmas*0.5*math.Sqrt(float64(total)) {
				t.Errorf("flip 0.5: %d of %d leaves flipped", flipped, total)
			}
		}
	}
}

// words packs 0/1 rows into the bit matrix Fill and Stream.Add take.
func words(z []int8) []uint64 {
	w := make([]uint64, bitslice.Words(len(z)))
	bitslice.Compress(w, 0, z)
	return w
}
