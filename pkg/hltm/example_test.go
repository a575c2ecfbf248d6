package hltm_test

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/rng"
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
	// [0 0 1 0 0 0 1] [0 0 0 1]
	// [0 0 0 0 1 1 0] [0 1 1 0]
	// [0 0 1 0 1 0 1] [0 1 0 1]
}

// A LaneSampler draws 64 samples at once, one bit of a word per sample;
// Unpack gives them as rows.
func ExampleLaneSampler() {
	m, _ := hltm.New(2, 2, []float64{0.9, -0.8, 1, 0.5, -1, 0.7})
	ls := m.NewLaneSampler()
	ls.Sample(rng.NewXoshiro(1, rng.Sample, 0))
	fmt.Printf("roots of the 64 samples, sample 0 rightmost: %064b\n", ls.Planes[0])
	z := make([]int8, 3*m.NumNodes())
	ls.Unpack(z, m.NumNodes(), 3) // the first 3 samples
	for r := 0; r < 3; r++ {
		fmt.Println(z[r*m.NumNodes() : (r+1)*m.NumNodes()])
	}
	// Output:
	// roots of the 64 samples, sample 0 rightmost: 0101100110011111001000011101100000001010101100101100110011000000
	// [0 0 1 0 0 0 1]
	// [0 0 0 0 1 1 0]
	// [0 0 1 0 1 0 1]
}
