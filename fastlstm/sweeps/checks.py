"""The inputs of a sweep, checked and sized before anything is converted.

``sweep`` first looks at the shapes and dtypes of its table and inputs
(``peek_inputs``, ``tables.table_rows``), adds up what the sweep would
allocate (``need_bytes``: the outputs, the input plan and the float64 copies
of inputs that are not float64 already) and refuses what would not fit
(``refuse``), and only then converts (``convert_inputs``, ``tables.as_table``).
Checks of values run over blocks, so that no temporary grows with the input.

``sweep_bytes`` is the same estimate for a caller that has not built its
inputs yet (the command line, before it makes its 0/1 strings).
"""

from __future__ import annotations

import numpy as np

from .._validate import as_real
from .memory import format_bytes
from .plan import plan_bytes

__all__ = ["MAX_STEPS", "convert_inputs", "fits_float32", "need_bytes", "output_bytes",
           "peek_inputs", "refuse", "sweep_bytes"]

#: The most steps (sequences x steps) a sweep takes: scores are counted in int32.
MAX_STEPS = 2**31 - 1

#: Elements checked at a time.
_BLOCK = 2**20

_F32_MAX = float(np.finfo(np.float32).max)


def output_bytes(N, B, T, record, itemsize, scored, units=1) -> dict:
    """Bytes of every output a sweep allocates, by name (cells of ``units`` units)."""
    out = {}
    if record == "final":
        out["h, c"] = 2 * N * B * units * itemsize
    elif record == "trajectory":
        out["h"] = N * B * T * units * itemsize
    elif record == "rounded":
        out["rounded"] = N * B * T * units
    out["counts" if not scored else "accuracy"] = 8 * N * (2 if scored else 1)
    return out


def need_bytes(N, B, T, record, itemsize, scored, copies=None, units=1) -> dict:
    """What a sweep allocates, by part: its outputs, its input plan and ``copies``
    (``{what: bytes}``, the conversions of its inputs)."""
    parts = {"outputs": sum(output_bytes(N, B, T, record, itemsize, scored, units).values()),
             "input plan": plan_bytes(B, T, record in ("trajectory", "rounded"))}
    parts.update({k: v for k, v in (copies or {}).items() if v})
    return parts


def sweep_bytes(N, shape, *, record="final", dtype="float64", scored=False,
                x_dtype="float64") -> int:
    """Bytes a sweep of ``N`` parameter sets over inputs of ``shape`` (B, T) would
    allocate, ``x`` given as an array of ``x_dtype`` and the target (if
    ``scored``) as integers."""
    B, T = shape
    copy = 0 if np.dtype(x_dtype) == np.float64 else 8 * B * T
    return sum(need_bytes(N, B, T, record, np.dtype(dtype).itemsize, scored,
                          {"x as float64": copy}).values())


def refuse(N, B, T, record, itemsize, scored, limit, copies=None, units=1):
    """ValueError when what a sweep allocates (``need_bytes``) would not fit in ``limit``
    (``units``: the hidden size of a table of vector cells, named in the message when > 1)."""
    parts = need_bytes(N, B, T, record, itemsize, scored, copies, units)
    need = sum(parts.values())
    if need <= limit:
        return
    per_step = record in ("trajectory", "rounded")
    shape = f"(N, B, T) = ({N}, {B}, {T})" if per_step else f"(N, B) = ({N}, {B})"
    if units > 1:
        shape = shape.replace(") =", ", n) =")[:-1] + f", {units})"
    ask = []
    for other in {"trajectory": ("rounded", "final"), "rounded": ("final",)}.get(record, ()):
        size = sum(output_bytes(N, B, T, other, itemsize, scored, units).values())
        ask.append(f"record={other!r} ({format_bytes(size)})")
    if record is not None:
        ask.append(f"record=None with a target= (accuracy only, {format_bytes(16 * N)})")
    for what in parts:
        if what.endswith("as float64"):
            ask.append(f"pass {what.split()[0]} as a C-contiguous float64 array (used in place)")
    ask.append("or sweep fewer parameter sets at a time (a part of the table)")
    if need - parts["outputs"] - parts.get("params as float64", 0) > parts["outputs"]:
        ask[-1] += " or fewer sequences (a part of x)"
    of_which = ""
    if need > 2 * parts["outputs"]:  # the inputs weigh: say what takes what
        of_which = ": " + ", ".join(f"{what} {format_bytes(n)}" for what, n in parts.items())
    raise ValueError(
        f"record={record!r} needs {format_bytes(need)} for {shape}, "
        f"more than the {format_bytes(limit)} allowed (max_bytes; default 3/4 of the "
        f"available memory){of_which}; ask for " + ", ".join(ask))


def _peek(value, name):
    """``value`` as an array of real numbers, not converted (a list becomes one)."""
    return as_real(value, name)


def _copy_bytes(arr) -> int:
    """Bytes a C-contiguous float64 copy of ``arr`` takes (0: it is used in place)."""
    return 0 if arr.dtype == np.float64 and arr.flags.c_contiguous else 8 * arr.size


def peek_inputs(x, target):
    """``(x, target, copies)``: the inputs as arrays of checked shapes, not converted,
    and ``{what: bytes}`` their conversion will take."""
    x = _peek(x, "x")
    if x.ndim not in (1, 2):
        raise ValueError(f"x must have shape (T,) or (B, T), got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"x must hold at least one step of one sequence, got shape {x.shape}")
    if x.size > MAX_STEPS:  # scores are counted in int32
        raise ValueError(f"x must hold fewer than 2**31 steps in all, got shape {x.shape}")
    copies = {"x as float64": _copy_bytes(x)}
    if target is None:
        return x, None, copies
    target = _peek(target, "target")
    if target.shape != x.shape:
        raise ValueError(f"target must have the shape of x, {x.shape}, got shape {target.shape}")
    if target.dtype.kind == "f":
        copies["target as float64"] = _copy_bytes(target)
    return x, target, copies


def _check_blocks(flat, name, bad, what):
    """ValueError naming the first element of ``flat`` (a view of an input) where
    ``bad(block)`` is True."""
    for start in range(0, flat.size, _BLOCK):
        hit = bad(flat[start:start + _BLOCK])
        if hit.any():
            i = start + int(np.argmax(hit))
            raise ValueError(f"{name} must {what}, got {flat[i]} at flat index {i}")


def convert_inputs(x, target):
    """The inputs of ``peek_inputs`` as (B, T): x finite float64, the target
    integers (a float target finite and integer-valued, as float64)."""
    X = np.ascontiguousarray(x, dtype=np.float64)
    _check_blocks(X.reshape(-1), "x", lambda a: ~np.isfinite(a), "be finite")
    X = X.reshape(-1, X.shape[-1])
    if target is None:
        return X, None
    tgt = target
    if tgt.dtype.kind == "f":
        tgt = np.ascontiguousarray(tgt, dtype=np.float64)
        _check_blocks(tgt.reshape(-1), "target", lambda a: ~np.isfinite(a) | (a != np.round(a)),
                      "hold rounded outputs (finite integers, e.g. -1, 0, 1)")
    return X, tgt.reshape(X.shape)


def fits_float32(a, name):
    """ValueError unless every value of ``a`` (a float64 array) is finite in float32:
    a larger one would be inf in a float32 sweep (and inf times 0 is NaN)."""
    flat = np.asarray(a).reshape(-1)
    if not flat.size or (-_F32_MAX <= flat.min() and flat.max() <= _F32_MAX):
        return  # two passes, no temporary; the blocks below only find and name a culprit
    _check_blocks(flat, name, lambda b: np.abs(b) > _F32_MAX,
                  f"lie within +-{_F32_MAX:.4g} for dtype='float32' (use dtype='float64')")
