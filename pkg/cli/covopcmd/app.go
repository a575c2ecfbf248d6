package covopcmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli"
	"github.com/dualssl/dualssl/pkg/covop"
	"github.com/dualssl/dualssl/pkg/hltm"
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
		Docs:  "docs/theory.md §5-7 (the connection, the covariance operator, Theorem 1)",
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
without biases and without output normalisation.

  hltm-gen --depth 5 -n 64000 --seed 1 | augment --seed 2 > views.arrows
  ssl-train --epochs 10 < views.arrows > net.arrows
  covop --data views.arrows < net.arrows > covop.arrows

  # Theorem 1 on a tree small enough to enumerate (depth 3: 256 leaf states)
  hltm-gen --depth 3 -n 20000 | augment > v3.arrows
  ssl-train --bias=false --normalize=false --loss simp --lr 0.01 --epochs 2 < v3.arrows > nb.arrows
  covop --exact --check < nb.arrows > check.arrows
  covop --check --data v3.arrows < nb.arrows > check-mc.arrows`,
		Input: true, Output: true, Threads: true,
		NoConfig: []string{"data", "matrix"},
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "data", Usage: "views `FILE` (made by augment from the networks' model; required unless --exact)"},
			&ucli.BoolFlag{Name: "exact", Usage: "exact expectations over the HLTM instead of Monte Carlo means over --data"},
			&ucli.StringFlag{Name: "keep", Usage: "with --exact: the kept `LEVEL` (root, leaves or a level number); default: the --data views' augment --keep, else root"},
			&ucli.StringFlag{Name: "contract", Value: "none", Usage: "per-node operator `KIND`: none (the level's diagonal block, the paper's) or node (the reference's variant)"},
			&ucli.IntFlag{Name: "top", Value: covop.DefaultTopK, Usage: "report the `K` largest eigenvalues (columns lambda_1 … lambda_K)"},
			&ucli.Float64Flag{Name: "rank-tol", Value: covop.DefaultRankTol, Usage: "rank counts eigenvalues above `TOL` × the largest"},
			&ucli.BoolFlag{Name: "check", Usage: "check Theorem 1 per level/layer (bias-free networks trained without normalisation)"},
			&ucli.StringFlag{Name: "epochs", Usage: "only the snapshots in `LIST`: epochs and the words first, middle, last, comma-separated (default: every snapshot)"},
			&ucli.StringFlag{Name: "matrix", Usage: "also write every level/layer operator (and --contract node blocks) in full to `FILE`"},
		},
		Action: run,
	}
}

type snapshot struct {
	epoch int
	net   *nn.Network
	rep   *covop.Report
}

func run(env *cli.Env) error {
	data, matrix := env.String("data"), env.String("matrix")
	exact, check := env.Bool("exact"), env.Bool("check")
	top := env.Int("top")
	if top < 0 || top > 1000 {
		return cli.Usagef("--top %d: must be between 0 and 1000", top)
	}
	if tol := env.Float64("rank-tol"); !(tol > 0 && tol < 1) {
		return cli.Usagef("--rank-tol %v: must lie in (0, 1)", tol)
	}
	var contract covop.Contract
	switch env.String("contract") {
	case "none":
		contract = covop.ContractNone
	case "node":
		contract = covop.ContractNode
	default:
		return cli.Usagef("--contract %q: want none (the paper's diagonal block) or node (the reference's variant)", env.String("contract"))
	}
	if data == "" && !exact {
		return cli.Usagef("--data FILE is required: the views file made by augment (or use --exact for a small tree)")
	}
	if env.String("keep") != "" && !exact {
		return cli.Usagef("--keep only applies with --exact: with --data the views' keys are the data points")
	}
	if data != "" && outfile.IsStd(data) && outfile.IsStd(env.String(cli.FlagIn)) {
		return cli.Usagef("--data and --in cannot both be stdin: give one of them a file")
	}
	if matrix == "-" {
		return cli.Usagef("--matrix needs a file name, not stdout")
	}

	// Snapshots: all of them, in file order.
	nr, err := env.OpenNetworks()
	if err != nil {
		return err
	}
	defer nr.Close()
	netName := nameOf(env.String(cli.FlagIn))
	var snaps []snapshot
	for {
		epoch, net, err := nr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		snaps = append(snaps, snapshot{epoch: epoch, net: net})
	}
	if len(snaps) == 0 {
		return fmt.Errorf("%s: no network snapshot", netName)
	}
	if sel := env.String("epochs"); sel != "" {
		if snaps, err = selectEpochs(snaps, sel, netName); err != nil {
			return err
		}
	}
	netMeta := nr.Meta()
	if check {
		if err := checkable(netName, snaps[0].net, netMeta.Config); err != nil {
			return err
		}
	}

	// The data: views (Monte Carlo) or the exact enumeration.
	var d *covop.Data
	var viewsConfig string
	var m *hltm.Model
	if netMeta.Model != "" {
		if m, err = arrowio.ModelOf(netMeta, netName); err != nil {
			return err
		}
	}
	if data != "" {
		vr, err := env.OpenPath(data, arrowio.KindViews)
		if err != nil {
			return err
		}
		defer vr.Close()
		viewsConfig = vr.Meta().Config
		if vm := vr.Meta().Model; vm != "" {
			dm, err := arrowio.ModelOf(vr.Meta(), vr.Name())
			if err != nil {
				return err
			}
			if m == nil {
				m = dm
			} else if !m.Equal(dm) {
				return fmt.Errorf("%s comes from another HLTM than %s: compute the operators on views of the model the networks were trained on", vr.Name(), netName)
			}
		}
		if !exact {
			if d, err = readViews(env, vr, snaps[0].net.InDim()); err != nil {
				return err
			}
		}
	}
	if exact {
		if m == nil {
			return fmt.Errorf("%s carries no HLTM (%s is empty): --exact needs the model the networks were trained on", netName, arrowio.KeyModel)
		}
		keep, err := keepLevel(env.String("keep"), viewsConfig, m)
		if err != nil {
			return err
		}
		if d, err = covop.Exact(m, keep); err != nil {
			if errors.Is(err, covop.ErrTooLarge) {
				return fmt.Errorf("--exact: the tree is too big to enumerate (depth %d, %d leaves, keep level %d): %v; use Monte Carlo views with --data", m.Depth(), m.NumLeaves(), keep, err)
			}
			return err
		}
	}

	// Compute everything before writing anything.
	cfg := covop.Config{Contract: contract, TopK: top, RankTol: env.Float64("rank-tol"), Check: check, Matrix: matrix != "", Threads: env.Threads()}
	if top == 0 {
		cfg.TopK = -1
	}
	prog := env.Progress(int64(len(snaps)), "snapshots")
	for i := range snaps {
		s := &snaps[i]
		if s.net.InDim() != d.InDim {
			return fmt.Errorf("%s: the network of epoch %d reads %d inputs but the data have %d per view", netName, s.epoch, s.net.InDim(), d.InDim)
		}
		if s.rep, err = covop.Analyze(s.net, d, cfg); err != nil {
			if errors.Is(err, covop.ErrBias) {
				return fmt.Errorf("%s: epoch %d: %v", netName, s.epoch, err)
			}
			return fmt.Errorf("%s: epoch %d: %v", netName, s.epoch, err)
		}
		prog.Add(1)
	}
	prog.Finish()

	table := arrowio.CovopTable(top, check)
	w, err := env.Create(netMeta, table.Kind, table.Columns())
	if err != nil {
		return err
	}
	defer w.Abort()
	if err := writeTable(table.Writer(w), snaps); err != nil {
		return err
	}
	var mw *arrowio.Writer
	if matrix != "" {
		if mw, err = env.CreatePath(matrix, netMeta, arrowio.CovopMatrix.Kind, arrowio.CovopMatrix.Columns()); err != nil {
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
		if err := mw.Close(); err != nil {
			return err
		}
	}
	if !env.Quiet() {
		summary(env, snaps, d, check)
	}
	return nil
}

func nameOf(path string) string {
	if outfile.IsStd(path) {
		return "stdin"
	}
	return path
}

// checkable refuses --check on networks for which Theorem 1 is not the
// gradient: with biases f ≠ K(x)ᵀvec(W); with output normalisation the
// training loss is taken on f/(‖f‖+ε), whose gradient is not the
// un-normalised one the theorem computes.
func checkable(name string, net *nn.Network, config string) error {
	if net.Bias {
		return fmt.Errorf("--check: %s has biases; Theorem 1 needs a bias-free network because it rests on f(x) = K(x)^T vec(W), which biases break: train with ssl-train --bias=false", name)
	}
	var c map[string]any
	if config != "" && json.Unmarshal([]byte(config), &c) == nil {
		if v, ok := c["normalize"].(bool); ok && v {
			return fmt.Errorf("--check: %s was trained on normalised outputs f/(|f|+eps); Theorem 1 is about the loss on the un-normalised output, so its gradient would not describe this training: train with ssl-train --normalize=false", name)
		}
	}
	return nil
}

// keepLevel resolves the kept level for --exact: the flag, else the views'
// config ("keep"), else the root.
func keepLevel(flag, viewsConfig string, m *hltm.Model) (int, error) {
	src, what := flag, "--keep"
	if src == "" && viewsConfig != "" {
		var c map[string]any
		if json.Unmarshal([]byte(viewsConfig), &c) == nil {
			switch v := c["keep"].(type) {
			case string:
				src, what = v, "the views' keep"
			case float64:
				src, what = strconv.FormatFloat(v, 'f', -1, 64), "the views' keep"
			}
		}
	}
	if src == "" {
		return 0, nil
	}
	s := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(src)), "level"), ":")
	s = strings.TrimSpace(s)
	switch s {
	case "root":
		return 0, nil
	case "leaves":
		return m.Depth(), nil
	}
	k, err := strconv.Atoi(s)
	if err != nil || k < 0 || k > m.Depth() {
		err := fmt.Errorf("%s %q: want root, leaves or a level 0…%d", what, src, m.Depth())
		if what == "--keep" {
			return 0, &cli.UsageError{Err: err}
		}
		return 0, err
	}
	return k, nil
}

// readViews reads every row's key, x_a and x_b (and the first x_neg).
func readViews(env *cli.Env, r *arrowio.Reader, width int) (*covop.Data, error) {
	vr, err := arrowio.NewViewsReader(r, env.Tool, true)
	if err != nil {
		return nil, err
	}
	if vr.In != width {
		return nil, fmt.Errorf("%s: x_a has %d values per row but the networks read %d inputs", vr.Name(), vr.In, width)
	}
	var keys []int64
	var xa, xb, xn []float64
	prog := env.Progress(0, "views")
	for vr.Next() {
		b, err := vr.Views()
		if err != nil {
			return nil, err
		}
		for _, c := range []struct {
			name string
			v    []float64
		}{{"x_a", b.XA}, {"x_b", b.XB}} {
			if !allFinite(c.v) {
				return nil, fmt.Errorf("%s: %s holds a non-finite value", vr.Name(), c.name)
			}
		}
		// Explicit negatives (x_neg, H per row): the first one is the check's x⁻.
		size := vr.Negatives * width
		for row := range b.Rows * min(vr.Negatives, 1) {
			first := b.XNeg[row*size : row*size+width]
			if !allFinite(first) {
				return nil, fmt.Errorf("%s: x_neg holds a non-finite value", vr.Name())
			}
			xn = append(xn, first...)
		}
		keys = append(keys, b.Key...)
		xa = append(xa, b.XA...)
		xb = append(xb, b.XB...)
		prog.Add(int64(b.Rows))
	}
	if err := vr.Err(); err != nil {
		return nil, err
	}
	prog.Finish()
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no views: covop needs at least one row", vr.Name())
	}
	d, err := covop.FromViews(keys, xa, xb, width)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", vr.Name(), err)
	}
	if vr.Negatives > 0 {
		if err := d.AddNegatives(xn); err != nil {
			return nil, fmt.Errorf("%s: %w", vr.Name(), err)
		}
	}
	return d, nil
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
				WOpW: o.WOpW, CheckRelErr: o.CheckRelErr}
			if err := w.Write(row); err != nil {
				return err
			}
		}
	}
	return nil
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
func summary(env *cli.Env, snaps []snapshot, d *covop.Data, check bool) {
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
		fmt.Fprintln(w)
	}
	if check {
		fmt.Fprintln(w, "covop: check = |−grad E[L] − 2·OP·vec(W)| relative to the larger of the two, per level (Theorem 1): rounding with --exact, ~1/sqrt(n) with views")
	}
}

// selectEpochs keeps the snapshots named by sel (epochs and the words first,
// middle, last), in file order, each once. Operators are costly, so a user
// studying a long run asks for a few snapshots rather than all of them.
func selectEpochs(snaps []snapshot, sel, netName string) ([]snapshot, error) {
	want := make(map[int]bool) // index into snaps
	for _, w := range strings.Split(sel, ",") {
		w = strings.TrimSpace(w)
		switch w {
		case "first":
			want[0] = true
		case "middle":
			want[len(snaps)/2] = true
		case "last":
			want[len(snaps)-1] = true
		default:
			e, err := strconv.Atoi(w)
			if err != nil {
				return nil, cli.Usagef("--epochs %q: %q is neither an epoch number nor first, middle or last", sel, w)
			}
			found := false
			for i, s := range snaps {
				if s.epoch == e {
					want[i], found = true, true
				}
			}
			if !found {
				return nil, fmt.Errorf("--epochs: %s has no snapshot of epoch %d (it has epochs %d…%d)", netName, e, snaps[0].epoch, snaps[len(snaps)-1].epoch)
			}
		}
	}
	var kept []snapshot
	for i, s := range snaps {
		if want[i] {
			kept = append(kept, s)
		}
	}
	return kept, nil
}
