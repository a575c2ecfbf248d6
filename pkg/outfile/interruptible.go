package outfile

import (
	"errors"
	"io"
)

// InterruptibleReader returns a reader of r whose Read returns at once,
// with the interrupt's error, after Interrupt, even while a Read of r
// blocks (an upstream stage that has stalled without closing its pipe). A
// goroutine of its own reads r ahead, at most one chunk; after an
// interrupt it is left blocked in r's Read, for a process that is about to
// exit. Use it for pipes and terminals, not for regular files.
func InterruptibleReader(r io.Reader) io.Reader {
	ir := &interruptible{chunks: make(chan chunk), done: Done()}
	go ir.pump(r)
	return ir
}

type chunk struct {
	b   []byte
	err error
}

type interruptible struct {
	chunks chan chunk
	done   <-chan struct{}
	rest   []byte
	err    error // r's error, returned once rest is drained
}

// chunkSize is how much the pump reads at a time: a pipe's buffer.
const chunkSize = 64 << 10

func (ir *interruptible) pump(r io.Reader) {
	for {
		b := make([]byte, chunkSize)
		n, err := r.Read(b)
		select {
		case ir.chunks <- chunk{b[:n], err}:
		case <-ir.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (ir *interruptible) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for len(ir.rest) == 0 {
		if ir.err != nil {
			return 0, ir.err
		}
		select {
		case c := <-ir.chunks:
			ir.rest, ir.err = c.b, c.err
		case <-ir.done:
			err := Interrupted()
			if err == nil {
				err = errors.New("outfile: interrupted")
			}
			return 0, err
		}
	}
	n := copy(p, ir.rest)
	ir.rest = ir.rest[n:]
	return n, nil
}
