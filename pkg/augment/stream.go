package augment

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/bitslice"
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
	z       []uint64 // staged latents, a packed bit matrix
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
		z: make([]uint64, bitslice.Words(chunk*n)), ids: make([]int64, chunk), outIDs: make([]int64, chunk*a.p.Pairs),
		views: NewViews(a.m, a.p, chunk),
	}
}

// Add stages samples ids (one per row) with latents z, a packed bit matrix
// of len(ids) rows of Nodes bits (see Fill), emitting every chunk that
// fills. It copies what it keeps; a whole chunk of z that starts on a word
// is augmented in place, without staging.
func (s *Stream) Add(ids []int64, z []uint64) error {
	n := s.a.m.NumNodes()
	if len(z) < bitslice.Words(len(ids)*n) {
		panic(fmt.Sprintf("augment: Stream.Add: %d samples, %d words of z", len(ids), len(z)))
	}
	for off := 0; off < len(ids); {
		k := min(s.chunk-s.have, len(ids)-off)
		if k == s.chunk && off*n%64 == 0 {
			if err := s.augment(ids[off:off+k], z[off*n/64:]); err != nil {
				return err
			}
			off += k
			continue
		}
		bitslice.CopyBits(s.z, s.have*n, z, off*n, k*n)
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

// Flush augments and emits the staged samples (at the end of the input).
func (s *Stream) Flush() error {
	if s.have == 0 {
		return nil
	}
	if err := s.augment(s.ids[:s.have], s.z); err != nil {
		return err
	}
	s.have = 0
	return nil
}

// augment makes and emits the views of the samples ids with latents z
// (from bit 0), the next after those emitted so far (nothing staged).
func (s *Stream) augment(ids []int64, z []uint64) error {
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
