// Package torchcmd is the dualssl-torch command: PyTorch weights both
// ways. "export" writes one snapshot of a network file as a safetensors
// state dict with the reference implementation's parameter names (see
// pkg/statedict); "import" turns such a file (ours, or one saved from a
// PyTorch run) into a network file of one snapshot that every stage
// reads, and that ssl-train --init starts from.
package torchcmd
