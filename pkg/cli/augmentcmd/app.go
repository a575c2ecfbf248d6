package augmentcmd

import (
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
  x_a, x_b  fixed_size_list<bool>[leaves]     a positive pair of observations (0/1)
  z_a, z_b  fixed_size_list<bool>[nodes]      their full latent states (no noise)
  x_neg fixed_size_list<bool>[H*leaves]       with --negatives H: H independent draws
                                              from the model, concatenated

The 0/1 lists are bit-packed (format 3.0); --int8 writes them a byte per
value (format 2.0), for a dualssl before 3.0 or numpy without unpacking.

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
		Input:       true, Output: true, Seed: true, Threads: true, Int8: true,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "keep", Value: "root", Usage: "latents every view keeps: `LEVEL` root, leaves or level:K"},
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
	m, err := in.Model()
	if err != nil {
		return err
	}
	keep, err := hltm.ParseLevel(e.String("keep"), m.Depth())
	if err != nil {
		return cli.Usagef("--keep: %v", err)
	}
	if m.LevelSize(keep) > augment.MaxKeyNodes {
		return cli.Usagef("--keep %s: level %d has %d nodes, at most %d fit the int64 key", e.String("keep"), keep, m.LevelSize(keep), augment.MaxKeyNodes)
	}
	a, err := augment.New(m, augment.Policy{Keep: keep, Flip: flip, Pairs: pairs, Negatives: negs, SelfView: e.Bool("self-view")})
	if err != nil {
		return cli.Usagef("%v", err)
	}
	if err := a.CheckMemory(); err != nil {
		return cli.Usagef("--pairs %d --negatives %d: %v: lower them", pairs, negs, err)
	}
	samples, err := arrowio.NewSamplesReader(in, e.Tool, m.NumNodes(), m.NumLeaves())
	if err != nil {
		return err
	}
	w, err := e.Create(in.Meta(), arrowio.KindViews, arrowio.ViewsColumns(m.NumNodes(), m.NumLeaves(), negs, e.Binary()))
	if err != nil {
		return err
	}
	defer w.Abort()
	prog := e.Progress(0, "samples")
	stream := a.NewStream(e.Seed(), e.Threads(), func(ids []int64, v *augment.Views) error {
		cols := []any{ids, v.Key, v.XA, v.XB, v.ZA, v.ZB}
		if negs > 0 {
			cols = append(cols, v.XNeg)
		}
		prog.Add(int64(v.Rows / pairs))
		return w.WriteColumns(v.Rows, cols...)
	})
	for samples.Next() {
		// z as the file's bits (int8 checked and packed); x checked only.
		b, err := samples.LatentWords()
		if err != nil {
			return err
		}
		if err := stream.Add(b.ID, b.Z); err != nil {
			return err
		}
	}
	if err := in.Err(); err != nil {
		return err
	}
	if err := stream.Flush(); err != nil {
		return err
	}
	prog.Finish()
	if err := w.Close(); err != nil {
		return err
	}
	e.Summary("%d views (%d samples × %d pairs, keep %s, flip %v, %d negatives) in %.2f s",
		w.Rows(), stream.Samples(), pairs, hltm.LevelName(keep), flip, negs, prog.Elapsed().Seconds())
	return nil
}
