package ssltraincmd

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli"
	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/internal/cputime"
	"github.com/dualssl/dualssl/pkg/loss"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/outfile"
	"github.com/dualssl/dualssl/pkg/rng"
	"github.com/dualssl/dualssl/pkg/train"
)

// Main runs ssl-train with args (os.Args) and returns the exit code.
func Main(args []string) int { return cli.Main(App(), args) }

// App returns the ssl-train command.
func App() *ucli.App { return cli.NewApp(Tool()) }

// Tool describes ssl-train.
func Tool() cli.Tool {
	return cli.Tool{
		Name:  "ssl-train",
		Usage: "train the dual (Siamese) ReLU network on views with a contrastive loss",
		Docs:  "docs/theory.md §3-4 (the networks; every loss and why it prints negative)",
		Description: `
Reads views (made by augment) from stdin or --in and trains the dual network
with SGD. Writes network snapshots (epoch 0 = initialisation, every
--snapshot-every epochs, and the last) to stdout or --out, and a per-step
train log (epoch, step, loss, grad_norm, lr) to --log.

Without --epochs the input streams: every --epoch-rows rows form one epoch
of fresh samples, until the input ends (the reference's setting):

  hltm-gen --depth 5 --delta-lower 0.8 -n $((50*64000)) | augment --negatives 1 \
    | ssl-train --hid 10 --loss nce-ref --temp 0.1 --epoch-rows 64000 > net.arrows

With --epochs E the input is loaded and replayed E times, reshuffled each
epoch. --resume NET continues from NET's last snapshot and ends
bit-identical to an uninterrupted run (give it the same input and flags).
--init FILE starts from given weights instead of the random initialisation
(epoch 0 is then FILE's network): a snapshot of a network file, or a
safetensors state dict with the reference's names (from dualssl-torch
export or a PyTorch run), so two implementations can start alike.`,
		Input: true, Output: true, Seed: true, Threads: true,
		NoConfig: []string{"log", "resume", "resume-changes"},
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "arch", Value: nn.ArchTree, Usage: "network `ARCH`: tree (mirrors the input's HLTM) or mlp"},
			&ucli.IntFlag{Name: "hid", Value: 10, Usage: "tree: neurons `H` per latent node"},
			&ucli.StringFlag{Name: "widths", Value: "64,64,10", Usage: "mlp: comma-separated layer `WIDTHS` (the last is the output)"},
			&ucli.BoolFlag{Name: "bias", Value: true, Usage: "train biases (the reference does; the theorems do not): --bias=false"},
			&ucli.Float64Flag{Name: "init-scale", Value: 1, Usage: "initialise from U(-s/sqrt(fan_in), s/sqrt(fan_in)) with `S`"},
			&ucli.StringFlag{Name: "loss", Value: "nce-ref", Usage: "`LOSS`: " + strings.Join(loss.Names, ", ")},
			&ucli.Float64Flag{Name: "temp", Value: 0.1, Usage: "temperature `TAU` of tri, nce and nce-ref"},
			&ucli.Float64Flag{Name: "margin", Value: 0, Usage: "margin `R` of tri"},
			&ucli.IntFlag{Name: "negatives", Value: 0, Usage: "negatives `H` per anchor: from the input's x_neg (0 = all it has) or, without x_neg, other rows of the batch (0 = 1)"},
			&ucli.BoolFlag{Name: "normalize", Value: true, Usage: "train on f/(|f|+eps): --normalize=false to turn off"},
			&ucli.Float64Flag{Name: "eps", Value: loss.DefaultEps, Usage: "`EPS` of the output normalisation"},
			&ucli.Float64Flag{Name: "lr", Value: 0.1, Usage: "SGD learning rate `ALPHA`"},
			&ucli.Float64Flag{Name: "momentum", Value: 0, Usage: "SGD momentum `MU` in [0, 1)"},
			&ucli.Float64Flag{Name: "weight-decay", Value: 0, Usage: "L2 weight decay `LAMBDA` added to the gradient"},
			&ucli.IntFlag{Name: "batch", Value: 128, Usage: "batch size `B`"},
			&ucli.StringFlag{Name: "precision", Value: train.Float64, Usage: "arithmetic `P` of the network passes: float64 (exact; what every check uses) or float32 (faster, float32 weights; recorded in the config)"},
			&ucli.IntFlag{Name: "epoch-rows", Value: 0, Usage: "rows `N` per epoch (0 = 64000 when streaming, all rows with --epochs)"},
			&ucli.IntFlag{Name: "epochs", Value: 0, Usage: "replay the input `E` times, reshuffled (0 = stream until the input ends)"},
			&ucli.IntFlag{Name: "snapshot-every", Value: 1, Usage: "write a snapshot every `K` epochs (plus epoch 0 and the last)"},
			cli.InputFile(&ucli.StringFlag{Name: "resume", Usage: "continue from the last snapshot of network `FILE` (with the flags that wrote it)"}),
			&ucli.BoolFlag{Name: "resume-changes", Usage: "let --resume continue with training flags (loss, lr, temp, batch, momentum, …) other than the file's; provenance records both segments"},
			cli.InputFile(&ucli.StringFlag{Name: "init", Usage: "start from the weights in `FILE` as epoch 0: a network file's snapshot (--init-epoch) or a safetensors state dict (dualssl-torch, PyTorch)"}),
			&ucli.StringFlag{Name: "init-epoch", Value: "last", Usage: "with --init of a network file: the snapshot `EPOCH` (a number, first or last)"},
			cli.OutputFile(&ucli.StringFlag{Name: "log", Usage: "write the per-step train log to `FILE`"}),
		},
		Action: run,
	}
}

// DefaultEpochRows is the reference's epoch length when streaming.
const DefaultEpochRows = 64000

// settings are the validated flags.
type settings struct {
	arch       string
	hid        int
	widths     []int
	bias       bool
	initScale  float64
	lossFn     loss.Func
	negatives  int
	epochRows  int
	epochs     int
	batch      int
	every      int
	resume     string
	init       string
	logPath    string
	trainCfg   train.Config
	streamMode bool

	// With --resume-changes: the resumed file's metadata, the flags that
	// differ from its run, and the epoch this run takes over at.
	resumeMeta arrowio.Meta
	changes    []string
	resumedAt  int
}

func parseSettings(e *cli.Env) (*settings, error) {
	s := &settings{
		arch: e.String("arch"), hid: e.Int("hid"), bias: e.Bool("bias"), initScale: e.Float64("init-scale"),
		negatives: e.Int("negatives"), epochRows: e.Int("epoch-rows"), epochs: e.Int("epochs"),
		batch: e.Int("batch"), every: e.Int("snapshot-every"), resume: e.String("resume"), init: e.String("init"),
		logPath: e.String("log"),
	}
	switch s.arch {
	case nn.ArchTree:
		if s.hid < 1 {
			return nil, cli.Usagef("--hid %d: must be at least 1", s.hid)
		}
	case nn.ArchMLP:
		w, err := parseWidths(e.String("widths"))
		if err != nil {
			return nil, err
		}
		s.widths = w
	default:
		return nil, cli.Usagef("--arch %q: want tree or mlp", s.arch)
	}
	if !(s.initScale > 0) {
		return nil, cli.Usagef("--init-scale %v: must be positive", s.initScale)
	}
	f, err := loss.New(e.String("loss"), e.Float64("temp"), e.Float64("margin"))
	if err != nil {
		return nil, cli.Usagef("--loss: %v", err)
	}
	s.lossFn = f
	for _, f := range []struct {
		flag   string
		v, min int
	}{{"negatives", s.negatives, 0}, {"batch", s.batch, 2}, {"epoch-rows", s.epochRows, 0}, {"epochs", s.epochs, 0}, {"snapshot-every", s.every, 1}} {
		switch {
		case f.v < 0 && f.min == 0:
			return nil, cli.Usagef("--%s %d: must not be negative", f.flag, f.v)
		case f.v < f.min:
			return nil, cli.Usagef("--%s %d: must be at least %d", f.flag, f.v, f.min)
		}
	}
	if s.logPath == "-" {
		return nil, cli.Usagef("--log -: stdout carries the network; give the log a file name")
	}
	if s.resume == "-" && outfile.IsStd(e.String(cli.FlagIn)) {
		return nil, cli.Usagef("--resume - and the views cannot both come from stdin")
	}
	if s.init != "" && s.resume != "" {
		return nil, cli.Usagef("--init and --resume exclude each other: --resume continues a run, --init starts one from given weights")
	}
	if s.init == "-" && outfile.IsStd(e.String(cli.FlagIn)) {
		return nil, cli.Usagef("--init - and the views cannot both come from stdin")
	}
	s.streamMode = s.epochs == 0
	if s.streamMode && s.epochRows == 0 {
		s.epochRows = DefaultEpochRows
	}
	if s.epochRows > 0 && s.batch > s.epochRows {
		return nil, cli.Usagef("--batch %d is larger than an epoch (--epoch-rows %d)", s.batch, s.epochRows)
	}
	if eps := e.Float64("eps"); eps < 0 {
		return nil, cli.Usagef("--eps %v: must not be negative", eps)
	}
	s.trainCfg = train.Config{
		Loss: f, Normalize: e.Bool("normalize"), Eps: e.Float64("eps"),
		LR: e.Float64("lr"), Momentum: e.Float64("momentum"), WeightDecay: e.Float64("weight-decay"),
		Seed: e.Seed(), Threads: e.Threads(), Precision: e.String("precision"),
	}
	if p := s.trainCfg.Precision; p != train.Float64 && p != train.Float32 {
		return nil, cli.Usagef("--precision %q: want float64 or float32", p)
	}
	if !(s.trainCfg.LR > 0) {
		return nil, cli.Usagef("--lr %v: must be positive", s.trainCfg.LR)
	}
	if m := s.trainCfg.Momentum; m < 0 || m >= 1 {
		return nil, cli.Usagef("--momentum %v: must lie in [0, 1)", m)
	}
	if s.trainCfg.WeightDecay < 0 {
		return nil, cli.Usagef("--weight-decay %v: must not be negative", s.trainCfg.WeightDecay)
	}
	return s, nil
}

// parseWidths parses "64,64,10".
func parseWidths(v string) ([]int, error) {
	var w []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 1<<20 {
			return nil, cli.Usagef("--widths %q: want comma-separated positive layer widths such as 64,64,10", v)
		}
		w = append(w, n)
	}
	return w, nil
}

// views is the opened input.
type views struct {
	*arrowio.ViewsReader
	model *hltm.Model // nil when the file carries none
}

func openViews(e *cli.Env) (*views, error) {
	r, err := e.Open("")
	if err != nil {
		return nil, err
	}
	vr, err := arrowio.NewViewsReader(r, e.Tool, false)
	if err != nil {
		r.Close()
		return nil, err
	}
	v := &views{ViewsReader: vr}
	if r.Meta().Model != "" {
		if v.model, err = r.Model(); err != nil {
			r.Close()
			return nil, err
		}
	}
	return v, nil
}

// ReadRows implements train.RowReader over the views stream, and
// train.Int8RowReader when the stream stores its views as bool or int8.
type rowReader struct {
	v       *views
	h       int // negatives used per row (≤ v.Negatives)
	b       arrowio.StoredViewsBatch
	at      int
	started bool
	err     error         // the first error of next, returned by every later call
	spent   time.Duration // wall time in ReadRows and ReadRowsInt8
}

// next makes rr.b a batch with rows left to read, or returns io.EOF (or
// the reader's error) at the end of the stream.
func (rr *rowReader) next() error {
	for rr.err == nil && rr.at >= rr.b.Rows {
		if !rr.v.Next() {
			if rr.err = rr.v.Err(); rr.err == nil {
				rr.err = io.EOF
			}
			break
		}
		if rr.b, rr.err = rr.v.StoredViews(); rr.err != nil {
			break
		}
		rr.at = 0
		rr.started = true
	}
	return rr.err
}

// Int8Rows implements train.Int8RowReader: a stream's batches all store
// their views as its schema does, so the first batch answers for all. An
// error met on the way is kept for the read that follows.
func (rr *rowReader) Int8Rows() bool {
	if !rr.started && rr.next() != nil {
		return false
	}
	// Bits or bytes (ReadRowsInt8 unpacks bits), in every column read: a
	// file from another program may mix them with float64.
	return rr.b.XA.Int8s() && rr.b.XB.Int8s() && (rr.h == 0 || rr.b.XNeg.Int8s())
}

func (rr *rowReader) ReadRows(xa, xb, xneg []float64, n int) (int, error) {
	defer rr.addTime(time.Now())
	return readRows(rr, xa, xb, xneg, n, arrowio.Leaves.CopyTo)
}

func (rr *rowReader) ReadRowsInt8(xa, xb, xneg []int8, n int) (int, error) {
	defer rr.addTime(time.Now())
	return readRows(rr, xa, xb, xneg, n, arrowio.Leaves.CopyInt8To)
}

// addTime adds the time since t0 to rr.spent. Reads run on the training
// goroutine, between steps, so this is the time training waited for its
// input or decoded it (the summary reports it, and
// scripts/bench-pipeline.sh separates reading from training with it).
// The monotonic clock costs tens of nanoseconds a batch; a CPU clock
// (getrusage) would cost about a microsecond, near a tenth of the
// reading itself.
func (rr *rowReader) addTime(t0 time.Time) { rr.spent += time.Since(t0) }

// readRows reads up to n rows, copying each view's values out of the
// batch with copyTo (which converts them to E).
func readRows[E any](rr *rowReader, xa, xb, xneg []E, n int, copyTo func(l arrowio.Leaves, dst []E, lo int)) (int, error) {
	in := rr.v.In
	got := 0
	for got < n {
		if err := rr.next(); err != nil {
			return got, err
		}
		k := min(n-got, rr.b.Rows-rr.at)
		// Straight from the stored values into the batch: one pass.
		copyTo(rr.b.XA, xa[got*in:(got+k)*in], rr.at*in)
		copyTo(rr.b.XB, xb[got*in:(got+k)*in], rr.at*in)
		if rr.h > 0 {
			full, h := rr.v.Negatives*in, rr.h*in
			if full == h {
				copyTo(rr.b.XNeg, xneg[got*h:(got+k)*h], rr.at*full)
			} else {
				for j := 0; j < k; j++ {
					copyTo(rr.b.XNeg, xneg[(got+j)*h:(got+j+1)*h], (rr.at+j)*full)
				}
			}
		}
		got += k
		rr.at += k
	}
	return got, nil
}

func run(e *cli.Env) error {
	s, err := parseSettings(e)
	if err != nil {
		return err
	}
	v, err := openViews(e)
	if err != nil {
		return err
	}
	defer v.Close()
	h, explicit, err := train.Negatives(s.negatives, v.Negatives, s.batch)
	if err != nil {
		return cli.Usagef("--negatives %d: %v", s.negatives, err)
	}
	s.trainCfg.Negatives = h
	net, err := newNetwork(e, s, v)
	if err != nil {
		return err
	}
	if net, err = initFrom(e, s, v, net); err != nil {
		return err
	}
	resumed, err := resume(e, s, v, net)
	if err != nil {
		return err
	}
	done := 0
	if len(resumed) > 0 {
		last := resumed[len(resumed)-1]
		net, done = last.Net, last.Epoch
	}
	src, rr, err := source(e, s, v, explicit, done)
	if err != nil {
		return err
	}
	tr, err := train.New(net, s.trainCfg)
	if err != nil {
		return cli.Usagef("%v", err)
	}
	if len(resumed) > 0 {
		tr.Resume(resumed[len(resumed)-1], s.epochRows/s.batch)
	}
	// Outputs: created only once the input and flags have been checked.
	out, logw, err := createOutputs(e, s, v, tr)
	if err != nil {
		return err
	}
	defer out.Abort()
	if logw != nil {
		defer logw.Abort()
	}
	return trainAndWrite(e, s, v, tr, src, rr, resumed, out, logw)
}

// newNetwork builds and initialises the network the flags and the input
// describe, after checking its size.
func newNetwork(e *cli.Env, s *settings, v *views) (*nn.Network, error) {
	var spec nn.Spec
	what := "--widths " + e.String("widths")
	switch s.arch {
	case nn.ArchTree:
		if v.model == nil {
			// The tree mirrors the HLTM; refused in arrowio.ModelOf's words,
			// as every tool refuses a file without the model it needs.
			_, err := arrowio.ModelOf(v.Meta(), v.Name())
			return nil, fmt.Errorf("%w; an MLP needs no model: --arch mlp", err)
		}
		if v.model.NumLeaves() != v.In {
			return nil, fmt.Errorf("%s: x_a has %d values per row but the model has %d leaves", v.Name(), v.In, v.model.NumLeaves())
		}
		spec, what = nn.TreeSpec(v.model.Depth(), v.model.Children(), s.hid, s.bias), fmt.Sprintf("--hid %d", s.hid)
	case nn.ArchMLP:
		spec = nn.MLPSpec(v.In, s.widths, s.bias)
	}
	if err := spec.Validate(); err != nil {
		return nil, cli.Usagef("%s: %v", what, err)
	}
	if err := spec.CheckBatch(s.batch); err != nil {
		return nil, cli.Usagef("%s --batch %d: %v", what, s.batch, err)
	}
	net, err := spec.New()
	if err != nil {
		return nil, err
	}
	net.Init(rng.New(e.Seed(), rng.Init, 0), s.initScale)
	return net, nil
}

// initFrom returns the network of --init in place of the fresh one (the
// fresh one without --init), after checking that it has the architecture
// the flags and the input describe.
func initFrom(e *cli.Env, s *settings, v *views, fresh *nn.Network) (*nn.Network, error) {
	if s.init == "" {
		return fresh, nil
	}
	w, err := e.LoadWeights(s.init, e.String("init-epoch"), "init", "init-epoch")
	if err != nil {
		return nil, err
	}
	if !fresh.SameShape(w.Net) {
		return nil, fmt.Errorf("--init %s: its network (%s) differs from the one the flags and input describe (%s)", s.init, nn.SpecOf(w.Net), nn.SpecOf(fresh))
	}
	if w.Model != "" && w.Model != v.Meta().Model {
		e.Logf("warning: %s was made for another HLTM than %s carries; training starts from its weights anyway", s.init, v.Name())
	}
	return w.Net, nil
}

// resume reads --resume's snapshots (none without it) and checks that the
// last one continues this run.
func resume(e *cli.Env, s *settings, v *views, fresh *nn.Network) ([]train.Snapshot, error) {
	if s.resume == "" {
		return nil, nil
	}
	r, err := arrowio.OpenNetwork(s.resume, e.Stdin, e.Tool)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	snaps, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	model := r.Meta().Model
	if _, err := train.ResumeFrom(fresh, snaps, s.trainCfg.Momentum); err != nil {
		return nil, fmt.Errorf("--resume %s: %w", s.resume, err)
	}
	if model != v.Meta().Model {
		e.Logf("warning: %s was trained on another HLTM than %s carries; the run continues on the new data", s.resume, v.Name())
	}
	if cfg := r.Meta().Config; cfg != "" {
		if s.changes, err = configChanges(cfg, e.Config()); err != nil {
			return nil, fmt.Errorf("--resume %s: %v", s.resume, err)
		}
	}
	if len(s.changes) > 0 {
		if !e.Bool("resume-changes") {
			return nil, cli.Usagef("--resume %s was trained with other flags: %s; give its flags to continue the run, or add --resume-changes to go on with these (the provenance then records both)",
				s.resume, strings.Join(s.changes, ", "))
		}
		// Two segments trained differently: the file's own history (its
		// provenance ends with the first segment's ssl-train step), then
		// this one, which says where it took over.
		s.resumedAt = snaps[len(snaps)-1].Epoch
		s.resumeMeta = r.Meta()
		e.Logf("resuming %s at epoch %d with other flags: %s", s.resume, s.resumedAt, strings.Join(s.changes, ", "))
	}
	return snaps, nil
}

// source returns the rows of every epoch: the stream, or the input loaded
// and replayed with --epochs; and the reader of the input.
func source(e *cli.Env, s *settings, v *views, explicit, done int) (train.Source, *rowReader, error) {
	rr := &rowReader{v: v, h: explicit}
	if s.streamMode {
		return &train.Stream{R: rr, In: v.In, H: explicit, EpochRows: s.epochRows}, rr, nil
	}
	rep, err := train.LoadReplay(rr, v.In, explicit)
	if err != nil {
		return nil, nil, err
	}
	if rep.Rows == 0 {
		// A data error, not a usage error: no --batch fits an empty file.
		return nil, nil, fmt.Errorf("%s: no views in it: nothing to train (did the previous stage fail?)", v.Name())
	}
	if s.epochRows == 0 || s.epochRows > rep.Rows {
		s.epochRows = rep.Rows
	}
	if s.batch > s.epochRows {
		return nil, nil, cli.Usagef("--batch %d is larger than an epoch (%d rows in %s)", s.batch, s.epochRows, v.Name())
	}
	rep.Seed, rep.EpochRows = e.Seed(), s.epochRows
	if done > s.epochs {
		return nil, nil, cli.Usagef("--resume %s is at epoch %d, past --epochs %d", s.resume, done, s.epochs)
	}
	return rep, rr, nil
}

// createOutputs starts the network file (and --log): on SIGINT the
// snapshots taken so far are kept as a complete stream.
func createOutputs(e *cli.Env, s *settings, v *views, tr *train.Trainer) (*arrowio.NetworkWriter, *arrowio.RowWriter[arrowio.TrainLogRow], error) {
	if err := e.RefuseTerminal(e.String(cli.FlagOut)); err != nil {
		return nil, nil, err
	}
	meta := v.Meta().WithStep(arrowio.KindNetwork, e.Tool, cli.Version, e.Config())
	if len(s.changes) > 0 {
		meta = s.resumeMeta.WithStep(arrowio.KindNetwork, e.Tool, cli.Version, withResumedAt(e.Config(), s.resumedAt))
	}
	out, err := arrowio.CreateNetwork(e.String(cli.FlagOut), e.Stdout, meta, tr.Net, tr.Velocity != nil)
	if err != nil {
		return nil, nil, err
	}
	out.KeepOnInterrupt()
	if s.logPath == "" {
		return out, nil, nil
	}
	logMeta := v.Meta().WithStep(arrowio.TrainLog.Kind, e.Tool, cli.Version, e.Config())
	lw, err := arrowio.Create(s.logPath, nil, logMeta, arrowio.TrainLog.Columns())
	if err != nil {
		out.Abort()
		return nil, nil, err
	}
	lw.KeepOnInterrupt()
	return out, arrowio.TrainLog.Writer(lw), nil
}

// trainAndWrite runs the loop, writing snapshots and the log as it goes;
// after a non-finite step or an interrupt it keeps what is good.
func trainAndWrite(e *cli.Env, s *settings, v *views, tr *train.Trainer, src train.Source, rr *rowReader, resumed []train.Snapshot,
	out *arrowio.NetworkWriter, logw *arrowio.RowWriter[arrowio.TrainLogRow]) error {
	snaps := train.NewSnapshots(s.every, s.epochs, func(sn train.Snapshot) error { return out.Write(sn.Epoch, sn.Net, sn.Vel) })
	if err := snaps.Begin(tr, resumed); err != nil {
		return err
	}
	done := 0
	if len(resumed) > 0 {
		done = resumed[len(resumed)-1].Epoch
	}
	prog := newProgress(e, s, done)
	startStep, read0 := tr.Step, rr.spent
	loop := &train.Loop{Trainer: tr, Source: src, EpochRows: s.epochRows, BatchRows: s.batch, Epochs: s.epochs, Done: done,
		OnStep: func(epoch int, st train.StepStats) error {
			if err := e.Interrupted(); err != nil {
				return err
			}
			prog.step()
			if logw != nil {
				return logw.Write(arrowio.TrainLogRow{Epoch: int32(epoch), Step: st.Step, Loss: st.Loss, GradNorm: st.GradNorm, LR: st.LR})
			}
			return nil
		},
		OnEpoch: func(st train.EpochStats) error {
			prog.epoch(st)
			return snaps.EndEpoch(tr, st)
		},
	}
	last, err := loop.Run()
	prog.finish()
	var nf *train.NonFiniteError
	if errors.As(err, &nf) || (err != nil && e.Interrupted() != nil) {
		written, werr := snaps.Salvage()
		if werr != nil {
			return werr
		}
		if cerr := out.Close(); cerr != nil {
			return cerr
		}
		if logw != nil {
			logw.Close()
		}
		return fmt.Errorf("%w; the snapshots up to epoch %d are in %s", err, written, outfile.Name(e.String(cli.FlagOut), "stdout"))
	}
	if err != nil {
		return err
	}
	if last == done && s.resume == "" && s.streamMode {
		return fmt.Errorf("%s: fewer rows than one batch (%d): nothing to train", v.Name(), s.batch)
	}
	if err := snaps.End(tr, last); err != nil {
		return err
	}
	if logw != nil {
		if err := logw.Close(); err != nil {
			return err
		}
	}
	if err := out.Close(); err != nil {
		return err
	}
	if last == done {
		e.Summary("nothing to train: %s is at epoch %d; its snapshots are copied", s.resume, done)
		return nil
	}
	el := prog.elapsed()
	e.Summary("trained epochs %d-%d (%d steps) in %.3g s: %.3g s/epoch, %.3g GFLOP/s; %.3g CPU-s; %.3g s waiting for or reading the input",
		done+1, last, tr.Step-startStep, el, el/float64(max(last-done, 1)), 2*float64(prog.madds)/el/1e9, prog.cpu(), (rr.spent - read0).Seconds())
	return nil
}

// progress shows a bar on a terminal and one line per epoch otherwise.
type progress struct {
	e         *cli.Env
	bar       *cli.Progress
	start, at time.Time
	cpu0      float64 // process CPU-seconds at the start
	madds     int64
	done      int // epochs done before this run (--resume)
	last      int // the last epoch with --epochs; 0 when streaming
}

func newProgress(e *cli.Env, s *settings, done int) *progress {
	p := &progress{e: e, start: time.Now(), cpu0: cputime.Seconds(), done: done}
	if !s.streamMode {
		p.last = s.epochs
	}
	p.at = p.start
	if !e.Quiet() && cli.IsTerminal(e.Stderr) {
		total := int64(0)
		if !s.streamMode {
			total = int64((s.epochs - done) * (s.epochRows / s.batch))
		}
		p.bar = e.Progress(total, "steps")
	}
	return p
}

func (p *progress) step() {
	if p.bar != nil {
		p.bar.Add(1)
	}
}

func (p *progress) epoch(st train.EpochStats) {
	p.madds += st.MulAdds
	now := time.Now()
	// Where the run is: epoch k of N (or streaming: the input sets N),
	// with an ETA from the mean epoch time when N is known.
	where := fmt.Sprintf("epoch %d (streaming)", st.Epoch)
	eta := ""
	if p.last > 0 {
		where = fmt.Sprintf("epoch %d of %d", st.Epoch, p.last)
		if left := p.last - st.Epoch; left > 0 && st.Epoch > p.done {
			per := now.Sub(p.start) / time.Duration(st.Epoch-p.done)
			eta = fmt.Sprintf(", ETA %s", (per * time.Duration(left)).Round(100*time.Millisecond))
		}
	}
	if p.bar == nil {
		short := ""
		if st.Short {
			short = " (input ended: short epoch)"
		}
		p.e.Logf("%s: mean loss %.6g over %d steps, %.3g s%s%s", where, st.MeanLoss, st.Steps, now.Sub(p.at).Seconds(), short, eta)
	} else {
		p.bar.Describe(fmt.Sprintf("%s, loss %.4g", where, st.MeanLoss))
	}
	p.at = now
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

func (p *progress) elapsed() float64 { return time.Since(p.start).Seconds() }

// cpu returns the process's CPU-seconds since the progress started.
func (p *progress) cpu() float64 { return cputime.Seconds() - p.cpu0 }
