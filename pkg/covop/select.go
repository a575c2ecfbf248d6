package covop

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dualssl/dualssl/pkg/nn"
)

// ErrSelection is the error (tested with errors.Is) of a snapshot
// selection that does not parse.
var ErrSelection = errors.New("bad snapshot selection")

// SelectEpochs returns the indices into epochs (the snapshots' epochs, in
// file order) named by sel: epochs and the words first, middle and last,
// comma-separated; in file order, each once. Operators are costly, so a
// user studying a long run asks for a few snapshots rather than all.
func SelectEpochs(epochs []int, sel string) ([]int, error) {
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
		default:
			e, err := strconv.Atoi(w)
			if err != nil {
				return nil, fmt.Errorf("%w: %q is neither an epoch number nor first, middle or last", ErrSelection, w)
			}
			found := false
			for i, have := range epochs {
				if have == e {
					want[i], found = true, true
				}
			}
			if !found {
				return nil, fmt.Errorf("no snapshot of epoch %d (it has epochs %d…%d)", e, epochs[0], epochs[len(epochs)-1])
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

// Checkable returns why Theorem 1 cannot be checked on net, trained on
// normalised outputs or not, or nil: with biases f ≠ K(x)ᵀvec(W); with
// output normalisation the training loss is taken on f/(‖f‖+ε), whose
// gradient is not the un-normalised one the theorem computes.
func Checkable(net *nn.Network, normalized bool) error {
	if net.Bias {
		return errors.New("has biases; Theorem 1 needs a bias-free network because it rests on f(x) = K(x)^T vec(W), which biases break: train with ssl-train --bias=false")
	}
	if normalized {
		return errors.New("was trained on normalised outputs f/(|f|+eps); Theorem 1 is about the loss on the un-normalised output, so its gradient would not describe this training: train with ssl-train --normalize=false")
	}
	return nil
}
