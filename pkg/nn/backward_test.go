package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dualssl/dualssl/pkg/nn/internal/kernel"
	"github.com/dualssl/dualssl/pkg/rng"
)

// denseForward recomputes a network's output independently of the block
// kernels: each layer is expanded into a dense OutDim×InDim matrix (zero
// outside its blocks) and applied sample by sample.
func denseForward(n *Network, x []float64, batch int) [][]float64 {
	hs := make([][]float64, len(n.Layers)+1)
	f := append([]float64(nil), x...)
	for li, l := range n.Layers {
		W := make([]float64, l.OutDim*l.InDim)
		bias := make([]float64, l.OutDim)
		for _, b := range l.Blocks {
			for o := 0; o < b.Out; o++ {
				bias[b.OutOffset+o] = b.B[o]
				for i := 0; i < b.In; i++ {
					W[(b.OutOffset+o)*l.InDim+b.InOffset+i] = b.W[o*b.In+i]
				}
			}
		}
		h := make([]float64, batch*l.OutDim)
		for s := 0; s < batch; s++ {
			for o := 0; o < l.OutDim; o++ {
				v := bias[o]
				for i := 0; i < l.InDim; i++ {
					v += W[o*l.InDim+i] * f[s*l.InDim+i]
				}
				h[s*l.OutDim+o] = v
			}
		}
		hs[li+1] = h
		f = make([]float64, len(h))
		for i, v := range h {
			f[i] = math.Max(v, 0)
		}
	}
	return hs
}

// eachKernel runs f with the portable kernels and, where the CPU has them,
// with the AVX2 strip kernels.
func eachKernel(t *testing.T, f func(t *testing.T)) {
	defer func(old bool) { useStrip4 = old }(useStrip4)
	useStrip4 = false
	t.Run("go", f)
	if kernel.AVX2 {
		useStrip4 = true
		t.Run("avx2", f)
	}
}

func testNets(bias bool) map[string]*Network {
	return map[string]*Network{
		"tree-d3-k3-h4": NewTree(3, 3, 4, bias),
		"tree-d2-k2-h5": NewTree(2, 2, 5, bias),
		"mlp-7-6-5-3":   NewMLP(7, []int{6, 5, 3}, bias),
	}
}

func randInput(r *rand.Rand, n int, binary bool) []float64 {
	x := make([]float64, n)
	for i := range x {
		if binary {
			x[i] = float64(r.IntN(2))
		} else {
			x[i] = r.NormFloat64()
		}
	}
	return x
}

// TestForwardMatchesDense checks every layer's pre-activation against the
// dense re-computation, with a batch size that exercises both the four-sample
// path and the remainder path of the kernel.
func TestForwardMatchesDense(t *testing.T) { eachKernel(t, testForwardMatchesDense) }

func testForwardMatchesDense(t *testing.T) {
	for _, bias := range []bool{true, false} {
		for name, n := range testNets(bias) {
			n.Init(rng.New(3, rng.Init, 0), 1)
			r := rng.New(4, "test", 0)
			const batch = 7
			x := randInput(r, batch*n.InDim(), n.Arch == ArchTree)
			var a Activations
			n.Forward(x, batch, &a)
			want := denseForward(n, x, batch)
			for l := 1; l <= len(n.Layers); l++ {
				for i, v := range a.H[l] {
					if math.Abs(v-want[l][i]) > 1e-13 {
						t.Fatalf("%s bias=%v: h_%d[%d] = %v, dense %v", name, bias, l, i, v, want[l][i])
					}
				}
			}
		}
	}
}

// TestBackwardFiniteDifferences checks ∂L/∂W, ∂L/∂b and ∂L/∂x of the linear
// functional L = Σ c⊙f against central differences. f is piecewise linear in
// each parameter, so away from ReLU kinks the difference quotient is exact up
// to rounding.
func TestBackwardFiniteDifferences(t *testing.T) { eachKernel(t, testBackwardFiniteDifferences) }

func testBackwardFiniteDifferences(t *testing.T) {
	for _, bias := range []bool{true, false} {
		for name, n := range testNets(bias) {
			n.Init(rng.New(5, rng.Init, 0), 1)
			r := rng.New(6, "test", 0)
			const batch = 6
			x := randInput(r, batch*n.InDim(), false)
			c := randInput(r, batch*n.OutDim(), false)
			loss := func() float64 {
				var a Activations
				n.Forward(x, batch, &a)
				s := 0.0
				for i, v := range a.Output() {
					s += c[i] * v
				}
				return s
			}
			var a Activations
			n.Forward(x, batch, &a)
			g := n.ZeroLike()
			var d Backprop
			n.Backward(&a, c, g, &d, true)
			const eps = 1e-6
			check := func(what string, p *float64, got float64) {
				old := *p
				*p = old + eps
				up := loss()
				*p = old - eps
				down := loss()
				*p = old
				fd := (up - down) / (2 * eps)
				if math.Abs(fd-got) > 1e-7*(1+math.Abs(fd)) {
					t.Errorf("%s bias=%v %s: backward %v, finite difference %v", name, bias, what, got, fd)
				}
			}
			ps, gs := n.ParamSlices(), g.ParamSlices()
			for k := range ps {
				isBias := k%2 == 1
				for i := range ps[k] {
					if isBias && !bias {
						if gs[k][i] != 0 {
							t.Fatalf("%s: bias gradient %v on a bias-free network", name, gs[k][i])
						}
						continue
					}
					check("param", &ps[k][i], gs[k][i])
				}
			}
			for i := range x {
				check("input", &x[i], d.D[0][i])
			}
		}
	}
}

// TestBackwardAccumulates checks that Backward adds onto g: two passes over
// halves of a batch sum to one pass over the whole batch.
func TestBackwardAccumulates(t *testing.T) { eachKernel(t, testBackwardAccumulates) }

func testBackwardAccumulates(t *testing.T) {
	n := NewTree(3, 2, 3, true)
	n.Init(rng.New(7, rng.Init, 0), 1)
	r := rng.New(8, "test", 0)
	const batch = 10
	x := randInput(r, batch*n.InDim(), true)
	c := randInput(r, batch*n.OutDim(), false)
	var a Activations
	var d Backprop
	whole := n.ZeroLike()
	n.Forward(x, batch, &a)
	n.Backward(&a, c, whole, &d, false)
	parts := n.ZeroLike()
	half := batch / 2
	for _, h := range [][2]int{{0, half}, {half, batch}} {
		n.Forward(x[h[0]*n.InDim():h[1]*n.InDim()], h[1]-h[0], &a)
		n.Backward(&a, c[h[0]*n.OutDim():h[1]*n.OutDim()], parts, &d, false)
	}
	ws, ps := whole.ParamSlices(), parts.ParamSlices()
	for k := range ws {
		for i := range ws[k] {
			if math.Abs(ws[k][i]-ps[k][i]) > 1e-12 {
				t.Fatalf("slice %d[%d]: whole %v, halves %v", k, i, ws[k][i], ps[k][i])
			}
		}
	}
}

// TestHomogeneity checks, for bias-free networks, the identity
// f = J_l h_l = J_l W_l f_{l−1} at every layer l and f = J_0 x, with the
// Jacobian rows J_l = ∂f_k/∂h_l obtained by back-propagating unit vectors.
func TestHomogeneity(t *testing.T) { eachKernel(t, testHomogeneity) }

func testHomogeneity(t *testing.T) {
	for name, n := range testNets(false) {
		n.Init(rng.New(9, rng.Init, 0), 1)
		r := rng.New(10, "test", 0)
		const batch = 5
		x := randInput(r, batch*n.InDim(), n.Arch == ArchTree)
		var a Activations
		n.Forward(x, batch, &a)
		f := a.Output()
		L := len(n.Layers)
		out := n.OutDim()
		g := n.ZeroLike()
		var d Backprop
		for k := 0; k < out; k++ {
			e := make([]float64, batch*out)
			for s := 0; s < batch; s++ {
				e[s*out+k] = 1
			}
			n.Backward(&a, e, g, &d, true)
			for l := 0; l <= L; l++ {
				v := a.H[l]
				width := n.InDim()
				if l == 0 {
					v = x
				} else {
					width = n.Layers[l-1].OutDim
				}
				for s := 0; s < batch; s++ {
					sum := 0.0
					for j := 0; j < width; j++ {
						sum += d.D[l][s*width+j] * v[s*width+j]
					}
					if want := f[s*out+k]; math.Abs(sum-want) > 1e-12 {
						t.Errorf("%s: sample %d output %d: J_%d·h_%d = %v, f = %v", name, s, k, l, l, sum, want)
					}
				}
			}
		}
	}
}
