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

// Runs expands the grid into every combination of its values, the last
// axis (in the order of Params) varying fastest. It fails when a
// combination is inconsistent (delta_lower above delta_upper) or when the
// grid has more than MaxRuns runs.
func (g *Grid) Runs() ([]Run, error) {
	total := 1
	for _, a := range g.Axes {
		total *= len(a.Values)
		if total > MaxRuns {
			return nil, fmt.Errorf("%s: the grid has more than %d runs", g.Name, MaxRuns)
		}
	}
	defaults := make([]Value, len(Params))
	for i := range Params {
		v, err := ParseValue(&Params[i], Params[i].Default)
		if err != nil {
			panic("sweep: bad default of " + Params[i].Key + ": " + err.Error())
		}
		defaults[i] = v
	}
	named := make([]bool, len(Params))
	axisOf := make([]int, len(Params)) // Params index → axis index
	for ai, a := range g.Axes {
		pi := ParamIndex(a.Key)
		named[pi], axisOf[pi] = true, ai
	}
	runs := make([]Run, 0, total)
	idx := make([]int, len(g.Axes)) // mixed-radix counter over the axes
	for n := 0; n < total; n++ {
		vals := append([]Value(nil), defaults...)
		for ai, a := range g.Axes {
			vals[ParamIndex(a.Key)] = a.Values[idx[ai]]
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
		r := Run{Index: n, Values: vals, Dir: strings.Join(dir, "/"), Setting: strings.Join(setting, "/")}
		lo, hi := r.Get("delta_lower"), r.Get("delta_upper")
		if lo.Float > hi.Float {
			line := 0
			for _, k := range []string{"delta_lower", "delta_upper"} {
				if named[ParamIndex(k)] {
					line = g.Axes[axisOf[ParamIndex(k)]].Line
				}
			}
			return nil, fmt.Errorf("%s:%d: run %s has delta_lower %s above delta_upper %s", g.Name, line, r.Dir, lo.Text, hi.Text)
		}
		runs = append(runs, r)
		for ai := len(idx) - 1; ai >= 0; ai-- {
			idx[ai]++
			if idx[ai] < len(g.Axes[ai].Values) {
				break
			}
			idx[ai] = 0
		}
	}
	return runs, nil
}

// Varying returns the keys of the axes with more than one value, in the
// order of Params (seed included when it varies).
func (g *Grid) Varying() []string {
	var keys []string
	for _, a := range g.Axes {
		if len(a.Values) > 1 {
			keys = append(keys, a.Key)
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
