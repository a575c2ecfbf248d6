package arrowio

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/dualssl/dualssl/pkg/arrowio/internal/ipccheck"
)

// Batch is one record batch of a Reader. Its slice accessors alias the
// batch's Arrow buffers: they are valid until the Reader's next Next or
// Close and must not be modified.
type Batch struct {
	name  string
	cols  []Column
	index map[string]int
	rec   arrow.Record
	first int64 // the file's row number of the batch's first row
	// unpacked holds bit-packed columns unpacked to 0/1 bytes, by name,
	// reused from batch to batch.
	unpacked map[string][]int8
	// words holds 0/1 columns as packed bit matrices, by name, reused.
	words map[string][]uint64
}

// Rows returns the number of rows in the batch.
func (b *Batch) Rows() int {
	if b.rec == nil {
		return 0
	}
	return int(b.rec.NumRows())
}

// column finds a column and checks its type.
func (b *Batch) column(name string, t Type) (Column, error) {
	i, ok := b.index[name]
	if !ok {
		return Column{}, noColumn(b.name, name, b.cols)
	}
	c := b.cols[i]
	if c.Type != t {
		want := t.String()
		return c, fmt.Errorf("arrowio: %s: column %s is %s, want %s", b.name, name, c, want)
	}
	return c, nil
}

// array returns column name of the current record after a type check.
func (b *Batch) array(name string, t Type) (arrow.Array, Column, error) {
	c, err := b.column(name, t)
	if err != nil {
		return nil, c, err
	}
	if b.rec == nil {
		return nil, c, fmt.Errorf("arrowio: %s: no current batch (call Next first)", b.name)
	}
	a := b.rec.Column(b.index[name])
	if a.NullN() > 0 {
		row := 0
		for row < a.Len() && !a.IsNull(row) {
			row++
		}
		more := ""
		if n := a.NullN() - 1; n > 0 {
			more = fmt.Sprintf(" (and %d more)", n)
		}
		return nil, c, fmt.Errorf("arrowio: %s: column %s is null in row %d%s; dualssl files have no nulls", b.name, name, b.first+int64(row), more)
	}
	return a, c, nil
}

// Int64 returns column name (type int64).
func (b *Batch) Int64(name string) ([]int64, error) { return primValues[int64](b, name, Int64) }

// Int32 returns column name (type int32).
func (b *Batch) Int32(name string) ([]int32, error) { return primValues[int32](b, name, Int32) }

// Int8 returns column name (type int8).
func (b *Batch) Int8(name string) ([]int8, error) { return primValues[int8](b, name, Int8) }

// Float64 returns column name (type float64).
func (b *Batch) Float64(name string) ([]float64, error) { return primValues[float64](b, name, Float64) }

// primValues returns a primitive column's values, aliasing the batch.
func primValues[T int8 | int32 | int64 | float64](b *Batch, name string, t Type) ([]T, error) {
	a, _, err := b.array(name, t)
	if err != nil {
		return nil, err
	}
	if v := arrow.GetValues[T](a.Data(), 1); v != nil {
		return v, nil
	}
	return []T{}, nil
}

// String returns a copy of column name (type string).
func (b *Batch) String(name string) ([]string, error) {
	a, _, err := b.array(name, String)
	if err != nil {
		return nil, err
	}
	s := a.(interface{ Value(int) string })
	out := make([]string, a.Len())
	for i := range out {
		// Arrow's Value aliases the batch's buffer, which the stream
		// reader reuses for the next batch: copy.
		out[i] = strings.Clone(s.Value(i))
	}
	return out, nil
}

// Bool returns a copy of column name (type bool).
func (b *Batch) Bool(name string) ([]bool, error) {
	a, _, err := b.array(name, Bool)
	if err != nil {
		return nil, err
	}
	s := a.(*array.Boolean)
	out := make([]bool, s.Len())
	for i := range out {
		out[i] = s.Value(i)
	}
	return out, nil
}

// fixedValues returns the flat child values of a fixed-size-list column
// without copying: row i is values[i*size : (i+1)*size].
func (b *Batch) fixedValues(name string, t Type) (arrow.Array, int, int, error) {
	a, c, err := b.array(name, t)
	if err != nil {
		return nil, 0, 0, err
	}
	l := a.(*array.FixedSizeList) // array refused null rows
	child := l.ListValues()
	if child.NullN() > 0 {
		return nil, 0, 0, fmt.Errorf("arrowio: %s: column %s has null list elements; dualssl files have none", b.name, name)
	}
	return child, l.Offset() * c.Size, (l.Offset() + l.Len()) * c.Size, nil
}

// FixedFloat64 returns column name (fixed_size_list<float64>) as one flat
// slice of Rows()·size values, row-major, without copying.
func (b *Batch) FixedFloat64(name string) (values []float64, size int, err error) {
	child, lo, hi, err := b.fixedValues(name, FixedFloat64)
	if err != nil {
		return nil, 0, err
	}
	c, _ := b.column(name, FixedFloat64)
	return child.(*array.Float64).Float64Values()[lo:hi], c.Size, nil
}

// FixedInt8 returns column name (fixed_size_list<int8>) as one flat slice
// of Rows()·size values, row-major, without copying.
func (b *Batch) FixedInt8(name string) (values []int8, size int, err error) {
	child, lo, hi, err := b.fixedValues(name, FixedInt8)
	if err != nil {
		return nil, 0, err
	}
	c, _ := b.column(name, FixedInt8)
	return child.(*array.Int8).Int8Values()[lo:hi], c.Size, nil
}

// fixedBits returns the bitmap of column name (fixed_size_list<bool>)
// without copying: value k of the column (row k/size) is bit off+k.
func (b *Batch) fixedBits(name string) (bits []byte, off, n, size int, err error) {
	child, lo, hi, err := b.fixedValues(name, FixedBool)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	c, _ := b.column(name, FixedBool)
	d := child.Data()
	if buf := d.Buffers()[1]; buf != nil {
		bits = buf.Bytes()
	}
	return bits, d.Offset() + lo, hi - lo, c.Size, nil
}

// unpack returns column name (fixed_size_list<bool>) as Rows()·size 0/1
// bytes, unpacked into a buffer of the batch (valid until the reader's
// next Next; the next call for the same column overwrites it).
func (b *Batch) unpack(name string) ([]int8, int, error) {
	bits, off, n, size, err := b.fixedBits(name)
	if err != nil {
		return nil, 0, err
	}
	if err := checkUnpack(b.name, name, b.first, b.Rows(), n, 1); err != nil {
		return nil, 0, err
	}
	if b.unpacked == nil {
		b.unpacked = map[string][]int8{}
	}
	buf := b.unpacked[name]
	if cap(buf) < n {
		buf = make([]int8, n)
		b.unpacked[name] = buf
	}
	buf = buf[:n]
	unpackBits(buf, bits, off)
	return buf, size, nil
}

// binaryColumn returns a 0/1 column: fixed_size_list<bool> (what dualssl
// writes, format 3) or fixed_size_list<int8> (format 2, or Bytes).
func (b *Batch) binaryColumn(name string) (Column, error) {
	c, err := b.column(name, FixedBool)
	if err == nil || errors.Is(err, ErrNoColumn) {
		return c, err
	}
	if c, err := b.column(name, FixedInt8); err == nil {
		return c, nil
	}
	return c, fmt.Errorf("arrowio: %s: column %s is %s, want %s or %s", b.name, name, c, FixedBool, FixedInt8)
}

// binaryValues returns a 0/1 column (see binaryColumn) as flat 0/1 bytes,
// and whether it was bit-packed (its values then are 0 or 1 by nature;
// int8 values are not checked).
func (b *Batch) binaryValues(name string) ([]int8, bool, error) {
	c, err := b.binaryColumn(name)
	if err != nil {
		return nil, false, err
	}
	if c.Type == FixedInt8 {
		v, _, err := b.FixedInt8(name)
		return v, false, err
	}
	v, _, err := b.unpack(name)
	return v, true, err
}

// BinaryWords returns a 0/1 column, fixed_size_list<bool> or <int8>, as a
// packed bit matrix of Rows()·size bits: row r's value i in bit k%64 of
// word k/64, k = r·size+i, and 0 in the bits past the last row (the layout
// arrowio.Writer.WriteColumns takes, and bitslice's bit rows). Bits are
// copied from the batch's bitmap, realigned to bit 0; int8 values are
// checked to be 0 or 1 (an error names the row) and packed. The words are
// a buffer of the batch's, valid until the reader's next Next.
func (b *Batch) BinaryWords(name string) (words []uint64, size int, err error) {
	c, err := b.binaryColumn(name)
	if err != nil {
		return nil, 0, err
	}
	n := b.Rows() * c.Size
	if b.words == nil {
		b.words = map[string][]uint64{}
	}
	buf := b.words[name]
	if cap(buf) < (n+63)/64 {
		buf = make([]uint64, (n+63)/64)
		b.words[name] = buf
	}
	buf = buf[:(n+63)/64]
	if c.Type == FixedInt8 {
		v, _, err := b.FixedInt8(name)
		if err != nil {
			return nil, 0, err
		}
		if k := packWords(buf, v); k >= 0 {
			return nil, 0, notBinary(b.name, name, b.first, k, c.Size, float64(v[k]))
		}
		return buf, c.Size, nil
	}
	bits, off, _, _, err := b.fixedBits(name)
	if err != nil {
		return nil, 0, err
	}
	bitsToWords(buf, bits, off, n)
	return buf, c.Size, nil
}

// Binary returns a 0/1 column, fixed_size_list<bool> (format 3) or <int8>
// (format 2), as one flat slice of Rows()·size bytes, row-major: int8
// values alias the batch (and are not checked to be 0 or 1), bool values
// are unpacked into a buffer of the batch's. Either is valid until the
// reader's next Next.
func (b *Batch) Binary(name string) (values []int8, size int, err error) {
	c, err := b.binaryColumn(name)
	if err != nil {
		return nil, 0, err
	}
	v, _, err := b.binaryValues(name)
	return v, c.Size, err
}

// ListFloat64 returns column name (list<float64>): one slice per row, each
// aliasing the batch's buffer.
func (b *Batch) ListFloat64(name string) ([][]float64, error) {
	a, _, err := b.array(name, ListFloat64)
	if err != nil {
		return nil, err
	}
	l := a.(array.ListLike)
	child := l.ListValues()
	if child.NullN() > 0 {
		return nil, fmt.Errorf("arrowio: %s: column %s has null list elements; dualssl files have none", b.name, name)
	}
	vals := child.(*array.Float64).Float64Values()
	out := make([][]float64, l.Len())
	for i := range out {
		lo, hi := l.ValueOffsets(i)
		out[i] = vals[lo:hi:hi]
	}
	return out, nil
}

// Values returns column name as the Go slice Writer.WriteColumns takes for
// its type: []int8, []int32, []int64, []float64, []string or []bool for the
// primitive types, one flat row-major []int8 or []float64 for
// FixedInt8 and FixedFloat64 (as FixedInt8 and FixedFloat64 return them),
// a flat row-major []int8 of 0/1 values for FixedBool (unpacked, a new
// slice), [][]float64 for ListFloat64. Like the typed accessors, numeric
// values alias the batch. A column of another type is an error naming it.
func (b *Batch) Values(name string) (any, error) {
	i, ok := b.index[name]
	if !ok {
		return nil, noColumn(b.name, name, b.cols)
	}
	switch c := b.cols[i]; c.Type {
	case Int8:
		return b.Int8(name)
	case Int32:
		return b.Int32(name)
	case Int64:
		return b.Int64(name)
	case Float64:
		return b.Float64(name)
	case String:
		return b.String(name)
	case Bool:
		return b.Bool(name)
	case FixedInt8:
		v, _, err := b.FixedInt8(name)
		return v, err
	case FixedFloat64:
		v, _, err := b.FixedFloat64(name)
		return v, err
	case FixedBool:
		bits, off, n, _, err := b.fixedBits(name)
		if err == nil {
			err = checkUnpack(b.name, name, b.first, b.Rows(), n, 1)
		}
		if err != nil {
			return nil, err
		}
		v := make([]int8, n)
		unpackBits(v, bits, off)
		return v, nil
	case ListFloat64:
		return b.ListFloat64(name)
	default:
		return nil, unreadable(b.name, c)
	}
}

// unreadable is the error for a column of a type outside Type's.
func unreadable(file string, c Column) error {
	return fmt.Errorf("arrowio: %s: column %s is %s, which dualssl does not read", file, c.Name, c)
}

// Cell returns the value in row i of column j (schema order) as a Go value
// for display: int64 (all integer types), float64, string, bool, nil for a
// null, []int8 or []float64 for lists of those ([]int8 of 0/1 for lists
// of bool too), or a string rendered by Arrow for any other type.
func (b *Batch) Cell(j, i int) any {
	a := b.rec.Column(j)
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Uint8:
		return int64(a.Value(i))
	case *array.Uint16:
		return int64(a.Value(i))
	case *array.Uint32:
		return int64(a.Value(i))
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return strings.Clone(a.Value(i))
	case *array.LargeString:
		return strings.Clone(a.Value(i))
	case *array.Boolean:
		return a.Value(i)
	case *array.FixedSizeList:
		lo, hi := a.ValueOffsets(i)
		return listCell(a.ListValues(), int(lo), int(hi))
	case *array.List:
		lo, hi := a.ValueOffsets(i)
		return listCell(a.ListValues(), int(lo), int(hi))
	case *array.LargeList:
		lo, hi := a.ValueOffsets(i)
		return listCell(a.ListValues(), int(lo), int(hi))
	}
	return a.ValueStr(i)
}

func listCell(child arrow.Array, lo, hi int) any {
	switch c := child.(type) {
	case *array.Float64:
		return append([]float64(nil), c.Float64Values()[lo:hi]...)
	case *array.Int8:
		return append([]int8(nil), c.Int8Values()[lo:hi]...)
	case *array.Boolean:
		out := make([]int8, hi-lo)
		for k := range out {
			if c.Value(lo + k) {
				out[k] = 1
			}
		}
		return out
	}
	out := make([]string, 0, hi-lo)
	for k := lo; k < hi; k++ {
		out = append(out, child.ValueStr(k))
	}
	return out
}

// validate checks the current record's buffers against its lengths, so a
// corrupt input gives an error instead of a panic later.
func (b *Batch) validate() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("arrowio: %s: corrupt record batch: %v", b.name, p)
		}
	}()
	n := int(b.rec.NumRows())
	for j := 0; j < int(b.rec.NumCols()); j++ {
		if err := ipccheck.ValidArray(b.rec.Column(j), n); err != nil {
			return fmt.Errorf("arrowio: %s: column %s, record batch of rows %d…%d: %w", b.name, b.cols[j].Name, b.first, b.first+int64(n)-1, err)
		}
	}
	return nil
}

// leafColumn returns a column of observed leaves: fixed_size_list<bool>
// (what dualssl writes, format 3: leaves are 0/1, and one bit each carries
// them at a 64th of the bytes of float64), fixed_size_list<int8> (format 2)
// or fixed_size_list<float64> (what another program may write).
func (b *Batch) leafColumn(name string) (Column, error) {
	c, err := b.column(name, FixedBool)
	if err == nil || errors.Is(err, ErrNoColumn) {
		return c, err
	}
	if c.Type == FixedInt8 || c.Type == FixedFloat64 {
		return c, nil
	}
	return c, fmt.Errorf("arrowio: %s: column %s is %s, want %s, %s or %s", b.name, name, c, FixedBool, FixedInt8, FixedFloat64)
}

// Leaves is a leaf column of a batch as stored, without conversion:
// exactly one of Bits (what dualssl writes), Int8 (format 2) and Float64
// (a file another program wrote) is set, flat and row-major, aliasing the
// batch.
type Leaves struct {
	Int8    []int8
	Float64 []float64
	// Bits holds the values bit-packed: value k is bit BitOffset+k
	// (least significant bit first), N values in all.
	Bits      []byte
	BitOffset int
	N         int
}

// Len returns the number of values.
func (l Leaves) Len() int {
	if l.Bits != nil {
		return l.N
	}
	return len(l.Int8) + len(l.Float64)
}

// CopyTo writes values lo … lo+len(dst)−1 into dst as float64. It panics
// if they are out of range.
func (l Leaves) CopyTo(dst []float64, lo int) {
	switch {
	case l.Bits != nil:
		if lo < 0 || lo+len(dst) > l.N {
			panic(fmt.Sprintf("arrowio: Leaves.CopyTo: values %d…%d of %d", lo, lo+len(dst), l.N))
		}
		unpackFloats(dst, l.Bits, l.BitOffset+lo)
	case l.Int8 == nil:
		copy(dst, l.Float64[lo:lo+len(dst)])
	default:
		src := l.Int8[lo : lo+len(dst)]
		for i, x := range src {
			dst[i] = float64(x)
		}
	}
}

// Int8s reports whether the values are 0/1 bytes or bits (CopyInt8To
// applies), not float64.
func (l Leaves) Int8s() bool { return l.Int8 != nil || l.Bits != nil }

// CopyInt8To writes values lo … lo+len(dst)−1 of a bool or int8 column
// (Int8s) into dst as 0/1 bytes. It panics if they are out of range or the
// values are float64.
func (l Leaves) CopyInt8To(dst []int8, lo int) {
	switch {
	case l.Bits != nil:
		if lo < 0 || lo+len(dst) > l.N {
			panic(fmt.Sprintf("arrowio: Leaves.CopyInt8To: values %d…%d of %d", lo, lo+len(dst), l.N))
		}
		unpackBits(dst, l.Bits, l.BitOffset+lo)
	case l.Int8 != nil:
		copy(dst, l.Int8[lo:lo+len(dst)])
	default:
		if len(dst) > 0 {
			panic("arrowio: Leaves.CopyInt8To of float64 values")
		}
	}
}

// StoredLeaves returns a leaf column (fixed_size_list<bool>, <int8> or
// <float64>, see leafColumn) as stored, without copying or converting.
func (b *Batch) StoredLeaves(name string) (values Leaves, size int, err error) {
	c, err := b.leafColumn(name)
	if err != nil {
		return Leaves{}, 0, err
	}
	switch c.Type {
	case FixedFloat64:
		values.Float64, size, err = b.FixedFloat64(name)
	case FixedInt8:
		values.Int8, size, err = b.FixedInt8(name)
	default:
		values.Bits, values.BitOffset, values.N, size, err = b.fixedBits(name)
		if values.Bits == nil && err == nil {
			values.Bits = []byte{} // no values, but stored as bits
		}
	}
	return values, size, err
}

// FixedLeaves returns a leaf column (fixed_size_list<bool>, <int8> or
// <float64>, see leafColumn) as one flat slice of Rows()·size float64
// values, row-major: float64 values alias the batch; bool and int8 values
// are converted into *buf, which grows as needed and is reused across
// calls.
func (b *Batch) FixedLeaves(name string, buf *[]float64) (values []float64, size int, err error) {
	l, size, err := b.StoredLeaves(name)
	if err != nil {
		return nil, 0, err
	}
	if l.Float64 != nil {
		return l.Float64, size, nil
	}
	if err := checkUnpack(b.name, name, b.first, b.Rows(), l.Len(), 8); err != nil {
		return nil, 0, err
	}
	if cap(*buf) < l.Len() {
		*buf = make([]float64, l.Len())
	}
	out := (*buf)[:l.Len()]
	l.CopyTo(out, 0)
	return out, size, nil
}
