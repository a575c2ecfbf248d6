// Package report draws the probe's figures with gonum/plot and encodes them
// as PNG or SVG bytes: per tree level, the mean best |corr| of the level's
// latents against the training epoch, with the level's ceiling (the best
// any neuron could do, see package probe) as a dashed line; or, for a
// single snapshot, one bar per level with its ceiling marked.
//
// Pictures are deterministic: the same data give the same bytes (fonts are
// the ones gonum/plot embeds; nothing depends on the clock or the machine).
// The package knows nothing of Arrow or flags; it takes plain numbers.
package report
