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
			cli.InputFile(&ucli.StringFlag{Name: "data", Usage: "samples or views `FILE` to embed (required)"}),
			&ucli.StringFlag{Name: "epochs", Value: "last", EnvVars: cli.SnapshotsEnv, Usage: "snapshots to embed: `LIST` of epochs and the words first, middle, last, all"},
			&ucli.StringFlag{Name: "select", Value: "f,f_norm", Usage: "activations to write: comma-separated `LIST` (f, f_norm, h_level<k>, a_level<k>, h_<node>, a_<node>, h_layer<l>, a_layer<l>, all)"},
			&ucli.StringFlag{Name: "view", Value: "a", Usage: "with views: embed `V` = a (x_a, z_a) or b (x_b, z_b)"},
		},
		Action: run,
	}
}

func run(env *cli.Env) error {
	data, view, err := dataFlags(env)
	if err != nil {
		return err
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
	idx, err := cli.SelectEpochs(epochsOf(snaps), env.String("epochs"), "epochs", netName)
	if err != nil {
		return err
	}
	items := strings.Split(env.String("select"), ",")
	blocks, err := embed.Select(snaps[idx[0]].Net, items)
	if err != nil {
		return cli.Usagef("--select: %w", err)
	}
	src, err := openSource(env, data, view, snaps[0].Net.InDim())
	if err != nil {
		return err
	}
	defer src.r.Close()
	if dm, nm := src.r.Meta().Model, nr.Meta().Model; dm != "" && nm != "" && dm != nm {
		env.Logf("warning: %s comes from another HLTM than %s", src.r.Name(), netName)
	}
	cols := make([]arrowio.EmbedBlock, len(blocks))
	for i, b := range blocks {
		cols[i] = arrowio.EmbedBlock{Name: b.Name, Width: b.Width}
	}
	w, err := env.Create(nr.Meta(), arrowio.KindEmbed, arrowio.EmbedColumns(cols, src.nodes))
	if err != nil {
		return err
	}
	defer w.Abort()
	rows, err := src.embed(env, w, snaps, idx, blocks)
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	env.Summary("%d rows × %d snapshot(s) of %s: %d values per row (%s)", rows, len(idx), nn.SpecOf(snaps[0].Net), embed.Width(blocks), strings.Join(items, ","))
	return nil
}

// dataFlags checks --data and --view.
func dataFlags(env *cli.Env) (data, view string, err error) {
	data = env.String("data")
	if data == "" {
		return "", "", cli.Usagef("--data FILE is required: the samples (hltm-gen) or views (augment) to embed")
	}
	if outfile.IsStd(data) && outfile.IsStd(env.String(cli.FlagIn)) {
		return "", "", cli.Usagef("--data and --in cannot both be stdin: give one of them a file")
	}
	view = env.String("view")
	if view != "a" && view != "b" {
		return "", "", cli.Usagef("--view %q: want a or b", view)
	}
	return data, view, nil
}

// epochsOf returns the snapshots' epochs in file order.
func epochsOf(snaps []nn.Snapshot) []int {
	epochs := make([]int, len(snaps))
	for i, s := range snaps {
		epochs[i] = s.Epoch
	}
	return epochs
}

// source is the samples or views file being embedded: its input column
// xcol, its latents zcol (nodes values per row, 0 when absent) and
// whether it has an id column.
type source struct {
	r          *arrowio.Reader
	xcol, zcol string
	nodes      int
	hasID      bool
}

// openSource opens data and checks that its kind and columns fit a
// network reading in values per row.
func openSource(env *cli.Env, data, view string, in int) (*source, error) {
	dr, err := env.OpenPath(data, "")
	if err != nil {
		return nil, err
	}
	s, err := checkSource(dr, view, in)
	if err != nil {
		dr.Close()
		return nil, err
	}
	return s, nil
}

func checkSource(dr *arrowio.Reader, view string, in int) (*source, error) {
	s := &source{r: dr, xcol: "x", zcol: "z"}
	switch dr.Meta().Kind {
	case arrowio.KindSamples:
	case arrowio.KindViews:
		s.xcol, s.zcol = "x_"+view, "z_"+view
	default:
		return nil, fmt.Errorf("%s is a %s file; embed needs hltm-samples (made by hltm-gen) or views (made by augment)", dr.Name(), dr.Meta().Kind)
	}
	xc, err := dr.LeafColumn(s.xcol)
	if err != nil {
		return nil, err
	}
	if xc.Size != in {
		return nil, fmt.Errorf("%s: %s has %d values per row, the network reads %d", dr.Name(), s.xcol, xc.Size, in)
	}
	if zc, err := dr.BinaryColumn(s.zcol); err == nil {
		s.nodes = zc.Size
	} else if !errors.Is(err, arrowio.ErrNoColumn) {
		return nil, err
	}
	_, idErr := dr.Column("id", arrowio.Int64)
	if idErr != nil && !errors.Is(idErr, arrowio.ErrNoColumn) {
		return nil, idErr
	}
	s.hasID = idErr == nil
	return s, nil
}

// embed streams the source through the selected snapshots (idx into
// snaps) and writes one row per snapshot and input row to w. It returns
// the number of input rows.
func (s *source) embed(env *cli.Env, w *arrowio.Writer, snaps []nn.Snapshot, idx []int, blocks []embed.Block) (int64, error) {
	embs := make([]*embed.Embedder, len(idx))
	for k, i := range idx {
		embs[k] = embed.New(snaps[i].Net, blocks)
	}
	out := make([][]float64, len(blocks))
	var ids []int64
	var xbuf []float64
	var epochCol []int32
	next := int64(0)
	prog := env.Progress(0, "rows")
	for s.r.Next() {
		b := s.r.Batch()
		rows := b.Rows()
		if err := embed.CheckBatch(rows, blocks); err != nil {
			return 0, fmt.Errorf("%s: %w", s.r.Name(), err)
		}
		x, _, err := b.FixedLeaves(s.xcol, &xbuf)
		if err != nil {
			return 0, err
		}
		if ids, err = s.batchIDs(b, next, ids[:0]); err != nil {
			return 0, err
		}
		next += int64(rows)
		var z []int8
		if s.nodes > 0 {
			if z, _, err = b.Binary(s.zcol); err != nil {
				return 0, err
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
			if s.nodes > 0 {
				colv = append(colv, z)
			}
			if err := w.WriteColumns(rows, colv...); err != nil {
				return 0, err
			}
		}
		prog.Add(int64(rows))
	}
	if err := s.r.Err(); err != nil {
		return 0, err
	}
	prog.Finish()
	return next, nil
}

// batchIDs appends the batch's ids to ids: its id column, or the row
// numbers from next on when the file has none.
func (s *source) batchIDs(b *arrowio.Batch, next int64, ids []int64) ([]int64, error) {
	if !s.hasID {
		for i := 0; i < b.Rows(); i++ {
			ids = append(ids, next+int64(i))
		}
		return ids, nil
	}
	v, err := b.Int64("id")
	if err != nil {
		return nil, err
	}
	return append(ids, v...), nil
}
