// Package embedcmd is the embed command: it runs network snapshots on
// samples (hltm-gen) or views (augment) and writes, per snapshot and
// sample, the activations the user selects (the root embedding f, its
// normalised form, any level's, layer's or node's pre- and
// post-activations; see pkg/embed), with the latents z beside them when
// the input has them.
//
// Table (kind "embeddings", see arrowio.EmbedColumns): epoch, id, one
// fixed_size_list<float64> column per selected block, and z.
package embedcmd
