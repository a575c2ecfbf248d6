package ipccheck

import (
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// DecodeRecord builds the record batch of a checked message (meta is its
// flatbuffer, body its body) whose arrays alias body, with no copy: the
// record is valid while body is. The Framer has already checked that the
// buffers lie in the body and that there are as many field nodes and
// buffers as the schema needs (Layout); here every buffer must also start
// on an 8-byte boundary, as the IPC format requires, so typed views of
// the bytes are aligned.
func DecodeRecord(schema *arrow.Schema, meta, body []byte) (rec arrow.Record, err error) {
	f := &fb{b: meta, ok: true}
	rb := f.ref(int(f.u32(0)), 2)
	var rows int64
	if p := f.field(rb, 0); p != 0 {
		rows = f.i64(p)
	}
	nodes, bufs := f.ref(rb, 1), f.ref(rb, 2)
	nNodes, nBufs := f.vector(nodes, 16), f.vector(bufs, 16)
	if !f.ok {
		return nil, errCorruptMeta
	}
	ni, bi := 0, 0
	node := func() (length, nulls int64, err error) {
		if ni >= nNodes {
			return 0, 0, fmt.Errorf("too few field nodes")
		}
		p := nodes + 4 + 16*ni
		ni++
		length, nulls = f.i64(p), f.i64(p+8)
		if length < 0 || nulls < 0 || nulls > length || length > int64(len(body))*8+1<<20 {
			return 0, 0, fmt.Errorf("field node %d: length %d, null count %d", ni-1, length, nulls)
		}
		return length, nulls, nil
	}
	buffer := func() (*memory.Buffer, error) {
		if bi >= nBufs {
			return nil, fmt.Errorf("too few buffers")
		}
		p := bufs + 4 + 16*bi
		bi++
		off, ln := f.i64(p), f.i64(p+8)
		if off%8 != 0 {
			return nil, fmt.Errorf("buffer %d starts at body offset %d, not on an 8-byte boundary", bi-1, off)
		}
		return memory.NewBufferBytes(body[off : off+ln : off+ln]), nil
	}
	var load func(dt arrow.DataType) (arrow.ArrayData, error)
	load = func(dt arrow.DataType) (arrow.ArrayData, error) {
		length, nulls, err := node()
		if err != nil {
			return nil, err
		}
		validity, err := buffer()
		if err != nil {
			return nil, err
		}
		if nulls == 0 {
			validity = nil
		}
		var bs []*memory.Buffer
		var children []arrow.ArrayData
		release := func() {
			for _, c := range children {
				c.Release()
			}
		}
		switch t := dt.(type) {
		case *arrow.StringType, *arrow.LargeStringType, *arrow.BinaryType, *arrow.LargeBinaryType:
			offs, err := buffer()
			if err != nil {
				return nil, err
			}
			data, err := buffer()
			if err != nil {
				return nil, err
			}
			bs = []*memory.Buffer{validity, offs, data}
		case arrow.ListLikeType:
			var offs *memory.Buffer
			if _, fixed := t.(*arrow.FixedSizeListType); !fixed {
				if offs, err = buffer(); err != nil {
					return nil, err
				}
			}
			child, err := load(t.Elem())
			if err != nil {
				return nil, err
			}
			children = []arrow.ArrayData{child}
			bs = []*memory.Buffer{validity}
			if offs != nil {
				bs = append(bs, offs)
			}
		case *arrow.StructType:
			bs = []*memory.Buffer{validity}
			for _, fl := range t.Fields() {
				c, err := load(fl.Type)
				if err != nil {
					release()
					return nil, err
				}
				children = append(children, c)
			}
		default: // fixed-width primitives and bool (layout admits no other)
			data, err := buffer()
			if err != nil {
				return nil, err
			}
			bs = []*memory.Buffer{validity, data}
		}
		d := array.NewData(dt, int(length), bs, children, int(nulls), 0)
		release() // NewData retains the children
		return d, nil
	}
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, fmt.Errorf("corrupt record batch: %v", p)
		}
	}()
	cols := make([]arrow.Array, 0, schema.NumFields())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, fl := range schema.Fields() {
		d, err := load(fl.Type)
		if err != nil {
			return nil, err
		}
		cols = append(cols, array.MakeFromData(d))
		d.Release()
	}
	return array.NewRecord(schema, cols, rows), nil
}
