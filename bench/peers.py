"""Peer implementations of the scalar LSTM, for the benchmarks.

Every peer here does the work ``fastlstm.run`` / ``fastlstm.run_batch`` do:
the full trajectory of h (and c where the peer can give it) for a cell given
as 12 numbers in ``PARAM_NAMES`` order, under the semantics of docs/semantics.md
(``activation``, ``threshold``, ``inclusive``, ``round_feedback``).

Each ``build_*`` function does all the setup (converting inputs, building
modules, JIT compilation and a warm-up call) and returns a zero-argument
callable that does only the timed work and returns ``(h, c)``: ``h`` shaped
like the inputs broadcast against the parameter sets, time on the last axis;
``c`` the same, or only the final memory where the peer gives no more
(PyTorch).  A peer that is not installed, or cannot express the requested
semantics, calls ``pytest.skip`` with a message saying so; nothing is faked.

Shapes, for every peer that batches: ``params`` of shape ``(12,)`` (one cell)
or ``(N, 12)`` (one cell per row), ``x`` of shape ``(T,)`` (one sequence) or
``(B, T)``; leading axes broadcast, so ``(N, 12)`` parameters with a ``(T,)``
input is a parameter sweep and ``(12,)`` with ``(B, T)`` is a batch.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np
import pytest

import fastlstm as fl

__all__ = [
    "as_params", "semantics_of", "build_python", "build_numpy",
    "build_jax_scan", "build_jax_vmap_scan", "build_torch_lstm", "torch_lstm_module",
]

#: PyTorch stacks its four gates in this order (input, forget, cell, output);
#: each entry names the fastlstm parameters (W_*h, W_*x, b_*) of that gate.
TORCH_GATES = (("W_ih", "W_ix", "b_i"), ("W_fh", "W_fx", "b_f"),
               ("W_ch", "W_cx", "b_c"), ("W_oh", "W_ox", "b_o"))


def as_params(params) -> np.ndarray:
    """Parameters as float64 of shape (..., 12), PARAM_NAMES order.

    Accepts a ``ScalarLSTM``, a mapping of parameter names, or an array whose
    last axis holds the 12 parameters.
    """
    if isinstance(params, fl.ScalarLSTM):
        return params.to_array()
    if isinstance(params, Mapping):
        return fl.ScalarLSTM.from_mapping(params).to_array()
    arr = np.asarray(params, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[-1] != len(fl.PARAM_NAMES):
        raise ValueError(f"params must have shape (..., 12) in PARAM_NAMES order, got {arr.shape}")
    return arr


def semantics_of(activation="exact", threshold=1.0, inclusive=True, round_feedback=False):
    """The validated ``fastlstm.Semantics`` of these keyword arguments."""
    return fl.Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                        round_feedback=round_feedback)


def _gate_columns(p, ndim):
    """(W_h, W_x, b) of the gates f, i, o, g, each of shape (4, ...) broadcastable
    against arrays of ``ndim`` leading dimensions."""
    lead = p.shape[:-1]
    pad = (1,) * (ndim - len(lead))
    return tuple(np.moveaxis(p[..., k::3], -1, 0).reshape((4,) + pad + lead) for k in range(3))


def _require(module, peer):
    return pytest.importorskip(
        module, reason=f"{peer} is not installed (pip install 'fastlstm[peers]'); peer skipped")


# --- plain Python -------------------------------------------------------------

def _python_sigmoid(z):
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _python_squash(sem, exact, low):
    """``exact`` (math) with the saturation rule of ``sem`` applied."""
    if sem.activation == "exact":
        return exact
    theta = sem.threshold
    if sem.inclusive:
        return lambda z: 1.0 if z >= theta else (low if z <= -theta else exact(z))
    return lambda z: 1.0 if z > theta else (low if z < -theta else exact(z))


def build_python(params, x, *, h0=0.0, c0=0.0, **semantics):
    """Plain Python loop (``math``), one step at a time.

    One cell and one sequence: the callable gives ``(h, c)`` as lists of
    floats.  Otherwise ``params`` (..., 12) and ``x`` (..., T) broadcast, the
    rows are run one after the other and ``(h, c)`` are arrays (..., T).
    """
    sem = semantics_of(**semantics)
    p = as_params(params)
    x = np.asarray(x, dtype=np.float64)
    shape = np.broadcast_shapes(p.shape[:-1], x.shape[:-1])
    p = np.broadcast_to(p, shape + (12,)).reshape(-1, 12).tolist()
    xs = np.broadcast_to(x, shape + x.shape[-1:]).reshape(-1, x.shape[-1]).tolist()
    h0s, c0s = (np.broadcast_to(np.asarray(v, np.float64), shape).ravel().tolist() for v in (h0, c0))
    sig = _python_squash(sem, _python_sigmoid, 0.0)
    tanh = _python_squash(sem, math.tanh, -1.0)
    round_feedback = sem.round_feedback

    def sequence(w, xs, h, c):
        w_fh, w_fx, b_f, w_ih, w_ix, b_i, w_oh, w_ox, b_o, w_ch, w_cx, b_c = w
        hs, cs = [], []
        for xt in xs:
            f = sig(w_fh * h + w_fx * xt + b_f)
            i = sig(w_ih * h + w_ix * xt + b_i)
            o = sig(w_oh * h + w_ox * xt + b_o)
            c = f * c + i * tanh(w_ch * h + w_cx * xt + b_c)
            h = o * tanh(c)
            if round_feedback:
                h = math.copysign(math.ceil(abs(h) - 0.5), h)
            hs.append(h)
            cs.append(c)
        return hs, cs

    if not shape:
        return lambda: sequence(p[0], xs[0], h0s[0], c0s[0])

    def run():
        rows = [sequence(*row) for row in zip(p, xs, h0s, c0s)]
        return tuple(np.array([r[k] for r in rows]).reshape(shape + (-1,)) for k in (0, 1))

    return run


# --- NumPy, vectorised over sequences and/or parameter sets -------------------

def _numpy_sigmoid(z, out):
    e = np.exp(-np.abs(z))
    np.divide(np.where(z >= 0.0, 1.0, e), 1.0 + e, out=out)
    return out


def _numpy_squash(sem, z, out, exact, low):
    exact(z, out)
    if sem.activation == "saturated":
        theta = sem.threshold
        high_mask = z >= theta if sem.inclusive else z > theta
        low_mask = z <= -theta if sem.inclusive else z < -theta
        out[high_mask] = 1.0
        out[low_mask] = low
    return out


def build_numpy(params, x, *, h0=0.0, c0=0.0, **semantics):
    """NumPy: a Python loop over time, each step vectorised over the leading axes.

    ``params`` (..., 12) and ``x`` (..., T) broadcast; ``h0``/``c0`` broadcast
    to the leading shape.  Returns a callable giving ``(h, c)`` of shape
    (..., T) (views of time-major arrays).
    """
    sem = semantics_of(**semantics)
    p = as_params(params)
    x = np.asarray(x, dtype=np.float64)
    shape = np.broadcast_shapes(p.shape[:-1], x.shape[:-1])
    steps = x.shape[-1]
    w_h, w_x, b = _gate_columns(p, len(shape))
    xs = np.ascontiguousarray(np.moveaxis(x, -1, 0))  # time-major; broadcast per step
    h_init = np.broadcast_to(np.asarray(h0, dtype=np.float64), shape)
    c_init = np.broadcast_to(np.asarray(c0, dtype=np.float64), shape)

    def run():
        hs = np.empty((steps,) + shape)
        cs = np.empty((steps,) + shape)
        z = np.empty((4,) + shape)  # pre-activations of f, i, o, g
        s = np.empty((4,) + shape)  # the gates
        h, c = h_init, c_init
        for t in range(steps):
            np.multiply(w_h, h, out=z)
            z += w_x * xs[t]
            z += b
            _numpy_squash(sem, z[:3], s[:3], _numpy_sigmoid, 0.0)
            _numpy_squash(sem, z[3, ...], s[3, ...], np.tanh, -1.0)
            c_prev, c = c, cs[t, ...]  # [t, ...]: a view even when 0-d
            np.multiply(s[0], c_prev, out=c)
            c += s[1] * s[3]
            h = hs[t, ...]
            _numpy_squash(sem, c, h, np.tanh, -1.0)
            h *= s[2]
            if sem.round_feedback:
                np.copysign(np.ceil(np.abs(h) - 0.5), h, out=h)
        return np.moveaxis(hs, 0, -1), np.moveaxis(cs, 0, -1)

    return run


# --- JAX ----------------------------------------------------------------------

def _jax():
    jax = _require("jax", "JAX")
    jax.config.update("jax_enable_x64", True)
    return jax


def _jax_step(sem):
    """``step(w, (h, c), x) -> ((h, c), (h, c))`` for ``lax.scan``."""
    import jax
    import jax.numpy as jnp

    def squash(z, exact, low):
        if sem.activation == "exact":
            return exact(z)
        theta = sem.threshold
        high_mask = z >= theta if sem.inclusive else z > theta
        low_mask = z <= -theta if sem.inclusive else z < -theta
        return jnp.where(high_mask, 1.0, jnp.where(low_mask, low, exact(z)))

    def step(w, carry, x):
        h, c = carry
        f = squash(w[0] * h + (w[1] * x + w[2]), jax.nn.sigmoid, 0.0)
        i = squash(w[3] * h + (w[4] * x + w[5]), jax.nn.sigmoid, 0.0)
        o = squash(w[6] * h + (w[7] * x + w[8]), jax.nn.sigmoid, 0.0)
        g = squash(w[9] * h + (w[10] * x + w[11]), jnp.tanh, -1.0)
        c = f * c + i * g
        h = o * squash(c, jnp.tanh, -1.0)
        if sem.round_feedback:
            h = jnp.copysign(jnp.ceil(jnp.abs(h) - 0.5), h)
        return (h, c), (h, c)

    return step


def _jax_sequence(sem):
    """Un-jitted ``(w, x, h0, c0) -> (h, c)`` over one sequence by ``lax.scan``."""
    jax = _jax()
    step = _jax_step(sem)

    def run(w, x, h0, c0):
        return jax.lax.scan(lambda carry, xt: step(w, carry, xt), (h0, c0), x)[1]

    return run


def _jax_callable(jax, fn, *args):
    args = tuple(jax.device_put(a) for a in args)
    jax.block_until_ready(fn(*args))  # compile and warm up, untimed
    return lambda: jax.block_until_ready(fn(*args))


def build_jax_scan(params, x, *, h0=0.0, c0=0.0, **semantics):
    """JAX ``jit(lax.scan)``, float64: one cell, one sequence (T,).

    The parameters are a traced argument (not baked into the compiled code),
    as they are for fastlstm.
    """
    jax = _jax()
    run = jax.jit(_jax_sequence(semantics_of(**semantics)))
    p = as_params(params)
    if p.shape != (12,) or np.ndim(x) != 1:
        raise ValueError("build_jax_scan takes one cell (12,) and one sequence (T,)")
    return _jax_callable(jax, run, p, np.asarray(x, np.float64), np.float64(h0), np.float64(c0))


def build_jax_vmap_scan(params, x, *, h0=0.0, c0=0.0, **semantics):
    """JAX ``jit(vmap(lax.scan))``, float64, over a batch of sequences and/or cells.

    ``params`` (12,) or (N, 12), ``x`` (T,) or (B, T); whichever is 2-D is
    mapped (both: row by row, N == B).  ``h0``/``c0``: scalars or one per row.
    """
    jax = _jax()
    p = as_params(params)
    x = np.asarray(x, dtype=np.float64)
    if p.ndim > 2 or x.ndim > 2 or (p.ndim == 1 and x.ndim == 1):
        raise ValueError("build_jax_vmap_scan needs params (N, 12) and/or x (B, T)")
    rows = p.shape[0] if p.ndim == 2 else x.shape[0]
    in_axes = (0 if p.ndim == 2 else None, 0 if x.ndim == 2 else None, 0, 0)
    run = jax.jit(jax.vmap(_jax_sequence(semantics_of(**semantics)), in_axes=in_axes))
    h0 = np.broadcast_to(np.asarray(h0, np.float64), (rows,)).copy()
    c0 = np.broadcast_to(np.asarray(c0, np.float64), (rows,)).copy()
    return _jax_callable(jax, run, p, x, h0, c0)


# --- PyTorch ------------------------------------------------------------------

def torch_lstm_module(params):
    """``torch.nn.LSTM(1, 1)`` in float64 carrying the 12 parameters of one cell.

    PyTorch stacks the gates as (i, f, g, o) in ``weight_ih_l0`` (input
    weights), ``weight_hh_l0`` (recurrent weights) and ``bias_ih_l0``;
    ``bias_hh_l0`` is zero.
    """
    torch = _require("torch", "PyTorch")
    named = dict(zip(fl.PARAM_NAMES, as_params(params).tolist()))
    module = torch.nn.LSTM(1, 1, dtype=torch.float64)
    with torch.no_grad():
        # float64 explicitly: torch.tensor of Python floats would round to float32.
        for target, k in ((module.weight_hh_l0, 0), (module.weight_ih_l0, 1), (module.bias_ih_l0, 2)):
            column = torch.tensor([named[gate[k]] for gate in TORCH_GATES], dtype=torch.float64)
            target.copy_(column.reshape(target.shape))
        module.bias_hh_l0.zero_()
    module.eval()
    return module


def build_torch_lstm(params, x, *, h0=0.0, c0=0.0, **semantics):
    """PyTorch ``nn.LSTM(1, 1)``, float64, inference mode: x (T,) or a batch (B, T).

    Only exact semantics (nn.LSTM has no saturated activations).  Returns a
    callable giving ``(h, c_final)``: h of the shape of ``x`` (a view), the
    final memory of shape (B,) or ().
    """
    sem = semantics_of(**semantics)
    if sem != semantics_of():
        pytest.skip("PyTorch nn.LSTM implements only exact activations; this workload uses "
                    + ", ".join(f"{k}={v!r}" for k, v in dataclasses.asdict(sem).items()))
    torch = _require("torch", "PyTorch")
    module = torch_lstm_module(params)
    x = np.asarray(x, dtype=np.float64)
    one = x.ndim == 1
    rows = 1 if one else x.shape[0]
    # nn.LSTM's native layout is time-major (T, B, 1); made contiguous here, untimed.
    inputs = torch.from_numpy(np.ascontiguousarray(np.atleast_2d(x).T)[:, :, None])
    state = tuple(torch.from_numpy(np.broadcast_to(np.asarray(v, np.float64), (rows,))
                                   .reshape(1, rows, 1).copy()) for v in (h0, c0))

    def run():
        with torch.inference_mode():
            out, (_, c_n) = module(inputs, state)
        h = out[:, :, 0].T
        return (h[0], c_n[0, 0, 0]) if one else (h, c_n[0, :, 0])

    run()  # warm-up
    return run
