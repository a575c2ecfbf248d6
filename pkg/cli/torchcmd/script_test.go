package torchcmd_test

import (
	"testing"

	"github.com/dualssl/dualssl/pkg/cli/internal/scripttest"
)

func TestMain(m *testing.M) { scripttest.Main(m, nil) }

// TestScripts runs testdata/*.txtar with every tool registered.
func TestScripts(t *testing.T) { scripttest.Run(t, "testdata") }
