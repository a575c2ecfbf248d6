package probe

import "math"

// Bivariate accumulates the population moments of a pair (x, y): the count,
// both means, both sums of squared deviations and the co-moment. Values are
// added one at a time (Welford) or whole accumulators are merged (Chan,
// Golub and LeVeque), so a data set can be split into parts summarised
// independently. The zero value is an empty accumulator.
type Bivariate struct {
	N        float64 // number of observations
	MeanX    float64
	MeanY    float64
	M2X      float64 // Σ (x − MeanX)²
	M2Y      float64 // Σ (y − MeanY)²
	CoMoment float64 // Σ (x − MeanX)(y − MeanY)
}

// Add adds one observation.
func (b *Bivariate) Add(x, y float64) {
	b.N++
	dx := x - b.MeanX
	b.MeanX += dx / b.N
	dy := y - b.MeanY
	b.MeanY += dy / b.N
	// dx uses the old mean, (y − new MeanY) the new one: the exact update.
	b.M2X += dx * (x - b.MeanX)
	b.M2Y += dy * (y - b.MeanY)
	b.CoMoment += dx * (y - b.MeanY)
}

// Merge adds every observation summarised by o.
func (b *Bivariate) Merge(o Bivariate) {
	if o.N == 0 {
		return
	}
	if b.N == 0 {
		*b = o
		return
	}
	n := b.N + o.N
	dx := o.MeanX - b.MeanX
	dy := o.MeanY - b.MeanY
	f := b.N * o.N / n
	b.MeanX += dx * o.N / n
	b.MeanY += dy * o.N / n
	b.M2X += o.M2X + dx*dx*f
	b.M2Y += o.M2Y + dy*dy*f
	b.CoMoment += o.CoMoment + dx*dy*f
	b.N = n
}

// Corr returns the Pearson correlation of the accumulated pairs; see Corr.
func (b *Bivariate) Corr() float64 { return Corr(b.CoMoment, b.M2X, b.M2Y) }

// Corr returns the correlation co/√(m2x·m2y) from a co-moment and the two
// sums of squared deviations, clamped to [−1, 1]. A constant variable
// (m2x or m2y not positive) gives 0: the probe counts 0/0 as no
// correlation.
func Corr(co, m2x, m2y float64) float64 {
	if !(m2x > 0) || !(m2y > 0) {
		return 0
	}
	r := co / (math.Sqrt(m2x) * math.Sqrt(m2y))
	switch {
	case r > 1:
		return 1
	case r < -1:
		return -1
	case math.IsNaN(r):
		return 0
	}
	return r
}
