package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/dualssl/dualssl/pkg/rng"
)

// TestLanesMatchRows checks the feature-major pass against the row-major
// one (itself checked against dense products and finite differences): the
// output, every activation, delta, input gradient and parameter gradient,
// for batches that fill the lanes exactly and with padding, on networks
// with blocks narrower and wider than a kernel tile, with and without
// biases.
func TestLanesMatchRows(t *testing.T) { eachKernel(t, testLanesMatchRows) }

func testLanesMatchRows(t *testing.T) {
	r := rng.New(7, "test", 0)
	nets := testNets(true)
	nets["tree-d5-k2-h10"] = NewTree(5, 2, 10, true)
	nets["tree-d2-k2-h3-nobias"] = NewTree(2, 2, 3, false)
	for name, n := range nets {
		n.Init(r, 1)
		for _, batch := range []int{1, 7, 8, 13, 96} {
			t.Run(fmt.Sprintf("%s/batch=%d", name, batch), func(t *testing.T) {
				in, out := n.InDim(), n.OutDim()
				x := randInput(r, batch*in, name != "mlp-7-6-5-3")
				dOut := randInput(r, batch*out, false)
				var a Activations
				var d Backprop
				n.Forward(x, batch, &a)
				g := n.ZeroLike()
				n.Backward(&a, dOut, g, &d, true)

				var p Lanes
				p.Reset(n, batch)
				// Dirty padding must not matter: Reset clears it.
				for i := range p.F[0] {
					p.F[0][i] = math.NaN()
				}
				p.Reset(n, batch)
				st := p.Stride
				for s := 0; s < batch; s++ {
					for i := 0; i < in; i++ {
						p.F[0][i*st+s] = x[s*in+i]
					}
					for k := 0; k < out; k++ {
						p.D[len(p.D)-1][k*st+s] = dOut[s*out+k]
					}
				}
				n.ForwardLanes(&p)
				gl := n.ZeroLike()
				n.BackwardLanes(&p, gl, true)
				same := func(what string, rows, lanes []float64, width int) {
					t.Helper()
					for s := 0; s < batch; s++ {
						for i := 0; i < width; i++ {
							want, got := rows[s*width+i], lanes[i*st+s]
							if math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
								t.Fatalf("%s[sample %d][%d] = %v, row-major %v", what, s, i, got, want)
							}
						}
					}
				}
				L := len(p.H) - 1
				same("H[L]", a.H[L], p.H[L], n.OutDim())
				for l := 1; l <= L; l++ {
					w := n.Layers[l-1].OutDim
					same(fmt.Sprintf("F[%d]", l), a.F[l], p.F[l], w)
					same(fmt.Sprintf("D[%d]", l), d.D[l], p.D[l], w)
				}
				same("D[0]", d.D[0], p.D[0], in)
				want, got := g.ParamSlices(), gl.ParamSlices()
				for k := range want {
					for i := range want[k] {
						if math.Abs(got[k][i]-want[k][i]) > 1e-12*(1+math.Abs(want[k][i])) {
							t.Fatalf("gradient slice %d [%d] = %v, row-major %v", k, i, got[k][i], want[k][i])
						}
					}
				}
			})
		}
	}
}

// TestLanes32MatchLanes checks the float32 pass against the float64 one
// on the same (float32-representable) weights and inputs: every layer's
// values and deltas, the input gradient and the parameter gradient, to
// 1e-4 of the largest magnitude of each array, on both kernel sets, with
// padded and full lane groups.
func TestLanes32MatchLanes(t *testing.T) { eachKernel(t, testLanes32MatchLanes) }

func testLanes32MatchLanes(t *testing.T) {
	r := rng.New(8, "test", 0)
	nets := testNets(true)
	nets["tree-d5-k2-h10"] = NewTree(5, 2, 10, true)
	for name, n := range nets {
		n.Init(r, 1)
		ps := n.ParamSlices()
		ws := ParamsOf[float32](n)
		for k := range ps {
			for i, v := range ps[k] {
				ws[k][i] = float32(v)
				ps[k][i] = float64(ws[k][i])
			}
		}
		for _, batch := range []int{1, 9, 16, 96} {
			t.Run(fmt.Sprintf("%s/batch=%d", name, batch), func(t *testing.T) {
				var p Lanes
				var q Lanes32
				p.Reset(n, batch)
				q.Reset(n, batch)
				if q.Stride%16 != 0 || q.Stride < batch {
					t.Fatalf("float32 stride %d for batch %d", q.Stride, batch)
				}
				x := randInput(r, batch*n.InDim(), name != "mlp-7-6-5-3")
				dOut := randInput(r, batch*n.OutDim(), false)
				L := len(p.F) - 1
				for s := 0; s < batch; s++ {
					for i := 0; i < n.InDim(); i++ {
						q.F[0][i*q.Stride+s] = float32(x[s*n.InDim()+i])
						p.F[0][i*p.Stride+s] = float64(q.F[0][i*q.Stride+s])
					}
					for i := 0; i < n.OutDim(); i++ {
						q.D[L][i*q.Stride+s] = float32(dOut[s*n.OutDim()+i])
						p.D[L][i*p.Stride+s] = float64(q.D[L][i*q.Stride+s])
					}
				}
				n.ForwardLanes(&p)
				ForwardLanesWith(n, ws, &q)
				g := n.ZeroLike()
				n.BackwardLanes(&p, g, true)
				gs := ParamsOf[float32](n)
				BackwardLanesWith(n, ws, &q, gs, true)
				near := func(what string, want []float64, got []float32, rows, cols, ws, gs int) {
					t.Helper()
					scale := 0.0
					for i := 0; i < rows; i++ {
						for s := 0; s < cols; s++ {
							scale = max(scale, math.Abs(want[i*ws+s]))
						}
					}
					for i := 0; i < rows; i++ {
						for s := 0; s < cols; s++ {
							if w, g := want[i*ws+s], float64(got[i*gs+s]); math.Abs(g-w) > 1e-4*(1+scale) {
								t.Fatalf("%s[%d][sample %d] = %v, float64 %v", what, i, s, g, w)
							}
						}
					}
				}
				for l := 0; l <= L; l++ {
					w := n.InDim()
					if l > 0 {
						w = n.Layers[l-1].OutDim
					}
					near(fmt.Sprintf("F[%d]", l), p.F[l], q.F[l], w, batch, p.Stride, q.Stride)
					near(fmt.Sprintf("D[%d]", l), p.D[l], q.D[l], w, batch, p.Stride, q.Stride)
				}
				for k, want := range g.ParamSlices() {
					near(fmt.Sprintf("gradient slice %d", k), want, gs[k], len(want), 1, 1, 1)
				}
			})
		}
	}
}
