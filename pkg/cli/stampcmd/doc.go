// Package stampcmd is dualssl-stamp, the documented way in for Arrow files
// that other programs write: it copies an Arrow IPC stream or file that has
// no dualssl metadata (Polars writes none) and adds the metadata the tools
// need (dualssl.kind, dualssl.format, dualssl.model, dualssl.config,
// dualssl.provenance), after checking the columns against the kind's
// contract and the model.
package stampcmd
