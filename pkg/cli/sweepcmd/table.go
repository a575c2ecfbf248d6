package sweepcmd

import (
	"fmt"
	"math"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/sweep"
)

// part is one run's table (probe or covop) to be gathered.
type part struct {
	run   sweep.Run
	table *arrowio.Table
}

// gathered is the union of many runs' tidy tables as whole columns ready
// for arrowio.Writer.WriteColumns.
type gathered struct {
	cols []arrowio.Column
	data []any
	rows int
}

// gather stacks the parts into one table: run, kind, one column per grid
// parameter, then the union of the parts' columns in order of first
// appearance. A column that every part has with one type keeps it. A
// column some parts lack (covop columns on probe rows, say) is filled
// with NaN (numbers, promoted to float64), "" (strings) or an empty list
// (lists); fixed-size lists become list<float64>, since their size
// depends on the tree. A column named like a grid parameter, run or kind
// is renamed with a "table_" prefix.
func gather(parts []part) (*gathered, error) {
	reserved := map[string]bool{"run": true, "kind": true}
	g := &gathered{}
	g.cols = append(g.cols, arrowio.Column{Name: "run", Type: arrowio.String}, arrowio.Column{Name: "kind", Type: arrowio.String})
	for _, p := range sweep.Params {
		reserved[p.Key] = true
		t := arrowio.String
		switch p.Type {
		case sweep.Int:
			t = arrowio.Int64
		case sweep.Float:
			t = arrowio.Float64
		}
		g.cols = append(g.cols, arrowio.Column{Name: p.Key, Type: t})
	}

	for _, p := range parts {
		g.rows += p.table.Rows()
	}
	union, err := unionOf(parts, reserved)
	if err != nil {
		return nil, err
	}
	for _, u := range union {
		switch {
		case !u.inEvery && (isInt(u.typ) || u.typ == arrowio.Bool):
			u.typ = arrowio.Float64 // room for NaN
		case isInt(u.typ):
			u.typ = arrowio.Int64
		}
		g.cols = append(g.cols, arrowio.Column{Name: u.name, Type: u.typ})
	}

	g.data = append(g.data, runColumns(parts, g.rows)...)

	// The union columns.
	for _, u := range union {
		var out any
		switch u.typ {
		case arrowio.Int64:
			out = make([]int64, 0, g.rows)
		case arrowio.Float64:
			out = make([]float64, 0, g.rows)
		case arrowio.String:
			out = make([]string, 0, g.rows)
		case arrowio.Bool:
			out = make([]bool, 0, g.rows)
		case arrowio.ListFloat64:
			out = make([][]float64, 0, g.rows)
		}
		for _, p := range parts {
			vals, err := columnAs(p.table, u.in, u.typ)
			if err != nil {
				return nil, err
			}
			out = appendAny(out, vals, p.table.Rows())
		}
		g.data = append(g.data, out)
	}
	return g, nil
}

func isInt(t arrowio.Type) bool {
	return t == arrowio.Int8 || t == arrowio.Int32 || t == arrowio.Int64
}

// widen returns a type that holds both a and b.
func widen(a, b arrowio.Type) (arrowio.Type, bool) {
	num := func(t arrowio.Type) bool { return isInt(t) || t == arrowio.Float64 || t == arrowio.Bool }
	switch {
	case isInt(a) && isInt(b):
		return arrowio.Int64, true
	case num(a) && num(b):
		return arrowio.Float64, true
	}
	return arrowio.Invalid, false
}

// columnAs returns column name of t converted to the gathered type want,
// or nil when t has no such column (the caller fills it).
func columnAs(t *arrowio.Table, name string, want arrowio.Type) (any, error) {
	c, ok := t.Column(name)
	if !ok {
		return nil, nil
	}
	col := &c
	n := t.Rows()
	switch want {
	case arrowio.Int64:
		return intColumn(t, *col)
	case arrowio.Float64:
		if col.Type == arrowio.Float64 {
			return t.Float64(name)
		}
		ints, err := intColumn(t, *col)
		if err != nil {
			return nil, err
		}
		f := make([]float64, n)
		for i, v := range ints {
			f[i] = float64(v)
		}
		return f, nil
	case arrowio.String:
		return t.String(name)
	case arrowio.Bool:
		return t.Bool(name)
	case arrowio.ListFloat64:
		switch col.Type {
		case arrowio.ListFloat64:
			return t.ListFloat64(name)
		case arrowio.FixedFloat64:
			flat, err := t.FixedFloat64(name)
			return listRows(flat, n, col.Size, err)
		case arrowio.FixedInt8:
			flat, err := t.FixedInt8(name)
			return listRows(flat, n, col.Size, err)
		case arrowio.FixedBool:
			flat, err := t.FixedBool(name)
			return listRows(flat, n, col.Size, err)
		}
	}
	return nil, fmt.Errorf("column %s: %s cannot be gathered as %s", name, col, want)
}

// intColumn returns an integer or bool column as int64.
func intColumn(t *arrowio.Table, c arrowio.Column) ([]int64, error) {
	switch c.Type {
	case arrowio.Int8:
		return asInt64(t.Int8(c.Name))
	case arrowio.Int32:
		return asInt64(t.Int32(c.Name))
	case arrowio.Int64:
		return t.Int64(c.Name)
	case arrowio.Bool:
		v, err := t.Bool(c.Name)
		out := make([]int64, len(v))
		for i := range v {
			if v[i] {
				out[i] = 1
			}
		}
		return out, err
	}
	return nil, fmt.Errorf("column %s is %s, not an integer", c.Name, c)
}

// asInt64 converts integer values to int64, passing err on.
func asInt64[T int8 | int32](v []T, err error) ([]int64, error) {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out, err
}

// listRows converts flat row-major values, n rows of size, to one float64
// slice per row; on err it returns err.
func listRows[T int8 | float64](flat []T, n, size int, err error) ([][]float64, error) {
	if err != nil {
		return nil, err
	}
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = make([]float64, size)
		for k := range rows[i] {
			rows[i][k] = float64(flat[i*size+k])
		}
	}
	return rows, nil
}

// appendAny appends vals (nil: n missing values) to out.
func appendAny(out, vals any, n int) any {
	switch o := out.(type) {
	case []int64:
		if vals == nil {
			panic("sweep: missing values in an integer column") // gather promotes such columns to float64
		}
		return append(o, vals.([]int64)...)
	case []float64:
		if vals == nil {
			for k := 0; k < n; k++ {
				o = append(o, math.NaN())
			}
			return o
		}
		return append(o, vals.([]float64)...)
	case []string:
		if vals == nil {
			return append(o, make([]string, n)...)
		}
		return append(o, vals.([]string)...)
	case []bool:
		return append(o, vals.([]bool)...)
	case [][]float64:
		if vals == nil {
			for k := 0; k < n; k++ {
				o = append(o, []float64{})
			}
			return o
		}
		return append(o, vals.([][]float64)...)
	}
	panic(fmt.Sprintf("sweep: unexpected column %T", out))
}

// unionCol is one column of the union schema.
type unionCol struct {
	name    string // output name
	in      string // input name
	typ     arrowio.Type
	inEvery bool
}

// unionOf returns the union of the parts' columns: the first type seen
// per name, widened on conflicts; a name in reserved gets a "table_"
// prefix.
func unionOf(parts []part, reserved map[string]bool) ([]*unionCol, error) {
	var union []*unionCol
	byName := map[string]*unionCol{}
	for pi, p := range parts {
		has := map[string]bool{}
		for _, c := range p.table.Columns() {
			if c.Type == arrowio.Invalid {
				return nil, fmt.Errorf("%s: column %s has Arrow type %s, which the report cannot gather", p.run.Dir, c.Name, c.Arrow)
			}
			has[c.Name] = true
			t := c.Type
			if t == arrowio.FixedFloat64 || t == arrowio.FixedInt8 || t == arrowio.FixedBool {
				t = arrowio.ListFloat64
			}
			u := byName[c.Name]
			if u == nil {
				name := c.Name
				if reserved[name] {
					name = "table_" + name
				}
				u = &unionCol{name: name, in: c.Name, typ: t, inEvery: pi == 0}
				byName[c.Name] = u
				union = append(union, u)
				continue
			}
			if u.typ != t {
				wt, ok := widen(u.typ, t)
				if !ok {
					return nil, fmt.Errorf("%s: column %s is %s here but %s in an earlier run's table", p.run.Dir, c.Name, c.Type, u.typ)
				}
				u.typ = wt
			}
		}
		for _, u := range union {
			if !has[u.in] {
				u.inEvery = false
			}
		}
	}
	return union, nil
}

// runColumns returns the run, kind and grid parameter columns of rows
// rows.
func runColumns(parts []part, rows int) []any {
	run, kind := make([]string, 0, rows), make([]string, 0, rows)
	params := make([]any, len(sweep.Params))
	for i, p := range sweep.Params {
		switch p.Type {
		case sweep.Int:
			params[i] = make([]int64, 0, rows)
		case sweep.Float:
			params[i] = make([]float64, 0, rows)
		default:
			params[i] = make([]string, 0, rows)
		}
	}
	for _, p := range parts {
		n := p.table.Rows()
		for k := 0; k < n; k++ {
			run = append(run, p.run.Dir)
			kind = append(kind, string(p.table.Meta().Kind))
		}
		for i, v := range p.run.Values {
			for k := 0; k < n; k++ {
				switch s := params[i].(type) {
				case []int64:
					params[i] = append(s, v.Int)
				case []float64:
					params[i] = append(s, v.Float)
				case []string:
					params[i] = append(s, v.Text)
				}
			}
		}
	}
	return append([]any{run, kind}, params...)

}
