package probe

import "github.com/dualssl/dualssl/pkg/nn"

// The fast path of a tree network's snapshot: feature-major batches (one
// row of stride lanes per neuron, the samples along it), each layer run
// alone by nn's lane kernels (nn.ForwardLanesWith, the training's forward
// pass: AVX2 fused multiply-adds where the CPU has them), so that every
// layer's pre-activations are kept, and each neuron's moments taken in two
// passes over its row (rowMoments). The first layer above the tables does
// not run at all: its pre-activation is linear in its children's table
// outputs, so it is the sum of one small table per child, indexed by that
// child's leaf configuration (laneTables). The sums are those of the
// scalar path (probeBatch) in another order: results differ in the last
// bits (TestFastMatchesScalar).

// laneLayer is one layer of a snapshot as a network of its own, for
// nn.ForwardLanesWith.
type laneLayer struct {
	net *nn.Network
	ws  [][]float64
}

// laneStride returns the lanes nn gives a batch of the given size.
func laneStride(batch int) int {
	var l nn.Lanes
	l.Reset(nn.NewMLP(1, []int{1}, false), batch)
	return l.Stride
}

// newLanes prepares snapshot s for the fast path: per layer, the layer as
// a network, and for the first layer above the tables, its per-child
// tables: u[k·c+i][o·nc+cfg] = (i = 0: b_o) + Σ_t W[o][i·out'+t]·f_i(cfg)_t,
// f_i the table outputs of child i of block k, for every configuration cfg
// of child i's leaves (nc of them).
func (s *snapshot) newLanes(net *nn.Network, sh *shape, children int) {
	c := net.Clone()
	s.lane = make([]laneLayer, len(c.Layers))
	for l := range c.Layers {
		ln := &nn.Network{Arch: c.Arch, Bias: c.Bias, Layers: c.Layers[l : l+1]}
		s.lane[l] = laneLayer{net: ln, ws: ln.ParamSlices()}
	}
	t := sh.numTab
	if t == 0 || t == len(s.layers) {
		return
	}
	lp := &s.layers[t]
	below := s.tabs[t-1]
	s.u = make([][]float64, len(lp.blocks)*children)
	for k := range lp.blocks {
		bp := &lp.blocks[k]
		out := bp.out
		for i := 0; i < children; i++ {
			tab := below[k*children+i]
			outc := s.layers[t-1].blocks[k*children+i].out
			nc := len(tab.f) / outc
			u := make([]float64, nc*out)
			for cfg := 0; cfg < nc; cfg++ {
				f := tab.f[cfg*outc : (cfg+1)*outc]
				for o := 0; o < out; o++ {
					var a float64
					if i == 0 {
						a = bp.b[o]
					}
					for j, v := range f {
						a += bp.wt[(i*outc+j)*out+o] * v
					}
					u[o*nc+cfg] = a
				}
			}
			s.u[k*children+i] = u
		}
	}
}

// probeBatchLanes is probeBatch on the fast path.
func (p *Prober) probeBatchLanes(s *snapshot, pr *batchPrep, b int, w *scratch) {
	n, st := pr.n, p.stride
	L := len(s.layers)
	start := 0
	if p.sh.numTab > 0 && pr.binary {
		start = p.sh.numTab
		if start == L {
			return
		}
	}
	for l := start; l < L; l++ {
		out := w.out[l]
		var in []float64
		switch {
		case l == start && start > 0:
			var next []float64
			if l+1 < L {
				next = w.in[l+1]
			}
			p.laneTables(s, pr, out, next)
			continue
		case l == 0:
			in = pr.xT
		case l == start+1 && start > 0:
			in = w.in[l] // laneTables rectified it
		default:
			in = w.in[l]
			reluRows(w.out[l-1], in)
		}
		w.lanes.Batch, w.lanes.Stride = st, st
		w.lanes.F = append(w.lanes.F[:0], in[:s.layers[l].inDim*st], out)
		w.lanes.H = append(w.lanes.H[:0], nil, out)
		nn.ForwardLanesWith(s.lane[l].net, s.lane[l].ws, &w.lanes)
	}
	if p.sh.lat == nil {
		p.mlpMoments(s, pr, w)
		return
	}
	for l := start; l < L; l++ {
		lat := p.sh.lat[l]
		a := &w.batch[l]
		a.n = n
		copy(a.n1, pr.n1)
		out := w.out[l]
		for j, mu := range lat {
			a.mean[j], a.m2[j], a.c[j] = rowMoments(out[j*st:j*st+n], pr.zcT[mu*st:mu*st+n])
		}
		s.acc[l].merge(a, lat, w.dz)
	}
}

// laneTables fills h (feature-major) with the pre-activations of the first
// layer above the tables, per block the sum of its children's tables at
// their leaf patterns, and f, unless nil, with their ReLU.
func (p *Prober) laneTables(s *snapshot, pr *batchPrep, h, f []float64) {
	st, n := p.stride, pr.n
	c := p.m.Children()
	lp := &s.layers[p.sh.numTab]
	for k := range lp.blocks {
		bp := &lp.blocks[k]
		nc := len(s.u[k*c]) / bp.out
		kid0 := bp.node*c + 1
		p0 := pr.patT[kid0*st:][:n]
		for o := 0; o < bp.out; o++ {
			row := h[(bp.outOff+o)*st:][:n]
			u0 := s.u[k*c][o*nc:][:nc]
			if c == 2 {
				p1 := pr.patT[(kid0+1)*st:][:n]
				u1 := s.u[k*c+1][o*nc:][:nc]
				for i, q := range p0 {
					row[i] = u0[q] + u1[p1[i]]
				}
			} else {
				for i, q := range p0 {
					row[i] = u0[q]
				}
				for ch := 1; ch < c; ch++ {
					pc := pr.patT[(kid0+ch)*st:][:n]
					uc := s.u[k*c+ch][o*nc:][:nc]
					for i, q := range pc {
						row[i] += uc[q]
					}
				}
			}
			if f != nil {
				reluRows(row, f[(bp.outOff+o)*st:][:n])
			}
		}
	}
}

// An MLP's neurons are compared with every latent: per layer, the
// co-moments of every neuron with every latent over a batch form the matrix
// product D·Zcᵀ (D: the neurons' deviations from their batch means, one row
// of stride samples each; Zc: z − its batch mean), which nn's lane kernels
// compute as the forward pass of a one-block "layer" whose weights are D
// and whose input is Zc sample-major (the latents on the lanes).

// mlpScratch is one worker's buffers for the MLP moments.
type mlpScratch struct {
	width int           // lanes of a row of Zc: NumLatents rounded up
	d     []float64     // outDim×stride: deviations, the product's weights
	co    []float64     // outDim×lanes: the product
	zero  []float64     // zero biases
	nets  []*nn.Network // per layer: the product as a network
	lanes nn.Lanes
}

func (w *scratch) newMLP(s *snapshot, nl, stride int) {
	ms := &mlpScratch{width: laneStride(nl)}
	lanes := ms.width
	maxOut := 0
	for _, lp := range s.layers {
		maxOut = max(maxOut, lp.outDim)
	}
	ms.d = make([]float64, maxOut*stride)
	ms.co = make([]float64, maxOut*lanes)
	ms.zero = make([]float64, maxOut)
	for _, lp := range s.layers {
		out := lp.outDim
		blk := nn.Block{Name: "co-moments", Node: -1, In: stride, Out: out, W: ms.d[:out*stride], B: ms.zero[:out]}
		ms.nets = append(ms.nets, &nn.Network{Arch: nn.ArchMLP, Layers: []nn.Layer{{InDim: stride, OutDim: out, Blocks: []nn.Block{blk}}}})
	}
	w.mlp = ms
}

// zcRows fills pr.zcR from pr.zcT: sample-major, one row of lanes(nl)
// per sample of the stride, zero beyond the batch and the latents.
func (p *Prober) zcRows(pr *batchPrep) {
	nl, st := p.sh.nl, p.stride
	lanes := p.work[0].mlp.width
	if len(pr.zcR) != st*lanes {
		pr.zcR = make([]float64, st*lanes)
	}
	clear(pr.zcR[pr.n*lanes:])
	for mu := 0; mu < nl; mu++ {
		for s, v := range pr.zcT[mu*st : mu*st+pr.n] {
			pr.zcR[s*lanes+mu] = v
		}
	}
}

// mlpMoments merges the batch's moments of every layer of an MLP (its
// pre-activations in w.out) into s's accumulators.
func (p *Prober) mlpMoments(s *snapshot, pr *batchPrep, w *scratch) {
	n, st, nl := pr.n, p.stride, p.sh.nl
	ms := w.mlp
	lanes := ms.width
	for l := range s.layers {
		out := s.layers[l].outDim
		a := &w.batch[l]
		a.n = n
		copy(a.n1, pr.n1)
		h := w.out[l]
		for j := 0; j < out; j++ {
			row := h[j*st : j*st+n]
			d := ms.d[j*st : (j+1)*st]
			mean := rowMean(row)
			for i, v := range row {
				d[i] = v - mean
			}
			clear(d[n:])
			a.mean[j], a.m2[j] = mean, sumSquares(d[:n])
		}
		ms.lanes.Batch, ms.lanes.Stride = lanes, lanes
		ms.lanes.F = append(ms.lanes.F[:0], pr.zcR, ms.co[:out*lanes])
		ms.lanes.H = append(ms.lanes.H[:0], nil, ms.co[:out*lanes])
		nn.ForwardLanesWith(ms.nets[l], [][]float64{ms.d[:out*st], ms.zero[:out]}, &ms.lanes)
		for j := 0; j < out; j++ {
			for q := 0; q < nl; q++ {
				a.c[q*out+j] = ms.co[j*lanes+q]
			}
		}
		s.acc[l].merge(a, nil, w.dz)
	}
}
