package e2e

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dualssl/dualssl/pkg/cli/internal/scripttest"
)

func TestMain(m *testing.M) { scripttest.Main(m, nil) }

// TestScripts runs the cross-tool pipelines and fault scripts,
// testdata/script/*.txtar at the module root (UPDATE_SCRIPTS=1 rewrites
// their golden files).
func TestScripts(t *testing.T) {
	p := scripttest.Params("../../../testdata/script")
	p.RequireExplicitExec = true
	testscript.Run(t, p)
}
