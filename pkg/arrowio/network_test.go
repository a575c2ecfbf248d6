package arrowio

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/rng"
)

func netEqual(t *testing.T, what string, a, b *nn.Network) {
	t.Helper()
	if !a.SameShape(b) {
		t.Fatalf("%s: shapes differ: %+v vs %+v", what, a, b)
	}
	as, bs := a.ParamSlices(), b.ParamSlices()
	for k := range as {
		for i := range as[k] {
			if math.Float64bits(as[k][i]) != math.Float64bits(bs[k][i]) {
				t.Fatalf("%s: parameter %d[%d]: %v vs %v", what, k, i, as[k][i], bs[k][i])
			}
		}
	}
}

// TestNetworkRoundTrip writes three snapshots of a tree and an MLP network
// (with and without momentum columns) and reads them back bit-identical.
func TestNetworkRoundTrip(t *testing.T) {
	nets := []*nn.Network{nn.NewTree(3, 2, 4, true), nn.NewTree(2, 3, 2, false), nn.NewMLP(5, []int{4, 3}, true)}
	for ni, net := range nets {
		for _, withVel := range []bool{false, true} {
			var buf bytes.Buffer
			meta := Meta{Model: `{"type":"hltm"}`, Config: `{"seed":3}`, Provenance: []Step{{Tool: "ssl-train", Version: "test", Config: []byte(`{"seed":3}`)}}}
			w, err := CreateNetwork("-", &buf, meta, net, withVel)
			if err != nil {
				t.Fatal(err)
			}
			var snaps, vels []*nn.Network
			for e := 0; e < 3; e++ {
				s := net.Clone()
				s.Init(rng.New(uint64(e), rng.Init, 0), 1)
				v := net.ZeroLike()
				v.Init(rng.New(uint64(e+10), rng.Init, 0), 1)
				if err := w.Write(e*5, s, v); err != nil {
					t.Fatal(err)
				}
				snaps, vels = append(snaps, s), append(vels, v)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := OpenNetwork("-", &buf, "test")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.Meta().Config, `"seed":3`) || r.Arch() == nil || r.Arch().Arch != net.Arch {
				t.Fatalf("config %s, arch %+v", r.Meta().Config, r.Arch())
			}
			for e := 0; e < 3; e++ {
				epoch, got, err := r.Next()
				if err != nil {
					t.Fatal(err)
				}
				if epoch != e*5 {
					t.Fatalf("epoch %d, want %d", epoch, e*5)
				}
				netEqual(t, "snapshot", snaps[e], got)
				if withVel {
					netEqual(t, "momentum", vels[e], r.Velocity())
				} else if r.Velocity() != nil {
					t.Fatal("momentum from a file without it")
				}
			}
			if _, _, err := r.Next(); !errors.Is(err, io.EOF) {
				t.Fatalf("net %d: after the last snapshot: %v, want EOF", ni, err)
			}
		}
	}
}

// TestNetworkInferArch reads a network file whose config lacks the
// architecture record (as another program may write it).
func TestNetworkInferArch(t *testing.T) {
	for _, net := range []*nn.Network{nn.NewTree(3, 2, 3, true), nn.NewMLP(6, []int{5, 2}, true)} {
		net.Init(rng.New(1, rng.Init, 0), 1)
		var buf bytes.Buffer
		w, err := Create("-", &buf, Meta{Kind: KindNetwork}, networkColumns(false))
		if err != nil {
			t.Fatal(err)
		}
		for li, l := range net.Layers {
			for _, b := range l.Blocks {
				if err := w.Append(int32(0), int32(li+1), b.Name, int32(b.Node), int32(l.Level), int32(b.In), int32(b.Out),
					int32(b.InOffset), int32(b.OutOffset), b.W, b.B); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := OpenNetwork("-", &buf, "test")
		if err != nil {
			t.Fatal(err)
		}
		_, got, err := r.Last()
		if err != nil {
			t.Fatal(err)
		}
		netEqual(t, net.Arch, net, got)
	}
}

// TestNetworkBadInput checks the errors for a file of another kind and for
// rows that do not match the declared architecture.
func TestNetworkBadInput(t *testing.T) {
	var buf bytes.Buffer
	w, _ := Create("-", &buf, Meta{Kind: KindViews}, []Column{{Name: "id", Type: Int64}})
	w.Append(int64(1))
	w.Close()
	if _, err := OpenNetwork("-", &buf, "probe"); err == nil || !strings.Contains(err.Error(), "probe needs network (made by ssl-train)") {
		t.Fatalf("views file: %v", err)
	}
	buf.Reset()
	net := nn.NewTree(2, 2, 3, true)
	nw, _ := CreateNetwork("-", &buf, Meta{Config: `{"network":{"arch":"tree","bias":true,"hid":4,"depth":2,"children":2,"in_dim":4}}`}, net, false)
	// CreateNetwork overwrites the record with the real architecture; make
	// the rows disagree with it instead.
	bad := net.Clone()
	bad.Layers[0].Blocks[0].Name = "zz"
	if err := nw.Write(0, bad, nil); err == nil {
		t.Fatal("writing a network of another shape succeeded")
	}
}

// TestNetworkRowsMismatch checks that rows disagreeing with the config's
// architecture are refused with a message naming the snapshot.
func TestNetworkRowsMismatch(t *testing.T) {
	var buf bytes.Buffer
	w, err := Create("-", &buf, Meta{Kind: KindNetwork, Config: `{"network":{"arch":"tree","bias":true,"hid":3,"depth":2,"children":2,"in_dim":4}}`}, networkColumns(false))
	if err != nil {
		t.Fatal(err)
	}
	net := nn.NewTree(2, 2, 2, true) // hid 2, not 3
	for li, l := range net.Layers {
		for _, b := range l.Blocks {
			w.Append(int32(7), int32(li+1), b.Name, int32(b.Node), int32(l.Level), int32(b.In), int32(b.Out),
				int32(b.InOffset), int32(b.OutOffset), b.W, b.B)
		}
	}
	w.Close()
	r, err := OpenNetwork("-", &buf, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "snapshot of epoch 7") {
		t.Fatalf("got %v", err)
	}
}
