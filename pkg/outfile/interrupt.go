package outfile

import (
	"errors"
	"sync"
	"sync/atomic"
)

// interrupted holds the error of Interrupt.
var interrupted atomic.Pointer[error]

// Interrupt makes every reader and writer that checks Interrupted stop at
// its next record batch with err. The command-line plumbing calls it on
// SIGINT and SIGTERM, so that every tool stops between batches and its
// deferred Abort removes its partial outputs. The first call wins.
func Interrupt(err error) {
	if err == nil {
		err = errors.New("outfile: interrupted")
	}
	if interrupted.CompareAndSwap(nil, &err) {
		close(*done.Load())
	}
}

// done is closed by the first Interrupt (Done).
var done atomic.Pointer[chan struct{}]

func init() {
	c := make(chan struct{})
	done.Store(&c)
}

// Done returns a channel that is closed when Interrupt is called: for a
// wait that must end on an interrupt (a read from a stalled pipe).
func Done() <-chan struct{} { return *done.Load() }

// holds counts the outputs worth keeping on an interrupt that are being
// written (Hold).
var holds atomic.Int32

// Hold records that an output worth keeping on an interrupt (the snapshots
// of a training run) is being written: the command-line plumbing then
// does not end the process when a grace period after SIGINT is over, only
// at a second signal, so the output is finished whatever the timing.
// Call release when the output is closed or abandoned.
func Hold() (release func()) {
	holds.Add(1)
	var once sync.Once
	return func() { once.Do(func() { holds.Add(-1) }) }
}

// Holding reports whether an output taken with Hold is still being written.
func Holding() bool { return holds.Load() > 0 }

// Interrupted returns the error given to Interrupt, or nil.
func Interrupted() error {
	if p := interrupted.Load(); p != nil {
		return *p
	}
	return nil
}

// ResetInterrupt undoes Interrupt; for tests.
func ResetInterrupt() {
	interrupted.Store(nil)
	c := make(chan struct{})
	done.Store(&c)
}
