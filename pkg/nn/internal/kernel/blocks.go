package kernel

// The kernels below are the inner loops of the forward and backward passes
// over one block and a batch of row-major samples. The tree network's blocks
// are tiny (10×20 for the reference), far below the sizes where a BLAS pays
// off, so they are hand-written: four samples at a time share each weight
// load and keep four independent accumulators in flight. Every sample's
// arithmetic is the same whichever path (blocked or remainder) handles it,
// so results do not depend on where a sample sits in a batch.

// rows4 returns rows r … r+3 of a row-major a (row stride stride), each
// the n values from column off on: the four rows one blocked step reads
// or writes.
func rows4(a []float64, r, stride, off, n int) (a0, a1, a2, a3 []float64) {
	return a[r*stride+off:][:n], a[(r+1)*stride+off:][:n], a[(r+2)*stride+off:][:n], a[(r+3)*stride+off:][:n]
}

// ForwardGo sets h[s·hs+ho+o] = b[o] + Σ_i w[o·nIn+i]·x[s·xs+xo+i] for
// s < batch, o < nOut.
func ForwardGo(w, b []float64, nIn, nOut int, x []float64, xs, xo int, h []float64, hs, ho, batch int) {
	s := 0
	for ; s+4 <= batch; s += 4 {
		x0, x1, x2, x3 := rows4(x, s, xs, xo, nIn)
		h0, h1, h2, h3 := rows4(h, s, hs, ho, nOut)
		for o := range h0 {
			wo := w[o*nIn:][:nIn]
			bo := b[o]
			a0, a1, a2, a3 := bo, bo, bo, bo
			for i, wv := range wo {
				a0 += wv * x0[i]
				a1 += wv * x1[i]
				a2 += wv * x2[i]
				a3 += wv * x3[i]
			}
			h0[o], h1[o], h2[o], h3[o] = a0, a1, a2, a3
		}
	}
	for ; s < batch; s++ {
		x0 := x[s*xs+xo:][:nIn]
		h0 := h[s*hs+ho:][:nOut]
		for o := range h0 {
			wo := w[o*nIn:][:nIn]
			a0 := b[o]
			for i, wv := range wo {
				a0 += wv * x0[i]
			}
			h0[o] = a0
		}
	}
}

// GradWGo adds Σ_s d[s·ds+do+o]·x[s·xs+xo+i] to gw[o·nIn+i] and, when gb
// is not nil, Σ_s d[s·ds+do+o] to gb[o]. Zero deltas (closed ReLU gates) are
// skipped.
func GradWGo(gw, gb []float64, nIn, nOut int, d []float64, ds, do int, x []float64, xs, xo, batch int) {
	s := 0
	for ; s+4 <= batch; s += 4 {
		x0, x1, x2, x3 := rows4(x, s, xs, xo, nIn)
		d0, d1, d2, d3 := rows4(d, s, ds, do, nOut)
		for o := range d0 {
			e0, e1, e2, e3 := d0[o], d1[o], d2[o], d3[o]
			if e0 == 0 && e1 == 0 && e2 == 0 && e3 == 0 {
				continue
			}
			if gb != nil {
				gb[o] += e0 + e1 + e2 + e3
			}
			g := gw[o*nIn:][:nIn]
			for i := range g {
				g[i] += e0*x0[i] + e1*x1[i] + e2*x2[i] + e3*x3[i]
			}
		}
	}
	for ; s < batch; s++ {
		x0 := x[s*xs+xo:][:nIn]
		d0 := d[s*ds+do:][:nOut]
		for o, e0 := range d0 {
			if e0 == 0 {
				continue
			}
			if gb != nil {
				gb[o] += e0
			}
			g := gw[o*nIn:][:nIn]
			for i := range g {
				g[i] += e0 * x0[i]
			}
		}
	}
}

// GradInGo adds Σ_o w[o·nIn+i]·d[s·ds+do+o] to gx[s·gs+go+i] for every
// sample s < batch.
func GradInGo(w []float64, nIn, nOut int, d []float64, ds, do int, gx []float64, gs, gxo, batch int) {
	for s := 0; s < batch; s++ {
		ds0 := d[s*ds+do:][:nOut]
		g := gx[s*gs+gxo:][:nIn]
		o := 0
		for ; o+4 <= nOut; o += 4 {
			e0, e1, e2, e3 := ds0[o], ds0[o+1], ds0[o+2], ds0[o+3]
			if e0 == 0 && e1 == 0 && e2 == 0 && e3 == 0 {
				continue
			}
			w0, w1, w2, w3 := rows4(w, o, nIn, 0, nIn)
			for i := range g {
				g[i] += e0*w0[i] + e1*w1[i] + e2*w2[i] + e3*w3[i]
			}
		}
		for ; o < nOut; o++ {
			e0 := ds0[o]
			if e0 == 0 {
				continue
			}
			w0 := w[o*nIn:][:nIn]
			for i := range g {
				g[i] += e0 * w0[i]
			}
		}
	}
}
