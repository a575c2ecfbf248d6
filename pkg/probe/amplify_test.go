package probe

import (
	"math"
	"testing"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/rng"
)

func TestAmplifyByHand(t *testing.T) {
	// |s(0)| = 0.1, 0.5, 0.3 → ranks 1, 3, 2; |s(T)| = 0.2, 0.1, 0.9 →
	// ranks 2, 1, 3: Spearman = cov/var = −1/2. The best at T (neuron 2)
	// ranked 2nd at 0; neurons 0 and 2 kept their signs.
	a := Amplify([]float64{-0.1, 0.5, 0.3}, []float64{-0.2, -0.1, 0.9})
	if math.Abs(a.Spearman+0.5) > 1e-15 || a.InitRank != 2 || a.SignKept != 2.0/3 || a.Neurons != 3 {
		t.Fatalf("got %+v, want Spearman −0.5, rank 2, sign kept 2/3", a)
	}
	same := Amplify([]float64{0.3, -0.2, 0.1, 0.4}, []float64{0.6, -0.4, 0.2, 0.8})
	if same.Spearman != 1 || same.InitRank != 1 || same.SignKept != 1 {
		t.Fatalf("a scaled copy: %+v", same)
	}
	rev := Amplify([]float64{0.1, 0.2, 0.3}, []float64{-0.3, -0.2, -0.1})
	if math.Abs(rev.Spearman+1) > 1e-15 || rev.InitRank != 3 || rev.SignKept != 0 {
		t.Fatalf("reversed, flipped: %+v", rev)
	}
	if one := Amplify([]float64{0.5}, []float64{0.7}); !math.IsNaN(one.Spearman) || one.InitRank != 1 {
		t.Fatalf("one neuron: %+v", one)
	}
	if flat := Amplify([]float64{0.2, 0.2}, []float64{0.1, 0.5}); !math.IsNaN(flat.Spearman) || flat.InitRank != 1 {
		t.Fatalf("tied at 0: %+v (ties share the best rank)", flat)
	}
	if r := ranks([]float64{2, 1, 1, 5}); r[0] != 3 || r[1] != 1.5 || r[2] != 1.5 || r[3] != 4 {
		t.Fatalf("ranks with ties: %v", r)
	}
}

// TestAmplifyChance: with s(T) independent of s(0), the best neuron at T
// is the best (top 2) at 0 with probability 1/n (2/n) and the Spearman
// correlation has mean 0. Over 4000 draws of n = 10 neurons the hit rates
// must lie within 4 binomial standard errors of 0.1 and 0.2, and the mean
// Spearman within 4 standard errors (sd 1/√(n−1)) of 0.
func TestAmplifyChance(t *testing.T) {
	r := rng.New(5, "test", 0)
	const draws, n = 4000, 10
	var hit1, hit2, sp float64
	s0, s1 := make([]float64, n), make([]float64, n)
	for range draws {
		for k := range n {
			s0[k], s1[k] = r.NormFloat64(), r.NormFloat64()
		}
		a := Amplify(s0, s1)
		if a.InitRank == 1 {
			hit1++
		}
		if a.InitRank <= 2 {
			hit2++
		}
		sp += a.Spearman
	}
	for _, c := range []struct {
		name      string
		got, want float64
		se        float64
	}{
		{"top-1 rate", hit1 / draws, 0.1, math.Sqrt(0.1 * 0.9 / draws)},
		{"top-2 rate", hit2 / draws, 0.2, math.Sqrt(0.2 * 0.8 / draws)},
		{"mean Spearman", sp / draws, 0, 1 / math.Sqrt((n-1)*draws)},
	} {
		if math.Abs(c.got-c.want) > 4*c.se {
			t.Errorf("%s %.4f, want %.4f ± %.4f", c.name, c.got, c.want, 4*c.se)
		}
	}
}

// TestAmplificationLevels builds a two-snapshot result by hand for a
// depth-2 tree and checks the per-latent and per-level summaries.
func TestAmplificationLevels(t *testing.T) {
	m, err := hltm.New(2, 2, []float64{0.9, 0.9, 0.9, 0.9, 0.9, 0.9})
	if err != nil {
		t.Fatal(err)
	}
	corr0 := [][]float64{{0.1, 0.2, 0.3}, {0.3, 0.2, 0.1}, {-0.5, 0.4, 0.1}}
	corrT := [][]float64{{0.1, 0.2, 0.9}, {0.1, 0.2, 0.9}, {-0.9, -0.4, 0.1}}
	res := &Result{Arch: "tree"}
	for _, cs := range [][][]float64{corr0, corrT} {
		var s SnapshotResult
		for mu, c := range cs {
			lr := LayerResult{Layer: 2 - m.Level(mu), Corr: c}.best()
			s.Nodes = append(s.Nodes, NodeResult{Node: mu, Layers: []LayerResult{lr}, BestAbs: lr.BestAbs})
		}
		res.Snapshots = append(res.Snapshots, s)
	}
	amp := res.Amplification(1)
	if amp[0].Spearman != 1 || amp[0].InitRank != 1 || amp[1].InitRank != 3 || amp[2].InitRank != 1 || amp[2].SignKept != 2.0/3 {
		t.Fatalf("per latent: %+v", amp)
	}
	lv := AmplificationLevels(m, amp)
	if lv[0].Top1 != 1 || lv[1].Top1 != 0.5 || lv[1].Top2 != 0.5 || lv[1].Chance1 != 1.0/3 || lv[1].Chance2 != 2.0/3 {
		t.Fatalf("levels: %+v", lv)
	}
	if want := (amp[1].Spearman + amp[2].Spearman) / 2; lv[1].Spearman != want {
		t.Fatalf("level 1 Spearman %v, want the latents' mean %v", lv[1].Spearman, want)
	}
}
