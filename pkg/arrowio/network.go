package arrowio

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/nn"
)

// Network files (kind "network") hold snapshots of a dual network, one row
// per block (tree node or MLP layer) and snapshot, one record batch per
// snapshot, in layer then block order:
//
//	epoch int32       snapshot's epoch (0: the initialisation)
//	layer int32       layer l = 1 … L (the tree's level Depth−l)
//	name string       block name: "root", "z<id>" or "layer<l>"
//	node int32        HLTM node id (−1 for an MLP)
//	level int32       tree level of the node (root 0); MLP: l
//	in_dim, out_dim   the block's fan-in and width
//	in_offset, out_offset   where the block reads f_{l−1} and writes h_l
//	w list<float64>   weights, row-major out_dim×in_dim
//	b list<float64>   biases (out_dim; zero for a bias-free network)
//
// and, in files that carry the optimiser state for --resume, vw and vb
// (list<float64>): the momentum of w and b.
//
// The architecture needed to rebuild the nn.Network exactly (an nn.Spec)
// is stored in the config (dualssl.config) under the key "network":
// {"arch","bias","hid","depth","children","in_dim","widths"}; it is
// validated against nn.MaxFloats before a network is allocated. Files without
// it (written by another program) are rebuilt from the rows: a tree when
// every node is non-negative, biases on when any bias is non-zero.

func networkColumns(velocity bool) []Column {
	cols := []Column{
		{Name: "epoch", Type: Int32}, {Name: "layer", Type: Int32}, {Name: "name", Type: String},
		{Name: "node", Type: Int32}, {Name: "level", Type: Int32},
		{Name: "in_dim", Type: Int32}, {Name: "out_dim", Type: Int32},
		{Name: "in_offset", Type: Int32}, {Name: "out_offset", Type: Int32},
		{Name: "w", Type: ListFloat64}, {Name: "b", Type: ListFloat64},
	}
	if velocity {
		cols = append(cols, Column{Name: "vw", Type: ListFloat64}, Column{Name: "vb", Type: ListFloat64})
	}
	return cols
}

// NetworkWriter writes network snapshots.
type NetworkWriter struct {
	w        *Writer
	proto    *nn.Network
	velocity bool
}

// CreateNetwork starts a network file at path (or stdout, see Create) for
// snapshots of networks shaped like net. meta's kind is set to network and
// the architecture is added to its config (a JSON object) under "network".
// With velocity the file also carries the momentum columns vw and vb.
func CreateNetwork(path string, stdout io.Writer, meta Meta, net *nn.Network, velocity bool) (*NetworkWriter, error) {
	meta.Kind = KindNetwork
	cfg := map[string]json.RawMessage{}
	if meta.Config != "" {
		if err := json.Unmarshal([]byte(meta.Config), &cfg); err != nil {
			return nil, fmt.Errorf("arrowio: %s: config is not a JSON object: %w", outName(path), err)
		}
	}
	arch, err := json.Marshal(nn.SpecOf(net))
	if err != nil {
		return nil, err
	}
	cfg["network"] = arch
	b, err := json.Marshal(cfg) // map keys are sorted: deterministic
	if err != nil {
		return nil, err
	}
	meta.Config = string(b)
	if n := len(meta.Provenance); n > 0 {
		meta.Provenance = append([]Step(nil), meta.Provenance...)
		meta.Provenance[n-1].Config = b
	}
	w, err := Create(path, stdout, meta, networkColumns(velocity))
	if err != nil {
		return nil, err
	}
	return &NetworkWriter{w: w, proto: net.ZeroLike(), velocity: velocity}, nil
}

// Write appends one snapshot of net (shaped like the network given to
// CreateNetwork) as one record batch. vel is the momentum (same shape), or
// nil for zeros; it is ignored unless the file carries momentum.
func (nw *NetworkWriter) Write(epoch int, net, vel *nn.Network) error {
	if !nw.proto.SameShape(net) {
		return fmt.Errorf("arrowio: %s: snapshot of epoch %d has another shape than the file's network", nw.w.Name(), epoch)
	}
	if vel != nil && !nw.proto.SameShape(vel) {
		return fmt.Errorf("arrowio: %s: momentum of epoch %d has another shape than the network", nw.w.Name(), epoch)
	}
	for li, l := range net.Layers {
		for bi, b := range l.Blocks {
			vals := []any{int32(epoch), int32(li + 1), b.Name, int32(b.Node), int32(l.Level),
				int32(b.In), int32(b.Out), int32(b.InOffset), int32(b.OutOffset), b.W, b.B}
			if nw.velocity {
				vw, vb := make([]float64, len(b.W)), make([]float64, len(b.B))
				if vel != nil {
					vb0 := vel.Layers[li].Blocks[bi]
					vw, vb = vb0.W, vb0.B
				}
				vals = append(vals, vw, vb)
			}
			if err := nw.w.Append(vals...); err != nil {
				return err
			}
		}
	}
	return nw.w.Flush()
}

// Close finishes the file (renaming a named output into place).
func (nw *NetworkWriter) Close() error { return nw.w.Close() }

// Abort abandons the file; see Writer.Abort.
func (nw *NetworkWriter) Abort() { nw.w.Abort() }

// NetworkReader reads network snapshots one epoch at a time.
type NetworkReader struct {
	r        *Reader
	arch     *nn.Spec // from the config, nil if absent
	velocity bool
	// rows of the current record batch not yet consumed
	rows    []netRow
	pos     int
	lastVel *nn.Network
}

type netRow struct {
	epoch, layer, node, level    int
	inDim, outDim, inOff, outOff int
	name                         string
	w, b, vw, vb                 []float64
}

// OpenNetwork opens a network file (path, or stdin when path is "" or "-")
// and checks its kind and columns. tool names the reading stage for
// messages.
func OpenNetwork(path string, stdin io.Reader, tool string) (*NetworkReader, error) {
	r, err := Open(path, stdin)
	if err != nil {
		return nil, err
	}
	nr, err := NewNetworkReader(r, tool)
	if err != nil {
		r.Close()
		return nil, err
	}
	return nr, nil
}

// NewNetworkReader reads snapshots from an open Reader, after checking its
// kind and columns.
func NewNetworkReader(r *Reader, tool string) (*NetworkReader, error) {
	if err := r.Expect(KindNetwork, tool); err != nil {
		return nil, err
	}
	for _, c := range networkColumns(false) {
		if _, err := r.Column(c.Name, c.Type); err != nil {
			return nil, err
		}
	}
	nr := &NetworkReader{r: r}
	if _, err := r.Column("vw", ListFloat64); err == nil {
		if _, err := r.Column("vb", ListFloat64); err == nil {
			nr.velocity = true
		}
	}
	if cfg := r.Meta().Config; cfg != "" {
		var c struct {
			Network *nn.Spec `json:"network"`
		}
		if err := json.Unmarshal([]byte(cfg), &c); err != nil {
			return nil, fmt.Errorf("arrowio: %s: config is not a JSON object: %w", r.Name(), err)
		}
		nr.arch = c.Network
		// Admission before allocation: the architecture a file claims is
		// checked against nn.MaxFloats before any network is built.
		if nr.arch != nil {
			if err := nr.arch.Validate(); err != nil {
				return nil, fmt.Errorf("arrowio: %s: its network config: %w", r.Name(), err)
			}
		}
	}
	return nr, nil
}

// Meta returns the file's metadata.
func (nr *NetworkReader) Meta() Meta { return nr.r.Meta() }

// Name returns the input's name as used in messages ("stdin" or the path).
func (nr *NetworkReader) Name() string { return nr.r.Name() }

// Model returns the HLTM the file carries (see ModelOf).
func (nr *NetworkReader) Model() (*hltm.Model, error) { return nr.r.Model() }

// Arch returns the architecture stored in the file's config, or nil.
func (nr *NetworkReader) Arch() *nn.Spec { return nr.arch }

// HasVelocity reports whether the file carries momentum columns.
func (nr *NetworkReader) HasVelocity() bool { return nr.velocity }

// Velocity returns the momentum of the snapshot last returned by Next, or
// nil when the file carries none.
func (nr *NetworkReader) Velocity() *nn.Network { return nr.lastVel }

// Close closes the input.
func (nr *NetworkReader) Close() error { return nr.r.Close() }

// fill loads the next record batch's rows; false at the end of the input.
func (nr *NetworkReader) fill() (bool, error) {
	for nr.pos >= len(nr.rows) {
		if !nr.r.Next() {
			return false, nr.r.Err()
		}
		b := nr.r.Batch()
		ints := map[string][]int32{}
		for _, c := range []string{"epoch", "layer", "node", "level", "in_dim", "out_dim", "in_offset", "out_offset"} {
			v, err := b.Int32(c)
			if err != nil {
				return false, err
			}
			ints[c] = v
		}
		names, err := b.String("name")
		if err != nil {
			return false, err
		}
		lists := map[string][][]float64{}
		cols := []string{"w", "b"}
		if nr.velocity {
			cols = append(cols, "vw", "vb")
		}
		for _, c := range cols {
			v, err := b.ListFloat64(c)
			if err != nil {
				return false, err
			}
			lists[c] = v
		}
		nr.rows, nr.pos = nr.rows[:0], 0
		for i := 0; i < b.Rows(); i++ {
			row := netRow{
				epoch: int(ints["epoch"][i]), layer: int(ints["layer"][i]), node: int(ints["node"][i]),
				level: int(ints["level"][i]), inDim: int(ints["in_dim"][i]), outDim: int(ints["out_dim"][i]),
				inOff: int(ints["in_offset"][i]), outOff: int(ints["out_offset"][i]), name: names[i],
				w: append([]float64(nil), lists["w"][i]...), b: append([]float64(nil), lists["b"][i]...),
			}
			if nr.velocity {
				row.vw = append([]float64(nil), lists["vw"][i]...)
				row.vb = append([]float64(nil), lists["vb"][i]...)
			}
			nr.rows = append(nr.rows, row)
		}
	}
	return true, nil
}

// Next returns the next snapshot: its epoch and the rebuilt, validated
// network. It returns io.EOF after the last snapshot. Rows of one epoch
// may span record batches; a snapshot ends where the epoch changes.
func (nr *NetworkReader) Next() (int, *nn.Network, error) {
	ok, err := nr.fill()
	if err != nil {
		return 0, nil, err
	}
	if !ok {
		return 0, nil, io.EOF
	}
	epoch := nr.rows[nr.pos].epoch
	var snap []netRow
	for {
		for nr.pos < len(nr.rows) && nr.rows[nr.pos].epoch == epoch {
			snap = append(snap, nr.rows[nr.pos])
			nr.pos++
		}
		if nr.pos < len(nr.rows) {
			break
		}
		ok, err := nr.fill()
		if err != nil {
			return 0, nil, err
		}
		if !ok {
			break
		}
	}
	net, vel, err := nr.build(snap)
	if err != nil {
		return 0, nil, fmt.Errorf("arrowio: %s: snapshot of epoch %d: %w", nr.r.Name(), epoch, err)
	}
	nr.lastVel = vel
	return epoch, net, nil
}

// ReadAll reads every remaining snapshot, in file order; a file without
// any is an error.
func (nr *NetworkReader) ReadAll() ([]nn.Snapshot, error) {
	var snaps []nn.Snapshot
	for {
		epoch, net, err := nr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		snaps = append(snaps, nn.Snapshot{Epoch: epoch, Net: net, Vel: nr.lastVel})
	}
	if len(snaps) == 0 {
		return nil, fmt.Errorf("arrowio: %s: no network snapshot", nr.r.Name())
	}
	return snaps, nil
}

// Last reads every remaining snapshot and returns the last one; io.EOF if
// there is none.
func (nr *NetworkReader) Last() (int, *nn.Network, error) {
	epoch, net := 0, (*nn.Network)(nil)
	var vel *nn.Network
	for {
		e, n, err := nr.Next()
		if errors.Is(err, io.EOF) {
			if net == nil {
				return 0, nil, fmt.Errorf("arrowio: %s: no snapshot: %w", nr.r.Name(), io.EOF)
			}
			nr.lastVel = vel
			return epoch, net, nil
		}
		if err != nil {
			return 0, nil, err
		}
		epoch, net, vel = e, n, nr.lastVel
	}
}

// build rebuilds a network from one snapshot's rows.
func (nr *NetworkReader) build(rows []netRow) (*nn.Network, *nn.Network, error) {
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].layer < rows[j].layer })
	arch := nr.arch
	if arch == nil {
		a, err := inferArch(rows)
		if err != nil {
			return nil, nil, err
		}
		arch = &a
	}
	net, err := arch.New()
	if err != nil {
		return nil, nil, err
	}
	var vel *nn.Network
	if nr.velocity {
		vel = net.ZeroLike()
	}
	k := 0
	for li := range net.Layers {
		l := &net.Layers[li]
		for bi := range l.Blocks {
			b := &l.Blocks[bi]
			if k >= len(rows) {
				return nil, nil, fmt.Errorf("%d rows, the %s network has more blocks", len(rows), arch.Arch)
			}
			r := rows[k]
			k++
			if r.layer != li+1 || r.name != b.Name || r.node != b.Node || r.level != l.Level ||
				r.inDim != b.In || r.outDim != b.Out || r.inOff != b.InOffset || r.outOff != b.OutOffset {
				return nil, nil, fmt.Errorf("row %d (layer %d, %s) does not match block %s of layer %d of the %s network (%d×%d at %d,%d)",
					k, r.layer, r.name, b.Name, li+1, arch.Arch, b.Out, b.In, b.OutOffset, b.InOffset)
			}
			if len(r.w) != len(b.W) || len(r.b) != len(b.B) {
				return nil, nil, fmt.Errorf("block %s: %d weights and %d biases, want %d and %d", b.Name, len(r.w), len(r.b), len(b.W), len(b.B))
			}
			copy(b.W, r.w)
			copy(b.B, r.b)
			if vel != nil {
				vb := &vel.Layers[li].Blocks[bi]
				if len(r.vw) != len(vb.W) || len(r.vb) != len(vb.B) {
					return nil, nil, fmt.Errorf("block %s: momentum of the wrong size", b.Name)
				}
				copy(vb.W, r.vw)
				copy(vb.B, r.vb)
			}
		}
	}
	if k != len(rows) {
		return nil, nil, fmt.Errorf("%d rows for a network of %d blocks", len(rows), k)
	}
	if err := net.Validate(); err != nil {
		return nil, nil, err
	}
	return net, vel, nil
}

// inferArch derives the architecture from a snapshot's rows (sorted by
// layer), for files without the "network" config record.
func inferArch(rows []netRow) (nn.Spec, error) {
	if len(rows) == 0 {
		return nn.Spec{}, errors.New("no rows")
	}
	a := nn.Spec{Arch: nn.ArchTree}
	for _, r := range rows {
		if r.node < 0 {
			a.Arch = nn.ArchMLP
		}
		for _, v := range r.b {
			if v != 0 {
				a.Bias = true
			}
		}
	}
	if a.Arch == nn.ArchMLP {
		a.InDim = rows[0].inDim
		for _, r := range rows {
			a.Widths = append(a.Widths, r.outDim)
		}
		return a, nil
	}
	a.Depth = rows[len(rows)-1].layer
	a.Hid = rows[0].outDim
	a.Children = rows[0].inDim
	return a, nil
}
