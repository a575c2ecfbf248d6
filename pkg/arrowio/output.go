package arrowio

import "github.com/dualssl/dualssl/pkg/outfile"

// KeepOnInterrupt lets w write and Close normally after Interrupt: for an
// output whose content so far is worth keeping as a complete file (the
// snapshots of an interrupted training run).
//
// While such an output is open the process is not ended by the grace
// period after SIGINT (outfile.Hold), and with deferred commits
// (outfile.DeferCommits) it is the one output an interrupted command keeps.
func (w *Writer) KeepOnInterrupt() {
	if w.keep || w.closed {
		return
	}
	w.keep = true
	w.unhold = outfile.Hold()
	if w.out != nil {
		w.out.Keep()
	}
}

// KeepOnInterrupt lets nw write and Close normally after Interrupt (see
// Writer.KeepOnInterrupt).
func (nw *NetworkWriter) KeepOnInterrupt() { nw.w.KeepOnInterrupt() }
