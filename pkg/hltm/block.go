package hltm

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/par"
	"github.com/dualssl/dualssl/pkg/rng"
)

// BlockRows is the number of samples in one sampling block. Row r of the
// sample stream of a seed belongs to block r/BlockRows and is drawn, in
// order, from the block's own random stream rng.NewXoshiro(seed,
// rng.Sample, block). The rows therefore depend only on (model, seed, row), never on
// how many goroutines draw them or how the output is batched.
const BlockRows = 1024

// SampleBlock draws the first rows rows (1 ≤ rows ≤ BlockRows) of block
// block of the sample stream for seed into z (rows·NumNodes values,
// row-major) and, if x is not nil, their leaves into x (rows·NumLeaves).
// Rows are drawn 64 at a time by a LaneSampler from the block's stream, so
// the first rows rows are the same whatever rows is. It panics on a length
// mismatch.
func (m *Model) SampleBlock(seed, block uint64, rows int, z []int8, x []float64) {
	n, nl := m.NumNodes(), m.NumLeaves()
	if rows < 1 || rows > BlockRows || len(z) != rows*n || (x != nil && len(x) != rows*nl) {
		panic(fmt.Sprintf("hltm: SampleBlock: rows=%d len(z)=%d len(x)=%d for %d nodes, %d leaves", rows, len(z), len(x), n, nl))
	}
	src := rng.NewXoshiro(seed, rng.Sample, block)
	ls := m.NewLaneSampler()
	for r := 0; r < rows; r += Lanes {
		lanes := min(Lanes, rows-r)
		ls.Sample(src)
		ls.Unpack(z[r*n:], n, lanes)
	}
	if x != nil {
		for r := 0; r < rows; r++ {
			m.Leaves(z[r*n:(r+1)*n], x[r*nl:(r+1)*nl])
		}
	}
}

// SampleRows draws rows first … first+rows−1 of the sample stream for seed
// into z (rows·NumNodes) and, if x is not nil, their leaves into x
// (rows·NumLeaves), spreading whole blocks over threads goroutines
// (threads < 1 means 1). first must be a multiple of BlockRows. The result
// does not depend on threads. It panics on bad lengths or an unaligned first.
func (m *Model) SampleRows(seed uint64, first int64, rows int, z []int8, x []float64, threads int) {
	n, nl := m.NumNodes(), m.NumLeaves()
	if first < 0 || first%BlockRows != 0 {
		panic(fmt.Sprintf("hltm: SampleRows: first row %d is not a multiple of BlockRows", first))
	}
	if rows < 0 || len(z) != rows*n || (x != nil && len(x) != rows*nl) {
		panic(fmt.Sprintf("hltm: SampleRows: rows=%d len(z)=%d len(x)=%d for %d nodes, %d leaves", rows, len(z), len(x), n, nl))
	}
	blocks := (rows + BlockRows - 1) / BlockRows
	do := func(b int) {
		lo := b * BlockRows
		hi := min(lo+BlockRows, rows)
		var xb []float64
		if x != nil {
			xb = x[lo*nl : hi*nl]
		}
		m.SampleBlock(seed, uint64(first/BlockRows)+uint64(b), hi-lo, z[lo*n:hi*n], xb)
	}
	ParallelBlocks(blocks, threads, do)
}

// SampleRowsBits is SampleRows into packed bit matrices (see bitslice's
// bit rows): node i of row r (counted from first) to bit r·NumNodes+i of z
// (at least rows·NumNodes bits), and, if x is not nil, leaf j to bit
// r·NumLeaves+j of x. It draws the same rows as SampleRows. Bits past the
// rows in the last words are left alone. It panics on short matrices or an
// unaligned first.
func (m *Model) SampleRowsBits(seed uint64, first int64, rows int, z, x []uint64, threads int) {
	n, nl := m.NumNodes(), m.NumLeaves()
	if first < 0 || first%BlockRows != 0 {
		panic(fmt.Sprintf("hltm: SampleRowsBits: first row %d is not a multiple of BlockRows", first))
	}
	if rows < 0 || len(z)*64 < rows*n || (x != nil && len(x)*64 < rows*nl) {
		panic(fmt.Sprintf("hltm: SampleRowsBits: rows=%d, %d and %d words for %d nodes, %d leaves", rows, len(z), len(x), n, nl))
	}
	// Block b starts at bit b·BlockRows·width, a multiple of 64: blocks
	// never share a word.
	ParallelBlocks((rows+BlockRows-1)/BlockRows, threads, func(b int) {
		lo := b * BlockRows
		hi := min(lo+BlockRows, rows)
		src := rng.NewXoshiro(seed, rng.Sample, uint64(first/BlockRows)+uint64(b))
		ls := m.NewLaneSampler()
		for r := lo; r < hi; r += Lanes {
			lanes := min(Lanes, hi-r)
			ls.Sample(src)
			if x != nil {
				ls.UnpackLeavesBits(z, r*n, n, x, r*nl, nl, lanes)
			} else {
				ls.UnpackBits(z, r*n, n, lanes)
			}
		}
	})
}

// ParallelBlocks calls do(b) for b = 0 … blocks−1 on up to threads
// goroutines (threads < 1 means 1) and waits for all of them. Each block
// must write only its own part of the output, so the result does not
// depend on threads.
func ParallelBlocks(blocks, threads int, do func(b int)) {
	par.For(blocks, max(threads, 1), func(_, b int) { do(b) })
}
