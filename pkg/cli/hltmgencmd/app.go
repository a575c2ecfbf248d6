package hltmgencmd

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/bitslice"
	"github.com/dualssl/dualssl/pkg/cli"
	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/outfile"
	"github.com/dualssl/dualssl/pkg/rng"
)

const description = `Draws N samples from a hierarchical latent tree model (HLTM) and writes them
as an Arrow IPC stream of kind hltm-samples, one row per sample:

  id  int64                          sample index 0 … N-1
  z   fixed_size_list<bool>[nodes]   every node, breadth-first (root 0, leaves last)
  x   fixed_size_list<bool>[leaves]  the leaves, 0/1

The 0/1 lists are bit-packed (format 3.0); --int8 writes them a byte per
value (format 2.0), for a dualssl before 3.0 or numpy without unpacking.

The model (tree shape and edge polarities) travels in the file's metadata
(dualssl.model), so later stages need no separate model file. Polarities are
drawn as |rho| ~ U(delta-lower, delta-upper) with a random sign (or positive
with --positive), pinned with --polarity, or reused from any dualssl file
with --from. -n 0 writes a model-only file. Output streams in record batches:
memory stays flat for any N, and the bytes depend only on the flags and
--seed, never on --threads.

Example (the reference experiment):
  hltm-gen --depth 5 --children 2 --delta-lower 0.8 -n 64000 --seed 1 > samples.arrows
  hltm-gen --depth 5 -n 64000 --seed 1 | augment --keep root --negatives 1 --seed 2 > pairs.arrows`

// App returns the hltm-gen command.
func App() *ucli.App {
	return cli.NewApp(cli.Tool{
		Name:        "hltm-gen",
		Usage:       "draw samples from a hierarchical latent tree model",
		Description: description,
		Docs:        "docs/theory.md §1 (the model, the rule P(child = parent) = (1+ρ)/2, polarity sampling)",
		Output:      true, Seed: true, Threads: true, Int8: true,
		Flags: []ucli.Flag{
			&ucli.IntFlag{Name: "depth", Value: 5, Usage: "edges `L` from the root to every leaf (≥ 1)"},
			&ucli.IntFlag{Name: "children", Value: 2, Usage: "children `C` of every latent node (≥ 1)"},
			&ucli.Float64Flag{Name: "delta-lower", Value: 0.8, Usage: "smallest polarity magnitude `D` in [0, 1] (0.8: the reference experiment)"},
			&ucli.Float64Flag{Name: "delta-upper", Value: 1, Usage: "largest polarity magnitude `D` in [0, 1]"},
			&ucli.BoolFlag{Name: "positive", Usage: "positive polarities only (no random signs)"},
			&ucli.StringFlag{Name: "polarity", Usage: "pinned polarities `LIST`, comma-separated, one per edge in breadth-first order of the child node"},
			cli.InputFile(&ucli.StringFlag{Name: "from", Usage: "reuse the model carried by any dualssl `FILE`"}),
			&ucli.Int64Flag{Name: "n", Value: 64000, Usage: "number of samples `N` (0 = a model-only file)"},
			cli.OutputFile(&ucli.StringFlag{Name: "nodes", Usage: "also write the node table (kind hltm-nodes) to `FILE`"}),
			&ucli.IntFlag{Name: "batch-rows", Value: 0, Usage: "rows per record batch `R` (0 = about 4 MiB per batch)"},
		},
		NoConfig: []string{"from", "nodes"},
		Action:   run,
	})
}

// Main runs hltm-gen with args (os.Args) and returns the exit code.
func Main(args []string) int { return cli.Main(App(), args) }

// buildModel makes the model from the flags.
func buildModel(e *cli.Env) (*hltm.Model, error) {
	if from := e.String("from"); from != "" {
		for _, f := range []string{"depth", "children", "delta-lower", "delta-upper", "positive", "polarity"} {
			if e.IsSet(f) {
				return nil, cli.Usagef("--from takes the model from %s: drop --%s", from, f)
			}
		}
		r, err := e.OpenPath(from, "")
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return arrowio.ModelOf(r.Meta(), r.Name())
	}
	depth, children := e.Int("depth"), e.Int("children")
	if depth < 1 {
		return nil, cli.Usagef("--depth %d: must be at least 1", depth)
	}
	if children < 1 {
		return nil, cli.Usagef("--children %d: must be at least 1", children)
	}
	n, err := hltm.NumNodesFor(depth, children)
	if err != nil {
		return nil, cli.Usagef("--depth %d --children %d: %v", depth, children, err)
	}
	if s := e.String("polarity"); s != "" {
		for _, f := range []string{"delta-lower", "delta-upper", "positive"} {
			if e.IsSet(f) {
				return nil, cli.Usagef("--polarity pins every edge: drop --%s", f)
			}
		}
		parts := strings.Split(s, ",")
		if len(parts) != n-1 {
			return nil, cli.Usagef("--polarity has %d values; a depth-%d tree with %d children has %d edges", len(parts), depth, children, n-1)
		}
		pol := make([]float64, len(parts))
		for i, p := range parts {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || math.IsNaN(v) || v < -1 || v > 1 {
				return nil, cli.Usagef("--polarity value %d (%q): want a number in [-1, 1]", i+1, p)
			}
			pol[i] = v
		}
		return hltm.New(depth, children, pol)
	}
	lo, hi := e.Float64("delta-lower"), e.Float64("delta-upper")
	if !(lo >= 0 && lo <= 1) {
		return nil, cli.Usagef("--delta-lower %v: must lie in [0, 1]", lo)
	}
	if !(hi >= 0 && hi <= 1) {
		return nil, cli.Usagef("--delta-upper %v: must lie in [0, 1]", hi)
	}
	if lo > hi {
		return nil, cli.Usagef("--delta-lower %v is above --delta-upper %v", lo, hi)
	}
	pol := hltm.RandomPolarities(rng.New(e.Seed(), rng.Tree, 0), n-1, lo, hi, e.Bool("positive"))
	return hltm.New(depth, children, pol)
}

// batchRows picks the record batch size: the flag, or about 4 MiB per
// batch (a whole number of sampling blocks when that is at least one),
// which keeps every stage downstream small in memory.
func batchRows(e *cli.Env, m *hltm.Model) (int, error) {
	if b := e.Int("batch-rows"); b != 0 {
		if b < 0 {
			return 0, cli.Usagef("--batch-rows %d: must be positive (0 = automatic)", b)
		}
		// A batch is allocated whole: bound it rather than crash.
		if gib := float64(b) * float64(8+m.NumNodes()+8*m.NumLeaves()) / (1 << 30); gib > 1 {
			return 0, cli.Usagef("--batch-rows %d: a batch of this tree would take %.3g GiB (at most 1)", b, gib)
		}
		return b, nil
	}
	row := 8 + m.NumNodes() + 8*m.NumLeaves()
	rows := min(arrowio.DefaultBatchRows, (4<<20)/row)
	if rows >= hltm.BlockRows {
		rows -= rows % hltm.BlockRows
	}
	return max(1, rows), nil
}

func run(e *cli.Env) error {
	n := e.Int64("n")
	if n < 0 {
		return cli.Usagef("-n %d: must be at least 0", n)
	}
	m, err := buildModel(e)
	if err != nil {
		return err
	}
	batch, err := batchRows(e, m)
	if err != nil {
		return err
	}
	meta := arrowio.Meta{Model: arrowio.ModelJSON(m)}
	var nodes *arrowio.Writer
	if path := e.String("nodes"); path != "" {
		if outfile.IsStd(path) {
			return cli.Usagef("--nodes needs a file name (stdout carries the samples)")
		}
		if nodes, err = writeNodes(e, path, meta, m); err != nil {
			return err
		}
		defer nodes.Abort()
	}
	w, err := e.Create(meta, arrowio.KindSamples, arrowio.SamplesColumns(m.NumNodes(), m.NumLeaves(), e.Binary()))
	if err != nil {
		return err
	}
	defer w.Abort()
	prog := e.Progress(n, "rows")
	if err := generate(e, m, n, batch, w, prog); err != nil {
		return err
	}
	prog.Finish()
	if err := w.Close(); err != nil {
		return err
	}
	if nodes != nil {
		if err := nodes.Close(); err != nil {
			return err
		}
	}
	e.Summary("%d samples of a depth-%d tree with %d children (%d nodes, %d leaves) in %.2f s",
		n, m.Depth(), m.Children(), m.NumNodes(), m.NumLeaves(), prog.Elapsed().Seconds())
	return nil
}

// chunk is a range of drawn rows handed from the sampler to the writer, as
// packed bit matrices (see bitslice's bit rows), the file's own layout.
type chunk struct {
	rows int
	z    []uint64 // rows·NumNodes bits
	x    []uint64 // the leaves of z, rows·NumLeaves bits
}

// generate draws rows in whole sampling blocks (so the rows do not depend
// on the batch size or the threads) and writes record batches of exactly
// batch rows. Sampling the next chunk overlaps writing the previous one;
// the output does not depend on that either.
func generate(e *cli.Env, m *hltm.Model, n int64, batch int, w *arrowio.Writer, prog *cli.Progress) error {
	if n == 0 {
		return nil
	}
	nn, nl := m.NumNodes(), m.NumLeaves()
	done := make(chan struct{})
	defer close(done)
	full, free := sampleChunks(e, m, n, chunkRows(batch, e.Threads(), n), done)

	ids := make([]int64, batch)
	var written int64
	write := func(k int, z, x []uint64) error {
		for i := range ids[:k] {
			ids[i] = written + int64(i)
		}
		if err := w.WriteColumns(k, ids[:k], z, x); err != nil {
			return err
		}
		written += int64(k)
		prog.Add(int64(k))
		return nil
	}
	// stage holds a batch that is not whole words of a chunk: one that
	// spans two chunks (only when batch is not a whole number of blocks),
	// or starts or ends inside a word. staged rows are in it.
	stageZ := make([]uint64, bitslice.Words(batch*nn))
	stageX := make([]uint64, bitslice.Words(batch*nl))
	staged := 0
	flush := func() error {
		bitslice.ClearFrom(stageZ, staged*nn)
		bitslice.ClearFrom(stageX, staged*nl)
		err := write(staged, stageZ[:bitslice.Words(staged*nn)], stageX[:bitslice.Words(staged*nl)])
		staged = 0
		return err
	}
	for c := range full {
		for off := 0; off < c.rows; {
			k := min(batch-staged, c.rows-off)
			// Rows off … off+k−1 go straight out when they fill a batch
			// and are whole words of the chunk (its last word's spare
			// bits are clear).
			if staged == 0 && k == batch && off*nn%64 == 0 && off*nl%64 == 0 &&
				(off+k == c.rows || ((off+k)*nn%64 == 0 && (off+k)*nl%64 == 0)) {
				if err := write(k, c.z[off*nn/64:bitslice.Words((off+k)*nn)], c.x[off*nl/64:bitslice.Words((off+k)*nl)]); err != nil {
					return err
				}
				off += k
				continue
			}
			bitslice.CopyBits(stageZ, staged*nn, c.z, off*nn, k*nn)
			bitslice.CopyBits(stageX, staged*nl, c.x, off*nl, k*nl)
			staged += k
			off += k
			if staged == batch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		free <- c
	}
	if staged > 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	if written != n {
		return fmt.Errorf("wrote %d of %d rows", written, n)
	}
	return nil
}

// chunkRows returns the rows of one sampling chunk (at most n): whole
// sampling blocks and, when batches are whole blocks, whole batches, so
// rows are written straight from it.
func chunkRows(batch, threads int, n int64) int {
	size := max(batch, 4*threads*hltm.BlockRows)
	size = (size + hltm.BlockRows - 1) / hltm.BlockRows * hltm.BlockRows
	if batch%hltm.BlockRows == 0 {
		size = (size + batch - 1) / batch * batch
	}
	return int(min(int64(size), n))
}

// sampleChunks samples the n rows in chunks of size rows on a goroutine
// that sends them in order on full and closes it at the end. Two chunks
// circulate: the caller gives each back on free once written, and closes
// done to stop the goroutine early.
func sampleChunks(e *cli.Env, m *hltm.Model, n int64, size int, done <-chan struct{}) (<-chan *chunk, chan<- *chunk) {
	nn, nl := m.NumNodes(), m.NumLeaves()
	threads := e.Threads()
	free := make(chan *chunk, 2)
	full := make(chan *chunk, 1)
	for k := 0; k < 2; k++ {
		free <- &chunk{z: make([]uint64, bitslice.Words(size*nn)), x: make([]uint64, bitslice.Words(size*nl))}
	}
	go func() {
		defer close(full)
		for next := int64(0); next < n; {
			var c *chunk
			select {
			case c = <-free:
			case <-done:
				return
			}
			c.rows = int(min(int64(size), n-next))
			m.SampleRowsBits(e.Seed(), next, c.rows, c.z, c.x, threads)
			bitslice.ClearFrom(c.z, c.rows*nn)
			bitslice.ClearFrom(c.x, c.rows*nl)
			next += int64(c.rows)
			select {
			case full <- c:
			case <-done:
				return
			}
		}
	}()
	return full, free
}

// writeNodes writes the node table (kind hltm-nodes) to path; the caller
// closes it once the samples are written.
func writeNodes(e *cli.Env, path string, meta arrowio.Meta, m *hltm.Model) (*arrowio.Writer, error) {
	w, err := e.CreatePath(path, meta, arrowio.Nodes.Kind, arrowio.Nodes.Columns())
	if err != nil {
		return nil, err
	}
	rw := arrowio.Nodes.Writer(w)
	for i := 0; i < m.NumNodes(); i++ {
		row := arrowio.NodeRow{ID: int32(i), Name: m.Name(i), Parent: int32(m.Parent(i)), Level: int32(m.Level(i)),
			DepthIndex: int32(m.DepthIndex(i)), Leaf: m.IsLeaf(i), Polarity: m.Polarity(i), RootPolarity: m.RootPolarity(i)}
		if err := rw.Write(row); err != nil {
			w.Abort()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return w, nil
}
