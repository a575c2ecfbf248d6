// Package augment makes the augmented views of HLTM samples that
// self-supervised training consumes (docs/theory.md §2).
//
// A data point is the value of the kept latents: the root (the reference's
// choice) or every latent at a level K. An augmented view redraws every
// other node from the HLTM conditioned on the kept ones; a positive pair is
// two such views of one sample, so the two views share exactly the kept
// latents. Leaf-flip noise with probability p may then be applied to each
// view's observation x (the latent state z stays clean). Explicit
// negatives are independent draws from the model (fresh root; they share
// the anchor's root with probability ½, as in the reference).
//
// Work is split into blocks of hltm.BlockRows input rows; block b draws
// from rng.NewXoshiro(seed, rng.Augment, b), so the output depends only on
// the seed and the input, not on the number of goroutines. Inside a block,
// views and negatives are drawn for 64 samples at once by an
// hltm.LaneSampler, and leaf noise is a bit-sliced Bernoulli word per leaf.
//
// The package does math only; cmd/augment (pkg/cli/augmentcmd) does the I/O.
package augment
