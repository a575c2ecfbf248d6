// Package e2e runs the toolkit's cross-tool scripts, testdata/script at the
// module root: pipelines through several tools (pipeline_*.txtar) and
// fault scripts (fault_*.txtar), with the harness of
// pkg/cli/internal/scripttest (every tool's Main under its binary name, so
// scripts run real pipelines without building binaries, and the extra
// script commands truncate, flipbyte, filesize and replace). A script
// about one tool lives beside that tool's package instead
// (pkg/cli/<tool>cmd/testdata/<tool>_<topic>.txtar). Its Go tests fuzz
// every tool's input path and check numeric faults.
package e2e
