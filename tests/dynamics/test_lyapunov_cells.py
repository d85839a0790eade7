"""fl.lyapunov on an LSTMCell (issue 22): a NumPy QR oracle on the same trajectory, torch
autograd for the Jacobian, block-diagonal cells against the scalar path, n = 1 bit for bit,
the first k of the spectrum, the sum against log|det J|, bad input."""

import math

import numpy as np
import pytest

import fastlstm as fl
from fastlstm._kernels import tangent
from fastlstm.cell import LSTMCell
from tests.naive import activate

GENERIC = fl.ScalarLSTM(W_fh=0.5, W_fx=-0.8, b_f=1.0, W_ih=-0.6, W_ix=0.9, b_i=0.1,
                        W_oh=0.7, W_ox=0.4, b_o=-0.2, W_ch=-1.1, W_cx=1.3, b_c=0.05)
OTHER = fl.ScalarLSTM(W_fh=1.5, W_fx=0.3, b_f=0.2, W_ih=0.6, W_ix=-0.5, b_i=0.4,
                      W_oh=-1.2, W_ox=0.8, b_o=0.3, W_ch=2.1, W_cx=-0.7, b_c=-0.5)
SEMANTICS = [dict(), dict(activation="saturated", threshold=2.0),
             dict(activation="saturated", threshold=1.5, inclusive=False),
             dict(round_feedback=True)]


def random_cell(seed, n, m, scale=1.5):
    rng = np.random.default_rng(seed)
    return LSTMCell(rng.normal(0, 1, (4 * n, m)), rng.normal(0, scale / math.sqrt(n), (4 * n, n)),
                    rng.normal(0, 0.5, 4 * n))


# --- the NumPy oracle ------------------------------------------------------------

def start_frame(size, k):
    """The documented start frame, from its definition: the first k columns of the
    reflection I - 2 v v^T / |v|^2, v = e_0 - u, u along (cos 1, ..., cos size)."""
    u = np.cos(np.arange(1, size + 1, dtype=float))
    u /= np.linalg.norm(u)
    v = np.eye(size)[0] - u
    return (np.eye(size) - 2 * np.outer(v, v) / (v @ v))[:, :k]


def jacobians(cell, x, steps, transient=0, activation="exact", threshold=1.0, inclusive=True,
              round_feedback=False):
    """The 2n x 2n Jacobians of the measured steps, at the states of fl.run's trajectory
    (rows h' then c', columns h then c), derived by hand::

        dc'/dh = diag(sigma'(z_f) c) W_f + diag(sigma'(z_i) g) W_i + diag(tanh'(z_g) i) W_g
        dc'/dc = diag(f)
        dh'/dh = diag(sigma'(z_o) tanh(c')) W_o + diag(o tanh'(c')) dc'/dh
        dh'/dc = diag(o tanh'(c') f)

    a saturated activation's slope is 0 outside the band, and with round_feedback
    the h rows are 0.
    """
    n = cell.hidden_size
    x = np.atleast_2d(np.asarray(x, dtype=float))
    total = transient + steps
    xs = np.tile(x, (total // len(x) + 1, 1))[:total]
    traj = fl.run(cell, xs, activation=activation, threshold=threshold, inclusive=inclusive,
                  round_feedback=round_feedback)
    hs = np.vstack([np.zeros(n), traj.h])
    cs = np.vstack([np.zeros(n), traj.c])
    W = [cell.W_hh[g * n:(g + 1) * n] for g in range(4)]  # i, f, g, o
    b = cell.b_ih + cell.b_hh
    sem = (activation, threshold, inclusive)

    def band(z):
        if activation == "exact":
            return 1.0
        return float(abs(z) < threshold) if inclusive else float(abs(z) <= threshold)

    out = []
    for t in range(transient, total):
        h, c = hs[t], cs[t]
        z = cell.W_hh @ h + (cell.W_ih @ xs[t] + b)
        act = np.array([[activate("tanh" if g == 2 else "sigmoid", z[g * n + u], *sem)
                         for u in range(n)] for g in range(4)])
        i, f, g, o = act
        c_new = f * c + i * g
        s = np.array([activate("tanh", v, *sem) for v in c_new])
        sig = [1 / (1 + np.exp(-z[k * n:(k + 1) * n])) for k in range(4)]
        slope = [np.array([band(v) for v in z[k * n:(k + 1) * n]]) * sig[k] * (1 - sig[k])
                 for k in (0, 1, 3)]
        tg = np.tanh(z[2 * n:3 * n])
        dg = np.array([band(v) for v in z[2 * n:3 * n]]) * (1 - tg * tg)
        ds = np.array([band(v) for v in c_new]) * (1 - np.tanh(c_new) ** 2)
        dc_dh = ((slope[1] * c)[:, None] * W[1] + (slope[0] * g)[:, None] * W[0]
                 + (dg * i)[:, None] * W[2])
        dh_dh = (slope[2] * s)[:, None] * W[3] + (o * ds)[:, None] * dc_dh
        dh_dc = np.diag(o * ds * f)
        if round_feedback:
            dh_dh, dh_dc = 0 * dh_dh, 0 * dh_dc
        out.append(np.block([[dh_dh, dh_dc], [dc_dh, np.diag(f)]]))
    return out


def oracle(js, k):
    """Mean log|r_ii| of numpy.linalg.qr (Householder) applied to J_t Q at every step, and
    the mean log|det J_t|."""
    q = start_frame(js[0].shape[0], k)
    total = np.zeros(k)
    for j in js:
        q, r = np.linalg.qr(j @ q)
        with np.errstate(divide="ignore"):  # r_ii = 0 (rank <= n): -inf, as the kernel says
            total += np.log(np.abs(np.diag(r)))
    return total / len(js), np.mean([np.linalg.slogdet(j)[1] for j in js])


# --- against the oracle ------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_spectrum_matches_numpy_qr_on_the_same_trajectory(seed):
    # Same trajectory, same Jacobians up to rounding, QR by MGS against Householder:
    # the r_ii agree to ~1e-15 relative per step and the frames stay close (the
    # Oseledets frame attracts), so the means agree far below 1e-9 (measured <= 6e-14 here).
    n, m = (2, 3, 4, 5)[seed], 1 + seed % 3
    cell = random_cell(seed, n, m)
    x = np.random.default_rng(seed).normal(0, 1, (2, m))  # a period of two steps
    lam = fl.lyapunov(cell, x, transient=50, steps=400)
    want, logdet = oracle(jacobians(cell, x, 400, transient=50), 2 * n)
    np.testing.assert_allclose(lam, want, rtol=0, atol=1e-9)
    assert abs(lam.sum() - logdet) < 1e-9 * max(1.0, abs(logdet))


@pytest.mark.parametrize("sem", SEMANTICS[1:], ids=["saturated", "open", "rounded"])
def test_semantics_match_the_oracle(sem):
    cell = random_cell(7, 3, 2, scale=2.0)
    x = [0.4, -0.3]
    lam = fl.lyapunov(cell, x, transient=20, steps=300, **sem)
    want, _ = oracle(jacobians(cell, x, 300, transient=20, **sem), 6)
    if sem.get("round_feedback"):  # J has rank <= n: the last n exponents are -inf
        assert np.all(lam[3:] == -np.inf)
        lam, want = lam[:3], want[:3]
    finite = np.isfinite(want)
    assert np.array_equal(np.isfinite(lam), finite)
    np.testing.assert_allclose(lam[finite], want[finite], rtol=0, atol=1e-9)


def test_jacobian_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    for seed, (n, m) in enumerate([(2, 1), (3, 2), (5, 3), (8, 2)]):
        cell = random_cell(100 + seed, n, m, scale=3.0)
        rng = np.random.default_rng(seed)
        h, c, x = rng.uniform(-1, 1, n), rng.normal(0, 2, n), rng.normal(0, 1, m)
        # the kernel's pieces: the step, its coefficients, J applied to the identity frame
        W_ihT, W_hhT = np.array(cell.W_ih.T, order="C"), np.array(cell.W_hh.T, order="C")
        z, a, h_raw, coef = np.empty(4 * n), np.empty(4 * n), np.empty(n), np.empty((5, n))
        h1, c1 = h.copy(), c.copy()
        tangent.advance(W_ihT, W_hhT, cell.bias(), x, h1, c1, z, a, h_raw, 1.0, False, True,
                        False)
        tangent.coefficients(z, a, c, c1, 1.0, False, True, False, coef)
        J = np.empty((2 * n, 2 * n))
        tangent.push(W_hhT, a, coef, np.eye(2 * n), J, np.empty((4 * n, 2 * n)))

        W_ih, W_hh = torch.tensor(cell.W_ih), torch.tensor(cell.W_hh)
        b, xt = torch.tensor(cell.bias()), torch.tensor(x)

        def step(state):
            z = W_hh @ state[:n] + (W_ih @ xt + b)
            i, f, g, o = (torch.sigmoid(z[:n]), torch.sigmoid(z[n:2 * n]),
                          torch.tanh(z[2 * n:3 * n]), torch.sigmoid(z[3 * n:]))
            c_new = f * state[n:] + i * g
            return torch.cat([o * torch.tanh(c_new), c_new])

        want = torch.autograd.functional.jacobian(step, torch.tensor(np.concatenate([h, c])))
        np.testing.assert_allclose(J, want.numpy(), rtol=1e-12, atol=1e-14)


# --- against the scalar path -----------------------------------------------------------

def block_diagonal(cells):
    """One LSTMCell of len(cells) independent units, all reading the one input."""
    vs = [LSTMCell.from_scalar(c) for c in cells]
    W_ih = np.concatenate([np.concatenate([v.W_ih[g:g + 1] for v in vs]) for g in range(4)])
    # each unit reads only its own h: per gate, a diagonal of the scalar cells' W_hh
    W_hh = np.concatenate([np.diag([v.W_hh[g, 0] for v in vs]) for g in range(4)])
    b = np.concatenate([np.concatenate([v.b_ih[g:g + 1] for v in vs]) for g in range(4)])
    return LSTMCell(W_ih, W_hh, b)


def test_block_diagonal_cell_has_the_union_of_the_scalar_spectra():
    # J is block-diagonal up to a permutation, so the spectrum is the union.  Both are
    # estimates over the same steps from different start frames: each exponent is
    # lambda + C / steps with C the log of the start frame's projections (O(1); measured
    # |C| <= 1.3 here, the differences shrinking exactly like 1/steps from 1e3 to 1e5
    # steps), so 4 / steps bounds the difference.
    steps = 20_000
    for x in (0.3, [0.3, -1.0]):
        lam = fl.lyapunov(block_diagonal([GENERIC, OTHER]), x, steps=steps)
        scalar = np.concatenate([fl.lyapunov(c, x, steps=steps) for c in (GENERIC, OTHER)])
        assert np.all(np.isfinite(lam))
        np.testing.assert_allclose(np.sort(lam), np.sort(scalar), rtol=0, atol=4 / steps)


@pytest.mark.parametrize("sem", SEMANTICS, ids=["exact", "saturated", "open", "rounded"])
def test_one_unit_cell_is_the_scalar_cell_bit_for_bit(sem):
    for cell in (GENERIC, OTHER, fl.presets.parity()):
        one = LSTMCell.from_scalar(cell)
        for x in (0.7, [0.0, 1.0, 1.0]):
            want = fl.lyapunov(cell, x, h0=0.1, c0=-0.2, transient=30, steps=200, **sem)
            got = fl.lyapunov(one, x, h0=[0.1], c0=-0.2, transient=30, steps=200, **sem)
            assert got.tobytes() == want.tobytes()
            column = np.reshape(x, (-1, 1))
            assert fl.lyapunov(one, column, h0=0.1, c0=[-0.2], transient=30, steps=200,
                               k=1, **sem).tobytes() == want[:1].tobytes()


@pytest.mark.parametrize("sem", SEMANTICS, ids=["exact", "saturated", "open", "rounded"])
def test_trajectory_is_fl_run_bit_for_bit(sem):
    cell = random_cell(11, 4, 2, scale=2.0)
    x = np.random.default_rng(3).normal(0, 1, (3, 2))
    theta = sem.get("threshold", 1.0)
    flags = (sem.get("activation") == "saturated", sem.get("inclusive", True),
             sem.get("round_feedback", False))
    W_ihT, W_hhT = np.array(cell.W_ih.T, order="C"), np.array(cell.W_hh.T, order="C")
    _, h, c = tangent.tangent_spectrum(W_ihT, W_hhT, cell.bias(), x, theta, *flags,
                                       np.zeros(4), np.zeros(4), 7, 30, 5, call_work=1)
    run = fl.run(cell, np.tile(x, (13, 1))[:37], **sem)
    assert h.tobytes() == run.h[-1].tobytes() and c.tobytes() == run.c[-1].tobytes()


# --- the first k -------------------------------------------------------------------

@pytest.mark.parametrize("sem", SEMANTICS[:2], ids=["exact", "saturated"])
def test_first_k_are_the_first_k_of_the_full_spectrum(sem):
    cell = random_cell(5, 4, 2)
    full = fl.lyapunov(cell, [0.2, 0.5], transient=20, steps=300, **sem)
    for k in (1, 3, 7):
        lam = fl.lyapunov(cell, [0.2, 0.5], transient=20, steps=300, k=k, **sem)
        assert lam.tobytes() == full[:k].tobytes()
    assert fl.lyapunov(GENERIC, 0.3, k=1).tobytes() == fl.lyapunov(GENERIC, 0.3)[:1].tobytes()


def test_slicing_does_not_change_the_bits():
    cell = random_cell(2, 3, 1)
    args = (np.array(cell.W_ih.T, order="C"), np.array(cell.W_hh.T, order="C"), cell.bias(),
            np.array([[0.3], [-0.4]]), 1.0, False, True, False, np.zeros(3), np.zeros(3), 10,
            50, 6)
    one = tangent.tangent_spectrum(*args)[0]
    assert tangent.tangent_spectrum(*args, call_work=1)[0].tobytes() == one.tobytes()


def test_a_column_mapped_to_zero_is_minus_inf_and_so_are_the_rest():
    # Every gate saturated (|z| = 100 > threshold), the forget gate shut: c = i g = 1 and
    # J = 0, so every exponent is -inf.
    n = 3
    W_ih = np.full((4 * n, 1), 100.0)
    W_ih[n:2 * n] = -100.0
    cell = LSTMCell(W_ih, np.zeros((4 * n, n)), np.zeros(4 * n))
    assert np.all(fl.lyapunov(cell, 1.0, activation="saturated", steps=10) == -np.inf)


# --- bad input -----------------------------------------------------------------------

def test_bad_input():
    cell = random_cell(1, 3, 2)
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, 6\], got 0"):
        fl.lyapunov(cell, [0, 0], k=0)
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, 6\], got 7"):
        fl.lyapunov(cell, [0, 0], k=7)
    with pytest.raises(TypeError, match="k must be an integer"):
        fl.lyapunov(cell, [0, 0], k=2.0)
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, 2\], got 3"):
        fl.lyapunov(GENERIC, 0.0, k=3)
    for x in (0.5, [0, 0, 0], np.zeros((4, 3)), np.zeros((0, 2)), np.zeros((2, 2, 2))):
        with pytest.raises(ValueError, match=r"x must be a constant input of shape \(2,\) or "
                                             r"one period of the input, shape \(P, 2\)"):
            fl.lyapunov(cell, x)
    with pytest.raises(ValueError, match="x must be finite"):
        fl.lyapunov(cell, [0, np.nan])
    with pytest.raises(ValueError, match=r"h0 must be a scalar or have shape \(3,\)"):
        fl.lyapunov(cell, [0, 0], h0=[0, 0])
    with pytest.raises(ValueError, match="steps must be an integer"):
        fl.lyapunov(cell, [0, 0], steps=0)
    big = LSTMCell(cell.W_ih, np.full((12, 3), 1e147), cell.b_ih)
    with pytest.raises(ValueError, match="weights on h are too large for the tangent map"):
        fl.lyapunov(big, [0, 0])
    with pytest.raises(ValueError, match="can overflow float64"):
        fl.lyapunov(LSTMCell(np.full((12, 2), 1e308), cell.W_hh), [10, 10])
