// Package rng hands out independent, reproducible random streams.
//
// Every stage of dualssl draws from streams named by (seed, purpose, index):
// the seed is the user's --seed, the purpose says what the stream is for
// ("tree", "sample", "augment", "init", "shuffle", …) and the index numbers
// blocks of work, so that a block's draws do not depend on which goroutine
// runs it. Outputs are therefore byte-identical whatever the thread count.
//
// New gives a stream as a *rand.Rand; NewSource gives the same stream as
// the concrete generator, a PCG (math/rand/v2's algorithm, same values)
// whose Uint64 inlines. NewXoshiro gives a xoshiro256++ generator seeded
// from that stream, about twice as fast a draw, for the bit-sliced
// sampler, which uses every bit of many words.
package rng
