package covopcmd

import (
	"errors"
	"fmt"
	"math"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli"
	"github.com/dualssl/dualssl/pkg/covop"
	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/loss"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/outfile"
)

// Main runs covop with args (os.Args) and returns the exit code.
func Main(args []string) int { return cli.Main(App(), args) }

// App returns the covop command.
func App() *ucli.App { return cli.NewApp(Tool()) }

// Tool describes covop.
func Tool() cli.Tool {
	return cli.Tool{
		Name:  "covop",
		Usage: "compute each layer's covariance operator (what drives learning) and check Theorem 1",
		Docs:  "docs/theory.md §5-7 (the connection, the covariance operator, Theorem 1), §9 (every loss's operator, the step's residue, alignment)",
		Description: `
Reads network snapshots (made by ssl-train) from stdin or --in and views
(made by augment from the same model) from --data. For every snapshot and
layer l it forms the connection K_l(x) = f_{l-1}(x) ⊗ J_l(x)^T (J at the
un-normalised output), its mean over the views of each key (the
augmentation mean), and OP_l, the covariance over keys of those means
weighted by the keys' frequencies. For the tree network a layer is a level
of the tree: each level's operator is reported, and each node's diagonal
block (what the reference reports; --contract node gives the reference's
own variant). A node's block alone is not the theorem: a node's gradient
involves its whole level.

Writes a tidy table (one row per epoch and operator: trace, Frobenius norm,
the --top largest eigenvalues lambda_1..lambda_K, the smallest, the rank,
vec(W)^T OP vec(W)) to stdout or --out, and a per-level summary to stderr.
--matrix FILE also writes the full operators (row, col, value).

--exact replaces the Monte Carlo means by exact expectations over the HLTM
(trees up to 2^22 leaf configurations × keys; no --data needed then, the
kept level is --keep). --check compares -grad E[d+^2/2 - d-^2/2], by
back-propagation, with 2·OP_l·vec(W_l) (Theorem 1) for networks trained
without biases and without output normalisation, and, on the first
training batch of the views, the loss's exact pairwise identity
-grad L = OP^beta_l·vec(W_l) (pair_rel_err; --loss chooses the loss,
default the network's own; it also sets the loss of --step).

--step estimates each snapshot's actual expected training step (the
network's own loss, normalisation, biases, negatives and batch size, read
from its file) as the mean gradient over the views' batches, and reports
its cosine with 2·OP_l·vec(W_l), the scale and relative residue of the
best fit, and the step's relative Monte Carlo error. --align reports the
fraction of |vec W_l|^2 in OP_l's top (align_1) and top n_L (align_n)
eigenspaces. See docs/theory.md §9.

  hltm-gen --depth 5 -n 64000 --seed 1 | augment --negatives 1 --seed 2 > views.arrows
  ssl-train --epochs 10 < views.arrows > net.arrows
  covop --data views.arrows < net.arrows > covop.arrows

  # Theorem 1 on a tree small enough to enumerate (depth 3: 256 leaf states)
  hltm-gen --depth 3 -n 20000 | augment > v3.arrows
  ssl-train --bias=false --normalize=false --loss simp --lr 0.01 --epochs 2 < v3.arrows > nb.arrows
  covop --exact --check < nb.arrows > check.arrows
  covop --check --data v3.arrows < nb.arrows > check-mc.arrows`,
		Input: true, Output: true, Threads: true,
		NoConfig: []string{"data", "matrix", "max-mem"},
		Flags: []ucli.Flag{
			cli.InputFile(&ucli.StringFlag{Name: "data", Usage: "views `FILE` (made by augment from the networks' model; required unless --exact)"}),
			&ucli.BoolFlag{Name: "exact", Usage: "exact expectations over the HLTM instead of Monte Carlo means over --data"},
			&ucli.StringFlag{Name: "keep", Usage: "with --exact: the kept `LEVEL` (root, leaves or level:K); default: the --data views' augment --keep, else root"},
			&ucli.StringFlag{Name: "contract", Value: "none", Usage: "per-node operator `KIND`: none (the level's diagonal block, the paper's) or node (the reference's variant)"},
			&ucli.IntFlag{Name: "top", Value: covop.DefaultTopK, Usage: "report the `K` largest eigenvalues (columns lambda_1 … lambda_K)"},
			&ucli.Float64Flag{Name: "rank-tol", Value: covop.DefaultRankTol, Usage: "rank counts eigenvalues above `TOL` × the largest"},
			&ucli.BoolFlag{Name: "check", Usage: "check Theorem 1 per level/layer (bias-free networks trained without normalisation), and the loss's per-batch pairwise identity"},
			&ucli.StringFlag{Name: "loss", Usage: "with --check and --step: the `LOSS` of the per-batch identity and of the step (simp, tri, nce, nce-ref; default: the network's training loss)"},
			&ucli.BoolFlag{Name: "step", Usage: "fit Theorem 1's step to the actual expected training step, per level/layer (needs --data)"},
			&ucli.BoolFlag{Name: "align", Usage: "report the fraction of |vec W|^2 in OP's top-1 and top-n_L eigenspaces"},
			&ucli.StringFlag{Name: "epochs", EnvVars: cli.SnapshotsEnv, Usage: "only the snapshots in `LIST`: epochs and the words first, middle, last, all, comma-separated (default: every snapshot)"},
			cli.OutputFile(&ucli.StringFlag{Name: "matrix", Usage: "also write every level/layer operator (and --contract node blocks) in full to `FILE`"}),
			&ucli.Float64Flag{Name: "max-mem", Value: float64(covop.DefaultMaxBytes) / (1 << 30), Usage: "memory budget in `GIB` for the per-key connection sums: fewer threads, or a refusal stating the estimate, beyond it"},
		},
		Action: run,
	}
}

type snapshot struct {
	epoch int
	net   *nn.Network
	rep   *covop.Report
}

// options are the validated flags.
type options struct {
	data, matrix, keep, epochs, loss string
	exact, check, step, align        bool
	top                              int
	cfg                              covop.Config
}

func (o *options) columns() arrowio.CovopOptions {
	return arrowio.CovopOptions{Check: o.check, Step: o.step, Align: o.align}
}

func parseOptions(env *cli.Env) (*options, error) {
	o := &options{data: env.String("data"), matrix: env.String("matrix"), keep: env.String("keep"), epochs: env.String("epochs"),
		loss: env.String("loss"), exact: env.Bool("exact"), check: env.Bool("check"), step: env.Bool("step"), align: env.Bool("align"),
		top: env.Int("top")}
	switch {
	case o.step && o.data == "":
		return nil, cli.Usagef("--step needs --data: the actual step is estimated from the views' batches")
	case o.loss != "" && !o.check && !o.step:
		return nil, cli.Usagef("--loss only applies with --check or --step")
	case o.top < 0 || o.top > 1000:
		return nil, cli.Usagef("--top %d: must be between 0 and 1000", o.top)
	}
	tol := env.Float64("rank-tol")
	if !(tol > 0 && tol < 1) {
		return nil, cli.Usagef("--rank-tol %v: must lie in (0, 1)", tol)
	}
	maxMem := env.Float64("max-mem")
	if !(maxMem > 0) || maxMem > 1<<20 {
		return nil, cli.Usagef("--max-mem %v: must be a positive number of GiB", maxMem)
	}
	o.cfg = covop.Config{TopK: o.top, RankTol: tol, Check: o.check, Align: o.align, Matrix: o.matrix != "", Threads: env.Threads(),
		MaxBytes: int64(maxMem * (1 << 30))}
	if o.top == 0 {
		o.cfg.TopK = -1
	}
	switch env.String("contract") {
	case "none":
		o.cfg.Contract = covop.ContractNone
	case "node":
		o.cfg.Contract = covop.ContractNode
	default:
		return nil, cli.Usagef("--contract %q: want none (the paper's diagonal block) or node (the reference's variant)", env.String("contract"))
	}
	switch {
	case o.data == "" && !o.exact:
		return nil, cli.Usagef("--data FILE is required: the views file made by augment (or use --exact for a small tree)")
	case o.keep != "" && !o.exact:
		return nil, cli.Usagef("--keep only applies with --exact: with --data the views' keys are the data points")
	case o.data != "" && outfile.IsStd(o.data) && outfile.IsStd(env.String(cli.FlagIn)):
		return nil, cli.Usagef("--data and --in cannot both be stdin: give one of them a file")
	case o.matrix == "-":
		return nil, cli.Usagef("--matrix needs a file name, not stdout")
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
	snaps, err := readSnapshots(nr, o)
	if err != nil {
		return err
	}
	var tc training
	var pairLoss loss.Pairwise
	if o.check || o.step {
		if tc, err = trainingOf(nr.Meta().Config, nr.Name()); err != nil {
			return err
		}
		if pairLoss, err = tc.pairLoss(o.loss); err != nil {
			return cli.Usagef("--loss: %v", err)
		}
	}
	d, raw, err := loadData(env, o, nr, snaps[0].net.InDim())
	if err != nil {
		return err
	}
	// Compute everything before writing anything.
	prog := env.Progress(int64(len(snaps)), "snapshots")
	for i := range snaps {
		if err := analyze(env, o, &snaps[i], d, raw, tc, pairLoss, nr.Name()); err != nil {
			return err
		}
		prog.Add(1)
	}
	prog.Finish()
	if err := writeOutputs(env, o, nr.Meta(), snaps); err != nil {
		return err
	}
	if !env.Quiet() {
		summary(env, snaps, d, o.columns(), o.check && raw != nil)
	}
	return nil
}

// analyze computes one snapshot's operators and, with --check and --step,
// the per-batch identity and the fit to the expected step.
func analyze(env *cli.Env, o *options, s *snapshot, d *covop.Data, raw *views, tc training, pairLoss loss.Pairwise, netName string) error {
	if s.net.InDim() != d.InDim {
		return fmt.Errorf("%s: the network of epoch %d reads %d inputs but the data have %d per view", netName, s.epoch, s.net.InDim(), d.InDim)
	}
	var err error
	if s.rep, err = covop.Analyze(s.net, d, o.cfg); err != nil {
		return fmt.Errorf("%s: epoch %d: %w", netName, s.epoch, err)
	}
	if o.check && raw != nil {
		b, err := raw.firstBatch(tc.Batch, tc.Negatives)
		if err != nil {
			return fmt.Errorf("%s: %w", o.data, err)
		}
		if _, err := s.rep.CheckPairwise(s.net, b, pairLoss); err != nil {
			return fmt.Errorf("%s: epoch %d: %w", netName, s.epoch, err)
		}
	}
	if o.step {
		if err := expectedStep(s.rep, s.net, tc, pairLoss, raw, env.Threads()); err != nil {
			return fmt.Errorf("%s: epoch %d: the expected step over %s: %w", netName, s.epoch, o.data, err)
		}
	}
	return nil
}

// readSnapshots reads the snapshots --epochs selects (all by default) and
// checks that --check applies to them.
func readSnapshots(nr *arrowio.NetworkReader, o *options) ([]snapshot, error) {
	all, err := nr.ReadAll()
	if err != nil {
		return nil, err
	}
	keep := make([]int, len(all))
	for i := range keep {
		keep[i] = i
	}
	if o.epochs != "" {
		epochs := make([]int, len(all))
		for i, s := range all {
			epochs[i] = s.Epoch
		}
		if keep, err = cli.SelectEpochs(epochs, o.epochs, "epochs", nr.Name()); err != nil {
			return nil, err
		}
	}
	snaps := make([]snapshot, len(keep))
	for i, k := range keep {
		snaps[i] = snapshot{epoch: all[k].Epoch, net: all[k].Net}
	}
	if o.check {
		normalized, _ := nr.Meta().ConfigValue("normalize").(bool)
		if err := covop.Checkable(snaps[0].net, normalized); err != nil {
			return nil, fmt.Errorf("--check: %s %w", nr.Name(), err)
		}
	}
	return snaps, nil
}

// loadData returns the data the operators average over, the --data views
// (Monte Carlo) or the exact enumeration of the networks' model, and the
// raw views that --check and --step batch (nil without --data).
func loadData(env *cli.Env, o *options, nr *arrowio.NetworkReader, width int) (*covop.Data, *views, error) {
	var m *hltm.Model
	var err error
	if nr.Meta().Model != "" {
		if m, err = nr.Model(); err != nil {
			return nil, nil, err
		}
	}
	var d *covop.Data
	var raw *views
	var vr *arrowio.Reader
	if o.data != "" {
		if vr, err = env.OpenPath(o.data, arrowio.KindViews); err != nil {
			return nil, nil, err
		}
		defer vr.Close()
		if vr.Meta().Model != "" {
			dm, err := vr.Model()
			if err != nil {
				return nil, nil, err
			}
			if m == nil {
				m = dm
			} else if !m.Equal(dm) {
				return nil, nil, fmt.Errorf("%s comes from another HLTM than %s: compute the operators on views of the model the networks were trained on", vr.Name(), nr.Name())
			}
		}
		if !o.exact || o.step || o.check {
			// With --exact the views serve only the training batches.
			if d, raw, err = readViews(env, vr, width); err != nil {
				return nil, nil, err
			}
		}
		if !o.exact {
			return d, raw, nil
		}
	}
	if m == nil {
		return nil, nil, fmt.Errorf("%s carries no HLTM (%s is empty): --exact needs the model the networks were trained on", nr.Name(), arrowio.KeyModel)
	}
	keep, err := keepLevel(o.keep, vr, m)
	if err != nil {
		return nil, nil, err
	}
	d, err = covop.Exact(m, keep)
	if errors.Is(err, covop.ErrTooLarge) {
		return nil, nil, fmt.Errorf("--exact: the tree is too big to enumerate (depth %d, %d leaves, keep level %d): %w; use Monte Carlo views with --data", m.Depth(), m.NumLeaves(), keep, err)
	}
	return d, raw, err
}

// keepLevel resolves the kept level for --exact: the flag, else the views'
// augment --keep (from their config), else the root.
func keepLevel(flag string, views *arrowio.Reader, m *hltm.Model) (int, error) {
	if flag != "" {
		k, err := hltm.ParseLevel(flag, m.Depth())
		if err != nil {
			return 0, cli.Usagef("--keep: %w", err)
		}
		return k, nil
	}
	if views == nil {
		return 0, nil
	}
	v, ok := views.Meta().ConfigValue("keep").(string)
	if !ok {
		return 0, nil
	}
	k, err := hltm.ParseLevel(v, m.Depth())
	if err != nil {
		return 0, fmt.Errorf("the views' keep: %w", err)
	}
	return k, nil
}

// writeOutputs writes the table and, with --matrix, the full operators.
func writeOutputs(env *cli.Env, o *options, meta arrowio.Meta, snaps []snapshot) error {
	table := arrowio.CovopTable(o.top, o.columns())
	w, err := env.Create(meta, table.Kind, table.Columns())
	if err != nil {
		return err
	}
	defer w.Abort()
	if err := writeTable(table.Writer(w), snaps); err != nil {
		return err
	}
	var mw *arrowio.Writer
	if o.matrix != "" {
		if entries := matrixEntries(snaps); entries*matrixEntryBytes > MatrixWarnBytes {
			env.Logf("warning: --matrix %s gets %d entries, about %.0f MB (every operator in full, %d snapshot(s)); the spectra are in the covop table already, and --epochs last writes one snapshot",
				o.matrix, entries, float64(entries*matrixEntryBytes)/1e6, len(snaps))
		}
		if mw, err = env.CreatePath(o.matrix, meta, arrowio.CovopMatrix.Kind, arrowio.CovopMatrix.Columns()); err != nil {
			return err
		}
		defer mw.Abort()
		if err := writeMatrices(arrowio.CovopMatrix.Writer(mw), snaps); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if mw != nil {
		return mw.Close()
	}
	return nil
}

// readViews reads every row's key, x_a and x_b (and the first x_neg) as
// covop data, and every row with all its negatives for the training
// batches.
func readViews(env *cli.Env, r *arrowio.Reader, width int) (*covop.Data, *views, error) {
	vr, err := arrowio.NewViewsReader(r, env.Tool, true)
	if err != nil {
		return nil, nil, err
	}
	if vr.In != width {
		return nil, nil, fmt.Errorf("%s: x_a has %d values per row but the networks read %d inputs", vr.Name(), vr.In, width)
	}
	var keys []int64
	v := &views{in: width, h: vr.Negatives}
	prog := env.Progress(r.Meta().PlannedRows(), "views")
	for vr.Next() {
		b, err := vr.Views()
		if err != nil {
			return nil, nil, err
		}
		for _, c := range []struct {
			name string
			v    []float64
		}{{"x_a", b.XA}, {"x_b", b.XB}, {"x_neg", b.XNeg}} {
			if !allFinite(c.v) {
				return nil, nil, fmt.Errorf("%s: %s holds a non-finite value", vr.Name(), c.name)
			}
		}
		keys = append(keys, b.Key...)
		v.xa = append(v.xa, b.XA...)
		v.xb = append(v.xb, b.XB...)
		v.xn = append(v.xn, b.XNeg[:b.Rows*vr.Negatives*width]...)
		prog.Add(int64(b.Rows))
	}
	if err := vr.Err(); err != nil {
		return nil, nil, err
	}
	prog.Finish()
	if len(keys) == 0 {
		return nil, nil, fmt.Errorf("%s: no views: covop needs at least one row", vr.Name())
	}
	v.rows = len(keys)
	d, err := covop.FromViews(keys, v.xa, v.xb, width)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", vr.Name(), err)
	}
	if v.h > 0 {
		// Explicit negatives (x_neg, H per row): the first one is Theorem
		// 1's x⁻.
		first := make([]float64, 0, v.rows*width)
		for row := range v.rows {
			first = append(first, v.xn[row*v.h*width:][:width]...)
		}
		if err := d.AddNegatives(first); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", vr.Name(), err)
		}
	}
	return d, v, nil
}

func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

func writeTable(w *arrowio.RowWriter[arrowio.CovopRow], snaps []snapshot) error {
	for _, s := range snaps {
		for _, o := range s.rep.Operators {
			row := arrowio.CovopRow{Epoch: int32(s.epoch), Layer: int32(o.Layer), Name: o.Name, Scope: o.Scope,
				Level: int32(o.Level), DepthIndex: int32(o.DepthIndex), Node: int32(o.Node), Dim: int32(o.Dim),
				Trace: o.Trace, Frobenius: o.Frobenius, Top: o.Top, LambdaMin: o.LambdaMin, Rank: int32(o.Rank),
				WOpW: o.WOpW, CheckRelErr: o.CheckRelErr, PairRelErr: o.PairRelErr,
				StepCos: o.StepCos, StepScale: o.StepScale, StepResidue: o.StepResidue, StepNoise: o.StepNoise,
				Align1: o.AlignTop1, AlignN: o.AlignTopN}
			if err := w.Write(row); err != nil {
				return err
			}
		}
	}
	return nil
}

// MatrixWarnBytes is the size of a --matrix file past which covop warns
// before writing it.
const MatrixWarnBytes = 16 << 20

// matrixEntryBytes is about what one entry of a --matrix file takes: epoch,
// layer, row, col (4 bytes each), the value (8) and the name and scope
// strings with their offsets (about 20; measured: 76 MB for 1.73e6 entries).
const matrixEntryBytes = 44

// matrixEntries counts the entries --matrix writes: n² per operator kept.
func matrixEntries(snaps []snapshot) int64 {
	var n int64
	for _, s := range snaps {
		for _, o := range s.rep.Operators {
			if o.Matrix != nil {
				d := int64(o.Matrix.SymmetricDim())
				n += d * d
			}
		}
	}
	return n
}

func writeMatrices(w *arrowio.RowWriter[arrowio.CovopEntry], snaps []snapshot) error {
	for _, s := range snaps {
		for _, o := range s.rep.Operators {
			if o.Matrix == nil {
				continue
			}
			n := o.Matrix.SymmetricDim()
			for i := range n {
				for j := range n {
					e := arrowio.CovopEntry{Epoch: int32(s.epoch), Layer: int32(o.Layer), Name: o.Name, Scope: o.Scope,
						Row: int32(i), Col: int32(j), Value: o.Matrix.At(i, j)}
					if err := w.Write(e); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// summary prints, per level or layer, the operator of the first and last
// snapshot: dimension, trace, largest eigenvalue, rank and the check.
func summary(env *cli.Env, snaps []snapshot, d *covop.Data, opt arrowio.CovopOptions, pair bool) {
	check := opt.Check
	w := env.Stderr
	first, last := snaps[0], snaps[len(snaps)-1]
	src := fmt.Sprintf("%d views, %d keys (Monte Carlo)", d.Rows(), d.NumKeys())
	if d.Exact() {
		src = fmt.Sprintf("exact over %d leaf configurations, %d keys (keep level %d)", d.N(), d.NumKeys(), d.Keep)
	}
	fmt.Fprintf(w, "covop: %s network, %d snapshot(s) (epochs %d…%d), %s\n", last.net.Arch, len(snaps), first.epoch, last.epoch, src)
	fmt.Fprintf(w, "%-9s %2s %6s %11s %11s %11s %5s %11s", "layer", "d", "dim", fmt.Sprintf("tr@%d", first.epoch), fmt.Sprintf("tr@%d", last.epoch), "lambda_1", "rank", "wOPw")
	if check {
		fmt.Fprintf(w, " %10s", "check")
	}
	if pair {
		fmt.Fprintf(w, " %10s", "pair")
	}
	if opt.Step {
		fmt.Fprintf(w, " %7s %7s", "cos", "noise")
	}
	if opt.Align {
		fmt.Fprintf(w, " %7s", "align_n")
	}
	fmt.Fprintln(w)
	for i, o := range last.rep.Operators {
		if o.Scope == covop.ScopeNode {
			continue
		}
		l1 := "-" // --top 0: no eigenvalues computed
		if len(o.Top) > 0 {
			l1 = fmt.Sprintf("%.4g", o.Top[0])
		}
		name := o.Name
		if name == "level 0" {
			name = "root"
		}
		fmt.Fprintf(w, "%-9s %2d %6d %11.4g %11.4g %11s %5d %11.4g", name, o.DepthIndex, o.Dim, first.rep.Operators[i].Trace, o.Trace, l1, o.Rank, o.WOpW)
		if check {
			fmt.Fprintf(w, " %10.2g", o.CheckRelErr)
		}
		if pair {
			fmt.Fprintf(w, " %10.2g", o.PairRelErr)
		}
		if opt.Step {
			fmt.Fprintf(w, " %7.3f %7.2f", o.StepCos, o.StepNoise)
		}
		if opt.Align {
			fmt.Fprintf(w, " %7.3f", o.AlignTopN)
		}
		fmt.Fprintln(w)
	}
	if check {
		fmt.Fprintln(w, "covop: check = |−grad E[L] − 2·OP·vec(W)| relative to the larger of the two, per level (Theorem 1): rounding with --exact, ~1/sqrt(n) with views")
		if pair {
			fmt.Fprintln(w, "covop: pair = the same for one training batch of the loss, −grad L = OP^beta·vec(W) (exact: rounding)")
		}
	}
}
