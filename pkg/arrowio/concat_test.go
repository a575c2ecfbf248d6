package arrowio

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Bytes after the end-of-stream marker (`cat a.arrows b.arrows | tool`)
// are refused rather than silently dropped.
func TestConcatenatedStreams(t *testing.T) {
	s := writeSamples(t, memory.DefaultAllocator, 6, 4)
	for name, in := range map[string][]byte{
		"two streams": append(append([]byte(nil), s...), s...),
		"one byte":    append(append([]byte(nil), s...), 0),
	} {
		r, err := OpenReader(bytes.NewReader(in), "in")
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
		}
		r.Close()
		want := "arrowio: in: data after the end-of-stream marker (after 6 rows): concatenated streams are not one stream"
		if r.Err() == nil || !strings.HasPrefix(r.Err().Error(), want) {
			t.Errorf("%s: got %v, want %q…", name, r.Err(), want)
		}
	}
}
