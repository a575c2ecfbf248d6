package arrowio

import (
	"errors"
	"fmt"
	"io"
)

// ErrNoColumn is the error (tested with errors.Is) of a file that lacks a
// column its kind needs, or a column a caller asked for.
var ErrNoColumn = errors.New("arrowio: no column")

// markedError is an error with its own message that errors.Is matches to
// a sentinel (ErrNoColumn, ErrNoModel): the sentinel's instances say
// which file and column, prefixed once.
type markedError struct {
	msg string
	is  error
}

func (e *markedError) Error() string { return e.msg }
func (e *markedError) Unwrap() error { return e.is }

// Field binds one column of a tidy table to a field of its row type T:
// how the field is written and how it is read back from a batch. Build
// fields with Int32Field, Int64Field, Float64Field, StringField and
// BoolField; a kind's file lists them once (see Rows).
type Field[T any] struct {
	Column Column
	put    func(w *Writer, i int, r *T)
	get    func(b *Batch, name string) (func(i int, r *T), error)
}

func field[T, V any](name string, t Type, p func(*T) *V, put func(*Writer, int, V), get func(*Batch, string) ([]V, error)) Field[T] {
	return Field[T]{
		Column: Column{Name: name, Type: t},
		put:    func(w *Writer, i int, r *T) { put(w, i, *p(r)) },
		get: func(b *Batch, name string) (func(int, *T), error) {
			v, err := get(b, name)
			if err != nil {
				return nil, err
			}
			return func(i int, r *T) { *p(r) = v[i] }, nil
		},
	}
}

// Int32Field is an int32 column read into and written from *p(row).
func Int32Field[T any](name string, p func(*T) *int32) Field[T] {
	return field(name, Int32, p, (*Writer).Int32, (*Batch).Int32)
}

// Int64Field is an int64 column read into and written from *p(row).
func Int64Field[T any](name string, p func(*T) *int64) Field[T] {
	return field(name, Int64, p, (*Writer).Int64, (*Batch).Int64)
}

// Float64Field is a float64 column read into and written from *p(row).
func Float64Field[T any](name string, p func(*T) *float64) Field[T] {
	return field(name, Float64, p, (*Writer).Float64, (*Batch).Float64)
}

// StringField is a string column read into and written from *p(row). The
// strings read are copies: they outlive the batch.
func StringField[T any](name string, p func(*T) *string) Field[T] {
	return field(name, String, p, (*Writer).String, (*Batch).String)
}

// BoolField is a bool column read into and written from *p(row).
func BoolField[T any](name string, p func(*T) *bool) Field[T] {
	return field(name, Bool, p, (*Writer).Bool, (*Batch).Bool)
}

// Rows is the contract of a tidy table kind: its Kind and one Field per
// column, in schema order, each bound to a field of the row type T. A new
// table kind is one small file declaring its row struct and its Rows
// (see probe.go for the pattern); its readers and writers come from here.
type Rows[T any] struct {
	Kind   Kind
	Fields []Field[T]
}

// Columns returns the schema of the kind.
func (s Rows[T]) Columns() []Column {
	cols := make([]Column, len(s.Fields))
	for i, f := range s.Fields {
		cols[i] = f.Column
	}
	return cols
}

// RowWriter writes rows of type T to a Writer made with the kind's
// Columns.
type RowWriter[T any] struct {
	*Writer
	fields []Field[T]
}

// Writer wraps w, whose columns must be s.Columns(), as a typed writer.
// Close and Abort w (or the RowWriter) as usual.
func (s Rows[T]) Writer(w *Writer) *RowWriter[T] { return &RowWriter[T]{Writer: w, fields: s.Fields} }

// Write appends one row.
func (rw *RowWriter[T]) Write(r T) error {
	for i, f := range rw.fields {
		f.put(rw.Writer, i, &r)
	}
	return rw.EndRow()
}

// RowReader reads rows of type T from a Reader, one batch at a time.
// Every value it returns is a copy that outlives the batch.
type RowReader[T any] struct {
	r      *Reader
	fields []Field[T]
	batch  []T
	at     int
}

// Reader checks that r holds every column of the kind (ErrNoColumn
// otherwise; other columns are ignored) and returns a typed reader. It
// does not check r's kind: use Reader.Expect for that.
func (s Rows[T]) Reader(r *Reader) (*RowReader[T], error) {
	for _, f := range s.Fields {
		if _, err := r.Column(f.Column.Name, f.Column.Type); err != nil {
			return nil, err
		}
	}
	return &RowReader[T]{r: r, fields: s.Fields}, nil
}

// Next returns the next row, or io.EOF after the last one.
func (rr *RowReader[T]) Next() (T, error) {
	for rr.at >= len(rr.batch) {
		if !rr.r.Next() {
			var zero T
			if err := rr.r.Err(); err != nil {
				return zero, err
			}
			return zero, io.EOF
		}
		b := rr.r.Batch()
		rows := make([]T, b.Rows())
		for _, f := range rr.fields {
			set, err := f.get(b, f.Column.Name)
			if err != nil {
				return *new(T), err
			}
			for i := range rows {
				set(i, &rows[i])
			}
		}
		rr.batch, rr.at = rows, 0
	}
	rr.at++
	return rr.batch[rr.at-1], nil
}

// ReadAll reads every remaining row of r (see Reader).
func (s Rows[T]) ReadAll(r *Reader) ([]T, error) {
	rr, err := s.Reader(r)
	if err != nil {
		return nil, err
	}
	var out []T
	for {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
}

// noColumn is the error of a missing column in the input name.
func noColumn(name, col string, cols []Column) error {
	return &markedError{fmt.Sprintf("arrowio: %s: no column %s (columns: %s)", name, col, columnList(cols)), ErrNoColumn}
}
