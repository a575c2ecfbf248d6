// Package statedict converts dual networks to and from PyTorch state
// dicts stored as safetensors files, the format PyTorch, NumPy and JAX
// users load without pickle.
//
// Parameter names follow the reference implementation of the HLTM
// experiment, so its model loads an exported file with load_state_dict:
//
//   - Tree network: node names are paths from the root. The root is "s",
//     and child k of node n is n followed by the digit k ("s0", "s01", …),
//     so trees with more than 10 children per node cannot be named.
//     Latent node n owns nets.<n>.weight (hid × in, row-major like
//     torch.nn.Linear) and nets.<n>.bias (hid). A lowest latent reads its
//     leaf children in order; a higher node reads its children's hid
//     outputs after the ReLU, concatenated in child order. The root's
//     pre-activation is the output f.
//   - MLP: layer l (0-based, like torch.nn.ModuleList) owns
//     layers.<l>.weight and layers.<l>.bias.
//
// Biases are always written (zeros for a bias-free network) so a strict
// load_state_dict finds every key. Encode writes float64 (F64) or float32
// (F32) tensors; Decode reads either, and BF16/F16 are refused.
//
// The file's __metadata__ carries free-form strings; by convention the
// toolkit writes "format": "pt" (what Hugging Face tools expect) and keys
// prefixed "dualssl." (the HLTM, the architecture, the provenance and the
// snapshot's epoch). The architecture itself is inferred from the names
// and shapes, so a file written by the reference implementation imports
// too; only whether biases are trained is read from the metadata key
// KeyBias ("true"/"false"), and without it a network counts as having
// biases when any bias tensor is present and non-zero.
//
// The safetensors container is read and written by
// github.com/nlpodyssey/safetensors; this package maps names and shapes
// and checks every size against limits before allocating.
package statedict
