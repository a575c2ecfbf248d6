package probecmd

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli"
	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/lineval"
	"github.com/dualssl/dualssl/pkg/nn"
)

// linevalFlags are probe's flags of the linear evaluation.
var linevalFlags = []ucli.Flag{
	cli.OutputFile(&ucli.StringFlag{Name: "lineval", Usage: "also run the linear evaluation and write its table to `FILE` (kind lineval)"}),
	&ucli.StringFlag{Name: "lineval-features", Value: "root,level,node", Usage: "feature sets of the linear evaluation: `LIST` of root (embedding f), level (the latent's level), node (its own neurons)"},
	&ucli.StringFlag{Name: "lineval-split", Value: "1000,1000,4000", Usage: "linear evaluation: `TRAIN,VAL,TEST` sample counts, taken in this order from the start of --data"},
	&ucli.StringFlag{Name: "lineval-epochs", Value: "all", Usage: "linear evaluation: only the snapshots in `LIST` (epochs, first, middle, last, all)"},
}

// linevalSetup is the parsed linear-evaluation flags; nil when --lineval
// is not given.
type linevalSetup struct {
	path   string
	cfg    lineval.Config
	epochs string
	// the first samples of --data, captured while the probe streams them
	x []float64
	z []int8
}

func parseLineval(env *cli.Env) (*linevalSetup, error) {
	path := env.String("lineval")
	if path == "" {
		for _, f := range []string{"lineval-features", "lineval-split", "lineval-epochs"} {
			if env.IsSet(f) {
				return nil, cli.Usagef("--%s needs --lineval FILE", f)
			}
		}
		return nil, nil
	}
	if path == "-" {
		return nil, cli.Usagef("--lineval needs a file name, not stdout")
	}
	s := &linevalSetup{path: path, epochs: env.String("lineval-epochs"), cfg: lineval.Config{Threads: env.Threads()}}
	for _, f := range strings.Split(env.String("lineval-features"), ",") {
		f = strings.TrimSpace(f)
		if f != lineval.FeatRoot && f != lineval.FeatLevel && f != lineval.FeatNode {
			return nil, cli.Usagef("--lineval-features: %q is not root, level or node", f)
		}
		s.cfg.Features = append(s.cfg.Features, f)
	}
	parts := strings.Split(env.String("lineval-split"), ",")
	var n [3]int
	if len(parts) != 3 {
		return nil, cli.Usagef("--lineval-split %q: want TRAIN,VAL,TEST (three counts)", env.String("lineval-split"))
	}
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 1 || v > 1<<24 {
			return nil, cli.Usagef("--lineval-split %q: %q is not a count between 1 and %d", env.String("lineval-split"), p, 1<<24)
		}
		n[i] = v
	}
	if n[0] < 2 {
		return nil, cli.Usagef("--lineval-split: at least 2 training samples")
	}
	s.cfg.Train, s.cfg.Val, s.cfg.Test = n[0], n[1], n[2]
	return s, nil
}

// capture keeps the first samples the evaluation needs.
func (s *linevalSetup) capture(m *hltm.Model, z []int8, x []float64) {
	if s == nil {
		return
	}
	need := s.cfg.Train + s.cfg.Val + s.cfg.Test
	have := len(s.x) / m.NumLeaves()
	take := min(need-have, len(x)/m.NumLeaves())
	if take <= 0 {
		return
	}
	s.x = append(s.x, x[:take*m.NumLeaves()]...)
	s.z = append(s.z, z[:take*m.NumNodes()]...)
}

// linevalResult is the evaluation of the selected snapshots.
type linevalResult struct {
	epochs []int
	res    [][]lineval.Result
	test   int
}

// run evaluates the snapshots --lineval-epochs selects.
func (s *linevalSetup) run(env *cli.Env, m *hltm.Model, snaps []nn.Snapshot, netName, dataName string) (*linevalResult, error) {
	have := len(s.x) / m.NumLeaves()
	if need := s.cfg.Train + s.cfg.Val + s.cfg.Test; have < need {
		return nil, fmt.Errorf("%s: %d samples, the linear evaluation needs %d (--lineval-split %d,%d,%d)", dataName, have, need, s.cfg.Train, s.cfg.Val, s.cfg.Test)
	}
	epochs := make([]int, len(snaps))
	for i, sn := range snaps {
		epochs[i] = sn.Epoch
	}
	idx, err := cli.SelectEpochs(epochs, s.epochs, "lineval-epochs", netName)
	if err != nil {
		return nil, err
	}
	ev, err := lineval.NewEvaluator(m, s.x, s.z, s.cfg)
	if err != nil {
		return nil, err
	}
	out := &linevalResult{test: s.cfg.Test}
	prog := env.Progress(int64(len(idx)), "snapshots")
	prog.Describe("linear evaluation")
	for _, i := range idx {
		r, err := ev.Evaluate(snaps[i].Net)
		if err != nil {
			return nil, fmt.Errorf("%s: epoch %d: %v", netName, snaps[i].Epoch, err)
		}
		out.epochs = append(out.epochs, snaps[i].Epoch)
		out.res = append(out.res, r)
		prog.Add(1)
	}
	prog.Finish()
	return out, nil
}

func (lr *linevalResult) write(w *arrowio.RowWriter[arrowio.LinevalRow], m *hltm.Model) error {
	for k, rs := range lr.res {
		for _, r := range rs {
			row := arrowio.LinevalRow{Epoch: int32(lr.epochs[k]), Node: int32(r.Latent), Name: m.Name(r.Latent),
				Level: int32(r.Level), DepthIndex: int32(m.DepthIndex(r.Latent)), Features: r.Features, Dim: int32(r.Dim),
				Lambda: r.Lambda, ValAcc: r.ValAcc, Accuracy: r.Accuracy, StdErr: r.StdErr,
				Ceiling: r.Ceiling, CeilingSE: r.CeilingSE, Exact: r.Exact}
			if err := w.Write(row); err != nil {
				return err
			}
		}
	}
	return nil
}

// summary prints, per level, the mean held-out accuracy of each feature
// set at the first and last evaluated snapshot beside its mean ceiling.
func (lr *linevalResult) summary(w io.Writer, m *hltm.Model, arch string) {
	first, last := 0, len(lr.res)-1
	e0, e1 := lr.epochs[first], lr.epochs[last]
	var feats []string
	seen := map[string]bool{}
	for _, r := range lr.res[last] {
		if !seen[r.Features] {
			seen[r.Features] = true
			feats = append(feats, r.Features)
		}
	}
	worst := 0.0
	for _, r := range lr.res[last] {
		worst = math.Max(worst, r.StdErr)
	}
	fmt.Fprintf(w, "linear evaluation: held-out accuracy of logistic regression on frozen features, mean per level, %d test samples (standard error ≤ %.3f), against the Bayes ceiling of the leaves they see\n", lr.test, worst)
	fmt.Fprintf(w, "%-6s %2s", "level", "d")
	for _, f := range feats {
		if len(lr.res) > 1 {
			fmt.Fprintf(w, " %10s", fmt.Sprintf("%s@%d", f, e0))
		}
		fmt.Fprintf(w, " %10s %8s", fmt.Sprintf("%s@%d", f, e1), "ceiling")
	}
	fmt.Fprintln(w)
	mean := func(rs []lineval.Result, f string, lv int) (acc, ceil float64) {
		n := 0.0
		for _, r := range rs {
			if r.Features == f && r.Level == lv {
				acc += r.Accuracy
				ceil += r.Ceiling
				n++
			}
		}
		return acc / n, ceil / n
	}
	for lv := 0; lv < m.Depth(); lv++ {
		name := fmt.Sprint(lv)
		if lv == 0 {
			name = "root"
		}
		fmt.Fprintf(w, "%-6s %2d", name, m.Depth()-lv)
		for _, f := range feats {
			a1, c := mean(lr.res[last], f, lv)
			if len(lr.res) > 1 {
				a0, _ := mean(lr.res[first], f, lv)
				fmt.Fprintf(w, " %10.4f", a0)
			}
			fmt.Fprintf(w, " %10.4f %8.4f", a1, c)
		}
		fmt.Fprintln(w)
	}
	if arch == nn.ArchMLP {
		fmt.Fprintln(w, "(MLP: the level set is one row per hidden layer in the table; the summary averages them)")
	}
}
