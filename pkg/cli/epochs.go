package cli

import (
	"errors"
	"fmt"

	"github.com/dualssl/dualssl/pkg/nn"
)

// SelectEpochs is nn.SelectEpochs with the toolkit's errors: a selection
// that does not parse is a usage error naming --flag, an epoch the network
// file (name) lacks a data error.
func SelectEpochs(epochs []int, sel, flag, name string) ([]int, error) {
	idx, err := nn.SelectEpochs(epochs, sel)
	if errors.Is(err, nn.ErrSelection) {
		return nil, Usagef("--%s %q: %v", flag, sel, err)
	}
	if err != nil {
		return nil, fmt.Errorf("--%s: %s: %w", flag, name, err)
	}
	return idx, nil
}
