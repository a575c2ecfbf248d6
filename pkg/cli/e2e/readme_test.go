package e2e

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dualssl/dualssl/pkg/cli/internal/scripttest"
)

// The README is tested as code. Every fenced block of README.md carries an
// annotation, an HTML comment on the lines just before it (blank lines may
// separate them), which says how the block is tested:
//
//	<!-- readme-test: MODE [ARGUMENT]
//	KEY: VALUE
//	… -->
//
// The modes:
//
//	run         a shell block: its commands run with bash -euo pipefail against
//	            the tools under test, in one working directory that every block
//	            shares in README order (a block may use the files an earlier one
//	            wrote). A block whose lines start with "$ " is a transcript: each
//	            "$ " line runs on its own and the lines after it are its stdout.
//	file NAME   the block is a file (a sweep grid): it is written to NAME.
//	output      the block shows the output of the previous run block; stream:
//	            stderr compares its stderr (default stdout).
//	twin NAME   a Python block: testdata/interop/check.mjs carries it verbatim,
//	            in a comment headed `// README twin "NAME":` above the same
//	            queries in JavaScript (nodejs-polars, DuckDB, Arrow JS; PyPI is
//	            out of reach of the test machines), whose results are in
//	            testdata/interop/interop.golden on lines `README NAME: …`.
//	skip REASON not run; REASON says why and where it is exercised instead.
//
// Keys (each may repeat):
//
//	setup: LINE            a testscript line run before the block
//	shrink: OLD => NEW     replace OLD by NEW in the block's commands: smaller
//	                       sizes, or a stand-in for a step the test provides
//	                       (logged, and OLD must occur)
//	omit: COMMAND: REASON  do not run the command line COMMAND (logged)
//	check: LINE            a testscript line run after the block (or, in a
//	                       skip or file block, in its place)
//	stream: stderr         (output) compare stderr
//	numbers: any           (output) numbers may differ: a run at smaller sizes
//
// Expected output is compared line by line: "…" inside a line matches any
// text, a line that is only "…" any number of lines. The scripts see
// $TOOLBIN, the directory of the tools under test, $REPO, the checkout, and
// $STUBS, a directory of stand-ins: sbatch, which reads its job script,
// appends its arguments to sbatch.log and prints a job id (4001, 4002, …).
const readmeConventions = "see the annotations in pkg/cli/e2e/readme_test.go"

// readmeBlock is one fenced block of README.md and its annotation.
type readmeBlock struct {
	line  int      // the opening fence's line number
	lang  string   // the fence's info string ("" for none)
	text  []string // the lines inside the fences
	mode  string   // run, file, output, twin, skip ("" without annotation)
	arg   string   // file name, twin name or skip reason
	keys  [][2]string
	annot int // the annotation's first line
}

func (b *readmeBlock) shell() bool { return b.lang == "" || b.lang == "sh" || b.lang == "bash" }

// values returns the values of key, in order.
func (b *readmeBlock) values(key string) []string {
	var v []string
	for _, kv := range b.keys {
		if kv[0] == key {
			v = append(v, kv[1])
		}
	}
	return v
}

var (
	annotStart = regexp.MustCompile(`^<!-- readme-test: ?(.*)$`)
	annotKey   = regexp.MustCompile(`^(setup|shrink|omit|check|stream|numbers): (.*)$`)
)

// readmeParse returns README.md's fenced blocks with their annotations; it
// reports a malformed annotation as an error of t.
func readmeParse(t *testing.T) []*readmeBlock {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []*readmeBlock
	var cur, pending *readmeBlock // the open block; an annotation waiting for its block
	inAnnot := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case cur != nil:
			if strings.HasPrefix(l, "```") {
				blocks, cur = append(blocks, cur), nil
			} else {
				cur.text = append(cur.text, l)
			}
		case inAnnot:
			body, end := strings.CutSuffix(strings.TrimSpace(l), "-->")
			if body = strings.TrimSpace(body); body != "" {
				m := annotKey.FindStringSubmatch(body)
				if m == nil {
					t.Errorf("README.md:%d: annotation line %q: want KEY: VALUE with KEY setup, shrink, omit, check, stream or numbers (%s)", n, body, readmeConventions)
				} else {
					pending.keys = append(pending.keys, [2]string{m[1], m[2]})
				}
			}
			inAnnot = !end
		case annotStart.MatchString(l):
			if pending != nil {
				t.Errorf("README.md:%d: a readme-test annotation with no fenced block after it", pending.annot)
			}
			first, end := strings.CutSuffix(strings.TrimSpace(annotStart.FindStringSubmatch(l)[1]), "-->")
			mode, arg, _ := strings.Cut(strings.TrimSpace(first), " ")
			pending = &readmeBlock{mode: mode, arg: strings.TrimSpace(arg), annot: n}
			inAnnot = !end
		case strings.HasPrefix(l, "```"):
			cur = &readmeBlock{line: n, lang: strings.TrimSpace(strings.TrimPrefix(l, "```"))}
			if pending != nil {
				cur.mode, cur.arg, cur.keys, cur.annot = pending.mode, pending.arg, pending.keys, pending.annot
				pending = nil
			}
		case strings.TrimSpace(l) != "" && pending != nil:
			t.Errorf("README.md:%d: a readme-test annotation must come just before its fenced block (blank lines allowed)", pending.annot)
			pending = nil
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("README.md:%d: fenced block never closed", cur.line)
	}
	for _, b := range blocks {
		readmeValidate(t, b)
	}
	return blocks
}

// readmeValidate reports a block whose annotation is missing or does not
// fit the block.
func readmeValidate(t *testing.T, b *readmeBlock) {
	t.Helper()
	where := fmt.Sprintf("README.md:%d", b.line)
	switch b.mode {
	case "":
		t.Errorf("%s: a ```%s block without a readme-test annotation: every README block says how it is tested (%s)", where, b.lang, readmeConventions)
	case "run":
		if !b.shell() {
			t.Errorf("%s: readme-test: run on a ```%s block: only shell blocks run", where, b.lang)
		}
	case "file", "twin":
		if b.arg == "" || strings.ContainsAny(b.arg, " /") {
			t.Errorf("%s: readme-test: %s needs a plain name, not %q", where, b.mode, b.arg)
		}
		if b.mode == "twin" && b.lang != "python" {
			t.Errorf("%s: readme-test: twin is for ```python blocks", where)
		}
	case "output":
	case "skip":
		if len(b.arg) < 20 {
			t.Errorf("%s: readme-test: skip needs a reason saying where the block is exercised, not %q", where, b.arg)
		}
	default:
		t.Errorf("%s: readme-test mode %q: want run, file, output, twin or skip (%s)", where, b.mode, readmeConventions)
	}
	for _, kv := range b.keys {
		ok := false
		switch kv[0] {
		case "setup", "shrink", "omit":
			ok = b.mode == "run"
		case "check":
			ok = b.mode != "twin"
		case "stream":
			ok = b.mode == "output" && (kv[1] == "stdout" || kv[1] == "stderr")
		case "numbers":
			ok = b.mode == "output" && kv[1] == "any"
		}
		if ok && kv[0] == "shrink" {
			ok = strings.Contains(kv[1], " => ")
		}
		if ok && kv[0] == "omit" {
			_, reason, _ := strings.Cut(kv[1], ": ")
			ok = len(reason) >= 20
		}
		if !ok {
			t.Errorf("%s: readme-test %s with %s: %q does not apply (%s)", where, b.mode, kv[0], kv[1], readmeConventions)
		}
	}
}

// TestReadmeRun runs every shell command of README.md against the tools,
// in one temporary directory, in README order, and compares the output the
// README shows: see readmeConventions for the annotations that say how.
func TestReadmeRun(t *testing.T) {
	blocks := readmeParse(t)
	if t.Failed() {
		t.FailNow()
	}
	var script, files strings.Builder
	var prev *readmeBlock // the last run block
	ran, compared := 0, 0
	for _, b := range blocks {
		id := fmt.Sprintf("readme_%d", b.line)
		fmt.Fprintf(&script, "\n# README.md:%d (%s %s)\n", b.line, b.mode, b.arg)
		switch b.mode {
		case "file":
			fmt.Fprintf(&files, "-- %s --\n%s\n", b.arg, strings.Join(b.text, "\n"))
		case "output":
			if prev == nil {
				t.Fatalf("README.md:%d: readme-test: output with no run block before it", b.line)
			}
			stream := "stdout"
			if s := b.values("stream"); len(s) > 0 {
				stream = s[0]
			}
			flag := ""
			if len(b.values("numbers")) > 0 {
				flag = "-numbers "
			}
			fmt.Fprintf(&files, "-- %s.want --\n%s\n", id, strings.Join(b.text, "\n"))
			fmt.Fprintf(&script, "readme-match %s%s %s.want\n", flag, stream, id)
			compared++
		case "run":
			prev = b
			for _, s := range b.values("setup") {
				script.WriteString(s + "\n")
			}
			cmds, wants := readmeCommands(t, b)
			for i, c := range cmds {
				name := fmt.Sprintf("%s_%d", id, i+1)
				fmt.Fprintf(&files, "-- %s.sh --\nset -euo pipefail\n%s\n", name, c)
				fmt.Fprintf(&script, "exec bash %s.sh\n", name)
				ran++
				if wants[i] != nil {
					fmt.Fprintf(&files, "-- %s.want --\n%s\n", name, strings.Join(wants[i], "\n"))
					fmt.Fprintf(&script, "readme-match stdout %s.want\n", name)
					compared++
				}
			}
		}
		if b.mode != "twin" {
			for _, c := range b.values("check") {
				script.WriteString(c + "\n")
			}
		}
	}
	if ran < 6 || compared < 2 {
		t.Fatalf("only %d README commands run and %d outputs compared: the annotations lost blocks", ran, compared)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "readme.txtar"), []byte(script.String()+files.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	repo, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	stubs := t.TempDir()
	if err := os.WriteFile(filepath.Join(stubs, "sbatch"), []byte(sbatchStub), 0o755); err != nil {
		t.Fatal(err)
	}
	p := scripttest.Params(dir)
	p.RequireExplicitExec = true
	p.Cmds = maps.Clone(p.Cmds)
	p.Cmds["readme-match"] = readmeMatch
	setup := p.Setup
	p.Setup = func(e *testscript.Env) error {
		if err := setup(e); err != nil {
			return err
		}
		e.Setenv("REPO", repo)
		e.Setenv("STUBS", stubs)
		for _, d := range filepath.SplitList(e.Getenv("PATH")) {
			if _, err := os.Stat(filepath.Join(d, "hltm-gen")); err == nil {
				e.Setenv("TOOLBIN", d)
				return nil
			}
		}
		return fmt.Errorf("no hltm-gen on the script's PATH")
	}
	testscript.Run(t, p)
}

// sbatchStub stands in for Slurm's sbatch (see readmeConventions).
const sbatchStub = `#!/bin/sh
# sbatch stand-in for the README test: reads the job script, logs the
# arguments to sbatch.log, prints a job id as sbatch --parsable does.
cat > /dev/null
echo "$*" >> sbatch.log
echo $((4000 + $(wc -l < sbatch.log)))
`

// readmeCommands returns the scripts a run block runs, after its shrinks
// and omissions, each with the stdout the README shows for it (nil where
// it shows none: a block without "$ " prompts is one script).
func readmeCommands(t *testing.T, b *readmeBlock) (cmds []string, wants [][]string) {
	t.Helper()
	text := strings.Join(b.text, "\n")
	for _, s := range b.values("shrink") {
		old, new, _ := strings.Cut(s, " => ")
		if !strings.Contains(text, old) {
			t.Fatalf("README.md:%d: shrink %q: the block has no %q (update the annotation)", b.line, s, old)
		}
		text = strings.ReplaceAll(text, old, new)
		t.Logf("README.md:%d runs with %q in place of %q (readme-test shrink)", b.line, new, old)
	}
	var lines []string
	omitted := map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		cmd := strings.TrimSpace(l)
		if i := strings.Index(cmd, " #"); i >= 0 {
			cmd = strings.TrimSpace(cmd[:i])
		}
		skip := false
		for _, o := range b.values("omit") {
			c, reason, _ := strings.Cut(o, ": ")
			if cmd == c {
				skip, omitted[c] = true, true
				t.Logf("README.md:%d: %q is not run here: %s (readme-test omit)", b.line, c, reason)
			}
		}
		if !skip {
			lines = append(lines, l)
		}
	}
	for _, o := range b.values("omit") {
		if c, _, _ := strings.Cut(o, ": "); !omitted[c] {
			t.Fatalf("README.md:%d: omit %q: the block has no such command line", b.line, c)
		}
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "$ ") {
		return []string{strings.Join(lines, "\n")}, [][]string{nil}
	}
	for _, l := range lines {
		if c, ok := strings.CutPrefix(l, "$ "); ok {
			cmds, wants = append(cmds, c), append(wants, []string{})
			continue
		}
		wants[len(wants)-1] = append(wants[len(wants)-1], l)
	}
	for i, w := range wants {
		for len(w) > 0 && w[len(w)-1] == "" {
			w = w[:len(w)-1]
		}
		wants[i] = w
	}
	return cmds, wants
}

// readmeMatch is the script command "readme-match [-numbers] stdout|stderr
// WANT": the last command's stdout (stderr) must match the README's lines
// in the file WANT: "…" in a line matches any text, a line "…" alone any
// number of lines; with -numbers any number matches any number.
func readmeMatch(ts *testscript.TestScript, neg bool, args []string) {
	numbers := len(args) > 0 && args[0] == "-numbers"
	if numbers {
		args = args[1:]
	}
	if neg || len(args) != 2 || (args[0] != "stdout" && args[0] != "stderr") {
		ts.Fatalf("usage: readme-match [-numbers] stdout|stderr WANT")
	}
	got := strings.Split(strings.TrimRight(ts.ReadFile(args[0]), "\n"), "\n")
	want := strings.Split(strings.TrimRight(ts.ReadFile(args[1]), "\n"), "\n")
	if err := matchLines(got, want, numbers); err != nil {
		ts.Fatalf("%s does not match the README (%s): %v", args[0], args[1], err)
	}
}

var readmeNumber = regexp.MustCompile(`[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?`)

// lineRegexp turns a README line into a pattern (see readmeMatch).
func lineRegexp(want string, numbers bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i, part := range strings.Split(want, "…") {
		if i > 0 {
			b.WriteString(".*")
		}
		if !numbers {
			b.WriteString(regexp.QuoteMeta(part))
			continue
		}
		// Numbers and the blanks that align columns may differ.
		last := 0
		for _, m := range readmeNumber.FindAllStringIndex(part, -1) {
			b.WriteString(spaced(part[last:m[0]]))
			b.WriteString(`[-+]?[0-9.]+(?:e[-+]?[0-9]+)?`)
			last = m[1]
		}
		b.WriteString(spaced(part[last:]))
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// spaced quotes s, letting every run of blanks match any run of blanks.
func spaced(s string) string {
	f := strings.Split(s, " ")
	for i := range f {
		f[i] = regexp.QuoteMeta(f[i])
	}
	return regexp.MustCompile(`( )+`).ReplaceAllString(strings.Join(f, " "), ` +`)
}

// matchLines matches got against the README's want lines, "…" alone
// matching any number of lines.
func matchLines(got, want []string, numbers bool) error {
	var match func(g, w int) bool
	match = func(g, w int) bool {
		for ; w < len(want); w++ {
			if strings.TrimSpace(want[w]) == "…" {
				for k := g; k <= len(got); k++ {
					if match(k, w+1) {
						return true
					}
				}
				return false
			}
			if g >= len(got) || !lineRegexp(want[w], numbers).MatchString(got[g]) {
				return false
			}
			g++
		}
		return g == len(got)
	}
	if match(0, 0) {
		return nil
	}
	// Say where: the first README line that no line of the output matches
	// in order.
	g := 0
	for w, l := range want {
		if strings.TrimSpace(l) == "…" {
			continue
		}
		re := lineRegexp(l, numbers)
		for g < len(got) && !re.MatchString(got[g]) {
			g++
		}
		if g == len(got) {
			return fmt.Errorf("README line %d %q: no line of the output (in order) matches it; the output:\n%s", w+1, l, strings.Join(got, "\n"))
		}
		g++
	}
	for _, l := range got {
		found := false
		for _, w := range want {
			if found = strings.TrimSpace(w) != "…" && lineRegexp(w, numbers).MatchString(l); found {
				break
			}
		}
		if !found && !slices.Contains(want, "…") {
			return fmt.Errorf("the output's line %q is not in the README; the output:\n%s", l, strings.Join(got, "\n"))
		}
	}
	return fmt.Errorf("the output has lines the README does not show (%d lines, the README %d); the output:\n%s", len(got), len(want), strings.Join(got, "\n"))
}

// TestReadmeTwins checks that every Python block of the README is carried
// verbatim by testdata/interop/check.mjs above its JavaScript twin, and
// that the twin's results are in interop.golden: the two cannot drift
// apart unseen.
func TestReadmeTwins(t *testing.T) {
	blocks := readmeParse(t)
	mjs, err := os.ReadFile(filepath.Join(interopDir, "check.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join(interopDir, "interop.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	mjsLines := strings.Split(string(mjs), "\n")
	twins := 0
	for _, b := range blocks {
		if b.mode != "twin" {
			continue
		}
		twins++
		head := fmt.Sprintf(`// README twin %q:`, b.arg)
		at := -1
		for i, l := range mjsLines {
			if strings.TrimSpace(l) == head {
				at = i
			}
		}
		if at < 0 {
			t.Errorf("README.md:%d: testdata/interop/check.mjs has no %s comment quoting this block above its twin", b.line, head)
			continue
		}
		for i, want := range b.text {
			k := at + 1 + i
			got := ""
			if k < len(mjsLines) {
				got = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(mjsLines[k]), "//"), "   ")
			}
			if got != want {
				t.Errorf("README.md:%d: check.mjs:%d quotes the block's line %d as %q, the README has %q: update the twin with the README", b.line, k+1, i+1, got, want)
				break
			}
		}
		if !strings.Contains(string(golden), "README "+b.arg+": ") {
			t.Errorf("README.md:%d: testdata/interop/interop.txtar's golden output has no line %q: the twin does not run", b.line, "README "+b.arg+": …")
		}
	}
	if twins < 4 {
		t.Errorf("only %d Python blocks with twins; the README has four", twins)
	}
}

// TestReadmeCommands checks every command line of the README's shell
// blocks (run and skip alike) against the tools: each flag it passes to a
// dualssl tool (or to an hltm-sweep subcommand) must be one the tool has,
// and each make target one the Makefile has. Skipped blocks (Slurm,
// make reproduce) are checked this far too.
func TestReadmeCommands(t *testing.T) {
	apps := scripttest.Apps()
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
	checked := 0
	for _, b := range readmeParse(t) {
		if !b.shell() || (b.mode != "run" && b.mode != "skip") {
			continue
		}
		for k, line := range b.text {
			at := b.line + 1 + k
			line = strings.TrimSpace(line)
			if b.mode == "run" && len(b.text) > 0 && strings.HasPrefix(b.text[0], "$ ") {
				var ok bool
				if line, ok = strings.CutPrefix(line, "$ "); !ok {
					continue // output
				}
			}
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
					generated := strings.Contains(seg, "-f")
					for _, w := range words[1:] {
						if !generated && !strings.HasPrefix(w, "-") && !strings.Contains(w, "=") && !targets[w] {
							t.Errorf("README.md:%d: make %s: no such target in the Makefile", at, w)
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
						t.Errorf("README.md:%d: %s has no flag --%s (in %q)", at, name, n, strings.TrimSpace(seg))
					}
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d tool command lines found in the README's shell blocks", checked)
	}
}

// TestReadmeMatch checks the comparison of output with the README's lines.
func TestReadmeMatch(t *testing.T) {
	for _, c := range []struct {
		got, want string
		numbers   bool
		ok        bool
	}{
		{"a\nb", "a\nb", false, true},
		{"a\nb", "a", false, false},
		{"a", "a\nb", false, false},
		{"a 1\nx\ny\nb 2", "a 1\n…\nb 2", false, true},
		{"a 1\nb 2", "a 1\n…\nb 2", false, true},
		{"a 1\nb 2", "a 1\n…\nc 2", false, false},
		{`config: {"a":1,"b":2}`, `config: {"a":1,…}`, false, true},
		{"epoch 3 of 9, 0.25 s", "epoch 50 of 50, 1e-3 s", true, true},
		{"epoch 3 of 9, 0.25 s", "epoch 50 of 50, 1e-3 s", false, false},
		{"level 4    1   0.5", "level 4  1    12.25", true, true},
		{"level 4 1", "level 4 x", true, false},
	} {
		err := matchLines(strings.Split(c.got, "\n"), strings.Split(c.want, "\n"), c.numbers)
		if (err == nil) != c.ok {
			t.Errorf("matchLines(%q, %q, numbers %v) = %v, want ok %v", c.got, c.want, c.numbers, err, c.ok)
		}
	}
}
