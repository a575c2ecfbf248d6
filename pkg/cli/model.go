package cli

import (
	"github.com/dualssl/dualssl/pkg/arrowio"
)

// OpenNetworks opens --in (a path or stdin) as a network file made by
// ssl-train, for the stages that read snapshots (probe, covop).
func (e *Env) OpenNetworks() (*arrowio.NetworkReader, error) {
	r, err := e.Open(arrowio.KindNetwork)
	if err != nil {
		return nil, err
	}
	nr, err := arrowio.NewNetworkReader(r, e.Tool)
	if err != nil {
		r.Close()
		return nil, err
	}
	return nr, nil
}
