// Package arrowio reads and writes the toolkit's Apache Arrow IPC files.
//
// It is the only package of the module that imports Arrow: domain packages
// and tools see plain Go slices. A dualssl file is an Arrow IPC stream
// (".arrows"; the IPC file format ".arrow" is accepted from paths) whose
// schema metadata says what it is:
//
//	dualssl.kind        hltm-samples, views, network, train-log, probe, covop, hltm-nodes, sweep
//	dualssl.format      schema version, "3.0" for samples and views ("2.0" with int8 lists), "1.0" for the others (FormatOf); a newer major version is refused
//	dualssl.model       canonical JSON of the HLTM the data came from (may be empty)
//	dualssl.config      JSON object of the effective flags of the stage that wrote it
//	dualssl.provenance  JSON array of {tool, version, config}, oldest first
//
// Reading: Open a path or stdin, check the kind with Reader.Expect, then
// iterate record batches with Next and Batch. Numeric and fixed-size-list
// columns are returned as slices that alias the bytes read (no copy): a
// stream's record batches are decoded in place from a reused buffer, so
// they stay valid until the next call to Next or Close. ReadTable collects
// a small table into copied Go slices. Batch.Values and Table.Values return
// any column as the Go slice WriteColumns takes for its type (the one place
// that maps column types to slices), for code that copies columns it does
// not know. Every message is checked (lengths,
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
// replaced (pkg/outfile, whose WriteFile does the same for other outputs).
// After outfile.Interrupt every Reader and Writer stops at its next batch.
//
// # File kinds
//
// Each kind's contract, its columns and their meaning, lives in one file,
// kind_<kind>.go (network.go for networks), with its typed reader and
// writer, so that changing a column touches one file. Tidy tables are
// described by a Rows[T]: a row struct T and one Field per column
// (Int32Field, Int64Field, Float64Field, StringField, BoolField), from
// which come Columns, a RowWriter (Write one T per row), a RowReader
// (Next, streaming) and ReadAll; every value they return is a copy that
// outlives its batch. Bulk kinds (samples, views, networks) have batch
// readers whose slices alias the batch. A reader that lacks a column its
// kind needs fails with an error wrapping ErrNoColumn; a file without the
// HLTM it must carry, ErrNoModel. ModelOf (Reader.Model) is the one place
// a model is read from a file.
//
// To add a kind (an "embeddings" file, a linear-evaluation table): add its
// Kind constant and producer in meta.go, then one file kind_<kind>.go with
// the row struct and
//
//	var Embeddings = Rows[EmbeddingRow]{Kind: KindEmbeddings, Fields: []Field[EmbeddingRow]{
//		Int32Field("epoch", func(r *EmbeddingRow) *int32 { return &r.Epoch }),
//		…
//	}}
//
// and write it with Embeddings.Writer(w) on a Writer made with
// Embeddings.Columns(); read it with Embeddings.Reader(r) or ReadAll. A
// kind whose columns depend on flags builds its Rows in a function, as
// CovopTable does.
//
// The byte-level checks of Arrow IPC input live in internal/ipccheck;
// atomic outputs and the interrupt flag in pkg/outfile.
package arrowio
