package train

import (
	"errors"
	"fmt"
	"io"

	"github.com/dualssl/dualssl/pkg/nn"
)

// Snapshot is a network state at the end of an epoch (see nn.Snapshot).
type Snapshot = nn.Snapshot

// Negatives resolves the negatives per anchor of a run: want (0 = the
// default) against the inFile explicit negatives per row the input
// carries (0: none, so negatives are other rows of a batch of batch
// rows). It returns the negatives used and how many of them are explicit
// (read from the input: h or 0). Errors do not repeat want.
func Negatives(want, inFile, batch int) (h, explicit int, err error) {
	if inFile > 0 {
		h = want
		if h == 0 {
			h = inFile
		}
		if h > inFile {
			return 0, 0, fmt.Errorf("train: the input carries %d explicit negatives per row (x_neg)", inFile)
		}
		return h, h, nil
	}
	h = max(want, 1)
	if h > batch-1 {
		return 0, 0, fmt.Errorf("train: in-batch negatives need at most batch-1 = %d", batch-1)
	}
	return h, 0, nil
}

// LoadReplay reads every row of rr (views of width in with h explicit
// negatives per row) into a Replay; set its Seed and EpochRows before use.
// An Int8RowReader's int8 views are kept as they are; otherwise, while
// every value read is an exact int8 (0/1 observations are) it keeps int8
// copies only (see Replay), and widens them to float64 at the first value
// that is not.
func LoadReplay(rr RowReader, in, h int) (*Replay, error) {
	rep := &Replay{In: in, H: h, compact: true}
	const chunk = 4096
	if r8, ok := rr.(Int8RowReader); ok && r8.Int8Rows() {
		for {
			n := rep.Rows
			rep.xa8 = append(rep.xa8, make([]int8, chunk*in)...)
			rep.xb8 = append(rep.xb8, make([]int8, chunk*in)...)
			var xn []int8
			if h > 0 {
				rep.xneg8 = append(rep.xneg8, make([]int8, chunk*h*in)...)
				xn = rep.xneg8[n*h*in:]
			}
			got, err := r8.ReadRowsInt8(rep.xa8[n*in:], rep.xb8[n*in:], xn, chunk)
			rep.Rows += got
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			if got < chunk {
				break
			}
		}
		rep.xa8, rep.xb8 = rep.xa8[:rep.Rows*in], rep.xb8[:rep.Rows*in]
		if h > 0 {
			rep.xneg8 = rep.xneg8[:rep.Rows*h*in]
		}
		return rep, nil
	}
	xa, xb := make([]float64, chunk*in), make([]float64, chunk*in)
	var xn []float64
	if h > 0 {
		xn = make([]float64, chunk*h*in)
	}
	for {
		got, err := rr.ReadRows(xa, xb, xn, chunk)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		a, b := xa[:got*in], xb[:got*in]
		var neg []float64
		if h > 0 {
			neg = xn[:got*h*in]
		}
		if rep.compact {
			var okA, okB, okN bool
			na, nb, nn := len(rep.xa8), len(rep.xb8), len(rep.xneg8)
			rep.xa8, okA = narrow(rep.xa8, a)
			rep.xb8, okB = narrow(rep.xb8, b)
			rep.xneg8, okN = narrow(rep.xneg8, neg)
			if !okA || !okB || !okN {
				rep.xa8, rep.xb8, rep.xneg8 = rep.xa8[:na], rep.xb8[:nb], rep.xneg8[:nn]
				rep.widenAll()
			}
		}
		if !rep.compact {
			rep.XA, rep.XB = append(rep.XA, a...), append(rep.XB, b...)
			if h > 0 {
				rep.XNeg = append(rep.XNeg, neg...)
			}
		}
		rep.Rows += got
		if got < chunk {
			break
		}
	}
	return rep, nil
}

// widenAll replaces the replay's int8 copies by float64 views.
func (r *Replay) widenAll() {
	for _, p := range []struct {
		dst *[]float64
		src []int8
	}{{&r.XA, r.xa8}, {&r.XB, r.xb8}, {&r.XNeg, r.xneg8}} {
		if r.H == 0 && p.dst == &r.XNeg {
			continue
		}
		*p.dst = make([]float64, len(p.src))
		widen(*p.dst, p.src)
	}
	r.xa8, r.xb8, r.xneg8, r.compact = nil, nil, nil, false
}

// ResumeFrom checks that the last of snaps can continue a run of a
// network shaped like fresh with SGD momentum, and returns it.
func ResumeFrom(fresh *nn.Network, snaps []Snapshot, momentum float64) (Snapshot, error) {
	if len(snaps) == 0 {
		return Snapshot{}, errors.New("train: no snapshot in it")
	}
	last := snaps[len(snaps)-1]
	if !fresh.SameShape(last.Net) {
		return Snapshot{}, fmt.Errorf("train: its network (%s) differs from the one the flags and input describe (%s)", nn.SpecOf(last.Net), nn.SpecOf(fresh))
	}
	if momentum != 0 && last.Vel == nil {
		return Snapshot{}, errors.New("train: the file carries no momentum; it was written with --momentum 0")
	}
	return last, nil
}

// Resume sets t, made on last.Net, to continue after last: its momentum
// and its step count, stepsPerEpoch steps per epoch done, so that the run
// ends bit-identical to an uninterrupted one.
func (t *Trainer) Resume(last Snapshot, stepsPerEpoch int) {
	if t.Velocity != nil {
		t.Velocity = last.Vel
	}
	t.Step = int64(last.Epoch) * int64(stepsPerEpoch)
}

// Snapshots decides which network states a run writes: epoch 0 (or, when
// resuming, the snapshots an uninterrupted run would have written), every
// Every epochs, the last, and after a failure (a non-finite step, an
// interrupt) the last completed epoch's network, so that what is good is
// kept.
type Snapshots struct {
	every, epochs int // epochs 0: streaming
	write         func(Snapshot) error
	written       int
	lastGood      *nn.Network
	lastGoodEpoch int
}

// NewSnapshots writes through write every every epochs of a run of epochs
// epochs (0: streaming until the input ends).
func NewSnapshots(every, epochs int, write func(Snapshot) error) *Snapshots {
	return &Snapshots{every: every, epochs: epochs, write: write, written: -1}
}

// Begin writes the initial snapshot of t, or the snapshots of resumed
// (a resumed run's file) that an uninterrupted run would have written.
func (s *Snapshots) Begin(t *Trainer, resumed []Snapshot) error {
	if len(resumed) == 0 {
		return s.snap(0, t)
	}
	for _, sn := range resumed {
		if sn.Epoch == 0 || sn.Epoch%s.every == 0 {
			s.written = sn.Epoch
			if err := s.write(sn); err != nil {
				return err
			}
		}
		s.lastGoodEpoch = sn.Epoch
	}
	return nil
}

// EndEpoch is the Loop's OnEpoch: it writes a due snapshot, or keeps the
// epoch's network in case a later step fails.
func (s *Snapshots) EndEpoch(t *Trainer, st EpochStats) error {
	s.lastGoodEpoch, s.lastGood = st.Epoch, nil
	if st.Epoch%s.every == 0 {
		return s.snap(st.Epoch, t)
	}
	if !st.Short && (s.epochs == 0 || st.Epoch < s.epochs) {
		s.lastGood = t.Net.Clone()
	}
	return nil
}

// End writes the last epoch's snapshot (once).
func (s *Snapshots) End(t *Trainer, last int) error { return s.snap(last, t) }

// Salvage, after a failed run, writes the last completed epoch's network
// if it is not written yet, and returns the last epoch written (0 if
// none).
func (s *Snapshots) Salvage() (int, error) {
	if s.lastGood != nil && s.lastGoodEpoch != s.written {
		if err := s.write(Snapshot{Epoch: s.lastGoodEpoch, Net: s.lastGood}); err != nil {
			return 0, err
		}
		s.written = s.lastGoodEpoch
	}
	return max(s.written, 0), nil
}

func (s *Snapshots) snap(epoch int, t *Trainer) error {
	if epoch == s.written {
		return nil
	}
	s.written = epoch
	return s.write(Snapshot{Epoch: epoch, Net: t.Net, Vel: t.Velocity})
}
