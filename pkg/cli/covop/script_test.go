package covop_test

import (
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli/covop"
	"github.com/dualssl/dualssl/pkg/cli/ssltrain"
	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/rng"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"covop":      func() { os.Exit(covop.Main(os.Args)) },
		"ssl-train":  func() { os.Exit(ssltrain.Main(os.Args)) },
		"make-views": func() { os.Exit(makeViews(os.Args[1:])) },
		"covop-show": func() { os.Exit(show(os.Args[1:])) },
	})
}

// TestScripts runs testdata/*.txtar: covop on networks trained by ssl-train
// on views made by the make-views helper (a stand-in for hltm-gen | augment).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata"})
}

// makeViews writes views of a random binary HLTM keeping the latents of
// level -keep (0 = root), key = their values as bits, to -o FILE.
func makeViews(args []string) int {
	fs := flag.NewFlagSet("make-views", flag.ContinueOnError)
	n := fs.Int("n", 1000, "rows")
	depth := fs.Int("depth", 3, "tree depth")
	keep := fs.Int("keep", 0, "kept level")
	seed := fs.Uint64("seed", 1, "seed of the samples")
	modelSeed := fs.Uint64("model-seed", 1, "seed of the polarities")
	noKey := fs.Bool("nokey", false, "leave the key column out")
	neg := fs.Bool("neg", false, "add x_neg: one fresh sample per row")
	out := fs.String("o", "-", "output file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	m, err := hltm.New(*depth, 2, hltm.RandomPolarities(rng.New(*modelSeed, rng.Tree, 0), (1<<(*depth+1))-2, 0.7, 1, false))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	model, _ := m.MarshalJSON()
	meta := arrowio.Meta{Kind: arrowio.KindViews, Model: string(model), Config: fmt.Sprintf(`{"keep":"%d"}`, *keep)}
	leaves, nodes := m.NumLeaves(), m.NumNodes()
	cols := []arrowio.Column{{Name: "id", Type: arrowio.Int64}, {Name: "key", Type: arrowio.Int64},
		{Name: "x_a", Type: arrowio.FixedFloat64, Size: leaves}, {Name: "x_b", Type: arrowio.FixedFloat64, Size: leaves},
		{Name: "z_a", Type: arrowio.FixedInt8, Size: nodes}, {Name: "z_b", Type: arrowio.FixedInt8, Size: nodes}}
	if *noKey {
		cols = append(cols[:1], cols[2:]...)
	}
	if *neg {
		cols = append(cols, arrowio.Column{Name: "x_neg", Type: arrowio.FixedFloat64, Size: leaves})
	}
	w, err := arrowio.Create(*out, os.Stdout, meta, cols, arrowio.WithBatchRows(300))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r := rng.New(*seed, rng.Sample, 0)
	z, za, zb := make([]int8, nodes), make([]int8, nodes), make([]int8, nodes)
	xa, xb, xn := make([]float64, leaves), make([]float64, leaves), make([]float64, leaves)
	zn := make([]int8, nodes)
	first, size := m.LevelStart(*keep), m.LevelSize(*keep)
	for i := 0; i < *n; i++ {
		m.Sample(r, z)
		key := int64(0)
		for j := range size {
			key = key<<1 | int64(z[first+j])
		}
		copy(za, z)
		m.SampleGiven(r, za, *keep)
		copy(zb, z)
		m.SampleGiven(r, zb, *keep)
		m.Leaves(za, xa)
		m.Leaves(zb, xb)
		vals := []any{int64(i), key, xa, xb, za, zb}
		if *noKey {
			vals = append(vals[:1], vals[2:]...)
		}
		if *neg {
			m.Sample(r, zn)
			m.Leaves(zn, xn)
			vals = append(vals, xn)
		}
		if err := w.Append(vals...); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// show prints a covop table, one line per row: epoch, scope, name, dim,
// rank and, on request, whether w_op_w agrees across the snapshot's
// levels (-wopw: "wopw=same" or "wopw=differs") and, when the table has
// the column, whether check_rel_err is below
// -check-below ("check ok" / "check BAD <value>").
func show(args []string) int {
	fs := flag.NewFlagSet("covop-show", flag.ContinueOnError)
	below := fs.Float64("check-below", 1e-10, "largest acceptable check_rel_err")
	compare := fs.Bool("wopw", false, "say whether w_op_w is the same for every level of a snapshot")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	path := "-"
	if fs.NArg() > 0 {
		path = fs.Arg(0)
	}
	r, err := arrowio.Open(path, os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer r.Close()
	t, err := arrowio.ReadTable(r)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("kind %s\n", r.Meta().Kind)
	epoch, _ := t.Int32("epoch")
	scope, _ := t.String("scope")
	name, _ := t.String("name")
	dim, _ := t.Int32("dim")
	rank, _ := t.Int32("rank")
	wopw, _ := t.Float64("w_op_w")
	check, err := t.Float64("check_rel_err")
	hasCheck := err == nil
	ref := map[int32]float64{}
	for i := range epoch {
		line := fmt.Sprintf("%d %s %q dim=%d rank=%d", epoch[i], scope[i], name[i], dim[i], rank[i])
		if *compare && scope[i] != "node" {
			if v, ok := ref[epoch[i]]; !ok {
				ref[epoch[i]] = wopw[i]
			} else if math.Abs(wopw[i]-v) <= 1e-9*math.Abs(v) {
				line += " wopw=same"
			} else {
				line += " wopw=differs"
			}
		}
		if hasCheck && scope[i] != "node" {
			if check[i] <= *below {
				line += " check ok"
			} else {
				line += " check BAD " + strconv.FormatFloat(check[i], 'g', 3, 64)
			}
		}
		fmt.Println(strings.TrimSpace(line))
	}
	return 0
}
