// Package lineval measures latent recovery the way the self-supervised
// learning field does: a linear classifier trained on frozen features,
// beside the exact ceiling any classifier of those features can reach.
//
// For each latent z_μ of an HLTM and each feature set φ(x) of a network —
// the root embedding f, the concatenated activations of μ's level (after
// the ReLU; for the MLP every hidden layer in turn), or μ's own neurons N_μ
// (after the ReLU) — an Evaluator fits L2-regularised logistic regression
// z_μ ~ φ(x) on the training split (features standardised with the
// training split's mean and standard deviation; the intercept is not
// penalised), picks the regulariser λ from a grid by accuracy on the
// validation split (ties: lower validation log-loss), and reports the
// held-out accuracy a on the test split with its standard error
// √(a(1−a)/n_test). The splits are consecutive blocks of the samples
// (train, validation, test), which are independent draws, so nothing is
// random and the results are exactly reproducible.
//
// The ceiling is the Bayes accuracy given the leaves the features see,
// E[max(P(z_μ=1|x_S), P(z_μ=0|x_S))]: every leaf for the root embedding and
// the level (the level's nodes together read every leaf), the leaves under
// μ for its own node. With the exact posterior p of upward message passing
// (probe.Posterior) it is estimated on the test samples as the mean of
// max(p, 1−p), and computed exactly by summing over every leaf
// configuration when S has at most MaxExactLeaves leaves (ExactCeiling,
// checked against the full joint distribution on small trees). A feature
// set can reach, never exceed, its ceiling up to the sampling noise of the
// test split.
//
// Fits use Newton's method (gonum/mat Cholesky solves; scores and
// gradients by BLAS Dgemv, Hessians as column dot products by BLAS Ddot)
// up to NewtonMaxDim features and gonum/optimize's L-BFGS above. Newton
// stops at a gradient of GradTol·max(λ, 10⁻³), which puts the weights
// within about GradTol of the optimum whatever the start. Steps near the
// optimum (and chord steps, which reuse a recent Hessian from 16
// parameters up) are taken whole and kept when they shrink the gradient;
// others backtrack on the objective (Armijo), whose logarithms are only
// computed then. Each fit starts from the better (lower objective) of the
// previous λ's optimum and its own optimum at this λ on the network of the
// previous call of Evaluate, carried in raw feature units (the
// standardisation changes between networks); fits run in parallel, each
// reading and writing only its own state, so results do not depend on the
// threads, and depend on the earlier calls only through the tolerance.
// Samples are grouped once by their values on the leaves a feature set
// reads (every leaf, or a node's subtree): its rows are functions of
// those leaves, so each group is one row with label counts, which leaves
// the objective unchanged. When the training rows span fewer directions
// than there are features (a tree's level set: each node's block takes
// few distinct values), the fit runs on their coordinates in an
// orthonormal basis of that span, computed once per feature set and
// shared by every latent: the L2 optimum lies in the span, so this is the
// same problem in fewer unknowns.
//
// The package does math only; it knows no I/O.
package lineval
