package nn

import "github.com/dualssl/dualssl/pkg/nn/internal/kernel"

// useStrip4 selects the AVX2+FMA kernels where the CPU has them; tests
// switch it off to check the portable kernels too.
var useStrip4 = kernel.AVX2

// useStrip12 selects the three-strip kernel for blocks at least four wide
// (a switch for benchmarks).
var useStrip12 = true

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
			kernel.StripColsMode(h[ho:], hs, b, 0, x[xo:], xs, 1, wt, nOut, batch, nIn, nOut, kernel.StoreReLU, f[ho:])
			return true
		}
		kernel.StripCols(h[ho:], hs, b, 0, x[xo:], xs, 1, wt, nOut, batch, nIn, nOut)
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
			kernel.Strip4(h[ho+o0:], hs, b4[:], 0, x[xo:], xs, 1, wt, 4, batch, nIn)
			if o0+4 >= nOut {
				break
			}
			continue
		}
		// A block narrower than a strip would overwrite the next columns:
		// go through a scratch buffer.
		tmp := sc.get(&sc.tmp, 4*batch)
		kernel.Strip4(tmp, 4, b4[:], 0, x[xo:], xs, 1, wt, 4, batch, nIn)
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
		kernel.StripCols(tmp, nOut, zeros, 0, x[xo:], 1, xs, d[do:], ds, main, batch, nOut)
		for r := main; r < nIn; r++ {
			for o0 := 0; o0 < nOut; o0 += 4 {
				c := min(o0, nOut-4)
				kernel.Strip4K4(tmp[r*nOut+c:], 4, zero[:], 0, x[xo+r:], 1, xs, d[do+c:], ds, 1, batch)
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
				kernel.Strip4K4(sum[:], 4, zero[:], 0, one[:], 0, 0, d[do+c:], ds, 1, batch)
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
		kernel.Strip4(tmp, 4, zero[:], 0, x[xo:], 1, xs, d[do+o0:], ds, main, batch)
		if main < nIn {
			kernel.Strip4K4(tmp[4*main:], 4, zero[:], 0, x[xo+main:], 1, xs, d[do+o0:], ds, nIn-main, batch)
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
			kernel.Strip4K4(sum[:], 4, zero[:], 0, one[:], 0, 0, d[do+o0:], ds, 1, batch)
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
			kernel.StripColsMode(g, gs, sc.zeros(nIn), 0, d[do:], ds, 1, w, nIn, batch, nOut, nIn, kernel.StoreGate, hg[gxo:])
			return true
		case overwrite:
			kernel.StripCols(g, gs, sc.zeros(nIn), 0, d[do:], ds, 1, w, nIn, batch, nOut, nIn)
		default:
			kernel.StripCols(g, gs, g, gs, d[do:], ds, 1, w, nIn, batch, nOut, nIn)
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
				kernel.Strip4(g, gs, zero[:], 0, d[do:], ds, 1, w[i0:], nIn, batch, nOut)
			} else {
				kernel.Strip4(g, gs, g, gs, d[do:], ds, 1, w[i0:], nIn, batch, nOut)
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
		kernel.Strip4(tmp, 4, init, is, d[do:], ds, 1, wt, 4, batch, nOut)
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
