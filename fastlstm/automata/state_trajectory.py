"""A machine's run recorded as the state number of each step: ``MooreMachine.trajectory(x,
record="states")``.

A walk through the transition table knows each step's state; h and c are the
state's values, so a record of the state numbers (1 byte per step up to 256
states, against 16 bytes for h and c) holds the whole trajectory.  The
classes here are ``Trajectory`` and ``VectorTrajectory`` whose ``h`` and
``c`` are looked up from that record on first access, then kept: the same
bits as the full record, paid for only by a caller who reads them.  The
full record can also be written into arrays the caller gives
(``trajectory(x, out=(h, c))``): ``output_arrays`` checks them.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import memory
from .._kernels import machine as machine_kernels
from ..run import Trajectory
from ..vector import VectorTrajectory

__all__ = ["StateTrajectory", "VectorStateTrajectory", "output_arrays", "state_dtype"]


class _ByState:
    """``h`` and ``c`` as ``h_values[states]`` and ``c_values[states]``, looked up once."""

    def __init__(self, states, h_values, c_values, semantics):
        for field in dataclasses.fields(self):
            if field.name not in ("h", "c"):   # the trace fields: None
                object.__setattr__(self, field.name, field.default)
        object.__setattr__(self, "semantics", semantics)
        object.__setattr__(self, "states", states)
        object.__setattr__(self, "_values", {"h": h_values, "c": c_values})

    def __getattr__(self, name):
        # Reached only while h or c has not been looked up (an instance
        # attribute wins over __getattr__ once set).
        if name in ("h", "c") and "_values" in self.__dict__:
            values, states = self._values[name], self.states
            if values.ndim == 1:    # one unit: a compiled lookup reads the record as it is
                value, _ = memory.empty(states.shape)
                machine_kernels.lookup(states.reshape(-1), values, value.reshape(-1))
            else:
                value = values[states]
            object.__setattr__(self, name, value)
            return value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __len__(self):
        return self.states.shape[-1]


class StateTrajectory(_ByState, Trajectory):
    """A ``Trajectory`` recorded as the state of each step (scalar cells).

    Attributes
    ----------
    states : numpy.ndarray of uint8 (int64 above 256 states), shape (T,) or (B, T)
        The machine's state after each step.
    h, c : numpy.ndarray of float64
        ``machine.h[states]`` and ``machine.c[states]``, computed on first
        access: bit-identical to ``fastlstm.run``.
    """


class VectorStateTrajectory(_ByState, VectorTrajectory):
    """A ``VectorTrajectory`` recorded as the state of each step (cells of several units).

    Attributes
    ----------
    states : numpy.ndarray of uint8 (int64 above 256 states), shape (T,) or (B, T)
        The machine's state after each step.
    h, c : numpy.ndarray of float64, shape (T, n) or (B, T, n)
        ``machine.h[states]`` and ``machine.c[states]``, computed on first access.
    """


def state_dtype(n_states):
    """The narrowest record of state numbers the walk kernels are compiled for."""
    return np.uint8 if n_states <= 256 else np.int64


def output_arrays(out, x):
    """``(h, c, faulted_in)``: trajectory's output arrays for input x.

    The caller's ``out``, checked, or two new arrays in memory that earlier
    results gave back where there is some (``fastlstm.memory``); ``faulted_in``
    tells whether writing them costs no page faults (then large ones take
    non-temporal stores).
    """
    if out is None:
        (h, h_recycled), (c, c_recycled) = memory.empty(x.shape), memory.empty(x.shape)
        return h, c, h_recycled and c_recycled
    if not (isinstance(out, (tuple, list)) and len(out) == 2
            and all(isinstance(a, np.ndarray) for a in out)):
        raise TypeError(f"out must be a pair (h, c) of numpy arrays, got {type(out).__name__}")
    for name, a in zip(("h", "c"), out, strict=True):
        if a.dtype != np.float64 or a.shape != x.shape or not a.flags.c_contiguous \
                or not a.flags.writeable:
            raise ValueError(f"out's {name} must be a writable C-contiguous float64 array of "
                             f"shape {x.shape}, got {a.dtype} {a.shape}")
    if any(np.may_share_memory(a, b) for a, b in ((out[0], out[1]), (out[0], x), (out[1], x))):
        raise ValueError("out's h and c must not share memory with each other or with x")
    return out[0], out[1], True
