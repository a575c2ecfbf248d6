package arrowio

import (
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
)

// Type is the logical type of a column. The fixed-size-list types carry
// their list length in Column.Size.
type Type int

// Column types. Every list element field is nullable in the Arrow schema
// (a builder requirement of Arrow v15) but no nulls are ever written.
const (
	Invalid      Type = iota
	Int8              // int8
	Int32             // int32
	Int64             // int64
	Float64           // float64
	String            // utf8
	Bool              // bool
	FixedInt8         // fixed_size_list<int8>[Size]
	FixedFloat64      // fixed_size_list<float64>[Size]
	ListFloat64       // list<float64> of any length per row
	FixedBool         // fixed_size_list<bool>[Size]: 0/1 values, bit-packed
)

var typeNames = [...]string{"invalid", "int8", "int32", "int64", "float64", "string", "bool",
	"fixed_size_list<int8>", "fixed_size_list<float64>", "list<float64>", "fixed_size_list<bool>"}

// String returns the type's name as Arrow prints it.
func (t Type) String() string {
	if t < 0 || int(t) >= len(typeNames) {
		return fmt.Sprintf("Type(%d)", int(t))
	}
	return typeNames[t]
}

// Column declares one column of a table.
type Column struct {
	Name string
	Type Type
	// Size is the list length of FixedInt8, FixedBool and FixedFloat64 columns
	// (ignored otherwise). It must be positive for those types.
	Size int
	// Arrow is the Arrow type's text when the column's type is not one of
	// the types above (Type is Invalid then); set by readers only.
	Arrow string
}

// String describes the column's type, e.g. "fixed_size_list<float64>[32]".
func (c Column) String() string {
	switch c.Type {
	case FixedInt8, FixedBool, FixedFloat64:
		return fmt.Sprintf("%s[%d]", c.Type, c.Size)
	case Invalid:
		return c.Arrow
	}
	return c.Type.String()
}

// primTypes are the Arrow types of the primitive column types.
var primTypes = [...]arrow.DataType{
	Int8:    arrow.PrimitiveTypes.Int8,
	Int32:   arrow.PrimitiveTypes.Int32,
	Int64:   arrow.PrimitiveTypes.Int64,
	Float64: arrow.PrimitiveTypes.Float64,
	String:  arrow.BinaryTypes.String,
	Bool:    arrow.FixedWidthTypes.Boolean,
}

// primOf returns the primitive column type of Arrow type dt, or Invalid.
func primOf(dt arrow.DataType) Type {
	for t, p := range primTypes {
		if p != nil && arrow.TypeEqual(p, dt) {
			return Type(t)
		}
	}
	return Invalid
}

// arrowType returns the Arrow type of a declared column.
func (c Column) arrowType() (arrow.DataType, error) {
	switch c.Type {
	case FixedInt8, FixedBool, FixedFloat64:
		if c.Size <= 0 {
			return nil, fmt.Errorf("column %s: list size %d must be positive", c.Name, c.Size)
		}
		elem := primTypes[Int8]
		switch c.Type {
		case FixedFloat64:
			elem = primTypes[Float64]
		case FixedBool:
			elem = primTypes[Bool]
		}
		return arrow.FixedSizeListOf(int32(c.Size), elem), nil
	case ListFloat64:
		return arrow.ListOf(primTypes[Float64]), nil
	}
	if c.Type > Invalid && int(c.Type) < len(primTypes) && primTypes[c.Type] != nil {
		return primTypes[c.Type], nil
	}
	return nil, fmt.Errorf("column %s: unknown type %v", c.Name, c.Type)
}

// columnOf maps an Arrow field back to a Column.
func columnOf(f arrow.Field) Column {
	c := Column{Name: f.Name}
	switch t := f.Type.(type) {
	case *arrow.LargeStringType:
		// Large (64-bit offset) strings, as polars writes them, read the same.
		c.Type = String
	case *arrow.FixedSizeListType:
		switch primOf(t.Elem()) {
		case Int8:
			c.Type, c.Size = FixedInt8, int(t.Len())
		case Float64:
			c.Type, c.Size = FixedFloat64, int(t.Len())
		case Bool:
			c.Type, c.Size = FixedBool, int(t.Len())
		}
	case *arrow.ListType, *arrow.LargeListType:
		if primOf(t.(arrow.ListLikeType).Elem()) == Float64 {
			c.Type = ListFloat64
		}
	default:
		c.Type = primOf(f.Type)
	}
	if c.Type == Invalid {
		c.Arrow = f.Type.String()
	}
	return c
}

// schemaOf builds the Arrow schema of declared columns and metadata.
func schemaOf(meta Meta, cols []Column) (*arrow.Schema, error) {
	if len(cols) == 0 {
		return nil, fmt.Errorf("no columns declared")
	}
	seen := map[string]bool{}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		if c.Name == "" {
			return nil, fmt.Errorf("column %d has no name", i)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("column %s declared twice", c.Name)
		}
		seen[c.Name] = true
		t, err := c.arrowType()
		if err != nil {
			return nil, err
		}
		fields[i] = arrow.Field{Name: c.Name, Type: t}
	}
	if meta.Kind == "" {
		return nil, fmt.Errorf("metadata has no kind")
	}
	keys, vals, err := meta.keysValues()
	if err != nil {
		return nil, err
	}
	md := arrow.NewMetadata(keys, vals)
	return arrow.NewSchema(fields, &md), nil
}
