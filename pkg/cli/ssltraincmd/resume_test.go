package ssltraincmd

import (
	"slices"
	"testing"
)

// TestConfigChangesPrecision checks that a file from before --precision
// counts as float64: resuming it in float32 is a change, in float64 not.
func TestConfigChangesPrecision(t *testing.T) {
	old := `{"lr":0.1,"seed":1}`
	for _, tc := range []struct {
		new  string
		want []string
	}{
		{`{"lr":0.1,"precision":"float64","seed":1}`, nil},
		{`{"lr":0.1,"precision":"float32","seed":1}`, []string{"--precision float64 → float32"}},
		{`{"lr":0.2,"precision":"float32","seed":1}`, []string{"--lr 0.1 → 0.2", "--precision float64 → float32"}},
	} {
		got, err := configChanges(old, tc.new)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("configChanges(%s, %s) = %q, %v; want %q", old, tc.new, got, err, tc.want)
		}
	}
}
