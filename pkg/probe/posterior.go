package probe

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/hltm"
)

// Posterior computes, for one observation of the leaves, every latent's
// posterior mean by exact message passing on the model's tree: an upward
// sweep (hltm.Model.Upward) gives E[z_μ | leaves under μ], and a downward
// sweep of outside messages adds the rest of the leaves for E[z_μ | all
// leaves]. It costs O(NumNodes) per observation. Create it with
// NewPosterior; it is not safe for concurrent use.
type Posterior struct {
	m *hltm.Model
	// Subtree[μ] = E[z_μ | leaves under μ] = P(z_μ = 1 | leaves under μ),
	// for every latent μ (len NumLatents), after Compute.
	Subtree []float64
	// All[μ] = E[z_μ | all leaves], for every latent μ (len NumLatents),
	// after Compute.
	All []float64

	lam     [][2]float64 // upward messages, normalised
	outside [][2]float64 // outside messages π_μ(a) ∝ P(z_μ = a, leaves not under μ)
	toPar   [][2]float64 // child→parent messages of one family
	prefix  [][2]float64
}

// NewPosterior returns a Posterior for m.
func NewPosterior(m *hltm.Model) *Posterior {
	n, nl, c := m.NumNodes(), m.NumLatents(), m.Children()
	return &Posterior{
		m: m, Subtree: make([]float64, nl), All: make([]float64, nl),
		lam: make([][2]float64, n), outside: make([][2]float64, nl),
		toPar: make([][2]float64, c), prefix: make([][2]float64, c+1),
	}
}

// Compute fills Subtree and All for the leaves x (len NumLeaves; a value
// above ½ counts as 1, as in hltm.Model.Upward). Leaves the model deems
// impossible give ½ where the evidence contradicts itself. It panics if
// len(x) != NumLeaves.
func (p *Posterior) Compute(x []float64) {
	m := p.m
	if len(x) != m.NumLeaves() {
		panic(fmt.Sprintf("probe: Posterior.Compute: len(x) = %d, want %d", len(x), m.NumLeaves()))
	}
	m.Upward(x, p.lam, nil)
	nl, c := m.NumLatents(), m.Children()
	for mu := 0; mu < nl; mu++ {
		p.Subtree[mu] = p.lam[mu][1]
	}
	p.outside[0] = [2]float64{0.5, 0.5}
	for mu := 0; mu < nl; mu++ {
		pi := p.outside[mu]
		post := normalise([2]float64{pi[0] * p.lam[mu][0], pi[1] * p.lam[mu][1]})
		p.All[mu] = post[1]
		first := m.FirstChild(mu)
		if first >= nl {
			continue // μ's children are leaves: no outside messages needed
		}
		// Message of child ν to μ: m_ν(a) = Σ_b P(z_ν=b | z_μ=a) λ_ν(b).
		for k := 0; k < c; k++ {
			nu := first + k
			q := (1 + m.Polarity(nu)) / 2
			l := p.lam[nu]
			p.toPar[k] = normalise([2]float64{q*l[0] + (1-q)*l[1], (1-q)*l[0] + q*l[1]})
		}
		// Prefix products of the messages; a running suffix product then
		// gives each child the product over its siblings in O(c).
		p.prefix[0] = pi
		for k := 0; k < c; k++ {
			p.prefix[k+1] = normalise(mul(p.prefix[k], p.toPar[k]))
		}
		suffix := [2]float64{1, 1}
		for k := c - 1; k >= 0; k-- {
			nu := first + k
			// e(a) ∝ P(z_μ = a, leaves not under ν).
			e := mul(p.prefix[k], suffix)
			q := (1 + m.Polarity(nu)) / 2
			p.outside[nu] = normalise([2]float64{q*e[0] + (1-q)*e[1], (1-q)*e[0] + q*e[1]})
			suffix = normalise(mul(suffix, p.toPar[k]))
		}
	}
}

func mul(a, b [2]float64) [2]float64 { return [2]float64{a[0] * b[0], a[1] * b[1]} }

// normalise scales a pair of non-negative weights to sum 1; an all-zero
// pair (contradictory evidence) becomes ½, ½.
func normalise(a [2]float64) [2]float64 {
	s := a[0] + a[1]
	if !(s > 0) {
		return [2]float64{0.5, 0.5}
	}
	return [2]float64{a[0] / s, a[1] / s}
}
