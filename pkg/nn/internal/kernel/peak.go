package kernel

// PeakFlops runs rounds of independent fused multiply-adds on registers
// only, on the AVX2 units where the CPU has them (else as portable Go
// mul-adds), and returns the number of floating-point operations done.
// Timed, it gives the attainable float64 FMA rate of one core, the
// yardstick the kernel benchmarks report their fraction of.
func PeakFlops(rounds int) int64 {
	if AVX2 {
		fmaPeakAVX2(rounds)
		return int64(rounds) * 12 * 4 * 2
	}
	var a [8]float64
	x, y := 1.0000001, 0.9999999
	for r := 0; r < rounds; r++ {
		for i := range a {
			a[i] = a[i]*x + y
		}
	}
	sink = a[0] + a[7]
	return int64(rounds) * 8 * 2
}

var sink float64
