package hltm_test

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/hltm"
)

// Rows of the sample stream depend only on the model, the seed and the row
// index: any number of goroutines gives the same samples.
func ExampleModel_SampleRows() {
	m, _ := hltm.New(2, 2, []float64{0.9, -0.8, 1, 0.5, -1, 0.7})
	const rows = 3
	z := make([]int8, rows*m.NumNodes())
	x := make([]float64, rows*m.NumLeaves())
	m.SampleRows(1, 0, rows, z, x, 2)
	for r := 0; r < rows; r++ {
		fmt.Println(z[r*m.NumNodes():(r+1)*m.NumNodes()], x[r*m.NumLeaves():(r+1)*m.NumLeaves()])
	}
	// Output:
	// [1 1 0 1 1 1 1] [1 1 1 1]
	// [0 0 1 0 0 0 1] [0 0 0 1]
	// [0 1 1 1 0 0 1] [1 0 0 1]
}
