// Package loss implements the contrastive losses of the dual network
// (docs/theory.md §4) with their gradients, and the output normalisation
// f̂ = f/(‖f‖+ε) used before them.
//
// A loss sees one batch of B anchors through their embeddings: A (the view
// x_a), P (the positive view x_b) and H negatives per anchor, either explicit
// rows (Pairs.Neg, from the views' x_neg column) or rows of P chosen from the
// other anchors of the batch (Pairs.NegIdx). With d₊ = ‖A_i − P_i‖ and
// d_k = ‖A_i − N_ik‖:
//
//	simp     mean_i [d₊² − mean_k d_k²]
//	tri      mean_ik τ·log(1 + exp((d₊² − d_k² + r)/τ))   (hinge when τ = 0)
//	nce      mean_i −log(e^{−d₊²/τ} / (e^{−d₊²/τ} + Σ_k e^{−d_k²/τ}))
//	nce-ref  −e^{−P/τ} / (e^{−P/τ} + e^{−Q/τ}), P = mean_{i,dims} (A−P)²,
//	         Q = mean_{i,k,dims} (A−N)²  (the reference's batch-level loss)
//
// Every gradient is a positively re-weighted simp gradient: the weight on
// ∇(d₊² − d_k²) is 1/(BH) for simp, σ((d₊² − d_k² + r)/τ)/(BH) for tri and
// p_k/(Bτ) for nce (p_k the softmax weight of negative k); the nce-ref
// gradient is exactly s(1−s)/(Dτ) times the simp gradient, s = σ((Q−P)/τ).
package loss
