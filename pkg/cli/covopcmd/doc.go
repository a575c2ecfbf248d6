// Package covopcmd is the covop command: covariance operators of every layer
// of each network snapshot (pkg/covop), as a tidy Arrow table.
//
// Output columns (kind "covop"), one row per snapshot and operator:
//
//	epoch int32         the snapshot's epoch
//	layer int32         network layer l = 1 … L
//	name string         "level <k>" (tree level), the MLP layer's name, or a tree node's name
//	scope string        level (a tree level), layer (an MLP layer) or node (one tree node)
//	level int32         tree: HLTM level (root 0); MLP: l
//	depth_index int32   the reference's depth index (tree: Depth − level = l)
//	node int32          tree node id for node rows, −1 otherwise
//	dim int32           side of the operator
//	trace, frobenius    tr OP and ‖OP‖_F
//	lambda_1 … lambda_K the --top largest eigenvalues, descending (NaN past dim)
//	lambda_min          the smallest eigenvalue (0 or a rounding-size negative when rank < dim)
//	rank int32          eigenvalues above --rank-tol × lambda_1
//	w_op_w              vec(W)ᵀ OP vec(W) (NaN for --contract node rows); equal across levels of a bias-free network
//	check_rel_err       with --check: Theorem 1 relative error for level and layer rows (NaN for node rows)
//
// Node rows are the level operator's diagonal blocks (side In·Out), or with
// --contract node the reference's variant (side In·n_L). --matrix FILE
// writes every level or layer operator (and --contract node matrices) in
// full, one row per entry: epoch, layer, name, scope, row, col, value, with
// rows and columns in the vec order of pkg/covop.
package covopcmd
