package catcmd

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/dualssl/dualssl/pkg/arrowio"
	"github.com/dualssl/dualssl/pkg/cli"
	"github.com/dualssl/dualssl/pkg/hltm"
)

const description = `Prints what an Arrow file holds: its dualssl kind, format, model, config,
provenance, columns and row count, then the first rows (--head N; 0 = every
row, in every mode) as an aligned text table. Lists are shown compactly
([0 1 1 0 …]) unless --full; --meta shows no rows. --csv and --jsonl print
only the rows, every value in full, for other tools. Works on every kind
(hltm-samples, hltm-nodes, views, network, train-log, probe, probe-neurons,
covop, covop-matrix, sweep) and on any other Arrow IPC stream or file, with
or without dualssl metadata (a file Polars wrote, say: see dualssl-stamp).

Examples:
  dualssl-cat samples.arrows
  hltm-gen --depth 3 -n 4 | dualssl-cat --head 2
  dualssl-cat --meta net.arrows
  dualssl-cat --jsonl --head 0 probe.arrows | jq .`

// App returns the dualssl-cat command.
func App() *ucli.App {
	return cli.NewApp(cli.Tool{
		Name:        "dualssl-cat",
		Usage:       "show the metadata and first rows of a dualssl file",
		Description: description,
		Docs:        `README.md "Files" (every kind and its metadata keys)`,
		Input:       true,
		Args:        "[FILE]",
		Flags: []ucli.Flag{
			&ucli.IntFlag{Name: "head", Value: 10, Usage: "rows `N` to show, in every mode (0 = every row)"},
			&ucli.BoolFlag{Name: "meta", Usage: "text: the metadata, columns and row count only, no rows"},
			&ucli.BoolFlag{Name: "csv", Usage: "print rows as CSV (header line first)"},
			&ucli.BoolFlag{Name: "jsonl", Usage: "print rows as JSON lines"},
			&ucli.BoolFlag{Name: "full", Usage: "text: show lists and the model in full"},
		},
		Action: run,
	})
}

// Main runs dualssl-cat with args (os.Args) and returns the exit code.
func Main(args []string) int { return cli.Main(App(), args) }

func run(e *cli.Env) error {
	head := e.Int("head")
	if head < 0 {
		return cli.Usagef("--head %d: must be at least 0", head)
	}
	if e.Bool("csv") && e.Bool("jsonl") {
		return cli.Usagef("--csv and --jsonl exclude each other")
	}
	path := e.String(cli.FlagIn)
	if e.NArg() > 1 {
		return cli.Usagef("one file at a time (got %d)", e.NArg())
	}
	if e.NArg() == 1 {
		if e.IsSet(cli.FlagIn) {
			return cli.Usagef("give the file as an argument or with --in, not both")
		}
		path = e.Args().First()
	}
	if e.Bool("meta") && (e.Bool("csv") || e.Bool("jsonl")) {
		return cli.Usagef("--meta shows the metadata as text: it excludes --csv and --jsonl")
	}
	// Any Arrow file: dualssl-cat is also how one looks at a file another
	// program wrote, before dualssl-stamp adopts it.
	r, err := e.OpenPath(path, "", arrowio.Foreign())
	if err != nil {
		return err
	}
	defer r.Close()
	out := bufio.NewWriter(e.Stdout)
	defer out.Flush()
	switch {
	case e.Bool("csv"):
		err = rows(r, head, out, csvRow, true)
	case e.Bool("jsonl"):
		err = rows(r, head, out, jsonRow, false)
	default:
		err = text(r, head, e.Bool("meta"), e.Bool("full"), out)
	}
	if err != nil {
		return err
	}
	return out.Flush()
}

// rows prints up to head rows (0 = all) with format.
func rows(r *arrowio.Reader, head int, out io.Writer, format func([]arrowio.Column, []any) string, header bool) error {
	cols := r.Columns()
	if header {
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = csvField(c.Name)
		}
		fmt.Fprintln(out, strings.Join(names, ","))
	}
	n := 0
	for r.Next() {
		b := r.Batch()
		for i := 0; i < b.Rows(); i++ {
			if head > 0 && n >= head {
				return nil
			}
			vals := make([]any, len(cols))
			for j := range cols {
				vals[j] = b.Cell(j, i)
			}
			if _, err := fmt.Fprintln(out, format(cols, vals)); err != nil {
				return err
			}
			n++
		}
	}
	return r.Err()
}

func csvRow(_ []arrowio.Column, vals []any) string {
	f := make([]string, len(vals))
	for i, v := range vals {
		f[i] = csvField(full(v))
	}
	return strings.Join(f, ",")
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

func jsonRow(cols []arrowio.Column, vals []any) string {
	var sb strings.Builder
	sb.WriteByte('{')
	for i, v := range vals {
		if i > 0 {
			sb.WriteByte(',')
		}
		k, _ := json.Marshal(cols[i].Name)
		sb.Write(k)
		sb.WriteByte(':')
		sb.WriteString(jsonValue(v))
	}
	sb.WriteByte('}')
	return sb.String()
}

// jsonValue renders a cell as JSON; non-finite floats become null.
func jsonValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "null"
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []float64:
		return list(v, ",", "]", func(x float64) string { return jsonValue(x) })
	case []int8:
		return list(v, ",", "]", itoa8)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// full renders a cell exactly: shortest round-tripping floats, lists as
// [a b c].
func full(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []float64:
		return list(v, " ", "]", func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) })
	case []int8:
		return list(v, " ", "]", itoa8)
	case []string:
		return "[" + strings.Join(v, " ") + "]"
	}
	return fmt.Sprint(v)
}

// list renders the elements of v with f, separated by sep, after "[" and
// before end.
func list[T any](v []T, sep, end string, f func(T) string) string {
	p := make([]string, len(v))
	for i, x := range v {
		p[i] = f(x)
	}
	return "[" + strings.Join(p, sep) + end
}

func itoa8(x int8) string { return strconv.Itoa(int(x)) }

// listShown is how many list elements the compact text form shows.
const listShown = 8

// compact renders a cell for the text table: floats to 6 significant
// digits, lists truncated to listShown elements.
func compact(v any, all bool) string {
	short := func(n int) int {
		if all || n <= listShown {
			return n
		}
		return listShown
	}
	tail := func(n int) string {
		if all || n <= listShown {
			return "]"
		}
		return " …]"
	}
	switch v := v.(type) {
	case nil:
		return "null"
	case float64:
		return strconv.FormatFloat(v, 'g', 6, 64)
	case []float64:
		return list(v[:short(len(v))], " ", tail(len(v)), func(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) })
	case []int8:
		return list(v[:short(len(v))], " ", tail(len(v)), itoa8)
	case []string:
		return "[" + strings.Join(v[:short(len(v))], " ") + tail(len(v))
	}
	return fmt.Sprint(v)
}

// text prints the metadata block and an aligned table of the first rows.
// It reads the whole input to count the rows.
func text(r *arrowio.Reader, head int, meta, all bool, out io.Writer) error {
	m := r.Meta()
	cols := r.Columns()
	var table [][]string
	n := int64(0)
	for r.Next() {
		b := r.Batch()
		for i := 0; i < b.Rows() && !meta && (head == 0 || len(table) < head); i++ {
			row := make([]string, len(cols))
			for j := range cols {
				row[j] = cli.Printable(compact(b.Cell(j, i), all))
			}
			table = append(table, row)
		}
		n += int64(b.Rows())
	}
	if err := r.Err(); err != nil {
		return err
	}
	// Every string from the file goes through cli.Printable: a file must
	// not be able to retitle or recolour the terminal, or forge lines.
	p := cli.Printable
	if m.Kind == "" {
		fmt.Fprintf(out, "kind:        (none: no dualssl metadata; dualssl-stamp adopts such a file)\n")
		fmt.Fprintf(out, "format:      (none)\n")
	} else {
		fmt.Fprintf(out, "kind:        %s\n", p(string(m.Kind)))
		fmt.Fprintf(out, "format:      %s\n", p(m.Format))
	}
	fmt.Fprintf(out, "model:       %s\n", p(modelLine(m.Model, all)))
	fmt.Fprintf(out, "config:      %s\n", p(orNone(m.Config)))
	if len(m.Provenance) == 0 {
		fmt.Fprintf(out, "provenance:  (none)\n")
	}
	for i, s := range m.Provenance {
		label := "provenance:"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(out, "%-12s %d. %s %s %s\n", label, i+1, p(s.Tool), p(s.Version), p(string(s.Config)))
	}
	cs := make([]string, len(cols))
	for i, c := range cols {
		cs[i] = p(c.Name + " " + c.String())
	}
	fmt.Fprintf(out, "columns:     %s\n", strings.Join(cs, ", "))
	fmt.Fprintf(out, "rows:        %d\n", n)
	if meta || len(cols) == 0 || len(table) == 0 {
		return nil
	}
	fmt.Fprintln(out)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = p(c.Name)
	}
	width := make([]int, len(cols))
	for _, row := range append([][]string{names}, table...) {
		for j, s := range row {
			width[j] = max(width[j], len([]rune(s)))
		}
	}
	for _, row := range append([][]string{names}, table...) {
		var sb strings.Builder
		for j, s := range row {
			if j < len(row)-1 {
				sb.WriteString(s + strings.Repeat(" ", width[j]-len([]rune(s))+2))
			} else {
				sb.WriteString(s)
			}
		}
		fmt.Fprintln(out, sb.String())
	}
	if int64(len(table)) < n {
		fmt.Fprintf(out, "… %d more rows\n", n-int64(len(table)))
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// modelLine summarises the model JSON: shape and the first polarities.
func modelLine(model string, all bool) string {
	if model == "" {
		return "(none)"
	}
	if all {
		return model
	}
	var m hltm.Model
	if err := json.Unmarshal([]byte(model), &m); err != nil {
		if len(model) > 80 {
			return model[:80] + "…"
		}
		return model
	}
	pol := m.Polarities()
	return fmt.Sprintf("hltm depth %d, children %d, %d edges, polarity %s", m.Depth(), m.Children(), len(pol), compact(pol, false))
}
