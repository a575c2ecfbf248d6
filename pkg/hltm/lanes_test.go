package hltm

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/dualssl/dualssl/pkg/bitslice"
	"github.com/dualssl/dualssl/pkg/rng"
)

// The tests of the bit-sliced sampler use a two-sided per-check false
// alarm rate of alpha: with the few hundred checks below, a correct
// sampler fails a run with probability about 1e-4.
const alpha = 1e-6

// binomialOK reports whether k successes in n trials are consistent with
// success probability p at level alpha (exact binomial tails); p = 0 and
// p = 1 demand k = 0 and k = n.
func binomialOK(k, n int, p float64) (ok bool, pval float64) {
	switch {
	case p == 0:
		return k == 0, 0
	case p == 1:
		return k == n, 0
	}
	b := distuv.Binomial{N: float64(n), P: p}
	lo := b.CDF(float64(k))
	hi := 1.0
	if k > 0 {
		hi = 1 - b.CDF(float64(k-1))
	}
	pval = 2 * min(lo, hi)
	return pval >= alpha, pval
}

// chi2OK reports whether the counts fit the expected ones (same total) by
// Pearson's chi-square test with df degrees of freedom at level alpha;
// cells expected below 5 make the test meaningless, and it is then skipped
// (ok, skipped).
func chi2OK(counts, expected []float64, df int) (ok, skipped bool, stat, crit float64) {
	for _, e := range expected {
		if e < 5 {
			return true, true, 0, 0
		}
	}
	for i, c := range counts {
		d := c - expected[i]
		stat += d * d / expected[i]
	}
	crit = distuv.ChiSquared{K: float64(df)}.Quantile(1 - alpha)
	return stat <= crit, false, stat, crit
}

// extremeModel is a depth-3 binary tree whose 14 edges have flip
// probabilities at the edges of the range: exactly 0 (threshold 0) and 1
// (threshold 2⁶⁴−1, so really 1 − 2⁻⁶⁴), 10⁻⁹ and 1 − 10⁻⁹, ½ (threshold
// 2⁶³) and values in between.
func extremeModel(t testing.TB) *Model {
	q := []float64{0, 1, 1e-9, 1 - 1e-9, 0.5, 0.1, 0.9, 0.35, 0.65, 0.005, 0.995, 0.2, 0.25, 0.45}
	pol := make([]float64, len(q))
	for i, v := range q {
		pol[i] = 1 - 2*v
	}
	m, err := New(3, 2, pol)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// flipProb is P(node i ≠ its parent) as the sampler realises it:
// P(U < threshold) for U uniform on 64 bits.
func flipProb(m *Model, i int) float64 {
	return math.Ldexp(float64(m.flip[i]), -64)
}

// TestLaneFlipStatistics checks the bit-sliced sampler (SampleRows) edge by
// edge on 2¹⁸ samples of extremeModel: each edge's flip count (exact
// binomial test; none at probability 0, all at 1 − 2⁻⁶⁴), the joint flip
// pattern of every sibling pair (chi-square, 3 df: siblings flip
// independently), the flip counts of the 64 lanes of a word separately
// (chi-square, 64 df: every lane has the same probability) and the joint
// flips of neighbouring lanes (chi-square, 3 df: lanes are independent).
func TestLaneFlipStatistics(t *testing.T) {
	m := extremeModel(t)
	const rows = 1 << 18
	nn := m.NumNodes()
	z := make([]int8, rows*nn)
	m.SampleRows(21, 0, rows, z, nil, 2)
	flipped := func(r, i int) int { return int(z[r*nn+i] ^ z[r*nn+m.Parent(i)]) }
	ones := 0
	for r := 0; r < rows; r++ {
		ones += int(z[r*nn])
	}
	if ok, pv := binomialOK(ones, rows, 0.5); !ok {
		t.Errorf("root: %d ones in %d rows (p-value %.2g)", ones, rows, pv)
	}
	for i := 1; i < nn; i++ {
		q := flipProb(m, i)
		k := 0
		perLane := make([]float64, Lanes)
		var adj [4]float64
		for r := 0; r < rows; r++ {
			f := flipped(r, i)
			k += f
			perLane[r%Lanes] += float64(f)
			if r%2 == 0 {
				adj[2*f+flipped(r+1, i)]++
			}
		}
		if ok, pv := binomialOK(k, rows, q); !ok {
			t.Errorf("edge %d: %d flips in %d rows, want probability %.10g (p-value %.2g)", i, k, rows, q, pv)
		}
		want := make([]float64, Lanes)
		for s := range want {
			want[s] = rows / Lanes * q
		}
		// Per-lane counts: each lane is Binomial(rows/64, q); the sum of
		// their squared z-scores is chi-square with 64 df.
		if q > 0.01 && q < 0.99 {
			stat := 0.0
			for s, c := range perLane {
				d := c - want[s]
				stat += d * d / (want[s] * (1 - q))
			}
			if crit := (distuv.ChiSquared{K: Lanes}).Quantile(1 - alpha); stat > crit {
				t.Errorf("edge %d: lanes' flip counts differ: chi-square %.1f > %.1f (64 df)", i, stat, crit)
			}
		}
		half := float64(rows / 2)
		exp := []float64{half * (1 - q) * (1 - q), half * (1 - q) * q, half * q * (1 - q), half * q * q}
		if ok, _, stat, crit := chi2OK(adj[:], exp, 3); !ok {
			t.Errorf("edge %d: neighbouring lanes' flips %v, want %v: chi-square %.1f > %.1f", i, adj, exp, stat, crit)
		}
	}
	for p := 0; p < m.NumLatents(); p++ {
		a, b := 2*p+1, 2*p+2
		qa, qb := flipProb(m, a), flipProb(m, b)
		var c [4]float64
		for r := 0; r < rows; r++ {
			c[2*flipped(r, a)+flipped(r, b)]++
		}
		exp := []float64{rows * (1 - qa) * (1 - qb), rows * (1 - qa) * qb, rows * qa * (1 - qb), rows * qa * qb}
		ok, skipped, stat, crit := chi2OK(c[:], exp, 3)
		if !ok {
			t.Errorf("children of %d: flip patterns %v, want %v: chi-square %.1f > %.1f", p, c, exp, stat, crit)
		}
		if skipped {
			// Some pattern is too rare for chi-square: each cell must then
			// pass its own binomial test.
			for k, e := range exp {
				if ok, pv := binomialOK(int(c[k]), rows, e/rows); !ok {
					t.Errorf("children of %d: pattern %02b seen %v times, want %.3g (p-value %.2g)", p, k, c[k], e, pv)
				}
			}
		}
	}
}

// TestLaneSampler checks the LaneSampler's conversions and shapes: the
// rows of SampleRows are Unpack of the planes of the block's stream; a
// partial group takes the first lanes; SampleGiven keeps the kept level
// of every lane, whatever the stride, and leaves z alone.
func TestLaneSampler(t *testing.T) {
	m := testModel(t, 3, 3, 0.5, 1, 8)
	nn := m.NumNodes()
	z := make([]int8, 100*nn)
	m.SampleRows(4, 0, 100, z, nil, 1)
	src := rng.NewXoshiro(4, rng.Sample, 0)
	ls := m.NewLaneSampler()
	for g := 0; g < 100; g += Lanes {
		ls.Sample(src)
		for s := 0; s < min(Lanes, 100-g); s++ {
			for i := 0; i < nn; i++ {
				if got := z[(g+s)*nn+i]; got != int8(ls.Planes[i]>>s&1) {
					t.Fatalf("row %d node %d: %d, plane bit %d", g+s, i, got, ls.Planes[i]>>s&1)
				}
			}
		}
	}
	for keep := 0; keep <= m.Depth(); keep++ {
		for _, lanes := range []int{1, 17, Lanes} {
			stride := nn + 5
			in := make([]int8, lanes*stride)
			r := rng.New(uint64(keep), rng.Shuffle, uint64(lanes))
			for i := range in {
				in[i] = int8(r.IntN(2))
			}
			orig := slices.Clone(in)
			ls.SampleGiven(src, in, stride, lanes, keep)
			if !slices.Equal(in, orig) {
				t.Fatalf("keep %d lanes %d: SampleGiven modified z", keep, lanes)
			}
			out := make([]int8, lanes*nn)
			ls.Unpack(out, nn, lanes)
			lo, hi := m.LevelStart(keep), m.LevelStart(keep+1)
			for s := 0; s < lanes; s++ {
				if !slices.Equal(out[s*nn+lo:s*nn+hi], in[s*stride+lo:s*stride+hi]) {
					t.Fatalf("keep %d lanes %d: lane %d lost its kept level", keep, lanes, s)
				}
			}
		}
	}
}

// TestLaneSampleGivenExact is TestSampleGivenExact for the bit-sliced
// LaneSampler.SampleGiven: on a depth-3 binary tree, for every kept level,
// every node's conditional mean and a few pair moments against exact
// values by enumeration, lanes drawn 64 at a time with the kept level
// varying across lanes (two patterns, alternating).
func TestLaneSampleGivenExact(t *testing.T) {
	m := testModel(t, 3, 2, 0.4, 0.9, 12)
	nn := m.NumNodes()
	pairs := [][2]int{{0, 7}, {1, 2}, {3, 4}, {7, 14}, {0, 1}, {5, 12}}
	const groups = 1000 // 64000 samples, 32000 per pattern
	for k := 0; k <= m.Depth(); k++ {
		lo, hi := m.LevelStart(k), m.LevelStart(k+1)
		var kept [2][]int8
		var mean, cross [2][]float64
		for v := range kept {
			kept[v] = make([]int8, hi-lo)
			for i := range kept[v] {
				kept[v][i] = int8((i*5 + k + v) % 3 % 2)
			}
			mean[v], cross[v] = exactGiven(m, k, kept[v], pairs)
		}
		in := make([]int8, Lanes*nn)
		rnd := rng.New(uint64(k), rng.Augment, 1)
		for s := 0; s < Lanes; s++ {
			for i := 0; i < nn; i++ {
				in[s*nn+i] = int8(rnd.IntN(2))
			}
			copy(in[s*nn+lo:s*nn+hi], kept[s%2])
		}
		src := rng.NewXoshiro(uint64(k), rng.Augment, 2)
		ls := m.NewLaneSampler()
		out := make([]int8, Lanes*nn)
		var sum [2][]float64
		var sumc [2][]float64
		for v := range sum {
			sum[v] = make([]float64, nn)
			sumc[v] = make([]float64, len(pairs))
		}
		for g := 0; g < groups; g++ {
			ls.SampleGiven(src, in, nn, Lanes, k)
			ls.Unpack(out, nn, Lanes)
			for s := 0; s < Lanes; s++ {
				z := out[s*nn : (s+1)*nn]
				for i, v := range z {
					sum[s%2][i] += float64(v)
				}
				for q, pr := range pairs {
					sumc[s%2][q] += float64((2*z[pr[0]] - 1) * (2*z[pr[1]] - 1))
				}
			}
		}
		const n = groups * Lanes / 2
		for v := range kept {
			for i := 0; i < nn; i++ {
				p := mean[v][i]
				if ok, pv := binomialOK(int(sum[v][i]), n, p); !ok {
					t.Errorf("keep level %d pattern %d: E[z%d | kept] = %.5f, want %.5f (p-value %.2g)", k, v, i, sum[v][i]/n, p, pv)
				}
			}
			for q, pr := range pairs {
				// (1 + s_a s_b)/2 is Bernoulli((1 + c)/2).
				c := cross[v][q]
				agree := int(math.Round((sumc[v][q] + n) / 2))
				if ok, pv := binomialOK(agree, n, (1+c)/2); !ok {
					t.Errorf("keep level %d pattern %d: E[s%d s%d | kept] = %.5f, want %.5f (p-value %.2g)", k, v, pr[0], pr[1], sumc[v][q]/n, c, pv)
				}
			}
		}
	}
}

// TestSampleGivenWords checks that SampleGivenWords, reading the kept
// level from a bit matrix at unaligned positions and strides, draws the
// very planes SampleGiven draws from the same values and stream, at every
// kept level, for full and partial lane groups.
func TestSampleGivenWords(t *testing.T) {
	m := testModel(t, 3, 3, 0.5, 1, 8)
	nn := m.NumNodes()
	for keep := 0; keep <= m.Depth(); keep++ {
		for _, lanes := range []int{1, 17, Lanes} {
			for _, c := range []struct{ pos, stride int }{{0, nn}, {5, nn + 3}} {
				r := rng.New(uint64(keep), rng.Shuffle, uint64(lanes))
				rows := make([]int8, lanes*c.stride)
				for i := range rows {
					rows[i] = int8(r.IntN(2))
				}
				words := make([]uint64, bitslice.Words(c.pos+lanes*c.stride))
				bitslice.Compress(words, c.pos, rows)
				a, b := m.NewLaneSampler(), m.NewLaneSampler()
				srcA, srcB := rng.NewXoshiro(9, rng.Augment, 1), rng.NewXoshiro(9, rng.Augment, 1)
				a.SampleGiven(srcA, rows, c.stride, lanes, keep)
				b.SampleGivenWords(srcB, words, c.pos, c.stride, lanes, keep)
				mask := ^uint64(0) >> (64 - lanes)
				for i := range a.Planes {
					if a.Planes[i]&mask != b.Planes[i]&mask {
						t.Fatalf("keep %d, lanes %d, pos %d: plane %d differs", keep, lanes, c.pos, i)
					}
				}
				if *srcA != *srcB {
					t.Fatalf("keep %d, lanes %d: the streams moved apart", keep, lanes)
				}
			}
		}
	}
}
