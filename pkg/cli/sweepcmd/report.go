package sweepcmd

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli"
	figure "github.com/dualssl/dualssl/pkg/report"
	"github.com/dualssl/dualssl/pkg/sweep"
)

func reportCommand(stdout io.Writer) *ucli.Command {
	return &ucli.Command{
		Name:  "report",
		Usage: "gather every run's probe and covop tables into one Arrow table and summarise them",
		Description: "Reads the grid to know every run, then each finished run's probe (and covop)\n" +
			"table under --runs. Writes one tidy Arrow table (kind \"sweep\"): run, kind (probe or\n" +
			"covop), one column per grid parameter, then the union of the tables' columns\n" +
			"(a column one kind lacks holds NaN, \"\" or an empty list there). Prints on stderr,\n" +
			"per setting and level, mean ± sd over seeds of the level's mean best |corr| at\n" +
			"initialisation (epoch 0) and at the last epoch. Runs that have not finished are\n" +
			"named with the stage that failed; without --allow-missing they are an error.\n\n" +
			"Example (what make -f sweep.mk runs last):\n" +
			"  hltm-sweep report --grid grid.txt --runs runs --summary runs/summary.md \\\n" +
			"      --plots runs/plots --out runs/sweep.arrows",
		Flags: []ucli.Flag{
			cli.InputFile(&ucli.StringFlag{Name: "grid", Usage: "the sweep's grid `FILE`"}),
			&ucli.StringFlag{Name: "runs", Value: "runs", Usage: "the runs `DIR`"},
			cli.OutputFile(&ucli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "-", Usage: "write the gathered table to `FILE` (- = stdout)"}),
			cli.OutputFile(&ucli.StringFlag{Name: "summary", Usage: "also write the summary table (Markdown) to `FILE`"}),
			&ucli.StringFlag{Name: "plots", Usage: "write trend and learning-curve plots into `DIR`"},
			&ucli.StringFlag{Name: "plot-format", Value: "png", Usage: "picture `FORMATS` of --plots, comma-separated: png, svg, pdf", EnvVars: cli.EnvVars("plot-format")},
			&ucli.IntFlag{Name: cli.FlagPlotDPI, Value: figure.DPI, Usage: "resolution `DPI` of PNG plots (SVG and PDF are vector formats)", EnvVars: cli.EnvVars(cli.FlagPlotDPI)},
			&ucli.BoolFlag{Name: "allow-missing", Usage: "report on the finished runs when some have not finished (and name them)", EnvVars: cli.EnvVars("allow-missing")},
			&ucli.StringFlag{Name: "format", Value: "arrow", Usage: "`arrow`: the table on --out; text: the summary on stdout instead", EnvVars: cli.EnvVars("format")},
			&ucli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print no summary on stderr", EnvVars: cli.EnvVars("quiet")},
		},
		Action: func(c *ucli.Context) error { return report(c, stdout) },
	}
}

// runStatus says why a run has no results.
func runStatus(dir string) string {
	if b, err := os.ReadFile(filepath.Join(dir, sweep.FileFailed)); err == nil {
		var stages []string
		seen := map[string]bool{}
		for _, st := range strings.Fields(string(b)) {
			if !seen[st] {
				seen[st] = true
				stages = append(stages, st)
			}
		}
		switch len(stages) {
		case 0:
		case 1:
			return fmt.Sprintf("failed at stage %s (see its make or Slurm log)", stages[0])
		default:
			return fmt.Sprintf("failed at stages %s (see its make or Slurm log)", strings.Join(stages, ", "))
		}
	}
	if _, err := os.Stat(dir); err == nil {
		return "unfinished (interrupted, or still running)"
	}
	return "not run"
}

func readTable(path string, kind arrowio.Kind) (*arrowio.Table, error) {
	r, err := arrowio.Open(path, nil)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if err := r.Expect(kind, Name+" report"); err != nil {
		return nil, err
	}
	return arrowio.ReadTable(r)
}

// nonFinite names the first probe row whose best |corr| is NaN or ±Inf
// ("" when there is none); the ceiling may be NaN (unknown).
func nonFinite(path string, rows []sweep.ProbeRow) string {
	for i, r := range rows {
		if math.IsNaN(r.BestAbsCorr) || math.IsInf(r.BestAbsCorr, 0) {
			return fmt.Sprintf("%s: best_abs_corr is %v at row %d (epoch %d, node %d)", path, r.BestAbsCorr, i, r.Epoch, r.Node)
		}
	}
	return ""
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// linevalRows extracts what the summary needs from a lineval table.
func linevalRows(path string, t *arrowio.Table) ([]sweep.LinevalRow, error) {
	ints := map[string][]int32{}
	for _, c := range []string{"epoch", "node", "level", "depth_index"} {
		v, err := t.Int32(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		ints[c] = v
	}
	feats, err := t.String("features")
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	acc, err := t.Float64("accuracy")
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	ceil, err := t.Float64("ceiling")
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	out := make([]sweep.LinevalRow, t.Rows())
	for i := range out {
		out[i] = sweep.LinevalRow{Epoch: int(ints["epoch"][i]), Node: int(ints["node"][i]), Level: int(ints["level"][i]),
			DepthIndex: int(ints["depth_index"][i]), Features: feats[i], Accuracy: acc[i], Ceiling: ceil[i]}
	}
	return out, nil
}

// probeRows extracts what the summary needs from a probe table.
func probeRows(path string, t *arrowio.Table) ([]sweep.ProbeRow, error) {
	ints := map[string][]int64{}
	for _, name := range []string{"epoch", "node", "level", "depth_index"} {
		c, ok := t.Column(name)
		if !ok {
			return nil, fmt.Errorf("%s: probe table has no column %s: make it again with this version's probe", path, name)
		}
		col := &c
		v, err := intColumn(t, *col)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		ints[name] = v
	}
	best, err := t.Float64("best_abs_corr")
	if err != nil {
		return nil, err
	}
	ceiling := optionalFloats(t, "ceiling")
	// The amplification columns (probe of this version), all or none.
	sp, rank, neurons, sign := optionalFloats(t, "amp_spearman"), optionalInts(t, "amp_init_rank"), optionalInts(t, "amp_neurons"), optionalFloats(t, "amp_sign_kept")
	amp := sp != nil && rank != nil && neurons != nil && sign != nil
	rows := make([]sweep.ProbeRow, t.Rows())
	for i := range rows {
		rows[i] = sweep.ProbeRow{Epoch: int(ints["epoch"][i]), Node: int(ints["node"][i]), Level: int(ints["level"][i]),
			DepthIndex: int(ints["depth_index"][i]), BestAbsCorr: best[i], Ceiling: math.NaN()}
		if ceiling != nil {
			rows[i].Ceiling = ceiling[i]
		}
		if amp {
			rows[i].Amp = sweep.Amp{Spearman: sp[i], InitRank: int(rank[i]), Neurons: int(neurons[i]), SignKept: sign[i]}
		}
	}
	return rows, nil
}

// covopRows extracts the level and layer rows of a covop table with what
// the operator summary needs (NaN for columns the table lacks); a table
// without epoch, scope, level and depth_index gives none (the summary
// leaves the run out; the gathered table still has its rows).
func covopRows(t *arrowio.Table) []sweep.CovopRow {
	epoch, level, depth := optionalInts(t, "epoch"), optionalInts(t, "level"), optionalInts(t, "depth_index")
	scope, err := t.String("scope")
	if err != nil || epoch == nil || level == nil || depth == nil {
		return nil
	}
	get := func(name string) func(i int) float64 {
		if v := optionalFloats(t, name); v != nil {
			return func(i int) float64 { return v[i] }
		}
		return func(int) float64 { return math.NaN() }
	}
	cos, res, noise, a1, an := get("step_cos"), get("step_residue"), get("step_noise"), get("align_1"), get("align_n")
	var rows []sweep.CovopRow
	for i := range t.Rows() {
		if scope[i] == "node" {
			continue
		}
		rows = append(rows, sweep.CovopRow{Epoch: int(epoch[i]), Level: int(level[i]), DepthIndex: int(depth[i]),
			StepCos: cos(i), StepResidue: res(i), StepNoise: noise(i), Align1: a1(i), AlignN: an(i)})
	}
	return rows
}

// optionalFloats returns the float64 column name, or nil when the table
// has no such column of that type.
func optionalFloats(t *arrowio.Table, name string) []float64 {
	for _, c := range t.Columns() {
		if c.Name == name && c.Type == arrowio.Float64 {
			if v, err := t.Float64(name); err == nil {
				return v
			}
		}
	}
	return nil
}

// optionalInts returns the integer column name as int64, or nil when the
// table has no such integer column.
func optionalInts(t *arrowio.Table, name string) []int64 {
	for _, c := range t.Columns() {
		if c.Name == name {
			if v, err := intColumn(t, c); err == nil {
				return v
			}
		}
	}
	return nil
}

func report(c *ucli.Context, stdout io.Writer) error {
	format, out, err := reportOutput(c, stdout)
	if err != nil {
		return err
	}
	g, runs, err := readGrid(c.String("grid"))
	if err != nil {
		return err
	}
	runsDir := c.String("runs")
	if st, err := os.Stat(runsDir); err != nil || !st.IsDir() {
		return fmt.Errorf("%s: no runs directory: run the sweep first (make -f sweep.mk), or point --runs at it", runsDir)
	}
	col, err := collect(c, g, runs, runsDir)
	if err != nil {
		return err
	}
	if err := checkFinished(c, g, runs, runsDir, col); err != nil {
		return err
	}
	text := summaryText(g, runs, col.results)
	// Build every output in memory first, then write: a failure leaves no partial file.
	plots, err := reportPlots(c, runs, col.results)
	if err != nil {
		return err
	}
	if format == "arrow" {
		if err := writeSweep(out, stdout, g, runsDir, col); err != nil {
			return err
		}
	} else if _, err := io.WriteString(stdout, text); err != nil {
		return err
	}
	if p := c.String("summary"); p != "" {
		if err := writeFile(p, []byte(text), 0o666); err != nil {
			return err
		}
	}
	for path, data := range plots {
		if err := writeFile(path, data, 0o666); err != nil {
			return err
		}
	}
	if !c.Bool("quiet") && format == "arrow" {
		fmt.Fprint(c.App.ErrWriter, text)
	}
	return nil
}

// reportOutput checks the report's arguments, --format and --out, and
// returns the last two.
func reportOutput(c *ucli.Context, stdout io.Writer) (format, out string, err error) {
	if c.NArg() > 0 {
		return "", "", cli.Usagef("report: unexpected argument %q (the grid goes in --grid)", c.Args().First())
	}
	format = c.String("format")
	if format != "arrow" && format != "text" {
		return "", "", cli.Usagef("--format %q: want arrow or text", format)
	}
	out = c.String("out")
	if format == "arrow" {
		if err := cli.RefuseTerminal(out, stdout); err != nil {
			return "", "", cli.Usagef("%v, or use --format text", err)
		}
	}
	if format == "text" && out != "-" && out != "" {
		return "", "", cli.Usagef("--format text prints the summary on stdout: drop --out (use --summary FILE for a file)")
	}
	return format, out, nil
}

// checkFinished lists the unfinished runs on stderr and refuses them
// unless --allow-missing; it refuses a sweep with no finished run.
func checkFinished(c *ucli.Context, g *sweep.Grid, runs []sweep.Run, runsDir string, col *collected) error {
	if missing := col.missing; len(missing) > 0 {
		errw := c.App.ErrWriter
		fmt.Fprintf(errw, "%s: %d of %d runs have not finished:\n", Name, len(missing), len(runs))
		for _, m := range missing {
			fmt.Fprintf(errw, "  %s\n", m)
		}
		if !c.Bool("allow-missing") {
			return fmt.Errorf("%d of %d runs have not finished: run make -k again, or report on the others with --allow-missing", len(missing), len(runs))
		}
	}
	if len(col.results) == 0 {
		return fmt.Errorf("none of the %d runs of %s has finished under %s: nothing to report", len(runs), g.Name, runsDir)
	}
	return nil
}

// reportPlots renders the --plots figures in memory, keyed by path (none
// without --plots).
func reportPlots(c *ucli.Context, runs []sweep.Run, results []sweep.RunResult) (map[string][]byte, error) {
	plots := map[string][]byte{}
	dir := c.String("plots")
	if dir == "" {
		return plots, nil
	}
	formats, err := plotFormats(c.String("plot-format"))
	if err != nil {
		return nil, err
	}
	dpi := c.Int(cli.FlagPlotDPI)
	if dpi < 30 || dpi > 1200 {
		return nil, cli.Usagef("--%s %d: must lie in [30, 1200]", cli.FlagPlotDPI, dpi)
	}
	if err := makePlots(runs, results, dir, formats, dpi, plots); err != nil {
		return nil, err
	}
	return plots, nil
}

// writeSweep writes the gathered table of every finished run (kind
// sweep) to out.
func writeSweep(out string, stdout io.Writer, g *sweep.Grid, runsDir string, col *collected) error {
	tab, err := gather(col.parts)
	if err != nil {
		return err
	}
	failed, _ := json.Marshal(append(append([]string{}, col.missing...), col.unusable...))
	cfg := fmt.Sprintf(`{"grid":%q,"runs":%q,"finished":%d,"unfinished":%s}`, g.Name, runsDir, len(col.results), failed)
	meta := arrowio.Meta{}.WithStep(arrowio.KindSweep, Name+" report", cli.Version, cfg)
	w, err := arrowio.Create(out, stdout, meta, tab.cols)
	if err != nil {
		return err
	}
	if err := w.WriteColumns(tab.rows, tab.data...); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

// plotFormats parses --plot-format.
func plotFormats(list string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(list, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if _, err := figure.FormatOf("x." + f); err != nil {
			return nil, cli.Usagef("--plot-format %q: %q is not one of %s", list, f, strings.Join(figure.Formats, ", "))
		}
		out = append(out, f)
	}
	return out, nil
}

// makePlots renders the trend figure of every varying key (seed excluded)
// and the learning curves of every setting into plots, keyed by path, in
// every format.
func makePlots(runs []sweep.Run, results []sweep.RunResult, dir string, formats []string, dpi int, plots map[string][]byte) error {
	add := func(f *figure.Figure, base string) error {
		for _, format := range formats {
			b, err := f.Encode(format, sweep.FigureSize(f, dpi))
			if err != nil {
				return err
			}
			plots[base+"."+format] = b
		}
		return nil
	}
	for _, key := range sweep.Varying(runs) {
		if key == "seed" {
			continue
		}
		f, err := sweep.TrendPlot(key, results)
		if err != nil {
			return err
		}
		if err := add(f, filepath.Join(dir, "trend-"+key)); err != nil {
			return err
		}
	}
	bySetting := map[string][]sweep.RunResult{}
	var order []string
	for _, r := range results {
		if _, ok := bySetting[r.Run.Setting]; !ok {
			order = append(order, r.Run.Setting)
		}
		bySetting[r.Run.Setting] = append(bySetting[r.Run.Setting], r)
	}
	for _, s := range order {
		title, name := strings.ReplaceAll(s, "/", ", "), strings.ReplaceAll(s, "/", ",")
		if s == "" {
			title, name = "all runs", "all"
		}
		f, err := sweep.CurvePlot(fmt.Sprintf("learning curves at %s (mean ± sd over %d seeds; dashed: ceilings)", title, len(bySetting[s])), bySetting[s])
		if err != nil {
			return err
		}
		if err := add(f, filepath.Join(dir, "curves", name)); err != nil {
			return err
		}
	}
	return nil
}

// hasOperatorMeasures reports whether covop measured the step or the
// alignment in any run (covop --step, --align).
func hasOperatorMeasures(ops []sweep.OperatorSummary) bool {
	for _, o := range ops {
		if o.CosLast.N > 0 || o.AlignN.N > 0 {
			return true
		}
	}
	return false
}

// collected is what report gathers from the runs' directories.
type collected struct {
	results           []sweep.RunResult
	parts             []part
	missing, unusable []string
}

// collect reads every finished run's probe (and covop) table; runs not
// finished are listed in missing, runs with a non-finite best |corr| in
// unusable (and named on stderr).
func collect(c *ucli.Context, g *sweep.Grid, runs []sweep.Run, runsDir string) (*collected, error) {
	var results []sweep.RunResult
	var parts []part
	var missing, unusable []string
	for _, r := range runs {
		dir := filepath.Join(runsDir, filepath.FromSlash(r.Dir))
		if _, err := os.Stat(filepath.Join(dir, sweep.FileDone)); err != nil {
			missing = append(missing, fmt.Sprintf("%s: %s", dir, runStatus(dir)))
			continue
		}
		probePath := filepath.Join(dir, sweep.FileProbe)
		pt, err := readTable(probePath, arrowio.KindProbe)
		if err != nil {
			return nil, err
		}
		rows, err := probeRows(probePath, pt)
		if err != nil {
			return nil, err
		}
		if bad := nonFinite(probePath, rows); bad != "" {
			// A diverged or degenerate run: name it and go on with the
			// others (its NaN would poison every mean and plot).
			fmt.Fprintf(c.App.ErrWriter, "%s: %s: this run is left out of the report\n", Name, bad)
			unusable = append(unusable, fmt.Sprintf("%s: %s", dir, bad))
			continue
		}
		res := sweep.RunResult{Run: r, Probe: rows}
		parts = append(parts, part{run: r, table: pt})
		if lvPath := filepath.Join(dir, sweep.FileLineval); fileExists(lvPath) {
			lt, err := readTable(lvPath, arrowio.KindLineval)
			if err != nil {
				return nil, err
			}
			if res.Lineval, err = linevalRows(lvPath, lt); err != nil {
				return nil, err
			}
			parts = append(parts, part{run: r, table: lt})
		}
		if g.Covop {
			ct, err := readTable(filepath.Join(dir, sweep.FileCovop), arrowio.KindCovop)
			if err != nil {
				return nil, err
			}
			res.Covop = covopRows(ct)
			parts = append(parts, part{run: r, table: ct})
		}
		results = append(results, res)
	}
	return &collected{results: results, parts: parts, missing: missing, unusable: unusable}, nil
}

// summaryText is the human summary of the finished runs.
func summaryText(g *sweep.Grid, runs []sweep.Run, results []sweep.RunResult) string {
	levels := sweep.Summarise(results)
	varying := sweep.Varying(runs)
	text := fmt.Sprintf("Sweep %s: %d of %d runs finished. Best |corr| of each latent with its neurons, averaged over "+
		"the level's latents: mean ± sd over seeds at the last epoch, and (in parentheses) the mean at "+
		"initialisation, epoch 0; d = depth index (root d = depth). Ceiling: the best any neuron of the "+
		"architecture could do (probe's ceiling).\n\n", g.Name, len(results), len(runs)) +
		sweep.FormatSummaryWide(varying, levels) +
		"\nThe same per level, with sd at initialisation and the level's mean ceiling:\n\n" + sweep.FormatSummary(varying, levels)
	if amp := sweep.SummariseAmplification(results); amp != nil {
		text += "\nAmplification of initial selectivity at the last epoch (docs/theory.md §10): Spearman correlation " +
			"between |corr| at initialisation and at the end over each latent's neurons (mean over the level's latents), " +
			"how often each latent's best neuron at the end was already its best (in its top 2) at initialisation, with " +
			"the chance rate in parentheses, and the fraction of neurons that kept their sign; mean ± sd over seeds:\n\n" +
			sweep.FormatAmplification(varying, amp)
	}
	if ops := sweep.SummariseOperators(results); len(ops) > 0 && hasOperatorMeasures(ops) {
		text += "\nThe covariance-operator picture (docs/theory.md §9), per level at the first and last snapshot covop " +
			"analysed: cosine between the actual expected training step and Theorem 1's 2·OP·vec(W), the step's relative " +
			"Monte Carlo error (noise: a cosine means little when it nears 1), the relative residue after the best scalar fit, and the fraction of |vec W|² in OP's top-n_L (top-1) eigenspace; mean ± sd over seeds:\n\n" +
			sweep.FormatOperators(varying, ops)
	}
	if lv := sweep.SummariseLineval(results); len(lv) > 0 {
		text += "\nLinear evaluation (probe --lineval): held-out accuracy of a logistic regression of each latent on " +
			"frozen features (root: the root embedding f; node: the latent's own neurons), averaged over the level's " +
			"latents: mean ± sd over seeds at the last epoch and (in parentheses) the mean at initialisation. Ceiling: " +
			"the Bayes accuracy given the leaves the features see (all leaves for root, the latent's own for node).\n\n" +
			sweep.FormatLineval(varying, lv)
	}
	return text
}
