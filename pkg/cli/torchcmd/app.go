package torchcmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/outfile"
	"github.com/dualssl/dualssl/pkg/statedict"
)

// Main runs dualssl-torch with args (os.Args) and returns the exit code.
func Main(args []string) int { return cli.Main(App(), args) }

// App returns the dualssl-torch command.
func App() *ucli.App { return cli.NewApp(Tool()) }

// Tool describes dualssl-torch.
func Tool() cli.Tool {
	return cli.Tool{
		Name:  "dualssl-torch",
		Usage: "export a network snapshot as a PyTorch state dict (safetensors), or import one",
		Docs:  "README.md, section \"PyTorch weights\"",
		Args:  "export|import",
		Description: `
export: reads a network file (made by ssl-train) from stdin or --in and
writes one snapshot (--epoch, default last) as a safetensors file whose
names are the reference implementation's: nets.<node>.weight (hid x in) and
nets.<node>.bias per latent node, the root "s" and child k of node n named
n followed by k (s0, s01, ...); an MLP's layers.<l>.weight/bias. Its
__metadata__ carries the HLTM, the architecture, the provenance and the
epoch. PyTorch loads it with load_state_dict (scripts/torch/load_statedict.py
shows how, with no safetensors package).

import: reads a safetensors state dict with those names (ours, or saved from
a PyTorch run) and writes a network file of one snapshot (epoch: --epoch, or
the file's dualssl.epoch, or 0). The HLTM comes from the file's metadata or
--model (any dualssl file that carries it, e.g. the samples).

  dualssl-torch export --epoch 0 < net.arrows > init.safetensors
  dualssl-torch import --model samples.arrows < trained.safetensors > net.arrows
  ssl-train --init init.safetensors ... < views.arrows > net2.arrows`,
		Input: true, Output: true,
		NoConfig: []string{"model"},
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "epoch", Usage: "export: the snapshot `EPOCH` (a number, first or last; default last); import: the epoch to record (default: the file's, else 0)"},
			&ucli.StringFlag{Name: "dtype", Value: "f64", Usage: "export: tensor type `T`, f64 (exact) or f32 (PyTorch's default; rounds)"},
			cli.InputFile(&ucli.StringFlag{Name: "model", Usage: "import: take the HLTM from dualssl `FILE` when the state dict carries none"}),
		},
		Action: run,
	}
}

func run(env *cli.Env) error {
	switch env.Args().First() {
	case "export":
		return export(env)
	case "import":
		return importDict(env)
	case "":
		return cli.Usagef("say export (network file → safetensors) or import (safetensors → network file)")
	default:
		return cli.Usagef("%q: want export or import", env.Args().First())
	}
}

func export(env *cli.Env) error {
	if env.String("model") != "" {
		return cli.Usagef("--model is for import: export takes the HLTM from the network file")
	}
	var dt statedict.DType
	switch env.String("dtype") {
	case "f64":
		dt = statedict.F64
	case "f32":
		dt = statedict.F32
	default:
		return cli.Usagef("--dtype %q: want f64 or f32", env.String("dtype"))
	}
	out := env.String(cli.FlagOut)
	if outfile.IsStd(out) && cli.IsTerminal(env.Stdout) {
		return cli.Usagef("refusing to write a binary safetensors file to a terminal: redirect stdout or pass --out FILE")
	}
	epoch := env.String("epoch")
	if epoch == "" {
		epoch = "last"
	}
	w, err := env.LoadWeights(env.String(cli.FlagIn), epoch, "in", "epoch")
	if err != nil {
		return err
	}
	if w.Meta == nil {
		return fmt.Errorf("%s is already a state dict: export reads a network file (made by ssl-train)", outfile.Name(env.String(cli.FlagIn), "stdin"))
	}
	step := w.Meta.WithStep(arrowio.KindNetwork, env.Tool+" export", cli.Version, env.Config())
	prov, err := json.Marshal(step.Provenance)
	if err != nil {
		return err
	}
	arch, err := json.Marshal(nn.SpecOf(w.Net))
	if err != nil {
		return err
	}
	meta := map[string]string{
		statedict.KeyKind: statedict.KindStateDict, statedict.KeyEpoch: strconv.Itoa(w.Epoch),
		statedict.KeyNetwork: string(arch), statedict.KeyProvenance: string(prov),
	}
	if w.Model != "" {
		meta[statedict.KeyModel] = w.Model
	}
	var buf bytes.Buffer
	if err := statedict.Encode(&buf, w.Net, meta, dt); err != nil {
		return err
	}
	if outfile.IsStd(out) {
		if _, err := env.Stdout.Write(buf.Bytes()); err != nil {
			return err
		}
	} else if err := outfile.WriteFile(out, buf.Bytes(), 0o666); err != nil {
		return err
	}
	env.Summary("epoch %d of %s: %d tensors, %d parameters (%s) to %s", w.Epoch, nn.SpecOf(w.Net), 2*numBlocks(w), w.Net.NumParams(), env.String("dtype"), outfile.Name(out, "stdout"))
	return nil
}

func numBlocks(w *cli.Weights) int {
	n := 0
	for _, l := range w.Net.Layers {
		n += len(l.Blocks)
	}
	return n
}

func importDict(env *cli.Env) error {
	if env.IsSet("dtype") {
		return cli.Usagef("--dtype is for export: import reads F32 and F64 tensors")
	}
	in := env.String(cli.FlagIn)
	w, err := env.LoadWeights(in, "last", "in", "epoch")
	if err != nil {
		return err
	}
	if w.Dict == nil {
		return fmt.Errorf("%s is a network file already: import reads a safetensors state dict (dualssl-torch export, or a PyTorch run)", outfile.Name(in, "stdin"))
	}
	epoch := w.Epoch
	if s := env.String("epoch"); s != "" {
		e, err := strconv.Atoi(s)
		if err != nil || e < 0 || e > 1<<30 {
			return cli.Usagef("--epoch %q: want a non-negative epoch number", s)
		}
		epoch = e
	}
	from := arrowio.Meta{Model: w.Model}
	if p := w.Dict[statedict.KeyProvenance]; p != "" {
		if err := json.Unmarshal([]byte(p), &from.Provenance); err != nil {
			return fmt.Errorf("%s: metadata %s is not a provenance list: %v", outfile.Name(in, "stdin"), statedict.KeyProvenance, err)
		}
	}
	if path := env.String("model"); path != "" {
		r, err := env.OpenPath(path, "")
		if err != nil {
			return err
		}
		m, err := r.Model()
		r.Close()
		if err != nil {
			return err
		}
		from.Model = arrowio.ModelJSON(m)
	}
	if from.Model != "" {
		m, err := arrowio.ModelOf(from, outfile.Name(in, "stdin"))
		if err != nil {
			return err
		}
		if w.Net.Arch == nn.ArchTree && (m.Depth() != w.Net.Depth || m.Children() != w.Net.Kids) {
			return fmt.Errorf("the HLTM (depth %d, %d children) does not fit the state dict's %s", m.Depth(), m.Children(), nn.SpecOf(w.Net))
		}
		if w.Net.InDim() != m.NumLeaves() {
			return fmt.Errorf("the state dict's network reads %d inputs, the HLTM has %d leaves", w.Net.InDim(), m.NumLeaves())
		}
	} else {
		env.Logf("warning: no HLTM in the state dict and no --model: probe and covop will need one (dualssl-torch import --model samples.arrows)")
	}
	out := env.String(cli.FlagOut)
	if outfile.IsStd(out) && cli.IsTerminal(env.Stdout) {
		return cli.Usagef("refusing to write Arrow data to a terminal: redirect stdout or pass --out FILE")
	}
	meta := from.WithStep(arrowio.KindNetwork, env.Tool+" import", cli.Version, env.Config())
	nw, err := arrowio.CreateNetwork(out, env.Stdout, meta, w.Net, false)
	if err != nil {
		return err
	}
	defer nw.Abort()
	if err := nw.Write(epoch, w.Net, nil); err != nil {
		return err
	}
	if err := nw.Close(); err != nil {
		return err
	}
	env.Summary("%s at epoch %d: %d parameters", nn.SpecOf(w.Net), epoch, w.Net.NumParams())
	return nil
}
