//go:build !purego

package kernel

import "golang.org/x/sys/cpu"

// AVX2 reports whether the AVX2+FMA kernels can run (the CPU has both).
var AVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func strip4AVX2(out *float64, os int, init *float64, is int, a *float64, ar, ak int, v *float64, vs int, rows, k int)

//go:noescape
func reluAVX2(h, f *float64, n int)

//go:noescape
func gateAVX2(h, gr *float64, n int)

//go:noescape
func strip4K4AVX2(out *float64, os int, init *float64, is int, a *float64, ar, ak int, v *float64, vs int, rows, k int)

//go:noescape
func strip12AVX2(out *float64, os int, init *float64, is int, a *float64, ar, ak int, v *float64, vs int, rows, k, c1, c2, mode int, delta uintptr)

//go:noescape
func lanesMul5AVX2(out *float64, os int, init *float64, a *float64, ar, ak int, v *float64, vs int, k, n, mode int, delta uintptr)

//go:noescape
func lanesGradW5x2AVX2(gw *float64, gs int, d *float64, ds int, x *float64, xs int, n int)

//go:noescape
func lanesSumAVX2(dst *float64, d *float64, ds int, m, n int)

//go:noescape
func fmaPeakAVX2(n int)

//go:noescape
func lanesSum5AVX2(dst *float64, d *float64, ds int, n int)
