package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/dualssl/dualssl/pkg/nn/internal/kernel"
	"github.com/dualssl/dualssl/pkg/rng"
)

// TestJacobianMatchesBackward checks J_l against an independent route: a
// backward pass with ∂L/∂f = e_k gives ∂f_k/∂h_l, row k of J_l, for every
// sample at once.
func TestJacobianMatchesBackward(t *testing.T) {
	defer func(old bool) { useStrip4 = old }(useStrip4)
	for _, strip := range []bool{false, kernel.AVX2} {
		useStrip4 = strip
		jacobianMatchesBackward(t)
	}
}

func jacobianMatchesBackward(t *testing.T) {
	for _, bias := range []bool{true, false} {
		for name, n := range testNets(bias) {
			n.Init(rng.New(5, rng.Init, 0), 1)
			r := rng.New(6, "test", 0)
			const batch = 9
			x := randInput(r, batch*n.InDim(), n.Arch == ArchTree)
			var a Activations
			n.Forward(x, batch, &a)
			var j Jacobians
			n.Jacobian(&a, &j)
			nL := n.OutDim()
			g := n.ZeroLike()
			var d Backprop
			for k := 0; k < nL; k++ {
				dOut := make([]float64, batch*nL)
				for s := 0; s < batch; s++ {
					dOut[s*nL+k] = 1
				}
				n.Backward(&a, dOut, g, &d, false)
				for l := 1; l <= len(n.Layers); l++ {
					nl := n.Layers[l-1].OutDim
					for s := 0; s < batch; s++ {
						dense := j.Dense(n, l, s, nil)
						for u := 0; u < nl; u++ {
							got, want := dense[k*nl+u], d.D[l][s*nl+u]
							if math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
								t.Fatalf("%s bias=%v: J_%d[s=%d][%d,%d] = %v, backward gives %v", name, bias, l, s, k, u, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// TestJacobianHomogeneity checks f = J_l h_l for every layer of a bias-free
// network: a bias-free ReLU network is positively homogeneous in each h_l.
func TestJacobianHomogeneity(t *testing.T) {
	for name, n := range testNets(false) {
		n.Init(rng.New(7, rng.Init, 0), 1)
		r := rng.New(8, "test", 0)
		const batch = 5
		x := randInput(r, batch*n.InDim(), n.Arch == ArchTree)
		var a Activations
		n.Forward(x, batch, &a)
		var j Jacobians
		n.Jacobian(&a, &j)
		nL := n.OutDim()
		f := a.Output()
		for l := 1; l <= len(n.Layers); l++ {
			nl := n.Layers[l-1].OutDim
			for s := 0; s < batch; s++ {
				dense := j.Dense(n, l, s, nil)
				for k := 0; k < nL; k++ {
					v := 0.0
					for u := 0; u < nl; u++ {
						v += dense[k*nl+u] * a.H[l][s*nl+u]
					}
					if math.Abs(v-f[s*nL+k]) > 1e-12*(1+math.Abs(v)) {
						t.Fatalf("%s layer %d sample %d: J h = %v, f = %v", name, l, s, v, f[s*nL+k])
					}
				}
			}
		}
	}
}

// TestJacobianFiniteDifferences checks ∂f_k/∂W_b[o,i] = f_{l−1}[i]·J_l[k,o]
// by central differences; the network is piecewise linear in each weight,
// so the difference is exact up to rounding unless a gate flips.
func TestJacobianFiniteDifferences(t *testing.T) {
	n := NewTree(2, 2, 3, true)
	n.Init(rng.New(9, rng.Init, 0), 1)
	x := []float64{1, 0, 1, 1}
	var a Activations
	n.Forward(x, 1, &a)
	var j Jacobians
	n.Jacobian(&a, &j)
	nL := n.OutDim()
	const eps = 1e-6
	for l := 1; l <= len(n.Layers); l++ {
		fin := append([]float64(nil), a.F[l-1]...)
		for bi := range n.Layers[l-1].Blocks {
			b := &n.Layers[l-1].Blocks[bi]
			dense := j.Dense(n, l, 0, nil)
			nl := n.Layers[l-1].OutDim
			for o := 0; o < b.Out; o++ {
				for i := 0; i < b.In; i++ {
					w0 := b.W[o*b.In+i]
					var ap, am Activations
					b.W[o*b.In+i] = w0 + eps
					n.Forward(x, 1, &ap)
					b.W[o*b.In+i] = w0 - eps
					n.Forward(x, 1, &am)
					b.W[o*b.In+i] = w0
					for k := 0; k < nL; k++ {
						fd := (ap.Output()[k] - am.Output()[k]) / (2 * eps)
						want := fin[b.InOffset+i] * dense[k*nl+b.OutOffset+o]
						if math.Abs(fd-want) > 1e-8 {
							t.Fatalf("layer %d block %s W[%d,%d] output %d: finite difference %v, J gives %v", l, b.Name, o, i, k, fd, want)
						}
					}
				}
			}
		}
	}
}

// TestAddConnections checks the connection sums, on both kernels, against
// the definition Σ_s w_s f_{l−1}(s)[i]·J_l(s)[k, o].
func TestAddConnections(t *testing.T) {
	defer func(old bool) { useStrip4 = old }(useStrip4)
	for _, strip := range []bool{false, kernel.AVX2} {
		useStrip4 = strip
		for name, n := range testNets(true) {
			n.Init(rng.New(11, rng.Init, 0), 1)
			r := rng.New(12, "test", 0)
			const batch, s0, s1 = 11, 2, 9
			x := randInput(r, batch*n.InDim(), n.Arch == ArchTree)
			var a Activations
			var j Jacobians
			n.Forward(x, batch, &a)
			n.Jacobian(&a, &j)
			for _, weighted := range []bool{false, true} {
				var w []float64
				if weighted {
					w = randInput(r, s1-s0, false)
				}
				got := make([]float64, n.ConnectionSize())
				for i := range got {
					got[i] = 0.5 // AddConnections adds
				}
				j.AddConnections(n, &a, s0, s1, w, got)
				nL := n.OutDim()
				off := 0
				for l := 1; l <= len(n.Layers); l++ {
					layer := &n.Layers[l-1]
					for _, b := range layer.Blocks {
						for i := 0; i < b.In; i++ {
							for o := 0; o < b.Out; o++ {
								for k := 0; k < nL; k++ {
									want := 0.5
									for s := s0; s < s1; s++ {
										ws := 1.0
										if w != nil {
											ws = w[s-s0]
										}
										dense := j.Dense(n, l, s, nil)
										want += ws * a.F[l-1][s*layer.InDim+b.InOffset+i] * dense[k*layer.OutDim+b.OutOffset+o]
									}
									v := got[off+k*b.In*b.Out+i*b.Out+o]
									if math.Abs(v-want) > 1e-12*(1+math.Abs(want)) {
										t.Fatalf("%s strip=%v weighted=%v layer %d block %s (%d,%d,%d): %v want %v", name, strip, weighted, l, b.Name, i, o, k, v, want)
									}
								}
							}
						}
						off += b.In * b.Out * nL
					}
				}
			}
		}
	}
}

// BenchmarkJacobianTreeReference: the reference network (depth 5, hid 10),
// batches of 32 samples as covop uses them.
func BenchmarkJacobianTreeReference(b *testing.B) {
	n := NewTree(5, 2, 10, true)
	n.Init(rng.New(1, rng.Init, 0), 1)
	const batch = 32
	x := randInput(rng.New(2, "bench", 0), batch*n.InDim(), true)
	var a Activations
	var j Jacobians
	n.Forward(x, batch, &a)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n.Jacobian(&a, &j)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/sample")
}

func ExampleNetwork_Jacobian() {
	// A depth-1 tree: one node reading two leaves; its output is f = h_1, so
	// J_1 = I whatever the input.
	n := NewTree(1, 2, 2, false)
	copy(n.Layers[0].Blocks[0].W, []float64{1, -1, 0.5, 2})
	var a Activations
	n.Forward([]float64{1, 1}, 1, &a)
	var j Jacobians
	n.Jacobian(&a, &j)
	fmt.Println(j.Dense(n, 1, 0, nil))
	// Output: [1 0 0 1]
}

// BenchmarkAddConnectionsReference: the reference network (depth 5, hid 10),
// connection sums of batches of 32 samples, on the AVX2 kernel and the
// portable one.
func BenchmarkAddConnectionsReference(b *testing.B) {
	defer func(old bool) { useStrip4 = old }(useStrip4)
	n := NewTree(5, 2, 10, true)
	n.Init(rng.New(1, rng.Init, 0), 1)
	const batch = 32
	x := randInput(rng.New(2, "bench", 0), batch*n.InDim(), true)
	var a Activations
	var j Jacobians
	n.Forward(x, batch, &a)
	n.Jacobian(&a, &j)
	dst := make([]float64, n.ConnectionSize())
	for _, strip := range []bool{false, true} {
		if strip && !kernel.AVX2 {
			continue
		}
		b.Run(fmt.Sprintf("strip=%v", strip), func(b *testing.B) {
			useStrip4 = strip
			for i := 0; i < b.N; i++ {
				j.AddConnections(n, &a, 0, batch, nil, dst)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/sample")
		})
		b.Run(fmt.Sprintf("jacobian-strip=%v", strip), func(b *testing.B) {
			useStrip4 = strip
			for i := 0; i < b.N; i++ {
				n.Jacobian(&a, &j)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/sample")
		})
	}
}
