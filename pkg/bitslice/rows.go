package bitslice

import "fmt"

// Bit rows: the packed layout of Arrow's boolean bitmaps. A matrix of rows
// of width bits is one bit stream of words: bit k of the stream is bit
// k%64 of word k/64, and row r's bit i is bit r·width+i (rows follow each
// other without padding). Read as little-endian bytes, the words are
// exactly an Arrow boolean array's bitmap, so a fixed_size_list<bool>
// column is written from them without converting a byte per value.

// Words returns the number of words that hold n bits.
func Words(n int) int { return (n + 63) / 64 }

// Bit returns bit k of the stream bits, as 0 or 1.
func Bit(bits []uint64, k int) int8 { return int8(bits[k>>6] >> (k & 63) & 1) }

// PutBits writes the low width bits of v (1 ≤ width ≤ 64; higher bits of v
// are ignored) at bits pos … pos+width−1 of the stream dst, leaving the
// other bits alone. It panics if dst is too short.
func PutBits(dst []uint64, pos int, v uint64, width int) {
	k, sh := pos>>6, uint(pos&63)
	mask := ^uint64(0) >> (64 - width)
	v &= mask
	dst[k] = dst[k]&^(mask<<sh) | v<<sh
	if int(sh)+width > 64 {
		dst[k+1] = dst[k+1]&^(mask>>(64-sh)) | v>>(64-sh)
	}
}

// GetBits returns bits pos … pos+width−1 of the stream bits (1 ≤ width ≤
// 64) as the low bits of a word. It panics if bits is too short.
func GetBits(bits []uint64, pos, width int) uint64 {
	k, sh := pos>>6, uint(pos&63)
	v := bits[k] >> sh
	if int(sh)+width > 64 {
		v |= bits[k+1] << (64 - sh)
	}
	return v & (^uint64(0) >> (64 - width))
}

// ClearFrom zeroes the bits of the stream's last word from bit n on (the
// stream holds n bits; Arrow leaves them unspecified, and zeroing them
// keeps a reused buffer's bytes the same however it was used before).
func ClearFrom(bits []uint64, n int) {
	if n&63 != 0 {
		bits[n>>6] &= ^uint64(0) >> (64 - n&63)
	}
}

// CopyBits copies bits spos … spos+n−1 of the stream src to bits dpos …
// dpos+n−1 of dst, leaving dst's other bits alone (src and dst must not
// overlap). It panics if a stream is too short.
func CopyBits(dst []uint64, dpos int, src []uint64, spos, n int) {
	for n > 0 {
		k := min(64, n)
		PutBits(dst, dpos, GetBits(src, spos, k), k)
		dpos, spos, n = dpos+k, spos+k, n-k
	}
}

// Expand writes bits from … from+len(dst)−1 of the stream bits to dst as
// 0/1 bytes.
func Expand(dst []int8, bits []uint64, from int) {
	for i := range dst {
		dst[i] = Bit(bits, from+i)
	}
}

// Compress writes the 0/1 values src (their low bits) to bits pos …
// pos+len(src)−1 of the stream dst, leaving the other bits alone.
func Compress(dst []uint64, pos int, src []int8) {
	for len(src) > 0 {
		k := min(64, len(src))
		var w uint64
		for i, v := range src[:k] {
			w |= uint64(v&1) << i
		}
		PutBits(dst, pos, w, k)
		pos, src = pos+k, src[k:]
	}
}

// UnpackBits is Unpack into a bit stream: bit s of planes[i] goes to bit
// pos + s·stride + i of dst, for s < lanes (1 ≤ lanes ≤ Lanes) and i <
// len(planes); other bits of dst are left alone. With stride =
// len(planes) and pos = r·len(planes), the lanes are rows r … r+lanes−1 of
// a bit matrix. It panics if stride < len(planes) or dst is too short.
func UnpackBits(dst []uint64, pos, stride, lanes int, planes []uint64) {
	UnpackBitsSplit(dst, pos, stride, nil, 0, 0, len(planes), lanes, planes)
}

// UnpackBitsSplit is UnpackBits into dst plus a second copy of the planes
// from from on (0 ≤ from ≤ len(planes)) into the stream tail: bit s of
// planes[i] to bit tailPos + s·tailStride + i − from of tail, for from ≤ i <
// len(planes) (a view's observed leaves beside its latents). The bits are
// transposed once for both. tail may be nil when from = len(planes). It
// panics if a stride is too small or dst or tail too short.
func UnpackBitsSplit(dst []uint64, pos, stride int, tail []uint64, tailPos, tailStride, from, lanes int, planes []uint64) {
	n := len(planes)
	nt := n - from
	if lanes < 1 || lanes > Lanes || pos < 0 || stride < n || Words(pos+(lanes-1)*stride+n) > len(dst) ||
		nt < 0 || (nt > 0 && (tailPos < 0 || tailStride < nt || Words(tailPos+(lanes-1)*tailStride+nt) > len(tail))) {
		panic(fmt.Sprintf("bitslice: UnpackBits: %d planes (tail from %d), %d lanes, positions %d and %d, strides %d and %d, len(dst) %d, len(tail) %d",
			n, from, lanes, pos, tailPos, stride, tailStride, len(dst), len(tail)))
	}
	var a [64]uint64
	for g := 0; g < n; g += 64 {
		k := transposeGroup(&a, planes, g)
		lo := max(from, g) // the tail's first plane in this group
		if k == n && stride == n && pos&63 == 0 {
			// One group of rows that follow each other from a word
			// boundary (a matrix's own rows, 64 at a time): whole words.
			putRows(dst[pos>>6:], a[:lanes], 0, n)
			if nt > 0 && tailStride == nt && tailPos&63 == 0 {
				putRows(tail[tailPos>>6:], a[:lanes], from, nt)
				continue
			}
		} else {
			for s, w := range a[:lanes] {
				PutBits(dst, pos+s*stride+g, w, k)
			}
		}
		if lo < g+k {
			for s, w := range a[:lanes] {
				PutBits(tail, tailPos+s*tailStride+lo-from, w>>(lo-g), g+k-lo)
			}
		}
	}
}

// putRows writes bits sh … sh+width−1 of each of rows (1 ≤ width ≤ 64)
// one after the other from bit 0 of dst, a word at a time; the bits of the
// last word past them are left alone.
func putRows(dst []uint64, rows []uint64, sh, width int) {
	mask := ^uint64(0) >> (64 - width)
	var acc uint64
	fill, q := 0, 0 // bits held in acc; words written
	for _, w := range rows {
		w = w >> sh & mask
		acc |= w << fill
		fill += width
		if fill >= 64 {
			dst[q] = acc
			q++
			fill -= 64
			acc = w >> (width - fill) // the bits that did not fit (0 if none)
		}
	}
	if fill > 0 {
		PutBits(dst, q*64, acc, fill)
	}
}

// PackBits is UnpackBits' inverse: it sets bit s of planes[i] to bit pos +
// s·stride + i of the stream src, for s < lanes (1 ≤ lanes ≤ Lanes), and
// the bits of lanes ≥ lanes to 0. It panics if stride < len(planes) or src
// is too short.
func PackBits(planes []uint64, src []uint64, pos, stride, lanes int) {
	n := len(planes)
	if lanes < 1 || lanes > Lanes || pos < 0 || stride < n || Words(pos+(lanes-1)*stride+n) > len(src) {
		panic(fmt.Sprintf("bitslice: PackBits: %d planes, %d lanes, position %d, stride %d, len(src) %d", n, lanes, pos, stride, len(src)))
	}
	var a [64]uint64
	for g := 0; g < n; g += 64 {
		k := min(64, n-g)
		for s := range a[:lanes] {
			a[s] = GetBits(src, pos+s*stride+g, k)
		}
		clear(a[lanes:])
		Transpose(&a)
		copy(planes[g:g+k], a[:k])
	}
}
