package kernel

import (
	"fmt"
	"unsafe"
)

// Float is the element type of the lane kernels: float64 (the exact
// reference path) or float32 (twice the lanes per register).
type Float interface{ ~float32 | ~float64 }

// Store modes of LanesMul.
const (
	LanesPlain = iota // out = s
	LanesReLU         // out = s where s > 0, else +0 (NaN included)
	LanesGate         // out = s where aux > 0, else +0
	LanesAdd          // out += s
)

// LaneGroup is the number of lanes the float64 lane kernels take at a
// time: the lane count n of every float64 lane kernel must be a multiple
// of it.
const LaneGroup = 8

// LaneGroup32 is LaneGroup for the float32 lane kernels (two YMM registers
// of eight lanes).
const LaneGroup32 = 16

// laneGroup returns LaneGroup or LaneGroup32, as T is float64 or float32.
func laneGroup[T Float]() int {
	if is32[T]() {
		return LaneGroup32
	}
	return LaneGroup
}

// is32 reports whether T is float32 (a constant of each instantiation).
func is32[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 4
}

// LanesMul computes, for rows r < m and lanes c < n (n a multiple of
// LaneGroup),
//
//	s = init[r] + Σ_{j<k} a[r·ar + j·ak]·v[j·vs + c]
//
// (init nil: 0) and stores it at out[r·os + c] as mode says (LanesPlain,
// LanesReLU, LanesGate, LanesAdd; aux, laid out like out, holds the gate's
// values for LanesGate and is nil otherwise). With a = W (ar = in, ak = 1) it is a block's
// forward pass over feature-major inputs v; with a = Wᵀ (ar = 1, ak = in)
// its input gradient. It uses the AVX2 kernel, five rows at a time, where
// the CPU has it and m ≥ 5; LanesMulGo is its portable twin. It panics if
// a slice is too short.
func LanesMul(out []float64, os int, init, a []float64, ar, ak int, v []float64, vs int, m, k, n, mode int, aux []float64) {
	lanesMul(out, os, init, a, ar, ak, v, vs, m, k, n, mode, aux)
}

// LanesMul32 is the float32 LanesMul (n a multiple of LaneGroup32): every
// sum in float32, init first, then j = 0, 1, … with fused multiply-adds.
// LanesMul32Go is its portable twin.
func LanesMul32(out []float32, os int, init, a []float32, ar, ak int, v []float32, vs int, m, k, n, mode int, aux []float32) {
	lanesMul(out, os, init, a, ar, ak, v, vs, m, k, n, mode, aux)
}

// LanesMulGo is the portable LanesMul.
func LanesMulGo(out []float64, os int, init, a []float64, ar, ak int, v []float64, vs int, m, k, n, mode int, aux []float64) {
	checkMul(out, os, init, a, ar, ak, v, vs, m, k, n, mode, aux)
	lanesMulGo(out, os, init, a, ar, ak, v, vs, m, k, n, mode, aux)
}

// LanesMul32Go is the portable LanesMul32.
func LanesMul32Go(out []float32, os int, init, a []float32, ar, ak int, v []float32, vs int, m, k, n, mode int, aux []float32) {
	checkMul(out, os, init, a, ar, ak, v, vs, m, k, n, mode, aux)
	lanesMulGo(out, os, init, a, ar, ak, v, vs, m, k, n, mode, aux)
}

func lanesMul[T Float](out []T, os int, init, a []T, ar, ak int, v []T, vs int, m, k, n, mode int, aux []T) {
	checkMul(out, os, init, a, ar, ak, v, vs, m, k, n, mode, aux)
	if !AVX2 || m < 5 || n == 0 {
		lanesMulGo(out, os, init, a, ar, ak, v, vs, m, k, n, mode, aux)
		return
	}
	var delta uintptr
	if mode == LanesGate {
		delta = uintptr(unsafe.Pointer(&aux[0])) - uintptr(unsafe.Pointer(&out[0]))
	}
	var zero [5]T
	tile := func(r int) {
		in := zero[:]
		if init != nil {
			in = init[r : r+5]
		}
		var ap, vp *T
		if k > 0 {
			ap, vp = &a[r*ar], &v[0]
		} else {
			ap, vp = &zero[0], &zero[0]
		}
		lanesMul5(&out[r*os], os, &in[0], ap, ar, ak, vp, vs, k, n, mode, delta)
	}
	r := 0
	for ; r+5 <= m; r += 5 {
		tile(r)
	}
	if r == m {
		return
	}
	if mode == LanesAdd {
		// Adding twice is not idempotent: the last rows go one by one.
		var in []T
		if init != nil {
			in = init[r:]
		}
		var ap []T
		if k > 0 {
			ap = a[r*ar:]
		}
		lanesMulGo(out[r*os:], os, in, ap, ar, ak, v, vs, m-r, k, n, mode, nil)
		return
	}
	// A last tile ending at row m recomputes its first rows with the same
	// bits.
	tile(m - 5)
}

// lanesMul5 calls the assembly tile of T's width.
func lanesMul5[T Float](out *T, os int, init, a *T, ar, ak int, v *T, vs int, k, n, mode int, delta uintptr) {
	if is32[T]() {
		lanesMul5x32AVX2((*float32)(unsafe.Pointer(out)), os, (*float32)(unsafe.Pointer(init)), (*float32)(unsafe.Pointer(a)), ar, ak, (*float32)(unsafe.Pointer(v)), vs, k, n, mode, delta)
		return
	}
	lanesMul5AVX2((*float64)(unsafe.Pointer(out)), os, (*float64)(unsafe.Pointer(init)), (*float64)(unsafe.Pointer(a)), ar, ak, (*float64)(unsafe.Pointer(v)), vs, k, n, mode, delta)
}

func checkMul[T Float](out []T, os int, init, a []T, ar, ak int, v []T, vs int, m, k, n, mode int, aux []T) {
	if m <= 0 || n <= 0 {
		return
	}
	bad := n%laneGroup[T]() != 0 || k < 0 || (m-1)*os+n > len(out) || (init != nil && len(init) < m) ||
		(k > 0 && ((m-1)*ar+(k-1)*ak >= len(a) || (k-1)*vs+n > len(v))) ||
		mode < LanesPlain || mode > LanesAdd ||
		(mode == LanesGate && (m-1)*os+n > len(aux))
	if bad {
		panic(fmt.Sprintf("kernel: LanesMul out of bounds: m %d k %d n %d mode %d, len out %d, init %d, a %d, v %d, aux %d", m, k, n, mode, len(out), len(init), len(a), len(v), len(aux)))
	}
}

// lanesMulGo works through the lanes in chunks held on the stack, each
// row's sums in the order of the assembly (init, then j = 0, 1, …).
func lanesMulGo[T Float](out []T, os int, init, a []T, ar, ak int, v []T, vs int, m, k, n, mode int, aux []T) {
	var buf [64]T
	for r := 0; r < m; r++ {
		var b0 T
		if init != nil {
			b0 = init[r]
		}
		for c0 := 0; c0 < n; c0 += len(buf) {
			s := buf[:min(len(buf), n-c0)]
			for c := range s {
				s[c] = b0
			}
			for j := 0; j < k; j++ {
				w := a[r*ar+j*ak]
				vr := v[j*vs+c0:][:len(s)]
				for c, x := range vr {
					s[c] += w * x
				}
			}
			o := out[r*os+c0:][:len(s)]
			switch mode {
			case LanesPlain:
				copy(o, s)
			case LanesReLU:
				for c, x := range s {
					o[c] = where(x, x)
				}
			case LanesGate:
				g := aux[r*os+c0:][:len(s)]
				for c, x := range s {
					o[c] = where(x, g[c])
				}
			case LanesAdd:
				for c := range s {
					o[c] += s[c]
				}
			}
		}
	}
}

// where returns v if g > 0, else +0 (NaN g included): the assembly's
// compare-and-mask.
func where[T Float](v, g T) T {
	if g > 0 {
		return v
	}
	return 0
}

// LanesGradW adds, for r < m and i < k,
//
//	gw[r·gs + i] += Σ_{c<n} d[r·ds + c]·x[i·xs + c]
//
// (n a multiple of LaneGroup): a block's weight gradient from the deltas d
// of its outputs and its feature-major inputs x. Each sum runs in four
// lane-wise partial sums (c mod 4), added as (p0+p1)+(p2+p3) and then to
// gw. It uses the AVX2 kernel on tiles of five rows by two inputs where the
// CPU has it; LanesGradWGo is its portable twin. It panics if a slice is
// too short.
func LanesGradW(gw []float64, gs int, d []float64, ds int, x []float64, xs int, m, k, n int) {
	lanesGradW(gw, gs, d, ds, x, xs, m, k, n)
}

// LanesGradW32 is the float32 LanesGradW (n a multiple of LaneGroup32):
// each sum runs in eight lane-wise partial sums p (c mod 8), folded as
// q_l = p_l + p_{l+4} and then (q0+q1)+(q2+q3). LanesGradW32Go is its
// portable twin.
func LanesGradW32(gw []float32, gs int, d []float32, ds int, x []float32, xs int, m, k, n int) {
	lanesGradW(gw, gs, d, ds, x, xs, m, k, n)
}

// LanesGradWGo is the portable LanesGradW.
func LanesGradWGo(gw []float64, gs int, d []float64, ds int, x []float64, xs int, m, k, n int) {
	checkGradW(gw, gs, d, ds, x, xs, m, k, n)
	lanesGradWGo(gw, gs, d, ds, x, xs, 0, m, 0, k, n)
}

// LanesGradW32Go is the portable LanesGradW32.
func LanesGradW32Go(gw []float32, gs int, d []float32, ds int, x []float32, xs int, m, k, n int) {
	checkGradW(gw, gs, d, ds, x, xs, m, k, n)
	lanesGradWGo(gw, gs, d, ds, x, xs, 0, m, 0, k, n)
}

func lanesGradW[T Float](gw []T, gs int, d []T, ds int, x []T, xs int, m, k, n int) {
	checkGradW(gw, gs, d, ds, x, xs, m, k, n)
	if !AVX2 || n == 0 {
		lanesGradWGo(gw, gs, d, ds, x, xs, 0, m, 0, k, n)
		return
	}
	m5, k2 := m-m%5, k-k%2
	for r := 0; r < m5; r += 5 {
		for i := 0; i < k2; i += 2 {
			if is32[T]() {
				lanesGradW5x2x32AVX2((*float32)(unsafe.Pointer(&gw[r*gs+i])), gs, (*float32)(unsafe.Pointer(&d[r*ds])), ds, (*float32)(unsafe.Pointer(&x[i*xs])), xs, n)
			} else {
				lanesGradW5x2AVX2((*float64)(unsafe.Pointer(&gw[r*gs+i])), gs, (*float64)(unsafe.Pointer(&d[r*ds])), ds, (*float64)(unsafe.Pointer(&x[i*xs])), xs, n)
			}
		}
	}
	lanesGradWGo(gw, gs, d, ds, x, xs, 0, m5, k2, k, n)
	lanesGradWGo(gw, gs, d, ds, x, xs, m5, m, 0, k, n)
}

func checkGradW[T Float](gw []T, gs int, d []T, ds int, x []T, xs int, m, k, n int) {
	if m <= 0 || k <= 0 {
		return
	}
	if n%laneGroup[T]() != 0 || n < 0 || (m-1)*gs+k > len(gw) || (m-1)*ds+n > len(d) || (k-1)*xs+n > len(x) {
		panic(fmt.Sprintf("kernel: LanesGradW out of bounds: m %d k %d n %d, len gw %d, d %d, x %d", m, k, n, len(gw), len(d), len(x)))
	}
}

// lanesGradWGo does rows r0 … r1−1 and inputs i0 … i1−1 of LanesGradW,
// each sum in the assembly's order: four partial sums for float64, eight
// folded to four for float32.
func lanesGradWGo[T Float](gw []T, gs int, d []T, ds int, x []T, xs int, r0, r1, i0, i1, n int) {
	P := 4
	if is32[T]() {
		P = 8
	}
	for r := r0; r < r1; r++ {
		dr := d[r*ds:][:n]
		for i := i0; i < i1; i++ {
			xi := x[i*xs:][:n]
			var p [8]T
			for c := 0; c+P <= n; c += P {
				for l := range P {
					p[l] += dr[c+l] * xi[c+l]
				}
			}
			for l := range P - 4 {
				p[l] += p[l+4]
			}
			gw[r*gs+i] += (p[0] + p[1]) + (p[2] + p[3])
		}
	}
}

// LanesSum adds Σ_{c<n} d[r·ds + c] to dst[r] for r < m (n a multiple of
// LaneGroup): a block's bias gradient. Each sum runs in eight lane-wise
// partial sums (c mod 8), added as ((p0+p4)+(p2+p6)) + ((p1+p5)+(p3+p7)).
// LanesSumGo is its portable twin. It panics if a slice is too short.
func LanesSum(dst, d []float64, ds, m, n int) { lanesSum(dst, d, ds, m, n) }

// LanesSum32 is the float32 LanesSum (n a multiple of LaneGroup32): each
// sum runs in sixteen lane-wise partial sums (c mod 16), folded in halves
// (p_l + p_{l+8}, then the upper four onto the lower, then two, then one).
// LanesSum32Go is its portable twin.
func LanesSum32(dst, d []float32, ds, m, n int) { lanesSum(dst, d, ds, m, n) }

// LanesSumGo is the portable LanesSum.
func LanesSumGo(dst, d []float64, ds, m, n int) {
	checkSum(dst, d, ds, m, n)
	lanesSumGo(dst, d, ds, m, n)
}

// LanesSum32Go is the portable LanesSum32.
func LanesSum32Go(dst, d []float32, ds, m, n int) {
	checkSum(dst, d, ds, m, n)
	lanesSumGo(dst, d, ds, m, n)
}

func lanesSum[T Float](dst, d []T, ds, m, n int) {
	checkSum(dst, d, ds, m, n)
	if !AVX2 || m <= 0 || n == 0 {
		lanesSumGo(dst, d, ds, m, n)
		return
	}
	p := func(s []T, i int) unsafe.Pointer { return unsafe.Pointer(&s[i]) }
	r := 0
	for ; r+5 <= m; r += 5 {
		if is32[T]() {
			lanesSum5x32AVX2((*float32)(p(dst, r)), (*float32)(p(d, r*ds)), ds, n)
		} else {
			lanesSum5AVX2((*float64)(p(dst, r)), (*float64)(p(d, r*ds)), ds, n)
		}
	}
	if r == m {
		return
	}
	if is32[T]() {
		lanesSum32AVX2((*float32)(p(dst, r)), (*float32)(p(d, r*ds)), ds, m-r, n)
	} else {
		lanesSumAVX2((*float64)(p(dst, r)), (*float64)(p(d, r*ds)), ds, m-r, n)
	}
}

func checkSum[T Float](dst, d []T, ds, m, n int) {
	if m <= 0 {
		return
	}
	if n%laneGroup[T]() != 0 || n < 0 || len(dst) < m || (m-1)*ds+n > len(d) {
		panic(fmt.Sprintf("kernel: LanesSum out of bounds: m %d n %d, len dst %d, d %d", m, n, len(dst), len(d)))
	}
}

// lanesSumGo sums each row in LaneGroup (float64) or LaneGroup32 (float32)
// lane-wise partial sums folded in halves, the assembly's order.
func lanesSumGo[T Float](dst, d []T, ds, m, n int) {
	P := laneGroup[T]()
	for r := 0; r < m; r++ {
		dr := d[r*ds:][:n]
		var p [16]T
		for c := 0; c+P <= n; c += P {
			for l := range P {
				p[l] += dr[c+l]
			}
		}
		for w := P / 2; w >= 1; w /= 2 {
			for l := range w {
				p[l] += p[l+w]
			}
		}
		dst[r] += p[0]
	}
}
