// Package probe measures how well a dual network's neurons recover the
// latent variables of a hierarchical latent tree model (Tian, Yu, Chen and
// Ganguli, arXiv 2010.00578, Section 6), together with the best any neuron
// could possibly do.
//
// For every network snapshot, latent μ and neuron k that may represent it
// (tree network: the group N_μ of μ's block; MLP: every neuron of every
// layer) a Prober accumulates the Pearson correlation between z_μ ∈ {0,1}
// and the neuron's pre-activation h_k over all probe samples, with
// population moments; 0/0 counts as 0 and the result is clamped to [−1, 1].
// best(μ) = max_k |corr|.
//
// The ceiling: a neuron of N_μ sees only the leaves under μ, so in the
// population no function of them correlates with z_μ better than the
// posterior mean E[z_μ | leaves under μ] (for an MLP, which sees every leaf:
// E[z_μ | all leaves]). The Prober computes both posteriors for every sample
// by exact message passing on the tree (Posterior) and reports
// ceiling(μ) = corr(z_μ, posterior) and the recovered fraction
// best(μ)/ceiling(μ). Both are sample estimates over the same samples, so a
// fraction may exceed 1 by sampling noise.
//
// Samples stream in through Prober.Add in batches of any size and memory
// does not grow with their number: correlations are kept as co-moment
// accumulators (Bivariate, Chan et al. merges) over fixed-size batches of
// samples (BatchSize, less for very wide networks) that are merged in
// sample order, so results do not depend on how the caller splits its
// input nor on the number of threads.
//
// Speed: a tree network's lowest layers see few leaves (at most 10, so at
// most 1024 configurations per node), so for 0/1 leaves their pre-activations
// are tabulated once per snapshot and their moments come from exact counts
// of (configuration, z); only the upper layers run per sample. Probing 51
// snapshots of the reference network (depth 5, binary, hid 10) on 64000
// samples takes about 2.5 CPU seconds (BenchmarkReference).
//
// The package does math only; it knows no I/O.
package probe
