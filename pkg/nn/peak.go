package nn

import "github.com/dualssl/dualssl/pkg/nn/internal/kernel"

// PeakGFLOPs measures the float64 FMA rate one core attains now, on the
// kernels' vector units (portable Go mul-adds without AVX2), in GFLOP per
// CPU-second: register-only fused multiply-adds, the best of five short
// runs. It is the yardstick of the benchmarks' peak fractions (measured in
// the same run, since a shared machine's rate varies); 0 where the
// platform's CPU time cannot be read.
func PeakGFLOPs() float64 { return kernel.PeakGFLOPs() }

// PeakGFLOPs32 is the float32 PeakGFLOPs (eight lanes per AVX2 register,
// so about twice the float64 rate): the yardstick of the float32 passes.
func PeakGFLOPs32() float64 { return kernel.PeakGFLOPs32() }
