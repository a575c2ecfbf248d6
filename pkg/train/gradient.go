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

// Step is an estimate of the expected SGD direction −E[∇L] from a number
// of batches.
type Step struct {
	Mean *nn.Network // −(mean gradient over the batches), shaped like the network
	// SE2 holds, entry by entry, the squared standard error of Mean: the
	// batches' sample variance (n − 1) divided by their number (zero with
	// one batch).
	SE2     *nn.Network
	Batches int
}

// ExpectedStep estimates the expected SGD direction of net under cfg at its
// current weights, −E[∇L], by the mean gradient over the batches of epoch 1
// of src (batchRows rows each; a final partial batch is dropped, as Loop
// does). In-batch negatives follow the step counter as in training, one
// stream per batch. The network is not changed. It fails when src holds
// less than one batch.
func ExpectedStep(net *nn.Network, cfg Config, src Source, batchRows int) (*Step, error) {
	if batchRows < 2 {
		return nil, fmt.Errorf("train: batch of %d rows: need at least 2", batchRows)
	}
	cfg.LR = 1 // unused: no step is taken
	t, err := New(net, cfg)
	if err != nil {
		return nil, err
	}
	if err := src.Begin(1); err != nil {
		return nil, err
	}
	st := &Step{Mean: net.ZeroLike(), SE2: net.ZeroLike()}
	g := net.ZeroLike()
	sum, sum2, gp := st.Mean.ParamSlices(), st.SE2.ParamSlices(), g.ParamSlices()
	var b Batch
	for {
		got, err := src.Next(&b, batchRows)
		if err != nil {
			return nil, err
		}
		if got < batchRows {
			break
		}
		g.SetZero()
		if _, err := t.Gradient(&b, g); err != nil {
			return nil, err
		}
		for k, s := range gp {
			for i, v := range s {
				sum[k][i] += v
				sum2[k][i] += v * v
			}
		}
		t.Step++
		st.Batches++
	}
	n := float64(st.Batches)
	if n == 0 {
		return nil, fmt.Errorf("train: fewer than %d rows: no batch for the expected step", batchRows)
	}
	for k, s := range sum {
		for i, v := range s {
			mean := v / n
			s[i] = -mean
			se2 := 0.0
			if n > 1 {
				// sample variance (n − 1) over n batches, divided by n
				se2 = max(0, sum2[k][i]/n-mean*mean) / (n - 1)
			}
			sum2[k][i] = se2
		}
	}
	return st, nil
}

// addParams adds src into dst slice by slice (same shapes), in float64.
func addParams[T nn.Float](dst [][]float64, src [][]T) {
	for k, d := range dst {
		s := src[k][:len(d)]
		for i, v := range s {
			d[i] += float64(v)
		}
	}
}
