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
	ir := &interruptible{chunks: make(chan chunk), free: make(chan []byte, 2), done: Done()}
	go ir.pump(r)
	return ir
}

type chunk struct {
	b   []byte
	err error
}

type interruptible struct {
	chunks chan chunk
	free   chan []byte // buffers drained by Read, for the pump to refill
	done   <-chan struct{}
	cur    []byte // the buffer rest lies in
	rest   []byte
	err    error // r's error, returned once rest is drained
}

// ChunkSize is how much the pump asks r for at a time: as much as a
// tool's pipe holds (cli asks the kernel for 1 MiB pipes). A writer
// blocked on a full pipe wakes each time its reader takes data out, and on
// the development machine (a virtual machine) a wake cost the reference
// pipe's augment as much CPU as drawing over a thousand samples; reading
// 64 KiB at a time woke it 16 times per megabyte, reading the whole pipe
// once. Two buffers of this size circulate between the pump and Read.
const ChunkSize = 1 << 20

func (ir *interruptible) pump(r io.Reader) {
	for k := 0; ; k++ {
		var b []byte
		if k < 2 {
			b = make([]byte, ChunkSize)
		} else {
			select {
			case b = <-ir.free:
			case <-ir.done:
				return
			}
		}
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
		if ir.cur != nil {
			ir.free <- ir.cur[:cap(ir.cur)] // never blocks: two buffers, room for two
			ir.cur = nil
		}
		if ir.err != nil {
			return 0, ir.err
		}
		select {
		case c := <-ir.chunks:
			ir.cur, ir.rest, ir.err = c.b, c.b, c.err
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
