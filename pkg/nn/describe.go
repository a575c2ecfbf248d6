package nn

import (
	"fmt"
	"strconv"
	"strings"
)

// Describe returns a one-line description of the architecture for
// messages: "tree depth 5, children 2, hid 10, bias true" or
// "mlp 32→64,64,10, bias false".
func (n *Network) Describe() string {
	if n.Arch == ArchTree {
		return fmt.Sprintf("tree depth %d, children %d, hid %d, bias %v", n.Depth, n.Kids, n.Hid, n.Bias)
	}
	var w []string
	for _, l := range n.Layers {
		w = append(w, strconv.Itoa(l.OutDim))
	}
	return fmt.Sprintf("mlp %d→%s, bias %v", n.InDim(), strings.Join(w, ","), n.Bias)
}
