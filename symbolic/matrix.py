r"""The LSTM equations in matrix form, for hidden size n and input size m.

PyTorch's layout: the 4n pre-activations ``z_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh``
split into the gate blocks ``z_i, z_f, z_g, z_o`` (n each, in that order); sigmoid and
tanh act elementwise and ``\odot`` is the elementwise (Hadamard) product.  The
unit-by-unit form with numbers is :func:`symbolic.unit_equations` /
:func:`symbolic.substitute_cell`.

Examples
--------
>>> eqs = matrix_equations()
>>> eqs[0].rhs.shape, eqs[-1].lhs.shape
((4*n, 1), (n, 1))
"""

from __future__ import annotations

from sympy import BlockMatrix, Eq, HadamardProduct, MatAdd, MatrixSymbol, Symbol
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from .functions import sigmoid, tanh
from .vector_cell import TORCH_GATES

n = Symbol("n", integer=True, positive=True)
m = Symbol("m", integer=True, positive=True)


class Elementwise(ElementwiseApplyFunction):
    r"""An activation applied to each entry of a vector, printed as the activation itself.

    Examples
    --------
    >>> from symbolic import latex
    >>> latex(Elementwise(sigmoid, MatrixSymbol("z_i", 3, 1)))
    '\\sigma{\\left(z_{i} \\right)}'
    """

    def _latex(self, printer):
        return printer._print(self.function.expr.func(self.expr))


def matrix_equations(hidden=None, inputs=None):
    r"""The update equations as matrix equations, in order: z, i, f, g, o, c, h.

    Parameters
    ----------
    hidden, inputs : int, optional
        n and m; the symbols ``n`` and ``m`` by default.

    Returns
    -------
    tuple of sympy.Eq
        The stacked gate blocks ``[z_i; z_f; z_g; z_o] = W_ih x_t + b_ih + W_hh h_{t-1}
        + b_hh``, the four elementwise activations, ``c_t = f_t \odot c_{t-1} + i_t
        \odot g_t`` and ``h_t = o_t \odot \tanh(c_t)``.  The terms keep this order in
        print (``symbolic.latex``).
    """
    size_n = n if hidden is None else hidden
    size_m = m if inputs is None else inputs

    def vec(name, rows=size_n):
        return MatrixSymbol(name, rows, 1)

    W_ih = MatrixSymbol("W_{ih}", 4 * size_n, size_m)
    W_hh = MatrixSymbol("W_{hh}", 4 * size_n, size_n)
    x, h_prev, c_prev = vec("x_t", size_m), vec("h_{t-1}"), vec("c_{t-1}")
    z = {gate: vec(f"z_{gate}") for gate in TORCH_GATES}
    gate = {name: vec(f"{name}_t") for name in TORCH_GATES}
    c, h = vec("c_t"), vec("h_t")
    stacked = MatAdd(W_ih * x, vec("b_{ih}", 4 * size_n), W_hh * h_prev,
                     vec("b_{hh}", 4 * size_n), evaluate=False)
    blocks = BlockMatrix([[z[name]] for name in TORCH_GATES])
    activations = [Eq(gate[name], Elementwise(tanh if name == "g" else sigmoid, z[name]),
                      evaluate=False) for name in TORCH_GATES]
    memory = MatAdd(HadamardProduct(gate["f"], c_prev, evaluate=False),
                    HadamardProduct(gate["i"], gate["g"], evaluate=False), evaluate=False)
    return (Eq(blocks, stacked, evaluate=False), *activations,
            Eq(c, memory, evaluate=False),
            Eq(h, HadamardProduct(gate["o"], Elementwise(tanh, c), evaluate=False),
               evaluate=False))
