package train_test

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/hltm"
	"github.com/dualssl/dualssl/pkg/loss"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/rng"
	"github.com/dualssl/dualssl/pkg/train"
)

// Train the tree network on views of a depth-3 binary HLTM (x_a and x_b
// share the root; negatives come from the other rows of each batch), three
// epochs replayed in a fresh order each time.
func ExampleLoop() {
	m, _ := hltm.New(3, 2, hltm.RandomPolarities(rng.New(1, rng.Tree, 0), 14, 0.8, 1, false))
	const rows = 512
	in := m.NumLeaves()
	data := &train.Replay{Rows: rows, In: in, XA: make([]float64, rows*in), XB: make([]float64, rows*in), Seed: 1, EpochRows: rows}
	z := make([]int8, m.NumNodes())
	r := rng.New(1, rng.Sample, 0)
	for i := 0; i < rows; i++ {
		m.Sample(r, z)
		m.Leaves(z, data.XA[i*in:(i+1)*in])
		m.SampleGiven(r, z, 0) // keep the root, redraw the rest
		m.Leaves(z, data.XB[i*in:(i+1)*in])
	}
	net := nn.NewTree(3, 2, 10, true)
	net.Init(rng.New(1, rng.Init, 0), 1)
	tr, err := train.New(net, train.Config{Loss: loss.NCERef{Temp: 0.1}, Normalize: true, Eps: loss.DefaultEps, LR: 0.1, Negatives: 1, Seed: 1})
	if err != nil {
		panic(err)
	}
	l := &train.Loop{Trainer: tr, Source: data, EpochRows: rows, BatchRows: 128, Epochs: 3,
		OnEpoch: func(e train.EpochStats) error {
			fmt.Printf("epoch %d: %d steps, loss below -0.5: %v\n", e.Epoch, e.Steps, e.MeanLoss < -0.5)
			return nil
		}}
	last, err := l.Run()
	fmt.Println("last epoch", last, err)
	// Output:
	// epoch 1: 4 steps, loss below -0.5: true
	// epoch 2: 4 steps, loss below -0.5: true
	// epoch 3: 4 steps, loss below -0.5: true
	// last epoch 3 <nil>
}
