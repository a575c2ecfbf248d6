package covop

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dualssl/dualssl/pkg/nn"
)

// Within a memory budget Analyze runs on fewer threads with the same
// result; below what one thread needs it refuses up front, stating the
// estimate and the layer that holds most of it.
func TestMemoryBudget(t *testing.T) {
	net := nn.NewMLP(4, []int{16, 32, 3}, false)
	net.Init(rand.New(rand.NewPCG(1, 2)), 1)
	r := rand.New(rand.NewPCG(3, 4))
	const rows = 3000
	keys := make([]int64, rows)
	xa, xb := make([]float64, rows*4), make([]float64, rows*4)
	for i := range keys {
		keys[i] = int64(r.IntN(3))
	}
	for i := range xa {
		xa[i], xb[i] = float64(r.IntN(2)), float64(r.IntN(2))
	}
	d, err := FromViews(keys, xa, xb, 4)
	if err != nil {
		t.Fatal(err)
	}
	full, err := Analyze(net, d, Config{Threads: 4})
	if err != nil {
		t.Fatal(err)
	}
	one, four := Memory(net, d, 1), Memory(net, d, 4)
	if !(one < four) {
		t.Fatalf("Memory: 1 thread %d, 4 threads %d", one, four)
	}
	tight, err := Analyze(net, d, Config{Threads: 4, MaxBytes: one})
	if err != nil {
		t.Fatalf("budget of one thread: %v", err)
	}
	if fmt.Sprintf("%+v", full.Operators) != fmt.Sprintf("%+v", tight.Operators) { // NaN-aware
		t.Error("fewer threads changed the operators")
	}
	_, err = Analyze(net, d, Config{Threads: 4, MaxBytes: one - 1})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "even on one thread") || !strings.Contains(err.Error(), "layer 2 (512 weights)") {
		t.Fatalf("below one thread's need: %v", err)
	}
}
