//go:build !purego

#include "textflag.h"

// Row kernels of the fast path (rows.go): AVX, no fused multiply-adds, so
// that rows.go's portable twins compute the same bits. Each reduction
// keeps two 4-lane partial sums, a (elements 8j … 8j+3) and b (8j+4 …
// 8j+7), then returns ((a0+b0) + (a2+b2)) + ((a1+b1) + (a3+b3)).

// func sumDevAVX(v *float64, n int, shift float64) float64
//
// Σ_{i<n} (v[i] − shift), n a multiple of 8.
TEXT ·sumDevAVX(SB), NOSPLIT, $0-32
	MOVQ v+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSD shift+16(FP), Y2
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	SHRQ $3, CX
	JZ sddone

sdloop:
	VMOVUPD (SI), Y3
	VMOVUPD 32(SI), Y4
	VSUBPD Y2, Y3, Y3
	VSUBPD Y2, Y4, Y4
	VADDPD Y3, Y0, Y0
	VADDPD Y4, Y1, Y1
	ADDQ $64, SI
	DECQ CX
	JNZ sdloop

sddone:
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VPERMILPD $1, X0, X1
	VADDSD X1, X0, X0
	VMOVSD X0, ret+24(FP)
	VZEROUPPER
	RET

// func sqCoAVX(v, zc *float64, n int, mean float64) (q, c float64)
//
// q = Σ_{i<n} (v[i] − mean)², c = Σ_{i<n} (v[i] − mean)·zc[i], n a
// multiple of 8.
TEXT ·sqCoAVX(SB), NOSPLIT, $0-48
	MOVQ v+0(FP), SI
	MOVQ zc+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSD mean+24(FP), Y8
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	SHRQ $3, CX
	JZ sqdone

sqloop:
	VMOVUPD (SI), Y4
	VMOVUPD 32(SI), Y5
	VSUBPD Y8, Y4, Y4
	VSUBPD Y8, Y5, Y5
	VMULPD Y4, Y4, Y6
	VMULPD Y5, Y5, Y7
	VADDPD Y6, Y0, Y0
	VADDPD Y7, Y1, Y1
	VMULPD (DI), Y4, Y6
	VMULPD 32(DI), Y5, Y7
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ sqloop

sqdone:
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VPERMILPD $1, X0, X1
	VADDSD X1, X0, X0
	VMOVSD X0, q+32(FP)
	VADDPD Y3, Y2, Y2
	VEXTRACTF128 $1, Y2, X3
	VADDPD X3, X2, X2
	VPERMILPD $1, X2, X3
	VADDSD X3, X2, X2
	VMOVSD X2, c+40(FP)
	VZEROUPPER
	RET

// func reluAVX(h, f *float64, n int)
//
// f[i] = h[i] > 0 ? h[i] : +0 for i < n, n a multiple of 4 (VMAXPD returns
// its second source, here +0, on NaN and on ±0).
TEXT ·reluAVX(SB), NOSPLIT, $0-24
	MOVQ h+0(FP), SI
	MOVQ f+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPD Y0, Y0, Y0
	SHRQ $2, CX
	JZ rldone

rlloop:
	VMOVUPD (SI), Y1
	VMAXPD Y0, Y1, Y1
	VMOVUPD Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ rlloop

rldone:
	VZEROUPPER
	RET
