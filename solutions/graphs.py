"""Assignment 1: computation graphs and scalar backprop.

Each operation is a node of a computation graph: calling it runs ``forward`` on its
inputs and remembers them; ``backward(output_grad)`` turns the gradient of the loss
with respect to the node's output into one gradient per input (chain rule: upstream
gradient times local gradient). Values may be Python floats or NumPy arrays
(elementwise).
"""
import numpy as np


class Operation:
    """A node of a computation graph (given to students, not graded).

    ``op(*args)`` stores ``args`` in ``self.inputs``, runs ``forward(*args)``, stores the
    result in ``self.value`` and returns it. ``backward(output_grad)`` returns a tuple
    with one gradient per argument of ``forward``, each with that argument's shape.
    """

    def __init__(self):
        self.inputs = None
        self.value = None

    def __call__(self, *args):
        self.inputs = args
        self.value = self.forward(*args)
        return self.value

    def forward(self, *args):
        raise NotImplementedError

    def backward(self, output_grad):
        raise NotImplementedError


class Add(Operation):
    """``Add()(a, b) = a + b``; backward returns ``(da, db)``."""

    def forward(self, a, b):
        ### BEGIN SOLUTION
        return a + b
        ### END SOLUTION

    def backward(self, output_grad):
        ### BEGIN SOLUTION
        return output_grad, output_grad
        ### END SOLUTION


class Multiply(Operation):
    """``Multiply()(a, b) = a * b``; backward returns ``(da, db)``."""

    def forward(self, a, b):
        ### BEGIN SOLUTION
        return a * b
        ### END SOLUTION

    def backward(self, output_grad):
        ### BEGIN SOLUTION
        a, b = self.inputs
        return output_grad * b, output_grad * a
        ### END SOLUTION


class Divide(Operation):
    """``Divide()(a, b) = a / b``; backward returns ``(da, db)``."""

    def forward(self, a, b):
        ### BEGIN SOLUTION
        return a / b
        ### END SOLUTION

    def backward(self, output_grad):
        ### BEGIN SOLUTION
        a, b = self.inputs
        return output_grad / b, -output_grad * a / (b * b)
        ### END SOLUTION


class Exp(Operation):
    """``Exp()(a) = exp(a)``; backward returns ``(da,)``."""

    def forward(self, a):
        ### BEGIN SOLUTION
        return np.exp(a)
        ### END SOLUTION

    def backward(self, output_grad):
        ### BEGIN SOLUTION
        return (output_grad * self.value,)
        ### END SOLUTION


class Log(Operation):
    """``Log()(a) = log(a)`` (natural logarithm); backward returns ``(da,)``."""

    def forward(self, a):
        ### BEGIN SOLUTION
        return np.log(a)
        ### END SOLUTION

    def backward(self, output_grad):
        ### BEGIN SOLUTION
        (a,) = self.inputs
        return (output_grad / a,)
        ### END SOLUTION


class Sin(Operation):
    """``Sin()(a) = sin(a)``; backward returns ``(da,)``."""

    def forward(self, a):
        ### BEGIN SOLUTION
        return np.sin(a)
        ### END SOLUTION

    def backward(self, output_grad):
        ### BEGIN SOLUTION
        (a,) = self.inputs
        return (output_grad * np.cos(a),)
        ### END SOLUTION


def example_forward_backward(x, z):
    """The lecture's example ``y = exp(xz) + xz/log(x) + sin(log(x))/(xz)`` and its gradient,
    computed by hand through ``a = xz, b = log x, c = sin b, d = exp a, e = a/b, f = c/a,
    y = d + e + f`` and their backward pass (no finite differences).

    Inputs: scalars ``x > 0, x != 1`` and ``z != 0``.
    Returns: ``(y, dy_dx, dy_dz)`` as floats.
    """
    ### BEGIN SOLUTION
    a = x * z
    b = np.log(x)
    c = np.sin(b)
    d = np.exp(a)
    e = a / b
    f = c / a
    y = d + e + f

    dd = de = df = 1.0
    da = dd * d + de / b - df * c / a**2
    db = -de * a / b**2
    dc = df / a
    db = db + dc * np.cos(b)
    dx = da * z + db / x
    dz = da * x
    return float(y), float(dx), float(dz)
    ### END SOLUTION


def numerical_gradient(f, x, h=1e-5):
    """Central differences of a scalar function ``f`` at array ``x``.

    Inputs: ``f`` maps an array shaped like ``x`` to a scalar; ``x`` any shape; step ``h``.
    Returns: ``grad`` with the shape of ``x``, where
    ``grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)``. ``x`` is left unchanged.
    """
    ### BEGIN SOLUTION
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + h
        f_plus = f(x)
        x[i] = saved - h
        f_minus = f(x)
        x[i] = saved
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
    ### END SOLUTION
