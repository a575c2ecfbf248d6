// Package nn holds the dual network's two architectures as one structure:
// a stack of block-sparse fully connected layers.
//
// Layer l (1 … L, stored in Layers[l−1]) maps the previous activation f_{l−1}
// (f_0 = x, the input) to the pre-activation h_l = W_l f_{l−1} + b_l and
// f_l = ReLU(h_l); the output f = f_L = h_L has no ReLU. W_l is block-sparse:
// each Block owns a contiguous range of h_l and reads a contiguous range of
// f_{l−1}.
//
//   - The tree network (Arch "tree") mirrors an HLTM: layer l is the tree's
//     level Depth−l, one block per latent node μ with Hid neurons, reading the
//     concatenated outputs of μ's children (which are contiguous because node
//     ids are breadth-first). The root's block is the output.
//   - The MLP (Arch "mlp") has one dense block per layer.
//
// Batches are row-major: a batch of B vectors of width d is a []float64 of
// length B·d. The package does math only; it knows no I/O.
//
// Backward back-propagates ∂L/∂f through the activations of a Forward and
// sums the weight gradient over the batch into a network of the same shape
// (ZeroLike). On amd64 CPUs with AVX2 and FMA both passes run on small
// assembly kernels (strip_amd64.s) that broadcast one input and update three
// four-lane strips of outputs; elsewhere, or with the purego build tag, on
// portable Go loops. A sample's arithmetic does not depend on its position
// in the batch, so results do not depend on how a batch is split.
//
// The feature-major passes (LanesOf, ForwardLanesWith, BackwardLanesWith),
// which training uses, also run in float32 on float32 copies of the
// parameters (ParamsOf): the same arithmetic on eight samples per AVX2
// register instead of four, an explicit choice of the caller. Every exact
// check uses float64.
package nn
