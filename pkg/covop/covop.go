package covop

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/dualssl/dualssl/pkg/nn"
)

// Contract selects the per-node operator.
type Contract int

const (
	// ContractNone reports the paper's per-node operator: the node's
	// diagonal block of its level's OP, side In·Out, contracted over the
	// network's output index.
	ContractNone Contract = iota
	// ContractNode reports the reference's variant: side In·n_L, rows
	// (input i, output k) at i·n_L+k, contracted over the node's own
	// output unit. Same trace as the diagonal block, different norm.
	ContractNode
)

// Defaults for Config.
const (
	DefaultTopK    = 5
	DefaultRankTol = 1e-10
	// DefaultMaxSide bounds the side of the matrix decomposed for a
	// spectrum: min(operator side, n_L·keys).
	DefaultMaxSide = 2048
	// DefaultMaxBytes bounds the per-key connection sums held in memory
	// (see Memory): Analyze runs on fewer threads, or refuses, beyond it.
	DefaultMaxBytes = 4 << 30
)

// ErrBias is returned by Analyze when the Theorem 1 check is asked of a
// network with biases: with biases f ≠ K_lᵀ vec(W_l), so the identity
// −∇E[L] = 2·OP_l·vec(W_l) does not hold.
var ErrBias = errors.New("covop: the Theorem 1 check needs a bias-free network: with biases f(x) ≠ K(x)ᵀvec(W), which the identity rests on")

// Config controls Analyze. The zero value reports the paper's operators
// with DefaultTopK eigenvalues and no check.
type Config struct {
	Contract Contract
	TopK     int     // eigenvalues reported per operator; 0 means DefaultTopK, negative none
	RankTol  float64 // rank counts eigenvalues > RankTol·λ_max; 0 means DefaultRankTol
	Check    bool    // compare −∇E[½d₊² − ½d₋²] (back-propagated) with 2·OP·vec(W)
	Align    bool    // fractions of ‖vec W‖² in OP's top eigenspaces (levels and layers)
	Matrix   bool    // keep each reported operator as a matrix (level/layer; nodes only with ContractNode)
	Threads  int     // goroutines; < 1 means GOMAXPROCS
	MaxSide  int     // 0 means DefaultMaxSide
	MaxBytes int64   // memory budget (see Memory); 0 means DefaultMaxBytes
}

// Scopes of an Operator.
const (
	ScopeLevel = "level" // a level of the tree network
	ScopeLayer = "layer" // a layer of an MLP
	ScopeNode  = "node"  // one node of the tree network
)

// Operator is one covariance operator and its summary.
type Operator struct {
	Layer      int    // network layer 1 … L
	Scope      string // ScopeLevel, ScopeLayer or ScopeNode
	Name       string // "level 2", the MLP layer's name, or the node's name
	Level      int    // tree: HLTM level (root 0); MLP: the layer number
	DepthIndex int    // the reference's depth index: Depth − Level for the tree (= Layer); Layer for the MLP
	Node       int    // tree node id for ScopeNode, else −1

	Dim       int       // side of the operator
	Trace     float64   // tr OP
	Frobenius float64   // ‖OP‖_F
	Top       []float64 // the largest eigenvalues, descending (NaN past Dim)
	LambdaMin float64   // the smallest eigenvalue (≤ 0 by rounding when OP is rank-deficient)
	Rank      int       // eigenvalues above RankTol·λ_max

	// WOpW is vec(W)ᵀ OP vec(W) = tr V_key[E[f | key]] restricted to these
	// parameters (NaN for ContractNode node operators). For every level or
	// layer of a bias-free network it is the same number.
	WOpW float64

	// OpW = 2·OP·vec(W), Theorem 1's step, for levels, layers and paper
	// node blocks (for a node, 2·OP_μμ·vec(W_μ), its diagonal block alone;
	// nil for ContractNode nodes). With Config.Check, for levels and
	// layers: NegGrad = −∇_{vec W} E[L] by back-propagation and
	// CheckRelErr = ‖NegGrad − OpW‖/max(‖NegGrad‖, ‖OpW‖). For paper node
	// blocks NegGrad is the node's part of the gradient (the diagonal block
	// is not the theorem: CheckRelErr is left NaN). Nil and NaN otherwise.
	NegGrad, OpW []float64
	CheckRelErr  float64

	// PairRelErr is set by Report.CheckPairwise, for levels and layers: the
	// relative error of −∇L = OP^β·vec(W) on one batch for a loss
	// (docs/theory.md §9). NaN otherwise.
	PairRelErr float64

	// With Config.Align, for levels and layers: the fraction of ‖vec W‖²
	// in the eigenspace of OP's largest eigenvalue (AlignTop1; a multiple
	// eigenvalue counts whole, as at the output layer where OP = V ⊗ I and
	// every eigenvalue is n_L-fold) and in that of its n_L largest
	// (AlignTopN), counting only eigenvalues above RankTol·λ_max. NaN
	// otherwise, or when W = 0.
	AlignTop1, AlignTopN float64

	// Filled by Report.FitStep, for levels and layers: the cosine between
	// an actual expected step s (e.g. training's −E[∇L], normalisation
	// and biases included) and OpW, the least-squares scale c minimising
	// ‖s − c·OpW‖, and the relative residue ‖s − c·OpW‖/‖s‖ (= the sine of
	// the angle), and StepNoise, the step's relative Monte Carlo error
	// √(Σ se²)/‖s‖: a cosine is only informative when StepNoise is well
	// below 1. NaN otherwise.
	StepCos, StepScale, StepResidue, StepNoise float64

	Matrix *mat.SymDense // with Config.Matrix; nil for paper node blocks
}

// Report is the result of Analyze.
type Report struct {
	Operators []Operator
	Keys      int     // number of keys (data points)
	Samples   int     // number of network inputs
	Exact     bool    // exact enumeration rather than Monte Carlo
	Loss      float64 // E[½d₊² − ½d₋²] (exact) or its estimate (views), with Check; else NaN
}

// Analyze computes the covariance operator of every layer of net over the
// data: per level and per node for the tree network, per layer for the
// MLP. It returns an error when the network does not read the data's
// inputs, when Check is asked of a network with biases (ErrBias), or when a
// spectrum or the per-key sums would be too large (wrapping ErrTooLarge).
func Analyze(net *nn.Network, d *Data, cfg Config) (*Report, error) {
	if err := net.Validate(); err != nil {
		return nil, err
	}
	if net.InDim() != d.InDim {
		return nil, fmt.Errorf("covop: the network reads %d inputs but the data have %d", net.InDim(), d.InDim)
	}
	if cfg.Check && net.Bias {
		return nil, ErrBias
	}
	if cfg.TopK == 0 {
		cfg.TopK = DefaultTopK
	}
	if cfg.RankTol == 0 {
		cfg.RankTol = DefaultRankTol
	}
	if cfg.MaxSide == 0 {
		cfg.MaxSide = DefaultMaxSide
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	p := newPlan(net)
	G, nL := d.NumKeys(), p.nL
	threads, err := fitThreads(p, d, cfg)
	if err != nil {
		return nil, err
	}
	cfg.Threads = threads
	for l, layer := range net.Layers {
		if s := min(p.layerDim[l], G*nL); s > cfg.MaxSide {
			return nil, fmt.Errorf("%w: layer %d: an operator of side %d from %d keys × %d outputs needs a %d×%d eigendecomposition (limit %d); use fewer distinct keys or a smaller network",
				ErrTooLarge, l+1, p.layerDim[l], G, nL, s, s, cfg.MaxSide)
		}
		for _, b := range layer.Blocks {
			side := min(b.In*b.Out, G*nL)
			if cfg.Contract == ContractNode {
				side = min(b.In*nL, G*b.Out)
			}
			if side > cfg.MaxSide {
				return nil, fmt.Errorf("%w: node %s: a %d×%d eigendecomposition (limit %d)", ErrTooLarge, b.Name, side, side, cfg.MaxSide)
			}
		}
	}

	rep := &Report{Keys: G, Samples: d.N(), Exact: d.Exact(), Loss: math.NaN()}
	var upstream []float64
	if cfg.Check {
		out := forwardAll(net, d, cfg.Threads)
		upstream, rep.Loss = lossGradient(d, out, nL)
	}
	sm := accumulate(p, d, upstream, cfg.Threads)
	w := center(sm)
	for l := 1; l <= len(net.Layers); l++ {
		rep.Operators = append(rep.Operators, layerOperators(p, sm, w, l, cfg)...)
	}
	return rep, nil
}

// Memory estimates how many bytes Analyze holds for net over d with
// threads goroutines: the per-key connection sums (keys × Σ_l d_l·n_L
// float64) and the partial sums of the chunks in flight (2·threads+1
// buffers, each of up to 2 keys with views or every key with exact data).
func Memory(net *nn.Network, d *Data, threads int) int64 {
	return memory(newPlan(net), d, threads)
}

func memory(p *plan, d *Data, threads int) int64 {
	G := int64(d.NumKeys())
	perPartial := min(G, 2)
	if d.Exact() {
		perPartial = G
	}
	threads = clampThreads(threads, (d.N()+chunkSamples-1)/chunkSamples)
	return (G + int64(2*threads+1)*perPartial) * int64(p.size) * 8
}

// fitThreads returns the goroutines Analyze may use within cfg.MaxBytes
// (fewer threads hold fewer partial sums), or an ErrTooLarge error that
// states the estimate and the layer holding most of it.
func fitThreads(p *plan, d *Data, cfg Config) (int, error) {
	threads := clampThreads(cfg.Threads, (d.N()+chunkSamples-1)/chunkSamples)
	for ; threads >= 1; threads-- {
		if memory(p, d, threads) <= cfg.MaxBytes {
			return threads, nil
		}
	}
	big := 0
	for l := range p.layerDim {
		if p.layerDim[l] > p.layerDim[big] {
			big = l
		}
	}
	need := memory(p, d, 1)
	return 0, fmt.Errorf("%w: %d keys × %d connection entries need %.1f GiB even on one thread (limit %.1f GiB); layer %d (%d weights) holds %.0f%% of them: use fewer distinct keys (e.g. keep the root only) or a narrower network",
		ErrTooLarge, d.NumKeys(), p.size, float64(need)/(1<<30), float64(cfg.MaxBytes)/(1<<30),
		big+1, p.layerDim[big], 100*float64(p.layerDim[big])/float64(p.size/p.nL))
}

// lossGradient returns ∂E[L]/∂f(x_s) for every sample (N × n_L) and E[L],
// L = ½d₊² − ½d₋².
//
// Exact data: E[L] = −Σ_key P(key)‖f̄(key)‖² + ‖f̄‖² with f̄(key) = E[f | key],
// so ∂E[L]/∂f(x) = −2 Σ_key P(x, key)(f̄(key) − f̄).
//
// Views: row r gives anchor x_a[r], positive x_b[r] and, as the
// independent negative, its explicit negative (AddNegatives) or else x_a of
// row r + ⌊R/2⌋ (mod R), far from r so that rows drawn from one sample
// (several pairs per sample) do not pair up; E[L] is estimated by the mean
// over rows.
func lossGradient(d *Data, out []float64, nL int) ([]float64, float64) {
	N := d.N()
	g := make([]float64, N*nL)
	if d.joint != nil {
		G := d.NumKeys()
		fbar := make([]float64, G*nL)
		mass := make([]float64, G)
		for s := range N {
			fs := out[s*nL : (s+1)*nL]
			for k, pj := range d.joint[s*G : (s+1)*G] {
				if pj == 0 {
					continue
				}
				mass[k] += pj
				for t, v := range fs {
					fbar[k*nL+t] += pj * v
				}
			}
		}
		total := 0.0
		for _, m := range mass {
			total += m
		}
		mean := make([]float64, nL)
		loss := 0.0
		for k, m := range mass {
			if m == 0 {
				continue
			}
			fk := fbar[k*nL : (k+1)*nL]
			sq := 0.0
			for t := range fk {
				fk[t] /= m
				mean[t] += m / total * fk[t]
				sq += fk[t] * fk[t]
			}
			loss -= m / total * sq
		}
		for _, v := range mean {
			loss += v * v
		}
		for s := range N {
			gs := g[s*nL : (s+1)*nL]
			for k, pj := range d.joint[s*G : (s+1)*G] {
				if pj == 0 {
					continue
				}
				c := -2 * pj / total
				for t := range gs {
					gs[t] += c * (fbar[k*nL+t] - mean[t])
				}
			}
		}
		return g, loss
	}
	R := len(d.pairA)
	inv := 1 / float64(R)
	loss := 0.0
	for r := range R {
		a, b, n := int(d.pairA[r]), int(d.pairB[r]), int(d.pairA[(r+R/2)%R])
		if d.negOf != nil {
			n = int(d.negOf[r])
		}
		fa, fb, fn := out[a*nL:(a+1)*nL], out[b*nL:(b+1)*nL], out[n*nL:(n+1)*nL]
		ga, gb, gn := g[a*nL:(a+1)*nL], g[b*nL:(b+1)*nL], g[n*nL:(n+1)*nL]
		for t := range nL {
			dp, dn := fa[t]-fb[t], fa[t]-fn[t]
			loss += 0.5 * inv * (dp*dp - dn*dn)
			ga[t] += inv * (dp - dn) // ∂/∂f_a: (f_a − f_b) − (f_a − f_n)
			gb[t] -= inv * dp
			gn[t] += inv * dn
		}
	}
	return g, loss
}

// center turns each key's connection sum into K̄(key) − K̄ in place and
// returns the key weights w_key = mass/Σ mass (zero-mass keys get weight 0
// and a zero row).
func center(sm *sums) []float64 {
	total := 0.0
	for _, m := range sm.mass {
		total += m
	}
	w := make([]float64, len(sm.mass))
	if len(sm.S) == 0 {
		return w
	}
	mean := make([]float64, len(sm.S[0]))
	for g, m := range sm.mass {
		if m == 0 {
			clear(sm.S[g])
			continue
		}
		w[g] = m / total
		inv := 1 / m
		for t, v := range sm.S[g] {
			v *= inv
			sm.S[g][t] = v
			mean[t] += w[g] * v
		}
	}
	for g := range sm.S {
		if w[g] == 0 {
			continue
		}
		for t, v := range mean {
			sm.S[g][t] -= v
		}
	}
	return w
}

// layerOperators builds layer l's operator and, for the tree network, its
// nodes' operators.
func layerOperators(p *plan, sm *sums, w []float64, l int, cfg Config) []Operator {
	net := p.net
	layer := &net.Layers[l-1]
	nL, G := p.nL, len(w)
	base := p.layerOff[l-1]
	tree := net.Arch == nn.ArchTree

	// vec(W_l) and, with the check, −∇ in the same order.
	weights := func(b *nn.Block) []float64 { return b.W }
	vecW := layerVec(p, layer.Blocks, l-1, weights)
	var negGrad []float64
	if cfg.Check {
		negGrad = layerVec(p, sm.grad.Layers[l-1].Blocks, l-1, weights)
		for r := range negGrad {
			negGrad[r] = -negGrad[r]
		}
	}

	// Block bi's part of a key's slab is K_biᵀ: n_L rows of bs = In·Out
	// entries in vec order (nn.Jacobians.AddConnections), at slab offset
	// at(bi) + k·bs; its rows of the layer's K start at blockOff[bi].
	at := func(bi int) int { return base + p.blockOff[l-1][bi]*nL }

	// op summarises blocks b0 … b1−1 of layer l (the paper's operator on
	// their parameters); align asks for the eigenspace fractions of W.
	op := func(b0, b1 int, wantMatrix, align bool) Operator {
		r0 := p.blockOff[l-1][b0]
		rows := 0
		for bi := b0; bi < b1; bi++ {
			rows += layer.Blocks[bi].In * layer.Blocks[bi].Out
		}
		X := mat.NewDense(G*nL, rows, nil)
		for g := range G {
			sw := math.Sqrt(w[g])
			if sw == 0 {
				continue
			}
			c := sm.S[g]
			for k := range nL {
				dst := X.RawRowView(g*nL + k)
				for bi := b0; bi < b1; bi++ {
					bs := layer.Blocks[bi].In * layer.Blocks[bi].Out
					d := dst[p.blockOff[l-1][bi]-r0:][:bs]
					for r, v := range c[at(bi)+k*bs:][:bs] {
						d[r] = sw * v
					}
				}
			}
		}
		o := summarize(X, rows, cfg, wantMatrix)
		// OP·w and wᵀOPw through the keys: u_key = C_keyᵀ w.
		opw := make([]float64, rows)
		wopw := 0.0
		u := make([]float64, nL)
		for g := range G {
			if w[g] == 0 {
				continue
			}
			c := sm.S[g]
			clear(u)
			for bi := b0; bi < b1; bi++ {
				bs := layer.Blocks[bi].In * layer.Blocks[bi].Out
				wb := vecW[p.blockOff[l-1][bi]:][:bs]
				for k := range nL {
					for r, v := range c[at(bi)+k*bs:][:bs] {
						u[k] += v * wb[r]
					}
				}
			}
			for k := range nL {
				wopw += w[g] * u[k] * u[k]
			}
			for bi := b0; bi < b1; bi++ {
				bs := layer.Blocks[bi].In * layer.Blocks[bi].Out
				ob := opw[p.blockOff[l-1][bi]-r0:][:bs]
				for k := range nL {
					cu := w[g] * u[k]
					for r, v := range c[at(bi)+k*bs:][:bs] {
						ob[r] += cu * v
					}
				}
			}
		}
		o.WOpW = wopw
		o.CheckRelErr = math.NaN()
		o.AlignTop1, o.AlignTopN = math.NaN(), math.NaN()
		o.StepCos, o.StepScale, o.StepResidue, o.StepNoise, o.PairRelErr = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
		for r := range opw {
			opw[r] *= 2
		}
		o.OpW = opw
		if cfg.Check {
			o.NegGrad = append([]float64(nil), negGrad[r0:r0+rows]...)
		}
		if align {
			o.AlignTop1, o.AlignTopN = alignment(X, vecW[r0:r0+rows], nL, cfg.RankTol)
		}
		return o
	}

	var ops []Operator
	lv := op(0, len(layer.Blocks), cfg.Matrix, cfg.Align)
	lv.Layer, lv.Level, lv.DepthIndex, lv.Node = l, layer.Level, l, -1
	if tree {
		lv.Scope, lv.Name = ScopeLevel, fmt.Sprintf("level %d", layer.Level)
	} else {
		lv.Scope, lv.Name = ScopeLayer, layer.Blocks[0].Name
	}
	if cfg.Check {
		lv.CheckRelErr = relErr(lv.NegGrad, lv.OpW)
	}
	ops = append(ops, lv)
	if !tree {
		return ops
	}
	for bi, b := range layer.Blocks {
		var no Operator
		if cfg.Contract == ContractNode {
			no = contracted(p, sm, w, l, bi, cfg)
		} else {
			no = op(bi, bi+1, false, false)
		}
		no.Layer, no.Level, no.DepthIndex, no.Node = l, layer.Level, l, b.Node
		no.Scope, no.Name = ScopeNode, b.Name
		ops = append(ops, no)
	}
	return ops
}

// contracted builds the reference's node operator for block bi of layer l:
// rows (i, k) at i·n_L+k, Σ_key w Σ_o C[(i,o),k] C[(i',o),k'].
func contracted(p *plan, sm *sums, w []float64, l, bi int, cfg Config) Operator {
	b := &p.net.Layers[l-1].Blocks[bi]
	nL, G := p.nL, len(w)
	base := p.layerOff[l-1] + p.blockOff[l-1][bi]*nL
	side := b.In * nL
	Y := mat.NewDense(G*b.Out, side, nil)
	for g := range G {
		sw := math.Sqrt(w[g])
		if sw == 0 {
			continue
		}
		c := sm.S[g][base:]
		for o := 0; o < b.Out; o++ {
			dst := Y.RawRowView(g*b.Out + o)
			for i := 0; i < b.In; i++ {
				for k := range nL {
					dst[i*nL+k] = sw * c[k*b.In*b.Out+i*b.Out+o]
				}
			}
		}
	}
	o := summarize(Y, side, cfg, cfg.Matrix)
	o.WOpW, o.CheckRelErr = math.NaN(), math.NaN()
	o.AlignTop1, o.AlignTopN = math.NaN(), math.NaN()
	o.StepCos, o.StepScale, o.StepResidue, o.StepNoise, o.PairRelErr = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
	return o
}

// summarize returns the statistics of OP = XᵀX (side = X's columns),
// decomposing the smaller of XᵀX and X Xᵀ; with wantMatrix it also keeps
// OP itself.
func summarize(X *mat.Dense, side int, cfg Config, wantMatrix bool) Operator {
	p, _ := X.Dims()
	var S mat.SymDense
	if p < side {
		S.SymOuterK(1, X) // Gram X Xᵀ: same nonzero spectrum
	} else {
		S.SymOuterK(1, X.T())
	}
	m := S.SymmetricDim()
	o := Operator{Dim: side}
	frob := 0.0
	for i := range m {
		o.Trace += S.At(i, i)
		for j := range m {
			v := S.At(i, j)
			frob += v * v
		}
	}
	o.Frobenius = math.Sqrt(frob)
	var vals []float64
	if m > 0 {
		var es mat.EigenSym
		if es.Factorize(&S, false) {
			vals = es.Values(nil) // ascending
		} else {
			vals = make([]float64, m)
			for i := range vals {
				vals[i] = math.NaN()
			}
		}
	}
	lmax := 0.0
	if len(vals) > 0 {
		lmax = vals[len(vals)-1]
		o.LambdaMin = vals[0]
	}
	if m < side && o.LambdaMin > 0 {
		o.LambdaMin = 0 // the remaining side − m eigenvalues are exactly zero
	}
	if side == 0 {
		o.LambdaMin = math.NaN()
	}
	for _, v := range vals {
		if lmax > 0 && v > cfg.RankTol*lmax {
			o.Rank++
		}
	}
	// OP's spectrum is vals and side − m exact zeros; the top k of their
	// union, descending (rounding may leave some of vals below zero).
	k := max(cfg.TopK, 0)
	all := append([]float64(nil), vals...)
	for range min(side-m, k) {
		all = append(all, 0)
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(all)))
	o.Top = make([]float64, k)
	for i := range o.Top {
		if i < len(all) {
			o.Top[i] = all[i]
		} else {
			o.Top[i] = math.NaN()
		}
	}
	if wantMatrix {
		if p < side {
			var op mat.SymDense
			op.SymOuterK(1, X.T())
			o.Matrix = &op
		} else {
			o.Matrix = &S
		}
	}
	return o
}

// relErr returns ‖a − b‖/max(‖a‖, ‖b‖), 0 when both are zero.
func relErr(a, b []float64) float64 {
	var na, nb, nd float64
	for i := range a {
		na += a[i] * a[i]
		nb += b[i] * b[i]
		d := a[i] - b[i]
		nd += d * d
	}
	den := math.Sqrt(max(na, nb))
	if den == 0 {
		return 0
	}
	return math.Sqrt(nd) / den
}
