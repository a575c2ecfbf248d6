package arrowio

// Linear-evaluation tables (kind "lineval", written by probe --lineval):
// one row per snapshot, latent and feature set. Columns, in order, are the
// fields below.

// LinevalRow is one row of a linear-evaluation table: a logistic
// regression of latent Node on one feature set of the snapshot of Epoch.
type LinevalRow struct {
	Epoch      int32   // the snapshot's epoch
	Node       int32   // HLTM node id
	Name       string  // the node's name ("root", "z<id>")
	Level      int32   // HLTM level (root 0)
	DepthIndex int32   // the reference's depth index (Depth − level)
	Features   string  // root, level, node, or layer<l> (MLP)
	Dim        int32   // number of features
	Lambda     float64 // L2 regulariser chosen on the validation split
	ValAcc     float64 // validation accuracy at Lambda
	Accuracy   float64 // held-out accuracy
	StdErr     float64 // its standard error
	Ceiling    float64 // Bayes accuracy given the leaves the features see (test-sample estimate)
	CeilingSE  float64 // its standard error
	Exact      float64 // the same ceiling summed exactly (NaN when too many leaves)
}

// Lineval is the contract of the linear-evaluation table.
var Lineval = Rows[LinevalRow]{Kind: KindLineval, Fields: []Field[LinevalRow]{
	Int32Field("epoch", func(r *LinevalRow) *int32 { return &r.Epoch }),
	Int32Field("node", func(r *LinevalRow) *int32 { return &r.Node }),
	StringField("name", func(r *LinevalRow) *string { return &r.Name }),
	Int32Field("level", func(r *LinevalRow) *int32 { return &r.Level }),
	Int32Field("depth_index", func(r *LinevalRow) *int32 { return &r.DepthIndex }),
	StringField("features", func(r *LinevalRow) *string { return &r.Features }),
	Int32Field("dim", func(r *LinevalRow) *int32 { return &r.Dim }),
	Float64Field("lambda", func(r *LinevalRow) *float64 { return &r.Lambda }),
	Float64Field("val_accuracy", func(r *LinevalRow) *float64 { return &r.ValAcc }),
	Float64Field("accuracy", func(r *LinevalRow) *float64 { return &r.Accuracy }),
	Float64Field("stderr", func(r *LinevalRow) *float64 { return &r.StdErr }),
	Float64Field("ceiling", func(r *LinevalRow) *float64 { return &r.Ceiling }),
	Float64Field("ceiling_stderr", func(r *LinevalRow) *float64 { return &r.CeilingSE }),
	Float64Field("ceiling_exact", func(r *LinevalRow) *float64 { return &r.Exact }),
}}
