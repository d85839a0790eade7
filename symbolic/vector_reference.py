"""Reference trajectories of a vector cell, with exact regime decisions per unit.

The scalar reference (:mod:`symbolic.reference`) generalised to hidden size n:
the same certified numbers (:mod:`symbolic.certified`), the same per-unit step
(:func:`symbolic.reference.unit_step`) and the same precision doubling, so every
regime decision, boundary hit and rounding is proved, unit by unit.  The part of
a pre-activation that does not depend on h (``W_ih x_t + b_ih + b_hh``) is
rational and kept exact; the recurrent terms are added one unit at a time.

The work grows like n**2 per step and each irrational value carries an interval,
so simulation is offered for n <= ``MAX_HIDDEN`` (4).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .certified import Num, Undecided
from .reference import Steps, check_digits, check_size, unit_step, with_doubling
from .semantics import semantics as make_semantics
from .vector_cell import UNIT_GATES, as_vector_cell, exact_vector, exact_vector_inputs

#: Largest hidden size :func:`simulate_vector` accepts.
MAX_HIDDEN = 4


@dataclass(frozen=True)
class VectorReference(Steps):
    """A reference trajectory of a vector cell; one entry per step in every per-step field.

    Each step holds one entry per unit; numbers are SymPy Rationals where the
    value is rational and SymPy Floats with ``digits`` significant digits
    otherwise.  ``semantics.h0`` and ``semantics.c0`` are tuples of n numbers.

    Attributes
    ----------
    h, c, h_raw : tuple of n-tuples
        Reported state (``h`` rounded under ``round_feedback``), and
        ``o_t * tanh(c_t)`` before rounding.
    rounded : tuple of n-tuples of int
    gates : tuple of n-tuples of (f, i, o, g)
    preactivations : tuple of n-tuples of (z_f, z_i, z_o, z_g, c)
    regimes : tuple of n-tuples of 5-tuples of int
    boundary_hits : tuple of n-tuples of 5-tuples of bool
    precision : int
        Working precision in bits that settled every decision.
    cell : VectorCell
    """

    cell: object = field(repr=False)

    @property
    def hidden_size(self):
        """n, the number of units."""
        return self.cell.hidden_size

    def as_arrays(self):
        """The per-step fields as NumPy arrays, shaped like a compiled vector trace.

        ``h``, ``c``, ``h_raw``: float64 ``(T, n)``; ``rounded``: int64 ``(T, n)``;
        ``gates``: ``(T, n, 4)``; ``preactivations``: ``(T, n, 5)``; ``regimes``:
        int8 ``(T, n, 5)``; ``boundary_hits``: bool ``(T, n, 5)``.
        """
        shape = (len(self), self.hidden_size)

        def array(values, dtype=float, width=()):
            return np.array(values, dtype=dtype).reshape(shape + width)

        return {
            "h": array(self.h), "c": array(self.c), "h_raw": array(self.h_raw),
            "rounded": array(self.rounded, np.int64),
            "gates": array(self.gates, width=(4,)),
            "preactivations": array(self.preactivations, width=(5,)),
            "regimes": array(self.regimes, np.int8, (5,)),
            "boundary_hits": array(self.boundary_hits, bool, (5,)),
        }


def simulate_vector(cell, xs, digits=50, **semantics):
    r"""Run a vector cell on ``xs`` exactly / at ``digits`` digits, deciding every regime exactly.

    Parameters
    ----------
    cell : VectorCell, mapping or object
        The four arrays in PyTorch's layout (see :func:`symbolic.vector_cell`);
        ``fastlstm.LSTMCell`` works as it is.  Hidden size n <= 4.
    xs : sequence
        The inputs: T rows of m numbers, or T numbers when m = 1.
    digits : int
        Significant digits of each reported irrational value (at most 1000).
    **semantics
        ``activation``, ``threshold``, ``inclusive``, ``round_feedback`` as in
        docs/semantics.md, applied to every unit; ``h0`` and ``c0``: a number
        (every unit) or n numbers.

    Returns
    -------
    VectorReference

    Raises
    ------
    ValueError
        For n > 4, a malformed array or input, or a number too large for the
        exact arithmetic (as :func:`symbolic.simulate`).
    PrecisionError
        As :func:`symbolic.simulate`.

    Examples
    --------
    Two copies of the parity cell of the worked example (block-diagonal
    weights, rows i, f, g, o), each reading its own column of x, saturated with
    a closed boundary: unit 0 reads 1 1 0 1 1 (the semantics table's literal
    row: 1, -1, 1/2, 0, 1), unit 1 reads 0 0 1 1 1.

    >>> import numpy as np
    >>> eye = np.eye(2)
    >>> two = {"W_ih": np.kron([[100], [0], [50], [100]], eye),
    ...        "W_hh": np.kron([[0], [0], [-100], [0]], eye),
    ...        "b_ih": np.repeat([100, -100, 0, 0], 2)}
    >>> ref = simulate_vector(two, [[1, 0], [1, 0], [0, 1], [1, 1], [1, 1]],
    ...                       activation="saturated")
    >>> ref.h
    ((1, 0), (-1, 0), (1/2, 1), (0, -1), (1, 1))
    >>> ref.rounded[2], ref.boundary_hits[0][0]
    ((0, 1), (False, False, False, False, True))
    """
    digits = check_digits(digits)
    cell = as_vector_cell(cell)
    n, m = cell.hidden_size, cell.input_size
    if n > MAX_HIDDEN:
        raise ValueError(f"simulate_vector handles hidden size n <= {MAX_HIDDEN} (its exact "
                         f"arithmetic grows like n**2 per step), got n = {n}")
    xs = exact_vector_inputs(xs, m)
    start = {name: exact_vector(semantics.pop(name, 0), name, n) for name in ("h0", "c0")}
    sem = dataclasses.replace(make_semantics(**semantics), **start)
    numbers = [*cell.numbers(), ("threshold", sem.threshold),
               *((f"xs[{t}][{j}]", v) for t, x in enumerate(xs) for j, v in enumerate(x)),
               *((f"{name}[{u}]", v) for name, vec in start.items() for u, v in enumerate(vec))]
    for name, q in numbers:
        check_size(q, name)
    return _reference(cell, xs, sem, digits)


@lru_cache(maxsize=256)
def _reference(cell, xs, sem, digits):
    # cached: agreement tests ask for the same trajectories again
    return with_doubling(lambda bits: _run(cell, xs, sem, digits, bits), digits)


def _preactivations(cell, x, h):
    """The 4n pre-activations: ``sum_j W_hh[k, j] h_j`` added to the exact ``W_ih x + b``."""
    out = []
    for k, (w_x, w_h) in enumerate(zip(cell.W_ih, cell.W_hh)):
        z = Num.exact(sum((w * v for w, v in zip(w_x, x)), cell.bias(k)))
        for w, v in zip(w_h, h):
            z = v * w + z  # for n = m = 1 the scalar reference's h W + (W x + b)
        out.append(z)
    return out


def _run(cell, xs, sem, digits, bits):
    n = cell.hidden_size
    h = [Num.exact(v) for v in sem.h0]
    c = [Num.exact(v) for v in sem.c0]
    steps = []
    for t, x in enumerate(xs):
        z = _preactivations(cell, x, h)
        units = []
        for u in range(n):
            try:
                units.append(unit_step([z[cell.row(gate, u)] for gate in UNIT_GATES], c[u], sem))
            except Undecided as exc:
                raise Undecided(f"step {t}, unit {u}: {exc}") from None
        h = [unit[0] for unit in units]
        c = [unit[1] for unit in units]
        steps.append(units)

    def values(index):
        return tuple(tuple(unit[index].value(digits) for unit in units) for units in steps)

    def per_value(index):
        return tuple(tuple(tuple(v.value(digits) for v in unit[index]) for unit in units)
                     for units in steps)

    def decisions(part):
        return tuple(tuple(tuple(d[part] for d in unit[6]) for unit in units) for units in steps)

    return VectorReference(
        cell=cell, xs=xs, semantics=sem, digits=digits, precision=bits,
        h=values(0), c=values(1), h_raw=values(2),
        rounded=tuple(tuple(int(unit[3]) for unit in units) for units in steps),
        gates=per_value(4), preactivations=per_value(5),
        regimes=decisions(0), boundary_hits=decisions(1),
    )
