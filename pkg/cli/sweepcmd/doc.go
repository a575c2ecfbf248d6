// Package sweepcmd is the command line of hltm-sweep: `make` turns a grid
// file into a Makefile (and Slurm submit script) with pkg/sweep, `report`
// gathers the runs' probe and covop tables into one Arrow table through
// pkg/arrowio and prints the summary, `list` prints the runs.
package sweepcmd
