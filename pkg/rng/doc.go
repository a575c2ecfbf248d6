// Package rng hands out independent, reproducible random streams.
//
// Every stage of dualssl draws from streams named by (seed, purpose, index):
// the seed is the user's --seed, the purpose says what the stream is for
// ("tree", "sample", "augment", "init", "shuffle", …) and the index numbers
// blocks of work, so that a block's draws do not depend on which goroutine
// runs it. Outputs are therefore byte-identical whatever the thread count.
package rng
