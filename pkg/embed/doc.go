// Package embed selects a dual network's activations for export: the root
// embedding f (as the network outputs it, and normalised f/(‖f‖+ε) as the
// losses see it), and any layer's or tree node's pre-activations h and
// post-activations ReLU(h).
//
// A selection is a list of items, each naming one output column:
//
//	f              the root embedding (the output, no ReLU)
//	f_norm         f/(‖f‖+ε), ε = loss.DefaultEps
//	h_level<k>     pre-activations of every node of tree level k (root 0),
//	a_level<k>     and after the ReLU (not for the output level)
//	h_<node>       one tree node's neurons, by block name ("root", "z5"),
//	a_<node>       and after the ReLU
//	h_layer<l>     an MLP's layer l = 1 … L, and after the ReLU
//	a_layer<l>
//	all            h and a of every layer (a except the output)
//
// An Embedder runs the network on batches of inputs and returns each
// selected block for each sample; a sample's values do not depend on the
// batch it comes in (nn.Network.Forward), so the output is byte-identical
// however the input is split.
//
// The package does math only; it knows no I/O.
package embed
