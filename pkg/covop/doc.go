// Package covop computes what Tian, Yu, Chen and Ganguli (arXiv 2010.00578)
// prove drives learning in a dual ReLU network: for every layer, the
// covariance operator of the augmentation-averaged connection (docs/theory.md
// §6), its spectrum, and the Theorem 1 check.
//
// # Definitions
//
// For layer l with input f_{l−1} and top-down Jacobian J_l = ∂f/∂h_l taken at
// the un-normalised output f (nn.Jacobians), the connection is
//
//	K_l(x) = f_{l−1}(x) ⊗ J_l(x)ᵀ,  of size d_l × n_L,
//
// its augmentation mean is K̄_l(key) = E[K_l(x) | key] (the key is the value
// of the kept latents, the "data point"), and the covariance operator is
//
//	OP_l = Σ_key w_key (K̄_l(key) − K̄_l)(K̄_l(key) − K̄_l)ᵀ,  K̄_l = Σ_key w_key K̄_l(key),
//
// with w_key the key's probability (its frequency in Monte Carlo data). OP_l
// is symmetric positive semi-definite of side d_l. With the root as the only
// kept latent there are two keys and OP_l = p₀p₁·D Dᵀ, D = K̄(1) − K̄(0), so
// its rank is at most n_L.
//
// # Ordering (the vec convention)
//
// vec stacks columns: entry (o, i) of an Out × In weight matrix W (stored
// row-major in nn.Block.W at o·In+i) is entry i·Out+o of vec(W). With this
// convention f = K_lᵀ vec(W_l) exactly for a bias-free network, row i·Out+o
// of K_l is f_{l−1}[i]·∂f/∂h_l[o], and −∇_{vec W_l} E[½d₊² − ½d₋²] =
// 2·OP_l·vec(W_l) (Theorem 1; tested in this package).
//
// A layer of the tree network is a level of the tree, made of one block per
// node. Its parameter vector stacks the blocks' vec(W_μ) in block order, so
// d_l = Σ_μ In_μ·Out_μ (the block-sparse parameters only, never the zeros of
// a dense n_l × n_{l−1} matrix), and its operator has one block per pair of
// nodes. The identities of docs/theory.md §5–6 hold per level. A node's
// diagonal block OP_μμ (what the reference reports per node) measures node
// μ's own amplification, but node μ's gradient is 2·Σ_ν OP_μν vec(W_ν) over
// its level; the tests show the diagonal block alone misses it.
//
// ContractNode gives the reference's per-node variant instead: rows indexed
// by (input i, output k), i·n_L+k, contracted over the node's own output
// unit o, of side In_μ·n_L. It has the diagonal block's trace but a
// different norm and spectrum.
//
// # Spectra
//
// OP = M Mᵀ with M = [√w_key (K̄(key) − K̄)] of size d_l × (n_L·keys). When
// n_L·keys < d_l the nonzero spectrum is taken from the small Gram matrix
// MᵀM (the remaining d_l − n_L·keys eigenvalues are exactly zero);
// otherwise OP itself is decomposed. Trace and Frobenius norm are the same
// for both (‖M Mᵀ‖_F = ‖MᵀM‖_F). The numerical rank counts eigenvalues above
// RankTol·λ_max.
//
// # Data and determinism
//
// Monte Carlo data (FromViews) are views: rows of (key, x_a, x_b), both
// views drawn from the augmentation of the key; AddNegatives adds explicit
// negatives for the check. Exact data (Exact) enumerate every leaf
// configuration of a small HLTM with its exact joint probability with every
// key. Work is split into chunks of a fixed number of samples and reduced
// in chunk order, so results are bit-identical whatever the number of
// threads.
//
// # The Theorem 1 check
//
// The gradient side never goes through OP: ∂E[L]/∂f(x) is formed for every
// input and back-propagated by nn.Network.Backward. Exactly, E[L] =
// −Σ_key P(key)‖E[f|key]‖² + ‖E f‖²; with views, each row contributes
// ½‖f(x_a) − f(x_b)‖² − ½‖f(x_a) − f(x⁻)‖² with x⁻ its explicit negative or
// the x_a of the row half-way round the file (an independent draw), and the
// estimate is the mean over rows, so its error falls like 1/√rows.
//
// The package does math only; it knows no I/O.
package covop
