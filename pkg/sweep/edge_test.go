package sweep

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// A grid saved by a Windows editor (a UTF-8 byte-order mark, CRLF line
// ends) parses to the same runs as its plain form.
func TestGridBOMAndCRLF(t *testing.T) {
	plain := "# sweep\nseed = 1..2\n[a]\nhid = 2, 3\n[b]\nloss = nce   # comment\ntrain_args = --x\n"
	plain = strings.Replace(plain, "train_args = --x\n", "", 1)
	plain = "train_args = --bias=false\n" + plain
	windows := "\ufeff" + strings.ReplaceAll(plain, "\n", "\r\n")
	want := mustRuns(t, plain)
	got := mustRuns(t, windows)
	if len(got) != len(want) || len(got) != 6 {
		t.Fatalf("%d runs with BOM and CRLF, %d without (want 6)", len(got), len(want))
	}
	for i := range got {
		if got[i].Dir != want[i].Dir {
			t.Errorf("run %d: %q, want %q", i, got[i].Dir, want[i].Dir)
		}
	}
	g, err := ParseGrid("w.txt", []byte(windows))
	if err != nil {
		t.Fatal(err)
	}
	if g.Extra["train_args"] != "--bias=false" {
		t.Errorf("train_args = %q", g.Extra["train_args"])
	}
}

func mustRuns(t *testing.T, src string) []Run {
	t.Helper()
	g, err := ParseGrid("g.txt", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := g.Runs()
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// Ranges at the ends of int64 neither wrap nor loop forever, and a range
// whose width overflows int64 is refused as too long.
func TestSeedRangeNearMaxInt64(t *testing.T) {
	max := strconv.FormatInt(math.MaxInt64, 10)
	runs := mustRuns(t, "seed = "+strconv.FormatInt(math.MaxInt64-2, 10)+".."+max+"\n")
	if len(runs) != 3 {
		t.Fatalf("%d runs, want 3", len(runs))
	}
	for i, r := range runs {
		if want := int64(math.MaxInt64 - 2 + i); r.Get("seed").Int != want {
			t.Errorf("run %d: seed %d, want %d", i, r.Get("seed").Int, want)
		}
	}
	if runs := mustRuns(t, "seed = "+max+".."+max+"\n"); len(runs) != 1 {
		t.Errorf("%s..%s: %d runs, want 1", max, max, len(runs))
	}
	for _, src := range []string{"seed = 0.." + max + "\n", "seed = -1.." + max + "\n"} {
		_, err := ParseGrid("g.txt", []byte(src))
		if err == nil || !strings.Contains(err.Error(), "more than") {
			t.Errorf("%q: err = %v, want a too-many-values error", src, err)
		}
	}
	// Negative seeds are refused by the parameter's own check.
	if _, err := ParseGrid("g.txt", []byte("seed = -9223372036854775808..-9223372036854775807\n")); err == nil {
		t.Error("negative seeds accepted")
	}
}
