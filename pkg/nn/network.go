package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Architectures.
const (
	ArchTree = "tree"
	ArchMLP  = "mlp"
)

// Block is one dense piece of a layer: rows OutOffset … OutOffset+Out−1 of
// h_l, reading columns InOffset … InOffset+In−1 of f_{l−1}.
type Block struct {
	Name      string    // tree: the HLTM node's name; MLP: "layer<l>"
	Node      int       // tree: the HLTM node id; MLP: −1
	In, Out   int       // fan-in and width
	InOffset  int       // first input column in f_{l−1}
	OutOffset int       // first output row in h_l
	W         []float64 // Out×In, row-major
	B         []float64 // Out biases; all zero when the network has none
}

// Layer is one layer of the network.
type Layer struct {
	Level  int // tree: the HLTM level of its nodes (root 0); MLP: the layer number l
	InDim  int // width of f_{l−1}
	OutDim int // width of h_l
	Blocks []Block
}

// Network is a dual (shared-weight) ReLU network.
type Network struct {
	Arch   string
	Bias   bool // whether biases are trained; when false every B is zero
	Hid    int  // tree: neurons per latent; MLP: 0
	Depth  int  // tree: HLTM depth; MLP: 0
	Kids   int  // tree: HLTM children per node; MLP: 0
	Layers []Layer
}

// Snapshot is a network state at the end of an epoch (0: the
// initialisation): the network and its SGD momentum (nil without).
type Snapshot struct {
	Epoch    int
	Net, Vel *Network
}

// InDim returns the input width.
func (n *Network) InDim() int { return n.Layers[0].InDim }

// OutDim returns the output width n_L.
func (n *Network) OutDim() int { return n.Layers[len(n.Layers)-1].OutDim }

// NumParams returns the number of weights and biases.
func (n *Network) NumParams() int {
	s := 0
	for _, l := range n.Layers {
		for _, b := range l.Blocks {
			s += len(b.W) + len(b.B)
		}
	}
	return s
}

// NewTree returns a zero-weight tree network for a complete HLTM of the given
// depth and children, with hid neurons per latent node. Layer l holds the
// nodes of level depth−l; the lowest latents read the leaves (fan-in
// children), the others read their children's groups (fan-in children·hid).
// It panics on non-positive sizes.
func NewTree(depth, children, hid int, bias bool) *Network {
	if depth < 1 || children < 1 || hid < 1 {
		panic(fmt.Sprintf("nn: NewTree(%d, %d, %d): sizes must be positive", depth, children, hid))
	}
	levelStart := make([]int, depth+2)
	start, width := 0, 1
	for lv := 0; lv <= depth; lv++ {
		levelStart[lv] = start
		start += width
		width *= children
	}
	levelStart[depth+1] = start
	n := &Network{Arch: ArchTree, Bias: bias, Hid: hid, Depth: depth, Kids: children}
	for l := 1; l <= depth; l++ {
		lv := depth - l
		size := levelStart[lv+1] - levelStart[lv]
		inPer := children * hid
		if l == 1 {
			inPer = children
		}
		layer := Layer{Level: lv, InDim: size * inPer, OutDim: size * hid}
		for k := 0; k < size; k++ {
			node := levelStart[lv] + k
			name := fmt.Sprintf("z%d", node)
			if node == 0 {
				name = "root"
			}
			layer.Blocks = append(layer.Blocks, Block{
				Name: name, Node: node, In: inPer, Out: hid,
				InOffset: k * inPer, OutOffset: k * hid,
				W: make([]float64, hid*inPer), B: make([]float64, hid),
			})
		}
		n.Layers = append(n.Layers, layer)
	}
	return n
}

// NewMLP returns a zero-weight fully connected network on inputs of width
// in, with the given layer widths (the last is the output). It panics on
// non-positive sizes.
func NewMLP(in int, widths []int, bias bool) *Network {
	if in < 1 || len(widths) == 0 {
		panic("nn: NewMLP: need a positive input width and at least one layer")
	}
	n := &Network{Arch: ArchMLP, Bias: bias}
	prev := in
	for i, w := range widths {
		if w < 1 {
			panic(fmt.Sprintf("nn: NewMLP: width %d of layer %d", w, i+1))
		}
		n.Layers = append(n.Layers, Layer{Level: i + 1, InDim: prev, OutDim: w, Blocks: []Block{{
			Name: fmt.Sprintf("layer%d", i+1), Node: -1, In: prev, Out: w,
			W: make([]float64, w*prev), B: make([]float64, w),
		}}})
		prev = w
	}
	return n
}

// Init draws every weight, and every bias when the network has them, from
// U(−s/√fan_in, s/√fan_in) with s = scale: the common deep-learning default
// the reference uses (scale 1). Blocks are drawn in layer order, weights row
// by row, then biases.
func (n *Network) Init(rnd *rand.Rand, scale float64) {
	for li := range n.Layers {
		for bi := range n.Layers[li].Blocks {
			b := &n.Layers[li].Blocks[bi]
			r := scale / math.Sqrt(float64(b.In))
			for i := range b.W {
				b.W[i] = r * (2*rnd.Float64() - 1)
			}
			for i := range b.B {
				if n.Bias {
					b.B[i] = r * (2*rnd.Float64() - 1)
				} else {
					b.B[i] = 0
				}
			}
		}
	}
}

// Clone returns a deep copy.
func (n *Network) Clone() *Network {
	return n.copyWith(func(v []float64) []float64 { return append([]float64(nil), v...) })
}

// copyWith returns a copy of n whose every block's W and B are fresh(W)
// and fresh(B); fresh must return new storage.
func (n *Network) copyWith(fresh func([]float64) []float64) *Network {
	c := *n
	c.Layers = make([]Layer, len(n.Layers))
	for i, l := range n.Layers {
		c.Layers[i] = l
		c.Layers[i].Blocks = make([]Block, len(l.Blocks))
		for j, b := range l.Blocks {
			b.W = fresh(b.W)
			b.B = fresh(b.B)
			c.Layers[i].Blocks[j] = b
		}
	}
	return &c
}

// Validate checks that the blocks tile each layer consistently and that
// every weight is finite; it is meant for networks read from files.
func (n *Network) Validate() error {
	if len(n.Layers) == 0 {
		return fmt.Errorf("nn: network has no layers")
	}
	for li, l := range n.Layers {
		if li > 0 && l.InDim != n.Layers[li-1].OutDim {
			return fmt.Errorf("nn: layer %d reads width %d but layer %d writes %d", li+1, l.InDim, li, n.Layers[li-1].OutDim)
		}
		for _, b := range l.Blocks {
			if b.In < 1 || b.Out < 1 || b.InOffset < 0 || b.OutOffset < 0 ||
				b.InOffset+b.In > l.InDim || b.OutOffset+b.Out > l.OutDim {
				return fmt.Errorf("nn: block %s of layer %d is outside the layer (%d×%d at %d,%d in %d×%d)", b.Name, li+1, b.Out, b.In, b.OutOffset, b.InOffset, l.OutDim, l.InDim)
			}
			if len(b.W) != b.In*b.Out || len(b.B) != b.Out {
				return fmt.Errorf("nn: block %s: %d weights and %d biases for %d×%d", b.Name, len(b.W), len(b.B), b.Out, b.In)
			}
			for _, v := range b.W {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("nn: block %s has a non-finite weight", b.Name)
				}
			}
			for _, v := range b.B {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("nn: block %s has a non-finite bias", b.Name)
				}
			}
		}
	}
	return nil
}
