package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/dualssl/dualssl/pkg/cli"
	"github.com/dualssl/dualssl/pkg/cli/augmentcmd"
	"github.com/dualssl/dualssl/pkg/cli/covopcmd"
	"github.com/dualssl/dualssl/pkg/cli/hltmgencmd"
	"github.com/dualssl/dualssl/pkg/cli/probecmd"
	"github.com/dualssl/dualssl/pkg/cli/ssltraincmd"
	"github.com/dualssl/dualssl/pkg/cli/stampcmd"
)

// TestProgressTotals runs probe and covop in-process with a progress line
// after every batch (cli.LogEvery = 0, the line a non-terminal stderr gets
// every 10 s; a terminal's bar counts the same) and checks that they count
// rows and snapshots against their totals where the input records them
// (hltm-gen's -n, augment's --pairs; the network's snapshots), and rows
// alone where it does not.
func TestProgressTotals(t *testing.T) {
	dir := t.TempDir()
	f := func(name string) string { return filepath.Join(dir, name) }
	for _, c := range [][]string{
		{"hltm-gen", "--depth", "2", "-n", "300", "--seed", "1", "-q", "--out", f("train.arrows")},
		{"augment", "--pairs", "2", "--seed", "2", "-q", "--in", f("train.arrows"), "--out", f("views.arrows")},
		{"ssl-train", "--hid", "3", "--epochs", "2", "--batch", "50", "-q", "--in", f("views.arrows"), "--out", f("net.arrows")},
		{"hltm-gen", "--from", f("net.arrows"), "-n", "700", "--seed", "4", "-q", "--out", f("samples.arrows")},
	} {
		if code := toolMain(c[0])(c); code != 0 {
			t.Fatalf("%v: exit %d", c, code)
		}
	}
	// The views as another program would write them (no dualssl metadata),
	// adopted by dualssl-stamp.
	b, err := os.ReadFile(f("views.arrows"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f("foreign.arrows"), bytes.ReplaceAll(b, []byte("dualssl."), []byte("foreign.")), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := stampcmd.Main([]string{"dualssl-stamp", "--kind", "views", "--model-from", f("net.arrows"), "-q", "--in", f("foreign.arrows"), "--out", f("stamped.arrows")}); code != 0 {
		t.Fatalf("dualssl-stamp: exit %d", code)
	}
	defer func(d time.Duration) { cli.LogEvery = d }(cli.LogEvery)
	cli.LogEvery = 0
	for _, c := range []struct {
		args []string
		want []string
		not  string
	}{
		{[]string{"probe", "--data", f("samples.arrows"), "--in", f("net.arrows"), "--out", f("p.arrows"), "--lineval", f("lv.arrows"), "--lineval-split", "100,100,300"},
			[]string{`(?m)^probe: 700/700 samples \(100%\), `, `(?m)^probe: 3/3 snapshots \(100%\), `}, ""},
		{[]string{"covop", "--data", f("views.arrows"), "--in", f("net.arrows"), "--out", f("c.arrows")},
			[]string{`(?m)^covop: 600/600 views \(100%\), `, `(?m)^covop: 3/3 snapshots \(100%\), `}, ""},
		// dualssl-stamp's step hides hltm-gen's n: a count, no total.
		{[]string{"covop", "--data", f("stamped.arrows"), "--in", f("net.arrows"), "--out", f("c2.arrows")},
			[]string{`(?m)^covop: 600 views, `}, `(?m)^covop: [0-9]+/[0-9]+ views`},
	} {
		stderr := captureStderr(t, func() {
			if code := toolMain(c.args[0])(c.args); code != 0 {
				t.Errorf("%v: exit %d", c.args, code)
			}
		})
		for _, w := range c.want {
			if !regexp.MustCompile(w).MatchString(stderr) {
				t.Errorf("%v: stderr has no line %s:\n%s", c.args, w, stderr)
			}
		}
		if c.not != "" && regexp.MustCompile(c.not).MatchString(stderr) {
			t.Errorf("%v: stderr has a line %s:\n%s", c.args, c.not, stderr)
		}
	}
}

func toolMain(name string) func([]string) int {
	return map[string]func([]string) int{
		"hltm-gen": hltmgencmd.Main, "augment": augmentcmd.Main, "ssl-train": ssltraincmd.Main,
		"probe": probecmd.Main, "covop": covopcmd.Main,
	}[name]
}

// captureStderr runs f with os.Stderr sent to a file and returns what f
// wrote there.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	tmp, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Close()
	saved := os.Stderr
	os.Stderr = tmp
	defer func() { os.Stderr = saved }()
	f()
	b, err := os.ReadFile(tmp.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
