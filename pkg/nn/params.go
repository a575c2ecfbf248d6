package nn

// ZeroLike returns a network of the same architecture and shape as n with
// every weight and bias zero. It is the container for gradients (see
// Backward) and for optimiser state such as momentum.
func (n *Network) ZeroLike() *Network {
	return n.copyWith(func(v []float64) []float64 { return make([]float64, len(v)) })
}

// ParamSlices returns every block's weights and biases as slices aliasing
// the network, in a fixed order: layer by layer, block by block, W then B.
// Networks of the same shape return slices of matching lengths, so
// optimisers can zip a network, its gradient and its momentum.
func (n *Network) ParamSlices() [][]float64 {
	count := 0
	for _, l := range n.Layers {
		count += 2 * len(l.Blocks)
	}
	s := make([][]float64, 0, count)
	for li := range n.Layers {
		for bi := range n.Layers[li].Blocks {
			b := &n.Layers[li].Blocks[bi]
			s = append(s, b.W, b.B)
		}
	}
	return s
}

// SetZero sets every weight and bias to zero.
func (n *Network) SetZero() {
	for _, p := range n.ParamSlices() {
		clear(p)
	}
}

// SameShape reports whether m has the architecture and block layout of n,
// so that parameters can be copied or zipped between them.
func (n *Network) SameShape(m *Network) bool {
	if n.Arch != m.Arch || n.Bias != m.Bias || n.Hid != m.Hid || n.Depth != m.Depth ||
		n.Kids != m.Kids || len(n.Layers) != len(m.Layers) {
		return false
	}
	for i, l := range n.Layers {
		o := m.Layers[i]
		if l.Level != o.Level || l.InDim != o.InDim || l.OutDim != o.OutDim || len(l.Blocks) != len(o.Blocks) {
			return false
		}
		for j, b := range l.Blocks {
			c := o.Blocks[j]
			if b.Name != c.Name || b.Node != c.Node || b.In != c.In || b.Out != c.Out ||
				b.InOffset != c.InOffset || b.OutOffset != c.OutOffset ||
				len(b.W) != len(c.W) || len(b.B) != len(c.B) {
				return false
			}
		}
	}
	return true
}

// MulAdds returns the multiply-adds of one forward pass of one sample:
// Σ over blocks of In·Out. A backward pass costs twice that (weight and
// input gradients), less the first layer's input gradient when it is not
// asked for.
func (n *Network) MulAdds() int {
	s := 0
	for _, l := range n.Layers {
		for _, b := range l.Blocks {
			s += b.In * b.Out
		}
	}
	return s
}
