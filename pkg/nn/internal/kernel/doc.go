// Package kernel holds the inner loops of package nn's forward and
// backward passes: AVX2+FMA assembly where the CPU has it, each beside a
// portable Go twin that computes the same sums (the tests run both; the
// build tag purego, or another architecture, leaves only the twins).
//
// Two families: the row kernels (Strip4, Strip4K4, StripColsMode, and
// their portable block loops ForwardGo, GradWGo, GradInGo) work on
// row-major batches, one sample per row; the lane kernels work on
// feature-major batches, samples on the vector lanes. Relu and Gate are the
// branch-free activation and its gate.
//
// Nothing here checks shapes beyond what memory safety needs: the callers
// in nn own the layouts. No kernel assumes AVX-512.
package kernel
