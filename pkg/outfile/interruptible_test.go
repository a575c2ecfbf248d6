package outfile

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"
)

// TestInterruptibleReaderBytes sends 5 chunk sizes' worth of bytes through
// the reader in writes and reads of random sizes (so its two buffers are
// refilled many times while parts of them are still unread) and checks
// that every byte arrives once, in order, followed by the writer's error.
func TestInterruptibleReaderBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	want := make([]byte, 5*ChunkSize+12345)
	for i := range want {
		want[i] = byte(r.Uint32())
	}
	pr, pw := io.Pipe()
	end := errors.New("writer's end")
	go func() {
		for rest := want; len(rest) > 0; {
			k := min(len(rest), 1+r.IntN(3*ChunkSize/2))
			pw.Write(rest[:k])
			rest = rest[k:]
		}
		pw.CloseWithError(end)
	}()
	ir := InterruptibleReader(pr)
	var got []byte
	rr := rand.New(rand.NewPCG(3, 4))
	for {
		p := make([]byte, 1+rr.IntN(200000))
		n, err := ir.Read(p)
		got = append(got, p[:n]...)
		if err != nil {
			if err != end {
				t.Fatalf("after %d bytes: %v, want the writer's error", len(got), err)
			}
			break
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, not the %d written", len(got), len(want))
	}
}

// TestInterruptibleReaderInterrupt checks that a Read blocked on a stalled
// writer returns the interrupt's error at once.
func TestInterruptibleReaderInterrupt(t *testing.T) {
	defer ResetInterrupt()
	pr, pw := io.Pipe()
	defer pw.Close()
	ir := InterruptibleReader(pr)
	stop := errors.New("stop")
	go func() {
		time.Sleep(10 * time.Millisecond)
		Interrupt(stop)
	}()
	if _, err := ir.Read(make([]byte, 10)); err != stop {
		t.Fatalf("Read after the interrupt: %v, want %v", err, stop)
	}
}
