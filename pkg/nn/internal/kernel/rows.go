package kernel

import (
	"fmt"
	"unsafe"
)

// Strip4 (via strip4Impl, the bounds-checked entry to the assembly
// kernels) computes, for r < rows and the
// four lanes l < 4,
//
//	out[r·os + l] = init[r·is + l] + Σ_{j<k} a[r·ar + j·ak]·v[j·vs + l].
//
// One primitive serves the three block products: the forward pass (rows =
// samples, v = a 4-column strip of Wᵀ), the weight gradient (rows = inputs,
// v = a strip of the deltas) and the input gradient (rows = samples, v = a
// strip of W). All four lanes are read and written: init and v are checked
// against their capacity (callers may let the last lanes run past the data
// they need, into slack they allocated), out against its length.
func strip4Impl(k4 bool, out []float64, os int, init []float64, is int, a []float64, ar, ak int, v []float64, vs int, rows, k int) {
	if rows <= 0 {
		return
	}
	if k < 0 || (rows-1)*os+4 > len(out) || (rows-1)*is+4 > cap(init) ||
		(k > 0 && ((rows-1)*ar+(k-1)*ak >= len(a) || (k-1)*vs+4 > cap(v))) {
		panic(fmt.Sprintf("kernel: Strip4 out of bounds: rows %d k %d, len out %d, cap init %d, len a %d, cap v %d", rows, k, len(out), cap(init), len(a), cap(v)))
	}
	init = init[:cap(init)]
	var ap, vp *float64
	if k > 0 {
		ap, vp = &a[0], &v[:cap(v)][0]
	}
	if k4 {
		strip4K4AVX2(&out[0], os, &init[0], is, ap, ar, ak, vp, vs, rows, k)
		return
	}
	strip4AVX2(&out[0], os, &init[0], is, ap, ar, ak, vp, vs, rows, k)
}

func Strip4(out []float64, os int, init []float64, is int, a []float64, ar, ak int, v []float64, vs int, rows, k int) {
	strip4Impl(false, out, os, init, is, a, ar, ak, v, vs, rows, k)
}

// Strip4K4 computes the same sums as Strip4 with four partial sums per row
// (see strip4K4AVX2): faster for few rows and long reductions, different
// in the last bits.
func Strip4K4(out []float64, os int, init []float64, is int, a []float64, ar, ak int, v []float64, vs int, rows, k int) {
	strip4Impl(true, out, os, init, is, a, ar, ak, v, vs, rows, k)
}

// Store modes of StripColsMode (and strip12AVX2).
const (
	StorePlain = iota // out = s
	StoreReLU         // out = s, aux = s where s > 0 else +0
	StoreGate         // out = s where aux > 0, else +0
)

// StripColsMode computes, for r < rows and every column c < n (n ≥ 4),
//
//	s = init[r·is + c] + Σ_{j<k} a[r·ar + j·ak]·v[j·vs + c],
//
// and stores it as mode says (StorePlain, StoreReLU, StoreGate; aux is laid
// out like out and must be nil for StorePlain). It works in groups of three
// 4-lane strips (strip12AVX2), the last group or strip overlapping the
// previous one so that nothing outside columns [0, n) is read or written;
// a column's arithmetic is the same whichever group covers it. init may
// alias out only when n ≤ 12 (one group).
func StripColsMode(out []float64, os int, init []float64, is int, a []float64, ar, ak int, v []float64, vs int, rows, k, n, mode int, aux []float64) {
	if rows <= 0 {
		return
	}
	if n < 4 || k < 0 || (rows-1)*os+n > len(out) || (rows-1)*is+n > len(init) ||
		(k > 0 && ((rows-1)*ar+(k-1)*ak >= len(a) || (k-1)*vs+n > len(v))) ||
		(mode != StorePlain && (rows-1)*os+n > len(aux)) || mode < StorePlain || mode > StoreGate {
		panic(fmt.Sprintf("kernel: StripColsMode out of bounds: rows %d k %d n %d mode %d, len out %d, init %d, a %d, v %d, aux %d", rows, k, n, mode, len(out), len(init), len(a), len(v), len(aux)))
	}
	var ap *float64
	if k > 0 {
		ap = &a[0]
	}
	var delta uintptr
	if mode != StorePlain {
		// aux and out are distinct slices with the same layout: the
		// kernel finds aux's element at out's address plus delta.
		delta = uintptr(unsafe.Pointer(&aux[0])) - uintptr(unsafe.Pointer(&out[0]))
	}
	group := func(c, c1, c2 int) {
		var vp *float64
		if k > 0 {
			vp = &v[c]
		}
		strip12AVX2(&out[c], os, &init[c], is, ap, ar, ak, vp, vs, rows, k, c1, c2, mode, delta)
	}
	switch {
	case n < 8:
		group(0, n-4, n-4)
	case n < 12:
		group(0, 4, n-4)
	default:
		c := 0
		for ; c+12 <= n; c += 12 {
			group(c, 4, 8)
		}
		if c < n {
			group(n-12, 4, 8)
		}
	}
}

// StripCols is StripColsMode with plain stores: out[r·os + c] = s.
func StripCols(out []float64, os int, init []float64, is int, a []float64, ar, ak int, v []float64, vs int, rows, k, n int) {
	StripColsMode(out, os, init, is, a, ar, ak, v, vs, rows, k, n, StorePlain, nil)
}
