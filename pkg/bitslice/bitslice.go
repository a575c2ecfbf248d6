package bitslice

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/dualssl/dualssl/pkg/rng"
)

// Lanes is the number of samples a word holds.
const Lanes = 64

// Bernoulli returns a word of 64 independent bits, each 1 with probability
// P(U < t) for U uniform on 64 bits: lane s is 1 exactly when the 64-bit
// number U_s < t, where U_s reads bit s of the successive words drawn from
// src, most significant first. Lanes are decided from the top bit of t
// down, one word per bit: a lane whose U bit is 0 where t's is 1 is decided
// 1 (U < t), one whose U bit is 1 where t's is 0 is decided 0, and the
// others stay undecided; once t's remaining bits are all 0, the undecided
// lanes have U ≥ t (0). The result is exact: the same distribution as 64
// scalar draws src.Uint64() < t.
//
// The last of 64 lanes is decided after 7.3 words on average, at an
// unpredictable step. Bernoulli therefore draws the first minWords words
// (fewer when t's bits run out first) without testing, then continues one
// word at a time until every lane is decided: about 9.2 words in all (none
// for t = 0). That is faster than stopping at the first chance, whose exit
// branch, mispredicted about once a call, cost more than the two extra
// words.
func Bernoulli(src *rng.Xoshiro, t uint64) uint64 {
	s, w := BernoulliNext(*src, t)
	*src = s
	return w
}

// BernoulliNext is Bernoulli on a generator value: it returns the
// generator advanced past the words drawn, and the word. A loop of many
// draws keeps the generator in a local variable (in registers) with it.
func BernoulliNext(s rng.Xoshiro, t uint64) (rng.Xoshiro, uint64) {
	var one uint64
	undecided := ^uint64(0)
	for k := 0; k < minWords && t != 0; k++ {
		var r uint64
		s, r = s.Next()
		tb := -(t >> 63) // all ones where t's current bit is 1
		one |= undecided &^ r & tb
		undecided &^= r ^ tb
		t <<= 1
	}
	for undecided != 0 && t != 0 {
		var r uint64
		s, r = s.Next()
		tb := -(t >> 63)
		one |= undecided &^ r & tb
		undecided &^= r ^ tb
		t <<= 1
	}
	return s, one
}

// minWords is the number of words Bernoulli draws before it tests whether
// every lane is decided; all 64 are after 9 words with probability 0.88.
const minWords = 9

// Transpose transposes the 64×64 bit matrix a in place: on return bit c of
// a[r] is what bit r of a[c] was. It is its own inverse.
func Transpose(a *[64]uint64) {
	// Swap the off-diagonal blocks of 32×32 bits, then those of 16×16
	// inside each diagonal block, and so on down to single bits; each
	// round is written out so that every index is provably in range.
	for k := 0; k < 32; k++ {
		t := (a[k]>>32 ^ a[k+32]) & 0x00000000ffffffff
		a[k+32] ^= t
		a[k] ^= t << 32
	}
	for b := 0; b < 64; b += 32 {
		x := (*[32]uint64)(a[b : b+32])
		for k := 0; k < 16; k++ {
			t := (x[k]>>16 ^ x[k+16]) & 0x0000ffff0000ffff
			x[k+16] ^= t
			x[k] ^= t << 16
		}
	}
	for b := 0; b < 64; b += 16 {
		x := (*[16]uint64)(a[b : b+16])
		for k := 0; k < 8; k++ {
			t := (x[k]>>8 ^ x[k+8]) & 0x00ff00ff00ff00ff
			x[k+8] ^= t
			x[k] ^= t << 8
		}
	}
	for b := 0; b < 64; b += 8 {
		x := (*[8]uint64)(a[b : b+8])
		for k := 0; k < 4; k++ {
			t := (x[k]>>4 ^ x[k+4]) & 0x0f0f0f0f0f0f0f0f
			x[k+4] ^= t
			x[k] ^= t << 4
		}
	}
	for b := 0; b < 64; b += 4 {
		x := (*[4]uint64)(a[b : b+4])
		t := (x[0]>>2 ^ x[2]) & 0x3333333333333333
		x[2] ^= t
		x[0] ^= t << 2
		t = (x[1]>>2 ^ x[3]) & 0x3333333333333333
		x[3] ^= t
		x[1] ^= t << 2
	}
	for b := 0; b < 64; b += 2 {
		x := (*[2]uint64)(a[b : b+2])
		t := (x[0]>>1 ^ x[1]) & 0x5555555555555555
		x[1] ^= t
		x[0] ^= t << 1
	}
}

// expand8[b] holds bit k of b in byte k (little-endian), k = 0 … 7.
var expand8 = func() (t [256]uint64) {
	for b := range t {
		for k := 0; k < 8; k++ {
			t[b] |= uint64(b>>k&1) << (8 * k)
		}
	}
	return t
}()

// Unpack writes the planes of lanes samples (1 ≤ lanes ≤ Lanes) to
// row-major bytes: dst[s·stride+i] = bit s of planes[i] (0 or 1), for
// s < lanes and i < len(planes); other bytes of dst are left alone. It
// panics if stride < len(planes) or dst is too short.
func Unpack(dst []int8, stride, lanes int, planes []uint64) {
	n := len(planes)
	if lanes < 1 || lanes > Lanes || stride < n || len(dst) < (lanes-1)*stride+n {
		panic(fmt.Sprintf("bitslice: Unpack: %d planes, %d lanes, stride %d, len(dst) %d", n, lanes, stride, len(dst)))
	}
	b := bytes(dst)
	var a [64]uint64
	for g := 0; g < n; g += 64 {
		k := transposeGroup(&a, planes, g)
		for s, w := range a[:lanes] {
			expand(b[s*stride+g:s*stride+g+k], w)
		}
	}
}

// transposeGroup loads planes g … g+63 (fewer at the end, the rest of a
// zero) into a and transposes it, so that a[s] holds lane s's bits of
// those planes; it returns how many planes it loaded.
func transposeGroup(a *[64]uint64, planes []uint64, g int) int {
	k := copy(a[:], planes[g:])
	clear(a[k:])
	Transpose(a)
	return k
}

// expand writes bit j of w to row[j] (0 or 1), for j < len(row) ≤ 64.
func expand(row []byte, w uint64) {
	full, w0 := row, w
	// Unrolled by 32 and 16 bytes: the loop's overhead is most of the work.
	for ; len(row) >= 32; row, w = row[32:], w>>32 {
		r := row[:32]
		binary.LittleEndian.PutUint64(r[0:8], expand8[byte(w)])
		binary.LittleEndian.PutUint64(r[8:16], expand8[byte(w>>8)])
		binary.LittleEndian.PutUint64(r[16:24], expand8[byte(w>>16)])
		binary.LittleEndian.PutUint64(r[24:32], expand8[byte(w>>24)])
	}
	if len(row) >= 16 {
		binary.LittleEndian.PutUint64(row[0:8], expand8[byte(w)])
		binary.LittleEndian.PutUint64(row[8:16], expand8[byte(w>>8)])
		row, w = row[16:], w>>16
	}
	if len(row) >= 8 {
		binary.LittleEndian.PutUint64(row, expand8[byte(w)])
		row, w = row[8:], w>>8
	}
	switch {
	case len(row) == 0:
	case len(full) >= 8:
		// The last 8 bytes of the row in one store, over bytes already
		// written with the same values.
		k := len(full) - 8
		binary.LittleEndian.PutUint64(full[k:], expand8[byte(w0>>k)])
	default:
		putTail(row, expand8[byte(w)])
	}
}

// Pack is Unpack's inverse: it sets bit s of planes[i] to the low bit of
// src[s·stride+i] for s < lanes (1 ≤ lanes ≤ Lanes), and the bits of
// lanes ≥ lanes to 0. It panics if stride < len(planes) or src is too
// short.
func Pack(planes []uint64, src []int8, stride, lanes int) {
	n := len(planes)
	if lanes < 1 || lanes > Lanes || stride < n || len(src) < (lanes-1)*stride+n {
		panic(fmt.Sprintf("bitslice: Pack: %d planes, %d lanes, stride %d, len(src) %d", n, lanes, stride, len(src)))
	}
	b := bytes(src)
	var a [64]uint64
	for g := 0; g < n; g += 64 {
		k := min(64, n-g)
		for s := range a[:lanes] {
			row := b[s*stride+g : s*stride+g+k]
			var w uint64
			j := 0
			for ; len(row) >= 8; row, j = row[8:], j+8 {
				w |= gather8(binary.LittleEndian.Uint64(row)) << j
			}
			if len(row) > 0 {
				w |= gather8(getTail(row)) << j
			}
			a[s] = w
		}
		clear(a[lanes:])
		Transpose(&a)
		copy(planes[g:g+k], a[:k])
	}
}

// gather8 returns the low bits of v's 8 bytes as one byte (byte k's in bit
// k): the multiplier moves byte k's low bit to bit 56+k, and no two of the
// partial products overlap, so nothing carries.
func gather8(v uint64) uint64 {
	return (v & 0x0101010101010101) * 0x0102040810204080 >> 56
}

// putTail stores the first len(b) < 8 little-endian bytes of v in b.
func putTail(b []byte, v uint64) {
	if len(b)&4 != 0 {
		binary.LittleEndian.PutUint32(b, uint32(v))
		b, v = b[4:], v>>32
	}
	if len(b)&2 != 0 {
		binary.LittleEndian.PutUint16(b, uint16(v))
		b, v = b[2:], v>>16
	}
	if len(b) != 0 {
		b[0] = byte(v)
	}
}

// getTail loads the len(b) < 8 bytes of b as a little-endian number.
func getTail(b []byte) uint64 {
	var v uint64
	sh := 0
	if len(b)&4 != 0 {
		v = uint64(binary.LittleEndian.Uint32(b))
		b, sh = b[4:], 32
	}
	if len(b)&2 != 0 {
		v |= uint64(binary.LittleEndian.Uint16(b)) << sh
		b, sh = b[2:], sh+16
	}
	if len(b) != 0 {
		v |= uint64(b[0]) << sh
	}
	return v
}

// bytes views int8 values as bytes (the same memory).
func bytes(v []int8) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
}
