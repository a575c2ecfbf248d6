package ssltrain_test

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli/ssltrain"
	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/rng"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ssl-train":  func() { os.Exit(ssltrain.Main(os.Args)) },
		"make-views": func() { os.Exit(makeViews(os.Args[1:])) },
		"net-info":   func() { os.Exit(netInfo(os.Args[1:])) },
	})
}

// TestScripts runs testdata/*.txtar: ssl-train end to end on small views
// made by the make-views helper (a stand-in for hltm-gen | augment).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata"})
}

// makeViews writes reference-style views (x_a, x_b share the root; -neg H
// fresh samples as x_neg) of a random binary HLTM to -o FILE.
func makeViews(args []string) int {
	fs := flag.NewFlagSet("make-views", flag.ContinueOnError)
	n := fs.Int("n", 1000, "rows")
	depth := fs.Int("depth", 3, "tree depth")
	neg := fs.Int("neg", 0, "explicit negatives per row")
	seed := fs.Uint64("seed", 1, "seed")
	noModel := fs.Bool("nomodel", false, "leave the model out of the metadata")
	samples := fs.Bool("samples", false, "write an hltm-samples file instead")
	out := fs.String("o", "-", "output file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	m, err := hltm.New(*depth, 2, hltm.RandomPolarities(rng.New(*seed, rng.Tree, 0), (1<<(*depth+1))-2, 0.8, 1, false))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	model, _ := m.MarshalJSON()
	meta := arrowio.Meta{Kind: arrowio.KindViews, Model: string(model)}
	if *noModel {
		meta.Model = ""
	}
	leaves, nodes := m.NumLeaves(), m.NumNodes()
	cols := []arrowio.Column{{Name: "id", Type: arrowio.Int64}, {Name: "key", Type: arrowio.Int64},
		{Name: "x_a", Type: arrowio.FixedFloat64, Size: leaves}, {Name: "x_b", Type: arrowio.FixedFloat64, Size: leaves},
		{Name: "z_a", Type: arrowio.FixedInt8, Size: nodes}, {Name: "z_b", Type: arrowio.FixedInt8, Size: nodes}}
	if *samples {
		meta.Kind = arrowio.KindSamples
		cols = []arrowio.Column{{Name: "id", Type: arrowio.Int64}, {Name: "z", Type: arrowio.FixedInt8, Size: nodes}, {Name: "x", Type: arrowio.FixedFloat64, Size: leaves}}
	}
	if *neg > 0 {
		cols = append(cols, arrowio.Column{Name: "x_neg", Type: arrowio.FixedFloat64, Size: *neg * leaves})
	}
	w, err := arrowio.Create(*out, os.Stdout, meta, cols, arrowio.WithBatchRows(300))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r := rng.New(*seed, rng.Sample, 0)
	za, zb := make([]int8, nodes), make([]int8, nodes)
	xa, xb, xn := make([]float64, leaves), make([]float64, leaves), make([]float64, *neg*leaves)
	for i := 0; i < *n; i++ {
		m.Sample(r, za)
		copy(zb, za)
		m.SampleGiven(r, zb, 0)
		m.Leaves(za, xa)
		m.Leaves(zb, xb)
		for k := 0; k < *neg; k++ {
			z := make([]int8, nodes)
			m.Sample(r, z)
			m.Leaves(z, xn[k*leaves:(k+1)*leaves])
		}
		vals := []any{int64(i), int64(za[0]), xa, xb, za, zb}
		if *samples {
			vals = []any{int64(i), za, xa}
		}
		if *neg > 0 {
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

// netInfo prints one line per snapshot of a network file: epoch, arch,
// parameter count, whether it has momentum, and a hash of the parameters'
// bits.
func netInfo(args []string) int {
	path := "-"
	if len(args) > 0 {
		path = args[0]
	}
	r, err := arrowio.OpenNetwork(path, os.Stdin, "net-info")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for {
		e, net, err := r.Next()
		if errors.Is(err, io.EOF) {
			return 0
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		h := fnv.New64a()
		for _, p := range net.ParamSlices() {
			for _, v := range p {
				binary.Write(h, binary.LittleEndian, math.Float64bits(v))
			}
		}
		fmt.Printf("epoch %d %s params %d momentum %v hash %016x\n", e, net.Arch, net.NumParams(), r.Velocity() != nil, h.Sum64())
	}
}
