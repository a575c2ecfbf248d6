// Package catcmd is the dualssl-cat command: it prints the metadata and
// the first rows of any dualssl file, as an aligned text table, CSV or
// JSON lines.
package catcmd
