package nn

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrSelection is the error (tested with errors.Is) of a snapshot
// selection that does not parse.
var ErrSelection = errors.New("nn: bad snapshot selection")

// SelectEpochs returns the indices into epochs (the snapshots' epochs, in
// file order) named by sel: epoch numbers and the words first, middle,
// last and all, comma-separated; in file order, each once. An epoch the
// list lacks is an error that does not wrap ErrSelection. It panics if
// epochs is empty.
func SelectEpochs(epochs []int, sel string) ([]int, error) {
	if len(epochs) == 0 {
		panic("nn: SelectEpochs: no snapshots")
	}
	want := make(map[int]bool)
	for _, w := range strings.Split(sel, ",") {
		w = strings.TrimSpace(w)
		switch w {
		case "first":
			want[0] = true
		case "middle":
			want[len(epochs)/2] = true
		case "last":
			want[len(epochs)-1] = true
		case "all":
			for i := range epochs {
				want[i] = true
			}
		default:
			e, err := strconv.Atoi(w)
			if err != nil {
				return nil, fmt.Errorf("%w: %q is neither an epoch number nor first, middle, last or all", ErrSelection, w)
			}
			found := false
			for i, have := range epochs {
				if have == e {
					want[i], found = true, true
				}
			}
			if !found {
				return nil, fmt.Errorf("nn: no snapshot of epoch %d (it has epochs %d…%d)", e, epochs[0], epochs[len(epochs)-1])
			}
		}
	}
	var kept []int
	for i := range epochs {
		if want[i] {
			kept = append(kept, i)
		}
	}
	return kept, nil
}
