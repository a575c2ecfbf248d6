package augment

import (
	"fmt"
	"testing"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/rng"
)

// A Stream's chunks, and the views in them, are the same whether the
// samples arrive one row at a time, in odd batches or all at once, and
// whatever the thread count.
func TestStreamBatching(t *testing.T) {
	m := model(t, 3, 2, 7)
	a, err := New(m, Policy{Keep: 1, Flip: 0.1, Pairs: 2, Negatives: 1})
	if err != nil {
		t.Fatal(err)
	}
	const rows = 3*hltm.BlockRows + 17
	n := m.NumNodes()
	z := make([]int8, rows*n)
	ids := make([]int64, rows)
	r := rng.New(5, rng.Sample, 0)
	for i := range rows {
		m.Sample(r, z[i*n:(i+1)*n])
		ids[i] = int64(1000 + i)
	}
	run := func(batch, threads int) string {
		out := ""
		s := a.NewStream(9, threads, func(ids []int64, v *Views) error {
			out += fmt.Sprint(len(ids), ids, v.Key, v.XA, v.XB, v.ZA, v.ZB, v.XNeg, ";")
			return nil
		})
		for lo := 0; lo < rows; lo += batch {
			hi := min(rows, lo+batch)
			if err := s.Add(ids[lo:hi], words(z[lo*n:hi*n])); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		if s.Samples() != rows {
			t.Fatalf("Samples %d, want %d", s.Samples(), rows)
		}
		return out
	}
	want := run(rows, 1)
	for _, c := range [][2]int{{1, 1}, {7, 3}, {hltm.BlockRows, 2}, {rows, 4}} {
		if got := run(c[0], c[1]); got != want {
			t.Errorf("batches of %d rows on %d threads: other views", c[0], c[1])
		}
	}
}

// TestStreamWholeChunks covers input batches that hold whole chunks (which
// Add augments in place, without staging, when they start on a word)
// mixed with staged ones: the views are the same for every batching.
func TestStreamWholeChunks(t *testing.T) {
	m := model(t, 2, 2, 3)
	a, err := New(m, Policy{Keep: 0, Flip: 0.05, Pairs: 1, Negatives: 1})
	if err != nil {
		t.Fatal(err)
	}
	chunk := a.ChunkSamples()
	rows := 2*chunk + 5
	n := m.NumNodes()
	z := make([]int8, rows*n)
	ids := make([]int64, rows)
	m.SampleRows(2, 0, rows, z, nil, 1)
	for i := range ids {
		ids[i] = int64(i)
	}
	run := func(batches ...int) string {
		var out []byte
		s := a.NewStream(4, 2, func(ids []int64, v *Views) error {
			out = fmt.Append(out, len(ids), ids, v.Key, v.XA, v.XB, v.ZA, v.ZB, v.XNeg, ";")
			return nil
		})
		// The last batch size repeats to the end.
		for lo, k := 0, 0; lo < rows; k = min(k+1, len(batches)-1) {
			hi := min(rows, lo+batches[k])
			if err := s.Add(ids[lo:hi], words(z[lo*n:hi*n])); err != nil {
				t.Fatal(err)
			}
			lo = hi
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	want := run(1000) // staged throughout: no batch holds a whole chunk
	for _, b := range [][]int{{rows}, {chunk}, {chunk + 3}, {3, chunk}, {1, 1, rows}} {
		if got := run(b...); got != want {
			t.Errorf("batches %v: other views", b)
		}
	}
}
