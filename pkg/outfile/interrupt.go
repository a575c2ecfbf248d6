package outfile

import (
	"errors"
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
		err = errors.New("interrupted")
	}
	interrupted.CompareAndSwap(nil, &err)
}

// Interrupted returns the error given to Interrupt, or nil.
func Interrupted() error {
	if p := interrupted.Load(); p != nil {
		return *p
	}
	return nil
}

// ResetInterrupt undoes Interrupt; for tests.
func ResetInterrupt() { interrupted.Store(nil) }
