package arrowio

// Probe tables (kind "probe", written by probe): one row per snapshot and
// latent in the main output, one row per snapshot, latent and neuron in
// the --neurons side table. Columns, in order, are the fields below.

// ProbeNode is one row of a probe table: how well the snapshot of Epoch
// recovers latent Node.
type ProbeNode struct {
	Epoch       int32   // the snapshot's epoch
	Node        int32   // HLTM node id
	Name        string  // the node's name ("root", "z<id>")
	Level       int32   // HLTM level (root 0)
	DepthIndex  int32   // the reference's depth index (Depth − level)
	Layer       int32   // network layer of the best neuron
	BestAbsCorr float64 // best |corr| over the neurons that may represent the node
	BestCorr    float64 // that neuron's signed correlation
	BestNeuron  int32   // that neuron's index within Layer
	Ceiling     float64 // corr(z, E[z | the leaves those neurons see])
	Fraction    float64 // BestAbsCorr / Ceiling
	// Amplification against the first snapshot (docs/theory.md §10), over
	// the neurons compared with the node in Layer:
	AmpSpearman float64 // Spearman of |corr| at the first snapshot and at this one (NaN if undefined)
	AmpInitRank int32   // rank at the first snapshot (1 = best) of this snapshot's best neuron
	AmpNeurons  int32   // neurons compared (chance of rank 1: 1/AmpNeurons)
	AmpSignKept float64 // fraction of those neurons whose correlation kept its sign
}

// ProbeNodes is the contract of the probe table.
var ProbeNodes = Rows[ProbeNode]{Kind: KindProbe, Fields: []Field[ProbeNode]{
	Int32Field("epoch", func(r *ProbeNode) *int32 { return &r.Epoch }),
	Int32Field("node", func(r *ProbeNode) *int32 { return &r.Node }),
	StringField("name", func(r *ProbeNode) *string { return &r.Name }),
	Int32Field("level", func(r *ProbeNode) *int32 { return &r.Level }),
	Int32Field("depth_index", func(r *ProbeNode) *int32 { return &r.DepthIndex }),
	Int32Field("layer", func(r *ProbeNode) *int32 { return &r.Layer }),
	Float64Field("best_abs_corr", func(r *ProbeNode) *float64 { return &r.BestAbsCorr }),
	Float64Field("best_corr", func(r *ProbeNode) *float64 { return &r.BestCorr }),
	Int32Field("best_neuron", func(r *ProbeNode) *int32 { return &r.BestNeuron }),
	Float64Field("ceiling", func(r *ProbeNode) *float64 { return &r.Ceiling }),
	Float64Field("fraction", func(r *ProbeNode) *float64 { return &r.Fraction }),
	Float64Field("amp_spearman", func(r *ProbeNode) *float64 { return &r.AmpSpearman }),
	Int32Field("amp_init_rank", func(r *ProbeNode) *int32 { return &r.AmpInitRank }),
	Int32Field("amp_neurons", func(r *ProbeNode) *int32 { return &r.AmpNeurons }),
	Float64Field("amp_sign_kept", func(r *ProbeNode) *float64 { return &r.AmpSignKept }),
}}

// ProbeNeuron is one row of probe's --neurons side table: one neuron's
// correlation with one latent.
type ProbeNeuron struct {
	Epoch      int32
	Node       int32
	Name       string
	Level      int32
	DepthIndex int32
	Layer      int32
	Neuron     int32   // the neuron's index within Layer
	Corr       float64 // corr(z_Node, the neuron's pre-activation)
}

// ProbeNeurons is the contract of probe's --neurons table (kind probe-neurons).
var ProbeNeurons = Rows[ProbeNeuron]{Kind: KindProbeNeurons, Fields: []Field[ProbeNeuron]{
	Int32Field("epoch", func(r *ProbeNeuron) *int32 { return &r.Epoch }),
	Int32Field("node", func(r *ProbeNeuron) *int32 { return &r.Node }),
	StringField("name", func(r *ProbeNeuron) *string { return &r.Name }),
	Int32Field("level", func(r *ProbeNeuron) *int32 { return &r.Level }),
	Int32Field("depth_index", func(r *ProbeNeuron) *int32 { return &r.DepthIndex }),
	Int32Field("layer", func(r *ProbeNeuron) *int32 { return &r.Layer }),
	Int32Field("neuron", func(r *ProbeNeuron) *int32 { return &r.Neuron }),
	Float64Field("corr", func(r *ProbeNeuron) *float64 { return &r.Corr }),
}}
