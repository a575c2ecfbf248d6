// Package par runs independent tasks on a bounded number of goroutines:
// the one worker pool of the toolkit. A task must write only its own part
// of the output, so that results do not depend on the number of
// goroutines or their schedule.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Workers returns how many goroutines For uses for n tasks and a
// requested threads (< 1 means every core the process may use): at least
// 1, at most n.
func Workers(n, threads int) int {
	if threads < 1 {
		threads = runtime.GOMAXPROCS(0)
	}
	return max(1, min(threads, n))
}

// For calls fn(w, i) for i = 0 … n−1 on Workers(n, threads) goroutines and
// waits for all of them. w ∈ [0, Workers(n, threads)) names the goroutine
// running the task, so fn can use per-worker scratch space without locks.
// Tasks are handed out in index order. With one worker everything runs on
// the calling goroutine.
func For(n, threads int, fn func(w, i int)) {
	workers := Workers(n, threads)
	if workers == 1 {
		for i := range n {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(w, i)
			}
		}()
	}
	wg.Wait()
}
