package hltm

import (
	"math"
	"slices"
	"testing"

	"github.com/dualssl/dualssl/pkg/bitslice"
	"github.com/dualssl/dualssl/pkg/rng"
)

// Statistical tests use 5σ tolerances: a correct sampler fails one check
// with probability about 6e-7, and these tests make a few hundred checks.
const sigmas = 5

func testModel(t *testing.T, depth, children int, lower, upper float64, seed uint64) *Model {
	t.Helper()
	n, _ := NumNodesFor(depth, children)
	m, err := New(depth, children, RandomPolarities(rng.New(seed, rng.Tree, 0), n-1, lower, upper, false))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSampleStatistics checks every marginal (½), every edge's agreement
// (1+ρ)/2 and the correlation of node pairs (product of the polarities on
// their path) on 2^18 samples drawn with SampleRows.
func TestSampleStatistics(t *testing.T) {
	m := testModel(t, 4, 2, 0.3, 0.95, 3)
	const rows = 1 << 18
	nn := m.NumNodes()
	z := make([]int8, rows*nn)
	m.SampleRows(11, 0, rows, z, nil, 2)
	ones := make([]float64, nn)
	agree := make([]float64, nn)
	for r := 0; r < rows; r++ {
		zr := z[r*nn : (r+1)*nn]
		for i, v := range zr {
			ones[i] += float64(v)
			if i > 0 && v == zr[m.Parent(i)] {
				agree[i]++
			}
		}
	}
	for i := 0; i < nn; i++ {
		if got, tol := ones[i]/rows, sigmas*0.5/math.Sqrt(rows); math.Abs(got-0.5) > tol {
			t.Errorf("node %d: P(z=1) = %.5f, want 0.5 ± %.5f", i, got, tol)
		}
		if i == 0 {
			continue
		}
		p := (1 + m.Polarity(i)) / 2
		if got, tol := agree[i]/rows, sigmas*math.Sqrt(p*(1-p)/rows); math.Abs(got-p) > tol {
			t.Errorf("edge %d: P(child = parent) = %.5f, want %.5f ± %.5f", i, got, p, tol)
		}
	}
	// With s = 2z−1 (±1, mean 0, variance 1) corr = E[s_a s_b], and the
	// estimator's variance is (1 − corr²)/n.
	pairs := [][2]int{{0, 1}, {0, 30}, {1, 2}, {3, 4}, {7, 8}, {15, 30}, {15, 16}, {5, 29}, {0, 15}}
	for _, p := range pairs {
		a, b := p[0], p[1]
		s := 0.0
		for r := 0; r < rows; r++ {
			s += float64((2*z[r*nn+a] - 1) * (2*z[r*nn+b] - 1))
		}
		want := m.PathPolarity(a, b)
		if got, tol := s/rows, sigmas*math.Sqrt((1-want*want)/rows)+1e-12; math.Abs(got-want) > tol {
			t.Errorf("corr(z%d, z%d) = %.5f, want %.5f ± %.5f", a, b, got, want, tol)
		}
	}
}

// TestSampleRowsDeterministic checks that rows depend on (seed, row) only:
// not on threads, not on how the range is split.
func TestSampleRowsDeterministic(t *testing.T) {
	m := testModel(t, 3, 3, 0.5, 1, 4)
	nn, nl := m.NumNodes(), m.NumLeaves()
	const rows = 3*BlockRows + 77
	ref := make([]int8, rows*nn)
	refx := make([]float64, rows*nl)
	m.SampleRows(5, 0, rows, ref, refx, 1)
	for _, threads := range []int{2, 3, 8} {
		z := make([]int8, rows*nn)
		x := make([]float64, rows*nl)
		m.SampleRows(5, 0, rows, z, x, threads)
		if !slices.Equal(z, ref) || !slices.Equal(x, refx) {
			t.Fatalf("threads=%d changed the samples", threads)
		}
	}
	// A later range equals the same rows of a longer draw; a shorter draw
	// is a prefix.
	z := make([]int8, (rows-BlockRows)*nn)
	m.SampleRows(5, BlockRows, rows-BlockRows, z, nil, 2)
	if !slices.Equal(z, ref[BlockRows*nn:]) {
		t.Fatal("SampleRows(first=BlockRows) differs from the same rows of a longer draw")
	}
	short := make([]int8, 100*nn)
	m.SampleRows(5, 0, 100, short, nil, 2)
	if !slices.Equal(short, ref[:100*nn]) {
		t.Fatal("a shorter draw is not a prefix")
	}
	// Leaves are the tail of z as floats; another seed differs.
	for r := 0; r < rows; r++ {
		for j := 0; j < nl; j++ {
			if refx[r*nl+j] != float64(ref[r*nn+m.NumLatents()+j]) {
				t.Fatalf("row %d leaf %d: x disagrees with z", r, j)
			}
		}
	}
	other := make([]int8, 100*nn)
	m.SampleRows(6, 0, 100, other, nil, 1)
	if slices.Equal(other, short) {
		t.Fatal("seeds 5 and 6 gave the same rows")
	}
}

func TestRandomPolaritiesRange(t *testing.T) {
	const n = 20000
	for _, c := range []struct {
		lo, hi float64
		pos    bool
	}{{0.7, 1, false}, {0.8, 0.8, false}, {0, 0.3, true}} {
		pol := RandomPolarities(rng.New(9, rng.Tree, 0), n, c.lo, c.hi, c.pos)
		neg, sum := 0, 0.0
		for _, r := range pol {
			if math.Abs(r) < c.lo || math.Abs(r) > c.hi {
				t.Fatalf("|ρ| = %v outside [%v, %v]", math.Abs(r), c.lo, c.hi)
			}
			if r < 0 {
				neg++
			}
			sum += math.Abs(r)
		}
		if c.pos && neg > 0 {
			t.Fatalf("positive-only gave %d negative polarities", neg)
		}
		if !c.pos {
			if got, tol := float64(neg)/n, sigmas*0.5/math.Sqrt(n); math.Abs(got-0.5) > tol {
				t.Fatalf("fraction negative %v, want 0.5 ± %v", got, tol)
			}
		}
		// |ρ| ~ U(lo, hi): mean (lo+hi)/2, sd (hi−lo)/√12.
		if got, tol := sum/n, sigmas*(c.hi-c.lo)/math.Sqrt(12*n)+1e-12; math.Abs(got-(c.lo+c.hi)/2) > tol {
			t.Fatalf("mean |ρ| %v, want %v ± %v", got, (c.lo+c.hi)/2, tol)
		}
	}
}

// jointProb returns P(z) for a full configuration, from the definition.
func jointProb(m *Model, z []int8) float64 {
	p := 0.5
	for i := 1; i < len(z); i++ {
		q := (1 + m.Polarity(i)) / 2
		if z[i] != z[m.Parent(i)] {
			q = 1 - q
		}
		p *= q
	}
	return p
}

// exactGiven returns E[z_μ | level k = kept] for every node and
// E[s_a s_b | level k = kept] for the given pairs, by enumerating every
// joint configuration of a small tree.
func exactGiven(m *Model, k int, kept []int8, pairs [][2]int) (mean []float64, cross []float64) {
	nn := m.NumNodes()
	lo, hi := m.LevelStart(k), m.LevelStart(k+1)
	z := make([]int8, nn)
	mean = make([]float64, nn)
	cross = make([]float64, len(pairs))
	total := 0.0
	for s := 0; s < 1<<nn; s++ {
		match := true
		for i := range z {
			z[i] = int8(s >> i & 1)
			if i >= lo && i < hi && z[i] != kept[i-lo] {
				match = false
			}
		}
		if !match {
			continue
		}
		p := jointProb(m, z)
		total += p
		for i, v := range z {
			mean[i] += p * float64(v)
		}
		for q, pr := range pairs {
			cross[q] += p * float64((2*z[pr[0]]-1)*(2*z[pr[1]]-1))
		}
	}
	for i := range mean {
		mean[i] /= total
	}
	for q := range cross {
		cross[q] /= total
	}
	return mean, cross
}

// TestSampleGivenExact checks SampleGiven(keep level k) on a depth-3
// binary tree against exact conditional means and pair moments computed by
// enumerating all 2^15 joint states, for every level k.
func TestSampleGivenExact(t *testing.T) {
	m := testModel(t, 3, 2, 0.4, 0.9, 12)
	nn := m.NumNodes()
	pairs := [][2]int{{0, 7}, {1, 2}, {3, 4}, {7, 14}, {0, 1}, {5, 12}}
	const n = 60000
	for k := 0; k <= m.Depth(); k++ {
		lo, hi := m.LevelStart(k), m.LevelStart(k+1)
		kept := make([]int8, hi-lo)
		for i := range kept {
			kept[i] = int8((i*5 + k) % 3 % 2) // a mixed pattern
		}
		mean, cross := exactGiven(m, k, kept, pairs)
		rnd := rng.New(uint64(k), rng.Augment, 0)
		z := make([]int8, nn)
		sum := make([]float64, nn)
		sumc := make([]float64, len(pairs))
		for r := 0; r < n; r++ {
			for i := range z {
				z[i] = int8(rnd.IntN(2)) // garbage everywhere but the kept level
			}
			copy(z[lo:hi], kept)
			m.SampleGiven(rnd, z, k)
			if !slices.Equal(z[lo:hi], kept) {
				t.Fatalf("level %d: kept nodes changed", k)
			}
			for i, v := range z {
				sum[i] += float64(v)
			}
			for q, pr := range pairs {
				sumc[q] += float64((2*z[pr[0]] - 1) * (2*z[pr[1]] - 1))
			}
		}
		for i := range z {
			p := mean[i]
			if got, tol := sum[i]/n, sigmas*math.Sqrt(p*(1-p)/n)+1e-12; math.Abs(got-p) > tol {
				t.Errorf("keep level %d: E[z%d | kept] = %.5f, want %.5f ± %.5f", k, i, got, p, tol)
			}
		}
		for q, pr := range pairs {
			c := cross[q]
			if got, tol := sumc[q]/n, sigmas*math.Sqrt((1-c*c)/n)+1e-12; math.Abs(got-c) > tol {
				t.Errorf("keep level %d: E[s%d s%d | kept] = %.5f, want %.5f ± %.5f", k, pr[0], pr[1], got, c, tol)
			}
		}
	}
}

// TestSampleRowsBits checks that the bit matrices hold the rows SampleRows
// draws, with and without leaves, on one and several goroutines and from a
// later first block, for trees narrower and wider than a 64-bit word.
func TestSampleRowsBits(t *testing.T) {
	for _, shape := range [][2]int{{3, 3}, {6, 2}} {
		m := testModel(t, shape[0], shape[1], 0.5, 1, 4)
		nn, nl := m.NumNodes(), m.NumLeaves()
		const rows = 2*BlockRows + 77
		ref := make([]int8, rows*nn)
		m.SampleRows(5, BlockRows, rows, ref, nil, 1)
		for _, threads := range []int{1, 3} {
			for _, leaves := range []bool{false, true} {
				z := make([]uint64, bitslice.Words(rows*nn))
				var x []uint64
				if leaves {
					x = make([]uint64, bitslice.Words(rows*nl))
				}
				m.SampleRowsBits(5, BlockRows, rows, z, x, threads)
				got := make([]int8, rows*nn)
				bitslice.Expand(got, z, 0)
				if !slices.Equal(got, ref) {
					t.Fatalf("depth %d, %d children, threads %d: z differs from SampleRows", shape[0], shape[1], threads)
				}
				if !leaves {
					continue
				}
				gx := make([]int8, rows*nl)
				bitslice.Expand(gx, x, 0)
				for r := 0; r < rows; r++ {
					if !slices.Equal(gx[r*nl:(r+1)*nl], ref[r*nn+m.NumLatents():(r+1)*nn]) {
						t.Fatalf("depth %d, %d children: row %d: x is not the leaves of z", shape[0], shape[1], r)
					}
				}
			}
		}
	}
}
