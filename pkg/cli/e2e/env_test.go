package e2e

import (
	"sort"
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/cli"
	"github.com/dualssl/dualssl/pkg/cli/internal/scripttest"
)

// sharedEnv lists the environment variables that more than one tool reads,
// each with what it means in all of them: exporting one for one stage
// sets the same thing in every other.
var sharedEnv = map[string]string{
	"DUALSSL_SEED":      "the random seed",
	"DUALSSL_THREADS":   "worker threads",
	"DUALSSL_QUIET":     "no progress or summary",
	"DUALSSL_KEEP":      "the kept latents of the augmentation (augment; covop --exact)",
	"DUALSSL_LOSS":      "the training loss (ssl-train; covop's check, default the network's)",
	"DUALSSL_NEGATIVES": "explicit negatives per pair (augment makes them, ssl-train uses them)",
	"DUALSSL_SNAPSHOTS": "the snapshots a stage analyses (covop, embed)",
	"DUALSSL_PLOT_DPI":  "the resolution of a PNG figure",
	"DUALSSL_INT8":      "0/1 columns as int8, format 2.0 (hltm-gen, augment)",
}

// TestEnvNeverCrosses checks that environment variables never cross tools
// by accident: a variable that two tools (or hltm-sweep subcommands) read
// must be one of sharedEnv, which says what it means in all of them; any
// other flag that shares a name across tools (ssl-train's --epochs E and
// covop's --epochs LIST) must declare a variable of its own.
func TestEnvNeverCrosses(t *testing.T) {
	readers := map[string][]string{}
	add := func(tool string, flags []ucli.Flag) {
		for _, f := range flags {
			var env []string
			switch f := f.(type) {
			case *ucli.StringFlag:
				env = f.EnvVars
			case *ucli.IntFlag:
				env = f.EnvVars
			case *ucli.Int64Flag:
				env = f.EnvVars
			case *ucli.Float64Flag:
				env = f.EnvVars
			case *ucli.BoolFlag:
				env = f.EnvVars
			case *ucli.UintFlag:
				env = f.EnvVars
			case *ucli.Uint64Flag:
				env = f.EnvVars
			case *ucli.StringSliceFlag:
				env = f.EnvVars
			case *cli.FileFlag:
				env = f.EnvVars
			default:
				t.Errorf("%s: flag %v of type %T: teach this test its EnvVars", tool, f.Names(), f)
			}
			for _, e := range env {
				readers[e] = append(readers[e], tool+" --"+f.Names()[0])
			}
		}
	}
	for tool, app := range scripttest.Apps() {
		add(tool, app.Flags)
		for _, c := range app.Commands {
			add(tool+" "+c.Name, c.Flags)
		}
	}
	if len(readers) < 40 {
		t.Fatalf("found only %d environment variables: the enumeration is broken", len(readers))
	}
	for env, who := range readers {
		tools := map[string]bool{}
		for _, w := range who {
			tools[strings.Fields(w)[0]] = true
		}
		if len(tools) > 1 && sharedEnv[env] == "" {
			sort.Strings(who)
			t.Errorf("%s is read by %s: give the flags distinct EnvVars, or add it to sharedEnv if it means the same in every tool", env, strings.Join(who, ", "))
		}
	}
	for env := range sharedEnv {
		if len(readers[env]) < 2 {
			t.Errorf("sharedEnv lists %s, which %d tool(s) read", env, len(readers[env]))
		}
	}
}
