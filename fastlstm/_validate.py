"""Checks at the public boundary: each names the argument and what was expected."""

from __future__ import annotations

import math

import numpy as np


def real_array(value, name, ndim, *, finite=True):
    """``value`` as a C-contiguous float64 array of ``ndim`` dims (an int or a tuple of them).

    Integers and booleans are accepted (0/1 inputs are common); complex
    numbers, strings and objects are not.  Nothing is down-cast.  With
    ``finite=False`` NaN and inf pass (a caller that checks values against
    an alphabet rejects them itself); the array is not copied when it is
    already C-contiguous float64.
    """
    ndims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be a rectangular array of real numbers: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim not in ndims:
        shape = " or ".join("(T,)" if d == 1 else "(B, T)" if d == 2 else f"{d} dimensions"
                            for d in ndims)
        raise ValueError(f"{name} must have shape {shape}, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if finite and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} must be finite, got {arr[tuple(bad)]} at index {tuple(bad.tolist())}")
    return arr


def finite_scalar(value, name):
    """``value`` as a finite Python float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
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
        raise ValueError(f"{name} must be an integer {wanted}, got {value}")
    return value


def initial_state(value, name, batch):
    """A scalar or (B,) initial state, as a finite float64 array of shape (B,)."""
    if np.ndim(value) == 0:
        return np.full(batch, finite_scalar(value, name))
    arr = real_array(value, name, 1)
    if arr.shape != (batch,):
        raise ValueError(f"{name} must be a scalar or have shape ({batch},), got shape {arr.shape}")
    return arr
