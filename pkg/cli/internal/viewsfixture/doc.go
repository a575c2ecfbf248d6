// Package viewsfixture is test support for the command-line tools' script
// tests: MakeViews, the body of their "make-views" testscript command,
// writes small views (or samples) files of a random binary HLTM, a
// stand-in for hltm-gen | augment that needs neither tool.
//
// It is internal to pkg/cli and meant for _test.go files only.
package viewsfixture
