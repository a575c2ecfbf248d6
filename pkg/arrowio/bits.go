package arrowio

import (
	"encoding/binary"
	"fmt"
	"unsafe"
)

// Bit packing of the 0/1 columns (fixed_size_list<bool>, format 3): Arrow
// stores a boolean array as a bitmap, value i in bit i%8 of byte i/8 (least
// significant bit first). Eight 0/1 bytes read as one little-endian uint64
// hold value k in bit 8k; one multiplication moves bit 8k to bit 56+k (the
// shifted copies of the eight bits land on distinct bit positions, so no
// carry disturbs the top byte), and the top byte is the packed byte; eight
// of them make one 64-bit store. Unpacking looks each byte of a 64-bit
// load up in a table of the eight 0/1 bytes it stands for
// (BenchmarkPack and BenchmarkUnpack measure both against bit-by-bit
// loops).

const packMagic = 0x0102040810204080

// unpackTable[b] is the little-endian uint64 of the eight 0/1 bytes of bit
// byte b.
var unpackTable = func() (t [256]uint64) {
	for b := range t {
		for k := 0; k < 8; k++ {
			t[b] |= uint64(b>>k&1) << (8 * k)
		}
	}
	return t
}()

// unpackFloatTable[b] is the eight 0/1 float64 values of bit byte b.
var unpackFloatTable = func() (t [256][8]float64) {
	for b := range t {
		for k := 0; k < 8; k++ {
			t[b][k] = float64(b >> k & 1)
		}
	}
	return t
}()

// int8Bytes views s as bytes.
func int8Bytes(s []int8) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s))
}

// packBits packs the 0/1 values v into dst (len ≥ (len(v)+7)/8), value i in
// bit i%8 of dst[i/8]; the unused high bits of the last byte are zero. It
// returns the index of the first value that is neither 0 nor 1, or -1.
func packBits(dst []byte, v []int8) int {
	src := int8Bytes(v)
	var or uint64
	// 64 values at a time, into one 64-bit store (twice the speed of a
	// byte store per 8 values: BenchmarkPack).
	m := len(src) &^ 63
	for i := 0; i < m; i += 64 {
		s := src[i : i+64 : i+64]
		x0 := binary.LittleEndian.Uint64(s[0:])
		x1 := binary.LittleEndian.Uint64(s[8:])
		x2 := binary.LittleEndian.Uint64(s[16:])
		x3 := binary.LittleEndian.Uint64(s[24:])
		x4 := binary.LittleEndian.Uint64(s[32:])
		x5 := binary.LittleEndian.Uint64(s[40:])
		x6 := binary.LittleEndian.Uint64(s[48:])
		x7 := binary.LittleEndian.Uint64(s[56:])
		or |= x0 | x1 | x2 | x3 | x4 | x5 | x6 | x7
		binary.LittleEndian.PutUint64(dst[i>>3:], (x0*packMagic)>>56|(x1*packMagic)>>56<<8|
			(x2*packMagic)>>56<<16|(x3*packMagic)>>56<<24|(x4*packMagic)>>56<<32|
			(x5*packMagic)>>56<<40|(x6*packMagic)>>56<<48|(x7*packMagic)>>56<<56)
	}
	n := len(src) &^ 7
	for i := m; i < n; i += 8 {
		x := binary.LittleEndian.Uint64(src[i:])
		or |= x
		dst[i>>3] = byte((x * packMagic) >> 56)
	}
	if n < len(src) {
		var b byte
		for k, x := range src[n:] {
			or |= uint64(x)
			b |= (x & 1) << k
		}
		dst[n>>3] = b
	}
	return firstNonBinary(or, v)
}

// unpackBits writes len(dst) values from bitmap bits, starting at bit off,
// into dst as 0/1 bytes. The bitmap must hold off+len(dst) bits.
func unpackBits(dst []int8, bits []byte, off int) {
	out := int8Bytes(dst)
	if off&7 != 0 {
		for i := range out {
			j := off + i
			out[i] = bits[j>>3] >> (j & 7) & 1
		}
		return
	}
	bits = bits[off>>3:]
	// 64 values at a time from one 64-bit load (BenchmarkUnpack).
	m := len(out) &^ 63
	for i := 0; i < m; i += 64 {
		w := binary.LittleEndian.Uint64(bits[i>>3:])
		o := out[i : i+64 : i+64]
		binary.LittleEndian.PutUint64(o[0:], unpackTable[w&255])
		binary.LittleEndian.PutUint64(o[8:], unpackTable[w>>8&255])
		binary.LittleEndian.PutUint64(o[16:], unpackTable[w>>16&255])
		binary.LittleEndian.PutUint64(o[24:], unpackTable[w>>24&255])
		binary.LittleEndian.PutUint64(o[32:], unpackTable[w>>32&255])
		binary.LittleEndian.PutUint64(o[40:], unpackTable[w>>40&255])
		binary.LittleEndian.PutUint64(o[48:], unpackTable[w>>48&255])
		binary.LittleEndian.PutUint64(o[56:], unpackTable[w>>56])
	}
	n := len(out) &^ 7
	for i := m; i < n; i += 8 {
		binary.LittleEndian.PutUint64(out[i:], unpackTable[bits[i>>3]])
	}
	for i := n; i < len(out); i++ {
		out[i] = bits[i>>3] >> (i & 7) & 1
	}
}

// unpackFloats writes len(dst) values from bitmap bits, starting at bit
// off, into dst as 0.0/1.0. The bitmap must hold off+len(dst) bits.
func unpackFloats(dst []float64, bits []byte, off int) {
	i := 0
	// Up to a byte boundary of the bitmap, bit by bit.
	for ; i < len(dst) && (off+i)&7 != 0; i++ {
		j := off + i
		dst[i] = float64(bits[j>>3] >> (j & 7) & 1)
	}
	b := bits[(off+i)>>3:]
	k := 0
	for ; len(dst)-i >= 8; i += 8 {
		*(*[8]float64)(dst[i : i+8]) = unpackFloatTable[b[k]]
		k++
	}
	for m := 0; i < len(dst); i, m = i+1, m+1 {
		dst[i] = float64(b[k] >> m & 1)
	}
}

// maxUnpackBytes bounds what unpacking one column of one record batch may
// allocate: the bitmap was read whole, but its values take 8 (int8) or 64
// (float64) times its bytes.
const maxUnpackBytes = 2 << 30

// checkUnpack refuses to unpack n values of elem bytes each from column col
// of a batch (starting at row first) beyond maxUnpackBytes.
func checkUnpack(file, col string, first int64, rows, n, elem int) error {
	if b := float64(n) * float64(elem); b > maxUnpackBytes {
		return fmt.Errorf("arrowio: %s: column %s, record batch from row %d: %d rows of %d values would decode to %.3g GiB (at most %d): write smaller record batches",
			file, col, first, rows, n, b/(1<<30), maxUnpackBytes>>30)
	}
	return nil
}

// bitsToWords copies n bits of the bitmap bits, from bit off on, into
// words (len (n+63)/64), bit k to bit k%64 of words[k/64], and clears the
// bits past n. The bitmap must hold off+n bits.
func bitsToWords(words []uint64, bits []byte, off, n int) {
	sh := uint(off & 7)
	src := bits[off>>3 : (off+n+7)>>3]
	for i := range words {
		lo := 8 * i
		v := loadLE(src[min(lo, len(src)):]) >> sh
		if sh != 0 && lo+8 < len(src) {
			v |= uint64(src[lo+8]) << (64 - sh)
		}
		words[i] = v
	}
	if n&63 != 0 {
		words[len(words)-1] &= ^uint64(0) >> (64 - n&63)
	}
}

// loadLE returns the first (up to) 8 bytes of b as a little-endian number.
func loadLE(b []byte) uint64 {
	if len(b) >= 8 {
		return binary.LittleEndian.Uint64(b)
	}
	var v uint64
	for k, x := range b {
		v |= uint64(x) << (8 * k)
	}
	return v
}

// packWords packs the 0/1 values v into words (len (len(v)+63)/64), value
// k in bit k%64 of words[k/64], the bits past len(v) cleared. It returns the
// index of the first value that is neither 0 nor 1, or -1.
func packWords(words []uint64, v []int8) int {
	src := int8Bytes(v)
	var or uint64
	for i := range words {
		var w uint64
		chunk := src[64*i : min(64*i+64, len(src))]
		j := 0
		for ; j+8 <= len(chunk); j += 8 {
			x := binary.LittleEndian.Uint64(chunk[j:])
			or |= x
			w |= (x * packMagic) >> 56 << j
		}
		for ; j < len(chunk); j++ {
			or |= uint64(chunk[j])
			w |= uint64(chunk[j]&1) << j
		}
		words[i] = w
	}
	return firstNonBinary(or, v)
}

// firstNonBinary returns the index of the first value of v that is neither
// 0 nor 1, or -1; or is the OR of all of v's bytes, and -1 is certain when
// it has no bit but the lowest of each byte set.
func firstNonBinary(or uint64, v []int8) int {
	if or&0xfefefefefefefefe == 0 {
		return -1
	}
	for i, x := range v {
		if x != 0 && x != 1 {
			return i
		}
	}
	return -1
}
