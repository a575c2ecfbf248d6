// Package report is the one home of the project's figures, drawn with
// gonum/plot and encoded as PNG, SVG or PDF bytes.
//
// The probe's figures: per tree level, the mean best |corr| of the level's
// latents against the training epoch (integer epoch ticks), with the
// level's ceiling (the best any neuron could do, see package probe) as a
// dashed line of the level's colour, named in the legend with its value;
// or, for a single snapshot, one bar per level with its ceiling marked.
//
// The conventions every figure of the project shares live here too, and
// pkg/sweep's plots use them: a Figure of one or more aligned panels (small
// multiples) with one legend in a column of its own at the right, so that
// it never covers data; a title wrapped to the picture's width; y ranges
// fitted to data and ceilings (FitY), x ranges padded so that no marker or
// error bar is cut by the frame (PadX); IntegerTicks; one palette (Color)
// and one ceiling dash pattern; sizes parsed from "WxH" in centimetres
// (ParseSize); and one DPI rule: every PNG is drawn at DPI dots per inch
// unless the user asks for another resolution.
//
// Pictures are deterministic: the same data give the same bytes (fonts are
// the ones gonum/plot embeds; nothing depends on the clock or the machine).
// The package knows nothing of Arrow or flags; it takes plain numbers.
package report
