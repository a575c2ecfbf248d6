package covop

import (
	"math"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dualssl/dualssl/pkg/nn"
)

// bruteK returns K_l(x) for one input as a d_l × n_L matrix, built from the
// definition: row i·Out+o of block b (blocks stacked) is f_{l−1}[i]·J_l[·, o].
func bruteK(net *nn.Network, x []float64) []*mat.Dense {
	var a nn.Activations
	var j nn.Jacobians
	net.Forward(x, 1, &a)
	net.Jacobian(&a, &j)
	nL := net.OutDim()
	var ks []*mat.Dense
	for l := 1; l <= len(net.Layers); l++ {
		layer := &net.Layers[l-1]
		J := j.Dense(net, l, 0, nil) // n_L × n_l
		dl := 0
		for _, b := range layer.Blocks {
			dl += b.In * b.Out
		}
		K := mat.NewDense(dl, nL, nil)
		off := 0
		for _, b := range layer.Blocks {
			for i := 0; i < b.In; i++ {
				for o := 0; o < b.Out; o++ {
					for k := 0; k < nL; k++ {
						K.Set(off+i*b.Out+o, k, a.F[l-1][b.InOffset+i]*J[k*layer.OutDim+b.OutOffset+o])
					}
				}
			}
			off += b.In * b.Out
		}
		ks = append(ks, K)
	}
	return ks
}

// vecW stacks the columns of every block's W, blocks in order.
func vecW(layer *nn.Layer) []float64 {
	var v []float64
	for _, b := range layer.Blocks {
		for i := 0; i < b.In; i++ {
			for o := 0; o < b.Out; o++ {
				v = append(v, b.W[o*b.In+i])
			}
		}
	}
	return v
}

// bruteKbar returns, per layer, the exact K̄(key) for every key and the key
// probabilities.
func bruteKbar(net *nn.Network, d *Data) ([][]*mat.Dense, []float64) {
	G := d.NumKeys()
	L := len(net.Layers)
	kbar := make([][]*mat.Dense, L)
	pk := make([]float64, G)
	for s := 0; s < d.N(); s++ {
		ks := bruteK(net, d.X[s*d.InDim:(s+1)*d.InDim])
		for g := 0; g < G; g++ {
			p := d.joint[s*G+g]
			pk[g] += p
			for l := range L {
				if kbar[l] == nil {
					kbar[l] = make([]*mat.Dense, G)
				}
				if kbar[l][g] == nil {
					r, c := ks[l].Dims()
					kbar[l][g] = mat.NewDense(r, c, nil)
				}
				var t mat.Dense
				t.Scale(p, ks[l])
				kbar[l][g].Add(kbar[l][g], &t)
			}
		}
	}
	for l := range L {
		for g := range G {
			kbar[l][g].Scale(1/pk[g], kbar[l][g])
		}
	}
	return kbar, pk
}

// keyMean returns Σ_key p K̄, the mean of the keys' K̄.
func keyMean(kbar []*mat.Dense, pk []float64) *mat.Dense {
	r, c := kbar[0].Dims()
	mean := mat.NewDense(r, c, nil)
	for g, k := range kbar {
		var t mat.Dense
		t.Scale(pk[g], k)
		mean.Add(mean, &t)
	}
	return mean
}

// bruteOP returns Σ_key p (K̄ − mean)(K̄ − mean)ᵀ for one layer.
func bruteOP(kbar []*mat.Dense, pk []float64) *mat.Dense {
	r, _ := kbar[0].Dims()
	mean := keyMean(kbar, pk)
	op := mat.NewDense(r, r, nil)
	for g, k := range kbar {
		var diff, prod mat.Dense
		diff.Sub(k, mean)
		prod.Mul(&diff, diff.T())
		prod.Scale(pk[g], &prod)
		op.Add(op, &prod)
	}
	return op
}

func maxAbs(m mat.Matrix) float64 {
	r, c := m.Dims()
	v := 0.0
	for i := range r {
		for j := range c {
			v = max(v, math.Abs(m.At(i, j)))
		}
	}
	return v
}

func TestVecConvention(t *testing.T) {
	nets := []*nn.Network{testTree(3, 2, 3, false, 41), testTree(2, 3, 2, false, 42), nn.NewMLP(5, []int{4, 6, 3}, false)}
	nets[2].Init(testRand(43), 1)
	for _, net := range nets {
		r := testRand(44)
		x := make([]float64, net.InDim())
		for i := range x {
			x[i] = float64(r.IntN(2))
			if net.Arch == nn.ArchMLP {
				x[i] = r.NormFloat64()
			}
		}
		var a nn.Activations
		net.Forward(x, 1, &a)
		f := a.Output()
		ks := bruteK(net, x)
		// The connection the package accumulates must be the same matrix.
		p := newPlan(net)
		slab := make([]float64, p.size)
		var j nn.Jacobians
		net.Jacobian(&a, &j)
		j.AddConnections(net, &a, 0, 1, nil, slab)
		for l, K := range ks {
			w := vecW(&net.Layers[l])
			rows, nL := K.Dims()
			for k := range nL {
				v := 0.0
				for r := range rows {
					v += K.At(r, k) * w[r]
					// Block-major, K_bᵀ within a block: find r's block.
					bi := 0
					for bi+1 < len(p.blockOff[l]) && p.blockOff[l][bi+1] <= r {
						bi++
					}
					b := net.Layers[l].Blocks[bi]
					idx := p.layerOff[l] + p.blockOff[l][bi]*nL + k*b.In*b.Out + r - p.blockOff[l][bi]
					if got := slab[idx]; got != K.At(r, k) {
						t.Fatalf("%s layer %d: K[%d,%d] = %v, definition gives %v", net.Arch, l+1, r, k, got, K.At(r, k))
					}
				}
				if math.Abs(v-f[k]) > 1e-12*(1+math.Abs(f[k])) {
					t.Fatalf("%s layer %d: (Kᵀ vec W)[%d] = %v, f = %v", net.Arch, l+1, k, v, f[k])
				}
			}
		}
	}
}

// TestOperatorsMatchDefinition compares every reported operator with one
// built from the definitions, densely, and checks symmetry, PSD, the
// Gram-route spectrum, and OP = p₀p₁ D Dᵀ with rank ≤ n_L for the root key.
func TestOperatorsMatchDefinition(t *testing.T) {
	m := testModel(t, 3, 2, 51)
	compared := 0
	for _, keep := range []int{0, 1} {
		d, err := Exact(m, keep)
		if err != nil {
			t.Fatal(err)
		}
		net := testTree(3, 2, 3, true, 52)
		kbar, pk := bruteKbar(net, d)
		for _, contract := range []Contract{ContractNone, ContractNode} {
			rep, err := Analyze(net, d, Config{Matrix: true, Contract: contract, TopK: 40})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range rep.Operators {
				l := o.Layer - 1
				var want *mat.Dense
				switch {
				case o.Scope == ScopeLevel:
					want = bruteOP(kbar[l], pk)
				case contract == ContractNone:
					// A node's operator is its diagonal block of the level's.
					off := 0
					for _, b := range net.Layers[l].Blocks {
						if b.Node == o.Node {
							want = mat.DenseCopyOf(bruteOP(kbar[l], pk).Slice(off, off+b.In*b.Out, off, off+b.In*b.Out))
							break
						}
						off += b.In * b.Out
					}
				default:
					want = bruteContracted(net, kbar[l], pk, l, o.Node)
				}
				scale := maxAbs(want)
				var diff mat.Dense
				if o.Matrix != nil {
					diff.Sub(o.Matrix, want)
					if e := maxAbs(&diff); e > 1e-13*scale {
						t.Fatalf("keep %d %s %s: operator differs from the definition by %g (scale %g)", keep, o.Scope, o.Name, e, scale)
					}
				} else if o.Scope != ScopeNode || contract != ContractNone {
					t.Fatalf("%s: no matrix", o.Name)
				}
				// Spectrum through the Gram route equals the dense one.
				var es mat.EigenSym
				sym := mat.NewSymDense(want.RawMatrix().Rows, nil)
				for i := range sym.SymmetricDim() {
					for j := i; j < sym.SymmetricDim(); j++ {
						sym.SetSym(i, j, (want.At(i, j)+want.At(j, i))/2)
					}
				}
				es.Factorize(sym, false)
				vals := es.Values(nil)
				sort.Sort(sort.Reverse(sort.Float64Slice(vals)))
				if len(vals) == 0 || vals[0] == 0 {
					continue // a dead node: nothing to compare
				}
				if vals[len(vals)-1] < -1e-13*vals[0] {
					t.Fatalf("%s: not PSD: λ_min = %g, λ_max = %g", o.Name, vals[len(vals)-1], vals[0])
				}
				for i := 1; i < len(o.Top) && i < len(vals); i++ {
					if o.Top[i] > o.Top[i-1] {
						t.Fatalf("%s: eigenvalues not descending: %v", o.Name, o.Top)
					}
				}
				for i, v := range o.Top {
					if i >= len(vals) {
						if !math.IsNaN(v) {
							t.Fatalf("%s: eigenvalue %d past the side is %v", o.Name, i, v)
						}
						continue
					}
					if math.Abs(v-vals[i]) > 1e-12*vals[0] {
						t.Fatalf("%s: eigenvalue %d = %v, dense %v", o.Name, i, v, vals[i])
					}
				}
				compared++
				if math.Abs(o.Trace-mat.Trace(want)) > 1e-12*math.Abs(mat.Trace(want)) {
					t.Fatalf("%s: trace %v want %v", o.Name, o.Trace, mat.Trace(want))
				}
				if math.Abs(o.Frobenius-mat.Norm(want, 2)) > 1e-12*mat.Norm(want, 2) {
					t.Fatalf("%s: Frobenius %v want %v", o.Name, o.Frobenius, mat.Norm(want, 2))
				}
				if keep == 0 && o.Scope == ScopeLevel {
					// OP = p₀p₁ D Dᵀ, rank ≤ n_L.
					var D, DD mat.Dense
					D.Sub(kbar[l][1], kbar[l][0])
					DD.Mul(&D, D.T())
					DD.Scale(pk[0]*pk[1], &DD)
					diff.Sub(o.Matrix, &DD)
					if e := maxAbs(&diff); e > 1e-13*scale {
						t.Fatalf("%s: OP − p₀p₁DDᵀ = %g", o.Name, e)
					}
					if o.Rank > net.OutDim() {
						t.Fatalf("%s: rank %d > n_L = %d", o.Name, o.Rank, net.OutDim())
					}
				}
			}
		}
	}
	if compared < 30 {
		t.Fatalf("only %d operators compared", compared)
	}
}

// bruteContracted builds the reference's node operator from K̄: rows
// (i, k) at i·n_L+k, Σ_key p Σ_o C[(i,o),k]·C[(i',o),k'].
func bruteContracted(net *nn.Network, kbar []*mat.Dense, pk []float64, l, node int) *mat.Dense {
	layer := &net.Layers[l]
	off := 0
	var b nn.Block
	for _, bb := range layer.Blocks {
		if bb.Node == node {
			b = bb
			break
		}
		off += bb.In * bb.Out
	}
	nL := net.OutDim()
	mean := keyMean(kbar, pk)
	side := b.In * nL
	op := mat.NewDense(side, side, nil)
	for g, k := range kbar {
		for i := 0; i < b.In; i++ {
			for kk := range nL {
				for i2 := 0; i2 < b.In; i2++ {
					for k2 := range nL {
						v := 0.0
						for o := 0; o < b.Out; o++ {
							r1, r2 := off+i*b.Out+o, off+i2*b.Out+o
							v += (k.At(r1, kk) - mean.At(r1, kk)) * (k.At(r2, k2) - mean.At(r2, k2))
						}
						op.Set(i*nL+kk, i2*nL+k2, op.At(i*nL+kk, i2*nL+k2)+pk[g]*v)
					}
				}
			}
		}
	}
	return op
}

// TestContractedTrace: the reference's node variant has the diagonal
// block's trace but not its Frobenius norm.
func TestContractedTrace(t *testing.T) {
	m := testModel(t, 3, 2, 141)
	d, err := Exact(m, 0)
	if err != nil {
		t.Fatal(err)
	}
	net := testTree(3, 2, 4, true, 142)
	paper, err := Analyze(net, d, Config{})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := Analyze(net, d, Config{Contract: ContractNode})
	if err != nil {
		t.Fatal(err)
	}
	differ := 0
	for i, o := range paper.Operators {
		q := ref.Operators[i]
		if o.Scope != ScopeNode {
			continue
		}
		if math.Abs(o.Trace-q.Trace) > 1e-13*math.Abs(o.Trace) {
			t.Fatalf("%s: trace %v, contracted %v", o.Name, o.Trace, q.Trace)
		}
		if q.Dim != net.Layers[o.Layer-1].Blocks[0].In*net.OutDim() {
			t.Fatalf("%s: contracted side %d", o.Name, q.Dim)
		}
		if math.Abs(o.Frobenius-q.Frobenius) > 1e-6*o.Frobenius {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("the contracted norms equal the diagonal blocks' everywhere")
	}
}
