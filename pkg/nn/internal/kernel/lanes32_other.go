//go:build !amd64 || purego

package kernel

func lanesMul5x32AVX2(out *float32, os int, init *float32, a *float32, ar, ak int, v *float32, vs int, k, n, mode int, delta uintptr) {
	panic("kernel: no AVX2 kernel on this platform")
}

func lanesGradW5x2x32AVX2(gw *float32, gs int, d *float32, ds int, x *float32, xs int, n int) {
	panic("kernel: no AVX2 kernel on this platform")
}

func lanesSum5x32AVX2(dst *float32, d *float32, ds int, n int) {
	panic("kernel: no AVX2 kernel on this platform")
}

func lanesSum32AVX2(dst *float32, d *float32, ds int, m, n int) {
	panic("kernel: no AVX2 kernel on this platform")
}

func fmaPeak32AVX2(n int) { panic("kernel: no AVX2 kernel on this platform") }
