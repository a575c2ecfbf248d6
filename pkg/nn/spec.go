package nn

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxFloats bounds the weights of a network and the activations of one
// batch (2²⁷ float64 = 1 GiB each), so that an absurd size, from a flag
// or from a file, is refused with its estimate before anything is
// allocated rather than ending in an out-of-memory crash.
const MaxFloats = 1 << 27

// Spec is a network architecture: what NewTree and NewMLP build, and what
// a network file records (as JSON) under "network" in its config.
type Spec struct {
	Arch     string `json:"arch"`               // ArchTree or ArchMLP
	Bias     bool   `json:"bias"`               // biases trained
	Hid      int    `json:"hid,omitempty"`      // tree: neurons per latent
	Depth    int    `json:"depth,omitempty"`    // tree: HLTM depth
	Children int    `json:"children,omitempty"` // tree: children per node
	InDim    int    `json:"in_dim"`             // input width (tree: children^depth leaves)
	Widths   []int  `json:"widths,omitempty"`   // MLP: layer widths, the last is the output
}

// TreeSpec is the tree network of a complete HLTM of the given depth and
// children with hid neurons per latent.
func TreeSpec(depth, children, hid int, bias bool) Spec {
	in := 1
	for i := 0; i < depth && in <= maxLeaves; i++ {
		in *= children
	}
	return Spec{Arch: ArchTree, Bias: bias, Hid: hid, Depth: depth, Children: children, InDim: in}
}

// MLPSpec is the fully connected network on inputs of width in.
func MLPSpec(in int, widths []int, bias bool) Spec {
	return Spec{Arch: ArchMLP, Bias: bias, InDim: in, Widths: append([]int(nil), widths...)}
}

// SpecOf returns the architecture of n.
func SpecOf(n *Network) Spec {
	s := Spec{Arch: n.Arch, Bias: n.Bias, InDim: n.InDim()}
	if n.Arch == ArchTree {
		s.Hid, s.Depth, s.Children = n.Hid, n.Depth, n.Kids
	} else {
		for _, l := range n.Layers {
			s.Widths = append(s.Widths, l.OutDim)
		}
	}
	return s
}

// Limits of the shape itself, before any memory estimate.
const (
	maxDepth  = 30
	maxLeaves = 1 << 24
	maxWidth  = 1 << 20 // one MLP layer
)

// Weights returns the number of weights of the network (biases left out),
// computed in floating point so that absurd sizes cannot overflow.
// Tree: latent nodes above the bottom level read children·hid values,
// those of the bottom level their children leaves.
func (s Spec) Weights() float64 {
	if s.Arch == ArchTree {
		kids, hid := float64(s.Children), float64(s.Hid)
		leaves := float64(s.InDim)
		latent := 0.0 // nodes of levels 0 … depth−1
		for lv, w := 0, 1.0; lv < s.Depth; lv, w = lv+1, w*kids {
			latent += w
		}
		bottom := leaves / kids
		return (latent-bottom)*kids*hid*hid + bottom*kids*hid
	}
	weights, prev := 0.0, float64(s.InDim)
	for _, w := range s.Widths {
		weights, prev = weights+prev*float64(w), float64(w)
	}
	return weights
}

// Width returns the number of neurons (activations per input row).
func (s Spec) Width() float64 {
	if s.Arch == ArchTree {
		latent := 0.0
		for lv, w := 0, 1.0; lv < s.Depth; lv, w = lv+1, w*float64(s.Children) {
			latent += w
		}
		return latent * float64(s.Hid)
	}
	width := 0.0
	for _, w := range s.Widths {
		width += float64(w)
	}
	return width
}

// Validate checks the shape (positive sizes, depth ≤ 30, at most 2²⁴
// leaves, MLP widths ≤ 2²⁰) and that the weights fit MaxFloats. Its
// errors state the estimate.
func (s Spec) Validate() error {
	switch s.Arch {
	case ArchTree:
		if s.Depth < 1 || s.Children < 1 || s.Hid < 1 || s.Depth > maxDepth {
			return fmt.Errorf("nn: tree network depth %d, children %d, hid %d: out of range", s.Depth, s.Children, s.Hid)
		}
		n := 1
		for i := 0; i < s.Depth; i++ {
			n *= s.Children
			if n > maxLeaves {
				return fmt.Errorf("nn: tree network depth %d, children %d: too many leaves", s.Depth, s.Children)
			}
		}
		if s.InDim != 0 && s.InDim != n {
			return fmt.Errorf("nn: tree network of depth %d, children %d reads %d leaves, not in_dim %d", s.Depth, s.Children, n, s.InDim)
		}
	case ArchMLP:
		if s.InDim < 1 || len(s.Widths) == 0 {
			return fmt.Errorf("nn: mlp network needs in_dim and widths, got %d and %v", s.InDim, s.Widths)
		}
		if s.InDim > maxLeaves {
			return fmt.Errorf("nn: mlp network in_dim %d: out of range (at most %d)", s.InDim, maxLeaves)
		}
		for _, w := range s.Widths {
			if w < 1 || w > maxWidth {
				return fmt.Errorf("nn: mlp network width %d: out of range", w)
			}
		}
	default:
		return fmt.Errorf("nn: network arch %q: want %q or %q", s.Arch, ArchTree, ArchMLP)
	}
	if w := s.Weights(); w > MaxFloats {
		return fmt.Errorf("nn: the network would have %.3g weights (at most %d)", w, MaxFloats)
	}
	return nil
}

// CheckBatch checks that one batch of batch rows fits MaxFloats
// activations.
func (s Spec) CheckBatch(batch int) error {
	if act := s.Width() * float64(batch); act > MaxFloats {
		return fmt.Errorf("nn: one batch would hold %.3g activations (at most %d): lower --batch or the width", act, MaxFloats)
	}
	return nil
}

// New validates the spec and builds a zero-weight network of it.
func (s Spec) New() (*Network, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Arch == ArchTree {
		return NewTree(s.Depth, s.Children, s.Hid, s.Bias), nil
	}
	return NewMLP(s.InDim, s.Widths, s.Bias), nil
}

// String describes the architecture in one line, e.g. "tree depth 5,
// children 2, hid 10, bias true" or "mlp 32→64,64,10, bias false".
func (s Spec) String() string {
	if s.Arch == ArchTree {
		return fmt.Sprintf("tree depth %d, children %d, hid %d, bias %v", s.Depth, s.Children, s.Hid, s.Bias)
	}
	w := make([]string, len(s.Widths))
	for i, v := range s.Widths {
		w[i] = strconv.Itoa(v)
	}
	return fmt.Sprintf("mlp %d→%s, bias %v", s.InDim, strings.Join(w, ","), s.Bias)
}
