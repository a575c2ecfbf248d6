//go:build !amd64 || purego

package kernel

// AVX2 is false: this build has no assembly kernels (another
// architecture, or -tags purego).
const AVX2 = false

func strip4AVX2(out *float64, os int, init *float64, is int, a *float64, ar, ak int, v *float64, vs int, rows, k int) {
	panic("kernel: no AVX2 kernel on this platform")
}

func reluAVX2(h, f *float64, n int) { panic("kernel: no AVX2 kernel on this platform") }

func gateAVX2(h, gr *float64, n int) { panic("kernel: no AVX2 kernel on this platform") }

func strip4K4AVX2(out *float64, os int, init *float64, is int, a *float64, ar, ak int, v *float64, vs int, rows, k int) {
	panic("kernel: no AVX2 kernel on this platform")
}

func strip12AVX2(out *float64, os int, init *float64, is int, a *float64, ar, ak int, v *float64, vs int, rows, k, c1, c2, mode int, delta uintptr) {
	panic("kernel: no AVX2 kernel on this platform")
}

func lanesMul5AVX2(out *float64, os int, init *float64, a *float64, ar, ak int, v *float64, vs int, k, n, mode int, delta uintptr) {
	panic("kernel: no AVX2 kernel on this platform")
}

func lanesGradW5x2AVX2(gw *float64, gs int, d *float64, ds int, x *float64, xs int, n int) {
	panic("kernel: no AVX2 kernel on this platform")
}

func lanesSumAVX2(dst *float64, d *float64, ds int, m, n int) {
	panic("kernel: no AVX2 kernel on this platform")
}

func fmaPeakAVX2(n int) { panic("kernel: no AVX2 kernel on this platform") }

func lanesSum5AVX2(dst *float64, d *float64, ds int, n int) {
	panic("kernel: no AVX2 kernel on this platform")
}
