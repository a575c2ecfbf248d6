// Package augment is the augment command: it reads hltm-samples and writes
// views (positive pairs, optionally with explicit negatives).
package augmentcmd

import (
	"fmt"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/augment"
	"github.com/dualssl/dualssl/pkg/cli"
	"github.com/dualssl/dualssl/pkg/hltm"
)

const description = `Reads HLTM samples (kind hltm-samples, from hltm-gen) and writes augmented
views (kind views), --pairs rows per sample:

  id   int64                               the sample's id
  key  int64                               the kept latents as bits (the "data point")
  x_a, x_b  fixed_size_list<float64>[leaves]  a positive pair of observations
  z_a, z_b  fixed_size_list<int8>[nodes]      their full latent states (no noise)
  x_neg fixed_size_list<float64>[H*leaves]    with --negatives H: H independent draws
                                              from the model, concatenated

A view keeps the latents at one level (--keep root, the reference; or
level:K) and redraws every other node from the model given them. Both views
are drawn fresh given the kept latents, as the reference does; --self-view
uses the sample itself as view a. --flip P flips each leaf of every view
(and negative) with probability P. The key reads the kept level left to
right as a binary number (first node = most significant bit; at most 62
nodes). The model travels in the metadata and is copied forward; the
provenance gains this stage. Output bytes depend only on the input, the
flags and --seed, never on --threads.

Example:
  hltm-gen --depth 5 -n 64000 --seed 1 | augment --keep root --negatives 1 --seed 2 > pairs.arrows`

// App returns the augment command.
func App() *ucli.App {
	return cli.NewApp(cli.Tool{
		Name:        "augment",
		Usage:       "make positive pairs of augmented views of HLTM samples",
		Description: description,
		Docs:        "docs/theory.md §2 (augmentation)",
		Input:       true, Output: true, Seed: true, Threads: true,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "keep", Value: "root", Usage: "latents every view keeps: `root` or level:K"},
			&ucli.Float64Flag{Name: "flip", Value: 0, Usage: "leaf-flip noise probability `P` in [0, 1]"},
			&ucli.IntFlag{Name: "pairs", Value: 1, Usage: "positive pairs `M` per sample (≥ 1)"},
			&ucli.IntFlag{Name: "negatives", Value: 0, Usage: "explicit negatives `H` per pair, independent draws from the model (x_neg)"},
			&ucli.BoolFlag{Name: "self-view", Usage: "use the sample itself as view a (default: two fresh views)"},
		},
		Action: run,
	})
}

// Main runs augment with args (os.Args) and returns the exit code.
func Main(args []string) int { return cli.Main(App(), args) }

// parseKeep reads --keep: "root", "level:K" (or "K", "leaves").
func parseKeep(s string, m *hltm.Model) (int, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "root":
		return 0, nil
	case "leaves":
		return m.Depth(), nil
	}
	k, err := strconv.Atoi(strings.TrimPrefix(t, "level:"))
	if err != nil {
		return 0, cli.Usagef("--keep %q: want root or level:K", s)
	}
	if k < 0 || k > m.Depth() {
		return 0, cli.Usagef("--keep %q: level %d is outside the tree's levels 0 … %d", s, k, m.Depth())
	}
	return k, nil
}

func run(e *cli.Env) error {
	flip, pairs, negs := e.Float64("flip"), e.Int("pairs"), e.Int("negatives")
	if !(flip >= 0 && flip <= 1) {
		return cli.Usagef("--flip %v: must lie in [0, 1]", flip)
	}
	if pairs < 1 {
		return cli.Usagef("--pairs %d: must be at least 1", pairs)
	}
	if negs < 0 {
		return cli.Usagef("--negatives %d: must be at least 0", negs)
	}
	in, err := e.Open(arrowio.KindSamples)
	if err != nil {
		return err
	}
	defer in.Close()
	m, err := arrowio.ModelOf(in.Meta(), in.Name())
	if err != nil {
		return err
	}
	keep, err := parseKeep(e.String("keep"), m)
	if err != nil {
		return err
	}
	pol := augment.Policy{Keep: keep, Flip: flip, Pairs: pairs, Negatives: negs, SelfView: e.Bool("self-view")}
	if m.LevelSize(keep) > augment.MaxKeyNodes {
		return cli.Usagef("--keep %s: level %d has %d nodes, at most %d fit the int64 key", e.String("keep"), keep, m.LevelSize(keep), augment.MaxKeyNodes)
	}
	a, err := augment.New(m, pol)
	if err != nil {
		return cli.Usagef("%v", err)
	}
	nn, nl := m.NumNodes(), m.NumLeaves()
	// One sampling block of views must fit in memory: a huge --pairs or
	// --negatives would otherwise end in an out-of-memory crash.
	if blk := float64(hltm.BlockRows) * float64(pairs) * (16 + 2*float64(nl) + 2*float64(nn) + float64(negs)*float64(nl)); blk > 1<<30 {
		return cli.Usagef("--pairs %d --negatives %d: one block of %d samples of this %d-leaf tree would make %.3g GiB of views (at most 1): lower them", pairs, negs, hltm.BlockRows, nl, blk/(1<<30))
	}
	samples, err := arrowio.NewSamplesReader(in, e.Tool, nn, nl)
	if err != nil {
		return err
	}
	cols := arrowio.ViewsColumns(nn, nl, negs)
	w, err := e.Create(in.Meta(), arrowio.KindViews, cols)
	if err != nil {
		return err
	}
	defer w.Abort()

	// Samples are staged in chunks of whole sampling blocks, so the views
	// depend on the global row index only, whatever the input's batches.
	// The chunk (an output record batch) must not depend on --threads
	// either, or the bytes would. 8 blocks keep 8 threads busy and
	// downstream readers' batches small.
	threads := e.Threads()
	chunk := 8 * hltm.BlockRows
	// Keep an output chunk near 64 MiB for wide trees or many pairs.
	perSample := pairs * (16 + 2*nl + 2*nn + negs*nl) // one byte per leaf and node
	for chunk > hltm.BlockRows && chunk*perSample > 64<<20 {
		chunk -= hltm.BlockRows
	}
	z := make([]int8, chunk*nn)
	ids := make([]int64, chunk)
	outIDs := make([]int64, chunk*pairs)
	views := augment.NewViews(m, pol, chunk)
	prog := e.Progress(0, "samples")
	var first int64
	have := 0
	flush := func() error {
		if have == 0 {
			return nil
		}
		a.Fill(e.Seed(), first, have, z[:have*nn], views, threads)
		v := views.Slice(have * pairs)
		for s := 0; s < have; s++ {
			for j := 0; j < pairs; j++ {
				outIDs[s*pairs+j] = ids[s]
			}
		}
		cols := []any{outIDs[:v.Rows], v.Key, v.XA, v.XB, v.ZA, v.ZB}
		if negs > 0 {
			cols = append(cols, v.XNeg)
		}
		if err := w.WriteColumns(v.Rows, cols...); err != nil {
			return err
		}
		prog.Add(int64(have))
		first += int64(have)
		have = 0
		return nil
	}
	for samples.Next() {
		b, err := samples.Samples()
		if err != nil {
			return err
		}
		bz, bid := b.Z, b.ID
		for off := 0; off < b.Rows; {
			k := min(chunk-have, b.Rows-off)
			zs := bz[off*nn : (off+k)*nn]
			for _, v := range zs {
				if v != 0 && v != 1 {
					return fmt.Errorf("%s: row %d: z holds %d; node values must be 0 or 1", in.Name(), first+int64(have), v)
				}
			}
			copy(z[have*nn:], zs)
			copy(ids[have:], bid[off:off+k])
			have += k
			off += k
			if have == chunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := in.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	prog.Finish()
	if err := w.Close(); err != nil {
		return err
	}
	e.Summary("%d views (%d samples × %d pairs, keep %s, flip %v, %d negatives) in %.2f s",
		w.Rows(), first, pairs, keepName(keep), flip, negs, prog.Elapsed().Seconds())
	return nil
}

func keepName(k int) string {
	if k == 0 {
		return "root"
	}
	return fmt.Sprintf("level:%d", k)
}
