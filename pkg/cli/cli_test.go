package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	ucli "github.com/urfave/cli/v2"
)

func TestExitCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{Usagef("--depth 0: must be at least 1"), 2},
		{fmt.Errorf("wrapped: %w", Usagef("x")), 2},
		{errors.New("samples.arrows: truncated"), 1},
		{fmt.Errorf("stdout: write: %w", syscall.EPIPE), 0},
		{&os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}, 0},
	} {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func runTool(t *testing.T, env []string, args ...string) (code int, config string, stderr string) {
	t.Helper()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	var errb bytes.Buffer
	app := NewApp(Tool{
		Name: "t", Output: true, Seed: true, Threads: true,
		Flags:    []ucli.Flag{&ucli.Float64Flag{Name: "delta-lower", Value: 0.7}, &ucli.StringSliceFlag{Name: "tag"}, InputFile(&ucli.StringFlag{Name: "data"})},
		NoConfig: []string{"data"},
		Action: func(e *Env) error {
			config = e.Config()
			if e.Threads() < 1 {
				return errors.New("threads not resolved")
			}
			return nil
		},
	})
	app.ErrWriter = &errb
	app.Writer = &errb
	code = Main(app, append([]string{"t"}, args...))
	return code, config, errb.String()
}

func TestConfigAndEnv(t *testing.T) {
	code, config, _ := runTool(t, []string{"DUALSSL_DELTA_LOWER=0.8"}, "--seed", "7", "--threads", "2", "--tag", "a", "--data", "x.arrows", "--out", "o.arrows")
	want := `{"delta-lower":0.8,"seed":7,"tag":["a"]}`
	if code != 0 || config != want {
		t.Fatalf("exit %d, config %s, want %s", code, config, want)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"--seed", "-1"}, {"--delta-lower", "x"}, {"positional"}, {"--threads", "-1"}} {
		code, _, stderr := runTool(t, nil, args...)
		if code != 2 || !strings.HasPrefix(stderr, "t: ") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

func TestFlagsFirst(t *testing.T) {
	app := NewApp(Tool{Name: "t", Args: "[FILE]", Flags: []ucli.Flag{&ucli.IntFlag{Name: "head"}, &ucli.BoolFlag{Name: "csv"}}, Action: func(*Env) error { return nil }})
	for _, c := range []struct{ in, want string }{
		{"t f.arrows --head 3", "t --head 3 -- f.arrows"},
		{"t --csv f.arrows --head=3", "t --csv --head=3 -- f.arrows"},
		{"t --head 3", "t --head 3"},
		{"t - --csv", "t --csv -- -"},
		{"t --head 3 -- -x", "t --head 3 -- -x"},
	} {
		if got := strings.Join(flagsFirst(app, strings.Fields(c.in)), " "); got != c.want {
			t.Errorf("%q → %q, want %q", c.in, got, c.want)
		}
	}
}

func TestProgressLog(t *testing.T) {
	defer func(d time.Duration) { LogEvery = d }(LogEvery)
	LogEvery = 0
	var errb bytes.Buffer
	e := &Env{Tool: "t", Stderr: &errb}
	p := &Progress{tool: e.Tool, unit: "rows", total: 10, w: e.Stderr, start: time.Now()}
	p.Add(5)
	p.Add(5)
	p.Finish()
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "t: 10/10 rows (100%), ") || p.Done() != 10 {
		t.Fatalf("progress log %q", errb.String())
	}
}

// TestToolNamedOnce: a package that shares the tool's name prefixes its
// errors with it; the line names the tool once.
func TestToolNamedOnce(t *testing.T) {
	for _, c := range []struct{ err, want string }{
		{"t: keep level 9: outside the tree", "t: keep level 9: outside the tree\n"},
		{"arrowio: x.arrows: no column y", "t: arrowio: x.arrows: no column y\n"},
		{"tx: not the tool's name", "t: tx: not the tool's name\n"},
	} {
		var errb bytes.Buffer
		app := NewApp(Tool{Name: "t", Action: func(*Env) error { return errors.New(c.err) }})
		app.ErrWriter = &errb
		if code := Main(app, []string{"t"}); code != ExitData || errb.String() != c.want {
			t.Errorf("%q: exit %d, stderr %q, want %q", c.err, code, errb.String(), c.want)
		}
	}
}

// TestProfileEnv: with DUALSSL_PPROF_DIR set, a tool's run leaves a CPU
// profile named after the tool there; a directory that cannot take it
// costs one stderr line, not the run.
func TestProfileEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(ProfileEnv, dir)
	var errb bytes.Buffer
	app := NewApp(Tool{Name: "t", Action: func(*Env) error { return nil }})
	app.ErrWriter = &errb
	if code := Main(app, []string{"t"}); code != 0 || errb.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	got, _ := filepath.Glob(filepath.Join(dir, "t.*.pprof"))
	if len(got) != 1 {
		t.Fatalf("profiles in %s: %v, want one t.<pid>.pprof", dir, got)
	}
	if fi, err := os.Stat(got[0]); err != nil || fi.Size() == 0 {
		t.Fatalf("%s: %v, empty", got[0], err)
	}
	t.Setenv(ProfileEnv, filepath.Join(dir, "missing"))
	errb.Reset()
	if code := Main(app, []string{"t"}); code != 0 || !strings.Contains(errb.String(), "t: "+ProfileEnv+": no CPU profile: ") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}
