package probe

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/par"
)

// BatchSize is the number of consecutive samples summarised together
// before their moments are merged into the running totals, unless the
// networks are so wide that a batch's activations would exceed
// maxBatchBytes (then a power of two below it). It depends only on the
// networks' shape, so the merge order, and thus every result bit, depends
// only on the inputs.
const BatchSize = 256

// chunkBatches is the number of batches buffered before they are processed
// in parallel (one task per snapshot, plus one for the ceilings), unless
// the buffer would exceed maxChunkBytes. It does not affect results.
const chunkBatches = 16

// Memory bounds of one worker's batch and of the sample buffer.
const (
	maxBatchBytes = 16 << 20
	maxChunkBytes = 64 << 20
)

// ErrNoSamples is returned by Prober.Result when no sample was added.
var ErrNoSamples = errors.New("probe: no samples to probe")

// Options tune a Prober without changing its results.
type Options struct {
	// Threads is the number of goroutines; 0 or less means GOMAXPROCS.
	Threads int
}

// Prober accumulates the correlations of a sequence of network snapshots
// with an HLTM's latents over a stream of samples. Create it with New, feed
// it samples with Add, and read everything with Result. It is not safe for
// concurrent use (it parallelises internally).
type Prober struct {
	m       *hltm.Model
	sh      *shape
	snaps   []*snapshot
	threads int

	batch int // samples per batch
	chunk int // batches per chunk

	// Buffered samples of the current chunk.
	z    []int8
	x    []float64
	nbuf int

	preps []batchPrep
	work  []*scratch

	scalar bool // test switch: the reference loops (prepareScalar, sampleStatsScalar, probeBatch)
	stride int  // lanes per feature-major row: batch rounded up to nn's lane group

	// Sample-only statistics, updated by the ceiling task.
	ceil       *ceilings   // fast path
	post       *Posterior  // scalar path
	subtree    []Bivariate // scalar path, per latent: (z_μ, E[z_μ | leaves under μ])
	all        []Bivariate // scalar path, per latent: (z_μ, E[z_μ | all leaves])
	counts     [][][]int64 // tabulated layers: [layer][block][2·config+z]
	tabSamples int         // samples counted in counts (batches with 0/1 leaves)
	total      int
	done       bool
}

// batchPrep is what every snapshot's task needs from one batch of samples.
type batchPrep struct {
	n      int
	binary bool      // every leaf is exactly 0 or 1
	n1     []int     // per latent: samples with z_μ = 1
	ones   [][]int32 // MLP: per latent, the samples with z_μ = 1
	zc     []float64 // scalar path: n×NumLatents, z_μ − its batch mean
	zcT    []float64 // NumLatents×stride: the same, feature-major
	zT     []uint8   // NumLatents×stride: z, feature-major
	patT   []int32   // NumLatents×stride: tabulated latents' leaf patterns (ceilings.patterns)
	xT     []float64 // when layer 1 runs per sample: NumLeaves×stride, x feature-major
	zcR    []float64 // MLP: stride×lanes(NumLatents), zc sample-major, zero padding
	cfg    []int32   // scalar path: n×blocks of the last tabulated layer, leaf configuration
}

// scratch is one worker's buffers.
type scratch struct {
	h, f  [][]float64 // per layer, batch×outDim
	batch []layerAcc  // per layer: the batch's moments
	dz    []float64
	idx   []int // forward scratch
	val   []float64
	dev   []float64 // moments scratch

	// Fast tree path (lanes.go): per layer, its input and pre-activations
	// feature-major (rows of stride lanes), and the lanes handed to nn.
	in, out [][]float64
	lanes   nn.Lanes
	mlp     *mlpScratch
}

// New prepares to probe the snapshots nets against the latents of m. Every
// snapshot must have the same layout; a tree network must mirror m's tree
// (nn.NewTree's layout), and any network must read m's leaves. The networks
// are copied: later changes to them do not affect the Prober.
func New(m *hltm.Model, nets []*nn.Network, opt Options) (*Prober, error) {
	return newProber(m, nets, opt, switches{})
}

// switches are test switches: tables off, the scalar reference loops, and
// a batch size (0 = automatic).
type switches struct {
	noTables, scalar bool
	batch            int
}

// newProber is New with test switches.
func newProber(m *hltm.Model, nets []*nn.Network, opt Options, sw switches) (*Prober, error) {
	sh, err := checkShape(m, nets, !sw.noTables)
	if err != nil {
		return nil, err
	}
	batch := sw.batch
	p := &Prober{m: m, sh: sh, threads: opt.Threads, scalar: sw.scalar}
	if p.threads <= 0 {
		p.threads = runtime.GOMAXPROCS(0)
	}
	for _, n := range nets {
		p.snaps = append(p.snaps, newSnapshot(n, sh, m.Children(), !p.scalar))
	}
	nl := m.NumLatents()
	width := 2 * m.NumLatents() // per sample: zc, ones
	for _, l := range nets[0].Layers {
		width += 2 * l.OutDim // h and f
	}
	p.batch = BatchSize
	for p.batch > 1 && p.batch*width*8 > maxBatchBytes {
		p.batch /= 2
	}
	if batch > 0 {
		p.batch = batch
	}
	p.stride = laneStride(p.batch)
	p.chunk = chunkBatches
	// Per buffered sample: z and x, and the batch's preparation (zc, or zcT,
	// zT and patT: 13 bytes per latent, and an MLP's zcR; xT when layer 1
	// reads x).
	for p.chunk > 1 && p.chunk*p.batch*(m.NumNodes()+16*m.NumLeaves()+21*nl+64) > maxChunkBytes {
		p.chunk /= 2
	}
	p.z = make([]int8, p.chunk*p.batch*m.NumNodes())
	p.x = make([]float64, p.chunk*p.batch*m.NumLeaves())
	p.preps = make([]batchPrep, p.chunk)
	topBlocks := 0
	if sh.numTab > 0 {
		topBlocks = len(p.snaps[0].layers[sh.numTab-1].blocks)
	}
	for i := range p.preps {
		pr := batchPrep{n1: make([]int, nl), ones: make([][]int32, nl)}
		if p.scalar {
			pr.zc = make([]float64, p.batch*nl)
			pr.cfg = make([]int32, p.batch*topBlocks)
		} else {
			pr.zcT = make([]float64, nl*p.stride)
			pr.zT = make([]uint8, nl*p.stride)
			pr.patT = make([]int32, nl*p.stride)
		}
		p.preps[i] = pr
	}
	for range min(p.threads, len(p.snaps)+1) {
		w := &scratch{dz: make([]float64, nl)}
		for _, lp := range p.snaps[0].layers {
			w.idx = append(w.idx, make([]int, max(0, lp.inDim-len(w.idx)))...)
			w.val = append(w.val, make([]float64, max(0, lp.inDim-len(w.val)))...)
			if p.scalar { // the scalar forward pass's buffers
				w.h = append(w.h, make([]float64, p.batch*lp.outDim))
				w.f = append(w.f, make([]float64, p.batch*lp.outDim))
			}
			w.batch = append(w.batch, newLayerAcc(lp.outDim, sh))
			w.dev = append(w.dev, make([]float64, max(0, lp.outDim-len(w.dev)))...)
			if !p.scalar {
				w.in = append(w.in, make([]float64, lp.inDim*p.stride))
				w.out = append(w.out, make([]float64, lp.outDim*p.stride))
			}
		}
		if !p.scalar && sh.lat == nil {
			w.newMLP(p.snaps[0], nl, p.stride)
		}
		p.work = append(p.work, w)
	}
	if p.scalar {
		p.post = NewPosterior(m)
		p.subtree = make([]Bivariate, nl)
		p.all = make([]Bivariate, nl)
	} else {
		p.ceil = newCeilings(m, p.stride)
	}
	p.counts = make([][][]int64, sh.numTab)
	for l := range p.counts {
		p.counts[l] = make([][]int64, len(p.snaps[0].layers[l].blocks))
		for k := range p.counts[l] {
			if p.scalar {
				p.counts[l][k] = make([]int64, 2<<sh.leaves[l])
			} else {
				// The ceilings count the same (configuration, z) pairs.
				p.counts[l][k] = p.ceil.counts(m.LevelStart(m.Depth()-1-l) + k)
			}
		}
	}
	return p, nil
}

// Add adds the samples z (n×NumNodes, every node's 0/1 value, breadth-first)
// and x (n×NumLeaves, the network inputs), row-major; n may be anything,
// including 0. It returns an error, and adds nothing of the offending
// batch, if a z value is not 0 or 1 or an x value is not finite. It panics
// if the lengths disagree or after Result.
func (p *Prober) Add(z []int8, x []float64) error {
	if p.done {
		panic("probe: Add after Result")
	}
	nnode, nleaf := p.m.NumNodes(), p.m.NumLeaves()
	n := len(x) / nleaf
	if len(x) != n*nleaf || len(z) != n*nnode {
		panic(fmt.Sprintf("probe: Add: len(z) = %d and len(x) = %d are not n×%d and n×%d", len(z), len(x), nnode, nleaf))
	}
	for i, v := range z {
		if uint8(v) > 1 { // not 0 or 1
			return fmt.Errorf("probe: sample %d: z of node %d is %d, want 0 or 1", p.total+i/nnode, i%nnode, v)
		}
	}
	for i, v := range x {
		if v-v != 0 { // NaN or ±Inf
			return fmt.Errorf("probe: sample %d: leaf %d is %v, want a finite value", p.total+i/nleaf, i%nleaf, v)
		}
	}
	room := p.chunk * p.batch
	for n > 0 {
		k := min(n, room-p.nbuf)
		copy(p.z[p.nbuf*nnode:], z[:k*nnode])
		copy(p.x[p.nbuf*nleaf:], x[:k*nleaf])
		p.nbuf += k
		p.total += k
		z, x, n = z[k*nnode:], x[k*nleaf:], n-k
		if p.nbuf == room {
			p.flush()
		}
	}
	return nil
}

// Samples returns the number of samples added so far.
func (p *Prober) Samples() int { return p.total }

// flush processes the buffered samples.
func (p *Prober) flush() {
	if p.nbuf == 0 {
		return
	}
	nb := (p.nbuf + p.batch - 1) / p.batch
	for b := 0; b < nb; b++ {
		p.prepare(b, min(p.batch, p.nbuf-b*p.batch))
	}
	// Tasks: one for the sample-only statistics (the longest, so first),
	// then one per snapshot, each running through the chunk's batches in
	// order. Each task owns its accumulators, so the schedule cannot change
	// a result.
	ntask := len(p.snaps) + 1
	par.For(ntask, len(p.work), func(w, t int) {
		if t == 0 {
			if p.scalar {
				p.sampleStatsScalar(nb)
			} else {
				p.sampleStats(nb)
			}
			return
		}
		for b := 0; b < nb; b++ {
			if p.scalar {
				p.probeBatch(p.snaps[t-1], &p.preps[b], b, p.work[w])
			} else {
				p.probeBatchLanes(p.snaps[t-1], &p.preps[b], b, p.work[w])
			}
		}
	})
	p.nbuf = 0
}

// prepare fills preps[b] for the n samples of batch b of the chunk.
func (p *Prober) prepare(b, n int) {
	if p.scalar {
		p.prepareScalar(b, n)
		return
	}
	m := p.m
	nnode, nl, nleaf := m.NumNodes(), m.NumLatents(), m.NumLeaves()
	pr := &p.preps[b]
	pr.n = n
	z := p.z[b*p.batch*nnode : (b*p.batch+n)*nnode]
	x := p.x[b*p.batch*nleaf : (b*p.batch+n)*nleaf]
	st := p.stride
	for s := 0; s < n; s++ {
		for mu, v := range z[s*nnode : s*nnode+nl] {
			pr.zT[mu*st+s] = uint8(v)
		}
	}
	for mu := 0; mu < nl; mu++ {
		zr := pr.zT[mu*st : mu*st+n]
		n1 := 0
		for _, v := range zr {
			n1 += int(v)
		}
		pr.n1[mu] = n1
		zbar := float64(n1) / float64(n)
		val := [2]float64{-zbar, 1 - zbar}
		row := pr.zcT[mu*st : mu*st+n]
		for s, v := range zr {
			row[s] = val[v&1]
		}
	}
	if p.sh.lat == nil {
		p.zcRows(pr)
	}
	pr.binary = p.ceil.patterns(x, n, pr.patT)
	if p.sh.lat == nil || p.sh.numTab == 0 || !pr.binary {
		// Layer 1 reads the leaves: transpose them once for every snapshot.
		if len(pr.xT) < nleaf*st {
			pr.xT = make([]float64, nleaf*st)
		}
		for s := 0; s < n; s++ {
			for j, v := range x[s*nleaf : (s+1)*nleaf] {
				pr.xT[j*st+s] = v
			}
		}
	}
}

// onesOf lists, per latent, the batch's samples with z_μ = 1 (MLP moments).
func (p *Prober) onesOf(pr *batchPrep, z []int8) {
	nnode, nl := p.m.NumNodes(), p.m.NumLatents()
	for mu := range pr.ones {
		pr.ones[mu] = pr.ones[mu][:0]
	}
	for s := 0; s < pr.n; s++ {
		for mu, v := range z[s*nnode : s*nnode+nl] {
			if v != 0 {
				pr.ones[mu] = append(pr.ones[mu], int32(s))
			}
		}
	}
}

// prepareScalar is prepare for the scalar path.
func (p *Prober) prepareScalar(b, n int) {
	m := p.m
	nnode, nl, nleaf := m.NumNodes(), m.NumLatents(), m.NumLeaves()
	pr := &p.preps[b]
	pr.n = n
	z := p.z[b*p.batch*nnode : (b*p.batch+n)*nnode]
	x := p.x[b*p.batch*nleaf : (b*p.batch+n)*nleaf]
	clear(pr.n1)
	for s := 0; s < n; s++ {
		for mu, v := range z[s*nnode : s*nnode+nl] {
			pr.n1[mu] += int(v)
		}
	}
	for s := 0; s < n; s++ {
		zs := z[s*nnode : s*nnode+nl]
		zc := pr.zc[s*nl : (s+1)*nl]
		for mu := range zc {
			zc[mu] = float64(zs[mu]) - float64(pr.n1[mu])/float64(n)
		}
	}
	if p.sh.lat == nil {
		p.onesOf(pr, z)
	}
	pr.binary = true
	for _, v := range x {
		if v != 0 && v != 1 {
			pr.binary = false
			break
		}
	}
	if p.sh.numTab == 0 || !pr.binary {
		return
	}
	mleaf := p.sh.leaves[p.sh.numTab-1]
	nblk := nleaf / mleaf
	for s := 0; s < n; s++ {
		xs := x[s*nleaf : (s+1)*nleaf]
		for k := 0; k < nblk; k++ {
			c := int32(0)
			for _, v := range xs[k*mleaf : (k+1)*mleaf] {
				c = c<<1 | int32(v)
			}
			pr.cfg[s*nblk+k] = c
		}
	}
}

// probeBatch runs snapshot s on batch b and merges the batch's moments.
func (p *Prober) probeBatch(s *snapshot, pr *batchPrep, b int, w *scratch) {
	n := pr.n
	L := len(s.layers)
	start := 0
	if p.sh.numTab > 0 && pr.binary {
		// Gather the last tabulated layer's outputs from its tables.
		start = p.sh.numTab
		if start == L {
			return
		}
		lp := &s.layers[start-1]
		f := w.f[start-1]
		tabs := s.tabs[start-1]
		nblk := len(lp.blocks)
		for i := 0; i < n; i++ {
			for k := range lp.blocks {
				bp := &lp.blocks[k]
				c := int(pr.cfg[i*nblk+k])
				copy(f[i*lp.outDim+bp.outOff:i*lp.outDim+bp.outOff+bp.out], tabs[k].f[c*bp.out:(c+1)*bp.out])
			}
		}
	}
	nleaf := p.m.NumLeaves()
	for l := start; l < L; l++ {
		lp := &s.layers[l]
		// The input: the leaves (not rectified), the gathered table outputs
		// (already rectified) or the layer below's pre-activations.
		var in []float64
		rectify := false
		switch {
		case l == 0:
			in = p.x[b*p.batch*nleaf : (b*p.batch+n)*nleaf]
		case l == start:
			in = w.f[l-1][:n*lp.inDim]
		default:
			in, rectify = w.h[l-1][:n*lp.inDim], true
		}
		h := w.h[l][:n*lp.outDim]
		lp.forward(in, n, h, rectify, w.idx, w.val)
	}
	// Moments after the whole forward pass: an MLP's moments overwrite h.
	for l := start; l < L; l++ {
		var lat []int
		if p.sh.lat != nil {
			lat = p.sh.lat[l]
		}
		h := w.h[l][:n*s.layers[l].outDim]
		var zc []float64 // an MLP's moments do not read it
		if lat != nil {
			zc = pr.zc[:n*p.sh.nl]
		}
		w.batch[l].batchMoments(h, n, pr.ones, zc, pr.n1, lat, w.dev)
		s.acc[l].merge(&w.batch[l], lat, w.dz)
	}
}

// sampleStats updates the ceilings and the configuration counts with the
// chunk's nb batches, in sample order.
func (p *Prober) sampleStats(nb int) {
	nleaf := p.m.NumLeaves()
	for b := 0; b < nb; b++ {
		pr := &p.preps[b]
		p.ceil.batch(p.x[b*p.batch*nleaf:(b*p.batch+pr.n)*nleaf], pr.n, pr.binary, pr.patT, pr.zT, pr.zcT, pr.n1)
		if pr.binary {
			p.tabSamples += pr.n
		}
	}
}

// sampleStatsScalar is sampleStats one sample at a time with Posterior and
// Bivariate: the reference the fast path is tested against.
func (p *Prober) sampleStatsScalar(nb int) {
	m := p.m
	nnode, nl, nleaf := m.NumNodes(), m.NumLatents(), m.NumLeaves()
	for b := 0; b < nb; b++ {
		pr := &p.preps[b]
		for i := 0; i < pr.n; i++ {
			s := b*p.batch + i
			z := p.z[s*nnode : (s+1)*nnode]
			x := p.x[s*nleaf : (s+1)*nleaf]
			p.post.Compute(x)
			for mu := 0; mu < nl; mu++ {
				p.subtree[mu].Add(float64(z[mu]), p.post.Subtree[mu])
				p.all[mu].Add(float64(z[mu]), p.post.All[mu])
			}
			if !pr.binary {
				continue
			}
			for l := range p.counts {
				mleaf := p.sh.leaves[l]
				for k, cnt := range p.counts[l] {
					c := 0
					for _, v := range x[k*mleaf : (k+1)*mleaf] {
						c = c<<1 | int(v)
					}
					mu := m.LevelStart(m.Depth()-1-l) + k
					cnt[2*c+int(z[mu])]++
				}
			}
		}
		if pr.binary {
			p.tabSamples += pr.n
		}
	}
}
