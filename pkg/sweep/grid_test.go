package sweep

import (
	"fmt"
	"strings"
	"testing"
)

func mustGrid(t *testing.T, src string) *Grid {
	t.Helper()
	g, err := ParseGrid("grid.txt", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestParseGrid(t *testing.T) {
	for _, ok := range []string{"root", "leaves", "0", "3"} {
		mustGrid(t, "keep = "+ok+"\n")
	}
	g := mustGrid(t, `
# a comment line
seeds = 1..3          # plural accepted
loss  = nce, simp
delta_lower = 0.80, 5e-1
depth = 4
train_args = --bias=false   # extra flags
covop = false
`)
	var got []string
	if len(g.Blocks) != 1 {
		t.Fatalf("%d blocks, want 1", len(g.Blocks))
	}
	for _, a := range g.Blocks[0].Axes {
		var vs []string
		for _, v := range a.Values {
			vs = append(vs, v.Text)
		}
		got = append(got, fmt.Sprintf("%s@%d=%s", a.Key, a.Line, strings.Join(vs, ",")))
	}
	// Axes come in the order of Params (seed last), values in file order, canonical text.
	want := "depth@6=4 delta_lower@5=0.8,0.5 loss@4=nce,simp seed@3=1,2,3"
	if s := strings.Join(got, " "); s != want {
		t.Errorf("axes = %s, want %s", s, want)
	}
	if g.Extra["train_args"] != "--bias=false" {
		t.Errorf("train_args = %q", g.Extra["train_args"])
	}
	if g.Covop {
		t.Error("covop = false was not applied")
	}
	runs, err := g.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if v := strings.Join(Varying(runs), ","); v != "delta_lower,loss,seed" {
		t.Errorf("Varying = %s", v)
	}
}

func TestParseGridErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"", "grid.txt: empty grid"},
		{"# only a comment\n\n", "grid.txt: empty grid"},
		{"seed = 1\nhidden = 3\n", `grid.txt:2: unknown parameter "hidden"`},
		{"hid 10\n", `grid.txt:1: "hid 10" is not of the form key = value`},
		{"= 3\n", "grid.txt:1: no parameter name"},
		{"hid =\n", "grid.txt:1: hid: no values"},
		{"hid = 5,,10\n", "grid.txt:1: hid: empty value"},
		{"hid = 5\nhid = 10\n", "grid.txt:2: hid is already set on line 1"},
		{"seed = 1\nseeds = 2\n", "grid.txt:2: seed is already set on line 1"},
		{"hid = ten\n", `grid.txt:1: hid: "ten" is not an integer`},
		{"hid = 0\n", "grid.txt:1: hid: 0: must be at least 1"},
		{"seed = 5..1\n", `grid.txt:1: seed: range "5..1": want a..b with integers a ≤ b`},
		{"temp = 0.1..0.5\n", "ranges a..b are for integer parameters only"},
		{"seed = 0..200000\n", "more than 100000 values"},
		{"temp = 0\n", "temp: 0: must be positive"},
		{"temp = nan\n", `temp: "nan" is not a finite number`},
		{"delta_lower = 1.5\n", "delta_lower: 1.5: must lie in [0, 1]"},
		{"loss = infonce\n", `loss: "infonce": want one of simp, tri, nce, nce-ref`},
		{"keep = a/b\n", `keep: "a/b": values are words`},
		{"keep = level:2\n", `keep: "level:2": values are words`},
		{"keep = level2\n", `keep: "level2": want root, leaves or a level number K (for augment's level:K)`},
		{"hid = 5, 5\n", "hid: value 5 is listed twice"},
		{"delta_lower = 0.5, 0.50\n", "value 0.5 is listed twice"},
		{"covop = maybe\n", `covop = "maybe": want true or false`},
		{"train_args = --x `rm`\n", "backquotes are not allowed"},
		{"[a]\nhid = 2\n[a]\nhid = 3\n", "grid.txt:3: section [a] already begins on line 1"},
		{"[a b]\n", `grid.txt:1: "[a b]": a section header is [name]`},
		{"[a\n", `grid.txt:1: "[a": a section header is [name]`},
		{"[a]\n", "grid.txt:1: section [a] is empty"},
		{"seed = 1\n[a]\ncovop = false\n", "grid.txt:3: covop applies to every run: set it before the first [section]"},
		{"[a]\nhid = 2\nhid = 3\n", "grid.txt:3: hid is already set on line 2"},
	} {
		_, err := ParseGrid("grid.txt", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseGrid(%q): error %v, want it to contain %q", tc.src, err, tc.want)
		}
	}
}

func TestRuns(t *testing.T) {
	g := mustGrid(t, "seed = 1..2\nhid = 5, 10\ndepth = 3\n")
	runs, err := g.Runs()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"depth=3/hid=5/seed=1", "depth=3/hid=5/seed=2",
		"depth=3/hid=10/seed=1", "depth=3/hid=10/seed=2",
	}
	if len(runs) != len(want) {
		t.Fatalf("%d runs, want %d", len(runs), len(want))
	}
	for i, r := range runs {
		if r.Index != i || r.Dir != want[i] {
			t.Errorf("run %d: index %d dir %s, want %s", i, r.Index, r.Dir, want[i])
		}
		if r.Setting != strings.TrimSuffix(want[i], fmt.Sprintf("/seed=%d", i%2+1)) {
			t.Errorf("run %d: setting %s", i, r.Setting)
		}
		// Keys the grid leaves out take their defaults.
		if r.Get("loss").Text != "nce-ref" || r.Get("delta_lower").Float != 0.8 || r.Get("epoch_rows").Int != 64000 {
			t.Errorf("run %d: defaults not applied: %+v", i, r.Values)
		}
	}
	// Seed is always in the path, even when the grid does not name it.
	runs, err = mustGrid(t, "hid = 4\n").Runs()
	if err != nil || len(runs) != 1 || runs[0].Dir != "hid=4/seed=1" || runs[0].Setting != "hid=4" {
		t.Errorf("single run: %v %+v", err, runs)
	}
	_, err = mustGrid(t, "delta_lower = 0.5, 0.9\ndelta_upper = 0.8\n").Runs()
	if err == nil || !strings.Contains(err.Error(), "delta_lower 0.9 above delta_upper 0.8") {
		t.Errorf("inconsistent deltas: %v", err)
	}
	_, err = mustGrid(t, "seed = 1..1000\nhid = 1..1000\n").Runs()
	if err == nil || !strings.Contains(err.Error(), "more than 100000 runs") {
		t.Errorf("huge grid: %v", err)
	}
}

func TestSections(t *testing.T) {
	// One factor at a time around a base setting: the base run is shared.
	g := mustGrid(t, `
seed = 1..2
hid = 10
loss = nce-ref
[width]
hid = 5, 10
[loss]
loss = nce-ref, simp
`)
	if len(g.Blocks) != 2 || g.Blocks[0].Name != "width" || g.Blocks[1].Line != 7 {
		t.Fatalf("blocks: %+v", g.Blocks)
	}
	runs, err := g.Runs()
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for i, r := range runs {
		if r.Index != i {
			t.Errorf("run %d has index %d", i, r.Index)
		}
		dirs = append(dirs, r.Dir)
	}
	want := "hid=5/loss=nce-ref/seed=1 hid=5/loss=nce-ref/seed=2 hid=10/loss=nce-ref/seed=1 hid=10/loss=nce-ref/seed=2 " +
		"hid=10/loss=simp/seed=1 hid=10/loss=simp/seed=2"
	if got := strings.Join(dirs, " "); got != want {
		t.Errorf("runs:\n got %s\nwant %s", got, want)
	}
	if v := strings.Join(Varying(runs), ","); v != "hid,loss,seed" {
		t.Errorf("Varying = %s", v)
	}
}

func TestChunkCoversEveryRunOnce(t *testing.T) {
	for _, chunks := range []int{1, 2, 3, 7} {
		seen := make([]int, 20)
		for k := 0; k < chunks; k++ {
			for i := range seen {
				if Chunk(i, chunks) == k {
					seen[i]++
				}
			}
		}
		for i, n := range seen {
			if n != 1 {
				t.Errorf("chunks %d: run %d in %d chunks", chunks, i, n)
			}
		}
	}
}

func ExampleGrid_Runs() {
	g, err := ParseGrid("grid.txt", []byte("seed = 1..2\nloss = nce, simp\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	runs, _ := g.Runs()
	for _, r := range runs {
		fmt.Println(r.Index, Chunk(r.Index, 3), r.Dir)
	}
	// Output:
	// 0 0 loss=nce/seed=1
	// 1 1 loss=nce/seed=2
	// 2 2 loss=simp/seed=1
	// 3 0 loss=simp/seed=2
}
