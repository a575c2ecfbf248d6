package kernel

import (
	"fmt"
	"math"
	"testing"

	"github.com/dualssl/dualssl/pkg/rng"
)

// eachLanes runs f on the portable twins and, where the CPU has them, on
// the AVX2 kernels.
func eachLanes(t *testing.T, f func(t *testing.T, mul func([]float64, int, []float64, []float64, int, int, []float64, int, int, int, int, int, []float64), gradW func([]float64, int, []float64, int, []float64, int, int, int, int), sum func([]float64, []float64, int, int, int))) {
	t.Run("go", func(t *testing.T) { f(t, LanesMulGo, LanesGradWGo, LanesSumGo) })
	if AVX2 {
		t.Run("avx2", func(t *testing.T) { f(t, LanesMul, LanesGradW, LanesSum) })
	}
}

func close14(got, want float64) bool { return math.Abs(got-want) <= 1e-14*(1+math.Abs(want)) }

// TestLanesMul checks every store mode against a direct loop for row
// counts that exercise the five-row tiles, an overlapping last tile and
// the row-by-row paths, transposed and plain coefficient layouts, and that
// nothing outside the rows and lanes is written.
func TestLanesMul(t *testing.T) {
	eachLanes(t, func(t *testing.T, mul func([]float64, int, []float64, []float64, int, int, []float64, int, int, int, int, int, []float64), _ func([]float64, int, []float64, int, []float64, int, int, int, int), _ func([]float64, []float64, int, int, int)) {
		r := rng.New(4, "test", 0)
		for _, m := range []int{1, 3, 5, 7, 10, 12} {
			for _, k := range []int{0, 1, 2, 3, 20} {
				for _, n := range []int{8, 16, 96} {
					for mode := LanesPlain; mode <= LanesAdd; mode++ {
						for _, trans := range []bool{false, true} {
							name := fmt.Sprintf("m %d k %d n %d mode %d trans %v", m, k, n, mode, trans)
							os, vs := n+5, n+3
							ar, ak := k+1, 1
							if trans {
								ar, ak = 1, m+2
							}
							var init []float64
							if mode != LanesAdd || k%2 == 0 {
								init = make([]float64, m)
							}
							a := make([]float64, (m-1)*ar+max(k-1, 0)*ak+1)
							v := make([]float64, max(k-1, 0)*vs+n)
							out := make([]float64, m*os)
							aux := make([]float64, m*os)
							for _, s := range [][]float64{init, a, v, out, aux} {
								for i := range s {
									s[i] = r.NormFloat64()
								}
							}
							out0, aux0 := append([]float64(nil), out...), append([]float64(nil), aux...)
							var auxArg []float64
							if mode == LanesGate {
								auxArg = aux
							}
							mul(out, os, init, a, ar, ak, v, vs, m, k, n, mode, auxArg)
							for row := 0; row < m; row++ {
								for c := 0; c < os; c++ {
									i := row*os + c
									if c >= n {
										if out[i] != out0[i] || aux[i] != aux0[i] {
											t.Fatalf("%s: wrote outside the lanes at row %d lane %d", name, row, c)
										}
										continue
									}
									s := 0.0
									if init != nil {
										s = init[row]
									}
									for j := 0; j < k; j++ {
										s += a[row*ar+j*ak] * v[j*vs+c]
									}
									wantOut, wantAux := s, aux0[i]
									switch mode {
									case LanesReLU:
										wantOut = max(s, 0)
									case LanesGate:
										if !(aux0[i] > 0) {
											wantOut = 0
										}
									case LanesAdd:
										wantOut = out0[i] + s
									}
									if !close14(out[i], wantOut) || !close14(aux[i], wantAux) || math.Signbit(out[i]) && mode == LanesReLU {
										t.Fatalf("%s: [%d][%d] = %v, aux %v; want %v, %v", name, row, c, out[i], aux[i], wantOut, wantAux)
									}
								}
							}
						}
					}
				}
			}
		}
	})
}

// TestLanesGradW checks the weight-gradient and bias-gradient kernels
// against direct loops, including the tiles' remainders, and that they
// add onto what is there.
func TestLanesGradW(t *testing.T) {
	eachLanes(t, func(t *testing.T, _ func([]float64, int, []float64, []float64, int, int, []float64, int, int, int, int, int, []float64), gradW func([]float64, int, []float64, int, []float64, int, int, int, int), sum func([]float64, []float64, int, int, int)) {
		r := rng.New(5, "test", 0)
		for _, m := range []int{1, 4, 5, 7, 10, 11} {
			for _, k := range []int{1, 2, 3, 20} {
				for _, n := range []int{0, 8, 24, 96} {
					gs, ds, xs := k+2, n+4, n+1
					gw := make([]float64, m*gs)
					d := make([]float64, m*ds)
					x := make([]float64, k*xs)
					gb := make([]float64, m+1)
					for _, s := range [][]float64{gw, d, x, gb} {
						for i := range s {
							s[i] = r.NormFloat64()
						}
					}
					gw0, gb0 := append([]float64(nil), gw...), append([]float64(nil), gb...)
					gradW(gw, gs, d, ds, x, xs, m, k, n)
					sum(gb, d, ds, m, n)
					for o := 0; o < m; o++ {
						for i := 0; i < gs; i++ {
							want := gw0[o*gs+i]
							if i < k {
								for c := 0; c < n; c++ {
									want += d[o*ds+c] * x[i*xs+c]
								}
							}
							if !close14(gw[o*gs+i], want) {
								t.Fatalf("m %d k %d n %d: gw[%d][%d] = %v, want %v", m, k, n, o, i, gw[o*gs+i], want)
							}
						}
						want := gb0[o]
						for c := 0; c < n; c++ {
							want += d[o*ds+c]
						}
						if !close14(gb[o], want) {
							t.Fatalf("m %d n %d: gb[%d] = %v, want %v", m, n, o, gb[o], want)
						}
					}
					if gb[m] != gb0[m] {
						t.Fatalf("m %d n %d: LanesSum wrote past row m", m, n)
					}
				}
			}
		}
	})
}
