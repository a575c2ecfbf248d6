package kernel

import (
	"fmt"
	"math"
	"testing"

	"github.com/dualssl/dualssl/pkg/rng"
)

// laneKit is one precision's lane kernels under test, with the lane
// counts to try and the closeness of a result to its float64 reference
// (abs: the sum of the magnitudes of the terms).
type laneKit[T Float] struct {
	mul   func([]T, int, []T, []T, int, int, []T, int, int, int, int, int, []T)
	gradW func([]T, int, []T, int, []T, int, int, int, int)
	sum   func([]T, []T, int, int, int)
	lanes []int
	close func(got, want, abs float64) bool
}

func close14(got, want, _ float64) bool { return math.Abs(got-want) <= 1e-14*(1+math.Abs(want)) }

// close32 allows float32 rounding: each of up to ~100 terms rounded once
// and summed in float32 stays well inside 1e-5 of the terms' magnitude.
func close32(got, want, abs float64) bool { return math.Abs(got-want) <= 1e-5*(1+abs) }

// eachLanes runs f on the portable twins and, where the CPU has them, on
// the AVX2 kernels, for float64 (to 1e-14 relative) and float32 (to 1e-5 of
// the terms' magnitude).
func eachLanes(t *testing.T, f64 func(*testing.T, laneKit[float64]), f32 func(*testing.T, laneKit[float32])) {
	t.Run("float64/go", func(t *testing.T) {
		f64(t, laneKit[float64]{LanesMulGo, LanesGradWGo, LanesSumGo, []int{8, 16, 96}, close14})
	})
	t.Run("float32/go", func(t *testing.T) {
		f32(t, laneKit[float32]{LanesMul32Go, LanesGradW32Go, LanesSum32Go, []int{16, 32, 96}, close32})
	})
	if !AVX2 {
		return
	}
	t.Run("float64/avx2", func(t *testing.T) {
		f64(t, laneKit[float64]{LanesMul, LanesGradW, LanesSum, []int{8, 16, 96}, close14})
	})
	t.Run("float32/avx2", func(t *testing.T) {
		f32(t, laneKit[float32]{LanesMul32, LanesGradW32, LanesSum32, []int{16, 32, 96}, close32})
	})
}

func randFill[T Float](r interface{ NormFloat64() float64 }, ss ...[]T) {
	for _, s := range ss {
		for i := range s {
			s[i] = T(r.NormFloat64())
		}
	}
}

// TestLanesMul checks every store mode against a direct float64 loop for
// row counts that exercise the five-row tiles, an overlapping last tile and
// the row-by-row paths, transposed and plain coefficient layouts, and that
// nothing outside the rows and lanes is written.
func TestLanesMul(t *testing.T) { eachLanes(t, testLanesMul[float64], testLanesMul[float32]) }

func testLanesMul[T Float](t *testing.T, kit laneKit[T]) {
	r := rng.New(4, "test", 0)
	for _, m := range []int{1, 3, 5, 7, 10, 12} {
		for _, k := range []int{0, 1, 2, 3, 20} {
			for _, n := range kit.lanes {
				for mode := LanesPlain; mode <= LanesAdd; mode++ {
					for _, trans := range []bool{false, true} {
						name := fmt.Sprintf("m %d k %d n %d mode %d trans %v", m, k, n, mode, trans)
						os, vs := n+5, n+3
						ar, ak := k+1, 1
						if trans {
							ar, ak = 1, m+2
						}
						var init []T
						if mode != LanesAdd || k%2 == 0 {
							init = make([]T, m)
						}
						a := make([]T, (m-1)*ar+max(k-1, 0)*ak+1)
						v := make([]T, max(k-1, 0)*vs+n)
						out := make([]T, m*os)
						aux := make([]T, m*os)
						randFill(r, init, a, v, out, aux)
						out0, aux0 := append([]T(nil), out...), append([]T(nil), aux...)
						var auxArg []T
						if mode == LanesGate {
							auxArg = aux
						}
						kit.mul(out, os, init, a, ar, ak, v, vs, m, k, n, mode, auxArg)
						for row := 0; row < m; row++ {
							for c := 0; c < os; c++ {
								i := row*os + c
								if c >= n {
									if out[i] != out0[i] || aux[i] != aux0[i] {
										t.Fatalf("%s: wrote outside the lanes at row %d lane %d", name, row, c)
									}
									continue
								}
								s, abs := 0.0, 0.0
								if init != nil {
									s, abs = float64(init[row]), math.Abs(float64(init[row]))
								}
								for j := 0; j < k; j++ {
									p := float64(a[row*ar+j*ak]) * float64(v[j*vs+c])
									s += p
									abs += math.Abs(p)
								}
								wantOut := s
								switch mode {
								case LanesReLU:
									wantOut = max(s, 0)
								case LanesGate:
									if !(aux0[i] > 0) {
										wantOut = 0
									}
								case LanesAdd:
									wantOut = float64(out0[i]) + s
									abs += math.Abs(float64(out0[i]))
								}
								got := float64(out[i])
								if !kit.close(got, wantOut, abs) || aux[i] != aux0[i] || math.Signbit(got) && mode == LanesReLU {
									t.Fatalf("%s: [%d][%d] = %v, aux %v; want %v, %v", name, row, c, got, aux[i], wantOut, aux0[i])
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestLanesGradW checks the weight-gradient and bias-gradient kernels
// against direct float64 loops, including the tiles' remainders, and that
// they add onto what is there.
func TestLanesGradW(t *testing.T) { eachLanes(t, testLanesGradW[float64], testLanesGradW[float32]) }

func testLanesGradW[T Float](t *testing.T, kit laneKit[T]) {
	r := rng.New(5, "test", 0)
	for _, m := range []int{1, 4, 5, 7, 10, 11} {
		for _, k := range []int{1, 2, 3, 20} {
			for _, n := range append([]int{0}, kit.lanes...) {
				gs, ds, xs := k+2, n+4, n+1
				gw := make([]T, m*gs)
				d := make([]T, m*ds)
				x := make([]T, k*xs)
				gb := make([]T, m+1)
				randFill(r, gw, d, x, gb)
				gw0, gb0 := append([]T(nil), gw...), append([]T(nil), gb...)
				kit.gradW(gw, gs, d, ds, x, xs, m, k, n)
				kit.sum(gb, d, ds, m, n)
				for o := 0; o < m; o++ {
					for i := 0; i < gs; i++ {
						want := float64(gw0[o*gs+i])
						abs := math.Abs(want)
						if i < k {
							for c := 0; c < n; c++ {
								p := float64(d[o*ds+c]) * float64(x[i*xs+c])
								want += p
								abs += math.Abs(p)
							}
						}
						if !kit.close(float64(gw[o*gs+i]), want, abs) {
							t.Fatalf("m %d k %d n %d: gw[%d][%d] = %v, want %v", m, k, n, o, i, gw[o*gs+i], want)
						}
					}
					want := float64(gb0[o])
					abs := math.Abs(want)
					for c := 0; c < n; c++ {
						want += float64(d[o*ds+c])
						abs += math.Abs(float64(d[o*ds+c]))
					}
					if !kit.close(float64(gb[o]), want, abs) {
						t.Fatalf("m %d n %d: gb[%d] = %v, want %v", m, n, o, gb[o], want)
					}
				}
				if gb[m] != gb0[m] {
					t.Fatalf("m %d n %d: LanesSum wrote past row m", m, n)
				}
			}
		}
	}
}

// TestLanes32Twins checks the float32 assembly against its portable twins
// on the same inputs: the sums (no multiplications) bit for bit, the
// products (fused in the assembly, rounded twice in Go) to 1e-6 of the
// terms' magnitude, ReLU and gate zeros exactly.
func TestLanes32Twins(t *testing.T) {
	if !AVX2 {
		t.Skip("no AVX2+FMA")
	}
	r := rng.New(6, "test", 0)
	for _, sh := range []struct{ m, k, n int }{{10, 20, 96}, {10, 2, 96}, {20, 10, 96}, {7, 3, 48}, {13, 5, 16}} {
		m, k, n := sh.m, sh.k, sh.n
		w, b := make([]T32, m*k), make([]T32, m)
		v, aux := make([]T32, k*n), make([]T32, m*n)
		randFill(r, w, b, v, aux)
		for mode := LanesPlain; mode <= LanesAdd; mode++ {
			var auxArg []T32
			if mode == LanesGate {
				auxArg = aux
			}
			asm, twin := make([]T32, m*n), make([]T32, m*n)
			randFill(r, asm)
			copy(twin, asm)
			LanesMul32(asm, n, b, w, k, 1, v, n, m, k, n, mode, auxArg)
			LanesMul32Go(twin, n, b, w, k, 1, v, n, m, k, n, mode, auxArg)
			for i := range asm {
				if (asm[i] == 0) != (twin[i] == 0) && mode != LanesPlain && mode != LanesAdd ||
					math.Abs(float64(asm[i]-twin[i])) > 1e-6*(1+math.Abs(float64(twin[i]))*float64(k)) {
					t.Fatalf("%v mode %d: [%d] assembly %v, Go %v", sh, mode, i, asm[i], twin[i])
				}
			}
		}
		g1, g2 := make([]T32, m*k), make([]T32, m*k)
		d := aux
		LanesGradW32(g1, k, d, n, v, n, m, k, n)
		LanesGradW32Go(g2, k, d, n, v, n, m, k, n)
		for i := range g1 {
			if math.Abs(float64(g1[i]-g2[i])) > 1e-6*(1+float64(n)) {
				t.Fatalf("%v: gw[%d] assembly %v, Go %v", sh, i, g1[i], g2[i])
			}
		}
		s1, s2 := make([]T32, m), make([]T32, m)
		LanesSum32(s1, d, n, m, n)
		LanesSum32Go(s2, d, n, m, n)
		for i := range s1 {
			if math.Float32bits(s1[i]) != math.Float32bits(s2[i]) {
				t.Fatalf("%v: bias sum [%d] assembly %v, Go %v", sh, i, s1[i], s2[i])
			}
		}
	}
}

// T32 shortens the float32 test's declarations.
type T32 = float32
