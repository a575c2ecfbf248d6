package covop

import (
	"errors"
	"fmt"
	"slices"

	"github.com/dualssl/dualssl/pkg/hltm"
)

// MaxJointStates bounds exact enumeration: leaf configurations × keys.
const MaxJointStates = 1 << 22

// ErrTooLarge is returned (wrapped) when a tree, a key set or an operator is
// too large for the requested computation.
var ErrTooLarge = errors.New("covop: too large")

// Data is a set of network inputs with their keys (the values of the kept
// latents) and probability weights, ready for any number of networks.
//
// Monte Carlo data (FromViews) give each sample one key with weight 1;
// samples are sorted by key. Exact data (Exact) give each sample a joint
// probability with every key.
type Data struct {
	InDim int
	X     []float64 // N × InDim row-major

	// keyOf[s] is sample s's key index (Monte Carlo), or nil.
	keyOf []int32
	// keyStart[g] … keyStart[g+1]−1 are key g's samples (Monte Carlo).
	keyStart []int
	// joint[s·G+g] = P(x_s, key g) (exact), or nil.
	joint []float64
	// Labels are the key values, one per key, in key-index order.
	Labels []int64
	// pairA[r], pairB[r]: samples holding row r's x_a and x_b (Monte Carlo).
	pairA, pairB []int32
	// negOf[r]: the sample holding row r's explicit negative, or nil.
	// Negatives come after every keyed sample, with keyOf −1: they enter
	// the Theorem 1 gradient, never the augmentation means.
	negOf []int32

	// Keep is the kept level of an exact data set (−1 for views).
	Keep int
}

// N returns the number of samples.
func (d *Data) N() int { return len(d.X) / d.InDim }

// Rows returns the number of view rows (0 for exact data).
func (d *Data) Rows() int { return len(d.pairA) }

// NumKeys returns the number of keys.
func (d *Data) NumKeys() int { return len(d.Labels) }

// Exact reports whether the data are an exact enumeration.
func (d *Data) Exact() bool { return d.joint != nil }

// FromViews groups views by key: row r has key keys[r] and the two views
// xa and xb (each rows × inDim row-major), both draws from the augmentation
// of that key. Keys are sorted; each key's weight is its share of the views.
// The slices are copied.
func FromViews(keys []int64, xa, xb []float64, inDim int) (*Data, error) {
	rows := len(keys)
	if inDim < 1 {
		return nil, fmt.Errorf("covop: views: input width %d", inDim)
	}
	if len(xa) != rows*inDim || len(xb) != rows*inDim {
		return nil, fmt.Errorf("covop: views: %d keys but %d and %d values for width %d", rows, len(xa), len(xb), inDim)
	}
	if rows == 0 {
		return nil, errors.New("covop: views: no rows")
	}
	order := make([]int, rows)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case keys[a] < keys[b]:
			return -1
		case keys[a] > keys[b]:
			return 1
		}
		return 0
	})
	d := &Data{
		InDim: inDim, Keep: -1,
		X:     make([]float64, 2*rows*inDim),
		keyOf: make([]int32, 2*rows),
		pairA: make([]int32, rows), pairB: make([]int32, rows),
	}
	for p, r := range order {
		if p == 0 || keys[r] != keys[order[p-1]] {
			d.Labels = append(d.Labels, keys[r])
			d.keyStart = append(d.keyStart, 2*p)
		}
		g := int32(len(d.Labels) - 1)
		copy(d.X[2*p*inDim:(2*p+1)*inDim], xa[r*inDim:(r+1)*inDim])
		copy(d.X[(2*p+1)*inDim:(2*p+2)*inDim], xb[r*inDim:(r+1)*inDim])
		d.keyOf[2*p], d.keyOf[2*p+1] = g, g
		d.pairA[r], d.pairB[r] = int32(2*p), int32(2*p+1)
	}
	d.keyStart = append(d.keyStart, 2*rows)
	return d, nil
}

// AddNegatives appends one explicit negative per row of the views
// (rows × InDim, e.g. the first of the views' x_neg), an independent draw
// used as x⁻ by the Theorem 1 check instead of another row's view. The
// negatives do not enter the augmentation means.
func (d *Data) AddNegatives(xneg []float64) error {
	rows := len(d.pairA)
	if d.joint != nil || rows == 0 {
		return errors.New("covop: negatives apply to views only")
	}
	if len(xneg) != rows*d.InDim {
		return fmt.Errorf("covop: negatives: %d values for %d rows of width %d", len(xneg), rows, d.InDim)
	}
	if d.negOf != nil {
		return errors.New("covop: negatives already added")
	}
	n := d.N()
	d.X = append(d.X, xneg...)
	d.negOf = make([]int32, rows)
	for r := range rows {
		d.keyOf = append(d.keyOf, -1)
		d.negOf[r] = int32(n + r)
	}
	return nil
}

// Exact enumerates every leaf configuration x of the model with its joint
// probability P(x, key) for every key, where a key is a configuration of
// the latents at level keep (0 = root only, the reference's augmentation;
// Depth = the leaves themselves). Key g's label has bit (n−1−j) set when
// node LevelStart(keep)+j is 1, n = LevelSize(keep).
//
// P(x | key) is the product of P(leaves under μ | z_μ) over the kept nodes μ
// (hltm.EnumerateLeaves) and P(key) comes from an exact upward pass over
// the latents above the kept level. It returns an error wrapping ErrTooLarge
// when leaf configurations × keys exceed MaxJointStates.
func Exact(m *hltm.Model, keep int) (*Data, error) {
	if keep < 0 || keep > m.Depth() {
		return nil, fmt.Errorf("covop: keep level %d outside [0, %d]", keep, m.Depth())
	}
	nleaf, nk := m.NumLeaves(), m.LevelSize(keep)
	if nleaf > hltm.MaxEnumLeaves || nk > 62 || float64(uint64(1)<<nleaf)*float64(uint64(1)<<nk) > MaxJointStates {
		return nil, fmt.Errorf("%w: exact mode enumerates 2^%d leaf configurations × 2^%d keys, at most 2^22 joint states (use a smaller tree or Monte Carlo views)", ErrTooLarge, nleaf, nk)
	}
	N, G := 1<<nleaf, 1<<nk
	d := &Data{
		InDim: nleaf, Keep: keep,
		X:      make([]float64, N*nleaf),
		joint:  make([]float64, N*G),
		Labels: make([]int64, G),
	}
	first := m.LevelStart(keep)
	prior := make([]float64, G)
	z := make([]int8, nk)
	for g := range G {
		d.Labels[g] = int64(g)
		for j := range z {
			z[j] = int8((g >> (nk - 1 - j)) & 1)
		}
		prior[g] = levelPrior(m, keep, z)
	}
	s := 0
	err := m.EnumerateLeaves(func(x []float64, cond func(mu, a int) float64) {
		copy(d.X[s*nleaf:], x)
		row := d.joint[s*G : (s+1)*G]
		for g := range G {
			p := prior[g]
			for j := 0; j < nk && p != 0; j++ {
				p *= cond(first+j, (g>>(nk-1-j))&1)
			}
			row[g] = p
		}
		s++
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// levelPrior returns P(z at level keep = z), by an upward pass over the
// latents above that level (node ids below LevelStart(keep)).
func levelPrior(m *hltm.Model, keep int, z []int8) float64 {
	if keep == 0 {
		return 0.5
	}
	first := m.LevelStart(keep)
	lam := make([][2]float64, first)
	c := m.Children()
	for mu := first - 1; mu >= 0; mu-- {
		l := [2]float64{1, 1}
		for k := 0; k < c; k++ {
			nu := m.FirstChild(mu) + k
			var ln [2]float64
			if nu >= first {
				ln[z[nu-first]] = 1
			} else {
				ln = lam[nu]
			}
			p := (1 + m.Polarity(nu)) / 2
			l[0] *= p*ln[0] + (1-p)*ln[1]
			l[1] *= (1-p)*ln[0] + p*ln[1]
		}
		lam[mu] = l
	}
	return 0.5 * (lam[0][0] + lam[0][1])
}
