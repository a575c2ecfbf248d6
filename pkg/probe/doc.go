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
// by exact message passing on the tree (Posterior; tabulated, see Speed)
// and reports ceiling(μ) = corr(z_μ, posterior) and the recovered fraction
// best(μ)/ceiling(μ). Both are sample estimates over the same samples, so a
// fraction may exceed 1 by sampling noise.
//
// Samples stream in through Prober.Add in batches of any size and memory
// does not grow with their number: correlations are kept as co-moment
// accumulators over fixed-size batches of samples (BatchSize, less for
// very wide networks), each batch summarised in two passes and merged in
// sample order (Chan et al.), so results do not depend on how the caller
// splits its input nor on the number of threads.
//
// Speed: the ceilings tabulate the posterior by leaf pattern. A latent
// with at most 10 leaves under it has at most 1024 patterns of them; its
// upward message is computed once per pattern (the arithmetic of
// hltm.Model.Upward, so E[z | leaves under] is exact to the bit) and its
// subtree ceiling comes from counts of (pattern, z). Only the latents
// above combine their children's messages per sample, and E[z | all
// leaves] comes down the tree in one multiply-add per latent. A tree
// network's lowest layers see as few leaves, so for 0/1 leaves their
// pre-activations are tabulated once per snapshot and their moments come
// from the same counts; the first layer above them is a sum of per-child
// tables, and only the layers above that run per sample, feature-major
// through package nn's lane kernels (AVX2 where the CPU has it), with the
// moments taken by AVX row kernels. The per-sample loops of the first
// version (Posterior and Bivariate per sample, a scalar forward pass) are
// kept as the reference the fast path is tested against; the two agree to
// ~1e-14 (the order of the sums differs). On the reference (depth 5,
// binary, hid 10, 64000 samples) the ceilings cost about 0.15 µs per
// sample and each snapshot about 0.03 µs per sample on one core
// (BenchmarkSampleStats, BenchmarkSnapshot); 51 snapshots take about 0.2
// CPU seconds in all (BenchmarkReference). An MLP runs every layer
// through the lane kernels, and its co-moments with every latent are one
// matrix product per layer and batch, by the same kernels (BenchmarkMLP:
// 2 CPU seconds for 51 snapshots, 5.3 with the scalar loops).
//
// The package does math only; it knows no I/O.
package probe
