package nn

import "github.com/dualssl/dualssl/pkg/nn/internal/kernel"

// blockForward, blockGradW and blockGradIn dispatch to the AVX2 strip
// kernels (strip.go) when the CPU has them, else to the portable loops.

// blockForward reports whether it also stored ReLU(h) into f (nil: not
// wanted).
func blockForward(w, b []float64, nIn, nOut int, x []float64, xs, xo int, h []float64, hs, ho, batch int, f []float64, sc *scratch) bool {
	if useStrip4 {
		return blockForward4(w, b, nIn, nOut, x, xs, xo, h, hs, ho, batch, f, sc)
	}
	kernel.ForwardGo(w, b, nIn, nOut, x, xs, xo, h, hs, ho, batch)
	return false
}

func blockGradW(gw, gb []float64, nIn, nOut int, d []float64, ds, do int, x []float64, xs, xo, batch int, sc *scratch) {
	if useStrip4 {
		blockGradW4(gw, gb, nIn, nOut, d, ds, do, x, xs, xo, batch, sc)
		return
	}
	kernel.GradWGo(gw, gb, nIn, nOut, d, ds, do, x, xs, xo, batch)
}

// blockGradIn reports whether it also applied the ReLU gate of hg (nil:
// not wanted) to the block's columns of gx.
func blockGradIn(w []float64, nIn, nOut int, d []float64, ds, do int, gx []float64, gs, gxo, batch int, overwrite bool, hg []float64, sc *scratch) bool {
	if useStrip4 {
		return blockGradIn4(w, nIn, nOut, d, ds, do, gx, gs, gxo, batch, overwrite, hg, sc)
	}
	kernel.GradInGo(w, nIn, nOut, d, ds, do, gx, gs, gxo, batch)
	return false
}

// relu sets f = ReLU(h) (see kernel.Relu) on the selected kernels.
func relu(h, f []float64) {
	if useStrip4 {
		kernel.Relu(h, f)
		return
	}
	kernel.ReluGo(h, f)
}

// gate zeroes g where h is not positive (see kernel.Gate) on the selected
// kernels.
func gate(h, g []float64) {
	if useStrip4 {
		kernel.Gate(h, g)
		return
	}
	kernel.GateGo(h, g)
}
