package embed

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dualssl/dualssl/pkg/nn"
)

func tree() *nn.Network {
	n := nn.NewTree(3, 2, 4, true)
	n.Init(rand.New(rand.NewPCG(1, 2)), 1)
	return n
}

func TestSelect(t *testing.T) {
	n := tree()
	bs, err := Select(n, []string{"f", "f_norm", "h_level2", "a_level2", "h_z3", "a_z1", "h_root"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Block{
		{"f", 3, 0, 4, Pre}, {"f_norm", 3, 0, 4, Normalised},
		{"h_level2", 1, 0, 16, Pre}, {"a_level2", 1, 0, 16, Post},
		{"h_z3", 1, 0, 4, Pre}, {"a_z1", 2, 0, 4, Post}, {"h_root", 3, 0, 4, Pre},
	}
	for i := range want {
		if bs[i] != want[i] {
			t.Fatalf("block %d: %+v, want %+v", i, bs[i], want[i])
		}
	}
	if z6, _ := Select(n, []string{"h_z6"}); z6[0].Off != 12 {
		t.Fatalf("z6 is the fourth node of level 2: offset %d, want 12", z6[0].Off)
	}
	all, err := Select(n, []string{"all"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range all {
		names = append(names, b.Name)
	}
	if got := strings.Join(names, " "); got != "h_level2 a_level2 h_level1 a_level1 h_level0" {
		t.Fatalf("all: %s", got)
	}
	mlp := nn.NewMLP(8, []int{5, 3}, false)
	if bs, err := Select(mlp, []string{"a_layer1", "h_layer2"}); err != nil || bs[0].Width != 5 || bs[1].Layer != 2 {
		t.Fatalf("mlp: %+v, %v", bs, err)
	}
	for _, bad := range [][]string{{}, {"g"}, {"h_level7"}, {"a_level0"}, {"a_root"}, {"f", "f"}, {"h_z99"}, {"h_z1", "h_z1"}, {"h_layer1"}} {
		if _, err := Select(n, bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestRun: the blocks equal the forward pass's values, f_norm has norm
// ‖f‖/(‖f‖+ε), and results do not depend on how the input is batched.
func TestRun(t *testing.T) {
	n := tree()
	bs, err := Select(n, []string{"f", "f_norm", "a_level2", "h_z5"})
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	const batch = 7
	x := make([]float64, batch*n.InDim())
	for i := range x {
		x[i] = float64(rnd.IntN(2))
	}
	out := New(n, bs).Run(x, batch, nil)
	var a nn.Activations
	n.Forward(x, batch, &a)
	for s := 0; s < batch; s++ {
		f := a.F[3][s*4 : s*4+4]
		r := math.Sqrt(f[0]*f[0] + f[1]*f[1] + f[2]*f[2] + f[3]*f[3])
		nr := 0.0
		for j := 0; j < 4; j++ {
			if out[0][s*4+j] != f[j] {
				t.Fatal("f differs from the output")
			}
			nr += out[1][s*4+j] * out[1][s*4+j]
		}
		if math.Abs(math.Sqrt(nr)-r/(r+1e-4)) > 1e-12 {
			t.Fatalf("‖f_norm‖ = %v, want %v", math.Sqrt(nr), r/(r+1e-4))
		}
		for j := 0; j < 16; j++ {
			h := a.H[1][s*16+j]
			if out[2][s*16+j] != math.Max(h, 0) {
				t.Fatal("a_level2 is not ReLU(h)")
			}
		}
		// z5 is the third node of level 2: columns 8 … 11 of layer 1.
		for j := 0; j < 4; j++ {
			if out[3][s*4+j] != a.H[1][s*16+8+j] {
				t.Fatal("h_z5 is not node 5's pre-activation")
			}
		}
	}
	// One sample at a time gives the same bytes.
	e := New(n, bs)
	one := make([][]float64, len(bs))
	for s := 0; s < batch; s++ {
		one = e.Run(x[s*n.InDim():(s+1)*n.InDim()], 1, one)
	}
	for i := range out {
		for j := range out[i] {
			if math.Float64bits(out[i][j]) != math.Float64bits(one[i][j]) {
				t.Fatalf("block %s differs when run sample by sample", bs[i].Name)
			}
		}
	}
}
