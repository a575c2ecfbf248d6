package cli

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/outfile"
	"github.com/dualssl/dualssl/pkg/statedict"
)

// Weights is one network's parameters read by LoadWeights.
type Weights struct {
	Net   *nn.Network
	Epoch int    // the snapshot's epoch (a state dict's dualssl.epoch, else 0)
	Model string // canonical HLTM JSON the file carries, or ""
	// Meta is a network file's metadata (nil for a state dict).
	Meta *arrowio.Meta
	// Dict is a state dict's __metadata__ (nil for a network file).
	Dict map[string]string
}

// isSafetensors reports whether a file starting with head is a
// safetensors file: an 8-byte little-endian header length, then the JSON
// header's opening brace. Arrow files start with "ARROW1" or the stream
// continuation marker 0xFFFFFFFF, so the two never collide.
func isSafetensors(head []byte) bool {
	return len(head) >= 9 && head[8] == '{' && binary.LittleEndian.Uint64(head) < statedict.MaxBytes
}

// LoadWeights reads the weights of one network from path ("-" = stdin): a
// safetensors state dict (see statedict), or the snapshot of a network
// file that epoch selects ("last", "first" or an epoch number; see
// SelectEpochs). flag and epochFlag name the flags of the path and the
// epoch for messages.
func (e *Env) LoadWeights(path, epoch, flag, epochFlag string) (*Weights, error) {
	name := outfile.Name(path, "stdin")
	var src io.Reader
	var size int64 = -1
	if outfile.IsStd(path) {
		src = e.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--%s %s: %w", flag, path, outfile.UnwrapPath(err))
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
		src = f
	}
	br := bufio.NewReader(src)
	head, _ := br.Peek(9)
	if isSafetensors(head) {
		if size > statedict.MaxBytes {
			return nil, fmt.Errorf("--%s %s: %d bytes, over the %d-byte limit of a state dict", flag, name, size, statedict.MaxBytes)
		}
		b, err := io.ReadAll(io.LimitReader(br, statedict.MaxBytes+1))
		if err != nil {
			return nil, fmt.Errorf("--%s %s: %w", flag, name, err)
		}
		net, dict, err := statedict.Decode(b)
		if err != nil {
			return nil, fmt.Errorf("--%s %s: %v", flag, name, err)
		}
		w := &Weights{Net: net, Model: dict[statedict.KeyModel], Dict: dict}
		if v, ok := dict[statedict.KeyEpoch]; ok {
			if _, err := fmt.Sscan(v, &w.Epoch); err != nil {
				return nil, fmt.Errorf("--%s %s: metadata %s is %q, not an epoch", flag, name, statedict.KeyEpoch, v)
			}
		}
		return w, nil
	}
	// A network file: a named one is reopened by arrowio (which checks
	// the IPC file format with random access); stdin is read on from the
	// buffered stream, which still holds the bytes sniffed.
	var r *arrowio.Reader
	var err error
	if outfile.IsStd(path) {
		r, err = arrowio.Open("-", br)
	} else {
		r, err = arrowio.Open(path, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	nr, err := arrowio.NewNetworkReader(r, e.Tool)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("--%s: %w (or give a safetensors state dict)", flag, err)
	}
	defer nr.Close()
	snaps, err := nr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	epochs := make([]int, len(snaps))
	for i, s := range snaps {
		epochs[i] = s.Epoch
	}
	idx, err := SelectEpochs(epochs, epoch, epochFlag, name)
	if err != nil {
		return nil, err
	}
	if len(idx) != 1 {
		return nil, Usagef("--%s %q: name one snapshot", epochFlag, epoch)
	}
	s := snaps[idx[0]]
	meta := nr.Meta()
	return &Weights{Net: s.Net, Epoch: s.Epoch, Model: meta.Model, Meta: &meta}, nil
}
