package kernel

import (
	"math"
	"testing"

	"github.com/dualssl/dualssl/pkg/rng"
)

// TestStrip4 checks the AVX2 strip kernel against a direct loop for row
// counts that exercise the 8-, 4- and 1-row paths, several reduction
// lengths (including 0) and strides.
func TestStrip4(t *testing.T) {
	if !AVX2 {
		t.Skip("no AVX2+FMA")
	}
	r := rng.New(1, "test", 0)
	for _, rows := range []int{1, 3, 4, 5, 8, 9, 13, 20} {
		for _, k := range []int{0, 1, 2, 4, 7, 9} {
			for _, acc := range []bool{false, true} {
				os, ar, ak, vs := 6, k+2, 1, 5
				if acc {
					ar, ak = 1, rows+1
				}
				out := make([]float64, (rows-1)*os+4)
				init := make([]float64, 4)
				is := 0
				if acc {
					init, is = make([]float64, (rows-1)*os+4), os
				}
				a := make([]float64, (rows-1)*ar+max(k-1, 0)*ak+1)
				v := make([]float64, max(k-1, 0)*vs+4)
				for _, s := range [][]float64{init, a, v} {
					for i := range s {
						s[i] = r.NormFloat64()
					}
				}
				out4 := make([]float64, len(out))
				Strip4(out, os, init, is, a, ar, ak, v, vs, rows, k)
				Strip4K4(out4, os, init, is, a, ar, ak, v, vs, rows, k)
				for row := 0; row < rows; row++ {
					for l := 0; l < 4; l++ {
						want := init[row*is+l]
						for j := 0; j < k; j++ {
							want += a[row*ar+j*ak] * v[j*vs+l]
						}
						if got := out[row*os+l]; math.Abs(got-want) > 1e-14*(1+math.Abs(want)) {
							t.Fatalf("rows %d k %d acc %v: out[%d][%d] = %v, want %v", rows, k, acc, row, l, got, want)
						}
						if got := out4[row*os+l]; math.Abs(got-want) > 1e-14*(1+math.Abs(want)) {
							t.Fatalf("K4: rows %d k %d acc %v: out[%d][%d] = %v, want %v", rows, k, acc, row, l, got, want)
						}
					}
				}
			}
		}
	}
}

// TestGateRelu checks the branch-free ReLU and gate of both kernels,
// signed zeros and NaN included.
func TestGateRelu(t *testing.T) {
	t.Run("go", func(t *testing.T) { testGateRelu(t, ReluGo, GateGo) })
	if AVX2 {
		t.Run("avx2", func(t *testing.T) { testGateRelu(t, Relu, Gate) })
	}
}

func testGateRelu(t *testing.T, relu, gate func(h, f []float64)) {
	h := []float64{1.5, -2, 0, math.Copysign(0, -1), 1e-300, -1e-300, math.Inf(1), math.Inf(-1), math.NaN(), 3, -4}
	f := make([]float64, len(h))
	relu(h, f)
	wantF := []float64{1.5, 0, 0, 0, 1e-300, 0, math.Inf(1), 0, 0, 3, 0}
	g := make([]float64, len(h))
	for i := range g {
		g[i] = 1
	}
	gate(h, g)
	wantG := []float64{1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0}
	for i := range h {
		if f[i] != wantF[i] || math.Signbit(f[i]) || g[i] != wantG[i] {
			t.Errorf("h = %v: relu %v gate %v, want %v %v", h[i], f[i], g[i], wantF[i], wantG[i])
		}
	}
}

// TestStripCols checks the three-strip driver against a direct loop for
// column counts that exercise every grouping (one group with duplicate or
// overlapping strips, several groups, an overlapping last group), and that
// nothing outside the columns is written.
func TestStripCols(t *testing.T) {
	if !AVX2 {
		t.Skip("no AVX2+FMA")
	}
	r := rng.New(2, "test", 0)
	for _, n := range []int{4, 5, 7, 8, 10, 12, 13, 20, 25} {
		for _, rows := range []int{1, 3, 4, 6, 9} {
			for _, k := range []int{0, 1, 5} {
				os, is, ar, ak, vs := n+3, n+1, k+1, 1, n+2
				out := make([]float64, (rows-1)*os+n+3)
				for i := range out {
					out[i] = 7
				}
				init := make([]float64, (rows-1)*is+n)
				a := make([]float64, (rows-1)*ar+max(k-1, 0)*ak+1)
				v := make([]float64, max(k-1, 0)*vs+n)
				for _, s := range [][]float64{init, a, v} {
					for i := range s {
						s[i] = r.NormFloat64()
					}
				}
				StripCols(out, os, init, is, a, ar, ak, v, vs, rows, k, n)
				for row := 0; row < rows; row++ {
					for c := 0; c < os && row*os+c < len(out); c++ {
						got := out[row*os+c]
						if c >= n {
							if got != 7 {
								t.Fatalf("n %d rows %d k %d: wrote outside the columns at row %d col %d", n, rows, k, row, c)
							}
							continue
						}
						want := init[row*is+c]
						for j := 0; j < k; j++ {
							want += a[row*ar+j*ak] * v[j*vs+c]
						}
						if math.Abs(got-want) > 1e-14*(1+math.Abs(want)) {
							t.Fatalf("n %d rows %d k %d: out[%d][%d] = %v, want %v", n, rows, k, row, c, got, want)
						}
					}
				}
			}
		}
	}
}

// TestStripColsModes checks the fused ReLU and gate stores against the
// plain store.
func TestStripColsModes(t *testing.T) {
	if !AVX2 {
		t.Skip("no AVX2+FMA")
	}
	r := rng.New(3, "test", 0)
	for _, n := range []int{4, 6, 10, 12, 20} {
		for _, rows := range []int{1, 5, 8} {
			const k = 3
			os, vs := n+2, n
			init := make([]float64, n)
			a := make([]float64, rows*k)
			v := make([]float64, k*vs)
			h := make([]float64, (rows-1)*os+n)
			for _, s := range [][]float64{init, a, v, h} {
				for i := range s {
					s[i] = r.NormFloat64()
				}
			}
			plain := make([]float64, len(h))
			StripCols(plain, os, init, 0, a, k, 1, v, vs, rows, k, n)
			out, aux := make([]float64, len(h)), make([]float64, len(h))
			StripColsMode(out, os, init, 0, a, k, 1, v, vs, rows, k, n, StoreReLU, aux)
			gated := make([]float64, len(h))
			StripColsMode(gated, os, init, 0, a, k, 1, v, vs, rows, k, n, StoreGate, h)
			for row := 0; row < rows; row++ {
				for c := 0; c < n; c++ {
					i := row*os + c
					wantRelu, wantGate := 0.0, 0.0
					if plain[i] > 0 {
						wantRelu = plain[i]
					}
					if h[i] > 0 {
						wantGate = plain[i]
					}
					if out[i] != plain[i] || aux[i] != wantRelu || math.Signbit(aux[i]) || gated[i] != wantGate {
						t.Fatalf("n %d rows %d [%d][%d]: relu mode %v/%v, gate mode %v; plain %v, h %v", n, rows, row, c, out[i], aux[i], gated[i], plain[i], h[i])
					}
				}
			}
		}
	}
}
