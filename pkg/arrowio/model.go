package arrowio

import (
	"errors"
	"fmt"

	"github.com/dualssl/dualssl/pkg/hltm"
)

// ErrNoModel is the error (tested with errors.Is) of a file whose
// dualssl.model is empty where the HLTM is needed.
var ErrNoModel = errors.New("arrowio: no HLTM in the file")

// ModelOf parses the HLTM a file carries in its metadata (dualssl.model);
// name is the file's name for messages. It is the one place a model is
// read from a file.
func ModelOf(meta Meta, name string) (*hltm.Model, error) {
	if meta.Model == "" {
		return nil, &markedError{fmt.Sprintf("arrowio: %s carries no HLTM (its %s is empty): use a file made by hltm-gen or a later stage", name, KeyModel), ErrNoModel}
	}
	var m hltm.Model
	if err := m.UnmarshalJSON([]byte(meta.Model)); err != nil {
		return nil, fmt.Errorf("arrowio: %s: bad %s: %w", name, KeyModel, err)
	}
	return &m, nil
}

// Model returns the HLTM the file carries (see ModelOf).
func (r *Reader) Model() (*hltm.Model, error) { return ModelOf(r.meta, r.name) }

// ModelJSON returns the canonical JSON of m for dualssl.model.
func ModelJSON(m *hltm.Model) string {
	b, err := m.MarshalJSON()
	if err != nil {
		panic(err) // a valid model always marshals
	}
	return string(b)
}
