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
bit-identical to an uninterrupted run (give it the same input and flags).`,
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
			&ucli.IntFlag{Name: "epoch-rows", Value: 0, Usage: "rows `N` per epoch (0 = 64000 when streaming, all rows with --epochs)"},
			&ucli.IntFlag{Name: "epochs", Value: 0, Usage: "replay the input `E` times, reshuffled (0 = stream until the input ends)"},
			&ucli.IntFlag{Name: "snapshot-every", Value: 1, Usage: "write a snapshot every `K` epochs (plus epoch 0 and the last)"},
			&ucli.StringFlag{Name: "resume", Usage: "continue from the last snapshot of network `FILE` (with the flags that wrote it)"},
			&ucli.BoolFlag{Name: "resume-changes", Usage: "let --resume continue with training flags (loss, lr, temp, batch, momentum, …) other than the file's; provenance records both segments"},
			&ucli.StringFlag{Name: "log", Usage: "write the per-step train log to `FILE`"},
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
	logPath    string
	trainCfg   train.Config
	streamMode bool
}

func parseSettings(e *cli.Env) (*settings, error) {
	s := &settings{
		arch: e.String("arch"), hid: e.Int("hid"), bias: e.Bool("bias"), initScale: e.Float64("init-scale"),
		negatives: e.Int("negatives"), epochRows: e.Int("epoch-rows"), epochs: e.Int("epochs"),
		batch: e.Int("batch"), every: e.Int("snapshot-every"), resume: e.String("resume"), logPath: e.String("log"),
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
	if s.negatives < 0 {
		return nil, cli.Usagef("--negatives %d: must not be negative", s.negatives)
	}
	if s.batch < 2 {
		return nil, cli.Usagef("--batch %d: must be at least 2", s.batch)
	}
	if s.epochRows < 0 {
		return nil, cli.Usagef("--epoch-rows %d: must not be negative", s.epochRows)
	}
	if s.epochs < 0 {
		return nil, cli.Usagef("--epochs %d: must not be negative", s.epochs)
	}
	if s.every < 1 {
		return nil, cli.Usagef("--snapshot-every %d: must be at least 1", s.every)
	}
	if s.logPath == "-" {
		return nil, cli.Usagef("--log -: stdout carries the network; give the log a file name")
	}
	if s.resume == "-" && outfile.IsStd(e.String(cli.FlagIn)) {
		return nil, cli.Usagef("--resume - and the views cannot both come from stdin")
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
		Seed: e.Seed(), Threads: e.Threads(),
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

// ReadRows implements train.RowReader over the views stream.
type rowReader struct {
	v  *views
	h  int // negatives used per row (≤ v.Negatives)
	b  arrowio.ViewsBatch
	at int
}

func (rr *rowReader) ReadRows(xa, xb, xneg []float64, n int) (int, error) {
	in := rr.v.In
	got := 0
	for got < n {
		if rr.at >= rr.b.Rows {
			if !rr.v.Next() {
				if err := rr.v.Err(); err != nil {
					return got, err
				}
				return got, io.EOF
			}
			var err error
			if rr.b, err = rr.v.Views(); err != nil {
				return got, err
			}
			rr.at = 0
			continue
		}
		k := min(n-got, rr.b.Rows-rr.at)
		copy(xa[got*in:(got+k)*in], rr.b.XA[rr.at*in:(rr.at+k)*in])
		copy(xb[got*in:(got+k)*in], rr.b.XB[rr.at*in:(rr.at+k)*in])
		if rr.h > 0 {
			full, h := rr.v.Negatives*in, rr.h*in
			for j := 0; j < k; j++ {
				copy(xneg[(got+j)*h:(got+j+1)*h], rr.b.XNeg[(rr.at+j)*full:(rr.at+j)*full+h])
			}
		}
		got += k
		rr.at += k
	}
	return got, nil
}

// snapshot is one network state read from a --resume file.
type snapshot struct {
	epoch    int
	net, vel *nn.Network
}

// readResume reads every snapshot of a network file and the model it
// carries.
func readResume(path string, e *cli.Env) ([]snapshot, arrowio.Meta, error) {
	r, err := arrowio.OpenNetwork(path, e.Stdin, e.Tool)
	if err != nil {
		return nil, arrowio.Meta{}, err
	}
	defer r.Close()
	var snaps []snapshot
	for {
		ep, net, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, arrowio.Meta{}, err
		}
		snaps = append(snaps, snapshot{epoch: ep, net: net, vel: r.Velocity()})
	}
	if len(snaps) == 0 {
		return nil, arrowio.Meta{}, fmt.Errorf("--resume %s: no snapshot in it", path)
	}
	return snaps, r.Meta(), nil
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

	// Negatives.
	h := s.negatives
	if v.Negatives > 0 {
		if h == 0 {
			h = v.Negatives
		}
		if h > v.Negatives {
			return cli.Usagef("--negatives %d: the input carries %d explicit negatives per row (x_neg)", h, v.Negatives)
		}
	} else {
		if h == 0 {
			h = 1
		}
		if h > s.batch-1 {
			return cli.Usagef("--negatives %d: in-batch negatives need at most batch-1 = %d", h, s.batch-1)
		}
	}
	explicitH := 0
	if v.Negatives > 0 {
		explicitH = h
	}
	s.trainCfg.Negatives = h

	// The network.
	var net *nn.Network
	switch s.arch {
	case nn.ArchTree:
		if v.model == nil {
			// The tree mirrors the HLTM; refused in arrowio.ModelOf's words,
			// as every tool refuses a file without the model it needs.
			_, err := arrowio.ModelOf(v.Meta(), v.Name())
			return fmt.Errorf("%w; an MLP needs no model: --arch mlp", err)
		}
		if v.model.NumLeaves() != v.In {
			return fmt.Errorf("%s: x_a has %d values per row but the model has %d leaves", v.Name(), v.In, v.model.NumLeaves())
		}
		// Latent nodes above the bottom level read children·hid values,
		// those of the bottom level their children leaves.
		latent, kids, hid := float64(v.model.NumNodes()-v.model.NumLeaves()), float64(v.model.Children()), float64(s.hid)
		bottom := float64(v.model.NumLeaves()) / kids
		weights := (latent-bottom)*kids*hid*hid + bottom*kids*hid
		if err := sizeCheck(fmt.Sprintf("--hid %d", s.hid), weights, latent*hid, s.batch); err != nil {
			return err
		}
		net = nn.NewTree(v.model.Depth(), v.model.Children(), s.hid, s.bias)
	case nn.ArchMLP:
		weights, width, prev := 0.0, 0.0, float64(v.In)
		for _, w := range s.widths {
			weights, width, prev = weights+prev*float64(w), width+float64(w), float64(w)
		}
		if err := sizeCheck("--widths "+e.String("widths"), weights, width, s.batch); err != nil {
			return err
		}
		net = nn.NewMLP(v.In, s.widths, s.bias)
	}
	net.Init(rng.New(e.Seed(), rng.Init, 0), s.initScale)

	var resumed []snapshot
	var resumeMeta arrowio.Meta
	var changes []string
	done := 0
	if s.resume != "" {
		resumed, resumeMeta, err = readResume(s.resume, e)
		if err != nil {
			return err
		}
		if resumeMeta.Model != v.Meta().Model {
			e.Logf("warning: %s was trained on another HLTM than %s carries; the run continues on the new data", s.resume, v.Name())
		}
		last := resumed[len(resumed)-1]
		if !net.SameShape(last.net) {
			return fmt.Errorf("--resume %s: its network (%s) differs from the one the flags and input describe (%s)", s.resume, describe(last.net), describe(net))
		}
		if resumeMeta.Config != "" {
			if changes, err = configChanges(resumeMeta.Config, e.Config()); err != nil {
				return fmt.Errorf("--resume %s: %v", s.resume, err)
			}
		}
		if len(changes) > 0 && !e.Bool("resume-changes") {
			return cli.Usagef("--resume %s was trained with other flags: %s; give its flags to continue the run, or add --resume-changes to go on with these (the provenance then records both)",
				s.resume, strings.Join(changes, ", "))
		}
		if s.trainCfg.Momentum != 0 && last.vel == nil {
			return fmt.Errorf("--resume %s: the file carries no momentum; it was written with --momentum 0", s.resume)
		}
		net = last.net
		done = last.epoch
	}

	// The source.
	var src train.Source
	rr := &rowReader{v: v, h: explicitH}
	if s.streamMode {
		src = &train.Stream{R: rr, In: v.In, H: explicitH, EpochRows: s.epochRows}
	} else {
		rep, err := loadReplay(rr, v.In, explicitH)
		if err != nil {
			return err
		}
		if rep.Rows == 0 {
			// A data error, not a usage error: no --batch fits an empty file.
			return fmt.Errorf("%s: no views in it: nothing to train (did the previous stage fail?)", v.Name())
		}
		if s.epochRows == 0 || s.epochRows > rep.Rows {
			s.epochRows = rep.Rows
		}
		if s.batch > s.epochRows {
			return cli.Usagef("--batch %d is larger than an epoch (%d rows in %s)", s.batch, s.epochRows, v.Name())
		}
		rep.Seed, rep.EpochRows = e.Seed(), s.epochRows
		src = rep
		if done > s.epochs {
			return cli.Usagef("--resume %s is at epoch %d, past --epochs %d", s.resume, done, s.epochs)
		}
	}

	tr, err := train.New(net, s.trainCfg)
	if err != nil {
		return cli.Usagef("%v", err)
	}
	if s.resume != "" {
		if tr.Velocity != nil {
			tr.Velocity = resumed[len(resumed)-1].vel
		}
		tr.Step = int64(done) * int64(s.epochRows/s.batch)
	}

	// Outputs: created only once the input and flags have been checked.
	if outfile.IsStd(e.String(cli.FlagOut)) && cli.IsTerminal(e.Stdout) {
		return cli.Usagef("refusing to write Arrow data to a terminal: redirect stdout or pass --out FILE")
	}
	meta := v.Meta().WithStep(arrowio.KindNetwork, e.Tool, cli.Version, e.Config())
	if len(changes) > 0 {
		// Two segments trained differently: the file's own history (its
		// provenance ends with the first segment's ssl-train step), then
		// this one, which says where it took over.
		meta = resumeMeta.WithStep(arrowio.KindNetwork, e.Tool, cli.Version, withResumedAt(e.Config(), done))
		e.Logf("resuming %s at epoch %d with other flags: %s", s.resume, done, strings.Join(changes, ", "))
	}
	out, err := arrowio.CreateNetwork(e.String(cli.FlagOut), e.Stdout, meta, net, tr.Velocity != nil)
	if err != nil {
		return err
	}
	defer out.Abort()
	// On SIGINT the snapshots taken so far are kept as a complete stream.
	out.KeepOnInterrupt()
	var logw *arrowio.RowWriter[arrowio.TrainLogRow]
	if s.logPath != "" {
		logMeta := v.Meta().WithStep(arrowio.TrainLog.Kind, e.Tool, cli.Version, e.Config())
		lw, err := arrowio.Create(s.logPath, nil, logMeta, arrowio.TrainLog.Columns())
		if err != nil {
			return err
		}
		logw = arrowio.TrainLog.Writer(lw)
		defer logw.Abort()
		logw.KeepOnInterrupt()
	}
	written := -1
	snap := func(epoch int) error {
		if epoch == written {
			return nil
		}
		written = epoch
		return out.Write(epoch, tr.Net, tr.Velocity)
	}
	if s.resume == "" {
		if err := snap(0); err != nil {
			return err
		}
	} else {
		// Carry over the snapshots an uninterrupted run would have written.
		for _, sn := range resumed {
			if sn.epoch == 0 || sn.epoch%s.every == 0 {
				written = sn.epoch
				if err := out.Write(sn.epoch, sn.net, sn.vel); err != nil {
					return err
				}
			}
		}
	}

	// Progress: a bar on a terminal, one line per epoch otherwise.
	var bar *cli.Progress
	steps := s.epochRows / s.batch
	if !e.Quiet() && cli.IsTerminal(e.Stderr) {
		total := int64(0)
		if !s.streamMode {
			total = int64((s.epochs - done) * steps)
		}
		bar = e.Progress(total, "steps")
	}
	start := time.Now()
	epochStart := start
	startStep := tr.Step
	var madds int64
	var lastGood *nn.Network
	lastGoodEpoch := done
	loop := &train.Loop{Trainer: tr, Source: src, EpochRows: s.epochRows, BatchRows: s.batch, Epochs: s.epochs, Done: done,
		OnStep: func(epoch int, st train.StepStats) error {
			if err := e.Interrupted(); err != nil {
				return err
			}
			if bar != nil {
				bar.Add(1)
			}
			if logw != nil {
				return logw.Write(arrowio.TrainLogRow{Epoch: int32(epoch), Step: st.Step, Loss: st.Loss, GradNorm: st.GradNorm, LR: st.LR})
			}
			return nil
		},
		OnEpoch: func(st train.EpochStats) error {
			madds += st.MulAdds
			now := time.Now()
			if bar == nil {
				short := ""
				if st.Short {
					short = " (input ended: short epoch)"
				}
				e.Logf("epoch %d: mean loss %.6g over %d steps, %.3g s%s", st.Epoch, st.MeanLoss, st.Steps, now.Sub(epochStart).Seconds(), short)
			}
			epochStart = now
			lastGoodEpoch = st.Epoch
			lastGood = nil
			if st.Epoch%s.every == 0 {
				return snap(st.Epoch)
			}
			if !st.Short && (s.epochs == 0 || st.Epoch < s.epochs) {
				// Keep this epoch's state in case a later step fails.
				lastGood = tr.Net.Clone()
			}
			return nil
		},
	}
	last, err := loop.Run()
	if bar != nil {
		bar.Finish()
	}
	var nf *train.NonFiniteError
	if errors.As(err, &nf) || (err != nil && e.Interrupted() != nil) {
		// Keep what is good: the snapshots so far and the last completed
		// epoch's network.
		if lastGood != nil && lastGoodEpoch != written {
			if werr := out.Write(lastGoodEpoch, lastGood, nil); werr != nil {
				return werr
			}
			written = lastGoodEpoch
		}
		if cerr := out.Close(); cerr != nil {
			return cerr
		}
		if logw != nil {
			logw.Close()
		}
		return fmt.Errorf("%w; the snapshots up to epoch %d are in %s", err, max(written, 0), outName(e.String(cli.FlagOut)))
	}
	if err != nil {
		return err
	}
	if last == done && s.resume == "" && s.streamMode {
		return fmt.Errorf("%s: fewer rows than one batch (%d): nothing to train", v.Name(), s.batch)
	}
	if err := snap(last); err != nil {
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
	el := time.Since(start).Seconds()
	if last == done {
		e.Summary("nothing to train: %s is at epoch %d; its snapshots are copied", s.resume, done)
		return nil
	}
	e.Summary("trained epochs %d-%d (%d steps) in %.3g s: %.3g s/epoch, %.3g GFLOP/s", done+1, last, tr.Step-startStep, el, el/float64(max(last-done, 1)), 2*float64(madds)/el/1e9)
	return nil
}

// maxFloats bounds the weights of a network and the activations of one
// batch (2^27 float64 = 1 GiB each), so that an absurd --hid, --widths or
// --batch is a usage error rather than an out-of-memory crash.
const maxFloats = 1 << 27

// sizeCheck refuses a network of weights weights and total width width
// trained in batches of batch rows when either would exceed maxFloats.
func sizeCheck(what string, weights, width float64, batch int) error {
	if weights > maxFloats {
		return cli.Usagef("%s: the network would have %.3g weights (at most %d)", what, weights, maxFloats)
	}
	if act := width * float64(batch); act > maxFloats {
		return cli.Usagef("%s --batch %d: one batch would hold %.3g activations (at most %d): lower --batch or the width", what, batch, act, maxFloats)
	}
	return nil
}

func loadReplay(rr *rowReader, in, h int) (*train.Replay, error) {
	rep := &train.Replay{In: in, H: h}
	const chunk = 4096
	for {
		n := rep.Rows
		rep.XA = append(rep.XA, make([]float64, chunk*in)...)
		rep.XB = append(rep.XB, make([]float64, chunk*in)...)
		var xn []float64
		if h > 0 {
			rep.XNeg = append(rep.XNeg, make([]float64, chunk*h*in)...)
			xn = rep.XNeg[n*h*in:]
		}
		got, err := rr.ReadRows(rep.XA[n*in:], rep.XB[n*in:], xn, chunk)
		rep.Rows += got
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if got < chunk {
			break
		}
	}
	rep.XA, rep.XB = rep.XA[:rep.Rows*in], rep.XB[:rep.Rows*in]
	if h > 0 {
		rep.XNeg = rep.XNeg[:rep.Rows*h*in]
	}
	return rep, nil
}

func describe(n *nn.Network) string {
	if n.Arch == nn.ArchTree {
		return fmt.Sprintf("tree depth %d, children %d, hid %d, bias %v", n.Depth, n.Kids, n.Hid, n.Bias)
	}
	var w []string
	for _, l := range n.Layers {
		w = append(w, strconv.Itoa(l.OutDim))
	}
	return fmt.Sprintf("mlp %d→%s, bias %v", n.InDim(), strings.Join(w, ","), n.Bias)
}

func outName(p string) string {
	if outfile.IsStd(p) {
		return "stdout"
	}
	return p
}
