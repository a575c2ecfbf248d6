package arrowio

// KeepOnInterrupt lets w write and Close normally after Interrupt: for an
// output whose content so far is worth keeping as a complete file (the
// snapshots of an interrupted training run).
func (w *Writer) KeepOnInterrupt() { w.keep = true }

// KeepOnInterrupt lets nw write and Close normally after Interrupt (see
// Writer.KeepOnInterrupt).
func (nw *NetworkWriter) KeepOnInterrupt() { nw.w.KeepOnInterrupt() }
