package arrowio

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/dualssl/dualssl/pkg/arrowio/internal/ipccheck"
	"github.com/dualssl/dualssl/pkg/outfile"
)

// options configures readers and writers.
type options struct {
	mem       memory.Allocator
	batchRows int
	foreign   bool
}

// Option configures Open and Create.
type Option func(*options)

// WithBatchRows sets how many rows a Writer buffers before it writes a
// record batch (default DefaultBatchRows). n < 1 means the default.
func WithBatchRows(n int) Option {
	return func(o *options) {
		if n >= 1 {
			o.batchRows = n
		}
	}
}

// Foreign lets Open read an Arrow file that has no dualssl metadata (one
// written by Polars, say): its Meta is then the zero Meta, whose Kind is "".
// Metadata that is present is still checked. For dualssl-cat and
// dualssl-stamp, which exist to look at and adopt such files.
func Foreign() Option { return func(o *options) { o.foreign = true } }

// withAllocator lets tests count Arrow allocations.
func withAllocator(mem memory.Allocator) Option { return func(o *options) { o.mem = mem } }

func newOptions(opts []Option) options {
	o := options{mem: memory.DefaultAllocator, batchRows: DefaultBatchRows}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Reader reads a dualssl file one record batch at a time.
type Reader struct {
	name   string
	meta   Meta
	cols   []Column
	index  map[string]int
	closer io.Closer

	stream *ipc.Reader
	frame  *ipccheck.Framer // the stream's messages, checked before Arrow sees them
	schema *arrow.Schema
	rec    arrow.Record // the current decoded record batch of a stream

	file     *ipc.FileReader
	fileNext int

	batch   Batch
	rows    int64
	err     error
	done    bool
	foreign bool // Foreign: a file without dualssl metadata is accepted
}

// Open opens a dualssl file for reading: the file at path, or stdin when
// path is "" or "-". From a path both the IPC stream and the IPC file
// format are read (sniffed by the "ARROW1" magic); stdin must carry a
// stream. Errors name the input and say what is wrong in one line.
func Open(path string, stdin io.Reader, opts ...Option) (*Reader, error) {
	o := newOptions(opts)
	if outfile.IsStd(path) {
		if f, ok := stdin.(*os.File); ok {
			if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
				// A pipe may stall: a read from it must end on SIGINT.
				stdin = outfile.InterruptibleReader(f)
			}
		}
		return newStreamReader("stdin", stdin, nil, o)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("arrowio: %s: %w", path, outfile.UnwrapPath(err))
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("arrowio: %s: is a directory, not a dualssl file", path)
	}
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		// A pipe or device (e.g. --in <(hltm-gen …)) cannot seek: read it
		// as a stream, which also refuses the IPC file format. It may
		// stall: a read from it must end on SIGINT.
		return newStreamReader(path, outfile.InterruptibleReader(f), f, o)
	}
	var magic [6]byte
	n, _ := io.ReadFull(f, magic[:])
	if n == len(magic) && bytes.Equal(magic[:], ipccheck.FileMagic) {
		// Check the footer and messages before Arrow trusts their lengths,
		// then again with the buffer counts the schema needs.
		var fr *ipc.FileReader
		size, err := fileSize(f)
		if err == nil {
			err = ipccheck.CheckFile(f, size, 0, 0)
		}
		if err == nil {
			err = catch(func() (err error) { fr, err = ipc.NewFileReader(f, ipc.WithAllocator(o.mem)); return err })
		}
		if err == nil {
			var nodes, buffers int
			if nodes, buffers, err = ipccheck.Layout(fr.Schema()); err == nil {
				err = ipccheck.CheckFile(f, size, nodes, buffers)
			}
			if err != nil {
				fr.Close()
			}
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("arrowio: %s: truncated or corrupt Arrow IPC file: %w", path, err)
		}
		r := &Reader{name: path, file: fr, closer: f, foreign: o.foreign}
		if err := r.init(fr.Schema()); err != nil {
			r.Close()
			return nil, err
		}
		return r, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("arrowio: %s: %w", path, err)
	}
	return newStreamReader(path, f, f, o)
}

// OpenReader reads a dualssl IPC stream from rd; name is used in messages.
func OpenReader(rd io.Reader, name string, opts ...Option) (*Reader, error) {
	return newStreamReader(name, rd, nil, newOptions(opts))
}

func newStreamReader(name string, rd io.Reader, closer io.Closer, o options) (*Reader, error) {
	br := bufio.NewReaderSize(rd, 1<<16)
	head, err := br.Peek(len(ipccheck.FileMagic))
	if len(head) == 0 {
		if closer != nil {
			closer.Close()
		}
		if ierr := outfile.Interrupted(); ierr != nil {
			return nil, fmt.Errorf("arrowio: %s: %w before its schema", name, ierr)
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("arrowio: %s: %w", name, err)
		}
		return nil, fmt.Errorf("arrowio: %s: empty input: expected an Arrow IPC stream (did the previous stage fail?)", name)
	}
	if bytes.Equal(head, ipccheck.FileMagic) {
		if closer != nil {
			closer.Close()
		}
		if name == "stdin" {
			return nil, fmt.Errorf("arrowio: %s holds an Arrow IPC file, not a stream: pass it with --in FILE", name)
		}
		return nil, fmt.Errorf("arrowio: %s holds an Arrow IPC file, which is only read from a regular file: save it first, or send a stream", name)
	}
	fr := ipccheck.NewFramer(br)
	var sr *ipc.Reader
	err = catch(func() (err error) {
		sr, err = ipc.NewReaderFromMessageReader(fr, ipc.WithAllocator(o.mem))
		return err
	})
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		if fe := fr.Err(); fe != nil && fe != io.EOF {
			err = fe
		}
		if ierr := outfile.Interrupted(); ierr != nil {
			return nil, fmt.Errorf("arrowio: %s: %w before its schema", name, ierr)
		}
		return nil, fmt.Errorf("arrowio: %s: not an Arrow IPC stream, or cut before its schema: %w", name, err)
	}
	nodes, buffers, err := ipccheck.Layout(sr.Schema())
	fr.SetLayout(nodes, buffers)
	if err != nil {
		sr.Release()
		if closer != nil {
			closer.Close()
		}
		return nil, fmt.Errorf("arrowio: %s: %w", name, err)
	}
	r := &Reader{name: name, stream: sr, frame: fr, schema: sr.Schema(), closer: closer, foreign: o.foreign}
	if err := r.init(sr.Schema()); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *Reader) init(s *arrow.Schema) error {
	md := s.Metadata()
	if !(r.foreign && md.FindKey(KeyKind) < 0) {
		meta, err := parseMeta(r.name, func(k string) (string, bool) {
			i := md.FindKey(k)
			if i < 0 {
				return "", false
			}
			return md.Values()[i], true
		})
		if err != nil {
			return err
		}
		r.meta = meta
	}
	r.index = make(map[string]int, s.NumFields())
	for i, f := range s.Fields() {
		r.cols = append(r.cols, columnOf(f))
		r.index[f.Name] = i
	}
	r.batch = Batch{name: r.name, cols: r.cols, index: r.index}
	return nil
}

// Name returns the input's name as used in messages ("stdin" or the path).
func (r *Reader) Name() string { return r.name }

// Meta returns the file's metadata.
func (r *Reader) Meta() Meta { return r.meta }

// Columns returns the file's columns in schema order.
func (r *Reader) Columns() []Column { return append([]Column(nil), r.cols...) }

// Expect returns an error unless the file is of the given kind; tool is the
// stage that needs it, e.g. "arrowio: samples.arrows is a views file; probe needs
// hltm-samples (made by hltm-gen)".
func (r *Reader) Expect(kind Kind, tool string) error {
	if r.meta.Kind == kind {
		return nil
	}
	return fmt.Errorf("arrowio: %s is a %s file; %s needs %s (made by %s)", r.name, r.meta.Kind, tool, kind, kind.Producer())
}

// Column returns the declared column name, or an error naming the input
// when it is missing or not of type t. Use it to check a schema before
// reading, and to learn the Size of a fixed-size-list column.
func (r *Reader) Column(name string, t Type) (Column, error) {
	return r.batch.column(name, t)
}

// Next advances to the next record batch; it returns false at the end of the
// input or on error (see Err). The previous Batch's slices become invalid.
func (r *Reader) Next() bool {
	if r.done {
		return false
	}
	r.batch.rec = nil
	if err := outfile.Interrupted(); err != nil {
		r.done = true
		r.err = fmt.Errorf("arrowio: %s: %w after %d rows", r.name, err, r.rows)
		return false
	}
	switch {
	case r.stream != nil:
		// Arrow's reader read the schema; record batches are decoded here,
		// aliasing the message body (no copy).
		if r.rec != nil {
			r.rec.Release()
			r.rec = nil
		}
		meta, body, err := r.frame.NextRecord()
		if err == nil {
			r.rec, err = ipccheck.DecodeRecord(r.schema, meta, body)
			if err != nil {
				r.frame.Fail(err)
			}
		}
		if err == nil {
			r.batch.rec = r.rec
		} else {
			if err == io.EOF {
				err = nil
			}
			r.done = true
			if fe := r.frame.Err(); fe != nil && fe != io.EOF {
				err = fe
			}
			if ierr := outfile.Interrupted(); ierr != nil && err != nil {
				// The read was cut short by SIGINT (a stalled pipe), not
				// by a corrupt input.
				r.err = fmt.Errorf("arrowio: %s: %w after %d rows", r.name, ierr, r.rows)
			} else if err != nil {
				r.err = fmt.Errorf("arrowio: %s: truncated or corrupt Arrow stream after %d rows: %w", r.name, r.rows, err)
			} else if !r.frame.SawEOS() {
				r.err = fmt.Errorf("arrowio: %s: stream ends without its end-of-stream marker after %d rows: the writer was interrupted", r.name, r.rows)
			} else if r.frame.TrailingData() {
				// Bytes after the end marker (`cat a.arrows b.arrows`)
				// would be silently dropped: refuse them.
				r.err = fmt.Errorf("arrowio: %s: data after the end-of-stream marker (after %d rows): concatenated streams are not one stream; pass one file at a time", r.name, r.rows)
			}
			return false
		}
	case r.file != nil:
		if r.fileNext >= r.file.NumRecords() {
			r.done = true
			return false
		}
		rec, err := safeRecord(r.file, r.fileNext)
		if err != nil {
			r.done = true
			r.err = fmt.Errorf("arrowio: %s: corrupt Arrow IPC file after %d rows: %w", r.name, r.rows, err)
			return false
		}
		r.fileNext++
		r.batch.rec = rec
	}
	r.batch.first = r.rows
	if err := r.batch.validate(); err != nil {
		r.done = true
		r.err = err
		r.batch.rec = nil
		return false
	}
	r.rows += r.batch.rec.NumRows()
	return true
}

// Batch returns the current record batch; valid until Next or Close.
func (r *Reader) Batch() *Batch { return &r.batch }

// Rows returns the number of rows read so far.
func (r *Reader) Rows() int64 { return r.rows }

// Err returns the error that stopped Next, if any.
func (r *Reader) Err() error { return r.err }

// Close releases the reader's buffers and closes a file it opened.
func (r *Reader) Close() error {
	r.batch.rec = nil
	r.done = true
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	if r.stream != nil {
		r.stream.Release()
		r.stream = nil
	}
	if r.file != nil {
		r.file.Close()
		r.file = nil
	}
	if r.closer != nil {
		err := r.closer.Close()
		r.closer = nil
		return err
	}
	return nil
}

// columnList lists column names for "no column" messages.
func columnList(cols []Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// safeRecord reads record i of an IPC file, turning a panic into an error.
func safeRecord(fr *ipc.FileReader, i int) (rec arrow.Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, fmt.Errorf("%v", p)
		}
	}()
	return fr.Record(i)
}

// catch runs f, turning a panic (Arrow's reaction to some corrupt inputs)
// into an error.
func catch(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	return f()
}

func fileSize(f *os.File) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// BinaryColumn returns a 0/1 column (fixed_size_list<bool>, or <int8> of
// format 2) by name, for readers that choose the column at run time (embed
// reads z, z_a or z_b); see Batch.Binary for its values.
func (r *Reader) BinaryColumn(name string) (Column, error) { return r.batch.binaryColumn(name) }

// LeafColumn returns a column of observed leaves (fixed_size_list<bool>,
// <int8>, or <float64> from another program) by name, for readers that choose
// the column at run time (embed reads x, x_a or x_b); see
// Batch.FixedLeaves for its values.
func (r *Reader) LeafColumn(name string) (Column, error) { return r.batch.leafColumn(name) }
