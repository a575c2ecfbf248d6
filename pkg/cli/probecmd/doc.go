// Package probecmd is the probe command: it measures how well every snapshot
// of a trained dual network recovers the HLTM's latents (the paper's
// Section 6 measure), against the ceiling no neuron can beat, and writes
// tidy tables, a per-level summary on stderr and optionally a figure.
//
// Tables (kind "probe"):
//
//   - --out: one row per (epoch, latent node): epoch, node, name, level,
//     depth_index, layer, best_abs_corr, best_corr, best_neuron, ceiling,
//     fraction. For a tree network, layer is the network layer of the
//     node's group and best_neuron indexes the group (0 … hid−1); for an
//     MLP, layer is the layer holding the best neuron and best_neuron
//     indexes that layer. ceiling is corr(z, E[z | leaves the neurons
//     see]) and fraction = best_abs_corr / ceiling (0 when the ceiling is
//     0).
//   - --neurons FILE: one row per (epoch, node, layer, neuron): epoch, node,
//     name, level, depth_index, layer, neuron, corr (signed). A separate
//     file keeps both tables tidy (one grain each).
package probecmd
