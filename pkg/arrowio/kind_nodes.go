package arrowio

// NodeRow is one row of the node table (kind "hltm-nodes", hltm-gen
// --nodes): one node of the HLTM.
type NodeRow struct {
	ID           int32   // node id (root 0, level order)
	Name         string  // "root", "z<id>" or "x<id>"
	Parent       int32   // parent's id (−1 for the root)
	Level        int32   // level (root 0)
	DepthIndex   int32   // the reference's depth index (Depth − level)
	Leaf         bool    // an observed leaf
	Polarity     float64 // the node's polarity ρ (its coupling to its parent)
	RootPolarity float64 // product of the polarities up to the root
}

// Nodes is the contract of the node table.
var Nodes = Rows[NodeRow]{Kind: KindNodes, Fields: []Field[NodeRow]{
	Int32Field("id", func(r *NodeRow) *int32 { return &r.ID }),
	StringField("name", func(r *NodeRow) *string { return &r.Name }),
	Int32Field("parent", func(r *NodeRow) *int32 { return &r.Parent }),
	Int32Field("level", func(r *NodeRow) *int32 { return &r.Level }),
	Int32Field("depth_index", func(r *NodeRow) *int32 { return &r.DepthIndex }),
	BoolField("leaf", func(r *NodeRow) *bool { return &r.Leaf }),
	Float64Field("polarity", func(r *NodeRow) *float64 { return &r.Polarity }),
	Float64Field("root_polarity", func(r *NodeRow) *float64 { return &r.RootPolarity }),
}}
