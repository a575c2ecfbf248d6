package scripttest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/rng"
)

// The hostile network files of "hostile-network FILE CASE": each claims a
// network far beyond any memory, in its config or in its rows, while the
// file itself stays a few hundred bytes.
var hostileNetworks = map[string]struct {
	config string // the "network" record of the config ("" for none)
	inDim  int64  // in_dim and out_dim of the single row
	outDim int64
	node   int32
}{
	"mlp-wide":   {`{"arch":"mlp","bias":true,"in_dim":4,"widths":[1048576,1048576,10]}`, 4, 1048576, -1},
	"tree-hid":   {`{"arch":"tree","bias":true,"hid":65536,"depth":2,"children":2,"in_dim":4}`, 2, 65536, 0},
	"in-dim-max": {`{"arch":"mlp","bias":true,"in_dim":9223372036854775807,"widths":[10]}`, 1 << 31, 10, -1},
	"rows-wide":  {"", 1<<31 - 1, 1<<31 - 1, -1},
	"tree-deep":  {`{"arch":"tree","bias":true,"hid":2,"depth":1000000,"children":2}`, 2, 2, 0},
}

func init() {
	// hostile-network FILE CASE: a network file (depth-2 binary HLTM in
	// its metadata) whose config or rows claim an absurd network; CASE is
	// one of hostileNetworks' keys.
	Commands["hostile-network"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: hostile-network FILE CASE")
		}
		c, ok := hostileNetworks[args[1]]
		if !ok {
			ts.Fatalf("hostile-network: no case %q", args[1])
		}
		m, err := hltm.New(2, 2, hltm.RandomPolarities(rng.New(1, rng.Tree, 0), 6, 0.8, 1, false))
		ts.Check(err)
		meta := arrowio.Meta{Model: arrowio.ModelJSON(m)}.WithStep(arrowio.KindNetwork, "hostile", "0", "{}")
		if c.config != "" {
			meta.Config = `{"network":` + c.config + `}`
		}
		cols := []arrowio.Column{
			{Name: "epoch", Type: arrowio.Int32}, {Name: "layer", Type: arrowio.Int32}, {Name: "name", Type: arrowio.String},
			{Name: "node", Type: arrowio.Int32}, {Name: "level", Type: arrowio.Int32},
			{Name: "in_dim", Type: arrowio.Int32}, {Name: "out_dim", Type: arrowio.Int32},
			{Name: "in_offset", Type: arrowio.Int32}, {Name: "out_offset", Type: arrowio.Int32},
			{Name: "w", Type: arrowio.ListFloat64}, {Name: "b", Type: arrowio.ListFloat64},
		}
		w, err := arrowio.Create(ts.MkAbs(args[0]), nil, meta, cols)
		ts.Check(err)
		ts.Check(w.Append(int32(0), int32(1), "layer1", c.node, int32(1), int32(c.inDim), int32(c.outDim), int32(0), int32(0),
			[]float64{1, 2}, []float64{0}))
		ts.Check(w.Close())
	}

	// rss-limit MB CMD ARGS…: run CMD (a tool on the script's PATH) in the
	// script's directory, its stdout and stderr becoming the command's, and
	// fail unless its peak resident memory stays below MB MiB. The exit
	// status counts as CMD's (use ! for an expected failure).
	Commands["rss-limit"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) < 2 {
			ts.Fatalf("usage: rss-limit MB CMD ARGS...")
		}
		mb, err := strconv.Atoi(args[0])
		if err != nil || mb < 1 {
			ts.Fatalf("rss-limit: MB %q", args[0])
		}
		path, err := lookPath(ts.Getenv("PATH"), args[1])
		ts.Check(err)
		cmd := exec.Command(path, args[2:]...)
		cmd.Dir = ts.MkAbs(".")
		cmd.Env = []string{"PATH=" + ts.Getenv("PATH"), "HOME=" + ts.Getenv("HOME"), "GORACE=" + ts.Getenv("GORACE"), "TMPDIR=" + ts.Getenv("TMPDIR")}
		cmd.Stdout, cmd.Stderr = ts.Stdout(), ts.Stderr()
		err = cmd.Run()
		if cmd.ProcessState != nil {
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > int64(mb)<<10 {
				ts.Fatalf("rss-limit: %s used %d MiB, more than %d", args[1], ru.Maxrss>>10, mb)
			}
		}
		var ee *exec.ExitError
		switch {
		case err != nil && !errors.As(err, &ee):
			ts.Fatalf("rss-limit: %v", err)
		case err != nil && !neg:
			ts.Fatalf("rss-limit: %s: %v", args[1], err)
		case err == nil && neg:
			ts.Fatalf("rss-limit: %s succeeded unexpectedly", args[1])
		}
	}
}

// lookPath finds name in the directories of path (the script's PATH).
func lookPath(path, name string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not on the script's PATH (%s)", name, strings.TrimSpace(path))
}
