package probe

// rowMoments returns the mean of v, Σ (v − mean)² and Σ (v − mean)·zc in
// two passes over the row (AVX where the CPU has it, else the portable
// twins, which compute the same bits). The mean is a shift from v[0], so
// that a constant row has its value as the exact mean and zero
// deviations. len(v) = len(zc) ≥ 1.
func rowMoments(v, zc []float64) (mean, m2, co float64) {
	n := len(v)
	zc = zc[:n]
	main := n &^ 7
	mean = rowMean(v)
	if useAVX && main > 0 {
		m2, co = sqCoAVX(&v[0], &zc[0], main, mean)
	} else {
		m2, co = sqCoGo(v[:main], zc[:main], mean)
	}
	for i := main; i < n; i++ {
		d := v[i] - mean
		m2 += float64(d * d)
		co += float64(d * zc[i])
	}
	return mean, m2, co
}

// rowMean returns the mean of v (len ≥ 1) as a shift from v[0] (see
// rowMoments).
func rowMean(v []float64) float64 {
	n := len(v)
	main := n &^ 7
	first := v[0]
	var s float64
	if useAVX && main > 0 {
		s = sumDevAVX(&v[0], main, first)
	} else {
		s = sumDevGo(v[:main], first)
	}
	for _, x := range v[main:] {
		s += x - first
	}
	return first + s/float64(n)
}

// sumSquares returns Σ d², summed as rowMoments sums Σ (v − mean)².
func sumSquares(d []float64) float64 {
	n := len(d)
	main := n &^ 7
	var q float64
	if useAVX && main > 0 {
		q, _ = sqCoAVX(&d[0], &d[0], main, 0)
	} else {
		q, _ = sqCoGo(d[:main], d[:main], 0)
	}
	for _, x := range d[main:] {
		q += float64(x * x)
	}
	return q
}

// reduce8 sums two 4-lane partial sums as the assembly does.
func reduce8(a, b *[4]float64) float64 {
	t0, t1, t2, t3 := a[0]+b[0], a[1]+b[1], a[2]+b[2], a[3]+b[3]
	return (t0 + t2) + (t1 + t3)
}

// sumDevGo is sumDevAVX's twin: Σ (v[i] − shift), len(v) a multiple of 8.
func sumDevGo(v []float64, shift float64) float64 {
	var a, b [4]float64
	for i := 0; i+8 <= len(v); i += 8 {
		w := v[i : i+8]
		for k := 0; k < 4; k++ {
			a[k] += w[k] - shift
			b[k] += w[4+k] - shift
		}
	}
	return reduce8(&a, &b)
}

// sqCoGo is sqCoAVX's twin. The conversions keep the products rounded
// (no fused multiply-add), as the assembly's.
func sqCoGo(v, zc []float64, mean float64) (q, c float64) {
	var qa, qb, ca, cb [4]float64
	for i := 0; i+8 <= len(v); i += 8 {
		w, z := v[i:i+8], zc[i:i+8]
		for k := 0; k < 4; k++ {
			d0, d1 := w[k]-mean, w[4+k]-mean
			qa[k] += float64(d0 * d0)
			qb[k] += float64(d1 * d1)
			ca[k] += float64(d0 * z[k])
			cb[k] += float64(d1 * z[4+k])
		}
	}
	return reduce8(&qa, &qb), reduce8(&ca, &cb)
}

// reluRows sets f = ReLU(h) elementwise: h where h > 0, else +0.
func reluRows(h, f []float64) {
	f = f[:len(h)]
	main := 0
	if useAVX {
		main = len(h) &^ 3
		if main > 0 {
			reluAVX(&h[0], &f[0], main)
		}
	}
	for i, v := range h[main:] {
		if v > 0 {
			f[main+i] = v
		} else {
			f[main+i] = 0
		}
	}
}
