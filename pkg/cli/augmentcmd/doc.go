// Package augmentcmd is the augment command: it reads hltm-samples and writes
// views (positive pairs, optionally with explicit negatives).
package augmentcmd
