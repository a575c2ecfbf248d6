package arrowio

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/rng"
)

// networkSeeds are network streams (tree, MLP, with momentum) and their
// truncations and corruptions.
func networkSeeds(t testing.TB) [][]byte {
	var out [][]byte
	for i, net := range []*nn.Network{nn.NewTree(2, 2, 2, true), nn.NewMLP(3, []int{2, 2}, false)} {
		var buf bytes.Buffer
		w, err := CreateNetwork("-", &buf, Meta{Model: `{"type":"hltm"}`}, net, i == 0)
		if err != nil {
			t.Fatal(err)
		}
		for e := 0; e < 2; e++ {
			s := net.Clone()
			s.Init(rng.New(uint64(e), rng.Init, 0), 1)
			if err := w.Write(e, s, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		out = append(out, b, b[:len(b)/2], b[:len(b)-8], append(append([]byte(nil), b...), b...))
		for _, k := range []int{100, len(b) / 2, len(b) - 30} {
			c := append([]byte(nil), b...)
			c[k] ^= 0x81
			out = append(out, c)
		}
	}
	return out
}

// FuzzNetwork reads arbitrary bytes as a network file: every snapshot is
// rebuilt and validated or refused with a one-line error, never a panic.
func FuzzNetwork(f *testing.F) {
	for _, b := range networkSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		nr, err := OpenNetwork("-", bytes.NewReader(data), "fuzz")
		if err != nil {
			if strings.ContainsRune(err.Error(), '\n') {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		defer nr.Close()
		for {
			_, net, err := nr.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if strings.ContainsRune(err.Error(), '\n') {
					t.Fatalf("multi-line error %q", err)
				}
				return
			}
			if net == nil || net.InDim() < 1 {
				t.Fatalf("a snapshot without a usable network: %+v", net)
			}
		}
	})
}

// FuzzTable reads arbitrary bytes as a tidy table with ReadTable.
func FuzzTable(f *testing.F) {
	for _, b := range seedInputs(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Open("-", bytes.NewReader(data))
		if err != nil {
			return
		}
		defer r.Close()
		tab, err := ReadTable(r)
		if err != nil {
			if strings.ContainsRune(err.Error(), '\n') {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if tab.Rows() < 0 {
			t.Fatal("negative rows")
		}
	})
}
