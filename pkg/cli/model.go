package cli

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/hltm"
)

// ModelOf parses the HLTM carried in a file's metadata (dualssl.model);
// name is the file's name for messages.
func ModelOf(meta arrowio.Meta, name string) (*hltm.Model, error) {
	if meta.Model == "" {
		return nil, fmt.Errorf("%s carries no HLTM (its %s is empty): use a file made by hltm-gen or a later stage", name, arrowio.KeyModel)
	}
	var m hltm.Model
	if err := m.UnmarshalJSON([]byte(meta.Model)); err != nil {
		return nil, fmt.Errorf("%s: bad %s: %v", name, arrowio.KeyModel, err)
	}
	return &m, nil
}

// ModelJSON returns the canonical JSON of m for dualssl.model.
func ModelJSON(m *hltm.Model) string {
	b, err := m.MarshalJSON()
	if err != nil {
		panic(err) // a valid model always marshals
	}
	return string(b)
}

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
