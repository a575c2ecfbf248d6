package sweep

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/dualssl/dualssl/pkg/hltm"
)

// Type is the type of a grid parameter's values.
type Type int

// Parameter value types.
const (
	Int    Type = iota // a decimal integer; ranges a..b allowed
	Float              // a finite decimal or exponent float
	String             // a word of letters, digits, '.', '_', '+' and '-'
)

func (t Type) String() string {
	switch t {
	case Int:
		return "int64"
	case Float:
		return "float64"
	}
	return "string"
}

// Param is one parameter a grid can sweep.
type Param struct {
	Key     string // name in the grid file, path and report columns
	Type    Type
	Default string // value used when the grid does not name the key
	Doc     string // one line for --help
	// check validates one value (already of the right type); nil accepts all.
	check func(v Value) error
}

// Params lists the grid parameters in canonical order: the order of path
// components and report columns. seed is last so that the runs of one
// setting share a directory prefix.
var Params = []Param{
	{Key: "depth", Type: Int, Default: "5", Doc: "HLTM depth (edges root to leaf)", check: atLeast(1)},
	{Key: "children", Type: Int, Default: "2", Doc: "children per HLTM node", check: atLeast(1)},
	{Key: "delta_lower", Type: Float, Default: "0.8", Doc: "lower bound of |polarity|", check: unit},
	{Key: "delta_upper", Type: Float, Default: "1", Doc: "upper bound of |polarity|", check: unit},
	{Key: "keep", Type: String, Default: "root", Doc: "latents a positive pair shares: root, leaves or a level number K (augment --keep level:K)", check: keepLevel},
	{Key: "arch", Type: String, Default: "tree", Doc: "network architecture", check: oneOf("tree", "mlp")},
	{Key: "hid", Type: Int, Default: "10", Doc: "neurons per latent node", check: atLeast(1)},
	{Key: "loss", Type: String, Default: "nce-ref", Doc: "contrastive loss", check: oneOf("simp", "tri", "nce", "nce-ref")},
	{Key: "temp", Type: Float, Default: "0.1", Doc: "loss temperature", check: positive},
	{Key: "epochs", Type: Int, Default: "50", Doc: "training epochs", check: atLeast(1)},
	{Key: "epoch_rows", Type: Int, Default: "64000", Doc: "pairs per epoch", check: atLeast(1)},
	{Key: "batch", Type: Int, Default: "128", Doc: "batch size", check: atLeast(1)},
	{Key: "lr", Type: Float, Default: "0.1", Doc: "SGD learning rate", check: positive},
	{Key: "normalize", Type: String, Default: "true", Doc: "train on f/(|f|+eps) (ssl-train --normalize)", check: oneOf("true", "false")},
	{Key: "bias", Type: String, Default: "true", Doc: "train biases (ssl-train --bias)", check: oneOf("true", "false")},
	{Key: "n_probe", Type: Int, Default: "10000", Doc: "fresh samples for probing and covop", check: atLeast(2)},
	{Key: "seed", Type: Int, Default: "1", Doc: "base seed of every random stream of the run", check: atLeast(0)},
}

// Extras are the keys whose value is extra flags for one tool, appended to
// its command line in every run (not swept). The value is split into words
// on blanks (ExtraWords) and each word reaches the tool literally: the
// Makefile quotes it for bash and make, so no shell ever interprets it.
var Extras = []string{"gen_args", "augment_args", "train_args", "probe_args", "covop_args"}

// OptionCovop is the key of the boolean option that turns the covop stage
// on (default) or off for every run.
const OptionCovop = "covop"

// MaxRuns bounds the size of an expanded grid, so a typo such as
// seed = 1..100000000 fails cleanly.
const MaxRuns = 100000

// ParamIndex returns the index of key in Params, or -1.
func ParamIndex(key string) int {
	for i := range Params {
		if Params[i].Key == key {
			return i
		}
	}
	return -1
}

// Value is one parameter value: its canonical text and its number.
type Value struct {
	Key   string
	Type  Type
	Text  string  // canonical text, as in paths and commands
	Int   int64   // the value when Type is Int
	Float float64 // the value when Type is Float (and Int, converted)
}

// Axis is one parameter named by a grid file with its values in file order.
type Axis struct {
	Key    string
	Line   int // line number in the grid file (1-based)
	Values []Value
}

// Block is one section of a grid: a full-factorial product of its axes.
type Block struct {
	Name string // the section's name; "" for a grid without sections
	Line int    // line of the section header (0 without sections)
	// Axes are the parameters of the block (the grid's common lines merged
	// with the section's own, which override them), in the order of Params.
	Axes []Axis
}

// Grid is a parsed grid file.
type Grid struct {
	Name   string  // the file's name, for messages
	Blocks []Block // at least one
	Extra  map[string]string
	Covop  bool // run the covop stage
}

var wordRE = regexp.MustCompile(`^[A-Za-z0-9._+-]+$`)

// ParseGrid parses the grid file text src; name is used in messages
// ("grid.txt:3: …"). See the package documentation for the format.
func ParseGrid(name string, src []byte) (*Grid, error) {
	g := &Grid{Name: name, Extra: map[string]string{}, Covop: true}
	var common []Axis
	type section struct {
		name string
		line int
		axes []Axis
	}
	var sections []*section
	seen := map[string]int{} // key → line, in the current part
	sectionLine := map[string]int{}
	// A byte-order mark (Windows editors write one) is not part of the
	// first key; CRLF line ends are trimmed with the other blanks below.
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	lines := strings.Split(string(src), "\n")
	for i, raw := range lines {
		lineNo := i + 1
		line := raw
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" {
			continue
		}
		where := fmt.Sprintf("%s:%d", name, lineNo)
		if strings.HasPrefix(line, "[") {
			sname, ok := strings.CutSuffix(strings.TrimPrefix(line, "["), "]")
			sname = strings.TrimSpace(sname)
			if !ok || !wordRE.MatchString(sname) {
				return nil, fmt.Errorf("sweep: %s: %q: a section header is [name], a word of letters, digits, '.', '_', '+' and '-'", where, line)
			}
			if prev, dup := sectionLine[sname]; dup {
				return nil, fmt.Errorf("sweep: %s: section [%s] already begins on line %d", where, sname, prev)
			}
			sectionLine[sname] = lineNo
			sections = append(sections, &section{name: sname, line: lineNo})
			seen = map[string]int{}
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("sweep: %s: %q is not of the form key = value[, value…]", where, line)
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if key == "" {
			return nil, fmt.Errorf("sweep: %s: no parameter name before '='", where)
		}
		if key == "seeds" { // a natural plural; one name in paths and columns
			key = "seed"
		}
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("sweep: %s: %s is already set on line %d: list all its values on one line", where, key, prev)
		}
		seen[key] = lineNo
		if isExtra(key) || key == OptionCovop {
			if len(sections) > 0 {
				return nil, fmt.Errorf("sweep: %s: %s applies to every run: set it before the first [section]", where, key)
			}
			if key == OptionCovop {
				b, err := strconv.ParseBool(val)
				if err != nil {
					return nil, fmt.Errorf("sweep: %s: covop = %q: want true or false", where, val)
				}
				g.Covop = b
				continue
			}
			if strings.ContainsAny(val, "\\`") {
				return nil, fmt.Errorf("sweep: %s: %s: backslashes and backquotes are not allowed in extra flags", where, key)
			}
			if err := checkExtra(key, val); err != nil {
				return nil, fmt.Errorf("sweep: %s: %w", where, err)
			}
			g.Extra[key] = val
			continue
		}
		pi := ParamIndex(key)
		if pi < 0 {
			return nil, fmt.Errorf("sweep: %s: unknown parameter %q (known: %s)", where, key, knownKeys())
		}
		vals, err := parseValues(&Params[pi], val)
		if err != nil {
			return nil, fmt.Errorf("sweep: %s: %s: %w", where, key, err)
		}
		a := Axis{Key: key, Line: lineNo, Values: vals}
		if len(sections) > 0 {
			s := sections[len(sections)-1]
			s.axes = append(s.axes, a)
		} else {
			common = append(common, a)
		}
	}
	byParams := func(axes []Axis) []Axis {
		sort.SliceStable(axes, func(a, b int) bool { return ParamIndex(axes[a].Key) < ParamIndex(axes[b].Key) })
		return axes
	}
	if len(sections) == 0 {
		if len(common) == 0 {
			return nil, fmt.Errorf("sweep: %s: empty grid: name at least one parameter, e.g. \"seed = 1..5\" (known: %s)", name, knownKeys())
		}
		g.Blocks = []Block{{Axes: byParams(common)}}
		return g, nil
	}
	for _, s := range sections {
		axes := append([]Axis(nil), s.axes...)
		for _, c := range common {
			overridden := false
			for _, a := range s.axes {
				overridden = overridden || a.Key == c.Key
			}
			if !overridden {
				axes = append(axes, c)
			}
		}
		if len(axes) == 0 {
			return nil, fmt.Errorf("sweep: %s:%d: section [%s] is empty and there are no common parameters before it", name, s.line, s.name)
		}
		g.Blocks = append(g.Blocks, Block{Name: s.name, Line: s.line, Axes: byParams(axes)})
	}
	return g, nil
}

func isExtra(key string) bool {
	for _, e := range Extras {
		if e == key {
			return true
		}
	}
	return false
}

func knownKeys() string {
	keys := make([]string, 0, len(Params)+len(Extras)+1)
	for _, p := range Params {
		keys = append(keys, p.Key)
	}
	keys = append(keys, Extras...)
	keys = append(keys, OptionCovop)
	return strings.Join(keys, ", ")
}

// parseValues parses a comma-separated list of values (with integer ranges).
func parseValues(p *Param, list string) ([]Value, error) {
	if list == "" {
		return nil, fmt.Errorf("no values after '='")
	}
	var out []Value
	seen := map[string]bool{}
	add := func(v Value) error {
		if seen[v.Text] {
			return fmt.Errorf("value %s is listed twice", v.Text)
		}
		seen[v.Text] = true
		out = append(out, v)
		if len(out) > MaxRuns {
			return fmt.Errorf("more than %d values", MaxRuns)
		}
		return nil
	}
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("empty value in %q", list)
		}
		if lo, hi, isRange := strings.Cut(item, ".."); isRange {
			if p.Type != Int {
				return nil, fmt.Errorf("range %q: ranges a..b are for integer parameters only", item)
			}
			a, err1 := strconv.ParseInt(strings.TrimSpace(lo), 10, 64)
			b, err2 := strconv.ParseInt(strings.TrimSpace(hi), 10, 64)
			if err1 != nil || err2 != nil || b < a {
				return nil, fmt.Errorf("range %q: want a..b with integers a ≤ b", item)
			}
			// b−a in uint64: it cannot overflow for a ≤ b, as int64 can
			// (-1..9223372036854775807).
			if uint64(b)-uint64(a) >= MaxRuns {
				return nil, fmt.Errorf("range %q has more than %d values", item, MaxRuns)
			}
			// Count the values rather than step k past b: k++ would wrap
			// when b is the largest int64.
			for i := int64(0); i <= b-a; i++ {
				k := a + i
				v, err := ParseValue(p, strconv.FormatInt(k, 10))
				if err != nil {
					return nil, err
				}
				if err := add(v); err != nil {
					return nil, err
				}
			}
			continue
		}
		v, err := ParseValue(p, item)
		if err != nil {
			return nil, err
		}
		if err := add(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ParseValue parses and validates one value of parameter p and returns it
// with its canonical text (integers in decimal, floats in the shortest
// form that round-trips, e.g. 0.8, 1e-05).
func ParseValue(p *Param, s string) (Value, error) {
	v := Value{Key: p.Key, Type: p.Type}
	switch p.Type {
	case Int:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return v, fmt.Errorf("%q is not an integer", s)
		}
		v.Int, v.Float, v.Text = n, float64(n), strconv.FormatInt(n, 10)
	case Float:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return v, fmt.Errorf("%q is not a finite number", s)
		}
		if f == 0 {
			f = 0 // -0 and 0 are one value
		}
		v.Float, v.Text = f, strconv.FormatFloat(f, 'g', -1, 64)
	default:
		if !wordRE.MatchString(s) {
			return v, fmt.Errorf("%q: values are words of letters, digits, '.', '_', '+' and '-'", s)
		}
		v.Text = s
	}
	if p.check != nil {
		if err := p.check(v); err != nil {
			return v, err
		}
	}
	return v, nil
}

func atLeast(min int64) func(Value) error {
	return func(v Value) error {
		if v.Int < min {
			return fmt.Errorf("%d: must be at least %d", v.Int, min)
		}
		return nil
	}
}

func unit(v Value) error {
	if v.Float < 0 || v.Float > 1 {
		return fmt.Errorf("%s: must lie in [0, 1]", v.Text)
	}
	return nil
}

func positive(v Value) error {
	if !(v.Float > 0) {
		return fmt.Errorf("%s: must be positive", v.Text)
	}
	return nil
}

// keepLevel accepts augment's --keep vocabulary (hltm.ParseLevel) with a
// level written as its number K, since a grid value is a path segment of
// make targets, where the colon of level:K cannot go (see KeepFlag).
func keepLevel(v Value) error {
	if _, err := hltm.ParseLevel(KeepFlag(v.Text), -1); err != nil {
		return fmt.Errorf("%q: want root, leaves or a level number K (for augment's level:K)", v.Text)
	}
	return nil
}

// KeepFlag turns a grid's keep value into augment's --keep: a level
// number K becomes level:K; root and leaves stay.
func KeepFlag(v string) string {
	if _, err := strconv.Atoi(v); err == nil {
		return "level:" + v
	}
	return v
}

func oneOf(words ...string) func(Value) error {
	return func(v Value) error {
		for _, w := range words {
			if v.Text == w {
				return nil
			}
		}
		return fmt.Errorf("%q: want one of %s", v.Text, strings.Join(words, ", "))
	}
}
