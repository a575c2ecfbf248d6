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
	for i := 0; i < rows; i++ {
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
	for i := 0; i < rows; i++ {
		fi, go_, gi := f[i*d:(i+1)*d], gOut[i*d:(i+1)*d], gIn[i*d:(i+1)*d]
		r := norms[i]
		inv := 1 / (r + eps)
		c := 0.0
		if r > 0 {
			dot := 0.0
			for j, v := range fi {
				dot += v * go_[j]
			}
			c = dot / (r * (r + eps) * (r + eps))
		}
		for j, v := range fi {
			gi[j] = go_[j]*inv - v*c
		}
	}
}
