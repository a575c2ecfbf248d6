package arrowio

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/endian"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/dualssl/dualssl/pkg/outfile"
)

// DefaultBatchRows is how many rows a Writer buffers per record batch
// unless WithBatchRows says otherwise.
const DefaultBatchRows = 1 << 16

// Writer writes a dualssl file: an IPC stream, or the IPC file format
// when a named output ends in ".arrow". A Writer is not safe for
// concurrent use.
type Writer struct {
	name   string
	out    *outfile.File // nil for a standard stream
	buf    *bufio.Writer
	stream *ipc.Writer
	file   *ipc.FileWriter

	schema    *arrow.Schema
	cols      []Column
	mem       memory.Allocator
	batchRows int

	builders []array.Builder   // lazily made, for row-wise appends
	bits     map[string][]byte // bitmaps of FixedBool columns, by name, reused
	bytes    map[string][]int8 // FixedInt8 columns unpacked from bits, by name, reused
	pending  int               // complete rows held in builders
	rows     int64             // rows written or pending
	err      error             // sticky
	closed   bool
	keep     bool   // KeepOnInterrupt
	unhold   func() // releases KeepOnInterrupt's outfile.Hold
}

// Create starts a dualssl output with the given metadata and columns: the
// file at path, written atomically (a temporary file in the same directory,
// renamed by Close), or stdout when path is "" or "-". A path ending in
// ".arrow" gets the IPC file format, anything else the IPC stream format.
func Create(path string, stdout io.Writer, meta Meta, cols []Column, opts ...Option) (*Writer, error) {
	o := newOptions(opts)
	schema, err := schemaOf(meta, cols)
	if err != nil {
		return nil, fmt.Errorf("arrowio: %s: %w", outName(path), err)
	}
	w := &Writer{name: outName(path), schema: schema, cols: append([]Column(nil), cols...), mem: o.mem, batchRows: o.batchRows}
	if outfile.IsStd(path) {
		w.buf = bufio.NewWriterSize(stdout, 1<<16)
		w.stream = ipc.NewWriter(w.buf, ipc.WithSchema(schema), ipc.WithAllocator(o.mem))
		return w, nil
	}
	f, err := outfile.Create(path)
	if err != nil {
		return nil, err
	}
	w.out = f
	if strings.HasSuffix(path, ".arrow") {
		fw, err := ipc.NewFileWriter(f, ipc.WithSchema(schema), ipc.WithAllocator(o.mem))
		if err != nil {
			w.Abort()
			return nil, fmt.Errorf("arrowio: %s: %w", path, err)
		}
		w.file = fw
	} else {
		w.buf = bufio.NewWriterSize(f, 1<<16)
		w.stream = ipc.NewWriter(w.buf, ipc.WithSchema(schema), ipc.WithAllocator(o.mem))
	}
	return w, nil
}

func outName(path string) string { return outfile.Name(path, "stdout") }

// Name returns the output's name as used in messages.
func (w *Writer) Name() string { return w.name }

// Rows returns the number of rows written or buffered so far.
func (w *Writer) Rows() int64 { return w.rows }

// Columns returns the declared columns.
func (w *Writer) Columns() []Column { return append([]Column(nil), w.cols...) }

func (w *Writer) builder(i int, t Type) array.Builder {
	if w.builders == nil {
		w.builders = make([]array.Builder, len(w.cols))
		for k := range w.cols {
			w.builders[k] = array.NewBuilder(w.mem, w.schema.Field(k).Type)
		}
	}
	if w.cols[i].Type != t {
		panic(fmt.Sprintf("arrowio: column %s is %s, appended %s", w.cols[i].Name, w.cols[i].Type, t))
	}
	return w.builders[i]
}

// Int8 appends v to column i (type Int8) of the current row.
func (w *Writer) Int8(i int, v int8) { w.builder(i, Int8).(*array.Int8Builder).Append(v) }

// Int32 appends v to column i (type Int32) of the current row.
func (w *Writer) Int32(i int, v int32) { w.builder(i, Int32).(*array.Int32Builder).Append(v) }

// Int64 appends v to column i (type Int64) of the current row.
func (w *Writer) Int64(i int, v int64) { w.builder(i, Int64).(*array.Int64Builder).Append(v) }

// Float64 appends v to column i (type Float64) of the current row.
func (w *Writer) Float64(i int, v float64) { w.builder(i, Float64).(*array.Float64Builder).Append(v) }

// String appends v to column i (type String) of the current row.
func (w *Writer) String(i int, v string) { w.builder(i, String).(*array.StringBuilder).Append(v) }

// Bool appends v to column i (type Bool) of the current row.
func (w *Writer) Bool(i int, v bool) { w.builder(i, Bool).(*array.BooleanBuilder).Append(v) }

// Float64s appends v to column i (FixedFloat64, len(v) = Size, or
// ListFloat64, any length) of the current row. It panics on a length
// mismatch.
func (w *Writer) Float64s(i int, v []float64) {
	c := w.cols[i]
	var lb array.ListLikeBuilder
	switch c.Type {
	case FixedFloat64:
		if len(v) != c.Size {
			panic(fmt.Sprintf("arrowio: column %s holds %d values per row, appended %d", c.Name, c.Size, len(v)))
		}
		lb = w.builder(i, FixedFloat64).(*array.FixedSizeListBuilder)
	default:
		lb = w.builder(i, ListFloat64).(*array.ListBuilder)
	}
	lb.Append(true)
	lb.ValueBuilder().(*array.Float64Builder).AppendValues(v, nil)
}

// Int8s appends v (len Size) to column i (type FixedInt8, or FixedBool
// with values 0 and 1) of the current row. It panics on a length mismatch,
// and on a value other than 0 or 1 for FixedBool.
func (w *Writer) Int8s(i int, v []int8) {
	c := w.cols[i]
	if len(v) != c.Size {
		panic(fmt.Sprintf("arrowio: column %s holds %d values per row, appended %d", c.Name, c.Size, len(v)))
	}
	if c.Type == FixedBool {
		lb := w.builder(i, FixedBool).(*array.FixedSizeListBuilder)
		lb.Append(true)
		vb := lb.ValueBuilder().(*array.BooleanBuilder)
		for k, x := range v {
			if x != 0 && x != 1 {
				panic(fmt.Sprintf("arrowio: column %s holds 0/1 values, appended %d at %d", c.Name, x, k))
			}
			vb.Append(x == 1)
		}
		return
	}
	lb := w.builder(i, FixedInt8).(*array.FixedSizeListBuilder)
	lb.Append(true)
	lb.ValueBuilder().(*array.Int8Builder).AppendValues(v, nil)
}

// EndRow completes the current row; every column must have received exactly
// one value. A full batch is written out.
func (w *Writer) EndRow() error {
	if w.err != nil {
		return w.err
	}
	for k, b := range w.builders {
		if b.Len() != w.pending+1 {
			return w.fail(fmt.Errorf("arrowio: %s: row %d: column %s has %d values, want %d", w.name, w.rows, w.cols[k].Name, b.Len()-w.pending, 1))
		}
	}
	if w.builders == nil {
		return w.fail(fmt.Errorf("arrowio: %s: EndRow without values", w.name))
	}
	w.pending++
	w.rows++
	if w.pending >= w.batchRows {
		return w.Flush()
	}
	return nil
}

// Append appends one row, one value per column in order: int8, int32,
// int64, float64, string, bool, []int8 or []float64 matching the column
// types (an int is accepted for any integer column, []int8 of 0/1 values
// for a FixedBool column). It returns an error on a mismatch.
func (w *Writer) Append(vals ...any) error {
	if w.err != nil {
		return w.err
	}
	if len(vals) != len(w.cols) {
		return w.fail(fmt.Errorf("arrowio: %s: row of %d values for %d columns", w.name, len(vals), len(w.cols)))
	}
	for i, v := range vals {
		c := w.cols[i]
		ok := true
		switch v := v.(type) {
		case int:
			switch c.Type {
			case Int8:
				w.Int8(i, int8(v))
			case Int32:
				w.Int32(i, int32(v))
			case Int64:
				w.Int64(i, int64(v))
			default:
				ok = false
			}
		case int8:
			ok = appendIf(c.Type == Int8, w.Int8, i, v)
		case int32:
			ok = appendIf(c.Type == Int32, w.Int32, i, v)
		case int64:
			ok = appendIf(c.Type == Int64, w.Int64, i, v)
		case float64:
			ok = appendIf(c.Type == Float64, w.Float64, i, v)
		case string:
			ok = appendIf(c.Type == String, w.String, i, v)
		case bool:
			ok = appendIf(c.Type == Bool, w.Bool, i, v)
		case []float64:
			ok = appendIf(c.Type == ListFloat64 || (c.Type == FixedFloat64 && len(v) == c.Size), w.Float64s, i, v)
		case []int8:
			ok = appendIf((c.Type == FixedInt8 || c.Type == FixedBool && binary01(v)) && len(v) == c.Size, w.Int8s, i, v)
		default:
			ok = false
		}
		if !ok {
			return w.fail(fmt.Errorf("arrowio: %s: column %s is %s, got %T", w.name, c.Name, c, v))
		}
	}
	return w.EndRow()
}

// binary01 reports whether every value of v is 0 or 1.
func binary01(v []int8) bool {
	for _, x := range v {
		if x != 0 && x != 1 {
			return false
		}
	}
	return true
}

// appendIf appends v to column i with add when ok, and returns ok.
func appendIf[T any](ok bool, add func(int, T), i int, v T) bool {
	if ok {
		add(i, v)
	}
	return ok
}

// Flush writes buffered rows as one record batch.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if w.pending == 0 {
		return nil
	}
	arrs := make([]arrow.Array, len(w.builders))
	for k, b := range w.builders {
		arrs[k] = b.NewArray()
	}
	rec := array.NewRecord(w.schema, arrs, int64(w.pending))
	for _, a := range arrs {
		a.Release()
	}
	w.pending = 0
	err := w.write(rec)
	rec.Release()
	return err
}

func (w *Writer) write(rec arrow.Record) error {
	if err := outfile.Interrupted(); err != nil && !w.keep {
		return w.fail(fmt.Errorf("arrowio: %s: %w after %d rows", w.name, err, w.rows-int64(rec.NumRows())))
	}
	var err error
	if w.stream != nil {
		err = w.stream.Write(rec)
	} else {
		err = w.file.Write(rec)
	}
	if err != nil {
		return w.fail(fmt.Errorf("arrowio: %s: %w", w.name, outfile.UnwrapPath(err)))
	}
	return nil
}

// WriteColumns writes rows rows as one record batch from whole columns, one
// argument per declared column in order, without copying numeric data:
// []int8, []int32, []int64, []float64 for scalar columns (len rows);
// []int8 or []float64 of len rows·Size for fixed-size-list columns (a
// FixedBool column takes []int8 of 0/1 values, which it packs into bits);
// for FixedBool and FixedInt8 columns also a packed bit matrix, []uint64 of
// (rows·Size+63)/64 words holding row r's value i in bit k%64 of word k/64,
// k = r·Size+i, and 0 in the bits past rows·Size (Arrow's bitmap as
// little-endian words: a FixedBool column writes it as it is);
// [][]float64 for ListFloat64; []string and []bool. Rows appended with the
// row-wise methods are flushed first. The slices may be reused once
// WriteColumns returns.
func (w *Writer) WriteColumns(rows int, cols ...any) error {
	if err := w.Flush(); err != nil {
		return err
	}
	if len(cols) != len(w.cols) {
		return w.fail(fmt.Errorf("arrowio: %s: %d columns given, %d declared", w.name, len(cols), len(w.cols)))
	}
	arrs := make([]arrow.Array, 0, len(cols))
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	for i, v := range cols {
		a, err := w.columnArray(w.cols[i], rows, v)
		if err != nil {
			return w.fail(fmt.Errorf("arrowio: %s: column %s: %w", w.name, w.cols[i].Name, err))
		}
		arrs = append(arrs, a)
	}
	rec := array.NewRecord(w.schema, arrs, int64(rows))
	defer rec.Release()
	w.rows += int64(rows)
	return w.write(rec)
}

// columnArray wraps a Go slice as an Arrow array (numeric data not copied).
func (w *Writer) columnArray(c Column, rows int, v any) (arrow.Array, error) {
	t := w.schema.Field(w.index(c.Name)).Type
	switch c.Type {
	case Int8:
		return primArray[int8](c, t, v, rows)
	case Int32:
		return primArray[int32](c, t, v, rows)
	case Int64:
		return primArray[int64](c, t, v, rows)
	case Float64:
		return primArray[float64](c, t, v, rows)
	case FixedInt8, FixedBool, FixedFloat64:
		var child arrow.Array
		var err error
		switch c.Type {
		case FixedInt8:
			if bits, ok := v.([]uint64); ok {
				v, err = w.expandBits(c, bits, rows)
				if err != nil {
					return nil, err
				}
			}
			child, err = primArray[int8](c, arrow.PrimitiveTypes.Int8, v, rows*c.Size)
		case FixedBool:
			if bits, ok := v.([]uint64); ok {
				child, err = w.wordsArray(c, bits, rows)
			} else {
				child, err = w.bitArray(c, v, rows)
			}
		default:
			child, err = primArray[float64](c, arrow.PrimitiveTypes.Float64, v, rows*c.Size)
		}
		if err != nil {
			return nil, err
		}
		defer child.Release()
		d := array.NewData(t, rows, []*memory.Buffer{nil}, []arrow.ArrayData{child.Data()}, 0, 0)
		defer d.Release()
		return array.MakeFromData(d), nil
	case String:
		return builtArray[string](c, array.NewStringBuilder(w.mem), v, rows)
	case Bool:
		return builtArray[bool](c, array.NewBooleanBuilder(w.mem), v, rows)
	case ListFloat64:
		s, err := goSlice[[]float64](c, v, rows)
		if err != nil {
			return nil, err
		}
		b := array.NewListBuilder(w.mem, arrow.PrimitiveTypes.Float64)
		defer b.Release()
		vb := b.ValueBuilder().(*array.Float64Builder)
		for _, row := range s {
			b.Append(true)
			vb.AppendValues(row, nil)
		}
		return b.NewArray(), nil
	}
	return nil, fmt.Errorf("is %s, got %T", c, v)
}

// goSlice returns v as the []T of n values that column c takes.
func goSlice[T any](c Column, v any, n int) ([]T, error) {
	s, ok := v.([]T)
	if !ok {
		return nil, fmt.Errorf("is %s, got %T", c, v)
	}
	if len(s) != n {
		return nil, fmt.Errorf("%d values, want %d", len(s), n)
	}
	return s, nil
}

// primArray wraps v, n values of column c, as an Arrow array of type dt
// without copying.
func primArray[T int8 | int32 | int64 | float64](c Column, dt arrow.DataType, v any, n int) (arrow.Array, error) {
	s, err := goSlice[T](c, v, n)
	if err != nil {
		return nil, err
	}
	d := array.NewData(dt, n, []*memory.Buffer{nil, memory.NewBufferBytes(arrow.GetBytes(s))}, nil, 0, 0)
	defer d.Release()
	return array.MakeFromData(d), nil
}

// bitArray packs v, rows·Size 0/1 values of column c (FixedBool), into
// a boolean Arrow array. The bitmap is the writer's, reused by the next
// record batch.
func (w *Writer) bitArray(c Column, v any, rows int) (arrow.Array, error) {
	s, err := goSlice[int8](c, v, rows*c.Size)
	if err != nil {
		return nil, err
	}
	if w.bits == nil {
		w.bits = map[string][]byte{}
	}
	n := (len(s) + 7) / 8
	buf := w.bits[c.Name]
	if cap(buf) < n {
		buf = make([]byte, n)
		w.bits[c.Name] = buf
	}
	buf = buf[:n]
	if k := packBits(buf, s); k >= 0 {
		return nil, fmt.Errorf("row %d, value %d is %d: the column holds 0 or 1", w.rows+int64(k/c.Size), k%c.Size, s[k])
	}
	d := array.NewData(arrow.FixedWidthTypes.Boolean, len(s), []*memory.Buffer{nil, memory.NewBufferBytes(buf)}, nil, 0, 0)
	defer d.Release()
	return array.MakeFromData(d), nil
}

// checkWords checks bits, a packed bit matrix of rows rows of column c
// (see WriteColumns), and returns its byte view: exactly the bytes of
// rows·Size bits.
func checkWords(c Column, bits []uint64, rows int) ([]byte, error) {
	n := rows * c.Size
	if len(bits) != (n+63)/64 {
		return nil, fmt.Errorf("%d words of bits, want %d for %d rows of %d values", len(bits), (n+63)/64, rows, c.Size)
	}
	if n%64 != 0 && bits[n/64]>>(n%64) != 0 {
		return nil, fmt.Errorf("bits past the %d rows are set: a bit matrix ends with zeros", rows)
	}
	b := arrow.Uint64Traits.CastToBytes(bits)
	if endian.IsBigEndian {
		// The bitmap's byte k holds bits 8k … 8k+7: little-endian words.
		le := make([]byte, len(b))
		for i, x := range bits {
			binary.LittleEndian.PutUint64(le[8*i:], x)
		}
		b = le
	}
	return b[:(n+7)/8], nil
}

// wordsArray wraps bits, a packed bit matrix of rows rows of column c
// (FixedBool), as a boolean Arrow array without copying.
func (w *Writer) wordsArray(c Column, bits []uint64, rows int) (arrow.Array, error) {
	b, err := checkWords(c, bits, rows)
	if err != nil {
		return nil, err
	}
	d := array.NewData(arrow.FixedWidthTypes.Boolean, rows*c.Size, []*memory.Buffer{nil, memory.NewBufferBytes(b)}, nil, 0, 0)
	defer d.Release()
	return array.MakeFromData(d), nil
}

// expandBits unpacks bits, a packed bit matrix of rows rows of column c
// (FixedInt8), into 0/1 bytes in a buffer of the writer's, reused by the
// next record batch.
func (w *Writer) expandBits(c Column, bits []uint64, rows int) ([]int8, error) {
	b, err := checkWords(c, bits, rows)
	if err != nil {
		return nil, err
	}
	if w.bytes == nil {
		w.bytes = map[string][]int8{}
	}
	n := rows * c.Size
	buf := w.bytes[c.Name]
	if cap(buf) < n {
		buf = make([]int8, n)
		w.bytes[c.Name] = buf
	}
	buf = buf[:n]
	unpackBits(buf, b, 0)
	return buf, nil
}

// builtArray copies v, n values of column c, into an Arrow array with the
// builder b, which it releases.
func builtArray[T any](c Column, b interface {
	array.Builder
	AppendValues([]T, []bool)
}, v any, n int) (arrow.Array, error) {
	defer b.Release()
	s, err := goSlice[T](c, v, n)
	if err != nil {
		return nil, err
	}
	b.AppendValues(s, nil)
	return b.NewArray(), nil
}

func (w *Writer) index(name string) int {
	for i, c := range w.cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// Close flushes buffered rows, ends the stream and, for a named output,
// renames the temporary file into place. On error the temporary file is
// removed and nothing is left at the destination. Close on a standard stream
// does not close it.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	err := w.Flush()
	w.release()
	w.closed = true
	if w.unhold != nil {
		defer w.unhold()
	}
	if err == nil {
		if w.stream != nil {
			err = w.stream.Close()
		} else {
			err = w.file.Close()
		}
		if err == nil && w.buf != nil {
			err = w.buf.Flush()
		}
		if err != nil {
			err = w.fail(fmt.Errorf("arrowio: %s: %w", w.name, outfile.UnwrapPath(err)))
		}
	}
	if w.out == nil {
		return err
	}
	out := w.out
	w.out = nil
	if err != nil {
		out.Abort()
		return err
	}
	if cerr := out.Commit(); cerr != nil {
		err = w.fail(fmt.Errorf("arrowio: %s: %w", w.name, cerr))
	}
	return err
}

// Abort abandons the output: a named output's temporary file is removed.
// Bytes already written to a standard stream stay written. Abort after
// Close does nothing, so `defer w.Abort()` is the idiom.
func (w *Writer) Abort() {
	if w.closed {
		return
	}
	w.closed = true
	w.fail(fmt.Errorf("arrowio: %s: aborted", w.name))
	w.release()
	if w.unhold != nil {
		w.unhold()
	}
	if w.out != nil {
		w.out.Abort()
		w.out = nil
	}
}

func (w *Writer) release() {
	for _, b := range w.builders {
		b.Release()
	}
	w.builders = nil
}
