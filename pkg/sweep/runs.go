package sweep

import (
	"fmt"
	"strings"
)

// Run is one point of an expanded grid.
type Run struct {
	// Index numbers the runs in expansion order, from 0.
	Index int
	// Values holds one value per entry of Params, in that order: the
	// grid's value for the keys it names and the Default for the others.
	Values []Value
	// Dir is the hive-style path of the run relative to the runs
	// directory: key=value components for the keys the grid names,
	// seed last (always present), joined by '/'.
	Dir string
	// Setting is Dir without its seed component: the runs of one setting
	// differ only in their seed ("" when seed is the only parameter).
	Setting string
}

// Get returns the run's value of key; it panics for a key not in Params.
func (r Run) Get(key string) Value {
	i := ParamIndex(key)
	if i < 0 {
		panic("sweep: unknown parameter " + key)
	}
	return r.Values[i]
}

// Runs expands the grid: every block's full-factorial product, blocks in
// file order, the last axis (in the order of Params) varying fastest; a run
// that an earlier block already has (same directory) is listed once. A
// run's directory names every key named anywhere in the grid. Runs fails
// when a combination is inconsistent (delta_lower above delta_upper) or
// when the grid has more than MaxRuns runs.
func (g *Grid) Runs() ([]Run, error) {
	defaults := make([]Value, len(Params))
	for i := range Params {
		v, err := ParseValue(&Params[i], Params[i].Default)
		if err != nil {
			panic("sweep: bad default of " + Params[i].Key + ": " + err.Error())
		}
		defaults[i] = v
	}
	named := make([]bool, len(Params))
	for _, b := range g.Blocks {
		for _, a := range b.Axes {
			named[ParamIndex(a.Key)] = true
		}
	}
	var runs []Run
	seen := map[string]bool{}
	for _, b := range g.Blocks {
		total := 1
		for _, a := range b.Axes {
			total *= len(a.Values)
			if total > MaxRuns {
				return nil, fmt.Errorf("sweep: %s: the grid has more than %d runs", g.Name, MaxRuns)
			}
		}
		idx := make([]int, len(b.Axes)) // mixed-radix counter over the axes
		for n := 0; n < total; n++ {
			vals := append([]Value(nil), defaults...)
			line := map[string]int{}
			for ai, a := range b.Axes {
				vals[ParamIndex(a.Key)] = a.Values[idx[ai]]
				line[a.Key] = a.Line
			}
			for ai := len(idx) - 1; ai >= 0; ai-- {
				idx[ai]++
				if idx[ai] < len(b.Axes[ai].Values) {
					break
				}
				idx[ai] = 0
			}
			var dir, setting []string
			for pi, p := range Params {
				if !named[pi] && p.Key != "seed" {
					continue
				}
				comp := p.Key + "=" + vals[pi].Text
				dir = append(dir, comp)
				if p.Key != "seed" {
					setting = append(setting, comp)
				}
			}
			r := Run{Index: len(runs), Values: vals, Dir: strings.Join(dir, "/"), Setting: strings.Join(setting, "/")}
			if seen[r.Dir] {
				continue
			}
			seen[r.Dir] = true
			lo, hi := r.Get("delta_lower"), r.Get("delta_upper")
			if lo.Float > hi.Float {
				return nil, fmt.Errorf("sweep: %s:%d: run %s has delta_lower %s above delta_upper %s",
					g.Name, max(line["delta_lower"], line["delta_upper"]), r.Dir, lo.Text, hi.Text)
			}
			if len(runs) == MaxRuns {
				return nil, fmt.Errorf("sweep: %s: the grid has more than %d runs", g.Name, MaxRuns)
			}
			runs = append(runs, r)
		}
	}
	return runs, nil
}

// Varying returns the keys that take more than one value over the runs, in
// the order of Params (seed included when it varies).
func Varying(runs []Run) []string {
	var keys []string
	for pi, p := range Params {
		first := ""
		for i, r := range runs {
			if i == 0 {
				first = r.Values[pi].Text
			} else if r.Values[pi].Text != first {
				keys = append(keys, p.Key)
				break
			}
		}
	}
	return keys
}

// Chunk returns the chunk of run index i when the runs are spread over
// chunks chunks: i mod chunks. It panics if chunks < 1.
func Chunk(i, chunks int) int {
	if chunks < 1 {
		panic("sweep: chunks must be positive")
	}
	return i % chunks
}
