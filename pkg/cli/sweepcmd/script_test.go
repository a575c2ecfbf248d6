package sweepcmd_test

import (
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli/internal/scripttest"
)

func TestMain(m *testing.M) {
	scripttest.Main(m, map[string]func(){"fake-stage": fakeStage})
}

// TestScripts runs this package's scripts (testdata/*.txtar): the sweep
// workflow with fake pipeline stages, so make's behaviour (resume, -k,
// failed runs, chunks) is tested without the real tools.
func TestScripts(t *testing.T) {
	p := scripttest.Params("testdata")
	p.TestWork = os.Getenv("TESTSCRIPT_KEEP") != "" // keep the work directories to look at
	p.Condition = func(cond string) (bool, error) {
		if cond == "make" {
			_, err := exec.LookPath("make")
			return err == nil, nil
		}
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	testscript.Run(t, p)
}

// fakeLineval writes probe --lineval's table for the first and last epoch:
// node features beat the root embedding on the lower level, accuracy rises
// with hid and epoch.
func fakeLineval(path string, depth int, hid, seed float64) error {
	w, err := arrowio.Create(path, nil, arrowio.Meta{Kind: arrowio.KindLineval}, arrowio.Lineval.Columns())
	if err != nil {
		return err
	}
	rw := arrowio.Lineval.Writer(w)
	node := 0
	for l := 0; l < depth; l++ {
		for k := 0; k < 1<<l; k++ {
			for _, e := range []int{0, 3} {
				for fi, f := range []string{"root", "node"} {
					acc := 0.5 + 0.01*float64(e)*hid + 0.05*float64(l*fi) - 0.03*float64(l*(1-fi)) + 0.005*seed
					if err := rw.Write(arrowio.LinevalRow{Epoch: int32(e), Node: int32(node), Name: fmt.Sprintf("n%d", node),
						Level: int32(l), DepthIndex: int32(depth - l), Features: f, Dim: 4, Lambda: 0.1, ValAcc: acc,
						Accuracy: acc, StdErr: 0.01, Ceiling: 0.9 + 0.02*float64(l), CeilingSE: 0.005, Exact: math.NaN()}); err != nil {
						return err
					}
				}
			}
			node++
		}
	}
	return w.Close()
}

// fakeStage stands in for every pipeline tool: `fake-stage ROLE FLAGS…`.
// gen writes its flags as text; augment and train copy stdin (or --in) to
// --out and append their flags; probe and covop write real dualssl probe
// and covop tables whose values follow the run's flags (hid, seed) and
// epochs, so a report has something to summarise. A stage whose --out path
// contains $FAKE_FAIL fails after writing half its output to --out
// directly (not atomically), as a crashing tool might; one whose --out
// contains $FAKE_HANG writes half its output and waits to be interrupted;
// a probe whose --out contains $FAKE_NAN writes one NaN best_abs_corr.
func fakeStage() {
	if err := fake(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "fake-stage:", err)
		os.Exit(1)
	}
}

func fake(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("no role")
	}
	role, flags := args[0], map[string]string{}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			flags[a] = args[i+1]
			i++
		} else {
			flags[a] = "true"
		}
	}
	out := flags["--out"]
	if out == "" {
		out = "-"
	}
	if f := os.Getenv("FAKE_FAIL"); f != "" && strings.Contains(out, f) {
		os.WriteFile(out, []byte("half"), 0o644)
		return fmt.Errorf("injected failure writing %s", out)
	}
	if f := os.Getenv("FAKE_HANG"); f != "" && strings.Contains(out, f) {
		// Half an output, then wait to be interrupted.
		os.WriteFile(out, []byte("half"), 0o644)
		time.Sleep(time.Minute)
		return fmt.Errorf("not interrupted within a minute")
	}
	var input []byte
	var err error
	switch {
	case flags["--in"] != "":
		input, err = os.ReadFile(flags["--in"])
	case role != "gen":
		input, err = io.ReadAll(os.Stdin)
	}
	if err != nil {
		return err
	}
	self := strings.Join(args, " ")
	switch role {
	case "gen", "augment", "train":
		text := string(input) + self + "\n"
		if flags["--log"] != "" {
			if err := os.WriteFile(flags["--log"], []byte("log\n"), 0o644); err != nil {
				return err
			}
		}
		if out == "-" {
			_, err = io.WriteString(os.Stdout, text)
			return err
		}
		return os.WriteFile(out, []byte(text), 0o644)
	case "probe", "covop":
		// The net file holds the gen/train command lines: read hid, seed, depth.
		hid, seed, depth := 10.0, 1.0, 2
		for _, w := range strings.Split(string(input), "\n") {
			f := strings.Fields(w)
			for i := 0; i+1 < len(f); i++ {
				v, _ := strconv.ParseFloat(f[i+1], 64)
				switch f[i] {
				case "--hid":
					hid = v
				case "--seed":
					seed = v
				case "--depth":
					depth = int(v)
				}
			}
		}
		const epochs = 3
		var cols []arrowio.Column
		kind := arrowio.KindProbe
		if role == "probe" {
			cols = []arrowio.Column{{Name: "epoch", Type: arrowio.Int32}, {Name: "node", Type: arrowio.Int32}, {Name: "name", Type: arrowio.String},
				{Name: "level", Type: arrowio.Int32}, {Name: "depth_index", Type: arrowio.Int32}, {Name: "best_abs_corr", Type: arrowio.Float64},
				{Name: "best_neuron", Type: arrowio.Int32}, {Name: "ceiling", Type: arrowio.Float64}, {Name: "fraction", Type: arrowio.Float64}}
		} else {
			kind = arrowio.KindCovop
			cols = []arrowio.Column{{Name: "epoch", Type: arrowio.Int32}, {Name: "level", Type: arrowio.Int32},
				{Name: "trace", Type: arrowio.Float64}, {Name: "eigenvalues", Type: arrowio.ListFloat64}}
		}
		w, err := arrowio.Create(out, os.Stdout, arrowio.Meta{Kind: kind}, cols)
		if err != nil {
			return err
		}
		for e := 0; e <= epochs; e++ {
			if role == "covop" {
				for l := 0; l < depth; l++ {
					if err := w.Append(int32(e), int32(l), float64(e)*hid, []float64{float64(e), 1}); err != nil {
						return err
					}
				}
				continue
			}
			node := 0
			for l := 0; l < depth; l++ {
				for k := 0; k < 1<<l; k++ {
					// Rises with epoch and hid, lower levels higher, a little seed noise.
					v := math.Min(1, 0.1+float64(e)*(0.02*hid+0.05*float64(l))+0.02*seed)
					if f := os.Getenv("FAKE_NAN"); f != "" && strings.Contains(out, f) && e == epochs && node == 1 {
						v = math.NaN() // a diverged or degenerate run
					}
					if err := w.Append(int32(e), int32(node), fmt.Sprintf("n%d", node), int32(l), int32(depth-l), v, int32(0), 1.0, v); err != nil {
						return err
					}
					node++
				}
			}
		}
		if err := w.Close(); err != nil {
			return err
		}
		if role == "probe" && flags["--lineval"] != "" {
			return fakeLineval(flags["--lineval"], depth, hid, seed)
		}
		return nil
	}
	return fmt.Errorf("unknown role %q", role)
}
