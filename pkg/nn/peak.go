package nn

import "github.com/dualssl/dualssl/pkg/nn/internal/kernel"

// PeakFlops runs rounds of independent register-only fused multiply-adds
// on the kernels' vector units (portable Go mul-adds without AVX2) and
// returns the floating-point operations done. Timed, it gives the float64
// FMA rate one core attains, the yardstick of the benchmarks' peak-frac
// (measured in the same run, since a shared machine's rate varies).
func PeakFlops(rounds int) int64 { return kernel.PeakFlops(rounds) }
