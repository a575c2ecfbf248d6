package probe

import (
	"math"
	"testing"

	"github.com/dualssl/dualssl/pkg/rng"
)

// TestRowKernelsMatchTwins checks the assembly row kernels against their
// portable twins, bit for bit, and rowMoments against a plain two-pass sum.
func TestRowKernelsMatchTwins(t *testing.T) {
	if !useAVX {
		t.Skip("no assembly kernels in this build or on this CPU")
	}
	r := rng.New(41, rng.Sample, 0)
	for _, n := range []int{8, 16, 64, 256, 1024} {
		v, zc := make([]float64, n), make([]float64, n)
		for i := range v {
			v[i] = r.NormFloat64()*3 + 1
			zc[i] = float64(r.Uint64()&1) - 0.4
		}
		if a, b := sumDevAVX(&v[0], n, v[0]), sumDevGo(v, v[0]); a != b {
			t.Fatalf("n %d: sumDev %v, twin %v", n, a, b)
		}
		q1, c1 := sqCoAVX(&v[0], &zc[0], n, 0.7)
		q2, c2 := sqCoGo(v, zc, 0.7)
		if q1 != q2 || c1 != c2 {
			t.Fatalf("n %d: sqCo %v %v, twin %v %v", n, q1, c1, q2, c2)
		}
	}
	h := []float64{-1, 2, math.Copysign(0, -1), 0, math.NaN(), math.Inf(1), math.Inf(-1), 1e-300, -1e-300, 5}
	f := make([]float64, len(h))
	reluRows(h, f)
	for i, v := range h {
		want := 0.0
		if v > 0 {
			want = v
		}
		if math.Float64bits(f[i]) != math.Float64bits(want) {
			t.Fatalf("relu(%v) = %v, want %v", v, f[i], want)
		}
	}
}

// TestRowMoments compares rowMoments with a plain two-pass computation
// for every length up to 40 (tails included), and checks a constant row.
func TestRowMoments(t *testing.T) {
	r := rng.New(42, rng.Sample, 0)
	for n := 1; n <= 40; n++ {
		v, zc := make([]float64, n), make([]float64, n)
		for i := range v {
			v[i] = r.NormFloat64() + 5
			zc[i] = float64(r.Uint64()&1) - 0.5
		}
		var mean float64
		for _, x := range v {
			mean += x
		}
		mean /= float64(n)
		var m2, co float64
		for i, x := range v {
			m2 += (x - mean) * (x - mean)
			co += (x - mean) * zc[i]
		}
		gm, gq, gc := rowMoments(v, zc)
		if math.Abs(gm-mean) > 1e-13 || math.Abs(gq-m2) > 1e-12*(1+m2) || math.Abs(gc-co) > 1e-12*(1+math.Abs(co)) {
			t.Fatalf("n %d: %v %v %v, want %v %v %v", n, gm, gq, gc, mean, m2, co)
		}
		for i := range v {
			v[i] = 0.1
		}
		if gm, gq, gc := rowMoments(v, zc); gm != 0.1 || gq != 0 || gc != 0 {
			t.Fatalf("n %d: constant row: %v %v %v", n, gm, gq, gc)
		}
	}
}
