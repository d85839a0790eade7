"""fl.orbit_diagram: hand-derived attractors, the plain oracle, plots, bad input."""

import math
import tracemalloc

import numpy as np
import pytest

import fastlstm as fl
from tests.naive import run as naive_run

PARITY = fl.presets.parity()


def test_parity_attractors_by_hand():
    # Reading ones: i = o = 1, f ~ 0, so c_t = tanh(50 - W_ch h_{t-1})-ish saturated:
    # W_ch = -100 alternates c = +-1 (h = +-tanh 1); W_ch = 0 keeps c = tanh(50) = 1.
    d = fl.orbit_diagram(PARITY, "W_ch", [-100.0, 0.0], 1, transient=9, keep=4)
    t1 = math.tanh(1.0)
    # after 9 steps (t = 9 is the 10th, odd run length: +) the cycle reads +, -, +, -
    assert d.h[0] == pytest.approx([-t1, t1, -t1, t1], abs=1e-15)
    assert d.h[1] == pytest.approx([t1] * 4, abs=1e-15)
    assert d.axis == "W_ch" and d.values.tolist() == [-100.0, 0.0] and d.transient == 9


def test_rows_follow_the_plain_oracle_with_a_periodic_input():
    base = fl.ScalarLSTM(W_fh=0.8, W_fx=0.3, b_f=0.5, W_ih=-0.7, W_ix=1.0, b_i=0.2,
                         W_oh=1.1, W_ox=-0.4, b_o=0.6, W_ch=-2.5, W_cx=1.5, b_c=0.1)
    values = np.linspace(-4.0, 4.0, 5)
    x = [1.0, 0.0, 0.5]
    d = fl.orbit_diagram(base, "W_ch", values, x, transient=7, keep=6, h0=0.1, c0=-0.2)
    for v, row in zip(values, d.h):
        cell = base.replace(W_ch=float(v))
        expected = naive_run(cell, np.resize(x, 13), h0=0.1, c0=-0.2)["h"][7:]
        # contracting cells, 13 steps: the engines differ by a few ulp per step
        assert row == pytest.approx(expected, abs=1e-13)


def test_saturated_semantics_are_used():
    # the literal rule from the worked example: 1 1 0 1 1 gives h = 1 -1 0.5 0 1
    d = fl.orbit_diagram(PARITY, "b_f", [-100.0], [1, 1, 0, 1, 1], transient=0, keep=5,
                         activation="saturated")
    assert d.h[0].tolist() == [1.0, -1.0, 0.5, 0.0, 1.0]


def test_plot_labels():
    matplotlib = pytest.importorskip("matplotlib", reason="plots need matplotlib")
    matplotlib.use("Agg")
    d = fl.orbit_diagram(PARITY, "W_ch", np.linspace(-100, 0, 4), 1, transient=5, keep=3)
    ax = d.plot(title="parity")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("W_ch", "h after 5 steps")
    offsets = ax.collections[0].get_offsets()
    assert offsets.shape == (12, 2)
    assert np.array_equal(offsets[:, 1], d.h.ravel())


def test_chaos_map_is_centred_on_zero_with_named_axes():
    matplotlib = pytest.importorskip("matplotlib", reason="plots need matplotlib")
    matplotlib.use("Agg")
    grid = fl.grid(base=PARITY, W_ch=[-100.0, 0.0], b_f=[-100.0, 0.0, 1.0])
    res = fl.sweep(grid, 0, record="lyapunov", steps=50)
    ax = res.plot()
    mesh = ax.collections[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("b_f", "W_ch")
    assert mesh.norm.vcenter == 0.0
    assert mesh.norm.vmin <= np.nanmin(res.lyapunov[np.isfinite(res.lyapunov)])
    # positive exponents red, negative blue (RdBu_r)
    lam = res.to_grid("lyapunov")
    colours = mesh.cmap(mesh.norm(lam))
    assert colours[0, 0, 0] > colours[0, 0, 2]          # log 50 > 0: red
    assert colours[1, 0, 2] > colours[1, 0, 0]          # about -100: blue


@pytest.mark.parametrize("round_feedback", [False, True])
def test_a_transient_in_many_calls_gives_the_bits_of_one_run(monkeypatch, round_feedback):
    # Calls of 6 steps (2 periods of 3): the transient of 50 steps ends inside a
    # period and a call; each row must be the tail of one fl.run, bit for bit.
    from fastlstm.dynamics import orbits

    monkeypatch.setattr(orbits, "TRANSIENT_STEPS", 7)
    base = fl.ScalarLSTM(W_fh=0.8, W_fx=0.3, b_f=0.5, W_ih=-0.7, W_ix=1.0, b_i=0.2,
                         W_oh=1.1, W_ox=-0.4, b_o=0.6, W_ch=-2.5, W_cx=1.5, b_c=0.1)
    x, values = [1.0, 0.0, 0.5], [-4.0, 0.5, 3.0]
    d = fl.orbit_diagram(base, "W_ch", values, x, transient=50, keep=8, h0=0.3, c0=-0.2,
                         round_feedback=round_feedback)
    for v, row in zip(values, d.h):
        tail = fl.run(base.replace(W_ch=v), np.resize(x, 58), h0=0.3, c0=-0.2,
                      round_feedback=round_feedback).h[50:]
        assert np.array_equal(row, tail)


def test_memory_does_not_grow_with_the_transient():
    # 8 * 10**6 steps: a float64 array of the transient alone would be 61 MiB
    # (tracemalloc sees every NumPy allocation).
    fl.orbit_diagram(PARITY, "W_ch", [-1.0], 0, keep=1, transient=10)  # compiled first
    tracemalloc.start()
    try:
        d = fl.orbit_diagram(PARITY, "W_ch", [-1.0], 0, keep=1, transient=8 * 10**6)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20
    assert d.h.shape == (1, 1) and d.h[0, 0] == 0.0  # the parity cell's fixed point at 0


def test_a_keep_that_cannot_fit_is_refused_with_its_size():
    # 2**40 steps kept: 8 TiB of h, and as much for the x and c of a row
    with pytest.raises(ValueError, match=r"keep=1099511627776 for 1 values needs "
                                         r"26388279066624 bytes \(24576\.0 GiB"):
        fl.orbit_diagram(PARITY, "W_ch", [-1.0], 0, keep=2**40)
    # 2**25 steps for 14 values: (14 + 2) * 8 * 2**25 bytes = 4 GiB, the most allowed
    with pytest.raises(ValueError, match=r"keep=33554433 for 14 values needs 4294967424 bytes"):
        fl.orbit_diagram(PARITY, "W_ch", np.zeros(14), 0, keep=2**25 + 1)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(axis="W_zz"), ValueError, "axis must be one of"),
    (dict(values=[]), ValueError, "at least one value"),
    (dict(values=[[1.0]]), ValueError, "values must have shape"),
    (dict(values=[np.inf]), ValueError, "values must be finite"),
    (dict(x=[]), ValueError, "non-empty"),
    (dict(keep=0), ValueError, "keep must be an integer >= 1"),
    (dict(transient=1.5), TypeError, "transient must be an integer"),
    (dict(base_cell="parity"), TypeError, "base_cell"),
])
def test_bad_input(kwargs, error, match):
    args = dict(base_cell=PARITY, axis="W_ch", values=[0.0], x=1.0) | kwargs
    with pytest.raises(error, match=match):
        fl.orbit_diagram(args.pop("base_cell"), args.pop("axis"), args.pop("values"),
                         args.pop("x"), **args)
