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
		Docs:  "docs/theory.md §8 (the probe and its ceiling), §10 (amplification)",
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

Every row also compares its snapshot with the first one (the
initialisation): the rank correlation of |corr| over the latent's neurons,
the first snapshot's rank of this one's best neuron, and the fraction of
neurons that kept their sign (amplification of initial selectivity,
docs/theory.md §10). stderr gets its per-level summary; --plot-amp draws
|corr| at the first against the last snapshot for every neuron, and the
trajectories of the best ones.

  hltm-gen --depth 5 -n 64000 --seed 1 | augment --negatives 1 --seed 2 | ssl-train --seed 3 > net.arrows
  hltm-gen --from net.arrows -n 64000 --seed 4 > fresh.arrows   # same model, new samples
  probe --data fresh.arrows --plot levels.png < net.arrows > probe.arrows

probe reads no randomness: the same inputs give the same bytes, whatever
--threads is.`,
		Input: true, Output: true, Threads: true,
		NoConfig: []string{"data", "neurons", "plot", "plot-amp", "lineval", cli.FlagPlotSize, cli.FlagPlotDPI},
		Flags: append(append([]ucli.Flag{
			cli.InputFile(&ucli.StringFlag{Name: "data", Usage: "probe samples `FILE` (hltm-samples from the networks' model; required)"}),
			cli.OutputFile(&ucli.StringFlag{Name: "neurons", Usage: "also write one row per neuron to `FILE`"}),
			cli.OutputFile(&ucli.StringFlag{Name: "plot", Usage: "draw mean best |corr| per level, with each level's ceiling, to `FILE` (.png, .svg or .pdf)"}),
			cli.OutputFile(&ucli.StringFlag{Name: "plot-amp", Usage: "draw the amplification figure (|corr| of every neuron, first vs last snapshot; best neurons' trajectories) to `FILE` (.png, .svg or .pdf)"}),
		}, cli.PlotFlags("16x11", "the --plot figure")...), linevalFlags...),
		Action: run,
	}
}

// options are the validated flags.
type options struct {
	data, neurons, plot, amp string
	format, ampFormat        string
	size                     report.Size   // --plot-size, --plot-dpi
	lv                       *linevalSetup // nil without --lineval
}

func parseOptions(env *cli.Env) (*options, error) {
	o := &options{data: env.String("data"), neurons: env.String("neurons"), plot: env.String("plot"), amp: env.String("plot-amp")}
	switch {
	case o.data == "":
		return nil, cli.Usagef("--data FILE is required: the hltm-samples file to probe with (made by hltm-gen)")
	case outfile.IsStd(o.data) && outfile.IsStd(env.String(cli.FlagIn)):
		return nil, cli.Usagef("--data and --in cannot both be stdin: give one of them a file")
	case o.neurons == "-" || o.plot == "-" || o.amp == "-":
		return nil, cli.Usagef("--neurons, --plot and --plot-amp need a file name, not stdout")
	}
	var err error
	if o.lv, err = parseLineval(env); err != nil {
		return nil, err
	}
	if o.plot != "" {
		if o.format, err = report.FormatOf(o.plot); err != nil {
			return nil, cli.Usagef("--plot: %v", err)
		}
	}
	if o.amp != "" {
		if o.ampFormat, err = report.FormatOf(o.amp); err != nil {
			return nil, cli.Usagef("--plot-amp: %v", err)
		}
	}
	if o.plot != "" || o.amp != "" {
		if o.size, err = cli.PlotSize(env.Context); err != nil {
			return nil, err
		}
	}
	// Refuse a terminal or a missing directory now, not after the work.
	if err := env.RefuseTerminal(env.String(cli.FlagOut)); err != nil {
		return nil, err
	}
	for _, f := range []struct{ flag, path string }{{cli.FlagOut, env.String(cli.FlagOut)}, {"neurons", o.neurons}, {"plot", o.plot}, {"plot-amp", o.amp}, {"lineval", env.String("lineval")}} {
		if f.path == "" || outfile.IsStd(f.path) {
			continue
		}
		if fi, err := os.Stat(filepath.Dir(f.path)); err != nil {
			return nil, fmt.Errorf("--%s %s: directory %s does not exist", f.flag, f.path, filepath.Dir(f.path))
		} else if !fi.IsDir() {
			return nil, fmt.Errorf("--%s %s: %s is not a directory", f.flag, f.path, filepath.Dir(f.path))
		}
	}
	return o, nil
}

func run(env *cli.Env) error {
	o, err := parseOptions(env)
	if err != nil {
		return err
	}
	nr, err := env.OpenNetworks()
	if err != nil {
		return err
	}
	defer nr.Close()
	snaps, err := nr.ReadAll() // snapshots are small
	if err != nil {
		return err
	}
	nets := make([]*nn.Network, len(snaps))
	for i, s := range snaps {
		nets[i] = s.Net
	}
	sr, err := env.OpenPath(o.data, arrowio.KindSamples)
	if err != nil {
		return err
	}
	defer sr.Close()
	m, err := sameModel(nr, sr)
	if err != nil {
		return err
	}
	p, err := probe.New(m, nets, probe.Options{Threads: env.Threads()})
	if err != nil {
		return fmt.Errorf("%s: %w", nr.Name(), err)
	}
	res, err := feed(env, p, sr, m, o.lv)
	if err != nil {
		return err
	}
	var lres *linevalResult
	if o.lv != nil {
		if lres, err = o.lv.run(env, m, snaps, nr.Name(), sr.Name()); err != nil {
			return err
		}
	}
	// Everything is computed: encode the pictures, then write the outputs.
	pictures := map[string][]byte{}
	if o.plot != "" {
		if pictures[o.plot], err = draw(m, snaps, res, o.format, o.size); err != nil {
			return err
		}
	}
	if o.amp != "" {
		if pictures[o.amp], err = drawAmp(m, snaps, res, o.ampFormat); err != nil {
			return err
		}
	}
	if err := writeOutputs(env, o, nr.Meta(), m, snaps, res, lres, pictures); err != nil {
		return err
	}
	if !env.Quiet() {
		summary(env.Stderr, m, snaps, res)
		if len(snaps) > 1 {
			ampSummary(env.Stderr, m, snaps, res)
		}
		if lres != nil {
			lres.summary(env.Stderr, m, res.Arch)
		}
	}
	return nil
}

// feed gives every sample of sr to the prober and returns its result; lv
// (nil without --lineval) keeps the first samples it needs.
func feed(env *cli.Env, p *probe.Prober, sr *arrowio.Reader, m *hltm.Model, lv *linevalSetup) (*probe.Result, error) {
	samples, err := arrowio.NewSamplesReader(sr, env.Tool, m.NumNodes(), m.NumLeaves())
	if err != nil {
		return nil, err
	}
	prog := env.Progress(sr.Meta().PlannedRows(), "samples")
	for samples.Next() {
		b, err := samples.Samples()
		if err != nil {
			return nil, err
		}
		lv.capture(m, b.Z, b.X)
		if err := p.Add(b.Z, b.X); err != nil {
			return nil, fmt.Errorf("%s: %w", sr.Name(), err)
		}
		prog.Add(int64(b.Rows))
	}
	if err := sr.Err(); err != nil {
		return nil, err
	}
	prog.Finish()
	res, err := p.Result()
	if errors.Is(err, probe.ErrNoSamples) {
		return nil, fmt.Errorf("%s: no samples: probe needs at least one (hltm-gen -n N)", sr.Name())
	}
	return res, err
}

// writeOutputs writes the table, --neurons, --lineval and the pictures
// (by path); if one fails, none of the pictures is left behind.
func writeOutputs(env *cli.Env, o *options, meta arrowio.Meta, m *hltm.Model, snaps []nn.Snapshot, res *probe.Result, lres *linevalResult, pictures map[string][]byte) error {
	w, err := env.Create(meta, arrowio.ProbeNodes.Kind, arrowio.ProbeNodes.Columns())
	if err != nil {
		return err
	}
	defer w.Abort()
	if err := writeNodes(arrowio.ProbeNodes.Writer(w), m, snaps, res); err != nil {
		return err
	}
	var nw *arrowio.Writer
	if o.neurons != "" {
		if nw, err = env.CreatePath(o.neurons, meta, arrowio.ProbeNeurons.Kind, arrowio.ProbeNeurons.Columns()); err != nil {
			return err
		}
		defer nw.Abort()
		if err := writeNeurons(arrowio.ProbeNeurons.Writer(nw), m, snaps, res); err != nil {
			return err
		}
	}
	var lw *arrowio.Writer
	if lres != nil {
		if lw, err = env.CreatePath(o.lv.path, meta, arrowio.Lineval.Kind, arrowio.Lineval.Columns()); err != nil {
			return err
		}
		defer lw.Abort()
		if err := lres.write(arrowio.Lineval.Writer(lw), m); err != nil {
			return err
		}
	}
	var written []string
	removeWritten := func() {
		for _, p := range written {
			os.Remove(p)
		}
	}
	for _, pic := range []struct{ flag, path string }{{"--plot", o.plot}, {"--plot-amp", o.amp}} {
		if pic.path == "" {
			continue
		}
		if err := outfile.WriteFile(pic.path, pictures[pic.path], 0o666); err != nil {
			removeWritten()
			return fmt.Errorf("%s: %w", pic.flag, err)
		}
		written = append(written, pic.path)
	}
	if err := w.Close(); err != nil {
		removeWritten()
		return err
	}
	for _, x := range []*arrowio.Writer{nw, lw} {
		if x != nil {
			if err := x.Close(); err != nil {
				return err
			}
		}
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

func writeNodes(w *arrowio.RowWriter[arrowio.ProbeNode], m *hltm.Model, snaps []nn.Snapshot, res *probe.Result) error {
	for i, s := range snaps {
		amp := res.Amplification(i)
		for _, nr := range res.Snapshots[i].Nodes {
			lr := nr.Layers[nr.Best]
			mu := nr.Node
			a := amp[mu]
			row := arrowio.ProbeNode{Epoch: int32(s.Epoch), Node: int32(mu), Name: m.Name(mu), Level: int32(m.Level(mu)),
				DepthIndex: int32(m.DepthIndex(mu)), Layer: int32(lr.Layer), BestAbsCorr: nr.BestAbs,
				BestCorr: lr.Corr[lr.BestNeuron], BestNeuron: int32(lr.BestNeuron), Ceiling: nr.Ceiling, Fraction: nr.Fraction,
				AmpSpearman: a.Spearman, AmpInitRank: int32(a.InitRank), AmpNeurons: int32(a.Neurons), AmpSignKept: a.SignKept}
			if err := w.Write(row); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeNeurons(w *arrowio.RowWriter[arrowio.ProbeNeuron], m *hltm.Model, snaps []nn.Snapshot, res *probe.Result) error {
	for i, s := range snaps {
		for _, nr := range res.Snapshots[i].Nodes {
			mu := nr.Node
			for _, lr := range nr.Layers {
				for k, c := range lr.Corr {
					row := arrowio.ProbeNeuron{Epoch: int32(s.Epoch), Node: int32(mu), Name: m.Name(mu), Level: int32(m.Level(mu)),
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
func levels(m *hltm.Model, snaps []nn.Snapshot, res *probe.Result) []report.Level {
	order := make([]int, len(snaps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return snaps[order[a]].Epoch < snaps[order[b]].Epoch })
	out := make([]report.Level, m.Depth())
	for _, i := range order {
		s := snaps[i]
		for lv, ls := range res.Levels(m, i) {
			out[lv].Level, out[lv].DepthIndex, out[lv].Ceiling = ls.Level, ls.DepthIndex, ls.Ceiling
			out[lv].Epochs = append(out[lv].Epochs, float64(s.Epoch))
			out[lv].BestAbs = append(out[lv].BestAbs, ls.BestAbs)
		}
	}
	return out
}

func draw(m *hltm.Model, snaps []nn.Snapshot, res *probe.Result, format string, size report.Size) ([]byte, error) {
	lv := levels(m, snaps, res)
	title := fmt.Sprintf("latent recovery: %s network, depth %d, %d samples", res.Arch, m.Depth(), res.Samples)
	draw := report.Curves
	if len(snaps) == 1 {
		title = fmt.Sprintf("latent recovery at epoch %d: %s network, depth %d, %d samples", snaps[0].Epoch, res.Arch, m.Depth(), res.Samples)
		draw = report.Bars
	}
	plt, err := draw(title, lv)
	if err != nil {
		return nil, err
	}
	return plt.Encode(format, size)
}

// summary prints the per-level table: ceiling, mean best |corr| of the
// first and last snapshot, and the last one's recovered fraction.
func summary(w io.Writer, m *hltm.Model, snaps []nn.Snapshot, res *probe.Result) {
	first, last := 0, len(snaps)-1
	e0, e1 := snaps[first].Epoch, snaps[last].Epoch
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
