package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dualssl/dualssl/pkg/cli/augmentcmd"
	"github.com/dualssl/dualssl/pkg/cli/catcmd"
	"github.com/dualssl/dualssl/pkg/cli/covopcmd"
	"github.com/dualssl/dualssl/pkg/cli/hltmgencmd"
	"github.com/dualssl/dualssl/pkg/cli/probecmd"
	"github.com/dualssl/dualssl/pkg/cli/ssltraincmd"
	"github.com/dualssl/dualssl/pkg/cli/sweepcmd"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		// One line per tool, alphabetised: "name": func() { os.Exit(tool.Main(os.Args)) },
		"augment":      func() { os.Exit(augmentcmd.Main(os.Args)) },
		"cli-selftest": func() { os.Exit(selftestMain(os.Args)) },
		"covop":        func() { os.Exit(covopcmd.Main(os.Args)) },
		"dualssl-cat":  func() { os.Exit(catcmd.Main(os.Args)) },
		"hltm-gen":     func() { os.Exit(hltmgencmd.Main(os.Args)) },
		"hltm-sweep":   func() { os.Exit(sweepcmd.Main(os.Args)) },
		"probe":        func() { os.Exit(probecmd.Main(os.Args)) },
		"ssl-train":    func() { os.Exit(ssltraincmd.Main(os.Args)) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "../../../testdata/script",
		RequireExplicitExec: true,
		Cmds:                commands,
		// UPDATE_SCRIPTS=1 go test ./pkg/cli/e2e rewrites golden files
		// embedded in the scripts from the actual output (review the diff).
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") != "",
		Setup: func(e *testscript.Env) error {
			// Under -race every exiting process sleeps a second (the race
			// runtime's atexit_sleep_ms) unless told not to, and the scripts
			// start hundreds of them.
			e.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			return nil
		},
	})
}
