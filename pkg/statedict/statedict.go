package statedict

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	st "github.com/nlpodyssey/safetensors"

	"github.com/dualssl/dualssl/pkg/nn"
)

// Metadata keys the toolkit writes beside "format".
const (
	KeyFormat     = "format"             // "pt", the Hugging Face convention
	KeyModel      = "dualssl.model"      // canonical JSON of the HLTM
	KeyNetwork    = "dualssl.network"    // architecture record (JSON)
	KeyProvenance = "dualssl.provenance" // chain of stages (JSON)
	KeyEpoch      = "dualssl.epoch"      // the snapshot's epoch (decimal)
	KeyBias       = "dualssl.bias"       // "true" or "false": biases trained
	KeyKind       = "dualssl.kind"       // "statedict"
	KindStateDict = "statedict"          // value of KeyKind
	maxChildren   = 10                   // one digit per tree edge
)

// DType is the element type of exported tensors.
type DType int

// Tensor element types.
const (
	F64 DType = iota // float64, exact
	F32              // float32, PyTorch's default
)

// MaxBytes bounds the size of a file Decode accepts (1 GiB).
const MaxBytes = 1 << 30

// ErrFormat marks a file that is not a state dict of a dual network.
var ErrFormat = errors.New("statedict: not a dual network's state dict")

// NodeName returns the reference's name of HLTM node id in a complete tree
// with the given children per node: "s" for the root, then one digit per
// edge. It panics if children > 10 or id < 0.
func NodeName(id, children int) string {
	if children < 1 || children > maxChildren || id < 0 {
		panic(fmt.Sprintf("statedict: NodeName(%d, %d)", id, children))
	}
	var digits []byte
	for id > 0 {
		digits = append(digits, byte('0'+(id-1)%children))
		id = (id - 1) / children
	}
	for i, j := 0, len(digits)-1; i < j; i, j = i+1, j-1 {
		digits[i], digits[j] = digits[j], digits[i]
	}
	return "s" + string(digits)
}

// Tensor is one named parameter: Shape is (rows, cols) for a weight and
// (rows) for a bias; Data is row-major.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float64
}

// Tensors returns the network's parameters under the reference's names, in
// layer then block order, weight before bias. Data aliases the network. It
// returns an error for a tree with more than 10 children per node.
func Tensors(n *nn.Network) ([]Tensor, error) {
	if n.Arch == nn.ArchTree && n.Kids > maxChildren {
		return nil, fmt.Errorf("statedict: a tree with %d children per node has no reference names (at most %d)", n.Kids, maxChildren)
	}
	var ts []Tensor
	for li, l := range n.Layers {
		for bi := range l.Blocks {
			b := &l.Blocks[bi]
			prefix := blockPrefix(n, li, b)
			ts = append(ts,
				Tensor{Name: prefix + "weight", Shape: []int{b.Out, b.In}, Data: b.W},
				Tensor{Name: prefix + "bias", Shape: []int{b.Out}, Data: b.B})
		}
	}
	return ts, nil
}

// view adapts a Tensor to the safetensors library.
type view struct {
	dt    st.DType
	shape []uint64
	data  []byte
}

func (v view) DType() st.DType { return v.dt }
func (v view) Shape() []uint64 { return v.shape }
func (v view) Data() []byte    { return v.data }
func (v view) DataLen() uint64 { return uint64(len(v.data)) }

// Encode writes the network as a safetensors file with the given metadata
// (nil for none; "format" defaults to "pt"). The bytes depend only on the
// network, the metadata and dt: tensors and keys are sorted by name.
func Encode(w io.Writer, n *nn.Network, meta map[string]string, dt DType) error {
	ts, err := Tensors(n)
	if err != nil {
		return err
	}
	m := map[string]string{KeyFormat: "pt", KeyBias: strconv.FormatBool(n.Bias)}
	for k, v := range meta {
		m[k] = v
	}
	views := make(map[string]view, len(ts))
	for _, t := range ts {
		v := view{shape: make([]uint64, len(t.Shape))}
		for i, s := range t.Shape {
			v.shape[i] = uint64(s)
		}
		switch dt {
		case F64:
			v.dt = st.F64
			v.data = make([]byte, 8*len(t.Data))
			for i, x := range t.Data {
				binary.LittleEndian.PutUint64(v.data[8*i:], math.Float64bits(x))
			}
		case F32:
			v.dt = st.F32
			v.data = make([]byte, 4*len(t.Data))
			for i, x := range t.Data {
				binary.LittleEndian.PutUint32(v.data[4*i:], math.Float32bits(float32(x)))
			}
		default:
			return fmt.Errorf("statedict: unknown dtype %d", dt)
		}
		views[t.Name] = v
	}
	return st.SerializeToWriter(views, m, w)
}

// Decode parses a safetensors file (the whole file in b, at most MaxBytes)
// into a network whose architecture is inferred from the tensor names and
// shapes, and returns the file's metadata. Errors wrap ErrFormat when the
// names or shapes do not describe a tree network or an MLP.
func Decode(b []byte) (*nn.Network, map[string]string, error) {
	if len(b) > MaxBytes {
		return nil, nil, fmt.Errorf("statedict: %d bytes: larger than the %d-byte limit", len(b), MaxBytes)
	}
	f, err := st.Deserialize(b)
	if err != nil {
		return nil, nil, fmt.Errorf("statedict: not a safetensors file: %v", err)
	}
	meta := map[string]string{}
	_, md, err := st.ReadMetadata(b)
	if err != nil {
		return nil, nil, fmt.Errorf("statedict: not a safetensors file: %v", err)
	}
	for k, v := range md.Metadata() {
		meta[k] = v
	}
	// Every tensor becomes float64: bound the total before allocating
	// (weights are bounded by nn.MaxFloats, biases by as many again).
	total := uint64(0)
	for _, nt := range f.Tensors() {
		total += nt.TensorView.DataLen() / nt.TensorView.DType().Size()
	}
	if total > 2*nn.MaxFloats {
		return nil, nil, fmt.Errorf("%w: %d parameters, more than a network may have (%d)", ErrFormat, total, 2*nn.MaxFloats)
	}
	ts := map[string]Tensor{}
	for _, nt := range f.Tensors() {
		t, err := decodeTensor(nt.Name, nt.TensorView)
		if err != nil {
			return nil, nil, err
		}
		ts[nt.Name] = t
	}
	var n *nn.Network
	if _, ok := ts["nets.s.weight"]; ok {
		n, err = buildTree(ts)
	} else {
		n, err = buildMLP(ts)
	}
	if err != nil {
		return nil, nil, err
	}
	bias, err := biasFlag(meta, n, ts)
	if err != nil {
		return nil, nil, err
	}
	n.Bias = bias
	if !bias {
		for _, p := range n.Layers {
			for _, blk := range p.Blocks {
				clear(blk.B)
			}
		}
	}
	if err := n.Validate(); err != nil {
		return nil, nil, fmt.Errorf("statedict: %v", err)
	}
	return n, meta, nil
}

func decodeTensor(name string, v st.TensorView) (Tensor, error) {
	t := Tensor{Name: name}
	elems := 1
	for _, s := range v.Shape() {
		if s > 1<<30 {
			return t, fmt.Errorf("%w: tensor %s has dimension %d", ErrFormat, name, s)
		}
		t.Shape = append(t.Shape, int(s))
		elems *= int(s)
	}
	raw := v.Data()
	switch v.DType() {
	case st.F64:
		t.Data = make([]float64, elems)
		for i := range t.Data {
			t.Data[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	case st.F32:
		t.Data = make([]float64, elems)
		for i := range t.Data {
			t.Data[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	default:
		return t, fmt.Errorf("%w: tensor %s has dtype %s: want F32 or F64", ErrFormat, name, v.DType())
	}
	for _, x := range t.Data {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return t, fmt.Errorf("%w: tensor %s has a non-finite value", ErrFormat, name)
		}
	}
	return t, nil
}

// buildTree infers depth, children and hid from the nets.<path> names.
func buildTree(ts map[string]Tensor) (*nn.Network, error) {
	depth, children := 0, 0
	for name := range ts {
		path, ok := strings.CutPrefix(name, "nets.")
		if !ok {
			return nil, fmt.Errorf("%w: tensor %s beside nets.s.weight", ErrFormat, name)
		}
		path, _, _ = strings.Cut(path, ".")
		if !strings.HasPrefix(path, "s") {
			return nil, fmt.Errorf("%w: tensor %s: node names start with s", ErrFormat, name)
		}
		for _, c := range path[1:] {
			if c < '0' || c > '9' {
				return nil, fmt.Errorf("%w: tensor %s: node names are s and digits", ErrFormat, name)
			}
			children = max(children, int(c-'0')+1)
		}
		depth = max(depth, len(path))
	}
	w := ts["nets.s.weight"]
	if len(w.Shape) != 2 || w.Shape[0] < 1 {
		return nil, fmt.Errorf("%w: nets.s.weight has shape %v, want (hid, in)", ErrFormat, w.Shape)
	}
	if depth == 1 {
		children = w.Shape[1] // the root reads the leaves directly
	}
	if children < 1 || children > maxChildren {
		return nil, fmt.Errorf("%w: tree with %d children per node", ErrFormat, children)
	}
	// nn.Spec holds the architecture limits and the memory check.
	return build(nn.TreeSpec(depth, children, w.Shape[0], true), ts)
}

// buildMLP reads layers.<l>.weight for l = 0, 1, ….
func buildMLP(ts map[string]Tensor) (*nn.Network, error) {
	var widths []int
	in := 0
	for l := 0; ; l++ {
		w, ok := ts[fmt.Sprintf("layers.%d.weight", l)]
		if !ok {
			break
		}
		if len(w.Shape) != 2 {
			return nil, fmt.Errorf("%w: layers.%d.weight has shape %v", ErrFormat, l, w.Shape)
		}
		if l == 0 {
			in = w.Shape[1]
		}
		widths = append(widths, w.Shape[0])
	}
	if len(widths) == 0 {
		names := make([]string, 0, len(ts))
		for k := range ts {
			names = append(names, k)
		}
		sort.Strings(names)
		if len(names) > 3 {
			names = append(names[:3], "…")
		}
		return nil, fmt.Errorf("%w: no nets.s.weight (tree network) nor layers.0.weight (MLP) among %d tensors (%s)", ErrFormat, len(ts), strings.Join(names, ", "))
	}
	return build(nn.MLPSpec(in, widths, true), ts)
}

// build validates the inferred architecture (limits and memory, see
// nn.Spec), builds it and fills it from ts, which must hold its tensors
// and no others.
func build(s nn.Spec, ts map[string]Tensor) (*nn.Network, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	n, err := s.New()
	if err != nil {
		return nil, err
	}
	used, err := fill(n, ts)
	if err != nil {
		return nil, err
	}
	if used != len(ts) {
		return nil, fmt.Errorf("%w: %d tensors, a %s network has %d", ErrFormat, len(ts), s, used)
	}
	return n, nil
}

// fill copies every block's weight (required) and bias (optional) from
// ts under the names Tensors gives them, and returns how many tensors it
// used.
func fill(n *nn.Network, ts map[string]Tensor) (int, error) {
	used := 0
	for li := range n.Layers {
		for bi := range n.Layers[li].Blocks {
			b := &n.Layers[li].Blocks[bi]
			prefix := blockPrefix(n, li, b)
			k, err := take(ts, prefix+"weight", []int{b.Out, b.In}, b.W, true)
			if err != nil {
				return 0, err
			}
			used += k
			if k, err = take(ts, prefix+"bias", []int{b.Out}, b.B, false); err != nil {
				return 0, err
			}
			used += k
		}
	}
	return used, nil
}

// blockPrefix is the reference's name of block b of layer li, with the
// trailing dot: "nets.s01." (tree) or "layers.2." (MLP).
func blockPrefix(n *nn.Network, li int, b *nn.Block) string {
	if n.Arch == nn.ArchTree {
		return "nets." + NodeName(b.Node, n.Kids) + "."
	}
	return fmt.Sprintf("layers.%d.", li)
}

// take copies tensor name (of the given shape) into dst and returns 1, or
// returns 0 when an optional tensor is absent.
func take(ts map[string]Tensor, name string, shape []int, dst []float64, required bool) (int, error) {
	t, ok := ts[name]
	if !ok {
		if required {
			return 0, fmt.Errorf("%w: tensor %s is missing", ErrFormat, name)
		}
		return 0, nil
	}
	if len(t.Shape) != len(shape) {
		return 0, fmt.Errorf("%w: tensor %s has shape %v, want %v", ErrFormat, name, t.Shape, shape)
	}
	for i := range shape {
		if t.Shape[i] != shape[i] {
			return 0, fmt.Errorf("%w: tensor %s has shape %v, want %v", ErrFormat, name, t.Shape, shape)
		}
	}
	copy(dst, t.Data)
	return 1, nil
}

// biasFlag decides whether the network trains biases: the metadata's
// KeyBias when present, else whether any bias tensor is non-zero.
func biasFlag(meta map[string]string, n *nn.Network, ts map[string]Tensor) (bool, error) {
	if v, ok := meta[KeyBias]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("%w: metadata %s is %q: want true or false", ErrFormat, KeyBias, v)
		}
		if !b {
			for name, t := range ts {
				if strings.HasSuffix(name, ".bias") {
					for _, x := range t.Data {
						if x != 0 {
							return false, fmt.Errorf("%w: metadata %s is false but %s is not zero", ErrFormat, KeyBias, name)
						}
					}
				}
			}
		}
		return b, nil
	}
	for _, l := range n.Layers {
		for _, b := range l.Blocks {
			for _, x := range b.B {
				if x != 0 {
					return true, nil
				}
			}
		}
	}
	return false, nil
}
