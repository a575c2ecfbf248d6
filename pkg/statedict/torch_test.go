package statedict

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dualssl/dualssl/pkg/nn"
)

// torchPython returns a Python interpreter that imports torch, or "" when
// none does. DUALSSL_PYTHON names one explicitly; otherwise python3 on the
// PATH and then Debian's /usr/bin/python3 (where python3-torch installs)
// are tried.
func torchPython() string {
	cands := []string{"python3", "/usr/bin/python3"}
	if p := os.Getenv("DUALSSL_PYTHON"); p != "" {
		cands = []string{p}
	}
	for _, p := range cands {
		if exec.Command(p, "-c", "import torch").Run() == nil {
			return p
		}
	}
	return ""
}

// torchScript returns the Python interpreter with torch and the path of
// scripts/torch/load_statedict.py, or skips the test (with -short, or
// when no interpreter imports torch).
func torchScript(t *testing.T) (py, script string) {
	if testing.Short() {
		t.Skip("short: no Python")
	}
	if py = torchPython(); py == "" {
		t.Skip("no python3 with torch (install Debian's python3-torch, or set DUALSSL_PYTHON): PyTorch interoperability not tested")
	}
	script, err := filepath.Abs("../../scripts/torch/load_statedict.py")
	if err != nil {
		t.Fatal(err)
	}
	return py, script
}

// TestTorchReadsExport: PyTorch (Debian's python3-torch) loads an exported
// network into a network built the reference's way with a strict
// load_state_dict, and reproduces our output and every node's
// pre-activation on a few samples to 1e-6 (scripts/torch/load_statedict.py).
func TestTorchReadsExport(t *testing.T) {
	py, script := torchScript(t)
	nets := map[string]*nn.Network{
		"tree-d3-k2": nn.NewTree(3, 2, 4, true),
		"tree-d2-k3": nn.NewTree(2, 3, 5, false),
		"tree-d1-k4": nn.NewTree(1, 4, 3, true),
		"mlp":        nn.NewMLP(8, []int{6, 5, 3}, true),
	}
	dir := t.TempDir()
	var args []string
	for _, name := range []string{"tree-d3-k2", "tree-d2-k3", "tree-d1-k4", "mlp"} {
		n := nets[name]
		rnd := rand.New(rand.NewPCG(5, 6))
		n.Init(rnd, 1)
		var buf bytes.Buffer
		if err := Encode(&buf, n, map[string]string{KeyEpoch: "0"}, F64); err != nil {
			t.Fatal(err)
		}
		netPath := filepath.Join(dir, name+".safetensors")
		if err := os.WriteFile(netPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		const batch = 6
		x := make([]float64, batch*n.InDim())
		for i := range x {
			x[i] = float64(rnd.IntN(2))
		}
		var a nn.Activations
		n.Forward(x, batch, &a)
		check := map[string]any{"x": rows(x, batch), "f": rows(a.Output(), batch)}
		pre := map[string]any{}
		ts, _ := Tensors(n)
		for li, l := range n.Layers {
			for bi, b := range l.Blocks {
				h := make([]float64, 0, batch*b.Out)
				for s := 0; s < batch; s++ {
					h = append(h, a.H[li+1][s*l.OutDim+b.OutOffset:][:b.Out]...)
				}
				key := strings.TrimSuffix(ts[2*(blockIndex(n, li)+bi)].Name, ".weight")
				pre[strings.TrimPrefix(key, "nets.")] = rows(h, batch)
			}
		}
		check["pre"] = pre
		js, _ := json.Marshal(check)
		checkPath := filepath.Join(dir, name+".json")
		if err := os.WriteFile(checkPath, js, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, netPath, checkPath)
		if name == "mlp" {
			// A control the script must reject: one output off by 1e-3.
			check["f"].([][]float64)[2][1] += 1e-3
			js, _ := json.Marshal(check)
			bad := filepath.Join(dir, "control.json")
			if err := os.WriteFile(bad, js, 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, netPath, bad)
		}
	}
	// One Python process for all (importing torch takes seconds); the
	// control makes it exit 1, and every real network must match to 1e-6.
	out, err := exec.Command(py, append([]string{script}, args...)...).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("%s: %v (want exit status 1 from the control)\n%s", script, err, out)
	}
	t.Logf("%s", out)
	re := regexp.MustCompile(`(\S+): max \|difference\| over 6 samples: (\S+)`)
	found := 0
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		d, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		found++
		control := found == 5
		if control != (d > 1e-6) {
			t.Errorf("%s (control %v): difference %v", m[1], control, d)
		}
	}
	if found != 5 {
		t.Fatalf("%d comparisons, want 4 networks and the control", found)
	}
}

// blockIndex returns the index of layer li's first block among all blocks.
func blockIndex(n *nn.Network, li int) int {
	k := 0
	for _, l := range n.Layers[:li] {
		k += len(l.Blocks)
	}
	return k
}

func rows(v []float64, batch int) [][]float64 {
	w := len(v) / batch
	r := make([][]float64, batch)
	for i := range r {
		r[i] = v[i*w : (i+1)*w]
	}
	return r
}

// TestImportTorchInit: a tree network initialised by PyTorch the
// reference's way and saved as float32 safetensors (no dualssl metadata)
// imports, and our forward pass reproduces PyTorch's outputs to 1e-6.
func TestImportTorchInit(t *testing.T) {
	py, script := torchScript(t)
	dir := t.TempDir()
	netPath, checkPath := filepath.Join(dir, "torch.safetensors"), filepath.Join(dir, "check.json")
	if out, err := exec.Command(py, script, "--reference", "3", "2", "5", "7", netPath, checkPath).CombinedOutput(); err != nil {
		t.Fatalf("%s --reference: %v\n%s", script, err, out)
	}
	b, err := os.ReadFile(netPath)
	if err != nil {
		t.Fatal(err)
	}
	n, meta, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if n.Arch != nn.ArchTree || n.Depth != 3 || n.Kids != 2 || n.Hid != 5 || !n.Bias || meta[KeyFormat] != "pt" {
		t.Fatalf("imported %s, metadata %v", nn.SpecOf(n), meta)
	}
	var check struct{ X, F [][]float64 }
	js, err := os.ReadFile(checkPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &check); err != nil {
		t.Fatal(err)
	}
	var x []float64
	for _, r := range check.X {
		x = append(x, r...)
	}
	var a nn.Activations
	n.Forward(x, len(check.X), &a)
	worst := 0.0
	for s, row := range check.F {
		for j, v := range row {
			worst = max(worst, math.Abs(a.Output()[s*n.OutDim()+j]-v))
		}
	}
	if worst > 1e-6 {
		t.Fatalf("our forward pass differs from PyTorch's by %g", worst)
	}
	t.Logf("largest difference from PyTorch's outputs: %g", worst)
}
