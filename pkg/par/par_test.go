package par

import (
	"sync/atomic"
	"testing"
)

// Every task runs exactly once, on a worker index below Workers, whatever
// the thread count.
func TestFor(t *testing.T) {
	for _, threads := range []int{-1, 0, 1, 2, 3, 64} {
		for _, n := range []int{0, 1, 5, 100} {
			runs := make([]atomic.Int32, n)
			workers := Workers(n, threads)
			var bad atomic.Int32
			For(n, threads, func(w, i int) {
				if w < 0 || w >= workers {
					bad.Add(1)
				}
				runs[i].Add(1)
			})
			for i := range runs {
				if got := runs[i].Load(); got != 1 {
					t.Fatalf("threads %d, n %d: task %d ran %d times", threads, n, i, got)
				}
			}
			if bad.Load() != 0 {
				t.Fatalf("threads %d, n %d: worker index out of range", threads, n)
			}
		}
	}
	if Workers(10, 3) != 3 || Workers(2, 8) != 2 || Workers(0, 4) != 1 {
		t.Fatal("Workers")
	}
}
