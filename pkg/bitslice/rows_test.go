package bitslice

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPutGetBits checks PutBits and GetBits against bit-by-bit
// definitions at every offset in a word, widths 1 … 64, including fields
// that straddle two words, and that PutBits leaves the other bits alone.
func TestPutGetBits(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	for pos := 0; pos < 130; pos++ {
		for width := 1; width <= 64; width++ {
			if pos+width > 192 {
				continue
			}
			dst := []uint64{r.Uint64(), r.Uint64(), r.Uint64()}
			orig := slices.Clone(dst)
			v := r.Uint64()
			PutBits(dst, pos, v, width)
			for k := 0; k < 192; k++ {
				want := Bit(orig, k)
				if k >= pos && k < pos+width {
					want = int8(v >> (k - pos) & 1)
				}
				if got := Bit(dst, k); got != want {
					t.Fatalf("PutBits(pos %d, width %d): bit %d = %d, want %d", pos, width, k, got, want)
				}
			}
			if got, want := GetBits(dst, pos, width), v&(^uint64(0)>>(64-width)); got != want {
				t.Fatalf("GetBits(pos %d, width %d) = %#x, want %#x", pos, width, got, want)
			}
		}
	}
}

// TestUnpackBits checks UnpackBits and UnpackBitsSplit against Unpack
// (through Compress) for plane counts around multiples of 64, partial
// lanes, unaligned positions and wide strides, that the bits outside the
// rows are left alone, and PackBits as their inverse.
func TestUnpackBits(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 13))
	for _, c := range []struct{ n, from int }{{1, 1}, {7, 3}, {32, 0}, {63, 31}, {63, 63}, {64, 63}, {65, 1}, {130, 50}, {130, 64}} {
		for _, lanes := range []int{1, 5, 63, 64} {
			for _, pos := range []int{0, 3, 64, 101} {
				for _, extra := range []int{0, 5} {
					n, nt := c.n, c.n-c.from
					stride, ts := n+extra, nt+2*extra
					planes := make([]uint64, n)
					for i := range planes {
						planes[i] = r.Uint64()
					}
					dst := make([]uint64, Words(pos+lanes*stride)+1)
					tail := make([]uint64, Words(pos+lanes*ts)+1)
					for i := range dst {
						dst[i] = r.Uint64()
					}
					for i := range tail {
						tail[i] = r.Uint64()
					}
					wantDst, wantTail := slices.Clone(dst), slices.Clone(tail)
					rows := make([]int8, lanes*n)
					Unpack(rows, n, lanes, planes)
					for s := 0; s < lanes; s++ {
						Compress(wantDst, pos+s*stride, rows[s*n:(s+1)*n])
						if nt > 0 {
							Compress(wantTail, pos+s*ts, rows[s*n+c.from:(s+1)*n])
						}
					}
					UnpackBitsSplit(dst, pos, stride, tail, pos, ts, c.from, lanes, planes)
					if !slices.Equal(dst, wantDst) || !slices.Equal(tail, wantTail) {
						t.Fatalf("n=%d from=%d lanes=%d pos=%d stride=%d: UnpackBitsSplit differs from Unpack", n, c.from, lanes, pos, stride)
					}
					again := slices.Clone(dst)
					UnpackBits(again, pos, stride, lanes, planes)
					if !slices.Equal(again, wantDst) {
						t.Fatalf("n=%d lanes=%d pos=%d stride=%d: UnpackBits differs from Unpack", n, lanes, pos, stride)
					}
					back := make([]uint64, n)
					PackBits(back, dst, pos, stride, lanes)
					mask := ^uint64(0) >> (64 - lanes)
					for i := range back {
						if back[i] != planes[i]&mask {
							t.Fatalf("n=%d lanes=%d pos=%d: PackBits plane %d = %#x, want %#x", n, lanes, pos, i, back[i], planes[i]&mask)
						}
					}
				}
			}
		}
	}
}

// TestClearFromExpand checks ClearFrom at and off word boundaries, and
// Expand against Bit.
func TestClearFromExpand(t *testing.T) {
	for _, n := range []int{1, 63, 64, 65, 127, 128} {
		bits := []uint64{^uint64(0), ^uint64(0), ^uint64(0)}
		ClearFrom(bits, n)
		got := make([]int8, 192)
		Expand(got, bits, 0)
		for k, v := range got {
			want := int8(0)
			if k < n || k >= (n+63)/64*64 {
				want = 1
			}
			if v != want {
				t.Fatalf("ClearFrom(%d): bit %d = %d, want %d", n, k, v, want)
			}
		}
	}
}

// TestCopyBits checks CopyBits against Bit at every source and destination
// offset in a word and lengths across word boundaries, and that the
// destination's other bits stay.
func TestCopyBits(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 15))
	src := []uint64{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	for spos := 0; spos < 64; spos += 7 {
		for dpos := 0; dpos < 64; dpos += 5 {
			for _, n := range []int{0, 1, 63, 64, 65, 130, 190} {
				dst := []uint64{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
				orig := slices.Clone(dst)
				CopyBits(dst, dpos, src, spos, n)
				for k := 0; k < 256; k++ {
					want := Bit(orig, k)
					if k >= dpos && k < dpos+n {
						want = Bit(src, spos+k-dpos)
					}
					if Bit(dst, k) != want {
						t.Fatalf("CopyBits(dpos %d, spos %d, n %d): bit %d wrong", dpos, spos, n, k)
					}
				}
			}
		}
	}
}
