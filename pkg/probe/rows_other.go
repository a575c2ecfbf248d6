//go:build !amd64 || purego

package probe

// useAVX is false: this build has no assembly (another architecture, or
// -tags purego); rows.go's portable twins run.
const useAVX = false

func sumDevAVX(v *float64, n int, shift float64) float64 { panic("probe: no AVX kernel") }

func sqCoAVX(v, zc *float64, n int, mean float64) (q, c float64) { panic("probe: no AVX kernel") }

func reluAVX(h, f *float64, n int) { panic("probe: no AVX kernel") }
