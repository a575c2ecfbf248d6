package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/nn"
)

// Snapshot is one network state of a network file.
type Snapshot struct {
	Epoch int
	Net   *nn.Network
}

// ReadSnapshots reads every snapshot of nr, in file order (snapshots are
// small); name is the file's display name for the error of an empty file.
func ReadSnapshots(nr *arrowio.NetworkReader, name string) ([]Snapshot, error) {
	var snaps []Snapshot
	for {
		epoch, net, err := nr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		snaps = append(snaps, Snapshot{epoch, net})
	}
	if len(snaps) == 0 {
		return nil, fmt.Errorf("%s: no network snapshot", name)
	}
	return snaps, nil
}

// SelectEpochs returns the indices (in file order, each once) of the
// snapshots named by sel: epoch numbers and the words first, middle, last
// and all, comma-separated. flag names the flag for messages and name the
// network file. An unknown word is a usage error; an epoch the file lacks
// a data error.
func SelectEpochs(epochs []int, sel, flag, name string) ([]int, error) {
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
				return nil, Usagef("--%s %q: %q is neither an epoch number nor first, middle, last or all", flag, sel, w)
			}
			found := false
			for i, ep := range epochs {
				if ep == e {
					want[i], found = true, true
				}
			}
			if !found {
				return nil, fmt.Errorf("--%s: %s has no snapshot of epoch %d (it has epochs %d…%d)", flag, name, e, epochs[0], epochs[len(epochs)-1])
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
