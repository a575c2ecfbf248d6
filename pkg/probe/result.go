package probe

import (
	"math"

	"github.com/dualssl/dualssl/pkg/nn"
)

// Result is everything a Prober measured.
type Result struct {
	// Samples is the number of probe samples.
	Samples int
	// Arch is the snapshots' architecture (nn.ArchTree or nn.ArchMLP).
	Arch string
	// SubtreeCeiling[μ] = corr(z_μ, E[z_μ | leaves under μ]) over the
	// samples, per latent μ: the best a neuron of the tree network's group
	// N_μ, which sees only those leaves, can do.
	SubtreeCeiling []float64
	// AllCeiling[μ] = corr(z_μ, E[z_μ | all leaves]): the best any function
	// of the whole input can do (the bound for an MLP's neurons).
	AllCeiling []float64
	// Snapshots holds one entry per network, in the order given to New.
	Snapshots []SnapshotResult
}

// SnapshotResult holds one network's correlations.
type SnapshotResult struct {
	Nodes []NodeResult // one per latent, by node id
}

// NodeResult is one latent's recovery by one network.
type NodeResult struct {
	Node int
	// Layers holds the neurons compared with the latent: for a tree network
	// one entry, the layer of the node's group; for an MLP one per layer.
	Layers []LayerResult
	// Best indexes Layers: the entry with the highest BestAbs (the first
	// on ties).
	Best int
	// BestAbs is Layers[Best].BestAbs: best(μ) = max |corr| over every
	// neuron compared with μ.
	BestAbs float64
	// Ceiling is the bound for this architecture: SubtreeCeiling for a
	// tree network, AllCeiling for an MLP.
	Ceiling float64
	// Fraction is BestAbs/Ceiling, the recovered fraction; 0 when the
	// ceiling is 0.
	Fraction float64
}

// LayerResult is one latent against the neurons of one layer.
type LayerResult struct {
	// Layer is the network layer, 1 … L (tree: depth − level of the node).
	Layer int
	// Offset is the layer neuron of Corr[0]: the group's first neuron for
	// a tree network (block OutOffset), 0 for an MLP.
	Offset int
	// Corr[k] is the signed correlation of z_μ with neuron Offset+k's
	// pre-activation.
	Corr []float64
	// BestNeuron indexes Corr: the neuron with the highest |corr| (the
	// first on ties). BestAbs is that |corr|.
	BestNeuron int
	BestAbs    float64
}

// Result finishes the stream and returns the correlations, ceilings and
// fractions. It returns ErrNoSamples if no sample was added. After Result,
// Add panics; Result itself may be called again and returns the same
// values.
func (p *Prober) Result() (*Result, error) {
	if !p.done {
		p.flush()
		p.done = true
		p.finishTables()
	}
	if p.total == 0 {
		return nil, ErrNoSamples
	}
	m := p.m
	nl := m.NumLatents()
	r := &Result{Samples: p.total, Arch: p.sh.arch, SubtreeCeiling: make([]float64, nl), AllCeiling: make([]float64, nl)}
	for mu := 0; mu < nl; mu++ {
		if p.scalar {
			r.SubtreeCeiling[mu] = p.subtree[mu].Corr()
			r.AllCeiling[mu] = p.all[mu].Corr()
		} else {
			r.SubtreeCeiling[mu], r.AllCeiling[mu] = p.ceil.corr(mu)
		}
	}
	for _, s := range p.snaps {
		sr := SnapshotResult{Nodes: make([]NodeResult, nl)}
		for mu := range sr.Nodes {
			sr.Nodes[mu].Node = mu
		}
		for l := range s.layers {
			a := &s.acc[l]
			if p.sh.lat != nil {
				lat := p.sh.lat[l]
				for _, b := range s.layers[l].blocks {
					lr := LayerResult{Layer: l + 1, Offset: b.outOff, Corr: make([]float64, b.out)}
					for k := range lr.Corr {
						lr.Corr[k] = a.corr(b.outOff+k, b.node, lat)
					}
					nr := &sr.Nodes[b.node]
					nr.Layers = append(nr.Layers, lr.best())
				}
				continue
			}
			for mu := 0; mu < nl; mu++ {
				lr := LayerResult{Layer: l + 1, Corr: make([]float64, s.layers[l].outDim)}
				for j := range lr.Corr {
					lr.Corr[j] = a.corr(j, mu, nil)
				}
				sr.Nodes[mu].Layers = append(sr.Nodes[mu].Layers, lr.best())
			}
		}
		for mu := range sr.Nodes {
			nr := &sr.Nodes[mu]
			for i, lr := range nr.Layers {
				if lr.BestAbs > nr.Layers[nr.Best].BestAbs {
					nr.Best = i
				}
			}
			nr.BestAbs = nr.Layers[nr.Best].BestAbs
			nr.Ceiling = r.SubtreeCeiling[mu]
			if p.sh.arch == nn.ArchMLP {
				nr.Ceiling = r.AllCeiling[mu]
			}
			if nr.Ceiling > 0 {
				nr.Fraction = nr.BestAbs / nr.Ceiling
			}
		}
		r.Snapshots = append(r.Snapshots, sr)
	}
	return r, nil
}

func (lr LayerResult) best() LayerResult {
	for k, c := range lr.Corr {
		if math.Abs(c) > lr.BestAbs {
			lr.BestAbs, lr.BestNeuron = math.Abs(c), k
		}
	}
	return lr
}

// finishTables merges, for every tabulated layer of every snapshot, the
// moments computed from the exact (configuration, z) counts with those of
// the samples whose leaves were not all 0/1.
func (p *Prober) finishTables() {
	if p.sh.numTab == 0 || p.tabSamples == 0 {
		return
	}
	dz := make([]float64, p.sh.nl)
	for _, s := range p.snaps {
		for l := 0; l < p.sh.numTab; l++ {
			lp := &s.layers[l]
			t := newLayerAcc(lp.outDim, p.sh)
			t.n = p.tabSamples
			n := float64(p.tabSamples)
			for k, bp := range lp.blocks {
				cnt := p.counts[l][k]
				tab := s.tabs[l][k].h
				mu := bp.node
				n1 := int64(0)
				for c := 0; c < len(cnt); c += 2 {
					n1 += cnt[c+1]
				}
				t.n1[mu] = int(n1)
				zbar := float64(n1) / n
				out := bp.out
				for o := 0; o < out; o++ {
					j := bp.outOff + o
					// The mean as a shift from one observed value, so a
					// constant neuron gets zero deviations exactly.
					shift := math.NaN()
					var mean float64
					for c := 0; 2*c < len(cnt); c++ {
						w := float64(cnt[2*c] + cnt[2*c+1])
						if w == 0 {
							continue
						}
						if math.IsNaN(shift) {
							shift = tab[c*out+o]
						}
						mean += w * (tab[c*out+o] - shift)
					}
					mean = shift + mean/n
					var m2, co float64
					for c := 0; 2*c < len(cnt); c++ {
						w := float64(cnt[2*c] + cnt[2*c+1])
						if w == 0 {
							continue
						}
						d := tab[c*out+o] - mean
						m2 += w * d * d
						co += d * (float64(cnt[2*c+1]) - w*zbar)
					}
					t.mean[j], t.m2[j], t.c[j] = mean, m2, co
				}
			}
			t.merge(&s.acc[l], p.sh.lat[l], dz)
			s.acc[l] = t
		}
	}
}
