package sweep

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// File names inside a run's directory.
const (
	FileSamples = "samples.arrows" // fresh HLTM samples for probing
	FilePairs   = "pairs.arrows"   // views of those samples, for covop
	FileNet     = "net.arrows"     // network snapshots (one per epoch)
	FileLog     = "train.arrows"   // training log
	FileProbe   = "probe.arrows"   // latent-recovery table
	FileLineval = "lineval.arrows" // linear evaluation (first and last epoch), beside the probe
	FileCovop   = "covop.arrows"   // covariance-operator table
	FileDone    = "done"           // stamp: every stage of the run succeeded
	FileFailed  = "FAILED"         // names the stages that failed, one a line
)

// Report outputs inside the runs directory.
const (
	FileReport  = "sweep.arrows" // every run's probe and covop rows
	FileSummary = "summary.md"   // the summary table
	DirPlots    = "plots"        // trend plots
	DirSlurm    = "slurm"        // Slurm job logs
)

// MakeOptions say how the generated Makefile refers to its surroundings.
// Paths are relative to the directory make runs in.
type MakeOptions struct {
	Makefile string // the Makefile's own path, e.g. "sweep.mk"
	Grid     string // the grid file's path, read by the report
	Runs     string // default runs directory (make RUNS=… overrides)
	Bin      string // default tool prefix, e.g. "bin/" ("" = look up PATH)
	Chunks   int    // number of chunk-K targets (clamped to the number of runs)
	Command  string // the command line that generated the file, for its header
}

func (o *MakeOptions) normalise(nruns int) error {
	if o.Makefile == "" {
		o.Makefile = "sweep.mk"
	}
	if o.Runs == "" {
		o.Runs = "runs"
	}
	if o.Grid == "" {
		return fmt.Errorf("sweep: MakeOptions.Grid is empty")
	}
	for _, p := range []struct{ what, v string }{{"makefile", o.Makefile}, {"grid", o.Grid}, {"runs directory", o.Runs}, {"bin prefix", o.Bin}} {
		// These paths are written unquoted into make rules and shell
		// commands, so they may hold only characters neither make nor bash
		// treats specially (no blanks, quotes, $, globs, braces or tildes).
		if p.v != "" && !pathRE.MatchString(p.v) {
			return fmt.Errorf("sweep: %s %q: a path in a Makefile may hold only letters, digits and . _ + - / ,", p.what, p.v)
		}
	}
	if o.Chunks < 1 {
		o.Chunks = 1
	}
	if o.Chunks > nruns {
		o.Chunks = nruns
	}
	return nil
}

// pathRE matches the paths MakeOptions may hold.
var pathRE = regexp.MustCompile(`^[A-Za-z0-9._+/,-]+$`)

// plainWordRE matches words that bash takes literally without quotes.
var plainWordRE = regexp.MustCompile(`^[A-Za-z0-9._+/,:=@%-]+$`)

// shellWord quotes s for bash when it is not a plain word: inside single
// quotes every character but the quote itself is literal.
func shellWord(s string) string {
	if s != "" && plainWordRE.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// makeEscape doubles '$' so make passes text through to the shell unchanged.
func makeEscape(s string) string { return strings.ReplaceAll(s, "$", "$$") }

// ExtraWords splits an extra-flags value (gen_args, train_args, …) into the
// words the tool receives: fields separated by blanks, each taken
// literally. No shell ever interprets them: quotes, $, ;, |, &, <, >,
// backquotes and globs are ordinary characters of a word.
func ExtraWords(s string) []string { return strings.Fields(s) }

// checkExtra refuses control characters in an extra-flags value: they
// have no place in a flag and make or a terminal would act on some.
func checkExtra(key, s string) error {
	for _, r := range s {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return fmt.Errorf("%s: control character %U in extra flags", key, r)
		}
	}
	return nil
}

// commandWords renders an extra-flags value for a make recipe: every word
// quoted for bash, then '$' doubled for make.
func commandWords(s string) string {
	var b strings.Builder
	for _, w := range ExtraWords(s) {
		b.WriteByte(' ')
		b.WriteString(makeEscape(shellWord(w)))
	}
	return b.String()
}

// commentText makes s safe for one comment line of a Makefile or script:
// control characters become blanks, and a trailing backslash (which
// would continue a make comment onto the next line) is dropped.
func commentText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.TrimRight(s, "\\ ")
}

// Stage is one rule of a run: a target file, its prerequisites (file names
// in the run directory) and its shell command. In Command, the run's
// directory is written as the make variable reference passed to Stages,
// and $@ is the target.
type Stage struct {
	Name    string   // short name: samples, net, probe, pairs, covop
	Target  string   // file name in the run directory
	Needs   []string // file names in the run directory
	Command string   // one bash command line (make syntax: $$ for $)
}

// Stages returns the rules of run r, with dir the make expression of the
// run's directory (e.g. "$(r3)"). Every tool gets the run's seed; each
// tool draws its own purpose streams from it (tree, sample, augment, init,
// shuffle), so runs that differ only in seed are independent repetitions.
func Stages(g *Grid, r Run, dir string) []Stage {
	v := func(k string) string { return r.Get(k).Text }
	extra := func(k string) string { return commandWords(g.Extra[k]) }
	seed := v("seed")
	model := fmt.Sprintf("--depth %s --children %s --delta-lower %s --delta-upper %s --seed %s --threads $(THREADS)",
		v("depth"), v("children"), v("delta_lower"), v("delta_upper"), seed)
	trainRows := r.Get("epochs").Int * r.Get("epoch_rows").Int
	augment := fmt.Sprintf("$(AUGMENT) --keep %s --seed %s --threads $(THREADS)", KeepFlag(v("keep")), seed)
	st := []Stage{
		{
			Name: "samples", Target: FileSamples,
			// The probe set shares the run's tree (same --seed): it is the first
			// n_probe samples of the run's stream. Training never sees them as
			// such, only views with everything but the kept latents redrawn.
			Command: fmt.Sprintf("$(HLTM_GEN) %s -n %s%s $(QUIET) --out $@",
				model, v("n_probe"), extra("gen_args")),
		},
		{
			Name: "net", Target: FileNet,
			Command: fmt.Sprintf("$(HLTM_GEN) %s -n %d%s $(QUIET) | %s%s $(QUIET) | "+
				"$(SSL_TRAIN) --arch %s --hid %s --loss %s --temp %s --epoch-rows %s --batch %s --lr %s --normalize=%s --bias=%s --seed %s --threads $(THREADS)%s $(QUIET) --log %s/%s --out $@",
				model, trainRows, extra("gen_args"), augment, extra("augment_args"),
				v("arch"), v("hid"), v("loss"), v("temp"), v("epoch_rows"), v("batch"), v("lr"), v("normalize"), v("bias"), seed, extra("train_args"), dir, FileLog),
		},
		{
			Name: "probe", Target: FileProbe, Needs: []string{FileNet, FileSamples},
			Command: fmt.Sprintf("$(PROBE) --data %s/%s --threads $(THREADS)%s%s $(QUIET) --in %s/%s --out $@",
				dir, FileSamples, linevalArgs(int(r.Get("n_probe").Int), dir), extra("probe_args"), dir, FileNet),
		},
	}
	if g.Covop {
		st = append(st,
			Stage{
				Name: "pairs", Target: FilePairs, Needs: []string{FileSamples},
				Command: fmt.Sprintf("%s%s $(QUIET) --in %s/%s --out $@", augment, extra("augment_args"), dir, FileSamples),
			},
			Stage{
				Name: "covop", Target: FileCovop, Needs: []string{FileNet, FilePairs},
				Command: fmt.Sprintf("$(COVOP) --data %s/%s --threads $(THREADS)%s $(QUIET) --in %s/%s --out $@",
					dir, FilePairs, extra("covop_args"), dir, FileNet),
			})
	}
	return st
}

// linevalArgs returns probe's flags for the linear evaluation of a run's
// first and last snapshot on its n probe samples (root embedding and own
// node; the level set costs more than the probe itself): probe's default
// split 1000/1000/4000 when there are 6000 samples or more, else a sixth
// each for training and validation and the rest for the test; nothing
// below 12 samples.
func linevalArgs(n int, dir string) string {
	split := ""
	switch {
	case n < 12:
		return ""
	case n < 6000:
		split = fmt.Sprintf(" --lineval-split %d,%d,%d", n/6, n/6, n-2*(n/6))
	}
	return fmt.Sprintf(" --lineval %s/%s --lineval-features root,node --lineval-epochs first,last%s", dir, FileLineval, split)
}

// Makefile returns the text of a Makefile with one explicit rule per stage
// of every run, hive-style run directories under $(RUNS), the targets
//
//	all       every run, then the report (the default goal)
//	runs      every run
//	run-I     run I (I = Run.Index)
//	chunk-K   the runs with index ≡ K mod Chunks (one Slurm array task)
//	report    the report over whatever runs have finished (names the others)
//
// and bash with -eu -o pipefail and .DELETE_ON_ERROR, so a failed stage
// leaves no target behind and a second make resumes where the first
// stopped. A failing stage also appends its name to the run's FAILED file,
// which the report shows; a later success removes it.
func Makefile(g *Grid, runs []Run, o MakeOptions) (string, error) {
	if len(runs) == 0 {
		return "", fmt.Errorf("sweep: %s: the grid has no runs", g.Name)
	}
	if err := o.normalise(len(runs)); err != nil {
		return "", err
	}
	for _, k := range Extras {
		if err := checkExtra(k, g.Extra[k]); err != nil {
			return "", fmt.Errorf("sweep: %s: %w", g.Name, err)
		}
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	w("# dualssl sweep over %s: %d runs in %d chunks.\n", o.Grid, len(runs), o.Chunks)
	if o.Command != "" {
		w("# Generated by: %s\n", commentText(o.Command))
	}
	w("# Do not edit: change the grid and generate it again.\n#\n")
	w("#   make -f %s -j4             every run, then the report\n", o.Makefile)
	w("#   make -f %s -k -j4 runs     every run; a failed one does not stop the others\n", o.Makefile)
	w("#   make -f %s report          report over the finished runs, naming the others\n", o.Makefile)
	w("#   make -f %s chunk-K         the runs of chunk K (a Slurm array task)\n", o.Makefile)
	w("#   make -f %s BIN=bin/ …      tools from bin/ instead of PATH\n\n", o.Makefile)
	w("SHELL := bash\n.SHELLFLAGS := -eu -o pipefail -c\n.DELETE_ON_ERROR:\n.SUFFIXES:\n.DEFAULT_GOAL := all\n\n")
	w("BIN       ?=%s\n", strings.TrimRight(" "+o.Bin, " "))
	w("HLTM_GEN  ?= $(BIN)hltm-gen\nAUGMENT   ?= $(BIN)augment\nSSL_TRAIN ?= $(BIN)ssl-train\n")
	w("PROBE     ?= $(BIN)probe\nCOVOP     ?= $(BIN)covop\nSWEEP     ?= $(BIN)hltm-sweep\n")
	w("RUNS      ?= %s\nGRID      := %s\n", o.Runs, o.Grid)
	w("# Tools are quiet (their progress lines would interleave under -j); make QUIET= shows them.\n")
	w("QUIET     ?= --quiet\n")
	w("# Threads per tool: one, since make -j runs runs in parallel (outputs do not depend on it).\n")
	w("THREADS   ?= 1\n")
	w("# One line per finished run; make V=1 shows every command as well.\n")
	w("V         ?=\nQ         := $(if $(V),,@)\n\n")

	w("# The run directories (hive-style), defined before any rule uses them.\n")
	for _, r := range runs {
		w("r%d := $(RUNS)/%s\n", r.Index, r.Dir)
	}
	w("\n")

	var phony []string
	phony = append(phony, "all", "runs", "report")
	for k := 0; k < o.Chunks; k++ {
		phony = append(phony, "chunk-"+strconv.Itoa(k))
	}
	w(".PHONY: %s\n", strings.Join(phony, " "))
	w(".PHONY:")
	for _, r := range runs {
		w(" run-%d", r.Index)
	}
	w("\n\n")

	done := func(r Run) string { return fmt.Sprintf("$(r%d)/%s", r.Index, FileDone) }
	w("all: $(RUNS)/%s\n\nruns:", FileReport)
	for _, r := range runs {
		w(" %s", done(r))
	}
	w("\n\n")
	for k := 0; k < o.Chunks; k++ {
		w("chunk-%d:", k)
		for _, r := range runs {
			if Chunk(r.Index, o.Chunks) == k {
				w(" run-%d", r.Index)
			}
		}
		w("\n")
	}
	report := fmt.Sprintf("$(SWEEP) report --grid $(GRID) --runs $(RUNS) --summary $(RUNS)/%s --plots $(RUNS)/%s --out $(RUNS)/%s",
		FileSummary, DirPlots, FileReport)
	w("\n# The report over every run (made after all of them succeeded).\n$(RUNS)/%s:", FileReport)
	for _, r := range runs {
		w(" %s", done(r))
	}
	w("\n\t%s\n\n", report)
	w("# The report over the runs that have finished; it names the failed and missing ones.\nreport:\n\t%s --allow-missing\n", report)

	// The probe samples and their views are large and cheap to make again
	// (deterministic in the seed): make deletes them once a run's tables
	// exist, and remakes them only if a table has to be remade.
	w("\n# Probe samples and views are remade from the seed when needed; make deletes them after use\n")
	w("# (make KEEP_DATA=1 keeps them).\nifeq ($(KEEP_DATA),)\n.INTERMEDIATE:")
	for _, r := range runs {
		w(" $(r%d)/%s", r.Index, FileSamples)
		if g.Covop {
			w(" $(r%d)/%s", r.Index, FilePairs)
		}
	}
	w("\nendif\n")

	for _, r := range runs {
		dir := fmt.Sprintf("$(r%d)", r.Index)
		w("\n# run %d (chunk %d): %s\nrun-%d: %s\n", r.Index, Chunk(r.Index, o.Chunks), r.Dir, r.Index, done(r))
		stages := Stages(g, r, dir)
		w("%s:", done(r))
		for _, s := range stages {
			if s.Name == "probe" || s.Name == "covop" {
				w(" %s/%s", dir, s.Target)
			}
		}
		// The run's one line: finished runs so far, the run, its time
		// since its training started (the .start stamp of the net stage).
		w("\n\t$(Q)rm -f $(@D)/%s\n\t$(Q)touch $@\n", FileFailed)
		w("\t@printf '[%%d/%d] run %%s %%s s\\n' \"$$(find $(RUNS) -name %s | wc -l)\" %s \"$$(awk -v a=\"$$(cat $(@D)/.start 2>/dev/null || echo $$EPOCHREALTIME)\" -v b=\"$$EPOCHREALTIME\" 'BEGIN { printf \"%%.1f\", b - a }')\" >&2\n",
			len(runs), FileDone, shellWord(r.Dir))
		for _, s := range stages {
			w("%s/%s:", dir, s.Target)
			for _, n := range s.Needs {
				w(" %s/%s", dir, n)
			}
			w("\n")
			if len(s.Needs) == 0 {
				w("\t@mkdir -p $(@D)\n")
			}
			if s.Name == "net" {
				w("\t@echo \"$$EPOCHREALTIME\" > $(@D)/.start\n")
			}
			w("\t$(Q)%s || { echo %s >> $(@D)/%s; exit 1; }\n", s.Command, s.Name, FileFailed)
		}
	}
	return b.String(), nil
}

// SlurmScript returns a bash script that submits the sweep of Makefile
// (generated with the same options) to Slurm: a job array of Chunks tasks,
// task K running `make -f MAKEFILE -k chunk-K` (with -j the task's CPUs),
// and a report job that depends on the whole array with afterany, so it
// runs, and names failed runs, whatever the array's outcome. The script's
// arguments are passed to both sbatch calls (e.g. --partition, --time);
// the environment variable MAKE_VARS (e.g. "BIN=bin/") is passed to make.
// It prints the two job ids on stdout.
func SlurmScript(runs []Run, o MakeOptions) (string, error) {
	if len(runs) == 0 {
		return "", fmt.Errorf("sweep: no runs")
	}
	if err := o.normalise(len(runs)); err != nil {
		return "", err
	}
	logs := o.Runs + "/" + DirSlurm
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("#!/usr/bin/env bash\n")
	w("# Submit the sweep of %s to Slurm: a job array of %d tasks (task K runs\n", o.Makefile, o.Chunks)
	w("# `make -f %s -k chunk-K`) and a report job that waits for the whole array\n", o.Makefile)
	w("# (afterany: it runs even when some tasks fail, and names the failed runs).\n")
	if o.Command != "" {
		w("# Generated by: %s\n", commentText(o.Command))
	}
	w("#\n#   bash THIS_SCRIPT [sbatch options, e.g. --partition=debug --time=2:00:00]\n")
	w("#   MAKE_VARS='BIN=bin/' bash THIS_SCRIPT     make variables for every job\n#\n")
	w("# Run it from the directory the sweep was generated in: the paths in %s are relative\n", o.Makefile)
	w("# to it and every job starts there. It prints the array's and the report's job ids.\n")
	w("set -euo pipefail\n")
	w("mkdir -p %s\n", logs)
	w("array=$(sbatch --parsable --job-name=dualssl-sweep --array=0-%d --chdir=\"$PWD\" \\\n", o.Chunks-1)
	w("\t--output=%s/chunk-%%a.out \"$@\" <<'EOF'\n", logs)
	// MAKE_VARS is split into words on blanks, and only that (no globs).
	w("#!/usr/bin/env bash\nset -euf\n")
	w("exec make -f %s -k -j \"${SLURM_CPUS_PER_TASK:-1}\" ${MAKE_VARS:-} \"chunk-$SLURM_ARRAY_TASK_ID\"\nEOF\n)\n", o.Makefile)
	w("array=${array%%%%;*}\n")
	w("report=$(sbatch --parsable --job-name=dualssl-sweep-report --dependency=\"afterany:$array\" --chdir=\"$PWD\" \\\n")
	w("\t--output=%s/report.out \"$@\" <<'EOF'\n", logs)
	w("#!/usr/bin/env bash\nset -euf\nexec make -f %s ${MAKE_VARS:-} report\nEOF\n)\n", o.Makefile)
	w("report=${report%%%%;*}\n")
	w("echo \"submitted: array job $array (%d tasks), report job $report; logs in %s/\" >&2\n", o.Chunks, logs)
	w("echo \"$array $report\"\n")
	return b.String(), nil
}
