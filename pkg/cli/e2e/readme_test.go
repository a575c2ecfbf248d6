package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/cli/augmentcmd"
	"github.com/dualssl/dualssl/pkg/cli/catcmd"
	"github.com/dualssl/dualssl/pkg/cli/covopcmd"
	"github.com/dualssl/dualssl/pkg/cli/hltmgencmd"
	"github.com/dualssl/dualssl/pkg/cli/internal/scripttest"
	"github.com/dualssl/dualssl/pkg/cli/probecmd"
	"github.com/dualssl/dualssl/pkg/cli/ssltraincmd"
	"github.com/dualssl/dualssl/pkg/cli/stampcmd"
	"github.com/dualssl/dualssl/pkg/cli/sweepcmd"
)

// readmeBlocks returns the shell blocks of README.md (fenced ``` , ```sh or
// ```bash; not python, sql or yaml), each line with its line number.
func readmeBlocks(t *testing.T) (lines []string, at []int) {
	f, err := os.Open(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in, shell := false, false
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if strings.HasPrefix(l, "```") {
			if !in {
				lang := strings.TrimPrefix(l, "```")
				in, shell = true, lang == "" || lang == "sh" || lang == "bash"
			} else {
				in = false
				if shell {
					lines, at = append(lines, "```"), append(at, n) // block end
				}
			}
			continue
		}
		if in && shell {
			lines, at = append(lines, l), append(at, n)
		}
	}
	return lines, at
}

// TestReadmeCommands checks every command line of the README's shell
// blocks against the tools: each flag it passes to a dualssl tool (or to an
// hltm-sweep subcommand) must be one the tool has, and each make target one
// the Makefile has. The README's commands then cannot drift from the tools
// unnoticed; the worked pipelines themselves run in the scripts.
func TestReadmeCommands(t *testing.T) {
	apps := map[string]*ucli.App{
		"hltm-gen": hltmgencmd.App(), "augment": augmentcmd.App(), "ssl-train": ssltraincmd.App(),
		"probe": probecmd.App(), "covop": covopcmd.App(), "dualssl-cat": catcmd.App(),
		"dualssl-stamp": stampcmd.App(), "hltm-sweep": sweepcmd.App(nil, nil, nil),
	}
	mk, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	target := regexp.MustCompile(`(?m)^([a-z][a-z-]*):`)
	targets := map[string]bool{}
	for _, m := range target.FindAllStringSubmatch(string(mk), -1) {
		targets[m[1]] = true
	}
	flagRe := regexp.MustCompile(`^--?([a-zA-Z][a-zA-Z0-9-]*)`)
	lines, at := readmeBlocks(t)
	checked := 0
	for k, line := range lines {
		line = strings.TrimPrefix(strings.TrimSpace(line), "$ ")
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		for _, seg := range regexp.MustCompile(`\||&&|;|\$\(|\)`).Split(line, -1) {
			words := strings.Fields(seg)
			for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
				words = words[1:] // VAR=value
			}
			if len(words) == 0 {
				continue
			}
			name := filepath.Base(words[0])
			if name == "make" {
				for _, w := range words[1:] {
					if !strings.HasPrefix(w, "-") && !strings.Contains(w, "=") && !strings.Contains(w, "$") && !strings.Contains(w, ".") && !targets[w] && !strings.HasPrefix(w, "chunk-") {
						if k > 0 && strings.Contains(seg, "-f") {
							continue // a generated Makefile's target
						}
						t.Errorf("README.md:%d: make %s: no such target in the Makefile", at[k], w)
					}
				}
				continue
			}
			app := apps[name]
			if app == nil {
				continue
			}
			checked++
			flags := app.Flags
			for _, w := range words[1:] {
				if c := app.Command(w); c != nil {
					flags = c.Flags
					break
				}
			}
			known := map[string]bool{"help": true, "h": true, "version": true, "v": true}
			for _, f := range flags {
				for _, n := range f.Names() {
					known[n] = true
				}
			}
			for _, w := range words[1:] {
				m := flagRe.FindStringSubmatch(w)
				if m == nil || w == "-" || w == "--" {
					continue
				}
				if n := strings.SplitN(m[1], "=", 2)[0]; !known[n] {
					t.Errorf("README.md:%d: %s has no flag --%s (in %q)", at[k], name, n, strings.TrimSpace(seg))
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d tool command lines found in the README's shell blocks", checked)
	}
}

// TestReadmeCatExample runs the README's dualssl-cat example and compares
// its output with the block, line by line, where the README elides nothing.
func TestReadmeCatExample(t *testing.T) {
	lines, _ := readmeBlocks(t)
	var cmd string
	var want []string
	for i, l := range lines {
		if strings.HasPrefix(l, "$ hltm-gen --depth 2") && strings.Contains(l, "dualssl-cat") {
			cmd = strings.TrimPrefix(l, "$ ")
			for _, w := range lines[i+1:] {
				if strings.HasPrefix(w, "$ ") || w == "```" {
					break
				}
				want = append(want, w)
			}
			break
		}
	}
	if cmd == "" {
		t.Fatal("README.md has no `$ hltm-gen --depth 2 … | dualssl-cat` example")
	}
	for len(want) > 0 && want[len(want)-1] == "" {
		want = want[:len(want)-1]
	}
	var script strings.Builder
	script.WriteString("exec bash -c " + strconvQuote(cmd) + "\n")
	n := 0
	for _, w := range want {
		if strings.Contains(w, "…") || w == "" {
			continue // elided in the README
		}
		n++
		script.WriteString("stdout " + strconvQuote("^"+regexp.QuoteMeta(w)+"$") + "\n")
	}
	script.WriteString(fmt.Sprintf("exec bash -c %s\nstdout '^%d$'\n", strconvQuote(cmd+" | wc -l"), len(want)))
	if n < 8 {
		t.Fatalf("only %d lines of the README's example can be compared", n)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "readme_cat.txtar"), []byte(script.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	p := scripttest.Params(dir)
	p.RequireExplicitExec = true
	testscript.Run(t, p)
}

func strconvQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
