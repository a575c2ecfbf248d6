package nn_test

import (
	"fmt"

	"github.com/dualssl/dualssl/pkg/nn"
)

// A one-layer network f = w·x: the gradient of f with respect to w is x,
// and with respect to x is w.
func ExampleNetwork_Backward() {
	n := nn.NewMLP(2, []int{1}, false)
	copy(n.Layers[0].Blocks[0].W, []float64{2, -3})
	x := []float64{1, 4}
	var a nn.Activations
	n.Forward(x, 1, &a)
	g := n.ZeroLike()
	var d nn.Backprop
	n.Backward(&a, []float64{1}, g, &d, true) // ∂L/∂f = 1
	fmt.Println("f =", a.Output()[0])
	fmt.Println("∂f/∂w =", g.Layers[0].Blocks[0].W)
	fmt.Println("∂f/∂x =", d.D[0])
	// Output:
	// f = -10
	// ∂f/∂w = [1 4]
	// ∂f/∂x = [2 -3]
}
