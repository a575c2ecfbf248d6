package covop

import (
	"errors"

	"github.com/dualssl/dualssl/pkg/nn"
)

// Checkable returns why Theorem 1 cannot be checked on net, trained on
// normalised outputs or not, or nil: with biases f ≠ K(x)ᵀvec(W); with
// output normalisation the training loss is taken on f/(‖f‖+ε), whose
// gradient is not the un-normalised one the theorem computes.
func Checkable(net *nn.Network, normalized bool) error {
	if net.Bias {
		return errors.New("has biases; Theorem 1 needs a bias-free network because it rests on f(x) = K(x)^T vec(W), which biases break: train with ssl-train --bias=false")
	}
	if normalized {
		return errors.New("was trained on normalised outputs f/(|f|+eps); Theorem 1 is about the loss on the un-normalised output, so its gradient would not describe this training: train with ssl-train --normalize=false")
	}
	return nil
}
