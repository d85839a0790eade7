"""The search from starts of n-unit cells: the compiled Levenberg-Marquardt against its NumPy
oracle (tests/naive_krawczyk.py), starts that stop near a zero reached before, and the
certification of many minima at once against the scalar cells of a block-diagonal cell."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.dynamics import networks
from fastlstm.dynamics.networks import minimise_q, sampled_starts
from tests import naive_krawczyk as naive
from tests.dynamics.test_fixed_points_cells import BISTABLE, CALM, block_cell


def _random_cell(seed, n, m=3, scale=1.0):
    rng = np.random.default_rng(seed)
    return (fl.LSTMCell(rng.normal(0, 1, (4 * n, m)), rng.normal(0, scale / np.sqrt(n), (4 * n, n)),
                        rng.normal(0, 1, 4 * n)), rng.normal(0, 1, m))


@pytest.mark.parametrize("seed, n, scale", [(0, 3, 1.0), (1, 7, 3.0), (2, 12, 2.0)])
def test_compiled_search_reaches_the_minima_of_the_numpy_search(seed, n, scale):
    cell, x = _random_cell(seed, n, scale=scale)
    starts, _ = sampled_starts(cell, x, 40, seed)
    s, q, reach = minimise_q(cell, x, starts)
    want, want_q = naive.minimise_q(cell, x, starts)
    assert np.all(reach == -1)      # without share=True every start runs to its minimum
    assert np.all(np.abs(s[:, :n]) <= 1.0)
    zero, want_zero = q <= 1e-20, want_q <= 1e-20
    # where the oracle reached a zero the compiled search reached the same one (the
    # iterations round differently: c eliminated, another order of sums)
    assert want_zero.any() and np.all(zero[want_zero])
    assert np.abs(s[want_zero] - want[want_zero]).max() < 1e-9
    # and q is the residual of the state returned
    n2 = 2 * n
    from fastlstm.dynamics.networks import step_and_jacobian
    h1, c1, _ = step_and_jacobian(cell, x, s[:, :n], s[:, n:])
    r = np.concatenate([h1, c1], axis=1) - s
    assert np.allclose(q, 0.5 * (r * r).sum(axis=1), rtol=1e-6, atol=1e-28)
    assert s.shape == (40, n2)


@pytest.mark.parametrize("seed, n, scale", [(0, 3, 1.0), (2, 12, 2.0)])
def test_a_start_stops_only_near_a_zero_reached_before_and_the_others_run_as_alone(seed, n, scale):
    cell, x = _random_cell(seed, n, scale=scale)
    starts, _ = sampled_starts(cell, x, 60, seed)
    alone, alone_q, _ = minimise_q(cell, x, starts)
    s, q, reach = minimise_q(cell, x, starts, share=True)
    stopped = np.flatnonzero(reach >= 0)
    assert stopped.size > 30                      # most starts here reach one of few zeros
    e = reach[stopped]
    # each stopped at an earlier start's zero, one that ran to its minimum, within NEAR of it
    assert np.all(e < stopped) and np.all(reach[e] == -1) and np.all(q[e] <= networks.ZERO_Q)
    assert np.all(np.abs(s[stopped] - s[e]) <= networks.NEAR * (1.0 + np.abs(s[e])))
    # and would have reached that zero: its own minimum is the same point
    assert np.abs(alone[stopped] - s[e]).max() < 1e-9
    # the starts that did not stop are the same computation as alone: the same bits
    ran = reach == -1
    assert np.array_equal(s[ran].view(np.int64), alone[ran].view(np.int64))
    assert np.array_equal(q[ran].view(np.int64), alone_q[ran].view(np.int64))


def test_starts_stopped_outside_every_certified_box_run_again(monkeypatch):
    # with starts stopping 0.3 from a zero, boxes that wide (several zeros in each) are not
    # certified: the stopped starts run again to their minima, and the same 9 points come back
    cell, x = block_cell((BISTABLE, BISTABLE, CALM)), (0.1, -0.2, 1.0)
    complete = fl.fixed_points(cell, x, n_starts=0)
    rng = np.random.default_rng(3)
    starts = np.clip(np.concatenate([p.h + rng.normal(0, 1e-2, (10, 3)) for p in complete]), -1, 1)
    want = fl.fixed_points(cell, x, search="starts", starts=starts)
    runs = []

    def recorded(*args, **kwargs):
        runs.append(kwargs.get("share", False))
        return minimise_q(*args, **kwargs)

    monkeypatch.setattr(networks, "NEAR", 0.3)
    monkeypatch.setattr(networks, "minimise_q", recorded)
    got = fl.fixed_points(cell, x, search="starts", starts=starts)
    assert runs == [True, False]                  # the second run: the stopped starts again
    assert len(got) == len(want) == 9 and all(p.certified for p in got)
    for p, w in zip(got, want):
        assert np.all(p.h_enclosure[0] <= w.h) and np.all(w.h <= p.h_enclosure[1])


def test_starts_converging_to_the_same_points_give_one_certified_record_each():
    # three units with 3 x 3 x 1 = 9 fixed points; 20 starts near each (200 in all, with
    # a few far away): one record per point, each the complete search's point, certified
    cells, x = (BISTABLE, BISTABLE, CALM), (0.1, -0.2, 1.0)
    cell = block_cell(cells)
    complete = fl.fixed_points(cell, x, n_starts=0)
    assert complete.complete and len(complete) == 9
    rng = np.random.default_rng(3)
    near = np.concatenate([p.h + rng.normal(0, 1e-3, (20, 3)) for p in complete])
    far = rng.uniform(-1, 1, (20, 3))
    starts = np.clip(np.concatenate([near, far]), -1, 1)
    got = fl.fixed_points(cell, x, search="starts", starts=starts)
    assert not got.complete and len(got) == 9 and all(p.certified for p in got)
    for p in got:
        want = min(complete, key=lambda w: np.abs(w.h - p.h).max())
        assert np.all(want.h_enclosure[0] <= p.h) and np.all(p.h <= want.h_enclosure[1])
        assert np.all(p.h_enclosure[0] <= want.h) and np.all(want.h <= p.h_enclosure[1])
        assert np.all(p.h_enclosure[1] - p.h_enclosure[0] < 1e-9)
        assert p.stability == want.stability
    # the scalar oracle: the points are the products of the scalar cells' points
    scalar = [fl.fixed_points(c, v).points for c, v in zip(cells, x)]
    products = {tuple(round(q.h, 9) for q in combo) for combo in itertools.product(*scalar)}
    assert {tuple(np.round(p.h, 9)) for p in got} == products


def test_a_start_at_a_point_and_one_far_away_find_two_points_of_the_bistable_pair():
    cells, x = (BISTABLE, CALM), (0.0, 0.4)
    cell = block_cell(cells)
    complete = fl.fixed_points(cell, x, n_starts=0)
    got = fl.fixed_points(cell, x, search="starts", starts=[complete[0].h, complete[-1].h])
    assert len(got) == 2 and all(p.certified for p in got)
    assert np.allclose(got[0].h, complete[0].h, atol=1e-12)
    assert np.allclose(got[1].h, complete[-1].h, atol=1e-12)
