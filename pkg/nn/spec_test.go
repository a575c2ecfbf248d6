package nn

import (
	"strings"
	"testing"
)

// Weights and Width agree with the networks built, and absurd specs are
// refused with their estimate before anything is allocated.
func TestSpec(t *testing.T) {
	for _, s := range []Spec{TreeSpec(3, 2, 4, true), TreeSpec(1, 3, 2, false), MLPSpec(8, []int{5, 3}, true)} {
		n, err := s.New()
		if err != nil {
			t.Fatal(err)
		}
		weights, width := 0, 0
		for _, l := range n.Layers {
			width += l.OutDim
			for _, b := range l.Blocks {
				weights += len(b.W)
			}
		}
		if s.Weights() != float64(weights) || s.Width() != float64(width) {
			t.Errorf("%v: Weights %v Width %v, built %d and %d", s, s.Weights(), s.Width(), weights, width)
		}
		if got := SpecOf(n); got.String() != s.String() || got.InDim != s.InDim {
			t.Errorf("SpecOf: %v, want %v", got, s)
		}
	}
	for _, c := range []struct {
		s    Spec
		want string
	}{
		{MLPSpec(4096, []int{1 << 20, 10}, true), "the network would have 4.31e+09 weights (at most 134217728)"},
		{TreeSpec(5, 2, 65536, true), "the network would have 1.29e+11 weights (at most 134217728)"},
		{MLPSpec(1<<62, []int{10}, true), "out of range"},
		{TreeSpec(40, 2, 1, true), "out of range"},
		{Spec{Arch: "conv"}, `network arch "conv"`},
	} {
		if err := c.s.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.s, err, c.want)
		}
	}
	if err := MLPSpec(10, []int{1 << 20}, true).CheckBatch(256); err == nil || !strings.Contains(err.Error(), "2.68e+08 activations") {
		t.Errorf("CheckBatch: %v", err)
	}
	if MLPSpec(3, []int{4, 2}, false).String() != "mlp 3→4,2, bias false" {
		t.Error("String")
	}
}
