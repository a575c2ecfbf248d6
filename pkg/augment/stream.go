package augment

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/dualssl/dualssl/pkg/hltm"
)

// MaxBlockBytes bounds the views made from one sampling block
// (hltm.BlockRows samples): a huge Pairs or Negatives is refused with its
// estimate rather than ending in an out-of-memory crash.
const MaxBlockBytes = 1 << 30

// maxChunkBytes is the size an output chunk is kept near.
const maxChunkBytes = 64 << 20

// bytesPerSample bounds the size of the views of one sample: per pair an
// id and a key, x_a and x_b, z_a and z_b, and the negatives, one byte per
// leaf and node (Views hold a bit each, but a writer of int8 columns
// unpacks them to a byte each).
func (a *Augmenter) bytesPerSample() float64 {
	n, l := float64(a.m.NumNodes()), float64(a.m.NumLeaves())
	return float64(a.p.Pairs) * (16 + 2*l + 2*n + float64(a.p.Negatives)*l)
}

// CheckMemory refuses a policy whose views of one sampling block would
// exceed MaxBlockBytes, stating the estimate.
func (a *Augmenter) CheckMemory() error {
	if blk := float64(hltm.BlockRows) * a.bytesPerSample(); blk > MaxBlockBytes {
		return fmt.Errorf("augment: one block of %d samples of this %d-leaf tree would make %.3g GiB of views (at most %d)",
			hltm.BlockRows, a.m.NumLeaves(), blk/(1<<30), MaxBlockBytes>>30)
	}
	return nil
}

// ChunkSamples returns the samples per output chunk: whole sampling blocks
// (8, to keep 8 threads busy and downstream readers' batches small),
// fewer for wide trees or many pairs so that a chunk stays near 64 MiB.
// It depends on the model and policy only, never on threads, so neither
// do the output's record batches.
func (a *Augmenter) ChunkSamples() int {
	chunk := 8 * hltm.BlockRows
	for chunk > hltm.BlockRows && float64(chunk)*a.bytesPerSample() > maxChunkBytes {
		chunk -= hltm.BlockRows
	}
	return chunk
}

// ErrLatent is the error (tested with errors.Is) of a latent value other
// than 0 or 1 given to Stream.Add.
var ErrLatent = errors.New("augment: node values must be 0 or 1")

// Stream stages samples in chunks of whole sampling blocks and augments
// each chunk, so that the views depend on the global row index only,
// whatever the input's record batches: this is what keeps augment's
// output byte-identical however its input was batched.
type Stream struct {
	a       *Augmenter
	seed    uint64
	threads int
	emit    func(ids []int64, v *Views) error
	chunk   int
	z       []int8
	ids     []int64
	outIDs  []int64
	views   *Views
	first   int64 // global index of the first staged sample
	have    int   // staged samples
}

// NewStream returns a Stream of a's views with seed on up to threads
// goroutines; emit receives each chunk's views and their sample ids (one
// per view row), valid until it returns.
func (a *Augmenter) NewStream(seed uint64, threads int, emit func(ids []int64, v *Views) error) *Stream {
	chunk := a.ChunkSamples()
	n := a.m.NumNodes()
	return &Stream{
		a: a, seed: seed, threads: threads, emit: emit, chunk: chunk,
		z: make([]int8, chunk*n), ids: make([]int64, chunk), outIDs: make([]int64, chunk*a.p.Pairs),
		views: NewViews(a.m, a.p, chunk),
	}
}

// Add stages samples ids (one per row) with latents z (rows·Nodes values,
// each 0 or 1), emitting every chunk that fills. It copies what it keeps;
// a whole chunk of z is augmented in place, without staging.
func (s *Stream) Add(ids []int64, z []int8) error {
	n := s.a.m.NumNodes()
	for off := 0; off < len(ids); {
		k := min(s.chunk-s.have, len(ids)-off)
		zs := z[off*n : (off+k)*n]
		if err := s.checkBinary(zs); err != nil {
			return err
		}
		if k == s.chunk {
			if err := s.augment(ids[off:off+k], zs); err != nil {
				return err
			}
			off += k
			continue
		}
		copy(s.z[s.have*n:(s.have+k)*n], zs)
		copy(s.ids[s.have:], ids[off:off+k])
		s.have += k
		off += k
		if s.have == s.chunk {
			if err := s.Flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkBinary returns an ErrLatent error for the first value of z (the
// next samples after the staged ones) that is not 0 or 1.
func (s *Stream) checkBinary(z []int8) error {
	if allBinary(z) {
		return nil
	}
	n := s.a.m.NumNodes()
	for i, v := range z {
		if v != 0 && v != 1 {
			return fmt.Errorf("%w: row %d: z holds %d", ErrLatent, s.first+int64(s.have)+int64(i/n), v)
		}
	}
	return nil
}

// allBinary reports whether every value of z is 0 or 1, reading eight
// values a word (the check runs over every sample augment reads).
func allBinary(z []int8) bool {
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(z))), len(z))
	var acc uint64
	i := 0
	for ; i+32 <= len(b); i += 32 {
		acc |= binary.LittleEndian.Uint64(b[i:]) | binary.LittleEndian.Uint64(b[i+8:]) |
			binary.LittleEndian.Uint64(b[i+16:]) | binary.LittleEndian.Uint64(b[i+24:])
	}
	for ; i < len(b); i++ {
		acc |= uint64(b[i])
	}
	return acc&^0x0101010101010101 == 0
}

// Flush augments and emits the staged samples (at the end of the input).
func (s *Stream) Flush() error {
	if s.have == 0 {
		return nil
	}
	n := s.a.m.NumNodes()
	if err := s.augment(s.ids[:s.have], s.z[:s.have*n]); err != nil {
		return err
	}
	s.have = 0
	return nil
}

// augment makes and emits the views of the samples ids with latents z,
// the next after those emitted so far (nothing staged).
func (s *Stream) augment(ids []int64, z []int8) error {
	k, pairs := len(ids), s.a.p.Pairs
	s.a.Fill(s.seed, s.first, k, z, s.views, s.threads)
	v := s.views.Slice(k * pairs)
	for i, id := range ids {
		for j := 0; j < pairs; j++ {
			s.outIDs[i*pairs+j] = id
		}
	}
	if err := s.emit(s.outIDs[:v.Rows], v); err != nil {
		return err
	}
	s.first += int64(k)
	return nil
}

// Samples returns the number of samples emitted so far.
func (s *Stream) Samples() int64 { return s.first }
