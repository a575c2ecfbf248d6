package probecmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli"
	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/outfile"
	"github.com/dualssl/dualssl/pkg/probe"
	"github.com/dualssl/dualssl/pkg/report"
)

// Main runs probe with args (os.Args) and returns the exit code.
func Main(args []string) int { return cli.Main(App(), args) }

// App returns the probe command.
func App() *ucli.App { return cli.NewApp(Tool()) }

// Tool describes probe.
func Tool() cli.Tool {
	return cli.Tool{
		Name:  "probe",
		Usage: "measure how well each network snapshot recovers the HLTM latents, against the best possible",
		Docs:  "docs/theory.md §8 (the probe and its ceiling)",
		Description: `
Reads network snapshots (made by ssl-train) from stdin or --in and samples
(made by hltm-gen from the same model) from --data. For every snapshot and
latent z, it correlates z with the pre-activation of every neuron that may
represent it (tree network: the node's group; MLP: every neuron of every
layer) and reports best |corr|, the ceiling corr(z, E[z | the leaves those
neurons see]) computed exactly by message passing, and the recovered
fraction. Writes a tidy table (one row per epoch and latent) to stdout or
--out, a per-level summary (first and last snapshot) to stderr, and with
--plot a figure of mean best |corr| per level against epoch.

  hltm-gen --depth 5 -n 64000 --seed 1 | augment --seed 2 | ssl-train --seed 3 > net.arrows
  hltm-gen --from net.arrows -n 64000 --seed 4 > fresh.arrows   # same model, new samples
  probe --data fresh.arrows --plot levels.png < net.arrows > probe.arrows

probe reads no randomness: the same inputs give the same bytes, whatever
--threads is.`,
		Input: true, Output: true, Threads: true,
		NoConfig: []string{"data", "neurons", "plot", cli.FlagPlotSize, cli.FlagPlotDPI},
		Flags: append([]ucli.Flag{
			&ucli.StringFlag{Name: "data", Usage: "probe samples `FILE` (hltm-samples from the networks' model; required)"},
			&ucli.StringFlag{Name: "neurons", Usage: "also write one row per neuron to `FILE`"},
			&ucli.StringFlag{Name: "plot", Usage: "draw mean best |corr| per level, with each level's ceiling, to `FILE` (.png, .svg or .pdf)"},
		}, cli.PlotFlags("16x11", "the --plot figure")...),
		Action: run,
	}
}

type snapshot struct {
	epoch int
	net   *nn.Network
}

func run(env *cli.Env) error {
	data, neurons, plotPath := env.String("data"), env.String("neurons"), env.String("plot")
	if data == "" {
		return cli.Usagef("--data FILE is required: the hltm-samples file to probe with (made by hltm-gen)")
	}
	if outfile.IsStd(data) && outfile.IsStd(env.String(cli.FlagIn)) {
		return cli.Usagef("--data and --in cannot both be stdin: give one of them a file")
	}
	if neurons == "-" || plotPath == "-" {
		return cli.Usagef("--neurons and --plot need a file name, not stdout")
	}
	format := ""
	var size report.Size
	if plotPath != "" {
		var err error
		if format, err = report.FormatOf(plotPath); err != nil {
			return cli.Usagef("--plot %v", err)
		}
		if size, err = cli.PlotSize(env.Context); err != nil {
			return err
		}
	}
	// Refuse a terminal or a missing directory now, not after the work.
	if outfile.IsStd(env.String(cli.FlagOut)) && cli.IsTerminal(env.Stdout) {
		return cli.Usagef("refusing to write Arrow data to a terminal: redirect stdout or pass --out FILE")
	}
	for _, f := range []struct{ flag, path string }{{cli.FlagOut, env.String(cli.FlagOut)}, {"neurons", neurons}, {"plot", plotPath}} {
		if f.path == "" || outfile.IsStd(f.path) {
			continue
		}
		if fi, err := os.Stat(filepath.Dir(f.path)); err != nil {
			return fmt.Errorf("--%s %s: directory %s does not exist", f.flag, f.path, filepath.Dir(f.path))
		} else if !fi.IsDir() {
			return fmt.Errorf("--%s %s: %s is not a directory", f.flag, f.path, filepath.Dir(f.path))
		}
	}

	// Snapshots: all of them, in file order (they are small).
	nr, err := env.OpenNetworks()
	if err != nil {
		return err
	}
	defer nr.Close()
	netName := env.String(cli.FlagIn)
	if outfile.IsStd(netName) {
		netName = "stdin"
	}
	var snaps []snapshot
	for {
		epoch, net, err := nr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		snaps = append(snaps, snapshot{epoch, net})
	}
	if len(snaps) == 0 {
		return fmt.Errorf("%s: no network snapshot", netName)
	}
	netMeta := nr.Meta()

	// Samples, from the same model.
	sr, err := env.OpenPath(data, arrowio.KindSamples)
	if err != nil {
		return err
	}
	defer sr.Close()
	m, err := sameModel(nr, sr)
	if err != nil {
		return err
	}
	samples, err := arrowio.NewSamplesReader(sr, env.Tool, m.NumNodes(), m.NumLeaves())
	if err != nil {
		return err
	}
	nets := make([]*nn.Network, len(snaps))
	for i, s := range snaps {
		nets[i] = s.net
	}
	p, err := probe.New(m, nets, probe.Options{Threads: env.Threads()})
	if err != nil {
		return fmt.Errorf("%s: %v", netName, err)
	}
	prog := env.Progress(0, "samples")
	for samples.Next() {
		b, err := samples.Samples()
		if err != nil {
			return err
		}
		if err := p.Add(b.Z, b.X); err != nil {
			return fmt.Errorf("%s: %w", sr.Name(), err)
		}
		prog.Add(int64(b.Rows))
	}
	if err := sr.Err(); err != nil {
		return err
	}
	prog.Finish()
	res, err := p.Result()
	if errors.Is(err, probe.ErrNoSamples) {
		return fmt.Errorf("%s: no samples: probe needs at least one (hltm-gen -n N)", sr.Name())
	}
	if err != nil {
		return err
	}

	// Everything is computed: encode the picture, then write the outputs.
	var picture []byte
	if plotPath != "" {
		if picture, err = draw(m, snaps, res, format, size); err != nil {
			return err
		}
	}
	w, err := env.Create(netMeta, arrowio.ProbeNodes.Kind, arrowio.ProbeNodes.Columns())
	if err != nil {
		return err
	}
	defer w.Abort()
	if err := writeNodes(arrowio.ProbeNodes.Writer(w), m, snaps, res); err != nil {
		return err
	}
	var nw *arrowio.Writer
	if neurons != "" {
		if nw, err = env.CreatePath(neurons, netMeta, arrowio.ProbeNeurons.Kind, arrowio.ProbeNeurons.Columns()); err != nil {
			return err
		}
		defer nw.Abort()
		if err := writeNeurons(arrowio.ProbeNeurons.Writer(nw), m, snaps, res); err != nil {
			return err
		}
	}
	if picture != nil {
		if err := writeAtomic(plotPath, picture); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		if picture != nil {
			os.Remove(plotPath)
		}
		return err
	}
	if nw != nil {
		if err := nw.Close(); err != nil {
			return err
		}
	}
	if !env.Quiet() {
		summary(env.Stderr, m, snaps, res)
	}
	return nil
}

// modelFile is an open file that carries an HLTM.
type modelFile interface {
	Name() string
	Model() (*hltm.Model, error)
}

// sameModel parses both files' models and requires them to be equal.
func sameModel(nets, data modelFile) (*hltm.Model, error) {
	mn, err := nets.Model()
	if err != nil {
		return nil, err
	}
	md, err := data.Model()
	if err != nil {
		return nil, err
	}
	if !mn.Equal(md) {
		what := "same tree shape, other polarities"
		if mn.Depth() != md.Depth() || mn.Children() != md.Children() {
			what = fmt.Sprintf("depth %d with %d children, not depth %d with %d", md.Depth(), md.Children(), mn.Depth(), mn.Children())
		}
		from := nets.Name()
		if from == "stdin" {
			from = "NET.arrows"
		}
		return nil, fmt.Errorf("%s comes from another HLTM than %s (%s): draw probe samples from the networks' model, e.g. hltm-gen --from %s", data.Name(), nets.Name(), what, from)
	}
	return mn, nil
}

func writeNodes(w *arrowio.RowWriter[arrowio.ProbeNode], m *hltm.Model, snaps []snapshot, res *probe.Result) error {
	for i, s := range snaps {
		for _, nr := range res.Snapshots[i].Nodes {
			lr := nr.Layers[nr.Best]
			mu := nr.Node
			row := arrowio.ProbeNode{Epoch: int32(s.epoch), Node: int32(mu), Name: m.Name(mu), Level: int32(m.Level(mu)),
				DepthIndex: int32(m.DepthIndex(mu)), Layer: int32(lr.Layer), BestAbsCorr: nr.BestAbs,
				BestCorr: lr.Corr[lr.BestNeuron], BestNeuron: int32(lr.BestNeuron), Ceiling: nr.Ceiling, Fraction: nr.Fraction}
			if err := w.Write(row); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeNeurons(w *arrowio.RowWriter[arrowio.ProbeNeuron], m *hltm.Model, snaps []snapshot, res *probe.Result) error {
	for i, s := range snaps {
		for _, nr := range res.Snapshots[i].Nodes {
			mu := nr.Node
			for _, lr := range nr.Layers {
				for k, c := range lr.Corr {
					row := arrowio.ProbeNeuron{Epoch: int32(s.epoch), Node: int32(mu), Name: m.Name(mu), Level: int32(m.Level(mu)),
						DepthIndex: int32(m.DepthIndex(mu)), Layer: int32(lr.Layer), Neuron: int32(k), Corr: c}
					if err := w.Write(row); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// levels returns, per tree level, the mean best |corr| of every snapshot
// in ascending epoch order, and the mean ceiling.
func levels(m *hltm.Model, snaps []snapshot, res *probe.Result) []report.Level {
	order := make([]int, len(snaps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return snaps[order[a]].epoch < snaps[order[b]].epoch })
	out := make([]report.Level, m.Depth())
	for _, i := range order {
		s := snaps[i]
		for lv, ls := range res.Levels(m, i) {
			out[lv].Level, out[lv].DepthIndex, out[lv].Ceiling = ls.Level, ls.DepthIndex, ls.Ceiling
			out[lv].Epochs = append(out[lv].Epochs, float64(s.epoch))
			out[lv].BestAbs = append(out[lv].BestAbs, ls.BestAbs)
		}
	}
	return out
}

func draw(m *hltm.Model, snaps []snapshot, res *probe.Result, format string, size report.Size) ([]byte, error) {
	lv := levels(m, snaps, res)
	title := fmt.Sprintf("latent recovery: %s network, depth %d, %d samples", res.Arch, m.Depth(), res.Samples)
	draw := report.Curves
	if len(snaps) == 1 {
		title = fmt.Sprintf("latent recovery at epoch %d: %s network, depth %d, %d samples", snaps[0].epoch, res.Arch, m.Depth(), res.Samples)
		draw = report.Bars
	}
	plt, err := draw(title, lv)
	if err != nil {
		return nil, err
	}
	return plt.Encode(format, size)
}

// writeAtomic writes b to path through a temporary file in the same
// directory, so an interrupted run leaves no partial picture (a device
// such as /dev/null is written in place).
func writeAtomic(path string, b []byte) error {
	if err := outfile.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("--plot %v", err)
	}
	return nil
}

// summary prints the per-level table: ceiling, mean best |corr| of the
// first and last snapshot, and the last one's recovered fraction.
func summary(w io.Writer, m *hltm.Model, snaps []snapshot, res *probe.Result) {
	first, last := 0, len(snaps)-1
	e0, e1 := snaps[first].epoch, snaps[last].epoch
	if len(snaps) == 1 {
		fmt.Fprintf(w, "probe: %s network, 1 snapshot (epoch %d), %d samples\n", res.Arch, e1, res.Samples)
	} else {
		fmt.Fprintf(w, "probe: %s network, %d snapshots (epochs %d…%d), %d samples\n", res.Arch, len(snaps), e0, e1, res.Samples)
	}
	init, final := res.Levels(m, first), res.Levels(m, last)
	fmt.Fprintf(w, "%-6s %2s %6s %8s", "level", "d", "nodes", "ceiling")
	if len(snaps) > 1 {
		fmt.Fprintf(w, " %9s", fmt.Sprintf("best@%d", e0))
	}
	fmt.Fprintf(w, " %9s %9s", fmt.Sprintf("best@%d", e1), "fraction")
	mlp := res.Arch == nn.ArchMLP
	if mlp {
		fmt.Fprintf(w, " %6s", "layer")
	}
	fmt.Fprintln(w)
	for lv, f := range final {
		name := fmt.Sprint(lv)
		if lv == 0 {
			name = "root"
		}
		fmt.Fprintf(w, "%-6s %2d %6d %8.4f", name, f.DepthIndex, f.Nodes, f.Ceiling)
		if len(snaps) > 1 {
			fmt.Fprintf(w, " %9.4f", init[lv].BestAbs)
		}
		fmt.Fprintf(w, " %9.4f %9.4f", f.BestAbs, f.Fraction)
		if mlp {
			fmt.Fprintf(w, " %6d", commonBestLayer(m, res.Snapshots[last], lv))
		}
		fmt.Fprintln(w)
	}
}

// commonBestLayer returns the layer that most often holds the best neuron
// of a level's latents (the lowest on ties).
func commonBestLayer(m *hltm.Model, s probe.SnapshotResult, level int) int {
	count := map[int]int{}
	best := 0
	for mu := m.LevelStart(level); mu < m.LevelStart(level+1); mu++ {
		nr := s.Nodes[mu]
		l := nr.Layers[nr.Best].Layer
		count[l]++
		if count[l] > count[best] || (count[l] == count[best] && l < best) {
			best = l
		}
	}
	return best
}
