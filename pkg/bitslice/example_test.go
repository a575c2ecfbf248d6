package bitslice_test

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/bitslice"
)

// Three samples of four variables as planes (bit s of planes[i] is
// variable i of sample s), written to bit rows, the layout of a sample
// file's bitmap: sample s's variables are bits 4s … 4s+3.
func ExampleUnpackBits() {
	planes := []uint64{0b101, 0b011, 0b000, 0b110}
	rows := make([]uint64, bitslice.Words(3*4))
	bitslice.UnpackBits(rows, 0, 4, 3, planes)
	fmt.Printf("%012b (bit 0 on the right)\n", rows[0])
	for s := 0; s < 3; s++ {
		row := make([]int8, 4)
		bitslice.Expand(row, rows, 4*s)
		fmt.Println("sample", s, row)
	}
	back := make([]uint64, 4)
	bitslice.PackBits(back, rows, 0, 4, 3)
	fmt.Printf("%03b\n", back)
	// Output:
	// 100110100011 (bit 0 on the right)
	// sample 0 [1 1 0 0]
	// sample 1 [0 1 0 1]
	// sample 2 [1 0 0 1]
	// [101 011 000 110]
}
