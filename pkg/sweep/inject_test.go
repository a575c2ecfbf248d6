package sweep

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTool is a stand-in for every dualssl tool: it logs its name and
// arguments (one a line; extra-flag words never hold a newline) and
// creates the files named by --out and --log, so make goes on.
const fakeTool = `#!/usr/bin/env bash
tool=${0##*/}
for a in "$@"; do printf '%s: %s\n' "$tool" "$a"; done >>"$FAKE_LOG"
prev=
for a in "$@"; do
	case $prev in --out|--log) : >"$a" ;; esac
	prev=$a
done
`

// injectionPayloads are extra-flag values that a shell would act on if a
// word reached it unquoted: each would create MARK, or fail the stage.
var injectionPayloads = []string{
	"--bias=false; touch MARK",
	"--x=$(touch MARK)",
	"--x=${HOME} $HOME $$ $0 $? $@",
	"--a | touch MARK",
	"--a || touch MARK",
	"--a & touch MARK",
	"--a && touch MARK",
	"--a >MARK",
	"--a 2>MARK",
	"--a <MARK",
	"--a <(touch MARK)",
	"--n='a b' \"c d\" it's",
	`--x="$(touch MARK)"`,
	"* ? [a] ~ ~/x {a,b} !x %x :x =x @x",
	"--a ) ( touch MARK",
	"--x=$$(touch MARK)",
}

// No grid value or extra argument reaches a shell unquoted: the generated
// Makefile is run (with stand-in tools) for every payload, in every
// extra-flags key, and each tool must receive exactly the payload's words
// while no MARK file appears.
func TestMakefileNoInjection(t *testing.T) {
	for _, prog := range []string{"make", "bash"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skipf("%s not found", prog)
		}
	}
	payloads := append([]string(nil), injectionPayloads...)
	// Backquotes and backslashes are refused by ParseGrid; the Makefile
	// quotes them all the same when a Grid is built in code. So do
	// newlines and tabs, which only separate words.
	direct := []string{"--x=`touch MARK`", `--x=a\ \\ \' \" \$ b\`, "--a\n touch MARK\n", "--a\ttouch\tMARK"}
	for i, p := range append(payloads, direct...) {
		dir := t.TempDir()
		fake := filepath.Join(dir, "fake")
		if err := os.Mkdir(fake, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, tool := range []string{"hltm-gen", "augment", "ssl-train", "probe", "covop", "hltm-sweep"} {
			if err := os.WriteFile(filepath.Join(fake, tool), []byte(fakeTool), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		var g *Grid
		if i < len(payloads) {
			src := "seed = 1\n"
			for _, k := range Extras {
				src += k + " = " + p + "\n"
			}
			var err error
			if g, err = ParseGrid("g.txt", []byte(src)); err != nil {
				t.Fatalf("payload %q: %v", p, err)
			}
		} else {
			g = mustGrid(t, "seed = 1\n")
			for _, k := range Extras {
				g.Extra[k] = p
			}
		}
		runs, err := g.Runs()
		if err != nil {
			t.Fatal(err)
		}
		mk, err := Makefile(g, runs, MakeOptions{Grid: "g.txt", Bin: "fake/"})
		if err != nil {
			t.Fatalf("payload %q: %v", p, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "sweep.mk"), []byte(mk), 0o644); err != nil {
			t.Fatal(err)
		}
		log := filepath.Join(dir, "args.log")
		cmd := exec.Command("make", "-s", "-f", "sweep.mk", "runs")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "FAKE_LOG="+log, "MAKEFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("payload %q: make failed: %v\n%s", p, err, out)
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "MARK")); err == nil {
			t.Errorf("payload %q: a shell ran it (MARK exists)", p)
		}
		b, err := os.ReadFile(log)
		if err != nil {
			t.Fatal(err)
		}
		byTool := map[string][]string{}
		for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			tool, arg, _ := strings.Cut(line, ": ")
			byTool[tool] = append(byTool[tool], arg)
		}
		words := strings.Join(ExtraWords(p), "\x00")
		for _, tool := range []string{"hltm-gen", "augment", "ssl-train", "probe", "covop"} {
			if !strings.Contains("\x00"+strings.Join(byTool[tool], "\x00")+"\x00", "\x00"+words+"\x00") {
				t.Errorf("payload %q: %s got %q, want the words %q in it", p, tool, byTool[tool], ExtraWords(p))
			}
		}
	}
}

// Control characters in extra flags are refused, by the parser and by
// Makefile for a Grid built in code.
func TestExtraControlCharacters(t *testing.T) {
	for _, bad := range []string{"--x=\x1b]0;title\x07", "--x=\x00", "--x=\u009b31m"} {
		if _, err := ParseGrid("g.txt", []byte("seed = 1\ntrain_args = "+bad+"\n")); err == nil || !strings.Contains(err.Error(), "control character") {
			t.Errorf("ParseGrid accepted %q (err %v)", bad, err)
		}
		g := mustGrid(t, "seed = 1\n")
		g.Extra["probe_args"] = bad
		runs, _ := g.Runs()
		if _, err := Makefile(g, runs, MakeOptions{Grid: "g.txt"}); err == nil {
			t.Errorf("Makefile accepted %q", bad)
		}
	}
}

// The Slurm script, run with stand-in sbatch and make, passes its
// arguments and MAKE_VARS through as words: nothing in them is run or
// globbed.
func TestSlurmScriptNoInjection(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found")
	}
	dir := t.TempDir()
	fake := filepath.Join(dir, "fake")
	if err := os.Mkdir(fake, 0o755); err != nil {
		t.Fatal(err)
	}
	// sbatch logs its arguments, keeps the job script and prints a job id;
	// make logs its arguments.
	sbatch := "#!/usr/bin/env bash\nprintf 'sbatch: %s\\n' \"$@\" >>\"$FAKE_LOG\"\nn=$(ls jobs | wc -l)\ncat >jobs/$n.sh\necho \"4$n;cluster\"\n"
	mk := "#!/usr/bin/env bash\nprintf 'make: %s\\n' \"$@\" >>\"$FAKE_LOG\"\n"
	for name, text := range map[string]string{"sbatch": sbatch, "make": mk} {
		if err := os.WriteFile(filepath.Join(fake, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "jobs"), 0o755); err != nil {
		t.Fatal(err)
	}
	g := mustGrid(t, "seed = 1..3\n")
	runs, _ := g.Runs()
	s, err := SlurmScript(runs, MakeOptions{Makefile: "s.mk", Grid: "g.txt", Runs: "out", Chunks: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "submit.sh"), []byte(s), 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "log")
	env := append(os.Environ(), "PATH="+fake+":"+os.Getenv("PATH"), "FAKE_LOG="+log,
		"MAKE_VARS=BIN=bin/ $(touch MARK) `touch MARK` ;touch MARK * >MARK")
	run := func(args ...string) {
		cmd := exec.Command("bash", args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("bash %v: %v\n%s", args, err, out)
		}
	}
	run("submit.sh", "--partition=a b", "$(touch MARK)", "--x=;touch MARK")
	run("jobs/1.sh")                         // the report job
	cmd := exec.Command("bash", "jobs/0.sh") // an array task
	cmd.Dir, cmd.Env = dir, append(env, "SLURM_ARRAY_TASK_ID=1", "SLURM_CPUS_PER_TASK=3")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("job script: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "MARK")); err == nil {
		t.Error("a shell ran part of the arguments or MAKE_VARS (MARK exists)")
	}
	b, _ := os.ReadFile(log)
	got := string(b)
	for _, want := range []string{
		"sbatch: --partition=a b\nsbatch: $(touch MARK)\nsbatch: --x=;touch MARK\n",
		"make: BIN=bin/\nmake: $(touch\nmake: MARK)\nmake: `touch\nmake: MARK`\nmake: ;touch\nmake: MARK\nmake: *\nmake: >MARK\nmake: report\n",
		"make: -j\nmake: 3\nmake: BIN=bin/\n", "make: chunk-1\n",
		"sbatch: --dependency=afterany:40\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
}
