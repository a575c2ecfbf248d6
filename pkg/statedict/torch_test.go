package statedict

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
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

// TestTorchReadsExport: PyTorch (Debian's python3-torch) loads an exported
// network into a network built the reference's way with a strict
// load_state_dict, and reproduces our output and every node's
// pre-activation on a few samples to 1e-6 (scripts/torch/load_statedict.py).
func TestTorchReadsExport(t *testing.T) {
	if testing.Short() {
		t.Skip("short: no Python")
	}
	py := torchPython()
	if py == "" {
		t.Skip("no python3 with torch (install Debian's python3-torch, or set DUALSSL_PYTHON): PyTorch interoperability not tested")
	}
	script, err := filepath.Abs("../../scripts/torch/load_statedict.py")
	if err != nil {
		t.Fatal(err)
	}
	nets := map[string]*nn.Network{
		"tree-d3-k2": nn.NewTree(3, 2, 4, true),
		"tree-d2-k3": nn.NewTree(2, 3, 5, false),
		"tree-d1-k4": nn.NewTree(1, 4, 3, true),
		"mlp":        nn.NewMLP(8, []int{6, 5, 3}, true),
	}
	for name, n := range nets {
		t.Run(name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(5, 6))
			n.Init(rnd, 1)
			dir := t.TempDir()
			var buf bytes.Buffer
			if err := Encode(&buf, n, map[string]string{KeyEpoch: "0"}, F64); err != nil {
				t.Fatal(err)
			}
			netPath := filepath.Join(dir, "net.safetensors")
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
			checkPath := filepath.Join(dir, "check.json")
			if err := os.WriteFile(checkPath, js, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(py, script, netPath, checkPath).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", script, err, out)
			}
			if !strings.Contains(string(out), "max |difference| over 6 samples") {
				t.Fatalf("unexpected output:\n%s", out)
			}
			t.Logf("%s", out)
		})
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
