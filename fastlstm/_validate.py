"""Checks at the public boundary: each names the argument and what was expected.

Besides types, shapes and finiteness, ``preactivation_range`` refuses a cell
and inputs whose pre-activations could overflow float64 (see
docs/guarantees.md): the check is done here once, exactly, so every entry
point (``run``, ``run_batch``, ``compare``, ``extract_automaton``, ``verify``)
applies the same bound.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np

#: The largest bound a pre-activation may reach: 2**1023, half of float64's
#: range.  Below it no product, partial sum or result of
#: ``W_h * h + (W_x * x + b)`` can round to infinity.
PREACTIVATION_LIMIT = 2 ** 1023

_GATES = (("f", "W_fh", "W_fx", "b_f"), ("i", "W_ih", "W_ix", "b_i"),
          ("o", "W_oh", "W_ox", "b_o"), ("g", "W_ch", "W_cx", "b_c"))


def _is_real(value):
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))


def to_float(value, name):
    """``float(value)`` for a real number; one beyond float64's range is a ValueError."""
    try:
        return float(value)
    except OverflowError:  # a Python int past 1.8e308
        raise ValueError(f"{name} must be within float64's range (|{name}| <= 1.8e308), "
                         f"got an integer of {int(value).bit_length()} bits") from None


def as_real(value, name, kinds="biuf"):
    """``value`` as an array of real numbers, not converted (a list becomes one).

    ValueError for ragged input, TypeError for a dtype outside ``kinds``
    (numpy dtype kinds: b bool, i/u integers, f floats).
    """
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be a rectangular array of real numbers: {exc}") from None
    if arr.dtype.kind not in kinds:
        what = "real numbers" if "b" in kinds else "real numbers (integer or float)"
        raise TypeError(f"{name} must hold {what}, got dtype {arr.dtype}")
    return arr


def real_array(value, name, ndim, *, finite=True, bools=True):
    """``value`` as a C-contiguous float64 array of ``ndim`` dims (an int or a tuple of them).

    Integers and booleans are accepted (0/1 inputs are common; ``bools=False``
    refuses booleans, as ``finite_scalar`` does); complex numbers, strings and
    other objects are not.  Python integers too large for float64 are a
    ValueError.  Nothing is down-cast.  With ``finite=False`` NaN and inf pass
    (a caller that checks values against an alphabet rejects them itself); the
    array is not copied when it is already C-contiguous float64.
    """
    ndims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be a rectangular array of real numbers: {exc}") from None
    if arr.dtype == object:  # Python ints past int64 (or anything else NumPy cannot type)
        arr = _object_reals(arr, name)
    if arr.dtype.kind not in ("biuf" if bools else "iuf"):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim not in ndims:
        shape = " or ".join("(T,)" if d == 1 else "(B, T)" if d == 2 else f"{d} dimensions"
                            for d in ndims)
        raise ValueError(f"{name} must have shape {shape}, got shape {arr.shape}")
    # a long double past float64's range becomes inf, refused below
    with np.errstate(over="ignore", invalid="ignore"):
        arr = np.asarray(arr, dtype=np.float64, order="C")  # keeps 0-d arrays 0-d
    if finite and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} must be finite, got {arr[tuple(bad)]} at index {tuple(bad.tolist())}")
    return arr


def _object_reals(arr, name):
    """An object array of real numbers as float64; anything else is a TypeError."""
    out = np.empty(arr.shape, dtype=np.float64)
    for index, item in np.ndenumerate(arr):
        if not _is_real(item):
            raise TypeError(f"{name} must hold real numbers, got {type(item).__name__} "
                            f"at index {index}")
        out[index] = to_float(item, f"{name}{list(index)}")
    return out


def finite_scalar(value, name):
    """``value`` as a finite Python float."""
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = to_float(value, name)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def integer(value, name, minimum=0, maximum=None):
    """``value`` as a Python int in [minimum, maximum]; bools and floats are refused.

    NumPy integers are accepted (``np.int64(3)`` is as good as ``3``).
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        wanted = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        shown = value if value.bit_length() < 64 else f"an integer of {value.bit_length()} bits"
        raise ValueError(f"{name} must be an integer {wanted}, got {shown}")
    return value


def state_value(value, name, ndim):
    """An initial state: a finite Python float for a scalar, else a finite float64
    array of ``ndim`` dims (an int or a tuple of them).  Booleans are refused: as a
    state True is no number.  Scalar and vector cells both check their states here."""
    try:
        scalar = np.ndim(value) == 0
    except Exception:  # ragged lists and the like
        scalar = False  # real_array says what is wrong
    if scalar:
        return finite_scalar(value, name)
    return real_array(value, name, ndim, bools=False)


def initial_state(value, name, batch):
    """A scalar or (B,) initial state, as a finite float64 array of shape (B,)."""
    arr = state_value(value, name, 1)
    if isinstance(arr, float):
        return np.full(batch, arr)
    if arr.shape != (batch,):
        raise ValueError(f"{name} must be a scalar or have shape ({batch},), got shape {arr.shape}")
    return arr


def preactivation_range(params, h0, x, *, h_name="h0", x_name="x"):
    """Refuse a cell and inputs whose pre-activations could overflow float64.

    A pre-activation is ``W_h * h + (W_x * x + b)``.  Every h after the first
    step is ``o * tanh(c)`` (or its rounding), in [-1, 1], so with ``h0`` the
    initial states and ``x`` every input value, each product, partial sum and
    result is at most, in magnitude,

        |W_h| * max(max|h0|, 1) + |W_x| * max|x| + |b|

    This bound must not exceed ``PREACTIVATION_LIMIT`` = 2**1023, half of
    float64's range, for any of the four gates.  It is decided exactly: a
    float64 estimate settles every bound clearly below the limit, and any
    other is computed in rationals (so the check itself cannot overflow).  c never overflows
    (|c_t| <= |c_{t-1}| + 1, and float64 rounding keeps that finite).

    Parameters
    ----------
    params : numpy.ndarray, shape (12,)
        Finite parameters in PARAM_NAMES order.
    h0, x : numpy.ndarray
        Finite initial states and input values (any shape, may be empty).

    Examples
    --------
    >>> import numpy as np
    >>> p = np.zeros(12); p[:3] = 1e308, 1e308, 5.0
    >>> preactivation_range(p, np.array([1e308]), np.array([-1e308]))
    Traceback (most recent call last):
    ...
    ValueError: W_fh * h + (W_fx * x + b_f) can overflow float64: |W_fh| * max(|h0|, 1) + |W_fx| * max|x| + |b_f| = 2.00e+616 exceeds 2**1023 (8.99e+307); use smaller parameters, h0 or x
    """
    h_max = max(1.0, _largest(h0))
    x_max = _largest(x)
    values = np.asarray(params, dtype=np.float64).reshape(12).tolist()
    for k, (_, w_h, w_x, b) in enumerate(_GATES):
        a_h, a_x, a_b = values[3 * k: 3 * k + 3]
        # A float64 screen first (four roundings: at most 2**-50 below the exact
        # bound; an overflow gives inf): only a bound near the limit is checked exactly.
        if abs(a_h) * h_max + abs(a_x) * x_max + abs(a_b) <= _SCREEN:
            continue
        bound = (abs(Fraction(a_h)) * Fraction(h_max) + abs(Fraction(a_x)) * Fraction(x_max)
                 + abs(Fraction(a_b)))
        if bound > PREACTIVATION_LIMIT:
            shown = format(Decimal(bound.numerator) / Decimal(bound.denominator), ".2e")
            raise ValueError(
                f"{w_h} * h + ({w_x} * x + {b}) can overflow float64: |{w_h}| * "
                f"max(|{h_name}|, 1) + |{w_x}| * max|{x_name}| + |{b}| = {shown} exceeds "
                f"2**1023 (8.99e+307); use smaller parameters, {h_name} or {x_name}")


#: Below this float64 estimate a bound is certainly within PREACTIVATION_LIMIT.
_SCREEN = float(PREACTIVATION_LIMIT) * (1 - 2.0 ** -50)


def _largest(values):
    """max |v| over a float, or an array (0.0 when empty)."""
    if isinstance(values, float):  # np.float64 too: made a Python float (no overflow warning)
        return abs(float(values))
    values = np.asarray(values, dtype=np.float64)
    if not values.size:
        return 0.0
    return max(-float(values.min()), float(values.max()))  # no |values| temporary


def rounds_to_int64(value, name):
    """Refuse a finite ``value`` whose ``round_half_to_zero`` is not an int64.

    The start state of a machine carries round(h0) as its output; float64
    values below 2**63 in magnitude round into int64's range.
    """
    if not abs(float(value)) < 2.0 ** 63:
        raise ValueError(f"{name} must satisfy |{name}| < 2**63 (about 9.22e+18) so that "
                         f"its rounding is an int64 output, got {float(value)!r}")


#: Rows of a table screened at once (temporaries of 4 x 8 x 4096 bytes each).
_ROWS_PER_BLOCK = 4096


def preactivation_range_table(values, h0, x, *, name="params", h_name="h0", x_name="x"):
    """``preactivation_range`` for every row of an (N, 12) table, vectorised.

    The bound of each row and gate is first computed in float64 (four
    roundings: at most 2**-50 relative, overflow to inf included); a row is
    checked exactly, as by ``preactivation_range``, only when that estimate
    is within 2**-50 of the limit or above it, so the two agree on every row.
    The error names the first refused row.
    """
    values = np.asarray(values, dtype=np.float64)
    h_max, x_max = max(1.0, _largest(h0)), _largest(x)
    # Screen the whole table first with its largest |entry| m (two passes, no
    # temporary): every row's estimate is at most this one, the same
    # operations on larger operands (rounding is monotone); a NaN fails it.
    m = _largest(values)
    if (m * h_max + m * x_max) + m <= _SCREEN:
        return
    near = []
    for start in range(0, values.shape[0], _ROWS_PER_BLOCK):  # bounded temporaries
        block = values[start:start + _ROWS_PER_BLOCK]
        with np.errstate(over="ignore"):
            estimate = (np.abs(block[:, 0::3]) * h_max + np.abs(block[:, 1::3]) * x_max
                        + np.abs(block[:, 2::3]))
        near += (start + np.flatnonzero((estimate > _SCREEN).any(axis=1))).tolist()
    for row in near:
        try:
            preactivation_range(values[row], h0, x, h_name=h_name, x_name=x_name)
        except ValueError as exc:
            raise ValueError(f"{name} row {row}: {exc}") from None


def periodic_input(value, name="x"):
    """A constant input or one period of a periodic one, as a non-empty finite float64 (P,) array.

    Step t of a run driven by it reads ``x[t % P]`` (a constant is P = 1).

    Examples
    --------
    >>> periodic_input(1).tolist(), periodic_input([0, 1]).tolist()
    ([1.0], [0.0, 1.0])
    """
    try:
        arr = real_array(value, name, (0, 1))
    except ValueError as exc:
        if "must have shape" not in str(exc):
            raise
        raise ValueError(f"{name} must be a number or one period of the input, shape (P,); "
                         f"got shape {np.shape(value)}") from None
    if arr.size == 0:
        raise ValueError(f"{name} must be a number or a non-empty sequence (one period), "
                         f"got an empty sequence")
    return arr.reshape(-1)


#: The most steps, ``transient + steps``, a Lyapunov run takes: each measured
#: step moves the binary exponent of a product of the r's (an int64) by less
#: than 2**11, and the mean divides it by ``steps`` as a float64, exact below 2**53.
MAX_LYAPUNOV_STEPS = 2 ** 52


def lyapunov_steps(transient, steps):
    """``(transient, steps)`` of a Lyapunov run, integers >= 0 and >= 1 whose sum
    is at most ``MAX_LYAPUNOV_STEPS`` (2**52).

    Examples
    --------
    >>> lyapunov_steps(2**51, 2**51 + 1)
    Traceback (most recent call last):
    ...
    ValueError: transient + steps must be at most 2**52 (about 4.5e+15 steps), got 2251799813685248 + 2251799813685249
    """
    transient = integer(transient, "transient", 0, MAX_LYAPUNOV_STEPS)
    steps = integer(steps, "steps", 1, MAX_LYAPUNOV_STEPS)
    if transient + steps > MAX_LYAPUNOV_STEPS:
        raise ValueError(f"transient + steps must be at most 2**52 (about "
                         f"{float(MAX_LYAPUNOV_STEPS):.1e} steps), got {transient} + {steps}")
    return transient, steps


#: The largest bound on the tangent map's entries that ``tangent_map_range`` accepts: far
#: enough below 1e154 that the squared norm of a tangent vector stays finite.
TANGENT_LIMIT = 1e150


def tangent_map_range(values, c0, steps, *, name="params"):
    """Refuse cells (rows of an (N, 12) table) whose Jacobian could overflow in ``steps`` steps.

    With S = |W_fh| + |W_ih| + |W_oh| + |W_ch| (the weights on h), every
    entry of a step's Jacobian is at most S (|c0| + steps + 1) in magnitude:
    the gates' slopes are at most 1/4 (sigmoid) and 1 (tanh), |c_t| <=
    |c0| + t + 1, and the other factors are at most 1.  That bound must stay
    below ``TANGENT_LIMIT`` (1e150), so that the norm of a tangent vector
    never overflows.

    Examples
    --------
    >>> tangent_map_range(np.full((1, 12), 1e149), 0.0, 1000)
    Traceback (most recent call last):
    ...
    ValueError: params: the weights on h are too large for the tangent map: (|W_fh| + |W_ih| + |W_oh| + |W_ch|) * (|c0| + steps + 1) = 4.00e+152 exceeds 1e150
    """
    values = np.asarray(values, dtype=np.float64)
    scale = abs(float(c0)) + steps + 1.0
    with np.errstate(over="ignore"):
        bound = np.abs(values[:, 0::3]).sum(axis=1) * scale
    bad = np.flatnonzero(~(bound <= TANGENT_LIMIT))
    if bad.size:
        row = int(bad[0])
        where = f"{name} row {row}" if values.shape[0] > 1 else name
        raise ValueError(f"{where}: the weights on h are too large for the tangent map: "
                         f"(|W_fh| + |W_ih| + |W_oh| + |W_ch|) * (|c0| + steps + 1) = "
                         f"{bound[row]:.2e} exceeds 1e150")
