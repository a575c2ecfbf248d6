// Package train trains the dual network with SGD on batches of views.
//
// A Trainer owns the network, its momentum and the step counter, and
// performs one SGD step per batch: the anchors x_a, the positives x_b and
// the explicit negatives (if any) go through the shared-weight network, the
// outputs are normalised (f̂ = f/(‖f‖+ε), switchable), the loss and its
// gradient are computed on the whole batch, and the gradient flows back.
//
// Results do not depend on the number of threads: a batch is cut into
// chunks of ChunkRows anchors whatever the thread count, every chunk
// computes its own forward pass and weight gradient, and the chunks'
// gradients are summed in chunk order. In-batch negatives are drawn from
// the stream rng.New(seed, rng.Train, step), so a run resumed at a step
// boundary continues exactly as an uninterrupted one. Config.Precision
// Float32 runs the network passes in float32 on float32 weights (the
// loss, the chunk sum and the update stay float64); it is as deterministic.
//
// Loop drives a Trainer over epochs of a Source (a stream of fresh views,
// or a replayed set reshuffled each epoch) and calls hooks after every step
// and every epoch; it knows no I/O.
package train
