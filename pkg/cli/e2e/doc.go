// Package e2e runs the toolkit's end-to-end scripts,
// testdata/script/*.txtar at the module root, with testscript: every tool's
// Main is registered under its binary name, so scripts run real pipelines
// (`exec hltm-gen …`) without building binaries. Add a tool with one line
// in the map of e2e_test.go, keeping it alphabetised.
//
// Extra script commands, for everybody:
//
//	truncate FILE N    cut FILE to N bytes; a negative N drops -N bytes from the end
//	flipbyte FILE N    invert the bits of byte N of FILE (negative counts from the end)
//	filesize FILE N    assert that FILE has N bytes
//	replace FILE OLD NEW   replace every OLD by NEW in FILE (Go-quoted strings, e.g. "\x03\x00")
package e2e
