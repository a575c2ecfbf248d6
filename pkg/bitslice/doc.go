// Package bitslice draws and converts bit-sliced samples: 64 samples at
// once, one uint64 word per variable with bit s holding sample s ("lane"
// s). A binary variable of 64 samples is then one word, an XOR of two
// variables one instruction, and a Bernoulli draw about 9 generator calls
// (rng.Xoshiro) for all 64 lanes instead of one call per lane.
//
// Pack and Unpack convert between words of variables ("planes") and
// row-major bytes (one byte 0/1 per variable, one row per sample);
// PackBits and UnpackBits between planes and bit rows, the packed layout of
// Arrow's boolean bitmaps that sample and views files store (one bit per
// variable, rows back to back). Both go through 64×64 bit transposes.
package bitslice
