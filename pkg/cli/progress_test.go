package cli

import (
	"strings"
	"testing"
	"time"
)

// TestProgressStatus checks the line a Progress logs when stderr is not a
// terminal: counts against the total, the rate, and an ETA when the total
// is known.
func TestProgressStatus(t *testing.T) {
	start := time.Unix(1000, 0)
	p := &Progress{unit: "steps", total: 1000, done: 250, start: start}
	got := p.status(start.Add(10 * time.Second))
	if want := "250/1000 steps (25%), 25 steps/s, ETA 30s"; got != want {
		t.Errorf("status %q, want %q", got, want)
	}
	p = &Progress{unit: "rows", done: 500, start: start}
	if got := p.status(start.Add(2 * time.Second)); got != "500 rows, 250 rows/s" || strings.Contains(got, "ETA") {
		t.Errorf("status without a total: %q", got)
	}
}
