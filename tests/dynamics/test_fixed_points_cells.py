"""Fixed points of n-unit cells (LSTMCell): oracles are scalar cells, mpmath and torch autograd."""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest

import fastlstm as fl
from tests.naive_vector import BLOCKS, preactivations

BISTABLE = fl.ScalarLSTM(W_ch=4.0, b_i=3.0, b_o=3.0, b_f=-1.0)            # 3 fixed points
GHOST = BISTABLE.replace(b_c=1.9)        # past the saddle-node near h = -0.7: one point, a ghost
CALM = fl.ScalarLSTM(W_ch=0.5, W_fh=1.0, b_i=1.0, b_o=0.5, W_ix=0.7, W_cx=-1.2)


def block_cell(cells):
    """The cell of k independent scalar cells, unit j reading input j."""
    k = len(cells)
    W_ih, W_hh, b = np.zeros((4 * k, k)), np.zeros((4 * k, k)), np.zeros(4 * k)
    for j, cell in enumerate(cells):
        one = fl.LSTMCell.from_scalar(cell)
        for g in range(4):
            W_ih[g * k + j, j] = one.W_ih[g, 0]
            W_hh[g * k + j, j] = one.W_hh[g, 0]
            b[g * k + j] = one.b_ih[g]
    return fl.LSTMCell(W_ih, W_hh, b)


@pytest.mark.parametrize("cells, x", [((BISTABLE, CALM), (0.0, 0.4)),
                                      ((BISTABLE, BISTABLE, CALM), (0.1, -0.2, 1.0))])
def test_block_diagonal_cell_has_the_product_of_the_scalar_points(cells, x):
    scalar = [fl.fixed_points(c, v) for c, v in zip(cells, x)]
    assert all(s.complete for s in scalar)
    got = fl.fixed_points(block_cell(cells), x, n_starts=0)
    assert got.complete and all(p.certified for p in got)
    products = list(itertools.product(*[s.points for s in scalar]))
    assert len(got) == len(products)
    for combo in products:
        want = np.array([p.h for p in combo])
        match = [p for p in got if np.abs(p.h - want).max() < 1e-12]
        assert len(match) == 1, want
        p = match[0]
        assert np.all(p.h_enclosure[0] <= p.h) and np.all(p.h <= p.h_enclosure[1])
        assert np.allclose(p.c, [q.c for q in combo], rtol=1e-12, atol=1e-14)
        # the spectrum is the union of the scalar cells' spectra
        union = np.sort_complex(np.concatenate([np.asarray(q.eigenvalues, complex) for q in combo]))
        assert np.allclose(np.sort_complex(np.asarray(p.eigenvalues, complex)), union,
                           atol=1e-12)
        inside = [abs(complex(v)) < 1 for v in union]
        assert p.stability == ("stable node" if all(inside) else "saddle" if any(inside)
                               else "unstable node")


def _F_mp(cell, x, h):
    """F(h) = o tanh(i g / (1 - f)) - h in mpmath, from the parameters as exact numbers."""
    n = cell.hidden_size
    z = [mpmath.mpf(float(b)) + sum(mpmath.mpf(float(w)) * mpmath.mpf(float(v))
                                    for w, v in zip(row_x, x))
         + sum(mpmath.mpf(float(w)) * hj for w, hj in zip(row_h, h))
         for row_x, row_h, b in zip(cell.W_ih, cell.W_hh, cell.bias())]
    sig = lambda v: 1 / (1 + mpmath.exp(-v))  # noqa: E731
    out = []
    for u in range(n):
        i, f = sig(z[BLOCKS["i"] * n + u]), sig(z[BLOCKS["f"] * n + u])
        o, g = sig(z[BLOCKS["o"] * n + u]), mpmath.tanh(z[BLOCKS["g"] * n + u])
        out.append(o * mpmath.tanh(i * g / (1 - f)) - h[u])
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_certified_points_hold_the_high_precision_root(seed):
    rng = np.random.default_rng(seed)
    n, m = 3, 2
    cell = fl.LSTMCell(rng.normal(0, 1, (4 * n, m)), rng.normal(0, 2.5, (4 * n, n)),
                       rng.normal(0, 0.5, 4 * n))
    x = rng.normal(0, 1, m)
    fps = fl.fixed_points(cell, x, n_starts=0)
    assert fps.complete and len(fps) >= 1
    with mpmath.workdps(40):
        for p in fps:
            root = mpmath.findroot(lambda *h: _F_mp(cell, x, h), [mpmath.mpf(v) for v in p.h])
            for u in range(n):
                assert p.h_enclosure[0][u] <= root[u] <= p.h_enclosure[1][u]
            assert max(abs(v) for v in _F_mp(cell, x, [mpmath.mpf(v) for v in p.h])) < 1e-13


def test_jacobian_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    n, m = 4, 2
    cell = fl.LSTMCell(rng.normal(0, 1, (4 * n, m)), rng.normal(0, 1.5, (4 * n, n)),
                       rng.normal(0, 0.5, 4 * n), rng.normal(0, 0.5, 4 * n))
    x = rng.normal(0, 1, m)
    fps = fl.fixed_points(cell, x, search="starts", n_starts=32)
    assert len(fps) >= 1
    net = torch.nn.LSTMCell(m, n).double()
    with torch.no_grad():
        for name in ("W_ih", "W_hh", "b_ih", "b_hh"):
            getattr(net, {"W_ih": "weight_ih", "W_hh": "weight_hh"}.get(name, name.replace(
                "b_", "bias_"))).copy_(torch.tensor(getattr(cell, name)))
    xt = torch.tensor(x)[None]

    def step(state):
        h1, c1 = net(xt, (state[None, :n], state[None, n:]))
        return torch.cat([h1[0], c1[0]])

    for p in fps:
        state = torch.tensor(np.concatenate([p.h, p.c]))
        want = torch.autograd.functional.jacobian(step, state).numpy()
        assert np.allclose(p.jacobian, want, rtol=1e-10, atol=1e-12)
        assert np.allclose(step(state).detach().numpy(), state.numpy(), atol=1e-13)


@pytest.mark.parametrize("cell, x", [(BISTABLE, 0.0), (GHOST, 0.3), (CALM, -0.5),
                                     (fl.presets.parity(), 1.0)])
@pytest.mark.parametrize("activation", ["exact", "saturated"])
def test_one_unit_cell_gives_the_scalar_result(cell, x, activation):
    want = fl.fixed_points(cell, x, activation=activation)
    one = fl.LSTMCell.from_scalar(cell)
    for arg in (x, [x], np.array([x])):
        got = fl.fixed_points(one, arg, activation=activation)
        assert got.points == want.points and got.complete == want.complete
        assert got.non_isolated == want.non_isolated and got.to_table() == want.to_table()


def test_slow_point_of_a_ghost_is_a_local_minimum_of_q():
    cell = block_cell([GHOST, CALM])
    x = (0.0, 0.2)
    fps = fl.fixed_points(cell, x)
    calm = fl.fixed_points(CALM, 0.2)[0]
    assert fps.complete and len(fps) == 1 and fps[0].h[0] > 0.8
    assert fps.slow_points, fps
    s = fps.slow_points[0]
    assert -0.8 < s.h[0] < -0.6 and abs(s.h[1] - calm.h) < 1e-6 and 0 < s.q <= 1e-4

    def q(state):  # the plain oracle's step
        h, c = state[:2], state[2:]
        z = preactivations(cell, h.tolist(), list(x))
        out = []
        for u in range(2):
            sg = lambda k: 1 / (1 + np.exp(-z[BLOCKS[k] * 2 + u]))  # noqa: E731
            c1 = sg("f") * c[u] + sg("i") * np.tanh(z[BLOCKS["g"] * 2 + u])
            out.append((sg("o") * np.tanh(c1), c1))
        r = np.array([out[0][0], out[1][0], out[0][1], out[1][1]]) - state
        return 0.5 * r @ r

    state = np.concatenate([s.h, s.c])
    assert s.q == pytest.approx(q(state), rel=1e-8)
    for k in range(4):  # no direction lowers q: a local minimum
        e = np.zeros(4)
        e[k] = 1e-4
        assert q(state + e) > s.q and q(state - e) > s.q
    assert "slow point" in fps.to_table()


def test_search_from_starts_is_not_complete_and_says_what_was_searched():
    cell = block_cell([BISTABLE, CALM])
    fps = fl.fixed_points(cell, (0.0, 0.4), search="starts",
                          starts=[[0.8, 0.0], [-0.8, 0.0], [0.01, 0.3]])
    assert not fps.complete and "3 starts (given)" in fps.searched
    assert len(fps) == 3 and all(p.certified for p in fps)
    cut = fl.fixed_points(cell, (0.0, 0.4), max_boxes=3, n_starts=0)
    assert not cut.complete and "max_boxes=3" in cut.searched
    assert "h*" in cut.to_table() and "not complete" in repr(cut)


def test_bad_input_is_refused_with_the_argument_named():
    cell = block_cell([BISTABLE, CALM])
    with pytest.raises(ValueError, match=r"x must have shape \(2,\)"):
        fl.fixed_points(cell, 0.0)
    with pytest.raises(ValueError, match="x"):
        fl.fixed_points(cell, [0.0, np.nan])
    with pytest.raises(ValueError, match="activation='exact' only"):
        fl.fixed_points(cell, [0.0, 0.0], activation="saturated")
    with pytest.raises(ValueError, match="search"):
        fl.fixed_points(cell, [0.0, 0.0], search="all")
    with pytest.raises(ValueError, match=r"starts must have shape \(k, 2\)"):
        fl.fixed_points(cell, [0.0, 0.0], starts=np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"starts: every h must lie in \[-1, 1\]"):
        fl.fixed_points(cell, [0.0, 0.0], starts=[[2.0, 0.0]])
    with pytest.raises(ValueError, match="max_boxes"):
        fl.fixed_points(cell, [0.0, 0.0], max_boxes=0)
    with pytest.raises(ValueError, match="n_starts"):
        fl.fixed_points(cell, [0.0, 0.0], n_starts=-1)
    with pytest.raises(TypeError, match="seed"):
        fl.fixed_points(cell, [0.0, 0.0], seed=1.5)
    with pytest.raises(ValueError, match="slow_q"):
        fl.fixed_points(cell, [0.0, 0.0], slow_q=-1.0)
    with pytest.raises(ValueError, match="overflow"):
        fl.fixed_points(fl.LSTMCell(np.full((8, 1), 1e308), np.full((8, 2), 1e308)), 1.0)


def test_overlapping_certified_boxes_are_not_claimed_distinct():
    # Each certified tight box holds exactly one zero: disjoint boxes hold two
    # different zeros, overlapping ones (not merged by a proof) may hold one.
    from fastlstm.dynamics.networks import _may_share_a_zero

    def box(lo, hi):
        lo, hi = np.array(lo, float), np.array(hi, float)
        return lo, hi, lo - 1e-3, hi + 1e-3

    a = box([0.0, 0.0], [0.1, 0.1])
    assert not _may_share_a_zero([a, box([0.2, 0.0], [0.3, 0.1])])   # apart in h_0
    assert not _may_share_a_zero([a, box([0.05, 0.2], [0.1, 0.3])])  # apart in h_1
    assert _may_share_a_zero([a, box([0.05, 0.05], [0.2, 0.2])])     # overlap in both
    assert _may_share_a_zero([box([0.5, 0.5], [0.6, 0.6]), a, box([0.1, 0.1], [0.2, 0.2])])
