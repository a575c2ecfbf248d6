package covopcmd

import (
	"encoding/json"
	"fmt"

	"github.com/dualssl/dualssl/pkg/covop"
	"github.com/dualssl/dualssl/pkg/loss"
	"github.com/dualssl/dualssl/pkg/nn"
	"github.com/dualssl/dualssl/pkg/train"
)

// training is the part of ssl-train's configuration (the network file's
// dualssl.config) that --step and the per-batch check need; a file without
// it gets ssl-train's defaults.
type training struct {
	Loss      string  `json:"loss"`
	Temp      float64 `json:"temp"`
	Margin    float64 `json:"margin"`
	Normalize bool    `json:"normalize"`
	Eps       float64 `json:"eps"`
	Negatives int     `json:"negatives"`
	Batch     int     `json:"batch"`
	Seed      uint64  `json:"seed"`
}

// trainingOf reads the training configuration from a network file's
// config JSON (empty: ssl-train's defaults).
func trainingOf(config, name string) (training, error) {
	t := training{Loss: "nce-ref", Temp: 0.1, Normalize: true, Eps: loss.DefaultEps, Batch: 128, Seed: 1}
	if config == "" {
		return t, nil
	}
	if err := json.Unmarshal([]byte(config), &t); err != nil {
		return t, fmt.Errorf("%s: its config is not ssl-train's JSON: %v", name, err)
	}
	if t.Batch < 2 {
		return t, fmt.Errorf("%s: its config has batch %d: --step and --check need the training batch size (at least 2)", name, t.Batch)
	}
	return t, nil
}

// pairLoss returns the loss the per-batch check and --step use: name (the
// --loss flag) or else the training loss, with the training temperature
// and margin.
func (t training) pairLoss(name string) (loss.Pairwise, error) {
	if name == "" {
		name = t.Loss
	}
	f, err := loss.New(name, t.Temp, t.Margin)
	if err != nil {
		return nil, err
	}
	return f.(loss.Pairwise), nil
}

// views holds every row of the views file, for the training batches of
// --step and the check's batch.
type views struct {
	rows, in, h int       // h: explicit negatives per row (0: in-batch)
	xa, xb, xn  []float64 // rows × in, rows × in, (rows·h) × in
}

// firstBatch returns the first min(batch, rows) rows as one batch: with
// their explicit negatives, or else each anchor against the next
// negatives rows of the batch (cyclically).
func (v *views) firstBatch(batch, negatives int) (*covop.Batch, error) {
	B := min(batch, v.rows)
	b := &covop.Batch{Rows: B, XA: v.xa[:B*v.in], XB: v.xb[:B*v.in]}
	if v.h > 0 {
		b.H, b.XNeg = v.h, v.xn[:B*v.h*v.in]
		return b, nil
	}
	b.H = min(max(negatives, 1), B-1)
	if b.H < 1 {
		return nil, fmt.Errorf("one view row: the per-batch check needs at least 2")
	}
	b.NegIdx = make([]int, B*b.H)
	for i := range B {
		for k := range b.H {
			b.NegIdx[i*b.H+k] = (i + 1 + k) % B
		}
	}
	return b, nil
}

// expectedStep estimates the snapshot's expected training step over the
// views (the training's loss, normalisation, negatives and batch size)
// and fits Theorem 1's step to it, layer by layer.
func expectedStep(rep *covop.Report, net *nn.Network, t training, f loss.Func, v *views, threads int) error {
	cfg := train.Config{Loss: f, Normalize: t.Normalize, Eps: t.Eps, LR: 1, Negatives: max(t.Negatives, 1), Seed: t.Seed, Threads: threads}
	src := &train.Replay{Rows: v.rows, In: v.in, H: v.h, XA: v.xa, XB: v.xb, XNeg: v.xn, Seed: t.Seed, EpochRows: v.rows}
	if v.h == 0 {
		src.XNeg = nil
	}
	st, err := train.ExpectedStep(net, cfg, src, min(t.Batch, v.rows))
	if err != nil {
		return err
	}
	return rep.FitStep(net, st.Mean, st.SE2)
}
