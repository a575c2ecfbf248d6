package train

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/dualssl/dualssl/pkg/rng"
)

// Source supplies the rows of each epoch.
type Source interface {
	// Begin starts epoch e (1-based). Epochs are begun in increasing order
	// but a resumed run starts past 1.
	Begin(epoch int) error
	// Next fills b with up to n rows of the current epoch (growing its
	// slices as needed, setting b.Rows) and returns how many it read; fewer
	// than n only when the input has ended.
	Next(b *Batch, n int) (int, error)
}

// EpochStats summarises one epoch.
type EpochStats struct {
	Epoch    int
	Steps    int     // SGD steps in this epoch
	Rows     int     // rows trained on (Steps·batch)
	MeanLoss float64 // mean of the steps' losses
	MulAdds  int64   // multiply-adds counted
	// Short marks a final epoch cut short by the end of the input.
	Short bool
}

// Loop trains a Trainer over the epochs of a Source. An epoch is EpochRows
// rows cut into batches of BatchRows; a final partial batch of an epoch is
// dropped (as the reference's loader does), so every epoch has
// EpochRows/BatchRows steps.
type Loop struct {
	Trainer   *Trainer
	Source    Source
	EpochRows int
	BatchRows int
	// Epochs is the number of the last epoch to run; 0 runs until the
	// source ends.
	Epochs int
	// Done is the number of epochs already done (a resumed run); the loop
	// starts at epoch Done+1.
	Done int
	// OnStep, when set, is called after every step.
	OnStep func(epoch int, s StepStats) error
	// OnEpoch, when set, is called after every epoch that trained at least
	// one step.
	OnEpoch func(e EpochStats) error
}

// StepsPerEpoch returns EpochRows/BatchRows.
func (l *Loop) StepsPerEpoch() int { return l.EpochRows / l.BatchRows }

// Run trains until the last epoch or the end of the input and returns the
// number of the last epoch completed (Done if none). A *NonFiniteError
// comes back with its Epoch set; the network is then as after the last
// good step.
func (l *Loop) Run() (int, error) {
	if l.BatchRows < 2 || l.EpochRows < l.BatchRows {
		return l.Done, fmt.Errorf("train: an epoch of %d rows cannot hold a batch of %d", l.EpochRows, l.BatchRows)
	}
	steps := l.StepsPerEpoch()
	var b Batch
	last := l.Done
	for e := l.Done + 1; l.Epochs == 0 || e <= l.Epochs; e++ {
		if err := l.Source.Begin(e); err != nil {
			return last, err
		}
		st := EpochStats{Epoch: e}
		sum := 0.0
		for s := 0; s < steps; s++ {
			n, err := l.Source.Next(&b, l.BatchRows)
			if err != nil && !errors.Is(err, io.EOF) {
				return last, err
			}
			if n < l.BatchRows {
				st.Short = true
				break
			}
			ss, err := l.Trainer.TrainStep(&b)
			if err != nil {
				var nf *NonFiniteError
				if errors.As(err, &nf) {
					nf.Epoch = e
				}
				return last, err
			}
			st.Steps++
			st.Rows += n
			st.MulAdds += ss.MulAdds
			sum += ss.Loss
			if l.OnStep != nil {
				if err := l.OnStep(e, ss); err != nil {
					return last, err
				}
			}
		}
		if st.Steps == 0 {
			if l.Epochs != 0 {
				return last, fmt.Errorf("train: the input ended before epoch %d", e)
			}
			return last, nil
		}
		st.MeanLoss = sum / float64(st.Steps)
		last = e
		if l.OnEpoch != nil {
			if err := l.OnEpoch(st); err != nil {
				return last, err
			}
		}
		if st.Short {
			return last, nil
		}
	}
	return last, nil
}

// RowReader reads consecutive rows of views into row-major buffers: xa and
// xb get n·In values, xneg (nil when there are no explicit negatives)
// n·H·In. It returns the number of rows read, fewer than n only at the end
// of the input (then with io.EOF or nil).
type RowReader interface {
	ReadRows(xa, xb, xneg []float64, n int) (int, error)
}

// Int8RowReader is a RowReader that can also deliver its views as int8
// values (0/1 observations as a views file stores them), which the
// trainer converts straight into its input lanes: Stream and LoadReplay
// read through ReadRowsInt8 when Int8Rows reports true. Int8Rows must give
// the same answer for the whole input (a file's schema fixes it).
type Int8RowReader interface {
	RowReader
	Int8Rows() bool
	ReadRowsInt8(xa, xb, xneg []int8, n int) (int, error)
}

// Stream is a Source over a stream of fresh views: epoch e is rows
// (e−1)·EpochRows … e·EpochRows−1 of the input, so every epoch sees new
// samples, as in the reference. Begin discards the rows of earlier epochs
// not yet read (an epoch's dropped remainder, or the epochs a resumed run
// has done).
type Stream struct {
	R         RowReader
	In, H     int // input width and explicit negatives per row (0: none)
	EpochRows int
	pos       int64 // rows read so far
	junk      Batch
}

// Begin implements Source.
func (s *Stream) Begin(epoch int) error {
	want := int64(epoch-1) * int64(s.EpochRows)
	for s.pos < want {
		n := int(min(want-s.pos, 4096))
		got, err := s.read(&s.junk, n)
		if got < n {
			if err == nil || errors.Is(err, io.EOF) {
				return nil // the epoch will find the input ended
			}
			return err
		}
	}
	return nil
}

// Next implements Source.
func (s *Stream) Next(b *Batch, n int) (int, error) { return s.read(b, n) }

func (s *Stream) read(b *Batch, n int) (int, error) {
	var got int
	var err error
	if r8, ok := s.R.(Int8RowReader); ok && r8.Int8Rows() {
		b.XA, b.XB, b.XNeg = nil, nil, nil
		sizeViews(&b.XA8, &b.XB8, &b.XNeg8, n, s.In, s.H)
		got, err = r8.ReadRowsInt8(b.XA8, b.XB8, b.XNeg8, n)
		sizeViews(&b.XA8, &b.XB8, &b.XNeg8, got, s.In, s.H)
	} else {
		b.XA8, b.XB8, b.XNeg8 = nil, nil, nil
		sizeViews(&b.XA, &b.XB, &b.XNeg, n, s.In, s.H)
		got, err = s.R.ReadRows(b.XA, b.XB, b.XNeg, n)
		sizeViews(&b.XA, &b.XB, &b.XNeg, got, s.In, s.H)
	}
	s.pos += int64(got)
	b.Rows = got
	return got, err
}

// sizeViews resizes a batch's views to rows rows of width in, with h
// explicit negatives per row (neg nil when h is 0), keeping their
// capacity.
func sizeViews[E any](a, b, neg *[]E, rows, in, h int) {
	*a, *b = grow(*a, rows*in), grow(*b, rows*in)
	if h > 0 {
		*neg = grow(*neg, rows*h*in)
	} else {
		*neg = nil
	}
}

// Replay is a Source over views held in memory, replayed every epoch in a
// fresh order: epoch e visits the rows in the permutation drawn from
// rng.New(Seed, rng.Shuffle, e) and takes its first EpochRows.
//
// The views are XA, XB and XNeg, or, as LoadReplay stores views whose
// values are all small integers (0/1 observations), their int8 copies
// (then XA, XB and XNeg are nil): an eighth of the memory, and the
// shuffled gather of an epoch, which misses the cache on every row, reads
// an eighth of the bytes. Both give the same batches.
type Replay struct {
	Rows      int
	In, H     int       // input width and explicit negatives per row (0: none)
	XA, XB    []float64 // Rows×In
	XNeg      []float64 // (Rows·H)×In or nil
	Seed      uint64
	EpochRows int
	perm      []int
	next      int
	// xa8, xb8, xneg8 replace XA, XB, XNeg when compact is set.
	xa8, xb8, xneg8 []int8
	compact         bool
}

// Begin implements Source.
func (r *Replay) Begin(epoch int) error {
	if len(r.perm) != r.Rows {
		r.perm = make([]int, r.Rows)
	}
	for i := range r.perm {
		r.perm[i] = i
	}
	rnd := rng.New(r.Seed, rng.Shuffle, uint64(epoch))
	rnd.Shuffle(len(r.perm), func(i, j int) { r.perm[i], r.perm[j] = r.perm[j], r.perm[i] })
	r.next = 0
	return nil
}

// Next implements Source.
func (r *Replay) Next(b *Batch, n int) (int, error) {
	limit := min(r.Rows, r.EpochRows)
	n = min(n, limit-r.next)
	perm := r.perm[r.next : r.next+n]
	if r.compact {
		b.XA, b.XB, b.XNeg = nil, nil, nil
		gatherViews(&b.XA8, &b.XB8, &b.XNeg8, r.xa8, r.xb8, r.xneg8, perm, r.In, r.H)
	} else {
		b.XA8, b.XB8, b.XNeg8 = nil, nil, nil
		gatherViews(&b.XA, &b.XB, &b.XNeg, r.XA, r.XB, r.XNeg, perm, r.In, r.H)
	}
	r.next += n
	b.Rows = n
	return n, nil
}

// gatherViews sets a batch's views (a, b, neg) to the rows perm of the
// stored views (sa, sb, sneg) of width in with h explicit negatives per row.
func gatherViews[E any](a, b, neg *[]E, sa, sb, sneg []E, perm []int, in, h int) {
	sizeViews(a, b, neg, len(perm), in, h)
	w := h * in
	for k, j := range perm {
		copy((*a)[k*in:(k+1)*in], sa[j*in:(j+1)*in])
		copy((*b)[k*in:(k+1)*in], sb[j*in:(j+1)*in])
		if h > 0 {
			copy((*neg)[k*w:(k+1)*w], sneg[j*w:(j+1)*w])
		}
	}
}

// widen writes the int8 values src into dst (same length) as float64.
func widen(dst []float64, src []int8) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float64(v)
	}
}

// narrow appends the values of src to dst as int8 and reports whether
// every value is exactly an int8 (bit for bit: −0 is not), appending
// nothing otherwise.
func narrow(dst []int8, src []float64) ([]int8, bool) {
	for _, v := range src {
		if math.Float64bits(float64(int8(v))) != math.Float64bits(v) {
			return dst, false
		}
	}
	for _, v := range src {
		dst = append(dst, int8(v))
	}
	return dst, true
}

// Finite reports whether every weight and bias of the trainer's network is
// finite.
func (t *Trainer) Finite() bool {
	for _, s := range t.Net.ParamSlices() {
		for _, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}
