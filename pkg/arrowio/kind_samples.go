package arrowio

import "fmt"

// Sample files (kind "hltm-samples", written by hltm-gen): one row per
// sample of the HLTM the metadata carry (dualssl.model):
//
//	id  int64                             the sample's index
//	z   fixed_size_list<bool>[nodes]      every node's value, 0 or 1 (leaves included)
//	x   fixed_size_list<bool>[leaves]     the observed leaves, 0 or 1
//
// z and x are bit-packed (format 3.0), or fixed_size_list<int8> when
// written with Bytes (format 2.0, and every 2.x file). Readers accept
// either, and x as fixed_size_list<float64> too (a file another program
// wrote).

// SamplesColumns returns the columns of a sample file of a model with
// nodes nodes and leaves leaves, its 0/1 columns stored as enc.
func SamplesColumns(nodes, leaves int, enc Binary) []Column {
	return []Column{
		{Name: "id", Type: Int64},
		{Name: "z", Type: enc.Type(), Size: nodes},
		{Name: "x", Type: enc.Type(), Size: leaves},
	}
}

// SamplesBatch is one record batch of a sample file; its slices alias the
// batch or the reader's buffers (valid until the reader's next Next): row
// i is ID[i],
// Z[i·Nodes:(i+1)·Nodes] and X[i·Leaves:(i+1)·Leaves].
type SamplesBatch struct {
	Rows int
	ID   []int64
	Z    []int8
	X    []float64
}

// SamplesReader reads a sample file batch by batch.
type SamplesReader struct {
	*Reader
	Nodes, Leaves int       // per-row widths of z and x
	x             []float64 // x as float64, when the file stores it as int8 or bits
}

// NewSamplesReader checks that r is a sample file whose id, z and x
// columns fit nodes nodes and leaves leaves per row (the model's).
func NewSamplesReader(r *Reader, tool string, nodes, leaves int) (*SamplesReader, error) {
	if err := r.Expect(KindSamples, tool); err != nil {
		return nil, err
	}
	if _, err := r.Column("id", Int64); err != nil {
		return nil, err
	}
	z, err := r.batch.binaryColumn("z")
	if err != nil {
		return nil, err
	}
	x, err := r.batch.leafColumn("x")
	if err != nil {
		return nil, err
	}
	if z.Size != nodes || x.Size != leaves {
		return nil, fmt.Errorf("arrowio: %s: z has %d values and x %d per row, but the model has %d nodes and %d leaves", r.Name(), z.Size, x.Size, nodes, leaves)
	}
	return &SamplesReader{Reader: r, Nodes: nodes, Leaves: leaves}, nil
}

// SamplesWords is one record batch of a sample file without x, z as a
// packed bit matrix (see Batch.BinaryWords): row i is ID[i] and bits
// i·Nodes … (i+1)·Nodes−1 of Z. Its slices alias the batch or the reader's
// buffers, valid until the reader's next Next.
type SamplesWords struct {
	Rows int
	ID   []int64
	Z    []uint64
}

// LatentWords returns the current batch without x, z as a packed bit
// matrix (the file's own bits, realigned): what a stage that draws from
// the latents needs (augment). x is still checked to be 0/1, so that a bad
// sample is refused at the first stage, but not converted; stored as bool
// it needs no check at all.
func (s *SamplesReader) LatentWords() (SamplesWords, error) {
	b := s.Batch()
	id, err := b.Int64("id")
	if err != nil {
		return SamplesWords{}, err
	}
	z, _, err := b.BinaryWords("z")
	if err != nil {
		return SamplesWords{}, err
	}
	if err := s.checkX(b); err != nil {
		return SamplesWords{}, err
	}
	return SamplesWords{Rows: b.Rows(), ID: id, Z: z}, nil
}

// checkX checks that the batch's x holds 0 or 1 only (as bits it can hold
// nothing else).
func (s *SamplesReader) checkX(b *Batch) error {
	x, _, err := b.StoredLeaves("x")
	if err != nil {
		return err
	}
	first := s.Rows() - int64(b.Rows())
	for k, v := range x.Int8 {
		if v != 0 && v != 1 {
			return notBinary(s.Name(), "x", first, k, s.Leaves, float64(v))
		}
	}
	for k, v := range x.Float64 {
		if v != 0 && v != 1 {
			return notBinary(s.Name(), "x", first, k, s.Leaves, v)
		}
	}
	return nil
}

// Samples returns the current batch, x as float64.
func (s *SamplesReader) Samples() (SamplesBatch, error) {
	b := s.Batch()
	id, err := b.Int64("id")
	if err != nil {
		return SamplesBatch{}, err
	}
	z, zBits, err := b.binaryValues("z")
	if err != nil {
		return SamplesBatch{}, err
	}
	x, _, err := b.StoredLeaves("x")
	if err != nil {
		return SamplesBatch{}, err
	}
	first := s.Rows() - int64(b.Rows())
	if !zBits { // bits are 0/1 by nature
		for k, v := range z {
			if v != 0 && v != 1 {
				return SamplesBatch{}, notBinary(s.Name(), "z", first, k, s.Nodes, float64(v))
			}
		}
	}
	if err := s.checkX(b); err != nil {
		return SamplesBatch{}, err
	}
	out := SamplesBatch{Rows: b.Rows(), ID: id, Z: z, X: x.Float64}
	if !x.Int8s() {
		return out, nil
	}
	if err := checkUnpack(s.Name(), "x", first, b.Rows(), x.Len(), 8); err != nil {
		return SamplesBatch{}, err
	}
	if cap(s.x) < x.Len() {
		s.x = make([]float64, x.Len())
	}
	out.X = s.x[:x.Len()]
	x.CopyTo(out.X, 0)
	return out, nil
}

// notBinary is the error for value k of a flat fixed-size-list column
// (width values per row, the batch's first row numbered first) that is
// neither 0 nor 1: node states and observed leaves of an HLTM are binary,
// and the exact ceilings, keys and statistics computed from them assume it.
func notBinary(file, col string, first int64, k, width int, v float64) error {
	return fmt.Errorf("arrowio: %s: column %s, row %d, value %d is %v: HLTM node values are 0 or 1 (was the file written by another program?)",
		file, col, first+int64(k/width), k%width, v)
}
