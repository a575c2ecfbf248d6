package probe

import (
	"fmt"

	"gonum.org/v1/gonum/floats"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/nn"
)

// maxTableLeaves bounds the tabulated layers of a tree network: a node whose
// subtree has at most this many leaves has at most 2^maxTableLeaves distinct
// inputs when the leaves are 0/1, so its pre-activations are computed once
// per distinct input (a table per snapshot) and its moments come from exact
// counts of (input, z) pairs instead of one forward pass per sample.
const maxTableLeaves = 10

// wideBlock is the width from which a block's forward pass adds each input
// column with gonum's vectorised AddScaled (same operations, same order).
const wideBlock = 16

// blockPlan is one block of a layer with its weights transposed, so that the
// forward pass adds one input column at a time to all outputs and can skip
// inputs that are zero (half of the ReLU outputs and of the leaves).
type blockPlan struct {
	node          int // tree: latent id; MLP: −1
	in, out       int
	inOff, outOff int
	wt            []float64 // in×out: wt[i*out+o] = W[o][i]
	b             []float64
}

type layerPlan struct {
	inDim, outDim int
	blocks        []blockPlan
}

// table holds one tabulated block's pre-activations h and ReLU outputs f
// for every configuration of the leaves under its node (2^m × out,
// configuration-major; leaf 0 of the subtree is the most significant bit).
type table struct{ h, f []float64 }

// snapshot is one network prepared for probing, with its accumulators.
type snapshot struct {
	layers []layerPlan
	tabs   [][]table  // [layer < numTab][block]
	acc    []layerAcc // per layer: moments of the samples probed per sample

	// Fast tree path (lanes.go).
	lane []laneLayer // per layer: the layer alone, for nn's lane kernels
	u    [][]float64 // per block of layer numTab and child: its table
}

// shape is what every snapshot of one probe shares.
type shape struct {
	arch   string
	nl     int     // latents of the model
	lat    [][]int // tree: lat[l][j] = latent of neuron j of layer l; MLP: nil (dense)
	numTab int     // layers 0 … numTab−1 are tabulated (tree only)
	leaves []int   // tabulated layers: leaves under each node of the layer
}

// checkShape validates the networks against the model and each other.
func checkShape(m *hltm.Model, nets []*nn.Network, tables bool) (*shape, error) {
	if len(nets) == 0 {
		return nil, fmt.Errorf("probe: no network snapshots")
	}
	first := nets[0]
	for i, n := range nets {
		if err := n.Validate(); err != nil {
			return nil, fmt.Errorf("probe: snapshot %d: %w", i, err)
		}
		if err := sameShape(first, n); err != nil {
			return nil, fmt.Errorf("probe: snapshot %d differs from snapshot 0: %w", i, err)
		}
	}
	if first.InDim() != m.NumLeaves() {
		return nil, fmt.Errorf("probe: the network reads %d inputs but the model has %d leaves", first.InDim(), m.NumLeaves())
	}
	sh := &shape{arch: first.Arch, nl: m.NumLatents()}
	switch first.Arch {
	case nn.ArchMLP:
		return sh, nil
	case nn.ArchTree:
	default:
		return nil, fmt.Errorf("probe: network architecture %q: want %q or %q", first.Arch, nn.ArchTree, nn.ArchMLP)
	}
	if first.Depth != m.Depth() || first.Kids != m.Children() || first.Hid < 1 {
		return nil, fmt.Errorf("probe: tree network of depth %d with %d children does not match the model's tree (depth %d, %d children)", first.Depth, first.Kids, m.Depth(), m.Children())
	}
	if err := sameShape(nn.NewTree(m.Depth(), m.Children(), first.Hid, first.Bias), first); err != nil {
		return nil, fmt.Errorf("probe: tree network is not laid out like the model's tree: %w", err)
	}
	sh.lat = make([][]int, len(first.Layers))
	for l, layer := range first.Layers {
		sh.lat[l] = make([]int, layer.OutDim)
		for _, b := range layer.Blocks {
			for o := 0; o < b.Out; o++ {
				sh.lat[l][b.OutOffset+o] = b.Node
			}
		}
	}
	if tables {
		leaves := 1
		for l := range first.Layers {
			leaves *= m.Children()
			if leaves > maxTableLeaves {
				break
			}
			sh.numTab = l + 1
			sh.leaves = append(sh.leaves, leaves)
		}
	}
	return sh, nil
}

// sameShape reports how b's layout differs from a's, or nil.
func sameShape(a, b *nn.Network) error {
	if a.Arch != b.Arch {
		return fmt.Errorf("architecture %q, not %q", b.Arch, a.Arch)
	}
	if len(a.Layers) != len(b.Layers) {
		return fmt.Errorf("%d layers, not %d", len(b.Layers), len(a.Layers))
	}
	for l := range a.Layers {
		la, lb := &a.Layers[l], &b.Layers[l]
		if la.InDim != lb.InDim || la.OutDim != lb.OutDim || len(la.Blocks) != len(lb.Blocks) {
			return fmt.Errorf("layer %d is %d×%d in %d blocks, not %d×%d in %d blocks", l+1, lb.OutDim, lb.InDim, len(lb.Blocks), la.OutDim, la.InDim, len(la.Blocks))
		}
		for k := range la.Blocks {
			ba, bb := &la.Blocks[k], &lb.Blocks[k]
			if ba.Node != bb.Node || ba.In != bb.In || ba.Out != bb.Out || ba.InOffset != bb.InOffset || ba.OutOffset != bb.OutOffset {
				return fmt.Errorf("layer %d block %d (%s) has another node, size or position", l+1, k, bb.Name)
			}
		}
	}
	return nil
}

// newSnapshot prepares one network: transposed weights, tables, empty
// accumulators, and with lanes (a tree network) what the fast path needs.
func newSnapshot(n *nn.Network, sh *shape, children int, lanes bool) *snapshot {
	s := &snapshot{layers: make([]layerPlan, len(n.Layers)), acc: make([]layerAcc, len(n.Layers))}
	for l, layer := range n.Layers {
		lp := layerPlan{inDim: layer.InDim, outDim: layer.OutDim, blocks: make([]blockPlan, len(layer.Blocks))}
		for k, b := range layer.Blocks {
			bp := blockPlan{node: b.Node, in: b.In, out: b.Out, inOff: b.InOffset, outOff: b.OutOffset,
				wt: make([]float64, b.In*b.Out), b: append([]float64(nil), b.B...)}
			for o := 0; o < b.Out; o++ {
				for i := 0; i < b.In; i++ {
					bp.wt[i*b.Out+o] = b.W[o*b.In+i]
				}
			}
			lp.blocks[k] = bp
		}
		s.layers[l] = lp
		s.acc[l] = newLayerAcc(layer.OutDim, sh)
	}
	s.tabs = make([][]table, sh.numTab)
	var in, val []float64
	var idx []int
	for l := 0; l < sh.numTab; l++ {
		m := sh.leaves[l]
		nc := 1 << m
		s.tabs[l] = make([]table, len(s.layers[l].blocks))
		for k := range s.layers[l].blocks {
			bp := &s.layers[l].blocks[k]
			t := table{h: make([]float64, nc*bp.out), f: make([]float64, nc*bp.out)}
			in, val = grow(in, bp.in), grow(val, bp.in)
			if cap(idx) < bp.in {
				idx = make([]int, bp.in)
			}
			for c := 0; c < nc; c++ {
				if l == 0 {
					for i := range in {
						in[i] = float64((c >> (m - 1 - i)) & 1)
					}
				} else {
					// Children k·children … of the layer below; child i owns
					// bits (children−1−i)·m' … of c, m' = m/children.
					mc := sh.leaves[l-1]
					below := s.tabs[l-1]
					out := s.layers[l-1].blocks[0].out
					for i := 0; i < children; i++ {
						cc := (c >> ((children - 1 - i) * mc)) & (1<<mc - 1)
						copy(in[i*out:(i+1)*out], below[k*children+i].f[cc*out:(cc+1)*out])
					}
				}
				h := t.h[c*bp.out : (c+1)*bp.out]
				blockForward(in, bp.wt, bp.b, h, false, idx, val)
				relu(h, t.f[c*bp.out:(c+1)*bp.out])
			}
			s.tabs[l][k] = t
		}
	}
	if lanes {
		s.newLanes(n, sh, children)
	}
	return s
}

// blockForward computes out = b + Σ W[·][i]·in[i] over the inputs that
// count, in the order of i: with rectify, the positive inputs (in holds the
// previous layer's pre-activations, and ReLU zeroes the rest); otherwise
// the non-zero ones. These are the sums nn.Network.Forward makes, term for
// term, since a zero input only adds ±0. idx and val are scratch of len ≥
// len(in).
func blockForward(in, wt, b, out []float64, rectify bool, idx []int, val []float64) {
	k := 0
	idx, val = idx[:len(in)], val[:len(in)]
	if rectify {
		for i, v := range in {
			idx[k], val[k] = i, v
			if v > 0 {
				k++
			}
		}
	} else {
		for i, v := range in {
			idx[k], val[k] = i, v
			if v != 0 {
				k++
			}
		}
	}
	copy(out, b)
	no := len(out)
	if no >= wideBlock {
		for j := 0; j < k; j++ {
			floats.AddScaled(out, val[j], wt[idx[j]*no:(idx[j]+1)*no])
		}
		return
	}
	j := 0
	// Four inputs at a time: each output still adds them one by one in
	// order, so the rounding is that of the plain loop.
	for ; j+4 <= k; j += 4 {
		w0 := wt[idx[j]*no:][:no]
		w1 := wt[idx[j+1]*no:][:no]
		w2 := wt[idx[j+2]*no:][:no]
		w3 := wt[idx[j+3]*no:][:no]
		v0, v1, v2, v3 := val[j], val[j+1], val[j+2], val[j+3]
		for o := range out {
			a := out[o]
			a += w0[o] * v0
			a += w1[o] * v1
			a += w2[o] * v2
			a += w3[o] * v3
			out[o] = a
		}
	}
	for ; j < k; j++ {
		w := wt[idx[j]*no:][:no]
		v := val[j]
		for o := range out {
			out[o] += w[o] * v
		}
	}
}

// forward computes the layer's pre-activations h (n×outDim) from its input
// (n×inDim), rectified first when rectify is set; idx and val are scratch
// of len ≥ the largest block fan-in.
func (lp *layerPlan) forward(input []float64, n int, h []float64, rectify bool, idx []int, val []float64) {
	for s := 0; s < n; s++ {
		row := input[s*lp.inDim : (s+1)*lp.inDim]
		hrow := h[s*lp.outDim : (s+1)*lp.outDim]
		for k := range lp.blocks {
			b := &lp.blocks[k]
			blockForward(row[b.inOff:b.inOff+b.in], b.wt, b.b, hrow[b.outOff:b.outOff+b.out], rectify, idx, val)
		}
	}
}

func relu(h, f []float64) {
	f = f[:len(h)]
	for i, v := range h {
		if v > 0 {
			f[i] = v
		} else {
			f[i] = 0
		}
	}
}

func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}
