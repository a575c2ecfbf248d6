package ipccheck

import (
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// ValidArray checks the lengths and buffer sizes of an array of n values
// of the types dualssl uses, so that a corrupt input gives an error
// instead of a panic when its values are read.
func ValidArray(a arrow.Array, n int) error {
	if a.Len() != n {
		return fmt.Errorf("%d values in a batch of %d rows", a.Len(), n)
	}
	d := a.Data()
	bufs := d.Buffers()
	need := func(k, bytes int) error {
		if k >= len(bufs) || bufs[k] == nil {
			if bytes == 0 {
				return nil
			}
			return fmt.Errorf("missing buffer %d", k)
		}
		if bufs[k].Len() < bytes {
			return fmt.Errorf("buffer %d holds %d bytes, needs %d", k, bufs[k].Len(), bytes)
		}
		return nil
	}
	end := d.Offset() + d.Len()
	if d.Offset() < 0 || d.Len() < 0 {
		return fmt.Errorf("negative offset or length")
	}
	if a.NullN() > 0 { // computes the count from the bitmap when unknown
		if err := need(0, (end+7)/8); err != nil {
			return err
		}
	}
	switch a := a.(type) {
	case *array.Int8, *array.Uint8:
		return need(1, end)
	case *array.Int16, *array.Uint16:
		return need(1, 2*end)
	case *array.Int32, *array.Uint32, *array.Float32:
		return need(1, 4*end)
	case *array.Int64, *array.Uint64, *array.Float64:
		return need(1, 8*end)
	case *array.Boolean:
		// One bit per value (a bool list's child: rows·size bits).
		if err := need(1, (end+7)/8); err != nil {
			return fmt.Errorf("bitmap of %d values: %w", end, err)
		}
	case *array.String:
		if err := need(1, 4*(end+1)); err != nil {
			return err
		}
		offs := arrow.Int32Traits.CastFromBytes(bufs[1].Bytes())[d.Offset() : end+1]
		data := 0
		if len(bufs) > 2 && bufs[2] != nil {
			data = bufs[2].Len()
		}
		for k := 1; k < len(offs); k++ {
			if offs[k] < offs[k-1] {
				return fmt.Errorf("string offsets decrease at row %d", k-1)
			}
		}
		if len(offs) > 0 && (offs[0] < 0 || int(offs[len(offs)-1]) > data) {
			return fmt.Errorf("string offsets outside the data buffer")
		}
	case *array.LargeString:
		if err := need(1, 8*(end+1)); err != nil {
			return err
		}
		data := 0
		if len(bufs) > 2 && bufs[2] != nil {
			data = bufs[2].Len()
		}
		return validOffsets64(arrow.Int64Traits.CastFromBytes(bufs[1].Bytes())[d.Offset():end+1], data)
	case *array.LargeList:
		if err := need(1, 8*(end+1)); err != nil {
			return err
		}
		child := a.ListValues()
		if err := validOffsets64(arrow.Int64Traits.CastFromBytes(bufs[1].Bytes())[d.Offset():end+1], child.Len()); err != nil {
			return err
		}
		return ValidArray(child, child.Len())
	case *array.FixedSizeList:
		size := int(a.DataType().(*arrow.FixedSizeListType).Len())
		child := a.ListValues()
		if child.Len() < end*size {
			return fmt.Errorf("%d list elements, need %d", child.Len(), end*size)
		}
		return ValidArray(child, child.Len())
	case *array.List:
		if err := need(1, 4*(end+1)); err != nil {
			return err
		}
		offs := arrow.Int32Traits.CastFromBytes(bufs[1].Bytes())[d.Offset() : end+1]
		child := a.ListValues()
		for k := 1; k < len(offs); k++ {
			if offs[k] < offs[k-1] {
				return fmt.Errorf("list offsets decrease at row %d", k-1)
			}
		}
		if len(offs) > 0 && (offs[0] < 0 || int(offs[len(offs)-1]) > child.Len()) {
			return fmt.Errorf("list offsets outside the values")
		}
		return ValidArray(child, child.Len())
	}
	return nil
}

// validOffsets64 checks 64-bit offsets: non-decreasing, within [0, limit].
func validOffsets64(offs []int64, limit int) error {
	for k := 1; k < len(offs); k++ {
		if offs[k] < offs[k-1] {
			return fmt.Errorf("offsets decrease at row %d", k-1)
		}
	}
	if len(offs) > 0 && (offs[0] < 0 || offs[len(offs)-1] > int64(limit)) {
		return fmt.Errorf("offsets outside the values")
	}
	return nil
}
