package arrowio

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Schema versions (dualssl.format, "major.minor"). A kind's major version
// is bumped when its columns change in a way an older reader cannot read,
// so that an older build says "newer format" instead of failing on a column
// type:
//
//	1.0  every kind; the observation columns (x of hltm-samples; x_a, x_b,
//	     x_neg of views) are fixed_size_list<float64>
//	2.0  hltm-samples and views: the observation columns are
//	     fixed_size_list<int8> (0/1, one byte each)
//	3.0  hltm-samples and views: the 0/1 columns (z and x of hltm-samples;
//	     x_a, x_b, z_a, z_b, x_neg of views) are fixed_size_list<bool>,
//	     bit-packed (an eighth of the bytes of int8); writers still write
//	     2.0 with int8 columns on request (Bytes), for older readers
//
// Readers accept every major version from 1 to the kind's current one (and
// any minor of it), and the 0/1 columns as bool, int8 or float64 in any
// of them; a newer major is refused with "written by a newer dualssl".
var formatMajors = map[Kind]int{KindSamples: 3, KindViews: 3}

// Binary is how a writer stores the 0/1 columns of hltm-samples and views.
type Binary int

const (
	// Bits stores them as fixed_size_list<bool>, one bit per value
	// (format 3.0): the default.
	Bits Binary = iota
	// Bytes stores them as fixed_size_list<int8>, one byte per value
	// (format 2.0): what dualssl before 3.0 wrote and reads, and what
	// numpy addresses without unpacking.
	Bytes
)

// Type returns the column type of a 0/1 column stored as b.
func (b Binary) Type() Type {
	if b == Bytes {
		return FixedInt8
	}
	return FixedBool
}

// FormatFor returns the schema version of a file of kind k with columns
// cols: FormatOf(k), except "2.0" for hltm-samples and views without a
// bit-packed (FixedBool) column, such as --int8 output or a foreign file
// with int8 or float64 lists that dualssl-stamp adopts: 2.0 is the newest
// format an older reader of those reads, and the columns are all it needs.
func FormatFor(k Kind, cols []Column) string {
	if k != KindSamples && k != KindViews {
		return FormatOf(k)
	}
	for _, c := range cols {
		if c.Type == FixedBool {
			return FormatOf(k)
		}
	}
	return "2.0"
}

// formatMajor returns the current major version of kind k: the one written,
// and the newest read (1 for the kinds whose columns never changed, and for
// a kind this build does not know).
func formatMajor(k Kind) int {
	if v, ok := formatMajors[k]; ok {
		return v
	}
	return 1
}

// FormatOf returns the schema version written for files of kind k ("3.0"
// for hltm-samples and views, "1.0" for the other kinds).
func FormatOf(k Kind) string { return strconv.Itoa(formatMajor(k)) + ".0" }

// Kind says what a dualssl file holds.
type Kind string

// The kinds of file the toolkit exchanges.
const (
	KindSamples  Kind = "hltm-samples" // one row per HLTM sample: id, z, x
	KindNodes    Kind = "hltm-nodes"   // one row per tree node: the node table
	KindViews    Kind = "views"        // positive pairs (and negatives) per row
	KindNetwork  Kind = "network"      // one row per layer and snapshot
	KindTrainLog Kind = "train-log"    // tidy training log
	KindProbe    Kind = "probe"        // tidy latent-recovery table
	KindCovop    Kind = "covop"        // tidy covariance-operator table
	KindSweep    Kind = "sweep"        // hltm-sweep report: every run's probe and covop rows
	KindEmbed    Kind = "embeddings"   // one row per snapshot and sample: selected activations
	KindLineval  Kind = "lineval"      // tidy linear-evaluation table

	// Side tables: a finer grain of a tool's output, in a file of its own.
	KindProbeNeurons Kind = "probe-neurons" // probe --neurons: one row per neuron
	KindCovopMatrix  Kind = "covop-matrix"  // covop --matrix: the operators' entries
)

// Kinds lists every kind, in pipeline order.
var Kinds = []Kind{KindSamples, KindNodes, KindViews, KindNetwork, KindTrainLog, KindProbe, KindProbeNeurons, KindLineval, KindCovop, KindCovopMatrix, KindEmbed, KindSweep}

// Producer returns the tool that makes files of kind k, for error messages
// ("made by hltm-gen"); it returns "" for an unknown kind.
func (k Kind) Producer() string {
	switch k {
	case KindSamples, KindNodes:
		return "hltm-gen"
	case KindViews:
		return "augment"
	case KindNetwork, KindTrainLog:
		return "ssl-train"
	case KindProbe:
		return "probe"
	case KindProbeNeurons:
		return "probe --neurons"
	case KindCovop:
		return "covop"
	case KindCovopMatrix:
		return "covop --matrix"
	case KindSweep:
		return "hltm-sweep report"
	case KindEmbed:
		return "embed"
	case KindLineval:
		return "probe --lineval"
	}
	return ""
}

// Metadata keys in the Arrow schema.
const (
	KeyKind       = "dualssl.kind"
	KeyFormat     = "dualssl.format"
	KeyModel      = "dualssl.model"
	KeyConfig     = "dualssl.config"
	KeyProvenance = "dualssl.provenance"
)

// ConfigValue returns the value of key in the file's config (a JSON
// object of the writer's flags): a string, float64, bool, … as
// encoding/json decodes it, or nil when absent or unreadable.
func (m Meta) ConfigValue(key string) any {
	var c map[string]any
	if m.Config == "" || json.Unmarshal([]byte(m.Config), &c) != nil {
		return nil
	}
	return c[key]
}

// Step is one stage in a file's provenance.
type Step struct {
	Tool    string          `json:"tool"`
	Version string          `json:"version"`
	Config  json.RawMessage `json:"config"`
}

// PlannedRows returns the number of rows the file's writer set out to
// write, where the provenance records it: an hltm-samples file written by
// hltm-gen has its -n rows, a views file written by augment straight from
// hltm-gen's samples n × --pairs. It returns 0 when that is unknown (another
// writer or an extra stage, such as dualssl-stamp, in between; a
// model-only file). It is a hint for progress reports, never a bound: a
// file may end early (an interrupted writer), and nothing may be allocated
// by it.
func (m Meta) PlannedRows() int64 {
	p := m.Provenance
	num := func(s Step, key string) int64 {
		var c map[string]any
		if json.Unmarshal(s.Config, &c) != nil {
			return 0
		}
		v, ok := c[key].(float64)
		if !ok || v < 1 || v > 1<<53 || v != float64(int64(v)) {
			return 0
		}
		return int64(v)
	}
	switch {
	case m.Kind == KindSamples && len(p) >= 1 && p[len(p)-1].Tool == "hltm-gen":
		return num(p[len(p)-1], "n")
	case m.Kind == KindViews && len(p) >= 2 && p[len(p)-1].Tool == "augment" && p[len(p)-2].Tool == "hltm-gen":
		n, pairs := num(p[len(p)-2], "n"), num(p[len(p)-1], "pairs")
		if n == 0 || pairs == 0 || n > (1<<53)/pairs {
			return 0
		}
		return n * pairs
	}
	return 0
}

// Meta is the schema metadata of a dualssl file.
type Meta struct {
	Kind Kind
	// Format is the schema version; Create writes FormatOf(Kind) when it
	// is empty.
	Format string
	// Model is the canonical JSON of the HLTM ("" when there is none).
	Model string
	// Config is the JSON object of the writing stage's effective flags
	// ("" is written as "{}").
	Config string
	// Provenance lists the stages that led to the file, oldest first; the
	// writing stage is the last one.
	Provenance []Step
}

// WithStep returns a copy of m (the metadata of an input, say) with kind,
// config and a new provenance step for the writing stage. The model is
// carried forward unchanged. config must be a JSON object or "".
func (m Meta) WithStep(kind Kind, tool, version, config string) Meta {
	if config == "" {
		config = "{}"
	}
	out := Meta{Kind: kind, Format: FormatOf(kind), Model: m.Model, Config: config}
	out.Provenance = append(append([]Step(nil), m.Provenance...), Step{Tool: tool, Version: version, Config: json.RawMessage(config)})
	return out
}

// keysValues returns the metadata as Arrow key/value lists in a fixed order.
func (m Meta) keysValues() (keys, vals []string, err error) {
	format := m.Format
	if format == "" {
		format = FormatOf(m.Kind)
	}
	config := m.Config
	if config == "" {
		config = "{}"
	}
	if !json.Valid([]byte(config)) {
		return nil, nil, fmt.Errorf("config is not valid JSON: %.40q", config)
	}
	if m.Model != "" && !json.Valid([]byte(m.Model)) {
		return nil, nil, fmt.Errorf("model is not valid JSON: %.40q", m.Model)
	}
	prov := m.Provenance
	if prov == nil {
		prov = []Step{}
	}
	p, err := json.Marshal(prov)
	if err != nil {
		return nil, nil, fmt.Errorf("provenance: %w", err)
	}
	if m.Model == "" {
		// A table of no single model (a sweep's) has no model key, never
		// an empty one.
		return []string{KeyKind, KeyFormat, KeyConfig, KeyProvenance},
			[]string{string(m.Kind), format, config, string(p)}, nil
	}
	return []string{KeyKind, KeyFormat, KeyModel, KeyConfig, KeyProvenance},
		[]string{string(m.Kind), format, m.Model, config, string(p)}, nil
}

// parseMeta validates the metadata read from a schema. name is the input's
// name for messages.
func parseMeta(name string, get func(key string) (string, bool)) (Meta, error) {
	var m Meta
	kind, ok := get(KeyKind)
	if !ok || kind == "" {
		return m, fmt.Errorf("arrowio: %s: not a dualssl file (no %s in the schema metadata)", name, KeyKind)
	}
	m.Kind = Kind(kind)
	m.Format, ok = get(KeyFormat)
	if !ok || m.Format == "" {
		return m, fmt.Errorf("arrowio: %s: no %s in the schema metadata", name, KeyFormat)
	}
	major, _, _ := strings.Cut(m.Format, ".")
	v, err := strconv.Atoi(major)
	if err != nil || v < 1 {
		return m, fmt.Errorf("arrowio: %s: %s %q is not a dualssl format version (major.minor, as %s)", name, KeyFormat, m.Format, FormatOf(m.Kind))
	}
	if v > formatMajor(m.Kind) {
		return m, fmt.Errorf("arrowio: %s: written by a newer dualssl (format %s); upgrade (this dualssl reads %s files up to format %d.x)", name, m.Format, m.Kind, formatMajor(m.Kind))
	}
	m.Model, _ = get(KeyModel)
	m.Config, _ = get(KeyConfig)
	if p, ok := get(KeyProvenance); ok && p != "" {
		if err := json.Unmarshal([]byte(p), &m.Provenance); err != nil {
			return m, fmt.Errorf("arrowio: %s: %s is not a JSON array of steps: %w", name, KeyProvenance, err)
		}
	}
	return m, nil
}
