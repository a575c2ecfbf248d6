package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dualssl/dualssl/pkg/outfile"
)

// InterruptGrace is how long a tool may take, after SIGINT or SIGTERM, to
// stop at its next record batch and clean up; after it (or at a second
// signal) the process removes its partial outputs and exits at once.
var InterruptGrace = 3 * time.Second

// InterruptError is the error of a run stopped by a signal. Main exits
// 128+signal on it (130 for SIGINT, 143 for SIGTERM), as shells do.
type InterruptError struct{ Signal os.Signal }

func (e *InterruptError) Error() string {
	if e.Signal == nil {
		return "interrupted"
	}
	return fmt.Sprintf("interrupted (%s)", signalName(e.Signal))
}

// IsInterrupt reports whether err comes from a signal (see InterruptError).
func IsInterrupt(err error) bool {
	var ie *InterruptError
	return errors.As(err, &ie)
}

// Interrupted returns an *InterruptError once the process got SIGINT or
// SIGTERM, else nil. Readers and writers of pkg/arrowio check it at every
// record batch; a tool that computes long between batches checks it too
// and returns it.
func (e *Env) Interrupted() error { return outfile.Interrupted() }

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

func exitSignal(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return ExitData
}

// handleSignals turns SIGINT and SIGTERM into outfile.Interrupt, so that
// every tool stops between batches and its deferred Abort removes its
// partial outputs; a tool that does not stop within InterruptGrace, or a
// second signal, ends the process after removing partial outputs. stop
// undoes it.
func handleSignals(name string, stderr io.Writer) (stop func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		var sig os.Signal
		select {
		case sig = <-ch:
		case <-done:
			return
		}
		outfile.Interrupt(&InterruptError{Signal: sig})
		select {
		case <-ch:
		case <-time.After(InterruptGrace):
			if outfile.Holding() {
				// An output worth keeping (ssl-train's snapshots) is being
				// finished: only a second signal ends the process now.
				select {
				case <-ch:
				case <-done:
					return
				}
			}
		case <-done:
			return
		}
		outfile.RemovePartial()
		fmt.Fprintf(stderr, "%s: %s\n", name, (&InterruptError{Signal: sig}).Error())
		os.Exit(exitSignal(sig))
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
