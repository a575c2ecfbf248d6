//go:build !purego

package probe

import "golang.org/x/sys/cpu"

// useAVX reports whether the row kernels run in assembly (rows_amd64.s).
var useAVX = cpu.X86.HasAVX

//go:noescape
func sumDevAVX(v *float64, n int, shift float64) float64

//go:noescape
func sqCoAVX(v, zc *float64, n int, mean float64) (q, c float64)

//go:noescape
func reluAVX(h, f *float64, n int)
