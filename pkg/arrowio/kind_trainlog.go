package arrowio

// TrainLogRow is one row of a train log (kind "train-log", ssl-train
// --log): one SGD step.
type TrainLogRow struct {
	Epoch    int32   // the epoch the step belongs to (1-based)
	Step     int64   // global step count after the step
	Loss     float64 // the batch's loss
	GradNorm float64 // Euclidean norm of the gradient
	LR       float64 // learning rate used
}

// TrainLog is the contract of the train log.
var TrainLog = Rows[TrainLogRow]{Kind: KindTrainLog, Fields: []Field[TrainLogRow]{
	Int32Field("epoch", func(r *TrainLogRow) *int32 { return &r.Epoch }),
	Int64Field("step", func(r *TrainLogRow) *int64 { return &r.Step }),
	Float64Field("loss", func(r *TrainLogRow) *float64 { return &r.Loss }),
	Float64Field("grad_norm", func(r *TrainLogRow) *float64 { return &r.GradNorm }),
	Float64Field("lr", func(r *TrainLogRow) *float64 { return &r.LR }),
}}
