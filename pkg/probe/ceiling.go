package probe

import (
	"math"

	"github.com/dualssl/dualssl/pkg/hltm"
)

// ceilings computes both posterior means of every latent for a batch of
// samples and accumulates their moments against z, the work Posterior and
// Bivariate do one sample at a time, with three shortcuts:
//
//   - A latent whose subtree has at most maxTableLeaves leaves has at most
//     2^maxTableLeaves leaf patterns (leaves thresholded at ½, as
//     hltm.Model.Upward does): its upward message λ_μ is tabulated per
//     pattern once, by hltm.Model.UpMessage, the arithmetic of Upward, so
//     E[z_μ | leaves under μ] = λ_μ(1) is bit for bit the Posterior's, and
//     its moments against z come from exact counts of (pattern, z_μ). Only
//     the few latents above (3 of the reference tree's 31) combine their
//     children's messages per sample, without logarithms.
//   - E[z | all leaves] comes down the tree in one multiply-add per latent:
//     given z_μ, ν's subtree is independent of the other leaves, so
//     P(z_ν=1 | all) = r0 + P(z_μ=1 | all)·(r1 − r0) with
//     r_a = P(z_ν=1 | z_μ=a, leaves under ν), a function of λ_ν alone
//     (tabulated with it). This equals Posterior's outside messages but for
//     rounding (an ulp or two). It needs every edge's P(z_ν = z_μ) strictly
//     inside (0, 1), far enough that no message can underflow; otherwise
//     (a copying edge, ρ = ±1) Posterior computes the all-leaves means.
//   - Everything runs feature-major, one latent's row of a batch at a time,
//     and the moments of a batch are two passes over each row, merged
//     across batches like the neurons' (layerAcc), instead of one Welford
//     update per sample and latent. The results differ from Welford's in
//     the last bits only (TestFastMatchesScalar).
type ceilings struct {
	m                   *hltm.Model
	c, depth, nl, nleaf int
	tabLevel            int   // latents at levels ≥ tabLevel are tabulated
	top                 int   // latents 0 … top−1 are not (top = LevelStart(tabLevel))
	mleaf               []int // per level 0 … depth: leaves under a node of the level
	polP                []float64
	off                 []int        // per tabulated latent: its first table entry
	lam                 [][2]float64 // per table entry (latent, pattern): λ
	rd                  [][2]float64 // per table entry: r0 and r1 − r0
	fast                bool         // the downward formula applies
	post                *Posterior   // otherwise

	// cnt[0] and cnt[1] count (pattern, z) per tabulated latent, at
	// 2·(off[μ] + pattern) + z, over the batches whose leaves are all 0/1
	// (those are the network tables' counts too) and over the others.
	cnt    [2][]int64
	total  int
	lamT   [][2]float64 // top×stride: λ of the latents above the tables
	stride int          // of every row: the batch size rounded up to lanes
	sub    []float64    // top×stride: E[z | leaves under] of the latents above the tables
	r0T    []float64    // top×stride: their r0
	drT    []float64    // top×stride: their r1 − r0
	all    []float64    // nl×stride: E[z | all leaves]
	bsub   layerAcc     // the batch's moments
	ball   layerAcc
	accSub layerAcc // running moments (z, E[z | leaves under]), latents above the tables
	accAll layerAcc // running moments (z, E[z | all leaves])
	ident  []int    // ident[μ] = μ: every "neuron" is its own latent
	dz     []float64
}

// minMessage bounds below the product, over a latent's children, of
// min(p, 1 − p) (p = P(z_ν = z_μ)): every unnormalised upward message is
// at least that, so above it nothing underflows.
const minMessage = 1e-280

func newCeilings(m *hltm.Model, stride int) *ceilings {
	nl, nn := m.NumLatents(), m.NumNodes()
	ce := &ceilings{m: m, c: m.Children(), depth: m.Depth(), nl: nl, nleaf: m.NumLeaves(), stride: stride}
	c, depth := ce.c, ce.depth
	ce.mleaf = make([]int, depth+1)
	ce.mleaf[depth] = 1
	for l := depth - 1; l >= 0; l-- {
		ce.mleaf[l] = min(ce.mleaf[l+1]*c, maxTableLeaves+1)
	}
	ce.tabLevel = depth
	for ce.tabLevel > 0 && ce.mleaf[ce.tabLevel-1] <= maxTableLeaves {
		ce.tabLevel--
	}
	ce.top = m.LevelStart(ce.tabLevel)
	ce.polP = make([]float64, nn)
	for i := 1; i < nn; i++ {
		ce.polP[i] = (1 + m.Polarity(i)) / 2
	}
	ce.fast = true
	for mu := 0; mu < nl; mu++ {
		prod := 1.0
		for k := 0; k < c; k++ {
			p := ce.polP[mu*c+1+k]
			prod *= min(p, 1-p)
		}
		if !(prod >= minMessage) {
			ce.fast = false
		}
	}
	if !ce.fast {
		ce.post = NewPosterior(m)
	}
	// Tables, bottom-up: a pattern's child k holds bits
	// (c−1−k)·m' … of it, m' the child's leaves (leaf 0 most significant).
	ce.off = make([]int, nl)
	size := 0
	for l := depth - 1; l >= ce.tabLevel; l-- {
		for mu := m.LevelStart(l); mu < m.LevelStart(l+1); mu++ {
			ce.off[mu] = size
			size += 1 << ce.mleaf[l]
		}
	}
	ce.lam, ce.rd = make([][2]float64, size), make([][2]float64, size)
	ce.cnt = [2][]int64{make([]int64, 2*size), make([]int64, 2*size)}
	kids := make([][2]float64, c)
	for l := depth - 1; l >= ce.tabLevel; l-- {
		mc := ce.mleaf[l+1]
		for mu := m.LevelStart(l); mu < m.LevelStart(l+1); mu++ {
			for pat := 0; pat < 1<<ce.mleaf[l]; pat++ {
				for k := 0; k < c; k++ {
					sp := (pat >> ((c - 1 - k) * mc)) & (1<<mc - 1)
					if l == depth-1 {
						kids[k] = leafMessage(sp)
					} else {
						kids[k] = ce.lam[ce.off[mu*c+1+k]+sp]
					}
				}
				e := ce.off[mu] + pat
				ce.lam[e], _ = m.UpMessage(mu, kids)
				ce.rd[e][0], ce.rd[e][1] = ce.down(mu, ce.lam[e])
			}
		}
	}
	ce.lamT = make([][2]float64, ce.top*stride)
	ce.sub, ce.r0T, ce.drT = make([]float64, ce.top*stride), make([]float64, ce.top*stride), make([]float64, ce.top*stride)
	ce.all = make([]float64, nl*stride)
	ce.ident = make([]int, nl)
	for mu := range ce.ident {
		ce.ident[mu] = mu
	}
	sh := &shape{nl: nl, lat: [][]int{ce.ident}}
	ce.bsub, ce.accSub = newLayerAcc(ce.top, sh), newLayerAcc(ce.top, sh)
	ce.ball, ce.accAll = newLayerAcc(nl, sh), newLayerAcc(nl, sh)
	ce.dz = make([]float64, nl)
	return ce
}

// counts returns tabulated latent μ's (pattern, z) counts over the batches
// whose leaves are all 0/1, indexed 2·pattern + z (the network tables'
// counts): a view, updated by batch.
func (ce *ceilings) counts(mu int) []int64 {
	return ce.cnt[0][2*ce.off[mu] : 2*(ce.off[mu]+1<<ce.mleaf[ce.m.Level(mu)])]
}

// leafMessage is Upward's message of a leaf: its bit is certain.
func leafMessage(bit int) [2]float64 {
	if bit != 0 {
		return [2]float64{0, 1}
	}
	return [2]float64{1, 0}
}

// bit is a leaf's value as Upward reads it, 1 when v > ½, without a
// branch (the sign of ½ − v; v is finite).
func bit(v float64) int32 {
	return int32(math.Float64bits(0.5-v) >> 63)
}

// down returns r0 = P(z_ν=1 | z_parent=0, leaves under ν) and r1 − r0 from
// ν's upward message lam (0 for the root, which has no parent).
func (ce *ceilings) down(nu int, lam [2]float64) (r0, dr float64) {
	if nu == 0 {
		return 0, 0
	}
	p := ce.polP[nu]
	r1 := p * lam[1] / (p*lam[1] + (1-p)*lam[0])
	r0 = (1 - p) * lam[1] / ((1-p)*lam[1] + p*lam[0])
	return r0, r1 - r0
}

// patterns fills patT (nl×stride) with the leaf patterns of the
// tabulated latents for the n samples x (n×NumLeaves, row-major), and
// reports whether every leaf is 0 or 1.
func (ce *ceilings) patterns(x []float64, n int, patT []int32) (binary bool) {
	m, c, nl, nleaf, st := ce.m, ce.c, ce.nl, ce.nleaf, ce.stride
	depth, tab := ce.depth, ce.tabLevel
	binary = true
	if tab == depth {
		for _, v := range x[:n*nleaf] {
			binary = binary && (v == 0 || v == 1)
		}
		return binary
	}
	lp0 := m.LevelStart(depth - 1)
	nlp := nl - lp0
	other := false
	if c == 2 { // binary trees: two leaves per leaf parent
		for s := 0; s < n; s++ {
			xs := x[s*nleaf : (s+1)*nleaf]
			for k := 0; k < nlp; k++ {
				v0, v1 := xs[2*k], xs[2*k+1]
				b0, b1 := bit(v0), bit(v1)
				if v0 != float64(b0) || v1 != float64(b1) {
					other = true
				}
				patT[(lp0+k)*st+s] = b0<<1 | b1
			}
		}
	}
	for s := 0; s < n && c != 2; s++ {
		xs := x[s*nleaf : (s+1)*nleaf]
		for k := 0; k < nlp; k++ {
			q := int32(0)
			for _, v := range xs[k*c : (k+1)*c] {
				b := bit(v)
				if v != float64(b) {
					other = true
				}
				q = q<<1 | b
			}
			patT[(lp0+k)*st+s] = q
		}
	}
	for l := depth - 2; l >= tab; l-- {
		sh := ce.mleaf[l+1]
		for mu := m.LevelStart(l); mu < m.LevelStart(l+1); mu++ {
			row := patT[mu*st : mu*st+n]
			copy(row, patT[(mu*c+1)*st:][:n])
			for k := 1; k < c; k++ {
				for s, q := range patT[(mu*c+1+k)*st:][:n] {
					row[s] = row[s]<<sh | q
				}
			}
		}
	}
	return !other
}

// batch adds the n samples x (n×NumLeaves, row-major; binary: every leaf
// is 0 or 1) with their patterns patT (see patterns) and latents zT
// (nl×stride, 0/1) and zc (nl×stride, z − its batch mean; n1: per latent,
// the samples with z = 1).
func (ce *ceilings) batch(x []float64, n int, binary bool, patT []int32, zT []uint8, zc []float64, n1 []int) {
	c, nl, nleaf, st := ce.c, ce.nl, ce.nleaf, ce.stride
	depth, tab, top := ce.depth, ce.tabLevel, ce.top
	ce.total += n
	cnt := ce.cnt[0]
	if !binary {
		cnt = ce.cnt[1]
	}
	for mu := top; mu < nl; mu++ {
		cm := cnt[2*ce.off[mu]:]
		zr := zT[mu*st : mu*st+n]
		for s, q := range patT[mu*st : mu*st+n] {
			cm[2*int(q)+int(zr[s])]++
		}
	}
	// The latents above the tables combine their children's messages, one
	// latent's row at a time (independent samples: the divisions overlap),
	// with hltm.Model.UpMessage's arithmetic, operation for operation.
	for mu := top - 1; mu >= 0; mu-- {
		kid0 := mu*c + 1
		lamRow := ce.lamT[mu*st:][:n]
		for s := range lamRow {
			l0, l1 := 1.0, 1.0
			for nu := kid0; nu < kid0+c; nu++ {
				var ln [2]float64
				switch {
				case nu < top:
					ln = ce.lamT[nu*st+s]
				case tab == depth:
					ln = leafMessage(int(bit(x[s*nleaf+nu-nl])))
				default:
					ln = ce.lam[ce.off[nu]+int(patT[nu*st+s])]
				}
				p := ce.polP[nu]
				l0 *= p*ln[0] + (1-p)*ln[1]
				l1 *= (1-p)*ln[0] + p*ln[1]
			}
			lam := [2]float64{0.5, 0.5}
			if sum := l0 + l1; sum > 0 {
				lam = [2]float64{l0 / sum, l1 / sum}
			}
			lamRow[s] = lam
			ce.sub[mu*st+s] = lam[1]
			ce.r0T[mu*st+s], ce.drT[mu*st+s] = ce.down(mu, lam)
		}
	}
	// Every latent's all-leaves mean, top-down.
	if !ce.fast {
		for s := 0; s < n; s++ {
			ce.post.Compute(x[s*nleaf : (s+1)*nleaf])
			for mu, v := range ce.post.All {
				ce.all[mu*st+s] = v
			}
		}
	} else {
		root := ce.all[:n]
		if top > 0 {
			copy(root, ce.sub[:n])
		} else {
			for s, q := range patT[:n] {
				root[s] = ce.lam[ce.off[0]+int(q)][1]
			}
		}
		for nu := 1; nu < nl; nu++ {
			row := ce.all[nu*st : nu*st+n]
			par := ce.all[(nu-1)/c*st:][:n]
			if nu < top {
				r0, dr := ce.r0T[nu*st:][:n], ce.drT[nu*st:][:n]
				for s := range row {
					row[s] = r0[s] + par[s]*dr[s]
				}
				continue
			}
			rd := ce.rd[ce.off[nu]:]
			for s, q := range patT[nu*st : nu*st+n] {
				e := rd[q]
				row[s] = e[0] + par[s]*e[1]
			}
		}
	}
	ce.moments(&ce.bsub, ce.sub, top, n, zc, n1)
	ce.accSub.merge(&ce.bsub, ce.ident[:top], ce.dz)
	ce.moments(&ce.ball, ce.all, nl, n, zc, n1)
	ce.accAll.merge(&ce.ball, ce.ident, ce.dz)
}

// corr returns latent μ's two ceilings.
func (ce *ceilings) corr(mu int) (subtree, all float64) {
	all = ce.accAll.corr(mu, mu, ce.ident)
	if mu < ce.top {
		return ce.accSub.corr(mu, mu, ce.ident), all
	}
	// From the counts: the table's λ(1) per pattern, weighted.
	nc := 1 << ce.mleaf[ce.m.Level(mu)]
	c0, c1 := ce.cnt[0][2*ce.off[mu]:], ce.cnt[1][2*ce.off[mu]:]
	lam := ce.lam[ce.off[mu]:]
	var n1 int64
	for q := 0; q < nc; q++ {
		n1 += c0[2*q+1] + c1[2*q+1]
	}
	n := float64(ce.total)
	zbar := float64(n1) / n
	shift := math.NaN()
	var mean float64
	for q := 0; q < nc; q++ {
		w := float64(c0[2*q] + c0[2*q+1] + c1[2*q] + c1[2*q+1])
		if w == 0 {
			continue
		}
		if math.IsNaN(shift) {
			shift = lam[q][1]
		}
		mean += w * (lam[q][1] - shift)
	}
	mean = shift + mean/n
	var m2, co float64
	for q := 0; q < nc; q++ {
		w1 := float64(c0[2*q+1] + c1[2*q+1])
		w := float64(c0[2*q]+c1[2*q]) + w1
		if w == 0 {
			continue
		}
		d := lam[q][1] - mean
		m2 += w * d * d
		co += d * (w1 - w*zbar)
	}
	return Corr(co, m2, float64(n1)*(n-float64(n1))/n), all
}

// moments sets a to the moments of the n values of latents 0 … rows−1 in
// v (rows×stride) against z.
func (ce *ceilings) moments(a *layerAcc, v []float64, rows, n int, zc []float64, n1 []int) {
	st := ce.stride
	a.n = n
	copy(a.n1, n1)
	for mu := 0; mu < rows; mu++ {
		a.mean[mu], a.m2[mu], a.c[mu] = rowMoments(v[mu*st:mu*st+n], zc[mu*st:mu*st+n])
	}
}
