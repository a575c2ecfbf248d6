// Package ssltraincmd is the ssl-train command: it trains the dual network
// (pkg/train) on views read with pkg/arrowio and writes network snapshots
// and a train log. cmd/ssl-train calls Main; the e2e harness registers it.
package ssltraincmd
