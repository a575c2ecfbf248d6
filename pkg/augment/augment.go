package augment

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/dualssl/dualssl/pkg/bitslice"
	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/rng"
)

// MaxKeyNodes is the largest number of kept nodes whose values fit the
// int64 key.
const MaxKeyNodes = 62

// Policy says how views are made.
type Policy struct {
	// Keep is the tree level whose latents every view shares: 0 keeps the
	// root (the reference's augmentation); Depth would keep the leaves.
	Keep int
	// Flip is the probability p ∈ [0, 1] that each leaf of each view's x is
	// flipped, independently (0 = no noise).
	Flip float64
	// Pairs is the number of positive pairs made from each sample (≥ 1).
	Pairs int
	// Negatives is the number H ≥ 0 of explicit negatives per pair:
	// independent draws from the model, with the same leaf noise.
	Negatives int
	// SelfView makes the sample itself (its z, and x from its leaves, plus
	// leaf noise) view a of every pair; by default both views are drawn
	// fresh given the kept latents, as the reference does.
	SelfView bool
}

// Validate checks the policy against the model; errors name the setting.
func (p Policy) Validate(m *hltm.Model) error {
	if p.Keep < 0 || p.Keep > m.Depth() {
		return fmt.Errorf("augment: keep level %d: the tree has levels 0 … %d", p.Keep, m.Depth())
	}
	if n := m.LevelSize(p.Keep); n > MaxKeyNodes {
		return fmt.Errorf("augment: keep level %d has %d nodes: at most %d fit the int64 key", p.Keep, n, MaxKeyNodes)
	}
	if math.IsNaN(p.Flip) || p.Flip < 0 || p.Flip > 1 {
		return fmt.Errorf("augment: flip probability %v: must lie in [0, 1]", p.Flip)
	}
	if p.Pairs < 1 {
		return fmt.Errorf("augment: pairs %d: must be at least 1", p.Pairs)
	}
	if p.Negatives < 0 {
		return fmt.Errorf("augment: negatives %d: must be at least 0", p.Negatives)
	}
	return nil
}

// Key returns the kept latents of z at level as an integer: the level's
// first node is the most significant bit, so the key reads the level left
// to right as a binary number (the root alone gives 0 or 1). It panics if
// the level has more than MaxKeyNodes nodes.
func Key(m *hltm.Model, z []int8, level int) int64 {
	lo, hi := m.LevelStart(level), m.LevelStart(level+1)
	if hi-lo > MaxKeyNodes {
		panic(fmt.Sprintf("augment: level %d has %d nodes, more than %d", level, hi-lo, MaxKeyNodes))
	}
	var k int64
	for _, v := range z[lo:hi] {
		k = k<<1 | int64(v&1)
	}
	return k
}

// Views holds the output for a range of samples: Pairs rows per sample,
// sample-major (row s·Pairs+j is pair j of sample s). The observations and
// latents are packed bit matrices (see bitslice's bit rows): row r of XA
// and XB holds Leaves bits from bit r·Leaves, of ZA and ZB Nodes bits from
// bit r·Nodes, of XNeg Negatives·Leaves bits from bit r·Negatives·Leaves
// (negative h of the row from h·Leaves on); bit k of a matrix is bit k%64
// of word k/64, the layout of an Arrow boolean bitmap, and the bits past
// the last row are 0. Observations are 0/1 (leaf noise flips them).
type Views struct {
	Rows          int
	Key           []int64
	XA, XB        []uint64
	ZA, ZB        []uint64
	XNeg          []uint64
	nodes, leaves int
	negs          int
}

// NewViews allocates Views for up to samples input samples.
func NewViews(m *hltm.Model, p Policy, samples int) *Views {
	rows := samples * p.Pairs
	n, l := m.NumNodes(), m.NumLeaves()
	return &Views{
		Key: make([]int64, rows),
		XA:  make([]uint64, bitslice.Words(rows*l)), XB: make([]uint64, bitslice.Words(rows*l)),
		ZA: make([]uint64, bitslice.Words(rows*n)), ZB: make([]uint64, bitslice.Words(rows*n)),
		XNeg:  make([]uint64, bitslice.Words(rows*p.Negatives*l)),
		nodes: n, leaves: l, negs: p.Negatives,
	}
}

// Slice returns views of the first rows rows. Their last words may hold
// bits of later rows: Fill clears those of the rows it made.
func (v *Views) Slice(rows int) *Views {
	l, n := v.leaves, v.nodes
	return &Views{
		Rows: rows, Key: v.Key[:rows],
		XA: v.XA[:bitslice.Words(rows*l)], XB: v.XB[:bitslice.Words(rows*l)],
		ZA: v.ZA[:bitslice.Words(rows*n)], ZB: v.ZB[:bitslice.Words(rows*n)],
		XNeg:  v.XNeg[:bitslice.Words(rows*v.negs*l)],
		nodes: n, leaves: l, negs: v.negs,
	}
}

// ViewBytes is Views with one byte per value, row-major: XA, XB have
// Rows·Leaves values, ZA, ZB Rows·Nodes, XNeg Rows·Negatives·Leaves
// (negative h of row r at (r·Negatives+h)·Leaves).
type ViewBytes struct {
	Rows           int
	Key            []int64
	XA, XB, ZA, ZB []int8
	XNeg           []int8
}

// Bytes returns the views' values as bytes (a copy).
func (v *Views) Bytes() ViewBytes {
	expand := func(bits []uint64, n int) []int8 {
		b := make([]int8, n)
		bitslice.Expand(b, bits, 0)
		return b
	}
	r, l, n := v.Rows, v.leaves, v.nodes
	return ViewBytes{
		Rows: r, Key: append([]int64(nil), v.Key[:r]...),
		XA: expand(v.XA, r*l), XB: expand(v.XB, r*l),
		ZA: expand(v.ZA, r*n), ZB: expand(v.ZB, r*n),
		XNeg: expand(v.XNeg, r*v.negs*l),
	}
}

// Augmenter makes views of one model under one policy.
type Augmenter struct {
	m *hltm.Model
	p Policy
}

// New returns an Augmenter after validating the policy.
func New(m *hltm.Model, p Policy) (*Augmenter, error) {
	if err := p.Validate(m); err != nil {
		return nil, err
	}
	return &Augmenter{m: m, p: p}, nil
}

// Policy returns the augmenter's policy.
func (a *Augmenter) Policy() Policy { return a.p }

// Fill makes the views of samples input samples, whose first has global
// row index first (a multiple of hltm.BlockRows), into out (allocated by
// NewViews for at least samples samples), using up to threads goroutines.
// z holds the samples' latents as a packed bit matrix (see bitslice's bit
// rows; a sample file's z column as arrowio.Batch.BinaryWords gives it):
// node i of sample s is bit s·Nodes+i; bits past the samples are ignored.
// out.Rows is set to samples·Pairs. The output depends only on seed, first
// and z.
func (a *Augmenter) Fill(seed uint64, first int64, samples int, z []uint64, out *Views, threads int) {
	n := a.m.NumNodes()
	if first < 0 || first%hltm.BlockRows != 0 {
		panic(fmt.Sprintf("augment: Fill: first row %d is not a multiple of hltm.BlockRows", first))
	}
	if len(z) < bitslice.Words(samples*n) || len(out.Key) < samples*a.p.Pairs {
		panic(fmt.Sprintf("augment: Fill: %d samples, %d words of z, room for %d rows", samples, len(z), len(out.Key)))
	}
	out.Rows = samples * a.p.Pairs
	blocks := (samples + hltm.BlockRows - 1) / hltm.BlockRows
	// Block b writes rows from b·BlockRows·Pairs on, a multiple of 64 bits
	// into every matrix: blocks never share a word.
	hltm.ParallelBlocks(blocks, threads, func(b int) {
		lo := b * hltm.BlockRows
		hi := min(lo+hltm.BlockRows, samples)
		a.block(rng.NewXoshiro(seed, rng.Augment, uint64(first/hltm.BlockRows)+uint64(b)), lo, hi, z, out)
	})
	l, rows := a.m.NumLeaves(), out.Rows
	bitslice.ClearFrom(out.XA, rows*l)
	bitslice.ClearFrom(out.XB, rows*l)
	bitslice.ClearFrom(out.ZA, rows*n)
	bitslice.ClearFrom(out.ZB, rows*n)
	if a.p.Negatives > 0 {
		bitslice.ClearFrom(out.XNeg, rows*a.p.Negatives*l)
	}
}

// block makes the views of samples lo … hi−1 from one random stream,
// hltm.Lanes samples at a time, bit-sliced (hltm.LaneSampler): for each
// pair, view a, then view b, then the negatives, each followed by its leaf
// noise, for all the samples of the group.
func (a *Augmenter) block(src *rng.Xoshiro, lo, hi int, z []uint64, out *Views) {
	m, p := a.m, a.p
	n, l, h, pairs := m.NumNodes(), m.NumLeaves(), p.Negatives, p.Pairs
	// Keys, as Key reads them (the level's first node the most significant
	// bit): the level's bits, reversed.
	k0, k1 := m.LevelStart(p.Keep), m.LevelStart(p.Keep+1)
	for s := lo; s < hi; s++ {
		key := int64(bits.Reverse64(bitslice.GetBits(z, s*n+k0, k1-k0)) >> (64 - (k1 - k0)))
		for j := 0; j < pairs; j++ {
			out.Key[s*pairs+j] = key
		}
	}
	ls := m.NewLaneSampler()
	leaves := ls.Planes[n-l:]
	var noisy []uint64
	flip := rng.Threshold(p.Flip)
	if flip != 0 {
		noisy = make([]uint64, l)
	}
	// observe writes the leaves of ls's lanes, with leaf noise, to bits
	// pos + s·stride … of the matrix x.
	observe := func(x []uint64, pos, stride, lanes int) {
		planes := leaves
		if flip != 0 {
			for j, w := range leaves {
				noisy[j] = w ^ bitslice.Bernoulli(src, flip)
			}
			planes = noisy
		}
		bitslice.UnpackBits(x, pos, stride, lanes, planes)
	}
	// view writes ls's lanes to the matrices z (from bit zpos, a row every
	// zstride bits) and their observations to x (noise-free leaves come
	// out of the same transposes as z).
	view := func(z []uint64, zpos, zstride int, x []uint64, xpos, xstride, lanes int) {
		if flip == 0 {
			ls.UnpackLeavesBits(z, zpos, zstride, x, xpos, xstride, lanes)
			return
		}
		ls.UnpackBits(z, zpos, zstride, lanes)
		observe(x, xpos, xstride, lanes)
	}
	for g := lo; g < hi; g += hltm.Lanes {
		lanes := min(hltm.Lanes, hi-g)
		for j := 0; j < pairs; j++ {
			r := g*pairs + j // lane s is row r + s·pairs
			if p.SelfView {
				bitslice.PackBits(ls.Planes, z, g*n, n, lanes)
			} else {
				ls.SampleGivenWords(src, z, g*n, n, lanes, p.Keep)
			}
			view(out.ZA, r*n, pairs*n, out.XA, r*l, pairs*l, lanes)
			ls.SampleGivenWords(src, z, g*n, n, lanes, p.Keep)
			view(out.ZB, r*n, pairs*n, out.XB, r*l, pairs*l, lanes)
			for k := 0; k < h; k++ {
				// A negative's latents are not part of the output.
				ls.Sample(src)
				observe(out.XNeg, (r*h+k)*l, pairs*h*l, lanes)
			}
		}
	}
}
