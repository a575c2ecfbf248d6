package train

import (
	"errors"
	"fmt"
	"math"

	"github.com/dualssl/dualssl/pkg/loss"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/par"
	"github.com/dualssl/dualssl/pkg/rng"
)

// ChunkRows is the number of anchors per unit of parallel work. It is fixed
// so that the gradient's summation order, hence every bit of the result,
// does not depend on the thread count.
const ChunkRows = 64

// Config holds the training hyper-parameters.
type Config struct {
	Loss        loss.Func
	Normalize   bool    // train on f̂ = f/(‖f‖+Eps) rather than f
	Eps         float64 // the normalisation's ε (loss.DefaultEps in the reference)
	LR          float64 // learning rate α
	Momentum    float64 // heavy-ball momentum μ (0: plain SGD)
	WeightDecay float64 // L2 coefficient λ added to the gradient
	// Negatives is H, the number of in-batch negatives per anchor, used
	// when a batch carries no explicit negatives.
	Negatives int
	Seed      uint64 // seeds the in-batch negative choice
	Threads   int    // goroutines per step; < 1 means 1
	// Precision is the arithmetic of the network passes: Float64 (the
	// default, "" included) or Float32, an explicit speed choice. In
	// float32 the weights are float32 values (New rounds the network's, and
	// every update rounds its result), the forward and backward passes run
	// in float32 on the float32 lane kernels, and the loss, the sum of the
	// chunks' gradients and the update arithmetic stay float64. Either is
	// deterministic whatever Threads is.
	Precision string
}

// Precisions of Config.Precision.
const (
	Float64 = "float64"
	Float32 = "float32"
)

// Batch is one batch of views, row-major with the network's input width.
type Batch struct {
	Rows   int       // B, the number of anchors
	XA, XB []float64 // B×In: the two views of each data point
	// XNeg holds explicit negatives, H per anchor ((B·H)×In), or is nil to
	// draw negatives from the batch's other rows.
	XNeg []float64
	// XA8, XB8 and XNeg8, when XA8 is not nil, hold the views as int8
	// values in place of XA, XB and XNeg (which are then ignored), same
	// shapes: the form in which sources of 0/1 observations deliver them,
	// so that each value is converted once, straight into the network's
	// input lanes.
	XA8, XB8, XNeg8 []int8
}

// lens returns the lengths of the batch's views, in whichever form it
// holds them, and whether it has explicit negatives.
func (b *Batch) lens() (a, p, neg int, explicit bool) {
	if b.XA8 != nil {
		return len(b.XA8), len(b.XB8), len(b.XNeg8), b.XNeg8 != nil
	}
	return len(b.XA), len(b.XB), len(b.XNeg), b.XNeg != nil
}

// StepStats describes one SGD step.
type StepStats struct {
	Step     int64   // 1-based global step number
	Loss     float64 // the loss before the update
	GradNorm float64 // ‖∇L‖₂ over all parameters, before weight decay
	LR       float64
	MulAdds  int64 // multiply-adds counted in the network passes
}

// NonFiniteError reports a NaN or infinite loss, gradient or weight. The
// network is left as it was before the failing step.
type NonFiniteError struct {
	Epoch int // set by Loop; 0 outside it
	Step  int64
	What  string // "loss", "gradient" or "weight"
}

func (e *NonFiniteError) Error() string {
	if e.Epoch > 0 {
		return fmt.Sprintf("non-finite %s at epoch %d, step %d", e.What, e.Epoch, e.Step)
	}
	return fmt.Sprintf("non-finite %s at step %d", e.What, e.Step)
}

// Trainer performs SGD steps on a network.
type Trainer struct {
	Net *nn.Network
	// Velocity is the momentum buffer (nil when Config.Momentum is 0). It is
	// part of the training state: resuming needs it.
	Velocity *nn.Network
	// Step counts the steps done; it selects the in-batch negative stream.
	Step int64

	cfg    Config
	grad   *nn.Network
	chunks []*chunk
	// Normalised outputs and their gradients for the whole batch.
	fa, fb, fn    []float64
	ga, gb, gn    []float64
	negIdx, pool  []int
	layer1MulAdds int

	// Cached ParamSlices (they allocate), refreshed when Net or Velocity
	// is replaced.
	cacheNet, cacheVel *nn.Network
	netP, velP, gradP  [][]float64
	// net32 is the float32 copy of netP the float32 passes read.
	net32 [][]float32
}

type chunk struct {
	lo, hi int // anchors lo … hi−1
	pass   chunkPass
	norms  []float64
	f      []float64 // the outputs, row-major
	dOut   []float64 // their gradients, row-major
}

// chunkPass is a chunk's network passes in the trainer's precision.
type chunkPass interface {
	// forward runs the network on the row-major inputs of src, or of src8
	// when it is not nil (in values per sample, stacked in order), and
	// writes the outputs row-major to f (D values per sample).
	forward(net *nn.Network, src [][]float64, src8 [][]int8, in int, f []float64, D int)
	// backward back-propagates the row-major output gradients dOut (D per
	// sample) through the last forward into the pass's own gradient.
	backward(net *nn.Network, dOut []float64, D int)
	// addGrad adds the gradient into dst (ParamSlices order), in float64.
	addGrad(dst [][]float64)
}

// lanePass runs the feature-major passes in precision T on the
// parameters *w (the trainer's, read-only during a step).
type lanePass[T nn.Float] struct {
	w     *[][]T
	lanes nn.LanesOf[T]
	grad  [][]T
}

func (c *lanePass[T]) forward(net *nn.Network, src [][]float64, src8 [][]int8, in int, f []float64, D int) {
	rows := len(f) / D
	p := &c.lanes
	p.Reset(net, rows)
	s0 := 0
	for _, x := range src8 {
		m := len(x) / in
		transpose(x, in, m, in, p.F[0][s0:], p.Stride)
		s0 += m
	}
	for _, x := range src {
		m := len(x) / in
		transpose(x, in, m, in, p.F[0][s0:], p.Stride)
		s0 += m
	}
	nn.ForwardLanesWith(net, *c.w, p)
	transpose(p.H[len(p.H)-1], p.Stride, D, rows, f, D)
}

func (c *lanePass[T]) backward(net *nn.Network, dOut []float64, D int) {
	if c.grad == nil {
		c.grad = nn.ParamsOf[T](net)
	}
	for _, g := range c.grad {
		clear(g)
	}
	p := &c.lanes
	transpose(dOut, D, len(dOut)/D, D, p.D[len(p.D)-1], p.Stride)
	nn.BackwardLanesWith(net, *c.w, p, c.grad, false)
}

func (c *lanePass[T]) addGrad(dst [][]float64) { addParams(dst, c.grad) }

// New returns a trainer for net (which it updates in place).
func New(net *nn.Network, cfg Config) (*Trainer, error) {
	if cfg.Loss == nil {
		return nil, errors.New("train: no loss")
	}
	if !(cfg.LR > 0) || math.IsInf(cfg.LR, 0) {
		return nil, fmt.Errorf("train: learning rate %v: must be positive", cfg.LR)
	}
	if cfg.Momentum < 0 || cfg.Momentum >= 1 {
		return nil, fmt.Errorf("train: momentum %v: must lie in [0, 1)", cfg.Momentum)
	}
	if cfg.WeightDecay < 0 {
		return nil, fmt.Errorf("train: weight decay %v: must not be negative", cfg.WeightDecay)
	}
	if cfg.Normalize && !(cfg.Eps >= 0) {
		return nil, fmt.Errorf("train: normalisation epsilon %v: must not be negative", cfg.Eps)
	}
	if cfg.Negatives < 1 {
		cfg.Negatives = 1
	}
	if cfg.Threads < 1 {
		cfg.Threads = 1
	}
	switch cfg.Precision {
	case "":
		cfg.Precision = Float64
	case Float64:
	case Float32:
		for _, s := range net.ParamSlices() {
			round32(s)
		}
	default:
		return nil, fmt.Errorf("train: precision %q: want %s or %s", cfg.Precision, Float64, Float32)
	}
	t := &Trainer{Net: net, cfg: cfg, grad: net.ZeroLike()}
	if cfg.Momentum != 0 {
		t.Velocity = net.ZeroLike()
	}
	for _, b := range net.Layers[0].Blocks {
		t.layer1MulAdds += b.In * b.Out
	}
	return t, nil
}

// Config returns the trainer's configuration.
func (t *Trainer) Config() Config { return t.cfg }

// MulAdds returns the multiply-adds one step counts for a batch of the
// given anchors and negatives per anchor (explicit ones, 0 for in-batch):
// a forward pass, a weight-gradient pass and an input-gradient pass (the
// first layer's excepted) for each of the (2+H)·rows network inputs.
func (t *Trainer) MulAdds(rows, explicitNeg int) int64 {
	per := int64(t.Net.MulAdds())
	n := int64((2 + explicitNeg) * rows)
	return n * (3*per - int64(t.layer1MulAdds))
}

// TrainStep performs one SGD step on b. On a NaN or infinite loss, gradient
// or resulting weight it returns a *NonFiniteError and leaves the network,
// the momentum and the step counter unchanged.
func (t *Trainer) TrainStep(b *Batch) (StepStats, error) {
	B, H, explicit, err := t.shape(b)
	if err != nil {
		return StepStats{}, err
	}
	step := t.Step + 1
	L, norm2, err := t.gradient(b, B, H, explicit, step)
	if err != nil {
		return StepStats{}, err
	}
	if err := t.update(t.gradP, step); err != nil {
		return StepStats{}, err
	}
	t.Step = step
	nExplicit := 0
	if explicit {
		nExplicit = H
	}
	return StepStats{Step: step, Loss: L, GradNorm: math.Sqrt(norm2), LR: t.cfg.LR, MulAdds: t.MulAdds(B, nExplicit)}, nil
}

// shape returns the batch's anchors B, negatives per anchor H and whether
// they are explicit, or an error when b does not fit the network.
func (t *Trainer) shape(b *Batch) (B, H int, explicit bool, err error) {
	in := t.Net.InDim()
	B = b.Rows
	la, lb, ln, explicit := b.lens()
	if B < 2 || la != B*in || lb != B*in {
		return 0, 0, false, fmt.Errorf("train: batch of %d rows with %d and %d inputs (width %d)", B, la, lb, in)
	}
	H = t.cfg.Negatives
	if explicit {
		if ln%(B*in) != 0 || ln == 0 {
			return 0, 0, false, fmt.Errorf("train: %d negative inputs for %d rows of width %d", ln, B, in)
		}
		H = ln / (B * in)
	} else if H > B-1 {
		return 0, 0, false, fmt.Errorf("train: %d in-batch negatives need a batch of at least %d rows, got %d", H, H+1, B)
	}
	return B, H, explicit, nil
}

// gradient computes the batch's loss and its gradient into t.grad (the sum
// of the chunks' gradients, in chunk order) and returns the loss and the
// gradient's squared norm.
func (t *Trainer) gradient(b *Batch, B, H int, explicit bool, step int64) (float64, float64, error) {
	D := t.Net.OutDim()
	t.layout(B, H, explicit)
	t.refreshParams()
	p := &loss.Pairs{B: B, H: H, D: D, A: t.fa, P: t.fb}
	g := &loss.Grads{A: t.ga, P: t.gb}
	if explicit {
		p.Neg, g.Neg = t.fn, t.gn
	} else {
		t.drawNegatives(step, B, H)
		p.NegIdx = t.negIdx
	}

	if t.net32 != nil {
		for k, w := range t.netP {
			d := t.net32[k][:len(w)]
			for i, v := range w {
				d[i] = float32(v)
			}
		}
	}
	// Forward, chunk by chunk.
	t.parallel(func(c *chunk) { t.forward(c, b, H, explicit) })
	L := t.cfg.Loss.Eval(p, g)
	if math.IsNaN(L) || math.IsInf(L, 0) {
		return 0, 0, &NonFiniteError{Step: step, What: "loss"}
	}
	// Backward, chunk by chunk, then the fixed-order sum.
	t.parallel(func(c *chunk) { t.backward(c, H, explicit) })
	gs := t.gradP
	for _, s := range gs {
		clear(s)
	}
	for _, c := range t.chunks {
		c.pass.addGrad(gs)
	}
	norm2 := sumSquares(gs)
	if math.IsNaN(norm2) || math.IsInf(norm2, 0) {
		return 0, 0, &NonFiniteError{Step: step, What: "gradient"}
	}
	return L, norm2, nil
}

// sumSquares returns the sum of the squares of every value of gs: each
// slice in four interleaved partial sums, (s0+s1)+(s2+s3), so that four
// chains of dependent adds overlap (a fixed order: the same bits on every
// run).
func sumSquares(gs [][]float64) float64 {
	total := 0.0
	for _, g := range gs {
		var s0, s1, s2, s3 float64
		i := 0
		for ; i+4 <= len(g); i += 4 {
			v := g[i : i+4 : i+4]
			s0 += v[0] * v[0]
			s1 += v[1] * v[1]
			s2 += v[2] * v[2]
			s3 += v[3] * v[3]
		}
		for ; i < len(g); i++ {
			s0 += g[i] * g[i]
		}
		total += (s0 + s1) + (s2 + s3)
	}
	return total
}

// update applies w ← w − α·v with v = μ·v + g + λ·w (v = g + λ·w without
// momentum). It computes every new weight twice rather than back the old
// ones up: once to check that all are finite (a non-finite one leaves the
// network and the momentum as they were), then to write them. The second
// pass repeats the first's arithmetic exactly, so the weights written are
// the ones checked.
func (t *Trainer) update(gs [][]float64, step int64) error {
	ws, vs := t.netP, t.velP
	lr, mu, wd := t.cfg.LR, t.cfg.Momentum, t.cfg.WeightDecay
	f32 := t.cfg.Precision == Float32
	for pass := 0; pass < 2; pass++ {
		// inf − inf and NaN − NaN are NaN, so one NaN in nonFinite marks
		// any non-finite weight.
		nonFinite := 0.0
		for k, w := range ws {
			if k%2 == 1 && !t.Net.Bias {
				continue // biases of a bias-free network stay zero
			}
			g := gs[k][:len(w)]
			var v []float64
			if vs != nil {
				v = vs[k][:len(w)]
			}
			for i, wi := range w {
				d := g[i] + wd*wi
				if v != nil {
					d += mu * v[i]
				}
				nw := wi - lr*d
				if f32 {
					nw = float64(float32(nw))
				}
				if pass == 0 {
					nonFinite += nw - nw
					continue
				}
				if v != nil {
					v[i] = d
				}
				w[i] = nw
			}
		}
		if pass == 0 && nonFinite != 0 {
			return &NonFiniteError{Step: step, What: "weight"}
		}
	}
	return nil
}

// refreshParams rebuilds the cached parameter slices when the network or
// the momentum buffer has been replaced (a resumed run sets Velocity).
func (t *Trainer) refreshParams() {
	if t.cacheNet != t.Net {
		t.cacheNet, t.netP = t.Net, t.Net.ParamSlices()
		t.gradP = t.grad.ParamSlices()
		if t.cfg.Precision == Float32 {
			t.net32 = nn.ParamsOf[float32](t.Net)
		}
	}
	if t.cacheVel != t.Velocity {
		t.cacheVel, t.velP = t.Velocity, nil
		if t.Velocity != nil {
			t.velP = t.Velocity.ParamSlices()
		}
	}
}

// layout sizes the chunks and the batch-wide buffers.
func (t *Trainer) layout(B, H int, explicit bool) {
	nc := (B + ChunkRows - 1) / ChunkRows
	for len(t.chunks) < nc {
		c := &chunk{pass: &lanePass[float64]{w: &t.netP}}
		if t.cfg.Precision == Float32 {
			c.pass = &lanePass[float32]{w: &t.net32}
		}
		t.chunks = append(t.chunks, c)
	}
	t.chunks = t.chunks[:nc]
	for i, c := range t.chunks {
		c.lo, c.hi = i*ChunkRows, min((i+1)*ChunkRows, B)
	}
	D := t.Net.OutDim()
	t.fa, t.fb = grow(t.fa, B*D), grow(t.fb, B*D)
	t.ga, t.gb = grow(t.ga, B*D), grow(t.gb, B*D)
	if explicit {
		t.fn, t.gn = grow(t.fn, B*H*D), grow(t.gn, B*H*D)
	}
}

// drawNegatives picks, for every anchor, H distinct other rows of the batch
// from the step's own stream.
func (t *Trainer) drawNegatives(step int64, B, H int) {
	r := rng.New(t.cfg.Seed, rng.Train, uint64(step))
	t.negIdx = grow(t.negIdx, B*H)
	if H == 1 {
		for i := 0; i < B; i++ {
			t.negIdx[i] = (i + 1 + r.IntN(B-1)) % B
		}
		return
	}
	t.pool = grow(t.pool, B-1)
	for i := 0; i < B; i++ {
		// Partial Fisher–Yates over the other rows.
		for j := range t.pool {
			t.pool[j] = (i + 1 + j) % B
		}
		for k := 0; k < H; k++ {
			j := k + r.IntN(B-1-k)
			t.pool[k], t.pool[j] = t.pool[j], t.pool[k]
			t.negIdx[i*H+k] = t.pool[k]
		}
	}
}

// forward stacks the chunk's anchors, positives and explicit negatives into
// one feature-major input (samples on the lanes), runs the network and
// normalises the outputs into the batch-wide arrays.
func (t *Trainer) forward(c *chunk, b *Batch, H int, explicit bool) {
	in, D := t.Net.InDim(), t.Net.OutDim()
	n := c.hi - c.lo
	rows := 2 * n
	if explicit {
		rows += n * H
	}
	c.f = grow(c.f, rows*D)
	if b.XA8 != nil {
		c.pass.forward(t.Net, nil, parts(c, in, H, explicit, b.XA8, b.XB8, b.XNeg8), in, c.f, D)
	} else {
		c.pass.forward(t.Net, parts(c, in, H, explicit, b.XA, b.XB, b.XNeg), nil, in, c.f, D)
	}
	f := c.f
	dst := parts(c, D, H, explicit, t.fa, t.fb, t.fn)
	c.norms = grow(c.norms, rows)
	off := 0
	for _, d := range dst {
		m := len(d) / D
		if t.cfg.Normalize {
			loss.Normalize(f[off*D:(off+m)*D], m, D, t.cfg.Eps, d, c.norms[off:off+m])
		} else {
			copy(d, f[off*D:(off+m)*D])
		}
		off += m
	}
}

// parts returns the chunk's rows of batch-wide arrays of w values per
// sample: its anchors' of a, its positives' of b and, when explicit, its
// H negatives per anchor of neg, in the order the chunk stacks them.
func parts[E any](c *chunk, w, H int, explicit bool, a, b, neg []E) [][]E {
	p := [][]E{a[c.lo*w : c.hi*w], b[c.lo*w : c.hi*w]}
	if explicit {
		p = append(p, neg[c.lo*H*w:c.hi*H*w])
	}
	return p
}

// transpose writes the rows×cols matrix a (row stride as) transposed into
// dst (row stride ds), converting each value to dst's precision (int8
// values exactly): dst[j·ds + i] = a[i·as + j]. Eight rows at a time, so
// that each write fills eight consecutive lanes: twice as fast as a row at
// a time, and the input's transpose is the largest cost of a step outside
// the kernels.
func transpose[S nn.Float | int8, D nn.Float](a []S, as, rows, cols int, dst []D, ds int) {
	i := 0
	for ; i+8 <= rows; i += 8 {
		r0 := a[i*as : i*as+cols]
		r1 := a[(i+1)*as:][:len(r0)]
		r2 := a[(i+2)*as:][:len(r0)]
		r3 := a[(i+3)*as:][:len(r0)]
		r4 := a[(i+4)*as:][:len(r0)]
		r5 := a[(i+5)*as:][:len(r0)]
		r6 := a[(i+6)*as:][:len(r0)]
		r7 := a[(i+7)*as:][:len(r0)]
		for j, v := range r0 {
			d := dst[j*ds+i:][:8]
			d[0], d[1], d[2], d[3] = D(v), D(r1[j]), D(r2[j]), D(r3[j])
			d[4], d[5], d[6], d[7] = D(r4[j]), D(r5[j]), D(r6[j]), D(r7[j])
		}
	}
	for ; i < rows; i++ {
		for j, v := range a[i*as : i*as+cols] {
			dst[j*ds+i] = D(v)
		}
	}
}

// round32 rounds every value of s to the nearest float32.
func round32(s []float64) {
	for i, v := range s {
		s[i] = float64(float32(v))
	}
}

// backward gathers the chunk's output gradients, undoes the normalisation
// and back-propagates into the chunk's own gradient.
func (t *Trainer) backward(c *chunk, H int, explicit bool) {
	D := t.Net.OutDim()
	f := c.f
	c.dOut = grow(c.dOut, len(f))
	src := parts(c, D, H, explicit, t.ga, t.gb, t.gn)
	off := 0
	for _, s := range src {
		m := len(s) / D
		if t.cfg.Normalize {
			loss.NormalizeBackward(f[off*D:(off+m)*D], c.norms[off:off+m], m, D, t.cfg.Eps, s, c.dOut[off*D:(off+m)*D])
		} else {
			copy(c.dOut[off*D:], s)
		}
		off += m
	}
	c.pass.backward(t.Net, c.dOut, D)
}

// parallel runs fn on every chunk with up to cfg.Threads goroutines.
func (t *Trainer) parallel(fn func(*chunk)) {
	par.For(len(t.chunks), max(t.cfg.Threads, 1), func(_, i int) { fn(t.chunks[i]) })
}

// grow returns b resized to n values, reallocated only when its capacity
// is short (the contents are not kept).
func grow[E any](b []E, n int) []E {
	if cap(b) < n {
		return make([]E, n)
	}
	return b[:n]
}
