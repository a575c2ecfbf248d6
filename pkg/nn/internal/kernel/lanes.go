package kernel

import (
	"fmt"
	"math"
	"unsafe"
)

// Store modes of LanesMul.
const (
	LanesPlain = iota // out = s
	LanesReLU         // out = s where s > 0, else +0 (NaN included)
	LanesGate         // out = s where aux > 0, else +0
	LanesAdd          // out += s
)

// LaneGroup is the number of lanes the lane kernels take at a time: the
// lane count n of every lane kernel must be a multiple of it.
const LaneGroup = 8

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
	checkMul(out, os, init, a, ar, ak, v, vs, m, k, n, mode, aux)
	if !AVX2 || m < 5 || n == 0 {
		lanesMulGo(out, os, init, a, ar, ak, v, vs, m, k, n, mode, aux)
		return
	}
	var delta uintptr
	if mode == LanesGate {
		delta = uintptr(unsafe.Pointer(&aux[0])) - uintptr(unsafe.Pointer(&out[0]))
	}
	var zero [5]float64
	tile := func(r int) {
		in := zero[:]
		if init != nil {
			in = init[r : r+5]
		}
		var ap, vp *float64
		if k > 0 {
			ap, vp = &a[r*ar], &v[0]
		} else {
			ap, vp = &zero[0], &zero[0]
		}
		lanesMul5AVX2(&out[r*os], os, &in[0], ap, ar, ak, vp, vs, k, n, mode, delta)
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
		var in []float64
		if init != nil {
			in = init[r:]
		}
		var ap []float64
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

// LanesMulGo is the portable LanesMul.
func LanesMulGo(out []float64, os int, init, a []float64, ar, ak int, v []float64, vs int, m, k, n, mode int, aux []float64) {
	checkMul(out, os, init, a, ar, ak, v, vs, m, k, n, mode, aux)
	lanesMulGo(out, os, init, a, ar, ak, v, vs, m, k, n, mode, aux)
}

func checkMul(out []float64, os int, init, a []float64, ar, ak int, v []float64, vs int, m, k, n, mode int, aux []float64) {
	if m <= 0 || n <= 0 {
		return
	}
	bad := n%LaneGroup != 0 || k < 0 || (m-1)*os+n > len(out) || (init != nil && len(init) < m) ||
		(k > 0 && ((m-1)*ar+(k-1)*ak >= len(a) || (k-1)*vs+n > len(v))) ||
		mode < LanesPlain || mode > LanesAdd ||
		(mode == LanesGate && (m-1)*os+n > len(aux))
	if bad {
		panic(fmt.Sprintf("kernel: LanesMul out of bounds: m %d k %d n %d mode %d, len out %d, init %d, a %d, v %d, aux %d", m, k, n, mode, len(out), len(init), len(a), len(v), len(aux)))
	}
}

// lanesMulGo works through the lanes in chunks held on the stack, each
// row's sums in the order of the assembly (init, then j = 0, 1, …).
func lanesMulGo(out []float64, os int, init, a []float64, ar, ak int, v []float64, vs int, m, k, n, mode int, aux []float64) {
	var buf [64]float64
	for r := 0; r < m; r++ {
		b0 := 0.0
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
				ReluGo(s, o)
			case LanesGate:
				x := aux[r*os+c0:][:len(s)]
				for c := range s {
					o[c] = math.Float64frombits(math.Float64bits(s[c]) & positiveMask(x[c]))
				}
			case LanesAdd:
				for c := range s {
					o[c] += s[c]
				}
			}
		}
	}
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
	checkGradW(gw, gs, d, ds, x, xs, m, k, n)
	if !AVX2 || n == 0 {
		lanesGradWGo(gw, gs, d, ds, x, xs, 0, m, 0, k, n)
		return
	}
	m5, k2 := m-m%5, k-k%2
	for r := 0; r < m5; r += 5 {
		for i := 0; i < k2; i += 2 {
			lanesGradW5x2AVX2(&gw[r*gs+i], gs, &d[r*ds], ds, &x[i*xs], xs, n)
		}
	}
	lanesGradWGo(gw, gs, d, ds, x, xs, 0, m5, k2, k, n)
	lanesGradWGo(gw, gs, d, ds, x, xs, m5, m, 0, k, n)
}

// LanesGradWGo is the portable LanesGradW.
func LanesGradWGo(gw []float64, gs int, d []float64, ds int, x []float64, xs int, m, k, n int) {
	checkGradW(gw, gs, d, ds, x, xs, m, k, n)
	lanesGradWGo(gw, gs, d, ds, x, xs, 0, m, 0, k, n)
}

func checkGradW(gw []float64, gs int, d []float64, ds int, x []float64, xs int, m, k, n int) {
	if m <= 0 || k <= 0 {
		return
	}
	if n%LaneGroup != 0 || n < 0 || (m-1)*gs+k > len(gw) || (m-1)*ds+n > len(d) || (k-1)*xs+n > len(x) {
		panic(fmt.Sprintf("kernel: LanesGradW out of bounds: m %d k %d n %d, len gw %d, d %d, x %d", m, k, n, len(gw), len(d), len(x)))
	}
}

// lanesGradWGo does rows r0 … r1−1 and inputs i0 … i1−1 of LanesGradW,
// each sum in the assembly's order.
func lanesGradWGo(gw []float64, gs int, d []float64, ds int, x []float64, xs int, r0, r1, i0, i1, n int) {
	for r := r0; r < r1; r++ {
		dr := d[r*ds:][:n]
		for i := i0; i < i1; i++ {
			xi := x[i*xs:][:n]
			var p0, p1, p2, p3 float64
			for c := 0; c+4 <= n; c += 4 {
				p0 += dr[c] * xi[c]
				p1 += dr[c+1] * xi[c+1]
				p2 += dr[c+2] * xi[c+2]
				p3 += dr[c+3] * xi[c+3]
			}
			gw[r*gs+i] += (p0 + p1) + (p2 + p3)
		}
	}
}

// LanesSum adds Σ_{c<n} d[r·ds + c] to dst[r] for r < m (n a multiple of
// LaneGroup): a block's bias gradient. Each sum runs in eight lane-wise
// partial sums (c mod 8), added as ((p0+p4)+(p2+p6)) + ((p1+p5)+(p3+p7)).
// LanesSumGo is its portable twin. It panics if a slice is too short.
func LanesSum(dst, d []float64, ds, m, n int) {
	checkSum(dst, d, ds, m, n)
	if !AVX2 || m <= 0 || n == 0 {
		lanesSumGo(dst, d, ds, m, n)
		return
	}
	r := 0
	for ; r+5 <= m; r += 5 {
		lanesSum5AVX2(&dst[r], &d[r*ds], ds, n)
	}
	if r < m {
		lanesSumAVX2(&dst[r], &d[r*ds], ds, m-r, n)
	}
}

// LanesSumGo is the portable LanesSum.
func LanesSumGo(dst, d []float64, ds, m, n int) {
	checkSum(dst, d, ds, m, n)
	lanesSumGo(dst, d, ds, m, n)
}

func checkSum(dst, d []float64, ds, m, n int) {
	if m <= 0 {
		return
	}
	if n%LaneGroup != 0 || n < 0 || len(dst) < m || (m-1)*ds+n > len(d) {
		panic(fmt.Sprintf("kernel: LanesSum out of bounds: m %d n %d, len dst %d, d %d", m, n, len(dst), len(d)))
	}
}

func lanesSumGo(dst, d []float64, ds, m, n int) {
	for r := 0; r < m; r++ {
		dr := d[r*ds:][:n]
		var p [8]float64
		for c := 0; c+8 <= n; c += 8 {
			for l := range p {
				p[l] += dr[c+l]
			}
		}
		dst[r] += ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]))
	}
}
