// Package arrowio reads and writes the toolkit's Apache Arrow IPC files.
//
// It is the only package of the module that imports Arrow: domain packages
// and tools see plain Go slices. A dualssl file is an Arrow IPC stream
// (".arrows"; the IPC file format ".arrow" is accepted from paths) whose
// schema metadata says what it is:
//
//	dualssl.kind        hltm-samples, views, network, train-log, probe, covop, hltm-nodes
//	dualssl.format      schema version "1.0"; an unknown major version is refused
//	dualssl.model       canonical JSON of the HLTM the data came from (may be empty)
//	dualssl.config      JSON object of the effective flags of the stage that wrote it
//	dualssl.provenance  JSON array of {tool, version, config}, oldest first
//
// Reading: Open a path or stdin, check the kind with Reader.Expect, then
// iterate record batches with Next and Batch. Numeric and fixed-size-list
// columns are returned as slices that alias the bytes read (no copy): a
// stream's record batches are decoded in place from a reused buffer, so
// they stay valid until the next call to Next or Close. ReadTable collects
// a small table into copied Go slices. Every message is checked (lengths,
// buffer ranges and counts, 8-byte alignment) before it is trusted, so
// corrupt input gives an error, never a crash or a huge allocation.
//
// Writing: Create a path or stdout with a Meta and a []Column schema. Either
// append rows cell by cell (Int64, Float64s, … then EndRow; batches are
// flushed every BatchRows rows) or hand over whole columns as flat slices
// with WriteColumns (no copy). Named outputs are written to a temporary
// file in the same directory and renamed by Close; Abort removes it, so a
// failed run leaves no partial file. A path that is not a regular file
// (/dev/null, /dev/full, a FIFO, /dev/stdout) is written in place, never
// replaced; WriteFileAtomic does the same for other outputs. After
// Interrupt every Reader and Writer stops at its next batch.
package arrowio
