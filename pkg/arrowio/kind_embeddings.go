package arrowio

// Embedding files (kind "embeddings", written by embed): one row per
// network snapshot and input sample, the snapshot's activations of that
// sample in fixed-size lists (a NumPy array per column, one tidy row per
// sample for DuckDB):
//
//	epoch int32                           the snapshot's epoch
//	id    int64                           the sample's id in the input
//	<name> fixed_size_list<float64>[w]    one column per selected block
//	                                      (f, f_norm, h_level3, a_z5, …)
//	z     fixed_size_list<int8>[nodes]    the latents, when the input has them

// EmbedBlock names one activation column of an embedding file and its
// width.
type EmbedBlock struct {
	Name  string
	Width int
}

// EmbedColumns returns the columns of an embedding file with the given
// blocks, and the latents column z when nodes > 0.
func EmbedColumns(blocks []EmbedBlock, nodes int) []Column {
	cols := []Column{{Name: "epoch", Type: Int32}, {Name: "id", Type: Int64}}
	for _, b := range blocks {
		cols = append(cols, Column{Name: b.Name, Type: FixedFloat64, Size: b.Width})
	}
	if nodes > 0 {
		cols = append(cols, Column{Name: "z", Type: FixedInt8, Size: nodes})
	}
	return cols
}
