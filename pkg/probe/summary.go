package probe

import "github.com/dualssl/dualssl/pkg/hltm"

// LevelSummary is one tree level of one snapshot, averaged over its latents.
type LevelSummary struct {
	Level      int     // edges from the root
	DepthIndex int     // the reference's index, Depth − Level
	Nodes      int     // latents at this level
	BestAbs    float64 // mean of best(μ)
	Ceiling    float64 // mean of the ceilings
	Fraction   float64 // mean of the recovered fractions
}

// Levels summarises snapshot i of r per level of m's latents, root first
// (len Depth). m must be the model r was measured on.
func (r *Result) Levels(m *hltm.Model, i int) []LevelSummary {
	s := r.Snapshots[i]
	out := make([]LevelSummary, m.Depth())
	for lv := range out {
		ls := LevelSummary{Level: lv, DepthIndex: m.Depth() - lv, Nodes: m.LevelSize(lv)}
		for mu := m.LevelStart(lv); mu < m.LevelStart(lv+1); mu++ {
			nr := s.Nodes[mu]
			ls.BestAbs += nr.BestAbs
			ls.Ceiling += nr.Ceiling
			ls.Fraction += nr.Fraction
		}
		k := float64(ls.Nodes)
		ls.BestAbs /= k
		ls.Ceiling /= k
		ls.Fraction /= k
		out[lv] = ls
	}
	return out
}
