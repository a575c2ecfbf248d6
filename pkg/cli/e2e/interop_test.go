package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dualssl/dualssl/pkg/cli/internal/scripttest"
)

// interopDir holds the npm project (package.json, package-lock.json,
// check.mjs) and the scripts of TestInterop.
const interopDir = "../../../testdata/interop"

// TestInterop reads every kind of dualssl file, in both IPC formats, with
// nodejs-polars, DuckDB (native and wasm) and Arrow JS, and checks that
// they see what dualssl-cat sees (testdata/interop/check.mjs); it also
// brings a Polars-written file into the tools. The npm packages are
// installed from the lockfile into a temporary directory with `npm ci`
// (npm's own cache makes later runs fast). Without npm the test is skipped
// with a message; a failed install fails it.
func TestInterop(t *testing.T) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("SKIP interop with Polars and DuckDB: npm is not installed (apt-get install npm, or Node.js from nodejs.org)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIP interop with Polars and DuckDB: npm is installed but node is not")
	}
	dir := t.TempDir()
	for _, name := range []string{"package.json", "package-lock.json", "check.mjs"} {
		b, err := os.ReadFile(filepath.Join(interopDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	install := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
	t.Logf("npm ci: %.1f s", time.Since(start).Seconds())
	p := scripttest.Params(interopDir)
	p.RequireExplicitExec = true
	setup := p.Setup
	p.Setup = func(e *testscript.Env) error {
		if setup != nil {
			if err := setup(e); err != nil {
				return err
			}
		}
		e.Setenv("INTEROP", dir)
		e.Setenv("NODE", node)
		return nil
	}
	testscript.Run(t, p)
}
