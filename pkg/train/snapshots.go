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
func LoadReplay(rr RowReader, in, h int) (*Replay, error) {
	rep := &Replay{In: in, H: h}
	const chunk = 4096
	for {
		n := rep.Rows
		rep.XA = append(rep.XA, make([]float64, chunk*in)...)
		rep.XB = append(rep.XB, make([]float64, chunk*in)...)
		var xn []float64
		if h > 0 {
			rep.XNeg = append(rep.XNeg, make([]float64, chunk*h*in)...)
			xn = rep.XNeg[n*h*in:]
		}
		got, err := rr.ReadRows(rep.XA[n*in:], rep.XB[n*in:], xn, chunk)
		rep.Rows += got
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if got < chunk {
			break
		}
	}
	rep.XA, rep.XB = rep.XA[:rep.Rows*in], rep.XB[:rep.Rows*in]
	if h > 0 {
		rep.XNeg = rep.XNeg[:rep.Rows*h*in]
	}
	return rep, nil
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
