// Package scripttest is the one harness of the toolkit's testscript
// scripts: every tool's Main under its binary name, the make-views
// fixture builder, the cli-selftest tool and the extra script commands.
// Each tool package runs its own scripts (testdata/<tool>_<topic>.txtar)
// with it, and pkg/cli/e2e runs the cross-tool pipelines and fault
// scripts (testdata/script/pipeline_*.txtar, fault_*.txtar at the
// module root).
//
// Extra script commands:
//
//	truncate FILE N    cut FILE to N bytes; a negative N drops -N bytes from the end
//	flipbyte FILE N    invert the bits of byte N of FILE (negative counts from the end)
//	filesize FILE N    assert that FILE has N bytes
//	replace FILE OLD NEW   replace every OLD by NEW in FILE (Go-quoted strings, e.g. "\x03\x00")
//	hostile-file FILE  write a probe-kind file whose names and cells carry terminal control sequences
package scripttest

import (
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/cli/augmentcmd"
	"github.com/dualssl/dualssl/pkg/cli/catcmd"
	"github.com/dualssl/dualssl/pkg/cli/covopcmd"
	"github.com/dualssl/dualssl/pkg/cli/embedcmd"
	"github.com/dualssl/dualssl/pkg/cli/hltmgencmd"
	"github.com/dualssl/dualssl/pkg/cli/probecmd"
	"github.com/dualssl/dualssl/pkg/cli/ssltraincmd"
	"github.com/dualssl/dualssl/pkg/cli/stampcmd"
	"github.com/dualssl/dualssl/pkg/cli/sweepcmd"
	"github.com/dualssl/dualssl/pkg/cli/torchcmd"
)

// Tools returns the commands every script may run: one line per tool,
// alphabetised, plus the cli-selftest tool and the make-views fixture.
func Tools() map[string]func() {
	return map[string]func(){
		"augment":       func() { os.Exit(augmentcmd.Main(os.Args)) },
		"cli-selftest":  func() { os.Exit(SelftestMain(os.Args)) },
		"covop":         func() { os.Exit(covopcmd.Main(os.Args)) },
		"dualssl-cat":   func() { os.Exit(catcmd.Main(os.Args)) },
		"dualssl-stamp": func() { os.Exit(stampcmd.Main(os.Args)) },
		"dualssl-torch": func() { os.Exit(torchcmd.Main(os.Args)) },
		"embed":         func() { os.Exit(embedcmd.Main(os.Args)) },
		"hltm-gen":      func() { os.Exit(hltmgencmd.Main(os.Args)) },
		"hltm-sweep":    func() { os.Exit(sweepcmd.Main(os.Args)) },
		"make-views":    func() { os.Exit(MakeViews(os.Args[1:])) },
		"probe":         func() { os.Exit(probecmd.Main(os.Args)) },
		"ssl-train":     func() { os.Exit(ssltraincmd.Main(os.Args)) },
	}
}

// Apps returns every tool's urfave/cli application by binary name, for
// tests that walk the tools' flags.
func Apps() map[string]*ucli.App {
	return map[string]*ucli.App{
		"augment":       augmentcmd.App(),
		"covop":         covopcmd.App(),
		"dualssl-cat":   catcmd.App(),
		"dualssl-stamp": stampcmd.App(),
		"dualssl-torch": torchcmd.App(),
		"embed":         embedcmd.App(),
		"hltm-gen":      hltmgencmd.App(),
		"hltm-sweep":    sweepcmd.App(os.Stdin, os.Stdout, os.Stderr),
		"probe":         probecmd.App(),
		"ssl-train":     ssltraincmd.App(),
	}
}

// Main is a test package's TestMain: it registers Tools and extra
// (package-specific helpers, which may replace a tool) and runs the tests.
func Main(m *testing.M, extra map[string]func()) {
	tools := Tools()
	maps.Copy(tools, extra)
	testscript.Main(m, tools)
}

// Params returns the testscript parameters of the scripts in dir:
// the extra commands, UPDATE_SCRIPTS=1 to rewrite golden files from the
// actual output (review the diff), and no race-detector exit delay.
func Params(dir string) testscript.Params {
	return testscript.Params{
		Dir:           dir,
		Cmds:          Commands,
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") != "",
		Setup: func(e *testscript.Env) error {
			// Under -race every exiting process sleeps a second (the race
			// runtime's atexit_sleep_ms) unless told not to, and the scripts
			// start hundreds of them.
			e.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			return nil
		},
	}
}

// Run runs the scripts in dir (see Params).
func Run(t *testing.T, dir string) { testscript.Run(t, Params(dir)) }
