package arrowio

import (
	"errors"
	"fmt"
	"math"
)

// View files (kind "views", written by augment): one row per positive
// pair, of the HLTM the metadata carry:
//
//	id   int64                               the sample's id
//	key  int64                               the kept latents as bits (the "data point")
//	x_a, x_b  fixed_size_list<bool>[leaves]     a positive pair of observations (0/1)
//	z_a, z_b  fixed_size_list<bool>[nodes]      their full latent states
//	x_neg fixed_size_list<bool>[H·leaves]       optional: H negatives, concatenated
//
// The 0/1 columns are bit-packed (format 3.0), or fixed_size_list<int8>
// when written with Bytes (format 2.0, and every 2.x file). Readers need
// only x_a and x_b (and key where they group by it), and accept the x
// columns as bool, int8 or fixed_size_list<float64> (a file another
// program wrote).

// ViewsColumns returns the columns of a view file of a model with nodes
// nodes and leaves leaves, with negatives explicit negatives per row, its
// 0/1 columns stored as enc.
func ViewsColumns(nodes, leaves, negatives int, enc Binary) []Column {
	t := enc.Type()
	cols := []Column{
		{Name: "id", Type: Int64},
		{Name: "key", Type: Int64},
		{Name: "x_a", Type: t, Size: leaves},
		{Name: "x_b", Type: t, Size: leaves},
		{Name: "z_a", Type: t, Size: nodes},
		{Name: "z_b", Type: t, Size: nodes},
	}
	if negatives > 0 {
		cols = append(cols, Column{Name: "x_neg", Type: t, Size: negatives * leaves})
	}
	return cols
}

// ViewsBatch is one record batch of a view file; its slices alias the
// batch or the reader's buffers (valid until the reader's next Next). Key
// is nil unless the reader needs keys; XNeg is nil without negatives.
type ViewsBatch struct {
	Rows   int
	Key    []int64
	XA, XB []float64 // Rows·In values each
	XNeg   []float64 // Rows·Negatives·In values
}

// StoredViewsBatch is one record batch of a view file with the x columns
// as stored (bool, int8, or float64 from another program), aliasing the batch
// (valid until the reader's next Next); XNeg is empty without negatives.
type StoredViewsBatch struct {
	Rows   int
	Key    []int64
	XA, XB Leaves // Rows·In values each
	XNeg   Leaves // Rows·Negatives·In values
}

// ViewsReader reads a view file batch by batch.
type ViewsReader struct {
	*Reader
	In        int // leaves per view
	Negatives int // explicit negatives per row (x_neg), 0 without
	keys      bool
	// The x columns as float64, when the file stores them as bool or int8.
	xa, xb, xneg []float64
}

// NewViewsReader checks that r is a view file with x_a and x_b of equal
// width (and key, with keys) and an x_neg, if any, a whole number of views
// wide. A sample file is refused with a hint to run augment.
func NewViewsReader(r *Reader, tool string, keys bool) (*ViewsReader, error) {
	switch r.Meta().Kind {
	case KindViews:
	case KindSamples:
		return nil, fmt.Errorf("arrowio: %s holds HLTM samples, not views: pipe it through augment first (hltm-gen | augment | %s)", r.Name(), tool)
	default:
		return nil, r.Expect(KindViews, tool)
	}
	if keys {
		if _, err := r.Column("key", Int64); err != nil {
			return nil, fmt.Errorf("%w: %s groups views by key (the kept latents' value, an int64 column), which augment writes", err, tool)
		}
	}
	ca, err := r.batch.leafColumn("x_a")
	if err != nil {
		return nil, err
	}
	cb, err := r.batch.leafColumn("x_b")
	if err != nil {
		return nil, err
	}
	if ca.Size != cb.Size {
		return nil, fmt.Errorf("arrowio: %s: x_a has %d values per row but x_b %d", r.Name(), ca.Size, cb.Size)
	}
	v := &ViewsReader{Reader: r, In: ca.Size, keys: keys}
	cn, err := r.batch.leafColumn("x_neg")
	switch {
	case err == nil:
		if cn.Size == 0 || v.In == 0 || cn.Size%v.In != 0 {
			return nil, fmt.Errorf("arrowio: %s: x_neg has %d values per row, not a multiple of the %d leaves", r.Name(), cn.Size, v.In)
		}
		v.Negatives = cn.Size / v.In
	case !errors.Is(err, ErrNoColumn):
		return nil, err
	}
	return v, nil
}

// Views returns the current batch, its x columns as float64.
func (v *ViewsReader) Views() (ViewsBatch, error) {
	sb, err := v.StoredViews()
	if err != nil {
		return ViewsBatch{}, err
	}
	out := ViewsBatch{Rows: sb.Rows, Key: sb.Key}
	for _, c := range []struct {
		name  string
		dst   *[]float64
		buf   *[]float64
		value Leaves
	}{{"x_a", &out.XA, &v.xa, sb.XA}, {"x_b", &out.XB, &v.xb, sb.XB}, {"x_neg", &out.XNeg, &v.xneg, sb.XNeg}} {
		if c.value.Int8 == nil && c.value.Bits == nil {
			*c.dst = c.value.Float64
			continue
		}
		if err := checkUnpack(v.Name(), c.name, v.Rows()-int64(sb.Rows), sb.Rows, c.value.Len(), 8); err != nil {
			return ViewsBatch{}, err
		}
		if cap(*c.buf) < c.value.Len() {
			*c.buf = make([]float64, c.value.Len())
		}
		*c.dst = (*c.buf)[:c.value.Len()]
		c.value.CopyTo(*c.dst, 0)
	}
	return out, nil
}

// StoredViews returns the current batch with its x columns as stored
// (what a reader that converts them anyway wants: no intermediate copy).
// Float64 values are checked to be finite; bool and int8 ones are by nature.
func (v *ViewsReader) StoredViews() (StoredViewsBatch, error) {
	b := v.Batch()
	out := StoredViewsBatch{Rows: b.Rows()}
	var err error
	if v.keys {
		if out.Key, err = b.Int64("key"); err != nil {
			return out, err
		}
	}
	if out.XA, _, err = b.StoredLeaves("x_a"); err != nil {
		return out, err
	}
	if out.XB, _, err = b.StoredLeaves("x_b"); err != nil {
		return out, err
	}
	if v.Negatives > 0 {
		if out.XNeg, _, err = b.StoredLeaves("x_neg"); err != nil {
			return out, err
		}
	}
	first := v.Rows() - int64(b.Rows())
	for _, c := range []struct {
		name  string
		vals  []float64
		width int
	}{{"x_a", out.XA.Float64, v.In}, {"x_b", out.XB.Float64, v.In}, {"x_neg", out.XNeg.Float64, v.Negatives * v.In}} {
		for k, x := range c.vals {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return out, fmt.Errorf("arrowio: %s: column %s, row %d, value %d is %v: views must be finite (was the file written by another program?)",
					v.Name(), c.name, first+int64(k/c.width), k%c.width, x)
			}
		}
	}
	return out, nil
}
