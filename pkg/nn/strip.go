package nn

import (
	"fmt"
	"unsafe"
)

// useStrip4 selects the AVX2+FMA kernels where the CPU has them; tests
// switch it off to check the portable kernels too.
var useStrip4 = haveStrip4

// useStrip12 selects the three-strip kernel for blocks at least four wide
// (a switch for benchmarks).
var useStrip12 = true

// strip4 (via strip4Impl, the bounds-checked entry to the assembly
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
		panic(fmt.Sprintf("nn: strip4 out of bounds: rows %d k %d, len out %d, cap init %d, len a %d, cap v %d", rows, k, len(out), cap(init), len(a), cap(v)))
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

func strip4(out []float64, os int, init []float64, is int, a []float64, ar, ak int, v []float64, vs int, rows, k int) {
	strip4Impl(false, out, os, init, is, a, ar, ak, v, vs, rows, k)
}

// strip4K4 computes the same sums as strip4 with four partial sums per row
// (see strip4K4AVX2): faster for few rows and long reductions, different
// in the last bits.
func strip4K4(out []float64, os int, init []float64, is int, a []float64, ar, ak int, v []float64, vs int, rows, k int) {
	strip4Impl(true, out, os, init, is, a, ar, ak, v, vs, rows, k)
}

// Store modes of stripCols (and strip12AVX2).
const (
	storePlain = iota // out = s
	storeReLU         // out = s, aux = s where s > 0 else +0
	storeGate         // out = s where aux > 0, else +0
)

// stripColsMode computes, for r < rows and every column c < n (n ≥ 4),
//
//	s = init[r·is + c] + Σ_{j<k} a[r·ar + j·ak]·v[j·vs + c],
//
// and stores it as mode says (storePlain, storeReLU, storeGate; aux is laid
// out like out and must be nil for storePlain). It works in groups of three
// 4-lane strips (strip12AVX2), the last group or strip overlapping the
// previous one so that nothing outside columns [0, n) is read or written;
// a column's arithmetic is the same whichever group covers it. init may
// alias out only when n ≤ 12 (one group).
func stripColsMode(out []float64, os int, init []float64, is int, a []float64, ar, ak int, v []float64, vs int, rows, k, n, mode int, aux []float64) {
	if rows <= 0 {
		return
	}
	if n < 4 || k < 0 || (rows-1)*os+n > len(out) || (rows-1)*is+n > len(init) ||
		(k > 0 && ((rows-1)*ar+(k-1)*ak >= len(a) || (k-1)*vs+n > len(v))) ||
		(mode != storePlain && (rows-1)*os+n > len(aux)) || mode < storePlain || mode > storeGate {
		panic(fmt.Sprintf("nn: stripColsMode out of bounds: rows %d k %d n %d mode %d, len out %d, init %d, a %d, v %d, aux %d", rows, k, n, mode, len(out), len(init), len(a), len(v), len(aux)))
	}
	var ap *float64
	if k > 0 {
		ap = &a[0]
	}
	var delta uintptr
	if mode != storePlain {
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

// stripCols is stripColsMode with plain stores: out[r·os + c] = s.
func stripCols(out []float64, os int, init []float64, is int, a []float64, ar, ak int, v []float64, vs int, rows, k, n int) {
	stripColsMode(out, os, init, is, a, ar, ak, v, vs, rows, k, n, storePlain, nil)
}

// scratch holds the strip kernels' work buffers, reused across calls (one
// per Activations or Backprop, so concurrent passes do not share them).
type scratch struct {
	wt, tmp []float64
	zero    []float64 // never written: a source of zeros
}

// zeros returns n zeros.
func (sc *scratch) zeros(n int) []float64 {
	if len(sc.zero) < n {
		sc.zero = make([]float64, n)
	}
	return sc.zero[:n]
}

func (sc *scratch) get(buf *[]float64, n int) []float64 {
	if cap(*buf) < n {
		*buf = make([]float64, n)
	}
	return (*buf)[:n]
}

// blockForward4 is blockForward on the strip kernels. When f is not nil
// and the block is wide enough, it also stores ReLU(h) into f (laid out
// like h) and reports true.
func blockForward4(w, b []float64, nIn, nOut int, x []float64, xs, xo int, h []float64, hs, ho, batch int, f []float64, sc *scratch) bool {
	if batch == 0 {
		return f != nil
	}
	if nOut >= 4 && useStrip12 {
		// Wᵀ (nIn×nOut), so that a strip of outputs is contiguous.
		wt := sc.get(&sc.wt, nIn*nOut)
		for o := 0; o < nOut; o++ {
			for i, v := range w[o*nIn : (o+1)*nIn] {
				wt[i*nOut+o] = v
			}
		}
		if f != nil {
			stripColsMode(h[ho:], hs, b, 0, x[xo:], xs, 1, wt, nOut, batch, nIn, nOut, storeReLU, f[ho:])
			return true
		}
		stripCols(h[ho:], hs, b, 0, x[xo:], xs, 1, wt, nOut, batch, nIn, nOut)
		return false
	}
	wt := sc.get(&sc.wt, 4*nIn)
	var b4 [4]float64
	for o0 := 0; o0 < nOut; o0 += 4 {
		lanes := min(4, nOut-o0)
		if lanes < 4 && nOut >= 4 {
			// Recompute a full strip ending at the last output: the
			// overlapping outputs get the same bits again, and nothing
			// past the block is written.
			o0, lanes = nOut-4, 4
		}
		for l := 0; l < 4; l++ {
			if l < lanes {
				b4[l] = b[o0+l]
				for i, v := range w[(o0+l)*nIn : (o0+l+1)*nIn] {
					wt[i*4+l] = v
				}
			} else {
				b4[l] = 0
				for i := 0; i < nIn; i++ {
					wt[i*4+l] = 0
				}
			}
		}
		if lanes == 4 {
			strip4(h[ho+o0:], hs, b4[:], 0, x[xo:], xs, 1, wt, 4, batch, nIn)
			if o0+4 >= nOut {
				break
			}
			continue
		}
		// A block narrower than a strip would overwrite the next columns:
		// go through a scratch buffer.
		tmp := sc.get(&sc.tmp, 4*batch)
		strip4(tmp, 4, b4[:], 0, x[xo:], xs, 1, wt, 4, batch, nIn)
		for s := 0; s < batch; s++ {
			copy(h[s*hs+ho+o0:s*hs+ho+o0+lanes], tmp[4*s:4*s+lanes])
		}
	}
	return false
}

// blockGradW4 is blockGradW on the strip kernel. d must have at least 3
// values of capacity past its end (Backward allocates them).
func blockGradW4(gw, gb []float64, nIn, nOut int, d []float64, ds, do int, x []float64, xs, xo, batch int, sc *scratch) {
	if batch == 0 {
		return
	}
	var zero [4]float64
	if nOut >= 4 && useStrip12 {
		// tmp[i·nOut + o] = Σ_s x[s, i]·d[s, o]: rows in fours on the
		// three-strip kernel, the rest on the latency-hiding one.
		tmp := sc.get(&sc.tmp, nIn*nOut)
		zeros := sc.zeros(nOut)
		main := nIn &^ 3
		stripCols(tmp, nOut, zeros, 0, x[xo:], 1, xs, d[do:], ds, main, batch, nOut)
		for r := main; r < nIn; r++ {
			for o0 := 0; o0 < nOut; o0 += 4 {
				c := min(o0, nOut-4)
				strip4K4(tmp[r*nOut+c:], 4, zero[:], 0, x[xo+r:], 1, xs, d[do+c:], ds, 1, batch)
			}
		}
		for o := 0; o < nOut; o++ {
			g := gw[o*nIn : (o+1)*nIn]
			for i := range g {
				g[i] += tmp[i*nOut+o]
			}
		}
		if gb != nil {
			one := [1]float64{1}
			var sum [4]float64
			for o0 := 0; o0 < nOut; o0 += 4 {
				c := min(o0, nOut-4)
				strip4K4(sum[:], 4, zero[:], 0, one[:], 0, 0, d[do+c:], ds, 1, batch)
				for l := o0 - c; l < 4; l++ {
					gb[c+l] += sum[l]
				}
			}
		}
		return
	}
	tmp := sc.get(&sc.tmp, 4*nIn)
	for o0 := 0; o0 < nOut; o0 += 4 {
		lanes := min(4, nOut-o0)
		// tmp[i·4 + l] = Σ_s x[s, i]·d[s, o0+l]; the rows left over by the
		// 4- and 8-row paths take the latency-hiding kernel.
		main := nIn &^ 3
		strip4(tmp, 4, zero[:], 0, x[xo:], 1, xs, d[do+o0:], ds, main, batch)
		if main < nIn {
			strip4K4(tmp[4*main:], 4, zero[:], 0, x[xo+main:], 1, xs, d[do+o0:], ds, nIn-main, batch)
		}
		for l := 0; l < lanes; l++ {
			g := gw[(o0+l)*nIn : (o0+l+1)*nIn]
			for i := range g {
				g[i] += tmp[i*4+l]
			}
		}
	}
	if gb != nil {
		// Σ_s d[s, o]: one row whose coefficient is always 1.
		one := [1]float64{1}
		var sum [4]float64
		for o0 := 0; o0 < nOut; o0 += 4 {
			strip4K4(sum[:], 4, zero[:], 0, one[:], 0, 0, d[do+o0:], ds, 1, batch)
			for l := 0; l < min(4, nOut-o0); l++ {
				gb[o0+l] += sum[l]
			}
		}
	}
}

// blockGradIn4 is blockGradIn on the strip kernels. With overwrite the
// block's input columns of gx are set rather than added to (the caller
// knows no other block reads them); then, when hg is not nil (laid out
// like gx) and the block is wide enough, the values are also gated by
// hg > 0 and it reports true. gx must have at least 3 values of capacity
// past its end (Backward allocates them).
func blockGradIn4(w []float64, nIn, nOut int, d []float64, ds, do int, gx []float64, gs, gxo, batch int, overwrite bool, hg []float64, sc *scratch) bool {
	if batch == 0 {
		return hg != nil
	}
	if nIn >= 4 && (overwrite || nIn <= 12) && useStrip12 {
		g := gx[gxo:]
		switch {
		case overwrite && hg != nil:
			stripColsMode(g, gs, sc.zeros(nIn), 0, d[do:], ds, 1, w, nIn, batch, nOut, nIn, storeGate, hg[gxo:])
			return true
		case overwrite:
			stripCols(g, gs, sc.zeros(nIn), 0, d[do:], ds, 1, w, nIn, batch, nOut, nIn)
		default:
			stripCols(g, gs, g, gs, d[do:], ds, 1, w, nIn, batch, nOut, nIn)
		}
		return false
	}
	var zero [4]float64
	for i0 := 0; i0 < nIn; i0 += 4 {
		lanes := min(4, nIn-i0)
		if lanes < 4 && overwrite && nIn >= 4 {
			// A full strip ending at the last input recomputes the
			// overlapping columns with the same bits.
			i0, lanes = nIn-4, 4
		}
		g := gx[gxo+i0:]
		if lanes == 4 {
			if overwrite {
				strip4(g, gs, zero[:], 0, d[do:], ds, 1, w[i0:], nIn, batch, nOut)
			} else {
				strip4(g, gs, g, gs, d[do:], ds, 1, w[i0:], nIn, batch, nOut)
			}
			if i0+4 >= nIn {
				break
			}
			continue
		}
		wt := sc.get(&sc.wt, 4*nOut)
		for o := 0; o < nOut; o++ {
			for l := 0; l < 4; l++ {
				if l < lanes {
					wt[o*4+l] = w[o*nIn+i0+l]
				} else {
					wt[o*4+l] = 0
				}
			}
		}
		tmp := sc.get(&sc.tmp, 4*batch)
		init, is := g, gs
		if overwrite {
			init, is = zero[:], 0
		}
		strip4(tmp, 4, init, is, d[do:], ds, 1, wt, 4, batch, nOut)
		for s := 0; s < batch; s++ {
			copy(g[s*gs:s*gs+lanes], tmp[4*s:4*s+lanes])
		}
	}
	return false
}

// growSlack is grow with 4 values of spare capacity, which the strip
// kernels may read past the end.
func growSlack(b []float64, n int) []float64 {
	if cap(b) < n+4 {
		return make([]float64, n, n+4)
	}
	return b[:n]
}
