package ipccheck

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Arrow's Go IPC reader trusts the lengths written in a stream: a corrupt
// or hostile input can make it allocate terabytes (a fatal error, not a
// panic) before it notices the data is missing. The Framer below reads a
// stream one message at a time, growing its buffer only as bytes actually
// arrive, checks the flatbuffer lengths Arrow would trust, and hands Arrow
// only whole, checked messages.

// FileMagic opens (and closes) the Arrow IPC file format.
var FileMagic = []byte("ARROW1")

// maxMetadata bounds one message's flatbuffer metadata (Arrow's own
// writers produce kilobytes).
const maxMetadata = 64 << 20

// maxNesting bounds the depth of nested fields in a schema.
const maxNesting = 64

// Framer reads a stream one message at a time and hands Arrow only
// validated messages, as an ipc.MessageReader. Message bytes are read
// straight into reused buffers and given to Arrow without another copy;
// Arrow copies what it keeps into its own buffers while it builds a
// record, before it asks for the next message.
type Framer struct {
	src    io.Reader
	meta   []byte // the current message's flatbuffer
	body   []byte // the current message's body
	msg    *ipc.Message
	refs   int64
	sawEOS bool
	err    error
	// nodes and buffers a record batch must list, once the schema is known.
	nodes, buffers int
	started        bool // the first message (the schema) was read
}

// NewFramer returns a Framer reading messages from src.
func NewFramer(src io.Reader) *Framer { return &Framer{src: src, refs: 1} }

// SetLayout sets how many field nodes and buffers every record batch must
// list (see Layout), once the schema is known.
func (f *Framer) SetLayout(nodes, buffers int) { f.nodes, f.buffers = nodes, buffers }

// Err returns the error that stopped the framer (io.EOF at the end).
func (f *Framer) Err() error { return f.err }

// Fail stops the framer with err (a record that did not decode).
func (f *Framer) Fail(err error) { f.err = err }

// SawEOS reports whether the stream's end-of-stream marker was read.
func (f *Framer) SawEOS() bool { return f.sawEOS }

// TrailingData reports whether bytes follow the end-of-stream marker.
func (f *Framer) TrailingData() bool {
	n, _ := f.src.Read(make([]byte, 1))
	return n > 0
}

// Message implements ipc.MessageReader. At the end of the input it
// returns io.EOF, which Arrow takes as the end of the stream; the caller
// then asks sawEOS whether the end marker was there. Errors are kept in err.
func (f *Framer) Message() (*ipc.Message, error) {
	if f.msg != nil {
		f.msg.Release()
		f.msg = nil
	}
	if f.err != nil {
		return nil, f.err
	}
	if f.sawEOS {
		return nil, io.EOF
	}
	if f.err = f.next(); f.err != nil {
		return nil, f.err
	}
	if f.sawEOS {
		return nil, io.EOF
	}
	f.msg = ipc.NewMessage(memory.NewBufferBytes(f.meta), memory.NewBufferBytes(f.body))
	return f.msg, nil
}

// NextRecord reads the next record batch message for DecodeRecord: its
// flatbuffer and body, valid until the next call. It returns io.EOF at the
// end marker or the end of the input (sawEOS tells which).
func (f *Framer) NextRecord() (meta, body []byte, err error) {
	if f.err != nil {
		return nil, nil, f.err
	}
	if f.sawEOS {
		return nil, nil, io.EOF
	}
	if f.err = f.next(); f.err != nil {
		return nil, nil, f.err
	}
	if f.sawEOS {
		return nil, nil, io.EOF
	}
	if t := messageType(f.meta); t != headerRecordBatch {
		f.err = fmt.Errorf("message type %d where a record batch belongs", t)
		return nil, nil, f.err
	}
	return f.meta, f.body, nil
}

// Retain implements ipc.MessageReader.
func (f *Framer) Retain() { f.refs++ }

// Release implements ipc.MessageReader.
func (f *Framer) Release() {
	if f.refs--; f.refs <= 0 && f.msg != nil {
		f.msg.Release()
		f.msg = nil
	}
}

// next reads one message into meta and body, or notes the end marker.
func (f *Framer) next() error {
	var head [4]byte
	n, err := io.ReadFull(f.src, head[:])
	if n == 0 && err == io.EOF {
		return io.EOF
	}
	if err != nil {
		return fmt.Errorf("cut inside a message header")
	}
	length := binary.LittleEndian.Uint32(head[:])
	if length == 0xffffffff {
		if _, err := io.ReadFull(f.src, head[:]); err != nil {
			return fmt.Errorf("cut inside a message header")
		}
		length = binary.LittleEndian.Uint32(head[:])
	}
	if length == 0 {
		f.sawEOS = true
		return nil
	}
	if length > maxMetadata {
		return fmt.Errorf("message metadata of %d bytes: corrupt length", length)
	}
	// Buffers grow only as bytes arrive (beyond what is trusted up
	// front), so a lying length cannot make them huge.
	var got int64
	if f.meta, got, err = readInto(f.meta, f.src, int64(length), 1<<20); err != nil {
		return fmt.Errorf("cut inside message metadata (%d of %d bytes)", got, length)
	}
	meta := f.meta
	body, err := checkMessage(meta, f.nodes, f.buffers)
	if err != nil {
		return err
	}
	// Arrow's reader leaks the message when a stream does not start with
	// its schema, so that case is refused here.
	if !f.started {
		if htype := messageType(meta); htype != headerSchema {
			return fmt.Errorf("the stream does not start with a schema (message type %d)", htype)
		}
	}
	f.started = true
	// Room for the body up front (a claimed length is trusted up to 64 MiB;
	// beyond that the buffer grows only as bytes arrive).
	if f.body, got, err = readInto(f.body, f.src, body, 64<<20); err != nil {
		return fmt.Errorf("cut inside a message body (%d of %d bytes)", got, body)
	}
	return nil
}

// readInto reads exactly n bytes of src into buf (reusing its capacity)
// and returns them with the count read. Up to trust bytes are allocated
// up front; beyond that the buffer grows only as bytes arrive.
func readInto(buf []byte, src io.Reader, n, trust int64) ([]byte, int64, error) {
	buf = buf[:0]
	for int64(len(buf)) < n {
		want := n - int64(len(buf))
		if len(buf) > 0 || want > trust {
			want = min(want, max(int64(len(buf)), trust))
		}
		at := len(buf)
		buf = slices.Grow(buf, int(want))[:at+int(want)]
		if got, err := io.ReadFull(src, buf[at:]); err != nil {
			return buf[:at+got], int64(at + got), err
		}
	}
	return buf, n, nil
}

// fb reads a flatbuffer with bounds checks; every method reports failure
// through ok rather than panicking.
type fb struct {
	b  []byte
	ok bool
}

func (f *fb) u32(p int) uint32 {
	if p < 0 || p+4 > len(f.b) {
		f.ok = false
		return 0
	}
	return binary.LittleEndian.Uint32(f.b[p:])
}

func (f *fb) u16(p int) uint16 {
	if p < 0 || p+2 > len(f.b) {
		f.ok = false
		return 0
	}
	return binary.LittleEndian.Uint16(f.b[p:])
}

func (f *fb) i64(p int) int64 {
	if p < 0 || p+8 > len(f.b) {
		f.ok = false
		return 0
	}
	return int64(binary.LittleEndian.Uint64(f.b[p:]))
}

// field returns the position of field i of the table at t, or 0 if absent.
func (f *fb) field(t, i int) int {
	vt := t - int(int32(f.u32(t)))
	vlen := int(f.u16(vt))
	if !f.ok || vlen < 4 || vt+vlen > len(f.b) {
		f.ok = false
		return 0
	}
	if 4+2*i >= vlen {
		return 0
	}
	o := int(f.u16(vt + 4 + 2*i))
	if o == 0 {
		return 0
	}
	return t + o
}

// ref follows the offset stored in field i of table t (a table, vector or
// string); 0 if absent.
func (f *fb) ref(t, i int) int {
	p := f.field(t, i)
	if p == 0 || !f.ok {
		return 0
	}
	q := p + int(f.u32(p))
	if q <= 0 || q >= len(f.b) {
		f.ok = false
		return 0
	}
	return q
}

// vector returns the element count of the vector at v after checking it
// fits in the buffer with elements of elem bytes.
func (f *fb) vector(v, elem int) int {
	if v == 0 {
		return 0
	}
	n := int(f.u32(v))
	if !f.ok || n < 0 || n > (len(f.b)-v-4)/elem {
		f.ok = false
		return 0
	}
	return n
}

// tables checks a vector of tables with check and returns its length.
func (f *fb) tables(v int, check func(t int)) int {
	n := f.vector(v, 4)
	for k := 0; k < n && f.ok; k++ {
		p := v + 4 + 4*k
		check(p + int(f.u32(p)))
	}
	return n
}

func (f *fb) keyValues(v int) {
	f.tables(v, func(t int) {
		f.vector(f.ref(t, 0), 1)
		f.vector(f.ref(t, 1), 1)
	})
}

func (f *fb) fieldTable(t, depth int) {
	if depth > maxNesting {
		f.ok = false
		return
	}
	f.vector(f.ref(t, 0), 1) // name
	f.tables(f.ref(t, 5), func(c int) { f.fieldTable(c, depth+1) })
	f.keyValues(f.ref(t, 6))
}

func (f *fb) schema(s int) {
	f.tables(f.ref(s, 1), func(t int) { f.fieldTable(t, 0) })
	f.keyValues(f.ref(s, 2))
	f.vector(f.ref(s, 3), 8)
}

var errCorruptMeta = errors.New("corrupt message metadata")

// Message header types (Arrow's MessageHeader enum).
const (
	headerSchema      = 1
	headerDictionary  = 2
	headerRecordBatch = 3
)

// messageType returns the header type of a checked message.
func messageType(meta []byte) int {
	f := &fb{b: meta, ok: true}
	if p := f.field(int(f.u32(0)), 1); p != 0 && p < len(meta) && f.ok {
		return int(meta[p])
	}
	return 0
}

// checkMessage validates a message's flatbuffer metadata and returns its
// body length.
func checkMessage(meta []byte, nodes, buffers int) (int64, error) {
	f := &fb{b: meta, ok: true}
	root := int(f.u32(0))
	if !f.ok || root <= 0 || root >= len(meta) {
		return 0, errCorruptMeta
	}
	htype := 0
	if p := f.field(root, 1); p != 0 && p < len(meta) {
		htype = int(meta[p])
	}
	var body int64
	if p := f.field(root, 3); p != 0 {
		body = f.i64(p)
	}
	header := f.ref(root, 2)
	f.keyValues(f.ref(root, 4))
	if !f.ok || body < 0 {
		return 0, errCorruptMeta
	}
	switch htype {
	case headerSchema:
		if header == 0 {
			return 0, errCorruptMeta
		}
		f.schema(header)
	case headerRecordBatch, headerDictionary:
		rb := header
		if htype == headerDictionary && header != 0 {
			rb = f.ref(header, 1) // DictionaryBatch.data
		}
		if rb == 0 {
			return 0, errCorruptMeta
		}
		if p := f.field(rb, 0); p != 0 && f.i64(p) < 0 {
			return 0, fmt.Errorf("record batch with a negative length")
		}
		f.vector(f.ref(rb, 1), 16) // FieldNode structs
		bufs := f.ref(rb, 2)
		n := f.vector(bufs, 16) // Buffer structs {offset, length}
		for k := 0; k < n && f.ok; k++ {
			off, ln := f.i64(bufs+4+16*k), f.i64(bufs+4+16*k+8)
			if off < 0 || ln < 0 || off > body || ln > body-off {
				return 0, fmt.Errorf("record batch buffer %d outside the message body", k)
			}
		}
		if htype == headerDictionary {
			return 0, fmt.Errorf("dictionary-encoded columns are not supported")
		}
		if err := f.checkCounts(rb, nodes, buffers); err != nil {
			return 0, err
		}
		if f.ref(rb, 3) != 0 {
			return 0, fmt.Errorf("compressed record batches are not supported; write the stream uncompressed")
		}
	default:
		return 0, fmt.Errorf("unsupported message type %d", htype)
	}
	if !f.ok {
		return 0, errCorruptMeta
	}
	return body, nil
}

// CheckFile validates the footer of an Arrow IPC file of size bytes and
// every message it points to, so that Arrow's file reader only sees
// lengths backed by real bytes.
func CheckFile(r io.ReaderAt, size int64, nodes, buffers int) error {
	const tailLen = 4 + 6 // footer length, magic
	if size < 8+tailLen {
		return fmt.Errorf("too short for an Arrow IPC file (%d bytes)", size)
	}
	var tail [tailLen]byte
	if _, err := r.ReadAt(tail[:], size-tailLen); err != nil {
		return err
	}
	if !bytes.Equal(tail[4:], FileMagic) {
		return fmt.Errorf("no closing ARROW1 magic: the file is cut or was not closed")
	}
	flen := int64(int32(binary.LittleEndian.Uint32(tail[:4])))
	fstart := size - tailLen - flen
	if flen <= 0 || flen > maxMetadata || fstart < 8 {
		return fmt.Errorf("corrupt footer length %d", flen)
	}
	footer := make([]byte, flen)
	if _, err := r.ReadAt(footer, fstart); err != nil {
		return err
	}
	f := &fb{b: footer, ok: true}
	root := int(f.u32(0))
	if !f.ok || root <= 0 || root >= len(footer) {
		return fmt.Errorf("corrupt footer")
	}
	if s := f.ref(root, 1); s != 0 {
		f.schema(s)
	} else {
		f.ok = false
	}
	for _, field := range []int{2, 3} {
		v := f.ref(root, field)
		n := f.vector(v, 24)
		for k := 0; k < n && f.ok; k++ {
			p := v + 4 + 24*k
			off, mlen, blen := f.i64(p), int64(int32(f.u32(p+8))), f.i64(p+16)
			if off < 8 || mlen <= 0 || blen < 0 || mlen > maxMetadata || off > fstart || mlen > fstart-off || blen > fstart-off-mlen {
				return fmt.Errorf("record batch block %d outside the file", k)
			}
			meta := make([]byte, mlen)
			if _, err := r.ReadAt(meta, off); err != nil {
				return err
			}
			// The block's metadata is the continuation token, the flatbuffer
			// length, then the flatbuffer (older files omit the token).
			fbuf := meta[4:]
			if binary.LittleEndian.Uint32(meta) == 0xffffffff {
				if len(meta) < 8 {
					return fmt.Errorf("record batch block %d: corrupt metadata", k)
				}
				fbuf = meta[8:]
			}
			body, err := checkMessage(fbuf, nodes, buffers)
			if err != nil {
				return fmt.Errorf("record batch block %d: %w", k, err)
			}
			if body > fstart-off-mlen {
				return fmt.Errorf("record batch block %d: body outside the file", k)
			}
		}
	}
	f.keyValues(f.ref(root, 4))
	if !f.ok {
		return fmt.Errorf("corrupt footer")
	}
	return nil
}

// Layout returns how many field nodes and buffers a record batch of schema
// s must list, or an error for a column type dualssl does not read. Arrow's
// loader reads these by index without checking the counts.
func Layout(s *arrow.Schema) (nodes, buffers int, err error) {
	var walk func(t arrow.DataType) error
	walk = func(t arrow.DataType) error {
		nodes++
		switch t := t.(type) {
		case *arrow.BooleanType, *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
			*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type,
			*arrow.Float32Type, *arrow.Float64Type:
			buffers += 2
		case *arrow.StringType, *arrow.LargeStringType, *arrow.BinaryType, *arrow.LargeBinaryType:
			buffers += 3
		case *arrow.ListType:
			buffers += 2
			return walk(t.Elem())
		case *arrow.LargeListType:
			buffers += 2
			return walk(t.Elem())
		case *arrow.FixedSizeListType:
			buffers++
			return walk(t.Elem())
		case *arrow.StructType:
			buffers++
			for _, f := range t.Fields() {
				if err := walk(f.Type); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("column type %s is not supported", t)
		}
		return nil
	}
	for _, f := range s.Fields() {
		if err := walk(f.Type); err != nil {
			return 0, 0, fmt.Errorf("column %s: %w", f.Name, err)
		}
	}
	return nodes, buffers, nil
}

// checkCounts checks that a record batch lists at least the field nodes
// and buffers its schema needs (nodes, buffers > 0 only once known).
func (f *fb) checkCounts(rb, nodes, buffers int) error {
	if nodes == 0 {
		return nil
	}
	if got := f.vector(f.ref(rb, 1), 16); got < nodes {
		return fmt.Errorf("record batch lists %d field nodes, the schema needs %d", got, nodes)
	}
	if got := f.vector(f.ref(rb, 2), 16); got < buffers {
		return fmt.Errorf("record batch lists %d buffers, the schema needs %d", got, buffers)
	}
	return nil
}
