package embed

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dualssl/dualssl/pkg/loss"
	"github.com/dualssl/dualssl/pkg/nn"
)

// Kind says which values a Block holds.
type Kind int

// Block kinds.
const (
	Pre        Kind = iota // pre-activations h
	Post                   // ReLU(h)
	Normalised             // f/(‖f‖+ε) of the output
)

// Block is one selected activation: columns Off … Off+Width−1 of layer
// Layer (1 … L) of the network.
type Block struct {
	Name       string // the output column's name
	Layer      int
	Off, Width int
	Kind       Kind
}

// Select parses the selection items (see the package documentation) for
// net. It returns an error naming the first item that does not fit the
// network, or a repeated column.
func Select(net *nn.Network, items []string) ([]Block, error) {
	L := len(net.Layers)
	out := L
	var bs []Block
	seen := map[string]bool{}
	add := func(b Block) error {
		if seen[b.Name] {
			return fmt.Errorf("embed: column %s selected twice", b.Name)
		}
		seen[b.Name] = true
		bs = append(bs, b)
		return nil
	}
	// layerName names layer l as the user selects it.
	layerName := func(l int) string {
		if net.Arch == nn.ArchTree {
			return fmt.Sprintf("level%d", net.Layers[l-1].Level)
		}
		return fmt.Sprintf("layer%d", l)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("embed: nothing selected")
	}
	for _, it := range items {
		it = strings.TrimSpace(it)
		switch {
		case it == "f":
			if err := add(Block{Name: "f", Layer: out, Width: net.OutDim(), Kind: Pre}); err != nil {
				return nil, err
			}
			continue
		case it == "f_norm":
			if err := add(Block{Name: "f_norm", Layer: out, Width: net.OutDim(), Kind: Normalised}); err != nil {
				return nil, err
			}
			continue
		case it == "all":
			for l := 1; l <= L; l++ {
				if err := add(Block{Name: "h_" + layerName(l), Layer: l, Width: net.Layers[l-1].OutDim, Kind: Pre}); err != nil {
					return nil, err
				}
				if l < L {
					if err := add(Block{Name: "a_" + layerName(l), Layer: l, Width: net.Layers[l-1].OutDim, Kind: Post}); err != nil {
						return nil, err
					}
				}
			}
			continue
		}
		kind := Pre
		sel, ok := strings.CutPrefix(it, "h_")
		if !ok {
			if sel, ok = strings.CutPrefix(it, "a_"); !ok {
				return nil, fmt.Errorf("embed: selection %q: want f, f_norm, all, h_<level|node|layer> or a_<…>", it)
			}
			kind = Post
		}
		b, err := find(net, sel, layerName)
		if err != nil {
			return nil, fmt.Errorf("embed: selection %q: %v", it, err)
		}
		if kind == Post && b.Layer == out {
			return nil, fmt.Errorf("embed: selection %q: the output layer has no ReLU (use f or h_%s)", it, sel)
		}
		b.Name, b.Kind = it, kind
		if err := add(b); err != nil {
			return nil, err
		}
	}
	return bs, nil
}

// find locates a level, layer or node by its selection name.
func find(net *nn.Network, sel string, layerName func(int) string) (Block, error) {
	for l := 1; l <= len(net.Layers); l++ {
		if layerName(l) == sel {
			return Block{Layer: l, Width: net.Layers[l-1].OutDim}, nil
		}
	}
	if net.Arch == nn.ArchTree {
		for l, layer := range net.Layers {
			for _, b := range layer.Blocks {
				if b.Name == sel {
					return Block{Layer: l + 1, Off: b.OutOffset, Width: b.Out}, nil
				}
			}
		}
	}
	var names []string
	for l := 1; l <= len(net.Layers); l++ {
		names = append(names, layerName(l))
	}
	hint := strings.Join(names, ", ")
	if net.Arch == nn.ArchTree {
		hint += ", or a node: root, z1 … z" + strconv.Itoa(len(net.Layers[0].Blocks)+net.Layers[0].Blocks[0].Node-1)
	}
	return Block{}, fmt.Errorf("no level, layer or node %q (have %s)", sel, hint)
}

// Width returns the total number of values per sample of the blocks.
func Width(bs []Block) int {
	w := 0
	for _, b := range bs {
		w += b.Width
	}
	return w
}

// Embedder computes selected activations batch by batch. It is not safe
// for concurrent use.
type Embedder struct {
	net    *nn.Network
	blocks []Block
	act    nn.Activations
	norms  []float64
	fn     []float64
}

// New returns an Embedder of the blocks (from Select on net).
func New(net *nn.Network, blocks []Block) *Embedder {
	return &Embedder{net: net, blocks: blocks}
}

// Run computes the blocks for a batch x (batch × InDim, row-major) and
// appends each block's values, batch × Width row-major, to out[i] (len
// out = len(blocks); pass slices of length 0 to reuse their storage). It
// panics on a wrong input length.
func (e *Embedder) Run(x []float64, batch int, out [][]float64) [][]float64 {
	if len(out) != len(e.blocks) {
		out = make([][]float64, len(e.blocks))
	}
	e.net.Forward(x, batch, &e.act)
	L := len(e.net.Layers)
	for i, b := range e.blocks {
		width := e.net.Layers[b.Layer-1].OutDim
		var src []float64
		switch b.Kind {
		case Pre:
			src = e.act.H[b.Layer]
		case Post:
			src = e.act.F[b.Layer]
		case Normalised:
			f := e.act.F[L]
			if cap(e.fn) < len(f) {
				e.fn = make([]float64, len(f))
			}
			if cap(e.norms) < batch {
				e.norms = make([]float64, batch)
			}
			e.fn, e.norms = e.fn[:len(f)], e.norms[:batch]
			loss.Normalize(f, batch, width, loss.DefaultEps, e.fn, e.norms)
			src = e.fn
		}
		for s := 0; s < batch; s++ {
			out[i] = append(out[i], src[s*width+b.Off:][:b.Width]...)
		}
	}
	return out
}

// MaxBatchBytes bounds the activations of one input batch for one
// snapshot (a wide selection times a large record batch), in bytes.
const MaxBatchBytes = 1 << 30

// CheckBatch returns an error when a batch of rows samples would need
// more than MaxBatchBytes of activations for the blocks.
func CheckBatch(rows int, blocks []Block) error {
	width := Width(blocks)
	if int64(rows)*int64(width)*8 > MaxBatchBytes {
		return fmt.Errorf("embed: a record batch of %d rows times %d selected values is over %d MiB: select fewer activations or write smaller batches", rows, width, MaxBatchBytes>>20)
	}
	return nil
}
