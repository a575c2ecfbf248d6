package arrowio

import (
	"fmt"
	"strings"
)

// Covop tables (kind "covop", written by covop): the main table has one
// row per snapshot and operator; the --matrix side table one row per
// operator entry.

// CovopRow is one row of a covop table: one covariance operator of the
// snapshot of Epoch.
type CovopRow struct {
	Epoch       int32
	Layer       int32     // network layer l = 1 … L
	Name        string    // "level <k>", an MLP layer's name or a tree node's name
	Scope       string    // level, layer or node
	Level       int32     // tree: HLTM level (root 0); MLP: l
	DepthIndex  int32     // the reference's depth index
	Node        int32     // tree node id for node rows, −1 otherwise
	Dim         int32     // side of the operator
	Trace       float64   // tr OP
	Frobenius   float64   // ‖OP‖_F
	Top         []float64 // the largest eigenvalues, descending: columns lambda_1 … lambda_K
	LambdaMin   float64   // the smallest eigenvalue
	Rank        int32     // eigenvalues above the rank tolerance × lambda_1
	WOpW        float64   // vec(W)ᵀ OP vec(W)
	CheckRelErr float64   // Theorem 1 relative error (column check_rel_err, with --check only)
	PairRelErr  float64   // the loss's per-batch pairwise identity, relative error (pair_rel_err, with --check)
	StepCos     float64   // cos(actual expected step, 2·OP·vec(W)) (step_cos, with --step)
	StepScale   float64   // least-squares scale of 2·OP·vec(W) onto the step (step_scale)
	StepResidue float64   // relative residue after that fit (step_residue)
	StepNoise   float64   // the step's relative Monte Carlo error (step_noise)
	Align1      float64   // fraction of ‖vec W‖² in OP's top eigenspace (align_1, with --align)
	AlignN      float64   // … in its top n_L eigenspace (align_n)
}

// CovopOptions names the optional column groups of a covop table: with
// Check, check_rel_err and pair_rel_err; with Step, step_cos, step_scale,
// step_residue and step_noise; with Align, align_1 and align_n.
type CovopOptions struct{ Check, Step, Align bool }

// CovopTable is the contract of a covop table with top eigenvalue columns
// lambda_1 … lambda_top and the optional groups of opt.
func CovopTable(top int, opt CovopOptions) Rows[CovopRow] {
	f := []Field[CovopRow]{
		Int32Field("epoch", func(r *CovopRow) *int32 { return &r.Epoch }),
		Int32Field("layer", func(r *CovopRow) *int32 { return &r.Layer }),
		StringField("name", func(r *CovopRow) *string { return &r.Name }),
		StringField("scope", func(r *CovopRow) *string { return &r.Scope }),
		Int32Field("level", func(r *CovopRow) *int32 { return &r.Level }),
		Int32Field("depth_index", func(r *CovopRow) *int32 { return &r.DepthIndex }),
		Int32Field("node", func(r *CovopRow) *int32 { return &r.Node }),
		Int32Field("dim", func(r *CovopRow) *int32 { return &r.Dim }),
		Float64Field("trace", func(r *CovopRow) *float64 { return &r.Trace }),
		Float64Field("frobenius", func(r *CovopRow) *float64 { return &r.Frobenius }),
	}
	for k := range top {
		f = append(f, Float64Field(fmt.Sprintf("lambda_%d", k+1), func(r *CovopRow) *float64 {
			if len(r.Top) < top {
				r.Top = append(r.Top, make([]float64, top-len(r.Top))...)
			}
			return &r.Top[k]
		}))
	}
	f = append(f,
		Float64Field("lambda_min", func(r *CovopRow) *float64 { return &r.LambdaMin }),
		Int32Field("rank", func(r *CovopRow) *int32 { return &r.Rank }),
		Float64Field("w_op_w", func(r *CovopRow) *float64 { return &r.WOpW }),
	)
	if opt.Check {
		f = append(f,
			Float64Field("check_rel_err", func(r *CovopRow) *float64 { return &r.CheckRelErr }),
			Float64Field("pair_rel_err", func(r *CovopRow) *float64 { return &r.PairRelErr }))
	}
	if opt.Step {
		f = append(f,
			Float64Field("step_cos", func(r *CovopRow) *float64 { return &r.StepCos }),
			Float64Field("step_scale", func(r *CovopRow) *float64 { return &r.StepScale }),
			Float64Field("step_residue", func(r *CovopRow) *float64 { return &r.StepResidue }),
			Float64Field("step_noise", func(r *CovopRow) *float64 { return &r.StepNoise }))
	}
	if opt.Align {
		f = append(f,
			Float64Field("align_1", func(r *CovopRow) *float64 { return &r.Align1 }),
			Float64Field("align_n", func(r *CovopRow) *float64 { return &r.AlignN }))
	}
	return Rows[CovopRow]{Kind: KindCovop, Fields: f}
}

// CovopTableOf returns the contract of the covop table r holds: its
// number of lambda_k columns and its optional column groups (each present
// when its first column is).
func CovopTableOf(r *Reader) Rows[CovopRow] {
	top := 0
	var opt CovopOptions
	for _, c := range r.Columns() {
		if n, ok := strings.CutPrefix(c.Name, "lambda_"); ok && n == fmt.Sprint(top+1) {
			top++
		}
		opt.Check = opt.Check || c.Name == "check_rel_err"
		opt.Step = opt.Step || c.Name == "step_cos"
		opt.Align = opt.Align || c.Name == "align_1"
	}
	return CovopTable(top, opt)
}

// CovopEntry is one row of covop's --matrix table: entry (Row, Col) of one
// operator, in the vec order of pkg/covop.
type CovopEntry struct {
	Epoch int32
	Layer int32
	Name  string
	Scope string
	Row   int32
	Col   int32
	Value float64
}

// CovopMatrix is the contract of covop's --matrix table (kind covop-matrix).
var CovopMatrix = Rows[CovopEntry]{Kind: KindCovopMatrix, Fields: []Field[CovopEntry]{
	Int32Field("epoch", func(r *CovopEntry) *int32 { return &r.Epoch }),
	Int32Field("layer", func(r *CovopEntry) *int32 { return &r.Layer }),
	StringField("name", func(r *CovopEntry) *string { return &r.Name }),
	StringField("scope", func(r *CovopEntry) *string { return &r.Scope }),
	Int32Field("row", func(r *CovopEntry) *int32 { return &r.Row }),
	Int32Field("col", func(r *CovopEntry) *int32 { return &r.Col }),
	Float64Field("value", func(r *CovopEntry) *float64 { return &r.Value }),
}}
