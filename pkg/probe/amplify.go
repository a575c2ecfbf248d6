package probe

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"

	"github.com/dualssl/dualssl/pkg/hltm"
)

// Amplification compares one latent's neurons between two snapshots,
// typically the initialisation (s_k(0)) and a later one (s_k(T)), s_k the
// signed correlation of neuron k with the latent (docs/theory.md §10): are
// the neurons selective at T the ones that were selective by chance at 0?
type Amplification struct {
	Node  int // latent id
	Layer int // layer of the compared neurons: the node's group (tree), the layer holding the best neuron at T (MLP)
	// Neurons is the number of neurons compared (hid for the tree network,
	// the layer's width for an MLP); the chance of any given rank is
	// 1/Neurons.
	Neurons int
	// Spearman is the rank correlation between |s_k(0)| and |s_k(T)| over
	// the neurons (ties get average ranks); NaN with fewer than two
	// neurons or when either side is constant.
	Spearman float64
	// InitRank is the rank at 0, by |s_k(0)| (1 = most selective; ties
	// share the best rank), of the neuron most selective at T.
	InitRank int
	// SignKept is the fraction of neurons with s_k(T)·s_k(0) > 0.
	SignKept float64
}

// Amplify compares the signed correlations of the same neurons at two
// snapshots (equal lengths, at least one neuron). It panics on mismatched
// lengths.
func Amplify(init, final []float64) Amplification {
	n := len(init)
	if n == 0 || len(final) != n {
		panic("probe: Amplify: need the same neurons, at least one, at both snapshots")
	}
	a := Amplification{Neurons: n, Spearman: math.NaN()}
	abs0, abs1 := make([]float64, n), make([]float64, n)
	best := 0
	kept := 0
	for k := range n {
		abs0[k], abs1[k] = math.Abs(init[k]), math.Abs(final[k])
		if abs1[k] > abs1[best] {
			best = k
		}
		if init[k]*final[k] > 0 {
			kept++
		}
	}
	a.InitRank = 1
	for k := range n {
		if abs0[k] > abs0[best] {
			a.InitRank++
		}
	}
	a.SignKept = float64(kept) / float64(n)
	if n >= 2 {
		r0, r1 := ranks(abs0), ranks(abs1)
		if !constant(r0) && !constant(r1) {
			a.Spearman = stat.Correlation(r0, r1, nil)
		}
	}
	return a
}

// ranks returns the 1-based ranks of xs, ascending, ties given the mean of
// the ranks they span.
func ranks(xs []float64) []float64 {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return xs[idx[a]] < xs[idx[b]] })
	r := make([]float64, len(xs))
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && xs[idx[j]] == xs[idx[i]] {
			j++
		}
		mean := float64(i+j+1) / 2 // ranks i+1 … j
		for _, k := range idx[i:j] {
			r[k] = mean
		}
		i = j
	}
	return r
}

func constant(xs []float64) bool {
	for _, v := range xs {
		if v != xs[0] {
			return false
		}
	}
	return true
}

// Amplification compares snapshot t of r with snapshot 0 (the first given
// to New; epoch 0, the initialisation, in a network file from ssl-train),
// one entry per latent by node id. For an MLP the neurons compared are
// those of the layer holding the latent's best neuron at t.
func (r *Result) Amplification(t int) []Amplification {
	first, last := r.Snapshots[0], r.Snapshots[t]
	out := make([]Amplification, len(last.Nodes))
	for mu, nr := range last.Nodes {
		lr := nr.Layers[nr.Best]
		var init []float64
		for _, l0 := range first.Nodes[mu].Layers {
			if l0.Layer == lr.Layer {
				init = l0.Corr
			}
		}
		a := Amplify(init, lr.Corr)
		a.Node, a.Layer = mu, lr.Layer
		out[mu] = a
	}
	return out
}

// LevelAmplification is one tree level's amplification, over its latents.
type LevelAmplification struct {
	Level, DepthIndex, Nodes int
	Spearman                 float64 // mean over the latents (NaN ones left out; NaN if all are)
	Top1, Top2               float64 // fraction of latents whose best neuron at T ranked 1 (≤ 2) at 0
	Chance1, Chance2         float64 // the same under no amplification: 1/n and min(2/n, 1), n the neurons compared (mean over latents)
	SignKept                 float64 // mean over latents of the fraction of neurons that kept their sign
}

// AmplificationLevels summarises per-latent amplifications (as returned by
// Result.Amplification) per level of m's latents, root first.
func AmplificationLevels(m *hltm.Model, amp []Amplification) []LevelAmplification {
	out := make([]LevelAmplification, m.Depth())
	for lv := range out {
		la := LevelAmplification{Level: lv, DepthIndex: m.Depth() - lv, Nodes: m.LevelSize(lv)}
		sp, nsp := 0.0, 0
		for mu := m.LevelStart(lv); mu < m.LevelStart(lv+1); mu++ {
			a := amp[mu]
			if !math.IsNaN(a.Spearman) {
				sp += a.Spearman
				nsp++
			}
			if a.InitRank <= 1 {
				la.Top1++
			}
			if a.InitRank <= 2 {
				la.Top2++
			}
			la.Chance1 += 1 / float64(a.Neurons)
			la.Chance2 += min(2/float64(a.Neurons), 1)
			la.SignKept += a.SignKept
		}
		k := float64(la.Nodes)
		la.Top1 /= k
		la.Top2 /= k
		la.Chance1 /= k
		la.Chance2 /= k
		la.SignKept /= k
		la.Spearman = math.NaN()
		if nsp > 0 {
			la.Spearman = sp / float64(nsp)
		}
		out[lv] = la
	}
	return out
}
