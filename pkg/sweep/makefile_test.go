package sweep

import (
	"strings"
	"testing"
)

func TestMakefile(t *testing.T) {
	g := mustGrid(t, "seed = 1..3\nhid = 2\ndepth = 2\nepochs = 3\nepoch_rows = 100\ntrain_args = --note=$HOME\n")
	runs, err := g.Runs()
	if err != nil {
		t.Fatal(err)
	}
	mk, err := Makefile(g, runs, MakeOptions{Grid: "g.txt", Chunks: 2, Bin: "bin/"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\nSHELL := bash\n", "\n.SHELLFLAGS := -eu -o pipefail -c\n", "\n.DELETE_ON_ERROR:\n",
		"\nBIN       ?= bin/\n", "\nGRID      := g.txt\n",
		"\nr0 := $(RUNS)/depth=2/hid=2/epochs=3/epoch_rows=100/seed=1\n",
		"\nchunk-0: run-0 run-2\nchunk-1: run-1\n",
		"\nall: $(RUNS)/sweep.arrows\n",
		"\nruns: $(r0)/done $(r1)/done $(r2)/done\n",
		"\n$(r1)/done: $(r1)/probe.arrows $(r1)/covop.arrows\n",
		"\n$(r2)/covop.arrows: $(r2)/net.arrows $(r2)/pairs.arrows\n",
		// epochs × epoch_rows training rows; a '$' in extra flags reaches the tool as '$':
		// single-quoted for bash, doubled for make, never expanded.
		" -n 300 ", "--seed 3 --threads $(THREADS) '--note=$$HOME' $(QUIET) --log $(r2)/train.arrows --out $@ || { echo net >> $(@D)/FAILED; exit 1; }",
		"--allow-missing\n",
	} {
		if !strings.Contains(mk, want) {
			t.Errorf("Makefile lacks %q", want)
		}
	}
	// Run variables are defined before the first rule that uses them
	// (make expands prerequisites as it reads them).
	if strings.Index(mk, "r2 := ") > strings.Index(mk, "runs: ") {
		t.Error("run variables defined after the rules")
	}
	// No line may start with a hive path: make would read key=value as an assignment.
	for _, line := range strings.Split(mk, "\n") {
		if strings.HasPrefix(line, "depth=") || strings.HasPrefix(line, "runs/") {
			t.Errorf("line starts with a literal path: %q", line)
		}
	}

	g.Covop = false
	mk, err = Makefile(g, runs, MakeOptions{Grid: "g.txt", Chunks: 9})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(mk, "covop.arrows") || strings.Contains(mk, "pairs.arrows") {
		t.Error("covop = false still makes covop tables")
	}
	if !strings.Contains(mk, "chunk-2: run-2\n") || strings.Contains(mk, "chunk-3") {
		t.Error("chunks not clamped to the number of runs")
	}

	for _, bad := range []MakeOptions{{Grid: "my grid.txt"}, {Grid: "g.txt", Runs: "a:b"}, {Grid: "g.txt", Bin: "$(x)"}} {
		if _, err := Makefile(g, runs, bad); err == nil {
			t.Errorf("options %+v accepted", bad)
		}
	}
}

func TestSlurmScript(t *testing.T) {
	g := mustGrid(t, "seed = 1..5\n")
	runs, _ := g.Runs()
	s, err := SlurmScript(runs, MakeOptions{Makefile: "s.mk", Grid: "g.txt", Runs: "out", Chunks: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"--array=0-1 ", `exec make -f s.mk -k -j "${SLURM_CPUS_PER_TASK:-1}" ${MAKE_VARS:-} "chunk-$SLURM_ARRAY_TASK_ID"`,
		`--dependency="afterany:$array"`, "exec make -f s.mk ${MAKE_VARS:-} report", "mkdir -p out/slurm\n",
		"--output=out/slurm/chunk-%a.out",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q", want)
		}
	}
}

// BenchmarkMakefile generates the Makefile of a 10000-run grid.
func BenchmarkMakefile(b *testing.B) {
	g, err := ParseGrid("g", []byte("seed = 1..100\nhid = 1..10\nloss = simp, tri, nce, nce-ref\ntemp = 0.05, 0.1, 0.2, 0.5, 1\ncovop = true\n"))
	if err != nil {
		b.Fatal(err)
	}
	runs, err := g.Runs()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Makefile(g, runs, MakeOptions{Grid: "g", Chunks: 64}); err != nil {
			b.Fatal(err)
		}
	}
}
