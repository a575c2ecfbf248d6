package loss

import "math"

// DefaultEps is the reference's ε in f̂ = f/(‖f‖+ε).
const DefaultEps = 1e-4

// Normalize sets out_i = f_i/(‖f_i‖+eps) for each of the rows of f
// (row-major, d columns) and stores ‖f_i‖ in norms (len rows). out may alias
// f. It panics on mismatched lengths.
func Normalize(f []float64, rows, d int, eps float64, out, norms []float64) {
	if len(f) != rows*d || len(out) != rows*d || len(norms) != rows {
		panic("loss: Normalize: mismatched lengths")
	}
	// Four rows at a time: each row's sum runs in the same order as alone
	// (the same bits), but the four chains of dependent adds, square roots
	// and divisions overlap in the pipeline (2–3× faster at width 10).
	i := 0
	for ; i+4 <= rows; i += 4 {
		f0, f1, f2, f3 := rows4(f, i, d)
		var s0, s1, s2, s3 float64
		for j, v := range f0 {
			s0 += v * v
			s1 += f1[j] * f1[j]
			s2 += f2[j] * f2[j]
			s3 += f3[j] * f3[j]
		}
		n := norms[i : i+4]
		n[0], n[1], n[2], n[3] = math.Sqrt(s0), math.Sqrt(s1), math.Sqrt(s2), math.Sqrt(s3)
		inv0, inv1, inv2, inv3 := 1/(n[0]+eps), 1/(n[1]+eps), 1/(n[2]+eps), 1/(n[3]+eps)
		o0, o1, o2, o3 := rows4(out, i, d)
		for j, v := range f0 {
			v1, v2, v3 := f1[j], f2[j], f3[j]
			o0[j], o1[j], o2[j], o3[j] = v*inv0, v1*inv1, v2*inv2, v3*inv3
		}
	}
	for ; i < rows; i++ {
		fi := f[i*d : (i+1)*d]
		s := 0.0
		for _, v := range fi {
			s += v * v
		}
		r := math.Sqrt(s)
		norms[i] = r
		inv := 1 / (r + eps)
		oi := out[i*d : (i+1)*d]
		for j, v := range fi {
			oi[j] = v * inv
		}
	}
}

// NormalizeBackward turns the gradient gOut = ∂L/∂f̂ into gIn = ∂L/∂f for
// the normalisation of Normalize, given the un-normalised f and the norms it
// stored:
//
//	∂L/∂f = gOut/(r+ε) − f·(f·gOut)/(r(r+ε)²),  r = ‖f‖.
//
// At f = 0 the second term is taken as 0. gIn may alias gOut.
func NormalizeBackward(f, norms []float64, rows, d int, eps float64, gOut, gIn []float64) {
	if len(f) != rows*d || len(gOut) != rows*d || len(gIn) != rows*d || len(norms) != rows {
		panic("loss: NormalizeBackward: mismatched lengths")
	}
	// Four rows at a time, as in Normalize: same bits, overlapped chains.
	i := 0
	for ; i+4 <= rows; i += 4 {
		f0, f1, f2, f3 := rows4(f, i, d)
		g0, g1, g2, g3 := rows4(gOut, i, d)
		var d0, d1, d2, d3 float64
		for j, v := range f0 {
			d0 += v * g0[j]
			d1 += f1[j] * g1[j]
			d2 += f2[j] * g2[j]
			d3 += f3[j] * g3[j]
		}
		n := norms[i : i+4]
		c0, c1, c2, c3 := normCoef(d0, n[0], eps), normCoef(d1, n[1], eps), normCoef(d2, n[2], eps), normCoef(d3, n[3], eps)
		inv0, inv1, inv2, inv3 := 1/(n[0]+eps), 1/(n[1]+eps), 1/(n[2]+eps), 1/(n[3]+eps)
		i0, i1, i2, i3 := rows4(gIn, i, d)
		for j, v := range f0 {
			a0, a1, a2, a3 := g0[j]*inv0-v*c0, g1[j]*inv1-f1[j]*c1, g2[j]*inv2-f2[j]*c2, g3[j]*inv3-f3[j]*c3
			i0[j], i1[j], i2[j], i3[j] = a0, a1, a2, a3
		}
	}
	for ; i < rows; i++ {
		fi, go_, gi := f[i*d:(i+1)*d], gOut[i*d:(i+1)*d], gIn[i*d:(i+1)*d]
		r := norms[i]
		inv := 1 / (r + eps)
		dot := 0.0
		for j, v := range fi {
			dot += v * go_[j]
		}
		c := normCoef(dot, r, eps)
		for j, v := range fi {
			gi[j] = go_[j]*inv - v*c
		}
	}
}

// normCoef is NormalizeBackward's f·gOut/(r(r+ε)²), 0 at r = 0.
func normCoef(dot, r, eps float64) float64 {
	if r > 0 {
		return dot / (r * (r + eps) * (r + eps))
	}
	return 0
}

// rows4 returns rows i … i+3 of the row-major s (d columns), each of
// length d.
func rows4(s []float64, i, d int) (r0, r1, r2, r3 []float64) {
	return s[i*d:][:d], s[(i+1)*d:][:d], s[(i+2)*d:][:d], s[(i+3)*d:][:d]
}
