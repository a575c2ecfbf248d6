package hltm

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/dualssl/dualssl/pkg/rng"
)

// MaxNodes bounds the size of a tree the package accepts (about 16 million
// nodes), so absurd metadata fails cleanly instead of exhausting memory.
const MaxNodes = 1 << 24

// Model is an HLTM on a complete tree. Construct it with New or
// RandomModel; the zero value is not usable.
type Model struct {
	depth    int
	children int
	// polarity[i] is ρ on the edge parent(i)→i; polarity[0] is 0 (no edge).
	polarity []float64
	// flip[i] is P(z_i ≠ z_parent) = (1−ρ)/2 as a 64-bit threshold, for
	// sampling with one integer comparison.
	flip []uint64
	// pair[p], for a binary tree, holds the cumulative 32-bit thresholds of
	// the four flip outcomes (f₀,f₁) = (0,0), (0,1), (1,0) of parent p's
	// two children: one 32-bit uniform draws both children at once.
	pair [][3]uint64
	// levelStart[l] is the id of the first node at level l; levelStart[depth+1] = NumNodes.
	levelStart []int
}

// NumNodesFor returns the number of nodes of a complete tree, or an error
// when the tree is empty or larger than MaxNodes.
func NumNodesFor(depth, children int) (int, error) {
	if depth < 1 {
		return 0, fmt.Errorf("hltm: depth %d: must be at least 1", depth)
	}
	if children < 1 {
		return 0, fmt.Errorf("hltm: children %d: must be at least 1", children)
	}
	n, width := 1, 1
	for l := 1; l <= depth; l++ {
		width *= children
		n += width
		if n > MaxNodes || width > MaxNodes {
			return 0, fmt.Errorf("hltm: depth %d with %d children: more than %d nodes", depth, children, MaxNodes)
		}
	}
	return n, nil
}

// New returns the model with the given shape and polarities. pol holds one
// polarity per edge, for nodes 1 … NumNodes−1 in breadth-first order
// (len NumNodes−1). Each polarity must lie in [−1, 1].
func New(depth, children int, pol []float64) (*Model, error) {
	n, err := NumNodesFor(depth, children)
	if err != nil {
		return nil, err
	}
	if len(pol) != n-1 {
		return nil, fmt.Errorf("hltm: polarity: %d values for a tree with %d edges", len(pol), n-1)
	}
	m := &Model{depth: depth, children: children, polarity: make([]float64, n), flip: make([]uint64, n)}
	for i, r := range pol {
		if math.IsNaN(r) || r < -1 || r > 1 {
			return nil, fmt.Errorf("hltm: polarity of node %d is %v: must lie in [-1, 1]", i+1, r)
		}
		m.polarity[i+1] = r
		m.flip[i+1] = rng.Threshold((1 - r) / 2)
	}
	if children == 2 {
		m.pair = make([][3]uint64, (n-1)/2)
		for p := range m.pair {
			q0, q1 := (1-m.polarity[2*p+1])/2, (1-m.polarity[2*p+2])/2
			p00, p01, p10 := (1-q0)*(1-q1), (1-q0)*q1, q0*(1-q1)
			m.pair[p] = [3]uint64{rng.Threshold32(p00), rng.Threshold32(p00 + p01), rng.Threshold32(p00 + p01 + p10)}
		}
	}
	m.levelStart = make([]int, depth+2)
	start, width := 0, 1
	for l := 0; l <= depth; l++ {
		m.levelStart[l] = start
		start += width
		width *= children
	}
	m.levelStart[depth+1] = start
	return m, nil
}

// RandomPolarities draws one polarity per edge as in the reference:
// |ρ| ~ U(lower, upper) and, unless positiveOnly, a sign ±1 with
// probability ½ each. It returns NumNodes−1 values. It panics if the bounds
// are not 0 ≤ lower ≤ upper ≤ 1.
func RandomPolarities(rnd *rand.Rand, edges int, lower, upper float64, positiveOnly bool) []float64 {
	if !(0 <= lower && lower <= upper && upper <= 1) {
		panic(fmt.Sprintf("hltm: polarity range [%v, %v] is not within [0, 1]", lower, upper))
	}
	pol := make([]float64, edges)
	for i := range pol {
		r := lower + (upper-lower)*rnd.Float64()
		if !positiveOnly && rnd.Uint64()&1 == 1 {
			r = -r
		}
		pol[i] = r
	}
	return pol
}

// Depth returns the number of edges from the root to every leaf.
func (m *Model) Depth() int { return m.depth }

// Children returns the number of children of every non-leaf node.
func (m *Model) Children() int { return m.children }

// NumNodes returns the number of nodes, leaves included.
func (m *Model) NumNodes() int { return len(m.polarity) }

// NumLatents returns the number of non-leaf nodes; they are ids 0 … NumLatents−1.
func (m *Model) NumLatents() int { return m.levelStart[m.depth] }

// NumLeaves returns the number of leaves; leaf j is node NumLatents+j.
func (m *Model) NumLeaves() int { return m.NumNodes() - m.NumLatents() }

// LevelStart returns the id of the first node at level l (0 ≤ l ≤ Depth+1;
// LevelStart(Depth+1) is NumNodes).
func (m *Model) LevelStart(l int) int { return m.levelStart[l] }

// LevelSize returns the number of nodes at level l.
func (m *Model) LevelSize(l int) int { return m.levelStart[l+1] - m.levelStart[l] }

// Level returns the number of edges from the root to node i.
func (m *Model) Level(i int) int {
	for l := m.depth; l > 0; l-- {
		if i >= m.levelStart[l] {
			return l
		}
	}
	return 0
}

// DepthIndex returns the reference's "depth index" of node i, Depth − Level(i):
// the root has Depth, the lowest latents 1, leaves 0.
func (m *Model) DepthIndex(i int) int { return m.depth - m.Level(i) }

// Parent returns the parent of node i, or −1 for the root.
func (m *Model) Parent(i int) int {
	if i == 0 {
		return -1
	}
	return (i - 1) / m.children
}

// FirstChild returns the id of node i's first child; its children are
// FirstChild(i) … FirstChild(i)+Children()−1. Meaningless for leaves.
func (m *Model) FirstChild(i int) int { return i*m.children + 1 }

// IsLeaf reports whether node i is a leaf.
func (m *Model) IsLeaf(i int) bool { return i >= m.NumLatents() }

// Polarity returns ρ on the edge parent(i)→i (0 for the root).
func (m *Model) Polarity(i int) float64 { return m.polarity[i] }

// Polarities returns a copy of the edge polarities, nodes 1 … NumNodes−1.
func (m *Model) Polarities() []float64 { return append([]float64(nil), m.polarity[1:]...) }

// Name returns a short readable name of node i: "root", then "z<id>" for
// latents and "x<j>" for leaf j.
func (m *Model) Name(i int) string {
	switch {
	case i == 0:
		return "root"
	case m.IsLeaf(i):
		return fmt.Sprintf("x%d", i-m.NumLatents())
	default:
		return fmt.Sprintf("z%d", i)
	}
}

// RootPolarity returns ρ₀μ, the product of the polarities from the root to μ:
// P(z_μ=1 | z₀=1) − P(z_μ=1 | z₀=0).
func (m *Model) RootPolarity(mu int) float64 {
	p := 1.0
	for ; mu > 0; mu = m.Parent(mu) {
		p *= m.polarity[mu]
	}
	return p
}

// PathPolarity returns the product of the polarities on the tree path
// between a and b, which equals corr(z_a, z_b).
func (m *Model) PathPolarity(a, b int) float64 {
	p := 1.0
	for a != b {
		if a > b {
			p *= m.polarity[a]
			a = m.Parent(a)
		} else {
			p *= m.polarity[b]
			b = m.Parent(b)
		}
	}
	return p
}

// modelJSON is the canonical serialised form carried in dualssl.model.
type modelJSON struct {
	Type     string    `json:"type"`
	Depth    int       `json:"depth"`
	Children int       `json:"children"`
	Polarity []float64 `json:"polarity"`
}

// MarshalJSON returns the canonical JSON of the model: fixed key order and
// shortest round-tripping floats, so equal models give equal bytes.
func (m *Model) MarshalJSON() ([]byte, error) {
	return json.Marshal(modelJSON{Type: "hltm", Depth: m.depth, Children: m.children, Polarity: m.Polarities()})
}

// UnmarshalJSON parses the canonical JSON and validates it like New.
func (m *Model) UnmarshalJSON(b []byte) error {
	var j modelJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.Type != "hltm" {
		return fmt.Errorf("hltm: model type %q: want \"hltm\"", j.Type)
	}
	nm, err := New(j.Depth, j.Children, j.Polarity)
	if err != nil {
		return err
	}
	*m = *nm
	return nil
}

// Equal reports whether two models have the same shape and polarities.
func (m *Model) Equal(o *Model) bool {
	if m.depth != o.depth || m.children != o.children {
		return false
	}
	for i := range m.polarity {
		if m.polarity[i] != o.polarity[i] {
			return false
		}
	}
	return true
}

// ErrTooLarge is returned by exact computations on trees too big to enumerate.
var ErrTooLarge = errors.New("hltm: tree too large to enumerate")
