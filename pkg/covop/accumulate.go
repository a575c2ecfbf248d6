package covop

import (
	"sync"

	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/par"
)

// chunkSamples is the fixed number of samples per unit of work. Results are
// reduced chunk by chunk in order, so they do not depend on the number of
// threads.
const chunkSamples = 256

// miniBatch is the number of samples whose activations and Jacobians are
// held at once inside a chunk: few enough to stay in cache while their
// connections are added, enough that each connection sum
// (nn.Jacobians.AddConnections, a product over samples) runs long.
const miniBatch = 32

// plan says where each block's connection lives in a key's slab of
// connection sums, as nn.Jacobians.AddConnections lays them out: layer by
// layer, block by block, each block's K_bᵀ (n_L × In·Out, rows in vec
// order).
type plan struct {
	net      *nn.Network
	nL       int
	size     int     // entries per key: Σ_l d_l·n_L
	layerOff []int   // start of layer l's blocks (index l−1) in a slab
	layerDim []int   // d_l
	blockOff [][]int // first row of block b within layer l's K (vec order); its slab part starts at layerOff + blockOff·n_L
}

func newPlan(net *nn.Network) *plan {
	p := &plan{net: net, nL: net.OutDim()}
	for _, layer := range net.Layers {
		offs := make([]int, len(layer.Blocks))
		d := 0
		for bi, b := range layer.Blocks {
			offs[bi] = d
			d += b.In * b.Out
		}
		p.layerOff = append(p.layerOff, p.size)
		p.layerDim = append(p.layerDim, d)
		p.blockOff = append(p.blockOff, offs)
		p.size += d * p.nL
	}
	if p.size != net.ConnectionSize() {
		panic("covop: the connection layout differs from nn.AddConnections'")
	}
	return p
}

// sums are the reduced accumulations of one pass over the data.
type sums struct {
	S    [][]float64 // per key: Σ weight·K(x), plan layout
	mass []float64   // per key: Σ weight
	grad *nn.Network // Σ over samples of the back-propagated upstream gradient, or nil
}

// partial is one chunk's contribution to keys shared with other chunks.
type partial struct {
	keys  []int
	slabs [][]float64
	mass  []float64
	grad  *nn.Network
}

// worker holds one goroutine's buffers.
type worker struct {
	act nn.Activations
	jac nn.Jacobians
	bp  nn.Backprop
	wts []float64
}

// forwardAll returns every sample's network output (N × n_L), computed in
// parallel chunks; each sample's output depends on that sample only.
func forwardAll(net *nn.Network, d *Data, threads int) []float64 {
	N, nL, in := d.N(), net.OutDim(), d.InDim
	out := make([]float64, N*nL)
	nChunks := (N + chunkSamples - 1) / chunkSamples
	parallel(nChunks, threads, func(w *worker, c int) {
		c0, c1 := c*chunkSamples, min(N, (c+1)*chunkSamples)
		net.Forward(d.X[c0*in:c1*in], c1-c0, &w.act)
		copy(out[c0*nL:c1*nL], w.act.Output())
	})
	return out
}

// parallel runs fn(w, c) for c = 0 … n−1 on up to threads goroutines, each
// with its own worker buffers.
func parallel(n, threads int, fn func(w *worker, c int)) {
	workers := make([]worker, par.Workers(n, threads))
	par.For(n, threads, func(w, c int) { fn(&workers[w], c) })
}

func clampThreads(threads, n int) int { return par.Workers(n, threads) }

// accumulate sums, for every key, the weighted connections of all samples
// and their total weight; when upstream (N × n_L, ∂L/∂f per sample) is not
// nil it also back-propagates it through the network and sums the weight
// gradients. Keys whose samples all lie in one chunk are written directly
// by that chunk's worker; contributions to keys shared between chunks go
// through per-chunk partials added in chunk order.
func accumulate(p *plan, d *Data, upstream []float64, threads int) *sums {
	net := p.net
	N, G := d.N(), d.NumKeys()
	res := &sums{S: make([][]float64, G), mass: make([]float64, G)}
	for g := range res.S {
		res.S[g] = make([]float64, p.size)
	}
	if upstream != nil {
		res.grad = net.ZeroLike()
	}
	nChunks := (N + chunkSamples - 1) / chunkSamples
	threads = clampThreads(threads, nChunks)

	// In-order reduction with a bounded number of chunks in flight.
	results := make([]chan *partial, nChunks)
	for c := range results {
		results[c] = make(chan *partial, 1)
	}
	pool := make(chan *partial, 2*threads+1)
	for range 2*threads + 1 {
		pool <- &partial{}
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var w worker
			for {
				// Take a buffer before a job: a chunk, once handed out,
				// can always finish, so the in-order reduction never waits
				// on a chunk starved of buffers.
				pt := <-pool
				c, ok := <-jobs
				if !ok {
					return
				}
				chunk(p, d, upstream, c, &w, pt, res)
				results[c] <- pt
			}
		}()
	}
	go func() {
		for c := range nChunks {
			jobs <- c
		}
		close(jobs)
	}()
	for c := range nChunks {
		pt := <-results[c]
		for i, g := range pt.keys {
			dst, src := res.S[g], pt.slabs[i]
			for t := range dst {
				dst[t] += src[t]
			}
			res.mass[g] += pt.mass[i]
		}
		if pt.grad != nil {
			addNet(res.grad, pt.grad)
		}
		pool <- pt
	}
	wg.Wait()
	return res
}

// chunk processes samples c·chunkSamples … into pt (shared keys) and res
// (keys owned by this chunk alone).
func chunk(p *plan, d *Data, upstream []float64, c int, w *worker, pt *partial, res *sums) {
	net := p.net
	N, G, in, nL := d.N(), d.NumKeys(), d.InDim, p.nL
	c0, c1 := c*chunkSamples, min(N, (c+1)*chunkSamples)

	pt.keys = pt.keys[:0]
	pt.mass = pt.mass[:0]
	slot := func(g int) ([]float64, *float64) {
		for i, k := range pt.keys {
			if k == g {
				return pt.slabs[i], &pt.mass[i]
			}
		}
		i := len(pt.keys)
		pt.keys = append(pt.keys, g)
		pt.mass = append(pt.mass, 0)
		if i == len(pt.slabs) {
			pt.slabs = append(pt.slabs, make([]float64, p.size))
		} else {
			clear(pt.slabs[i])
		}
		return pt.slabs[i], &pt.mass[i]
	}
	if upstream != nil {
		if pt.grad == nil {
			pt.grad = net.ZeroLike()
		} else {
			pt.grad.SetZero()
		}
	} else {
		pt.grad = nil
	}
	for m0 := c0; m0 < c1; m0 += miniBatch {
		m1 := min(c1, m0+miniBatch)
		net.Forward(d.X[m0*in:m1*in], m1-m0, &w.act)
		if d.joint == nil && d.keyOf[m0] < 0 {
			// Explicit negatives only: they need the backward pass alone.
			if upstream != nil {
				net.Backward(&w.act, upstream[m0*nL:m1*nL], pt.grad, &w.bp, false)
			}
			continue
		}
		net.Jacobian(&w.act, &w.jac)
		if d.joint != nil {
			// Every sample weighs P(x, key) with every key.
			w.wts = append(w.wts[:0], make([]float64, m1-m0)...)
			for g := range G {
				any := false
				sum := 0.0
				for s := m0; s < m1; s++ {
					v := d.joint[s*G+g]
					w.wts[s-m0] = v
					any = any || v != 0
					sum += v
				}
				if !any {
					continue
				}
				slab, m := slot(g)
				w.jac.AddConnections(net, &w.act, 0, m1-m0, w.wts, slab)
				*m += sum
			}
		} else {
			// Runs of samples with the same key (samples are sorted by key).
			for s := m0; s < m1; {
				g := d.keyOf[s]
				e := s + 1
				for e < m1 && d.keyOf[e] == g {
					e++
				}
				if g < 0 {
					s = e // explicit negatives
					continue
				}
				if d.keyStart[g] >= c0 && d.keyStart[g+1] <= c1 {
					w.jac.AddConnections(net, &w.act, s-m0, e-m0, nil, res.S[g])
					res.mass[g] += float64(e - s)
				} else {
					slab, m := slot(int(g))
					w.jac.AddConnections(net, &w.act, s-m0, e-m0, nil, slab)
					*m += float64(e - s)
				}
				s = e
			}
		}
		if upstream != nil {
			net.Backward(&w.act, upstream[m0*nL:m1*nL], pt.grad, &w.bp, false)
		}
	}
}

// addNet adds every weight and bias of src to dst (same shape).
func addNet(dst, src *nn.Network) {
	a, b := dst.ParamSlices(), src.ParamSlices()
	for i := range a {
		for t := range a[i] {
			a[i][t] += b[i][t]
		}
	}
}
