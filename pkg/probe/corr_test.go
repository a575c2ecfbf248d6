package probe

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/dualssl/dualssl/pkg/rng"
)

// TestBivariateMatchesGonum checks Welford additions and Chan merges of
// arbitrary parts against gonum's two-pass correlation, including data with
// a large common offset (where naive sums of squares lose every digit). The
// tolerance is 1e-12 up to offsets 1e3; at offset 1e6 the data's own
// conditioning (offset/σ = 1e6) allows ~1e-10 between any two exact methods.
func TestBivariateMatchesGonum(t *testing.T) {
	rnd := rng.New(1, "test", 0)
	for trial, offset := range []float64{0, 1e3, -1e3, 1e6} {
		tol := 1e-12
		if math.Abs(offset) > 1e3 {
			tol = 1e-9
		}
		n := 1000 + trial*37
		x, y := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i] = offset + rnd.NormFloat64()
			y[i] = 0.3*x[i] + rnd.NormFloat64() - offset/2
		}
		want := stat.Correlation(x, y, nil)
		var whole Bivariate
		for i := range x {
			whole.Add(x[i], y[i])
		}
		// Random split points, each part by Welford, merged in order.
		var merged Bivariate
		for lo := 0; lo < n; {
			hi := min(n, lo+1+rnd.IntN(200))
			var part Bivariate
			for i := lo; i < hi; i++ {
				part.Add(x[i], y[i])
			}
			merged.Merge(part)
			lo = hi
		}
		for name, b := range map[string]Bivariate{"welford": whole, "merged": merged} {
			if got := b.Corr(); math.Abs(got-want) > tol {
				t.Errorf("offset %v %s: corr %v, gonum %v", offset, name, got, want)
			}
			if b.N != float64(n) || math.Abs(b.MeanX-stat.Mean(x, nil)) > 1e-9*(1+math.Abs(offset)) {
				t.Errorf("offset %v %s: n %v mean %v", offset, name, b.N, b.MeanX)
			}
		}
	}
}

func TestCorrDegenerate(t *testing.T) {
	var b Bivariate
	for i := 0; i < 10; i++ {
		b.Add(float64(i%2), 3) // y constant: 0/0
	}
	if got := b.Corr(); got != 0 {
		t.Fatalf("constant y: corr %v, want 0", got)
	}
	var e Bivariate
	if e.Corr() != 0 {
		t.Fatal("empty accumulator")
	}
	if Corr(2, 1, 1) != 1 || Corr(-2, 1, 1) != -1 {
		t.Fatal("no clamping")
	}
}
