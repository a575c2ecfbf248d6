package train

import (
	"errors"
	"fmt"

	"github.com/dualssl/dualssl/pkg/nn"
)

// Gradient computes the loss of batch b and its gradient, exactly as the
// next TrainStep would (same normalisation, negatives and summation order),
// and adds the gradient into g (shaped like Net, see nn.Network.ZeroLike)
// without updating the network, the momentum or the step counter.
func (t *Trainer) Gradient(b *Batch, g *nn.Network) (float64, error) {
	if !g.SameShape(t.Net) {
		return 0, errors.New("train: Gradient: g does not have the network's shape")
	}
	B, H, explicit, err := t.shape(b)
	if err != nil {
		return 0, err
	}
	L, _, err := t.gradient(b, B, H, explicit, t.Step+1)
	if err != nil {
		return 0, err
	}
	addParams(g.ParamSlices(), t.gradP)
	return L, nil
}

// ExpectedStep returns the expected SGD direction of net under cfg at its
// current weights, −E[∇L], estimated by the mean gradient over the batches
// of epoch 1 of src (batchRows rows each; a final partial batch is dropped,
// as Loop does), and the number of batches. In-batch negatives follow the
// step counter as in training, one stream per batch. The network is not
// changed. It fails when src holds less than one batch.
func ExpectedStep(net *nn.Network, cfg Config, src Source, batchRows int) (*nn.Network, int, error) {
	if batchRows < 2 {
		return nil, 0, fmt.Errorf("train: batch of %d rows: need at least 2", batchRows)
	}
	cfg.LR = 1 // unused: no step is taken
	t, err := New(net, cfg)
	if err != nil {
		return nil, 0, err
	}
	if err := src.Begin(1); err != nil {
		return nil, 0, err
	}
	sum := net.ZeroLike()
	var b Batch
	n := 0
	for {
		got, err := src.Next(&b, batchRows)
		if err != nil {
			return nil, 0, err
		}
		if got < batchRows {
			break
		}
		if _, err := t.Gradient(&b, sum); err != nil {
			return nil, 0, err
		}
		t.Step++
		n++
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("train: fewer than %d rows: no batch for the expected step", batchRows)
	}
	for _, s := range sum.ParamSlices() {
		for i := range s {
			s[i] /= -float64(n)
		}
	}
	return sum, n, nil
}

// addParams adds src into dst slice by slice (same shapes).
func addParams(dst, src [][]float64) {
	for k, d := range dst {
		for i, v := range src[k] {
			d[i] += v
		}
	}
}
