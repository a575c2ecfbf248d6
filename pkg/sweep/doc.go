// Package sweep plans parameter sweeps of the dualssl pipeline: it parses a
// grid, expands it into runs with hive-style paths, writes the text of the
// Makefile (and Slurm submit script) that runs them, and summarises the
// gathered probe results over seeds. It does no I/O: callers hand it bytes
// and rows and write what it returns.
//
// # Grid files
//
// A grid is plain text, one parameter per line:
//
//	# comment (also after a value)
//	seed        = 1..5            # an inclusive integer range
//	depth       = 5
//	hid         = 5, 10, 20       # a comma-separated list of values
//	loss        = nce-ref, nce
//	train_args  = --bias=false    # fixed extra flags (a whole line, not a list)
//
// Keys are the Params below (plus the extras ending in _args and the option
// covop); a key may appear once. Every combination of the listed values is
// one run; parameters a grid leaves out take their Default, which is
// written into every command, so a Makefile says exactly what each run
// does.
//
// A grid may have sections, each a product of its own: the lines before
// the first [name] header are common to every section, and a section's
// lines override them. The runs are the union over the sections (a run two
// sections share is run once), which varies one factor at a time around a
// base setting:
//
//	seed = 1..5
//	hid  = 10
//	[width]
//	hid  = 2, 5, 10, 20
//	[loss]
//	loss = nce-ref, nce, simp, tri
//
// Extras and covop apply to every run and go before the first section. An
// extra's value is split into words on blanks and every word reaches the
// tool literally (the Makefile quotes it for bash and make): quotes, $, ;,
// |, &, <, > and globs are ordinary characters, never shell syntax.
// Backslashes, backquotes and control characters are refused. A grid may
// start with a UTF-8 byte-order mark and use CRLF line ends.
//
// # Runs and paths
//
// A run's directory is hive-style: key=value for every parameter the grid
// file names (in any section) (in the order of Params, seed last, always present), e.g.
// runs/depth=5/hid=10/loss=nce-ref/seed=1. Parameters the grid leaves out
// are not in the path, so adding a value to a grid later keeps the paths of
// earlier runs only if the key was already listed. Runs are numbered in
// expansion order (the last key of Params varies fastest) and run i belongs
// to chunk i mod C, so a job array of C tasks covers the sweep.
package sweep
