"""The Krawczyk test with the compiled Jacobian enclosure against its NumPy oracle (tests/naive_krawczyk.py).

Soundness first: the package must never certify a box the oracle refuses, and
on boxes far from any doubt the two decide alike; the Jacobian enclosure over
a box holds the oracle's (near-point) enclosures at points inside it.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.dynamics.krawczyk import CellMap, krawczyk
from tests import naive_krawczyk as naive
from tests.dynamics.test_fixed_points_cells import BISTABLE, CALM, block_cell


def _random_cell(seed, n, m=2, scale=2.0):
    rng = np.random.default_rng(seed)
    return (fl.LSTMCell(rng.normal(0, 1, (4 * n, m)), rng.normal(0, scale, (4 * n, n)),
                        rng.normal(0, 0.5, 4 * n)), rng.normal(0, 1, m))


@pytest.mark.parametrize("seed, n", [(0, 2), (1, 3), (2, 5)])
def test_compiled_test_decides_boxes_as_the_oracle(seed, n):
    cell, x = _random_cell(seed, n)
    rng = np.random.default_rng(100 + seed)
    # boxes of many sizes, around the zeros found and at random
    fps = fl.fixed_points(cell, x, n_starts=16)
    centres = [p.h for p in fps.points] + list(rng.uniform(-1, 1, (20, n)))
    lo, hi = [], []
    for h in centres:
        for r in (1e-12, 1e-8, 1e-4, 1e-2, 0.3):
            w = r * rng.uniform(0.5, 1.5, n)
            lo.append(np.clip(h - w, -1, 1))
            hi.append(np.clip(h + w, -1, 1))
    lo, hi = np.array(lo), np.array(hi)
    got, glo, ghi = krawczyk(CellMap(cell, x), lo, hi)
    want, wlo, whi = naive.krawczyk(naive.CellMap(cell, x), lo, hi)
    assert not np.any((got == 1) & (want != 1)), "certified a box the oracle does not"
    assert not np.any((got == 0) & (want != 0)), "excluded a box the oracle does not"
    assert np.mean(got == want) >= 0.98
    assert (got == 1).sum() >= len(fps.points)   # the small boxes around the zeros certify
    # K & X: F' in midpoint-radius form instead of interval products: the same
    # boxes to the width of the enclosures (relative to the box)
    same = (got == 2) & (want == 2)
    width = (hi - lo)[same]
    assert np.all(np.abs(glo[same] - wlo[same]) <= 1e-6 * width + 1e-14)
    assert np.all(np.abs(ghi[same] - whi[same]) <= 1e-6 * width + 1e-14)


def test_box_with_two_zeros_is_never_certified():
    # two units, each the bistable scalar cell (3 zeros: about -0.7, ~0 and 0.96)
    # next to a calm one: a box around two of the first unit's zeros holds two zeros
    cell = block_cell([BISTABLE, CALM])
    x = (0.0, 0.4)
    pts = sorted(fl.fixed_points(cell, x, n_starts=0).points, key=lambda p: p.h[0])
    assert len(pts) == 3
    a, b = pts[0].h, pts[1].h
    lo = np.minimum(a, b) - 1e-3
    hi = np.maximum(a, b) + 1e-3
    cmap = CellMap(cell, np.asarray(x))
    for pad in (0.0, 1e-6, 1e-2):
        box_lo, box_hi = (lo - pad)[None], (hi + pad)[None]
        got, _, _ = krawczyk(cmap, box_lo, box_hi)
        want, _, _ = naive.krawczyk(naive.CellMap(cell, x), box_lo, box_hi)
        assert got[0] != 1 and want[0] != 1
        assert got[0] != 0      # it holds zeros: never discarded either
    # each zero alone in a small box is certified by both
    for p in pts:
        box_lo, box_hi = (p.h - 1e-6)[None], (p.h + 1e-6)[None]
        assert krawczyk(cmap, box_lo, box_hi)[0][0] == 1
        assert naive.krawczyk(naive.CellMap(cell, x), box_lo, box_hi)[0][0] == 1


def test_enclosure_holds_the_float_step_fixed_point_residual():
    # F over a point box holds the float F computed by the NumPy step to rounding
    from fastlstm.dynamics.networks import step_and_jacobian

    cell, x = _random_cell(3, 4)
    rng = np.random.default_rng(7)
    h = rng.uniform(-1, 1, (50, 4))
    e = CellMap(cell, x).enclose(h, h)
    wide = CellMap(cell, x).enclose(h - 1e-3, h + 1e-3)
    c = 0.5 * e["c"][0] + 0.5 * e["c"][1]
    h1, c1, _ = step_and_jacobian(cell, x, h, c)
    F = h1 - h
    assert np.all(e["F"][0] - 1e-12 <= F) and np.all(F <= e["F"][1] + 1e-12)
    assert np.all(wide["F"][0] <= e["F"][0]) and np.all(e["F"][1] <= wide["F"][1])
    assert np.all(wide["c"][0] <= e["c"][0]) and np.all(e["c"][1] <= wide["c"][1])


@pytest.mark.parametrize("seed, n", [(4, 3), (5, 6)])
def test_jacobian_enclosure_holds_the_jacobian_at_points_of_the_box(seed, n):
    # F' over a box (compiled, midpoint-radius) must hold F' at every point of the
    # box: the oracle's interval enclosure at a point is within ~1e-15 of it
    cell, x = _random_cell(seed, n)
    rng = np.random.default_rng(seed)
    centre = rng.uniform(-0.9, 0.9, (6, n))
    for r in (1e-9, 1e-4, 1e-2):
        lo, hi = centre - r, centre + r
        mid, rad = CellMap(cell, x).enclose(lo, hi)["J"]
        assert np.all(rad >= 0) and np.all(np.isfinite(rad))
        for t in rng.uniform(0, 1, (5, 1, n)):
            h = lo + t * (hi - lo)
            plo, phi = naive.CellMap(cell, x).enclose(h, h)["J"]
            assert np.all(mid - rad <= plo) and np.all(phi <= mid + rad)
        # and it is not much wider than the oracle's interval products over the box
        blo, bhi = naive.CellMap(cell, x).enclose(lo, hi)["J"]
        assert np.all(2 * rad <= 1.5 * (bhi - blo) + 1e-14)


def test_jacobian_enclosure_of_a_point_matches_the_float_jacobian():
    # at a point, mid is F'(h) to rounding: the step's float Jacobian, with c
    # eliminated (c = c*(h)): F' = dh'/dh + dh'/dc (I - dc'/dc)^-1 dc'/dh - I
    from fastlstm.dynamics.networks import step_and_jacobian

    cell, x = _random_cell(8, 4)
    n = 4
    h = np.random.default_rng(9).uniform(-1, 1, (7, n))
    e = CellMap(cell, x).enclose(h, h)
    c = 0.5 * e["c"][0] + 0.5 * e["c"][1]
    _, _, J = step_and_jacobian(cell, x, h, c)
    A, B, C, D = J[:, :n, :n], J[:, :n, n:], J[:, n:, :n], J[:, n:, n:]
    want = A + B @ np.linalg.solve(np.eye(n) - D, C) - np.eye(n)
    mid, rad = e["J"]
    assert np.allclose(mid, want, rtol=1e-12, atol=1e-13)
    assert np.all(rad < 1e-12)
