package augment

import (
	"errors"
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
			if err := s.Add(ids[lo:hi], z[lo*n:hi*n]); err != nil {
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
	bad := append([]int8(nil), z[:n]...)
	bad[2] = 2
	s := a.NewStream(9, 1, func([]int64, *Views) error { return nil })
	if err := s.Add([]int64{1}, bad); err == nil || err.Error() != "augment: node values must be 0 or 1: row 0: z holds 2" || !errors.Is(err, ErrLatent) {
		t.Errorf("bad z: %v", err)
	}
}

func TestAllBinary(t *testing.T) {
	for n := 0; n < 80; n++ {
		z := make([]int8, n)
		for i := range z {
			z[i] = int8(i * 7 % 3 % 2)
		}
		if !allBinary(z) {
			t.Fatalf("len %d: 0/1 values refused", n)
		}
		for i := range z {
			for _, bad := range []int8{2, -1, -128, 3, 127} {
				old := z[i]
				z[i] = bad
				if allBinary(z) {
					t.Fatalf("len %d: %d at %d accepted", n, bad, i)
				}
				z[i] = old
			}
		}
	}
}
