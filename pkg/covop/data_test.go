package covop

import (
	"math"
	"testing"
)

// TestExactProbabilities checks the exact joint P(x, key) against a brute
// enumeration of every node of a small tree.
func TestExactProbabilities(t *testing.T) {
	m := testModel(t, 3, 2, 101)
	n, nleaf, nl := m.NumNodes(), m.NumLeaves(), m.NumLatents()
	for keep := 0; keep <= m.Depth(); keep++ {
		d, err := Exact(m, keep)
		if err != nil {
			t.Fatal(err)
		}
		G := d.NumKeys()
		first, size := m.LevelStart(keep), m.LevelSize(keep)
		want := make([]float64, d.N()*G)
		z := make([]int8, n)
		for s := 0; s < 1<<n; s++ {
			p := 1.0
			for i := range z {
				z[i] = int8((s >> i) & 1)
				if i == 0 {
					p *= 0.5
					continue
				}
				if z[i] == z[m.Parent(i)] {
					p *= (1 + m.Polarity(i)) / 2
				} else {
					p *= (1 - m.Polarity(i)) / 2
				}
			}
			x, key := 0, 0
			for j := range nleaf {
				x = x<<1 | int(z[nl+j]) // leaf 0 most significant, as EnumerateLeaves
			}
			for j := range size {
				key = key<<1 | int(z[first+j])
			}
			want[x*G+key] += p
		}
		total := 0.0
		for i, v := range d.joint {
			total += v
			if math.Abs(v-want[i]) > 1e-15 {
				t.Fatalf("keep %d: P(x=%d, key=%d) = %v, enumeration %v", keep, i/G, i%G, v, want[i])
			}
		}
		if math.Abs(total-1) > 1e-12 {
			t.Fatalf("keep %d: total probability %v", keep, total)
		}
	}
}

func TestFromViewsGroups(t *testing.T) {
	keys := []int64{5, 2, 5, 9}
	xa := []float64{1, 1, 2, 2, 3, 3, 4, 4}
	xb := []float64{-1, -1, -2, -2, -3, -3, -4, -4}
	d, err := FromViews(keys, xa, xb, 2)
	if err != nil {
		t.Fatal(err)
	}
	if d.NumKeys() != 3 || d.N() != 8 || d.Exact() {
		t.Fatalf("keys %d samples %d", d.NumKeys(), d.N())
	}
	if d.Labels[0] != 2 || d.Labels[1] != 5 || d.Labels[2] != 9 {
		t.Fatalf("labels %v", d.Labels)
	}
	// Key 5 holds rows 0 and 2, in that order, x_a before x_b.
	if d.keyStart[1] != 2 || d.keyStart[2] != 6 || d.X[4] != 1 || d.X[6] != -1 || d.X[8] != 3 {
		t.Fatalf("grouping: starts %v X %v", d.keyStart, d.X)
	}
	for r := range keys {
		if d.X[int(d.pairA[r])*2] != xa[2*r] || d.X[int(d.pairB[r])*2] != xb[2*r] {
			t.Fatalf("row %d pairs point to the wrong samples", r)
		}
	}
}

// TestNegatives checks that explicit negatives change the Theorem 1
// gradient estimate but not the operators (they are not views of a key).
func TestNegatives(t *testing.T) {
	m := testModel(t, 3, 2, 111)
	net := testTree(3, 2, 3, false, 112)
	keys, xa, xb := sampleViews(m, 0, 700, 113)
	_, xn, _ := sampleViews(m, 0, 700, 114)
	plain, err := FromViews(keys, xa, xb, m.NumLeaves())
	if err != nil {
		t.Fatal(err)
	}
	withNeg, _ := FromViews(keys, xa, xb, m.NumLeaves())
	if err := withNeg.AddNegatives(xn); err != nil {
		t.Fatal(err)
	}
	if err := withNeg.AddNegatives(xn); err == nil {
		t.Fatal("negatives added twice")
	}
	a, err := Analyze(net, plain, Config{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Analyze(net, withNeg, Config{Check: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range a.Operators {
		q := b.Operators[i]
		if o.Trace != q.Trace || o.Frobenius != q.Frobenius || o.WOpW != q.WOpW {
			t.Fatalf("%s: negatives changed the operator", o.Name)
		}
		if o.Scope == ScopeLevel && relErr(o.NegGrad, q.NegGrad) == 0 {
			t.Fatalf("%s: negatives did not change the gradient estimate", o.Name)
		}
	}
}
