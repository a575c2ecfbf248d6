// Package hltmgencmd is the hltm-gen command: it builds (or reuses) an HLTM
// and streams samples of it as an hltm-samples file.
package hltmgencmd
