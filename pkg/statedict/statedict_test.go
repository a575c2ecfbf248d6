package statedict

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/dualssl/dualssl/pkg/nn"
)

func TestNodeName(t *testing.T) {
	for _, c := range []struct {
		id, kids int
		want     string
	}{{0, 2, "s"}, {1, 2, "s0"}, {2, 2, "s1"}, {3, 2, "s00"}, {4, 2, "s01"}, {6, 2, "s11"}, {7, 2, "s000"},
		{1, 3, "s0"}, {4, 3, "s00"}, {12, 3, "s22"}, {13, 3, "s000"}} {
		if got := NodeName(c.id, c.kids); got != c.want {
			t.Errorf("NodeName(%d, %d) = %s, want %s", c.id, c.kids, got, c.want)
		}
	}
}

func randomNet(arch string, bias bool, seed uint64) *nn.Network {
	var n *nn.Network
	if arch == nn.ArchTree {
		n = nn.NewTree(3, 2, 4, bias)
	} else {
		n = nn.NewMLP(8, []int{6, 5, 3}, bias)
	}
	n.Init(rand.New(rand.NewPCG(seed, 1)), 1)
	return n
}

// TestRoundTrip: F64 export and import give back the network exactly, and
// the bytes depend only on the network and metadata.
func TestRoundTrip(t *testing.T) {
	for _, arch := range []string{nn.ArchTree, nn.ArchMLP} {
		for _, bias := range []bool{true, false} {
			n := randomNet(arch, bias, 7)
			meta := map[string]string{KeyModel: `{"type":"hltm"}`, KeyEpoch: "3"}
			var a, b bytes.Buffer
			if err := Encode(&a, n, meta, F64); err != nil {
				t.Fatal(err)
			}
			if err := Encode(&b, n.Clone(), meta, F64); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatalf("%s: two encodings of one network differ", arch)
			}
			m, gotMeta, err := Decode(a.Bytes())
			if err != nil {
				t.Fatalf("%s bias=%v: %v", arch, bias, err)
			}
			if !n.SameShape(m) {
				t.Fatalf("%s bias=%v: decoded network has another shape", arch, bias)
			}
			ps, qs := n.ParamSlices(), m.ParamSlices()
			for i := range ps {
				for j := range ps[i] {
					if ps[i][j] != qs[i][j] {
						t.Fatalf("%s: parameter %d/%d: %v, want %v", arch, i, j, qs[i][j], ps[i][j])
					}
				}
			}
			if gotMeta[KeyEpoch] != "3" || gotMeta[KeyFormat] != "pt" || gotMeta[KeyBias] != map[bool]string{true: "true", false: "false"}[bias] {
				t.Fatalf("metadata %v", gotMeta)
			}
		}
	}
}

// TestF32 rounds every parameter to float32 and back.
func TestF32(t *testing.T) {
	n := randomNet(nn.ArchTree, true, 3)
	var a bytes.Buffer
	if err := Encode(&a, n, nil, F32); err != nil {
		t.Fatal(err)
	}
	m, _, err := Decode(a.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	ps, qs := n.ParamSlices(), m.ParamSlices()
	for i := range ps {
		for j := range ps[i] {
			if qs[i][j] != float64(float32(ps[i][j])) {
				t.Fatalf("parameter %d/%d: %v, want float32 of %v", i, j, qs[i][j], ps[i][j])
			}
		}
	}
}

// TestNames: the reference's names and shapes for a depth-2 binary tree
// with hid 3.
func TestNames(t *testing.T) {
	ts, err := Tensors(nn.NewTree(2, 2, 3, true))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range ts {
		got = append(got, x.Name+shapeString(x.Shape))
	}
	want := "nets.s0.weight(3,2) nets.s0.bias(3) nets.s1.weight(3,2) nets.s1.bias(3) nets.s.weight(3,6) nets.s.bias(3)"
	if strings.Join(got, " ") != want {
		t.Fatalf("names\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	if _, err := Tensors(nn.NewTree(1, 11, 2, false)); err == nil {
		t.Fatal("a tree with 11 children got names")
	}
}

func shapeString(s []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(v))
	}
	b.WriteByte(')')
	return b.String()
}

// TestDecodeRefuses: damaged or foreign files get an error, never a network.
func TestDecodeRefuses(t *testing.T) {
	n := randomNet(nn.ArchTree, true, 1)
	var good bytes.Buffer
	if err := Encode(&good, n, nil, F64); err != nil {
		t.Fatal(err)
	}
	hlen := int(binary.LittleEndian.Uint64(good.Bytes()))
	header := string(good.Bytes()[8 : 8+hlen])
	replace := func(old, new string) []byte {
		h := strings.Replace(header, old, new, 1)
		h += strings.Repeat(" ", max(0, hlen-len(h)))
		if len(h) != hlen {
			t.Fatalf("replacement changes the header length")
		}
		out := append([]byte(nil), good.Bytes()...)
		copy(out[8:], h)
		return out
	}
	nan := append([]byte(nil), good.Bytes()...)
	binary.LittleEndian.PutUint64(nan[8+hlen:], math.Float64bits(math.NaN()))
	for name, c := range map[string]struct {
		b       []byte
		format  bool
		message string
	}{
		"empty":     {nil, false, "not a safetensors file"},
		"truncated": {good.Bytes()[:good.Len()-8], false, "not a safetensors file"},
		"nan":       {nan, true, "non-finite"},
		"foreign":   {replace("nets.s.weight", "head.s.weight"), true, "no nets.s.weight"},
		"renamed":   {replace("nets.s01.weight", "nets.s01.wEight"), true, "nets.s01.weight is missing"},
		"bias flag": {replace(`"dualssl.bias":"true"`, `"dualssl.bias":"nope"`), true, "dualssl.bias"},
	} {
		_, _, err := Decode(c.b)
		if err == nil {
			t.Errorf("%s: decoded", name)
			continue
		}
		if c.format != errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.message) {
			t.Errorf("%s: error %q (ErrFormat %v), want one containing %q", name, err, errors.Is(err, ErrFormat), c.message)
		}
	}
}

// TestBiasInferred: without the bias flag, a file whose biases are all
// zero imports as bias-free, and one with a non-zero bias as biased.
func TestBiasInferred(t *testing.T) {
	for _, bias := range []bool{false, true} {
		n := randomNet(nn.ArchMLP, bias, 2)
		var b bytes.Buffer
		if err := Encode(&b, n, nil, F64); err != nil {
			t.Fatal(err)
		}
		// Drop the flag by renaming the key to an unknown one of equal length.
		out := bytes.Replace(b.Bytes(), []byte(`"dualssl.bias"`), []byte(`"dualssl.xxxx"`), 1)
		m, _, err := Decode(out)
		if err != nil {
			t.Fatal(err)
		}
		if m.Bias != bias {
			t.Fatalf("bias %v imported as %v", bias, m.Bias)
		}
	}
}
