//go:build !purego

package kernel

//go:noescape
func lanesMul5x32AVX2(out *float32, os int, init *float32, a *float32, ar, ak int, v *float32, vs int, k, n, mode int, delta uintptr)

//go:noescape
func lanesGradW5x2x32AVX2(gw *float32, gs int, d *float32, ds int, x *float32, xs int, n int)

//go:noescape
func lanesSum5x32AVX2(dst *float32, d *float32, ds int, n int)

//go:noescape
func lanesSum32AVX2(dst *float32, d *float32, ds int, m, n int)

//go:noescape
func fmaPeak32AVX2(n int)
