package hltm

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/dualssl/dualssl/pkg/rng"
)

func TestShape(t *testing.T) {
	m, err := New(5, 2, make([]float64, 62))
	if err != nil {
		t.Fatal(err)
	}
	if m.NumNodes() != 63 || m.NumLatents() != 31 || m.NumLeaves() != 32 {
		t.Fatalf("nodes %d latents %d leaves %d", m.NumNodes(), m.NumLatents(), m.NumLeaves())
	}
	for i := 1; i < m.NumNodes(); i++ {
		p := m.Parent(i)
		if i < m.FirstChild(p) || i >= m.FirstChild(p)+2 || m.Level(i) != m.Level(p)+1 {
			t.Fatalf("node %d parent %d", i, p)
		}
	}
	if m.DepthIndex(0) != 5 || m.DepthIndex(30) != 1 {
		t.Fatal("depth index")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	pol := RandomPolarities(rng.New(1, rng.Tree, 0), 14, 0.7, 1, false)
	m, err := New(3, 2, pol)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	var m2 Model
	if err := json.Unmarshal(b, &m2); err != nil {
		t.Fatal(err)
	}
	if !m.Equal(&m2) {
		t.Fatal("round trip changed the model")
	}
	b2, _ := json.Marshal(&m2)
	if string(b) != string(b2) {
		t.Fatalf("not canonical: %s vs %s", b, b2)
	}
}

// TestEnumerateMatchesPathPolarity checks exact enumeration against the
// closed form corr(z0, x_j) = product of polarities root→leaf.
func TestEnumerateMatchesPathPolarity(t *testing.T) {
	pol := RandomPolarities(rng.New(2, rng.Tree, 0), 14, 0.3, 0.9, false)
	m, _ := New(3, 2, pol)
	nl := m.NumLatents()
	ex := make([]float64, m.NumLeaves()) // E[x_j | z0=1] - E[x_j | z0=0]
	total := 0.0
	err := m.EnumerateLeaves(func(x []float64, cond func(mu, a int) float64) {
		p0, p1 := cond(0, 0), cond(0, 1)
		total += 0.5 * (p0 + p1)
		for j := range x {
			ex[j] += x[j] * (p1 - p0)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(total-1) > 1e-12 {
		t.Fatalf("total probability %v", total)
	}
	for j := range ex {
		if want := m.RootPolarity(nl + j); math.Abs(ex[j]-want) > 1e-12 {
			t.Fatalf("leaf %d: %v want %v", j, ex[j], want)
		}
	}
}
