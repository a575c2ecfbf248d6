//go:build !purego

#include "textflag.h"

// func strip4AVX2(out *float64, os int, init *float64, is int, a *float64, ar, ak int, v *float64, vs int, rows, k int)
//
// For r < rows and l < 4: out[r·os + l] = init[r·is + l] + Σ_{j<k} a[r·ar + j·ak]·v[j·vs + l].
// No masked loads or stores: they are microcoded on some AMD cores.
// Strides are in elements. Rows are done 8, then 4, then 1 at a time; each
// row's sum is accumulated in the same order (init, then j = 0, 1, …) on
// every path.
TEXT ·strip4AVX2(SB), NOSPLIT, $0-88
	MOVQ out+0(FP), DI
	MOVQ os+8(FP), R8
	MOVQ init+16(FP), SI
	MOVQ is+24(FP), R9
	MOVQ a+32(FP), AX
	MOVQ ar+40(FP), R10
	MOVQ ak+48(FP), R11
	MOVQ vs+64(FP), R12
	MOVQ rows+72(FP), R13
	SHLQ $3, R8
	SHLQ $3, R9
	SHLQ $3, R10
	SHLQ $3, R11
	SHLQ $3, R12

rows8:
	CMPQ R13, $8
	JLT rows4
	MOVQ SI, DX
	VMOVUPD (DX), Y0
	ADDQ R9, DX
	VMOVUPD (DX), Y1
	ADDQ R9, DX
	VMOVUPD (DX), Y2
	ADDQ R9, DX
	VMOVUPD (DX), Y3
	ADDQ R9, DX
	VMOVUPD (DX), Y4
	ADDQ R9, DX
	VMOVUPD (DX), Y5
	ADDQ R9, DX
	VMOVUPD (DX), Y6
	ADDQ R9, DX
	VMOVUPD (DX), Y7
	MOVQ AX, CX               // rows 0, 2, 4 (CX, +2ar, +4ar)
	LEAQ (AX)(R10*1), DX      // rows 1, 3, 5
	LEAQ (AX)(R10*2), R15
	LEAQ (R15)(R10*4), R15    // rows 6, 7 (R15, +ar)
	MOVQ v+56(FP), BX
	MOVQ k+80(FP), R14
	TESTQ R14, R14
	JZ store8

loop8:
	VMOVUPD (BX), Y8
	VBROADCASTSD (CX), Y9
	VFMADD231PD Y8, Y9, Y0
	VBROADCASTSD (DX), Y10
	VFMADD231PD Y8, Y10, Y1
	VBROADCASTSD (CX)(R10*2), Y11
	VFMADD231PD Y8, Y11, Y2
	VBROADCASTSD (DX)(R10*2), Y12
	VFMADD231PD Y8, Y12, Y3
	VBROADCASTSD (CX)(R10*4), Y13
	VFMADD231PD Y8, Y13, Y4
	VBROADCASTSD (DX)(R10*4), Y14
	VFMADD231PD Y8, Y14, Y5
	VBROADCASTSD (R15), Y9
	VFMADD231PD Y8, Y9, Y6
	VBROADCASTSD (R15)(R10*1), Y10
	VFMADD231PD Y8, Y10, Y7
	ADDQ R11, CX
	ADDQ R11, DX
	ADDQ R11, R15
	ADDQ R12, BX
	DECQ R14
	JNZ loop8

store8:
	MOVQ DI, DX
	VMOVUPD Y0, (DX)
	ADDQ R8, DX
	VMOVUPD Y1, (DX)
	ADDQ R8, DX
	VMOVUPD Y2, (DX)
	ADDQ R8, DX
	VMOVUPD Y3, (DX)
	ADDQ R8, DX
	VMOVUPD Y4, (DX)
	ADDQ R8, DX
	VMOVUPD Y5, (DX)
	ADDQ R8, DX
	VMOVUPD Y6, (DX)
	ADDQ R8, DX
	VMOVUPD Y7, (DX)
	LEAQ (DX)(R8*1), DI
	LEAQ (SI)(R9*8), SI
	LEAQ (AX)(R10*8), AX
	SUBQ $8, R13
	JMP rows8

rows4:
	CMPQ R13, $4
	JLT rows1
	MOVQ SI, DX
	VMOVUPD (DX), Y0
	ADDQ R9, DX
	VMOVUPD (DX), Y1
	ADDQ R9, DX
	VMOVUPD (DX), Y2
	ADDQ R9, DX
	VMOVUPD (DX), Y3
	MOVQ AX, CX
	LEAQ (AX)(R10*1), DX
	MOVQ v+56(FP), BX
	MOVQ k+80(FP), R14
	TESTQ R14, R14
	JZ store4

loop4:
	VMOVUPD (BX), Y8
	VBROADCASTSD (CX), Y9
	VFMADD231PD Y8, Y9, Y0
	VBROADCASTSD (DX), Y10
	VFMADD231PD Y8, Y10, Y1
	VBROADCASTSD (CX)(R10*2), Y11
	VFMADD231PD Y8, Y11, Y2
	VBROADCASTSD (DX)(R10*2), Y12
	VFMADD231PD Y8, Y12, Y3
	ADDQ R11, CX
	ADDQ R11, DX
	ADDQ R12, BX
	DECQ R14
	JNZ loop4

store4:
	MOVQ DI, DX
	VMOVUPD Y0, (DX)
	ADDQ R8, DX
	VMOVUPD Y1, (DX)
	ADDQ R8, DX
	VMOVUPD Y2, (DX)
	ADDQ R8, DX
	VMOVUPD Y3, (DX)
	LEAQ (DX)(R8*1), DI
	LEAQ (SI)(R9*4), SI
	LEAQ (AX)(R10*4), AX
	SUBQ $4, R13

rows1:
	TESTQ R13, R13
	JZ done
	VMOVUPD (SI), Y0
	MOVQ AX, CX
	MOVQ v+56(FP), BX
	MOVQ k+80(FP), R14
	TESTQ R14, R14
	JZ store1

loop1:
	VMOVUPD (BX), Y8
	VBROADCASTSD (CX), Y9
	VFMADD231PD Y8, Y9, Y0
	ADDQ R11, CX
	ADDQ R12, BX
	DECQ R14
	JNZ loop1

store1:
	VMOVUPD Y0, (DI)
	ADDQ R8, DI
	ADDQ R9, SI
	ADDQ R10, AX
	DECQ R13
	JMP rows1

done:
	VZEROUPPER
	RET

// func reluAVX2(h, f *float64, n int)
//
// f[i] = h[i] where h[i] > 0, else +0 (NaN included), for i < n, n a
// multiple of 4.
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ h+0(FP), SI
	MOVQ f+8(FP), DI
	MOVQ n+16(FP), CX
	SHRQ $2, CX
	JZ reludone
	VXORPD Y1, Y1, Y1

reluloop:
	VMOVUPD (SI), Y0
	VCMPPD $0x1e, Y1, Y0, Y2 // h > 0 (ordered, quiet): all ones
	VANDPD Y0, Y2, Y0
	VMOVUPD Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ reluloop

reludone:
	VZEROUPPER
	RET

// func gateAVX2(h, gr *float64, n int)
//
// g[i] = 0 where !(h[i] > 0), for i < n, n a multiple of 4.
TEXT ·gateAVX2(SB), NOSPLIT, $0-24
	MOVQ h+0(FP), SI
	MOVQ gr+8(FP), DI
	MOVQ n+16(FP), CX
	SHRQ $2, CX
	JZ gatedone
	VXORPD Y1, Y1, Y1

gateloop:
	VMOVUPD (SI), Y0
	VCMPPD $0x1e, Y1, Y0, Y0 // h > 0 (ordered, quiet): all ones
	VANDPD (DI), Y0, Y0
	VMOVUPD Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ gateloop

gatedone:
	VZEROUPPER
	RET

// func strip4K4AVX2(out *float64, os int, init *float64, is int, a *float64, ar, ak int, v *float64, vs int, rows, k int)
//
// The same sums as strip4AVX2, one row at a time with four partial sums
// over j mod 4 (added as (s0+s1)+(s2+s3), then to init): for few rows and
// long reductions, such as weight gradients of narrow blocks, where one
// accumulator would wait on the FMA latency.
TEXT ·strip4K4AVX2(SB), NOSPLIT, $0-88
	MOVQ out+0(FP), DI
	MOVQ os+8(FP), R8
	MOVQ init+16(FP), SI
	MOVQ is+24(FP), R9
	MOVQ a+32(FP), AX
	MOVQ ar+40(FP), R10
	MOVQ ak+48(FP), R11
	MOVQ vs+64(FP), R12
	MOVQ rows+72(FP), R13
	SHLQ $3, R8
	SHLQ $3, R9
	SHLQ $3, R10
	SHLQ $3, R11
	SHLQ $3, R12
	TESTQ R13, R13
	JZ k4done

k4row:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ AX, CX
	MOVQ v+56(FP), BX
	MOVQ k+80(FP), R14

k4loop:
	CMPQ R14, $4
	JLT k4tail
	VMOVUPD (BX), Y8
	VBROADCASTSD (CX), Y4
	VFMADD231PD Y8, Y4, Y0
	ADDQ R11, CX
	ADDQ R12, BX
	VMOVUPD (BX), Y9
	VBROADCASTSD (CX), Y5
	VFMADD231PD Y9, Y5, Y1
	ADDQ R11, CX
	ADDQ R12, BX
	VMOVUPD (BX), Y10
	VBROADCASTSD (CX), Y6
	VFMADD231PD Y10, Y6, Y2
	ADDQ R11, CX
	ADDQ R12, BX
	VMOVUPD (BX), Y11
	VBROADCASTSD (CX), Y7
	VFMADD231PD Y11, Y7, Y3
	ADDQ R11, CX
	ADDQ R12, BX
	SUBQ $4, R14
	JMP k4loop

k4tail:
	TESTQ R14, R14
	JZ k4sum
	VMOVUPD (BX), Y8
	VBROADCASTSD (CX), Y4
	VFMADD231PD Y8, Y4, Y0
	ADDQ R11, CX
	ADDQ R12, BX
	DECQ R14
	JMP k4tail

k4sum:
	VADDPD Y1, Y0, Y0
	VADDPD Y3, Y2, Y2
	VADDPD Y2, Y0, Y0
	VMOVUPD (SI), Y4
	VADDPD Y0, Y4, Y0
	VMOVUPD Y0, (DI)
	ADDQ R8, DI
	ADDQ R9, SI
	ADDQ R10, AX
	DECQ R13
	JNZ k4row

k4done:
	VZEROUPPER
	RET

// func strip12AVX2(out *float64, os int, init *float64, is int, a *float64, ar, ak int, v *float64, vs int, rows, k, c1, c2, mode int, delta uintptr)
//
// Three strips of four lanes at column offsets 0, c1 and c2 (elements) of
// out, init and v at once, so that each broadcast a value feeds three
// FMAs: for r < rows, t < 3, l < 4, with s the sum
//
//	s = init[r·is + c_t + l] + Σ_{j<k} a[r·ar + j·ak]·v[j·vs + c_t + l]
//
// mode 0 stores out = s; mode 1 also stores s where s > 0, else +0, at
// out + delta bytes (a fused ReLU); mode 2 stores out = s where the value
// at out + delta is > 0, else +0 (a fused ReLU gate).
//
// Each lane's arithmetic is that of strip4AVX2 (init, then j = 0, 1, …),
// so overlapping strips store identical values. Rows go 4, then 1 at a
// time; a row block's init is loaded before any of its stores, so
// overlapping strips may accumulate in place (init = out).
TEXT ·strip12AVX2(SB), NOSPLIT, $0-120
	MOVQ out+0(FP), DI
	MOVQ init+16(FP), SI
	MOVQ a+32(FP), AX
	MOVQ ar+40(FP), R10
	MOVQ ak+48(FP), R11
	MOVQ vs+64(FP), R12
	MOVQ rows+72(FP), R13
	MOVQ c1+88(FP), R8
	MOVQ c2+96(FP), R9
	SHLQ $3, R10
	SHLQ $3, R11
	SHLQ $3, R12
	SHLQ $3, R8
	SHLQ $3, R9

s12rows4:
	CMPQ R13, $4
	JLT s12rows1
	MOVQ is+24(FP), CX
	SHLQ $3, CX
	MOVQ SI, DX
	VMOVUPD (DX), Y0
	VMOVUPD (DX)(R8*1), Y1
	VMOVUPD (DX)(R9*1), Y2
	ADDQ CX, DX
	VMOVUPD (DX), Y3
	VMOVUPD (DX)(R8*1), Y4
	VMOVUPD (DX)(R9*1), Y5
	ADDQ CX, DX
	VMOVUPD (DX), Y6
	VMOVUPD (DX)(R8*1), Y7
	VMOVUPD (DX)(R9*1), Y8
	ADDQ CX, DX
	VMOVUPD (DX), Y9
	VMOVUPD (DX)(R8*1), Y10
	VMOVUPD (DX)(R9*1), Y11
	MOVQ AX, CX
	LEAQ (AX)(R10*1), DX
	MOVQ v+56(FP), BX
	MOVQ k+80(FP), R14
	TESTQ R14, R14
	JZ s12store4

s12loop4:
	VMOVUPD (BX), Y12
	VMOVUPD (BX)(R8*1), Y13
	VMOVUPD (BX)(R9*1), Y14
	VBROADCASTSD (CX), Y15
	VFMADD231PD Y12, Y15, Y0
	VFMADD231PD Y13, Y15, Y1
	VFMADD231PD Y14, Y15, Y2
	VBROADCASTSD (DX), Y15
	VFMADD231PD Y12, Y15, Y3
	VFMADD231PD Y13, Y15, Y4
	VFMADD231PD Y14, Y15, Y5
	VBROADCASTSD (CX)(R10*2), Y15
	VFMADD231PD Y12, Y15, Y6
	VFMADD231PD Y13, Y15, Y7
	VFMADD231PD Y14, Y15, Y8
	VBROADCASTSD (DX)(R10*2), Y15
	VFMADD231PD Y12, Y15, Y9
	VFMADD231PD Y13, Y15, Y10
	VFMADD231PD Y14, Y15, Y11
	ADDQ R11, CX
	ADDQ R11, DX
	ADDQ R12, BX
	DECQ R14
	JNZ s12loop4

s12store4:
	MOVQ os+8(FP), CX
	SHLQ $3, CX
	MOVQ mode+104(FP), BX
	MOVQ delta+112(FP), R14
	CMPQ BX, $1
	JEQ s12st4_relu
	CMPQ BX, $2
	JEQ s12st4_gate
	MOVQ DI, DX
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, (DX)(R8*1)
	VMOVUPD Y2, (DX)(R9*1)
	ADDQ CX, DX
	VMOVUPD Y3, (DX)
	VMOVUPD Y4, (DX)(R8*1)
	VMOVUPD Y5, (DX)(R9*1)
	ADDQ CX, DX
	VMOVUPD Y6, (DX)
	VMOVUPD Y7, (DX)(R8*1)
	VMOVUPD Y8, (DX)(R9*1)
	ADDQ CX, DX
	VMOVUPD Y9, (DX)
	VMOVUPD Y10, (DX)(R8*1)
	VMOVUPD Y11, (DX)(R9*1)
	JMP s12st4_next
s12st4_relu:
	VXORPD Y15, Y15, Y15
	MOVQ DI, DX
	LEAQ (DX)(R14*1), BX
	VMOVUPD Y0, (DX)
	VCMPPD $0x1e, Y15, Y0, Y14
	VANDPD Y0, Y14, Y14
	VMOVUPD Y14, (BX)
	VMOVUPD Y1, (DX)(R8*1)
	VCMPPD $0x1e, Y15, Y1, Y14
	VANDPD Y1, Y14, Y14
	VMOVUPD Y14, (BX)(R8*1)
	VMOVUPD Y2, (DX)(R9*1)
	VCMPPD $0x1e, Y15, Y2, Y14
	VANDPD Y2, Y14, Y14
	VMOVUPD Y14, (BX)(R9*1)
	ADDQ CX, DX
	LEAQ (DX)(R14*1), BX
	VMOVUPD Y3, (DX)
	VCMPPD $0x1e, Y15, Y3, Y14
	VANDPD Y3, Y14, Y14
	VMOVUPD Y14, (BX)
	VMOVUPD Y4, (DX)(R8*1)
	VCMPPD $0x1e, Y15, Y4, Y14
	VANDPD Y4, Y14, Y14
	VMOVUPD Y14, (BX)(R8*1)
	VMOVUPD Y5, (DX)(R9*1)
	VCMPPD $0x1e, Y15, Y5, Y14
	VANDPD Y5, Y14, Y14
	VMOVUPD Y14, (BX)(R9*1)
	ADDQ CX, DX
	LEAQ (DX)(R14*1), BX
	VMOVUPD Y6, (DX)
	VCMPPD $0x1e, Y15, Y6, Y14
	VANDPD Y6, Y14, Y14
	VMOVUPD Y14, (BX)
	VMOVUPD Y7, (DX)(R8*1)
	VCMPPD $0x1e, Y15, Y7, Y14
	VANDPD Y7, Y14, Y14
	VMOVUPD Y14, (BX)(R8*1)
	VMOVUPD Y8, (DX)(R9*1)
	VCMPPD $0x1e, Y15, Y8, Y14
	VANDPD Y8, Y14, Y14
	VMOVUPD Y14, (BX)(R9*1)
	ADDQ CX, DX
	LEAQ (DX)(R14*1), BX
	VMOVUPD Y9, (DX)
	VCMPPD $0x1e, Y15, Y9, Y14
	VANDPD Y9, Y14, Y14
	VMOVUPD Y14, (BX)
	VMOVUPD Y10, (DX)(R8*1)
	VCMPPD $0x1e, Y15, Y10, Y14
	VANDPD Y10, Y14, Y14
	VMOVUPD Y14, (BX)(R8*1)
	VMOVUPD Y11, (DX)(R9*1)
	VCMPPD $0x1e, Y15, Y11, Y14
	VANDPD Y11, Y14, Y14
	VMOVUPD Y14, (BX)(R9*1)
	JMP s12st4_next
s12st4_gate:
	VXORPD Y15, Y15, Y15
	MOVQ DI, DX
	LEAQ (DX)(R14*1), BX
	VMOVUPD (BX), Y13
	VCMPPD $0x1e, Y15, Y13, Y14
	VANDPD Y0, Y14, Y14
	VMOVUPD Y14, (DX)
	VMOVUPD (BX)(R8*1), Y13
	VCMPPD $0x1e, Y15, Y13, Y14
	VANDPD Y1, Y14, Y14
	VMOVUPD Y14, (DX)(R8*1)
	VMOVUPD (BX)(R9*1), Y13
	VCMPPD $0x1e, Y15, Y13, Y14
	VANDPD Y2, Y14, Y14
	VMOVUPD Y14, (DX)(R9*1)
	ADDQ CX, DX
	LEAQ (DX)(R14*1), BX
	VMOVUPD (BX), Y13
	VCMPPD $0x1e, Y15, Y13, Y14
	VANDPD Y3, Y14, Y14
	VMOVUPD Y14, (DX)
	VMOVUPD (BX)(R8*1), Y13
	VCMPPD $0x1e, Y15, Y13, Y14
	VANDPD Y4, Y14, Y14
	VMOVUPD Y14, (DX)(R8*1)
	VMOVUPD (BX)(R9*1), Y13
	VCMPPD $0x1e, Y15, Y13, Y14
	VANDPD Y5, Y14, Y14
	VMOVUPD Y14, (DX)(R9*1)
	ADDQ CX, DX
	LEAQ (DX)(R14*1), BX
	VMOVUPD (BX), Y13
	VCMPPD $0x1e, Y15, Y13, Y14
	VANDPD Y6, Y14, Y14
	VMOVUPD Y14, (DX)
	VMOVUPD (BX)(R8*1), Y13
	VCMPPD $0x1e, Y15, Y13, Y14
	VANDPD Y7, Y14, Y14
	VMOVUPD Y14, (DX)(R8*1)
	VMOVUPD (BX)(R9*1), Y13
	VCMPPD $0x1e, Y15, Y13, Y14
	VANDPD Y8, Y14, Y14
	VMOVUPD Y14, (DX)(R9*1)
	ADDQ CX, DX
	LEAQ (DX)(R14*1), BX
	VMOVUPD (BX), Y13
	VCMPPD $0x1e, Y15, Y13, Y14
	VANDPD Y9, Y14, Y14
	VMOVUPD Y14, (DX)
	VMOVUPD (BX)(R8*1), Y13
	VCMPPD $0x1e, Y15, Y13, Y14
	VANDPD Y10, Y14, Y14
	VMOVUPD Y14, (DX)(R8*1)
	VMOVUPD (BX)(R9*1), Y13
	VCMPPD $0x1e, Y15, Y13, Y14
	VANDPD Y11, Y14, Y14
	VMOVUPD Y14, (DX)(R9*1)
s12st4_next:
	MOVQ os+8(FP), CX
	SHLQ $5, CX
	ADDQ CX, DI
	MOVQ is+24(FP), CX
	SHLQ $5, CX
	ADDQ CX, SI
	LEAQ (AX)(R10*4), AX
	SUBQ $4, R13
	JMP s12rows4

s12rows1:
	TESTQ R13, R13
	JZ s12done
	VMOVUPD (SI), Y0
	VMOVUPD (SI)(R8*1), Y1
	VMOVUPD (SI)(R9*1), Y2
	MOVQ AX, CX
	MOVQ v+56(FP), BX
	MOVQ k+80(FP), R14
	TESTQ R14, R14
	JZ s12store1

s12loop1:
	VMOVUPD (BX), Y12
	VMOVUPD (BX)(R8*1), Y13
	VMOVUPD (BX)(R9*1), Y14
	VBROADCASTSD (CX), Y15
	VFMADD231PD Y12, Y15, Y0
	VFMADD231PD Y13, Y15, Y1
	VFMADD231PD Y14, Y15, Y2
	ADDQ R11, CX
	ADDQ R12, BX
	DECQ R14
	JNZ s12loop1

s12store1:
	MOVQ os+8(FP), CX
	SHLQ $3, CX
	MOVQ mode+104(FP), BX
	MOVQ delta+112(FP), R14
	CMPQ BX, $1
	JEQ s12st1_relu
	CMPQ BX, $2
	JEQ s12st1_gate
	MOVQ DI, DX
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, (DX)(R8*1)
	VMOVUPD Y2, (DX)(R9*1)
	JMP s12st1_next
s12st1_relu:
	VXORPD Y15, Y15, Y15
	MOVQ DI, DX
	LEAQ (DX)(R14*1), BX
	VMOVUPD Y0, (DX)
	VCMPPD $0x1e, Y15, Y0, Y14
	VANDPD Y0, Y14, Y14
	VMOVUPD Y14, (BX)
	VMOVUPD Y1, (DX)(R8*1)
	VCMPPD $0x1e, Y15, Y1, Y14
	VANDPD Y1, Y14, Y14
	VMOVUPD Y14, (BX)(R8*1)
	VMOVUPD Y2, (DX)(R9*1)
	VCMPPD $0x1e, Y15, Y2, Y14
	VANDPD Y2, Y14, Y14
	VMOVUPD Y14, (BX)(R9*1)
	JMP s12st1_next
s12st1_gate:
	VXORPD Y15, Y15, Y15
	MOVQ DI, DX
	LEAQ (DX)(R14*1), BX
	VMOVUPD (BX), Y13
	VCMPPD $0x1e, Y15, Y13, Y14
	VANDPD Y0, Y14, Y14
	VMOVUPD Y14, (DX)
	VMOVUPD (BX)(R8*1), Y13
	VCMPPD $0x1e, Y15, Y13, Y14
	VANDPD Y1, Y14, Y14
	VMOVUPD Y14, (DX)(R8*1)
	VMOVUPD (BX)(R9*1), Y13
	VCMPPD $0x1e, Y15, Y13, Y14
	VANDPD Y2, Y14, Y14
	VMOVUPD Y14, (DX)(R9*1)
s12st1_next:
	MOVQ os+8(FP), CX
	SHLQ $3, CX
	ADDQ CX, DI
	MOVQ is+24(FP), CX
	SHLQ $3, CX
	ADDQ CX, SI
	ADDQ R10, AX
	DECQ R13
	JMP s12rows1

s12done:
	VZEROUPPER
	RET
