package kernel

import "math"

// Relu sets f[i] = h[i] where h[i] > 0 and +0 elsewhere (NaN included),
// without branches: the signs of pre-activations are unpredictable. It
// uses the AVX2 kernel when the CPU has one; ReluGo is its portable twin.
func Relu(h, f []float64) {
	f = f[:len(h)]
	if n := len(h) &^ 3; AVX2 && n > 0 {
		reluAVX2(&h[0], &f[0], n)
		h, f = h[n:], f[n:]
	}
	for i, v := range h {
		f[i] = math.Float64frombits(math.Float64bits(v) & positiveMask(v))
	}
}

// Gate zeroes g[i] where h[i] is not positive (the ReLU's closed gates, NaN
// included), without branches; GateGo is its portable twin.
func Gate(h, g []float64) {
	g = g[:len(h)]
	if n := len(h) &^ 3; AVX2 && n > 0 {
		gateAVX2(&h[0], &g[0], n)
		h, g = h[n:], g[n:]
	}
	for i, v := range h {
		g[i] = math.Float64frombits(math.Float64bits(g[i]) & positiveMask(v))
	}
}

// positiveMask returns all ones if v > 0, else 0 (a conditional move).
func positiveMask(v float64) uint64 {
	var m uint64
	if v > 0 {
		m = ^uint64(0)
	}
	return m
}

// ReluGo is the portable Relu.
func ReluGo(h, f []float64) {
	f = f[:len(h)]
	for i, v := range h {
		f[i] = math.Float64frombits(math.Float64bits(v) & positiveMask(v))
	}
}

// GateGo is the portable Gate.
func GateGo(h, g []float64) {
	g = g[:len(h)]
	for i, v := range h {
		g[i] = math.Float64frombits(math.Float64bits(g[i]) & positiveMask(v))
	}
}

// Gate32 is the float32 Gate, in portable Go only (the tree networks'
// blocks tile their inputs, so their passes gate inside LanesMul32).
func Gate32(h, g []float32) {
	g = g[:len(h)]
	for i, v := range h {
		g[i] = where(g[i], v)
	}
}
