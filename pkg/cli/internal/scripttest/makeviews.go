package scripttest

import (
	"flag"
	"fmt"
	"os"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/rng"
)

// MakeViews writes views of a random binary HLTM of depth -depth to -o FILE
// ("-": stdout) and returns the exit code. Each of the -n rows draws a
// sample z, then view a and view b: z redrawn below (and, for -keep > 0,
// above) the kept level -keep (0 = root), or z itself for view a with
// -self-view; then -neg H fresh samples as x_neg (H·leaves wide). The key
// column holds the kept level's latents as bits (-nokey leaves it out).
//
// The model's polarities come from -model-seed, in ±[-delta-lower, 1]; the
// rows from -seed. The metadata carry the model (unless -nomodel) and the
// config {"keep":"K"} as augment writes it (unless -noconfig). -samples
// writes an hltm-samples file of the z drawn instead (id, z, x).
//
// Flags given twice take the last value, so a caller can put its own
// defaults before the script's arguments.
func MakeViews(args []string) int {
	fs := flag.NewFlagSet("make-views", flag.ContinueOnError)
	n := fs.Int("n", 1000, "rows")
	depth := fs.Int("depth", 3, "tree depth")
	keep := fs.Int("keep", 0, "kept level")
	seed := fs.Uint64("seed", 1, "seed of the samples")
	modelSeed := fs.Uint64("model-seed", 1, "seed of the polarities")
	deltaLower := fs.Float64("delta-lower", 0.7, "smallest polarity magnitude")
	selfView := fs.Bool("self-view", false, "view a is the sample itself")
	noKey := fs.Bool("nokey", false, "leave the key column out")
	neg := fs.Int("neg", 0, "explicit negatives (fresh samples) per row, as x_neg")
	noModel := fs.Bool("nomodel", false, "leave the model out of the metadata")
	noConfig := fs.Bool("noconfig", false, "leave the config (the kept level) out of the metadata")
	samples := fs.Bool("samples", false, "write an hltm-samples file instead")
	out := fs.String("o", "-", "output file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *neg < 0 {
		fmt.Fprintf(os.Stderr, "make-views: -neg %d: want 0 or more\n", *neg)
		return 2
	}
	m, err := hltm.New(*depth, 2, hltm.RandomPolarities(rng.New(*modelSeed, rng.Tree, 0), (1<<(*depth+1))-2, *deltaLower, 1, false))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if *keep < 0 || *keep > *depth {
		fmt.Fprintf(os.Stderr, "make-views: -keep %d: want a level 0…%d\n", *keep, *depth)
		return 2
	}
	meta, cols := fixtureSchema(m, *keep, *neg, !*noModel, !*noConfig, !*noKey, *samples)
	leaves, nodes := m.NumLeaves(), m.NumNodes()
	w, err := arrowio.Create(*out, os.Stdout, meta, cols, arrowio.WithBatchRows(300))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r := rng.New(*seed, rng.Sample, 0)
	z, za, zb, zn := make([]int8, nodes), make([]int8, nodes), make([]int8, nodes), make([]int8, nodes)
	x, xa, xb, xn := make([]float64, leaves), make([]float64, leaves), make([]float64, leaves), make([]float64, *neg*leaves)
	first, size := m.LevelStart(*keep), m.LevelSize(*keep)
	for i := 0; i < *n; i++ {
		m.Sample(r, z)
		key := int64(0)
		for j := range size {
			key = key<<1 | int64(z[first+j])
		}
		copy(za, z)
		if !*selfView {
			m.SampleGiven(r, za, *keep)
		}
		copy(zb, z)
		m.SampleGiven(r, zb, *keep)
		m.Leaves(za, xa)
		m.Leaves(zb, xb)
		for k := 0; k < *neg; k++ {
			m.Sample(r, zn)
			m.Leaves(zn, xn[k*leaves:(k+1)*leaves])
		}
		vals := []any{int64(i), key, xa, xb, za, zb}
		if *noKey {
			vals = append(vals[:1], vals[2:]...)
		}
		if *samples {
			m.Leaves(z, x)
			vals = []any{int64(i), z, x}
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

// fixtureSchema returns the metadata and columns of the fixture for model
// m: views (with the key column when withKey) or samples, neg explicit
// negatives per row, the model and the kept level in the metadata when
// asked, and float64 x columns.
func fixtureSchema(m *hltm.Model, keep, neg int, withModel, withConfig, withKey, samples bool) (arrowio.Meta, []arrowio.Column) {
	meta := arrowio.Meta{Kind: arrowio.KindViews}
	if withModel {
		model, _ := m.MarshalJSON()
		meta.Model = string(model)
	}
	if withConfig {
		meta.Config = fmt.Sprintf(`{"keep":%q}`, hltm.LevelName(keep))
	}
	leaves, nodes := m.NumLeaves(), m.NumNodes()
	cols := arrowio.ViewsColumns(nodes, leaves, neg, arrowio.Bytes)
	if !withKey {
		cols = append(cols[:1], cols[2:]...)
	}
	if samples {
		meta.Kind = arrowio.KindSamples
		cols = arrowio.SamplesColumns(nodes, leaves, arrowio.Bytes)
		if neg > 0 {
			cols = append(cols, arrowio.Column{Name: "x_neg", Type: arrowio.FixedFloat64, Size: neg * leaves})
		}
	}
	// The fixture writes the x columns as float64, as a program other than
	// dualssl may (dualssl's own tools write bool): the scripts that use it
	// keep that reader path tested; z stays int8, as format 2 stored it, to
	// keep that path tested too (the tools write bool).
	for i := range cols {
		if cols[i].Type == arrowio.FixedInt8 && cols[i].Name[0] == 'x' {
			cols[i].Type = arrowio.FixedFloat64
		}
	}
	return meta, cols
}
