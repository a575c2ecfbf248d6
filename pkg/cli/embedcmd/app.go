package embedcmd

import (
	"errors"
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli"
	"github.com/dualssl/dualssl/pkg/embed"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/outfile"
)

// Main runs embed with args (os.Args) and returns the exit code.
func Main(args []string) int { return cli.Main(App(), args) }

// App returns the embed command.
func App() *ucli.App { return cli.NewApp(Tool()) }

// Tool describes embed.
func Tool() cli.Tool {
	return cli.Tool{
		Name:  "embed",
		Usage: "write network activations (embeddings) of samples or views, for any outside analysis",
		Docs:  "README.md, section \"Embeddings out\"",
		Description: `
Reads network snapshots (made by ssl-train) from stdin or --in and samples
(hltm-gen) or views (augment) from --data, and writes one row per selected
snapshot and input row: epoch, id, one fixed-size list column per selected
activation, and the latents z when the input has them. Selections (--select,
comma-separated): f (the root embedding), f_norm (f/(|f|+eps)), h_level<k> /
a_level<k> (a tree level's pre-activations / after the ReLU), h_<node> /
a_<node> (one node: root, z5 ...), h_layer<l> / a_layer<l> (an MLP layer),
all (h and a of every layer).

  embed --data fresh.arrows --epochs first,last --select f,f_norm,h_level4 < net.arrows > emb.arrows
  duckdb -c "select epoch, avg(f[1]) from 'emb.arrow' group by epoch"   # after dualssl-cat --to-file

The data streams (memory does not grow with its rows); the same inputs give
the same bytes.`,
		Input: true, Output: true,
		NoConfig: []string{"data"},
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "data", Usage: "samples or views `FILE` to embed (required)"},
			&ucli.StringFlag{Name: "epochs", Value: "last", Usage: "snapshots to embed: `LIST` of epochs and the words first, middle, last, all"},
			&ucli.StringFlag{Name: "select", Value: "f,f_norm", Usage: "activations to write: comma-separated `LIST` (f, f_norm, h_level<k>, a_level<k>, h_<node>, a_<node>, h_layer<l>, a_layer<l>, all)"},
			&ucli.StringFlag{Name: "view", Value: "a", Usage: "with views: embed `V` = a (x_a, z_a) or b (x_b, z_b)"},
		},
		Action: run,
	}
}

// maxBatchBytes bounds the activations of one input batch for one
// snapshot (a wide selection times a large record batch).
const maxBatchBytes = 1 << 30

func run(env *cli.Env) error {
	data := env.String("data")
	if data == "" {
		return cli.Usagef("--data FILE is required: the samples (hltm-gen) or views (augment) to embed")
	}
	if outfile.IsStd(data) && outfile.IsStd(env.String(cli.FlagIn)) {
		return cli.Usagef("--data and --in cannot both be stdin: give one of them a file")
	}
	view := env.String("view")
	if view != "a" && view != "b" {
		return cli.Usagef("--view %q: want a or b", view)
	}
	nr, err := env.OpenNetworks()
	if err != nil {
		return err
	}
	defer nr.Close()
	netName := outfile.Name(env.String(cli.FlagIn), "stdin")
	snaps, err := nr.ReadAll() // snapshots are small
	if err != nil {
		return err
	}
	epochs := make([]int, len(snaps))
	for i, s := range snaps {
		epochs[i] = s.Epoch
	}
	idx, err := cli.SelectEpochs(epochs, env.String("epochs"), "epochs", netName)
	if err != nil {
		return err
	}
	items := strings.Split(env.String("select"), ",")
	blocks, err := embed.Select(snaps[idx[0]].Net, items)
	if err != nil {
		return cli.Usagef("--select %s", strings.TrimPrefix(err.Error(), "embed: "))
	}

	dr, err := env.OpenPath(data, "")
	if err != nil {
		return err
	}
	defer dr.Close()
	xcol, zcol := "x", "z"
	switch dr.Meta().Kind {
	case arrowio.KindSamples:
	case arrowio.KindViews:
		xcol, zcol = "x_"+view, "z_"+view
	default:
		return fmt.Errorf("%s is a %s file; embed needs hltm-samples (made by hltm-gen) or views (made by augment)", dr.Name(), dr.Meta().Kind)
	}
	xc, err := dr.LeafColumn(xcol)
	if err != nil {
		return err
	}
	in := snaps[0].Net.InDim()
	if xc.Size != in {
		return fmt.Errorf("%s: %s has %d values per row, the network reads %d", dr.Name(), xcol, xc.Size, in)
	}
	nodes := 0
	if zc, err := dr.Column(zcol, arrowio.FixedInt8); err == nil {
		nodes = zc.Size
	} else if !errors.Is(err, arrowio.ErrNoColumn) {
		return err
	}
	_, idErr := dr.Column("id", arrowio.Int64)
	if idErr != nil && !errors.Is(idErr, arrowio.ErrNoColumn) {
		return idErr
	}
	if dm, nm := dr.Meta().Model, nr.Meta().Model; dm != "" && nm != "" && dm != nm {
		env.Logf("warning: %s comes from another HLTM than %s", dr.Name(), netName)
	}

	cols := make([]arrowio.EmbedBlock, len(blocks))
	for i, b := range blocks {
		cols[i] = arrowio.EmbedBlock{Name: b.Name, Width: b.Width}
	}
	w, err := env.Create(nr.Meta(), arrowio.KindEmbed, arrowio.EmbedColumns(cols, nodes))
	if err != nil {
		return err
	}
	defer w.Abort()

	embs := make([]*embed.Embedder, len(idx))
	for k, i := range idx {
		embs[k] = embed.New(snaps[i].Net, blocks)
	}
	width := embed.Width(blocks)
	out := make([][]float64, len(blocks))
	var ids []int64
	var xbuf []float64
	var epochCol []int32
	next := int64(0)
	prog := env.Progress(0, "rows")
	for dr.Next() {
		b := dr.Batch()
		rows := b.Rows()
		if int64(rows)*int64(width)*8 > maxBatchBytes {
			return fmt.Errorf("%s: a record batch of %d rows times %d selected values is over %d MiB: select fewer activations or write smaller batches", dr.Name(), rows, width, maxBatchBytes>>20)
		}
		x, _, err := b.FixedLeaves(xcol, &xbuf)
		if err != nil {
			return err
		}
		ids = ids[:0]
		if idErr == nil {
			v, err := b.Int64("id")
			if err != nil {
				return err
			}
			ids = append(ids, v...)
		} else {
			for i := 0; i < rows; i++ {
				ids = append(ids, next+int64(i))
			}
		}
		next += int64(rows)
		var z []int8
		if nodes > 0 {
			if z, _, err = b.FixedInt8(zcol); err != nil {
				return err
			}
		}
		epochCol = epochCol[:0]
		for i := 0; i < rows; i++ {
			epochCol = append(epochCol, 0)
		}
		for k, i := range idx {
			for j := range out {
				out[j] = out[j][:0]
			}
			out = embs[k].Run(x, rows, out)
			for j := range epochCol {
				epochCol[j] = int32(snaps[i].Epoch)
			}
			colv := []any{epochCol, ids}
			for _, o := range out {
				colv = append(colv, o)
			}
			if nodes > 0 {
				colv = append(colv, z)
			}
			if err := w.WriteColumns(rows, colv...); err != nil {
				return err
			}
		}
		prog.Add(int64(rows))
	}
	if err := dr.Err(); err != nil {
		return err
	}
	prog.Finish()
	if err := w.Close(); err != nil {
		return err
	}
	env.Summary("%d rows × %d snapshot(s) of %s: %d values per row (%s)", next, len(idx), nn.SpecOf(snaps[0].Net), width, strings.Join(items, ","))
	return nil
}
