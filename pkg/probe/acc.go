package probe

import "gonum.org/v1/gonum/floats"

// layerAcc holds the moments of one layer's neurons against the latents
// over a set of samples: the count n, the count n1[μ] of z_μ = 1 per latent
// (so z's mean and squared deviations are exact: M2z = n1·(n−n1)/n), and per
// neuron j the mean and squared deviations of h_j, and the co-moments
// Σ (h_j − mean_j)(z_μ − z̄_μ): one per neuron for a tree network (its own
// latent lat[j]), latent-major NumLatents×outDim for an MLP (lat == nil).
type layerAcc struct {
	n        int
	n1       []int
	mean, m2 []float64
	c        []float64
}

func newLayerAcc(outDim int, sh *shape) layerAcc {
	a := layerAcc{n1: make([]int, sh.nl), mean: make([]float64, outDim), m2: make([]float64, outDim)}
	if sh.lat != nil {
		a.c = make([]float64, outDim)
	} else {
		a.c = make([]float64, outDim*sh.nl)
	}
	return a
}

// batchMoments sets a to the moments of the n samples of h (n×outDim,
// row-major) against the latents: ones[μ] lists the samples with z_μ = 1
// (len n1[μ]), zc (n×nl) holds z − batch mean. Two passes: means, then
// deviations. For an MLP (lat == nil) h is overwritten. dev is scratch of
// len ≥ outDim. n ≥ 1.
func (a *layerAcc) batchMoments(h []float64, n int, ones [][]int32, zc []float64, n1 []int, lat []int, dev []float64) {
	od := len(a.mean)
	nl := len(n1)
	a.n = n
	copy(a.n1, n1)
	mean, m2, c := a.mean, a.m2, a.c
	clear(mean)
	clear(m2)
	clear(c)
	// Pass 1 sums deviations from the first sample, so that a constant
	// neuron (a dead ReLU feeds many) gets its value as the exact mean and
	// zero squared deviations: 0/0, not rounding noise, when correlated.
	first := h[:od]
	for s := 1; s < n; s++ {
		row := h[s*od : (s+1)*od]
		row = row[:len(mean)]
		for j, v := range row {
			mean[j] += v - first[j]
		}
	}
	inv := 1 / float64(n)
	for j := range mean {
		mean[j] = first[j] + mean[j]*inv
	}
	if lat != nil {
		lat = lat[:len(mean)]
		m2 := m2[:len(mean)]
		c := c[:len(mean)]
		for s := 0; s < n; s++ {
			row := h[s*od : (s+1)*od]
			row = row[:len(mean)]
			zrow := zc[s*nl : (s+1)*nl]
			for j, v := range row {
				d := v - mean[j]
				m2[j] += d * d
				c[j] += d * zrow[lat[j]]
			}
		}
		return
	}
	// Every neuron against every latent: with d = h − mean and z ∈ {0,1},
	// Σ d·(z − z̄) = Σ_{z=1} d − z̄·Σ d. h is overwritten by d, then each
	// latent's row adds the rows of the samples where it is 1 (ones[q]):
	// vector adds, no products and no data-dependent branches.
	sum := dev[:od]
	clear(sum)
	for s := 0; s < n; s++ {
		row := h[s*od : (s+1)*od]
		row = row[:len(mean)]
		for j, v := range row {
			dj := v - mean[j]
			row[j] = dj
			m2[j] += dj * dj
			sum[j] += dj
		}
	}
	for q := 0; q < nl; q++ {
		cq := c[q*od : (q+1)*od]
		for _, s := range ones[q] {
			floats.Add(cq, h[int(s)*od:(int(s)+1)*od])
		}
		floats.AddScaled(cq, -float64(n1[q])*inv, sum)
	}
}

// merge adds the samples summarised by b (Chan, Golub and LeVeque).
// dz is scratch of len NumLatents.
func (a *layerAcc) merge(b *layerAcc, lat []int, dz []float64) {
	if b.n == 0 {
		return
	}
	if a.n == 0 {
		a.n = b.n
		copy(a.n1, b.n1)
		copy(a.mean, b.mean)
		copy(a.m2, b.m2)
		copy(a.c, b.c)
		return
	}
	na, nb := float64(a.n), float64(b.n)
	n := na + nb
	f := na * nb / n
	w := nb / n
	for q := range dz {
		dz[q] = float64(b.n1[q])/nb - float64(a.n1[q])/na
	}
	nl := len(dz)
	for j := range a.mean {
		dh := b.mean[j] - a.mean[j]
		a.mean[j] += dh * w
		a.m2[j] += b.m2[j] + dh*dh*f
		if lat != nil {
			a.c[j] += b.c[j] + dh*dz[lat[j]]*f
			continue
		}
		for q := 0; q < nl; q++ {
			a.c[q*len(a.mean)+j] += b.c[q*len(a.mean)+j] + dh*dz[q]*f
		}
	}
	a.n += b.n
	for q := range a.n1 {
		a.n1[q] += b.n1[q]
	}
}

// corr returns the correlation of neuron j with latent mu.
func (a *layerAcc) corr(j, mu int, lat []int) float64 {
	if a.n == 0 {
		return 0
	}
	var c float64
	if lat != nil {
		if lat[j] != mu {
			panic("probe: neuron outside the latent's group")
		}
		c = a.c[j]
	} else {
		c = a.c[mu*len(a.mean)+j]
	}
	n1 := float64(a.n1[mu])
	n := float64(a.n)
	return Corr(c, a.m2[j], n1*(n-n1)/n)
}
