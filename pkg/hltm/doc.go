// Package hltm implements the hierarchical latent tree model (HLTM) of Tian,
// Yu, Chen and Ganguli (arXiv 2010.00578, Section 6).
//
// A Model is a complete rooted tree of binary variables z ∈ {0,1}: every
// non-leaf node has Children children and every leaf is Depth edges below
// the root. Node ids are breadth-first (root 0, each level left to right,
// leaves last), so node i's children are i·c+1 … i·c+c and its parent is
// (i−1)/c. The root is ½/½; each edge μ→ν carries a polarity ρ ∈ [−1,1] with
// P(z_ν = z_μ) = (1+ρ)/2. The observation x is the leaves' values.
//
// Samples are drawn 64 at a time, bit-sliced (LaneSampler: one uint64
// word per node, one bit per sample; package bitslice); Model.Sample and
// Model.SampleGiven draw one sample at a time, with the same distribution.
//
// The package does math only (sampling, conditional sampling, exact
// likelihoods by upward message passing); it knows no I/O.
package hltm
