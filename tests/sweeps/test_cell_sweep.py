"""fl.sweep over tables of vector cells (CellTable, cell_grid, random_cells).

Oracles: fl.run / fl.run_batch on each row's cell (the kernel performs vector.step's
operations, so bit for bit), the scalar sweep for 1-unit tables (routed there), the
plain-Python scalar oracle (tests/naive.py) for a block-diagonal cell made of
independent scalar cells, Readout.label on fl.run's trajectories, and
fl.lyapunov(cell, x, k=1).
"""

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.cell import LSTMCell
from tests import naive

SEMANTICS = [dict(), dict(activation="saturated", threshold=2.0),
             dict(activation="saturated", inclusive=False, round_feedback=True)]


def _cell(rng, n=3, m=2, scale=1.5):
    return LSTMCell(rng.normal(0, scale, (4 * n, m)), rng.normal(0, scale, (4 * n, n)),
                    rng.normal(0, 1, 4 * n), rng.normal(0, 1, 4 * n))


@pytest.fixture(scope="module")
def table():
    # 70 cells: a full block of 64 and a short one (its spare lanes repeat the last cell)
    return fl.random_cells(70, _cell(np.random.default_rng(0)), 0.5, seed=1)


@pytest.mark.parametrize("sem", SEMANTICS)
def test_rows_equal_run_batch_bit_for_bit(table, sem):
    rng = np.random.default_rng(2)
    X = np.round(rng.normal(0, 1, (3, 15, 2)), 1)
    X[1, :4] = X[0, :4]  # a shared prefix: computed once, the same numbers
    h0 = rng.normal(0, 0.5, (3, 3))
    final = fl.sweep(table, X, h0=h0, c0=0.25, **sem)
    traj = fl.sweep(table, X, h0=h0, c0=0.25, record="trajectory", **sem)
    rnd = fl.sweep(table, X, h0=h0, c0=0.25, record="rounded", **sem)
    assert final.h.shape == final.c.shape == (70, 3, 3)
    assert traj.h.shape == rnd.rounded.shape == (70, 3, 15, 3) and rnd.rounded.dtype == np.int8
    for k in (0, 1, 63, 64, 69):
        want = fl.run_batch(table.cell(k), X, h0=h0, c0=0.25, **sem)
        assert final.h[k].tobytes() == want.h[:, -1].tobytes()
        assert final.c[k].tobytes() == want.c[:, -1].tobytes()
        assert traj.h[k].tobytes() == want.h.tobytes()
        assert np.array_equal(rnd.rounded[k], want.rounded)


def test_one_sequence_and_a_list_of_cells():
    rng = np.random.default_rng(3)
    cells = [_cell(rng, n=2, m=1) for _ in range(5)]
    x = rng.normal(0, 1, 12)  # m = 1: (T,) is one sequence
    res = fl.sweep(cells, x, record="trajectory")
    assert res.h.shape == (5, 12, 2) and res.params is None and len(res) == 5
    for k, cell in enumerate(cells):
        assert res.h[k].tobytes() == fl.run(cell, x).h.tobytes()
    assert fl.sweep(cells[0], x).h.shape == (1, 2)  # one cell is a table of one


def test_block_diagonal_cell_is_its_independent_scalar_cells():
    # Two scalar cells side by side (block-diagonal weights, each reading its own input):
    # unit u follows scalar cell u.  The vector step rounds c = f c + i g as fma(f, c, i g),
    # the plain oracle as two roundings, so they agree to a few ulps per step on these
    # contracting cells (|weights| <= 1).
    rng = np.random.default_rng(4)
    scalars = [fl.ScalarLSTM.from_array(rng.uniform(-1, 1, 12)) for _ in range(2)]
    parts = [LSTMCell.from_scalar(s) for s in scalars]
    eye = np.eye(2)
    W_ih = np.zeros((8, 2))
    W_hh = np.zeros((8, 2))
    b = np.zeros(8)
    for u, part in enumerate(parts):
        for g in range(4):
            W_ih[2 * g + u] = part.W_ih[g, 0] * eye[u]
            W_hh[2 * g + u] = part.W_hh[g, 0] * eye[u]
            b[2 * g + u] = part.b_ih[g]
    X = rng.normal(0, 1, (30, 2))
    res = fl.sweep([LSTMCell(W_ih, W_hh, b)], X, record="trajectory")
    for u, s in enumerate(scalars):
        want = naive.run(s, X[:, u])["h"]
        np.testing.assert_allclose(res.h[0, :, u], want, rtol=0, atol=1e-14)


@pytest.mark.parametrize("record", ["final", "trajectory", "rounded", "lyapunov"])
def test_one_unit_table_is_the_scalar_sweep(record):
    X = fl.binary_strings(5)
    one = fl.random_cells(70, LSTMCell.from_scalar(fl.presets.parity()), 0.5, seed=5)
    P = np.array([one.cell(k).to_scalar().to_array() for k in range(70)])
    if record == "lyapunov":
        a = fl.sweep(one, [0.0, 1.0], record=record, transient=10, steps=50)
        b = fl.sweep(P, [0.0, 1.0], record=record, transient=10, steps=50)
        assert a.lyapunov.tobytes() == b.lyapunov.tobytes()
        return
    target = fl.parity_target(X)
    a = fl.sweep(one, X, record=record, target=target)
    b = fl.sweep(P, X, record=record, target=target)
    assert np.array_equal(a.accuracy, b.accuracy)
    for name in ("h", "c", "rounded"):
        got, want = getattr(a, name), getattr(b, name)
        assert (got is None) == (want is None)
        if want is not None:
            assert got.shape == want.shape + (1,) and got.tobytes() == want.tobytes()
    assert a.table is one and a.params is None


def _labels_of_runs(table, X, readout, **sem):
    return np.stack([readout.label(fl.run_batch(table.cell(k), X, **sem).h)
                     for k in range(len(table))])


@pytest.mark.parametrize("readout", [fl.Readout([[1.0, -0.5, 0.25]], [0.1]),
                                     fl.Readout(np.random.default_rng(6).normal(0, 1, (3, 3)),
                                                labels=(-1, 0, 1))])
def test_accuracy_through_a_readout(table, readout):
    rng = np.random.default_rng(7)
    X = rng.normal(0, 1, (4, 10, 2))
    target = rng.integers(-1, 2, (4, 10))
    res = fl.sweep(table, X, target=target, readout=readout, record=None)
    # y is accumulated by fmas in the kernel and by NumPy here: a label could differ only
    # where y is within a rounding of a tie, which these random cells never come near
    want = (_labels_of_runs(table, X, readout) == target).mean(axis=(1, 2))
    np.testing.assert_array_equal(res.accuracy, want)


def test_one_unit_cells_scored_by_a_readout_run_the_scalar_step():
    one = fl.random_cells(20, LSTMCell.from_scalar(fl.presets.parity()), 2.0, seed=8)
    X = fl.binary_strings(4)
    readout = fl.Readout([[2.0]], [-0.5])
    target = fl.parity_target(X)
    res = fl.sweep(one, X, target=target, readout=readout, record="final")
    for k in range(20):
        run = fl.run_batch(one.cell(k), X)
        assert res.h[k].tobytes() == run.h[:, -1].tobytes()
        assert res.accuracy[k] == (readout.label(run.h) == target).mean()


def test_without_readout_a_one_unit_cell_is_scored_by_its_rounded_h():
    rng = np.random.default_rng(9)
    cells = [_cell(rng, n=1, m=2) for _ in range(3)]
    X = rng.normal(0, 1, (2, 8, 2))
    target = rng.integers(-1, 2, (2, 8))
    res = fl.sweep(cells, X, target=target)
    for k, cell in enumerate(cells):
        assert res.accuracy[k] == (fl.run_batch(cell, X).rounded[..., 0] == target).mean()


@pytest.mark.parametrize("sem", SEMANTICS[:2])
def test_lyapunov_record_is_the_largest_exponent(table, sem):
    # The same operations as fl.lyapunov's tangent kernel with one column; a difference
    # could only come from LLVM contracting a product-sum differently in the two
    # kernels, one rounding per step in the direction, which the renormalisation does
    # not amplify: 1e-12 allows that.
    x = [[0.5, -0.5], [1.0, 0.0]]
    res = fl.sweep(table, x, record="lyapunov", transient=30, steps=200, h0=0.1, **sem)
    want = [fl.lyapunov(table.cell(k), x, transient=30, steps=200, h0=0.1, k=1, **sem)[0]
            for k in range(len(table))]
    np.testing.assert_allclose(res.lyapunov, want, rtol=0, atol=1e-12)


def test_grid_over_scalings_and_entries():
    rng = np.random.default_rng(10)
    base = _cell(rng, n=2, m=1)
    t = fl.cell_grid(base, {"W_hh *": [0.0, 2.0], "W_ih[3, 0]": [-1.0, 0.5, 4.0],
                            "b_hh*": [1.0, -1.0]})
    assert t.shape == (2, 3, 2) and len(t) == 12
    assert t.names == ("W_hh*", "W_ih[3, 0]", "b_hh*")
    for k in range(12):
        s, v, sb = (vals[i] for vals, i in zip(t.axes.values(), np.unravel_index(k, t.shape)))
        cell = t.cell(k)
        np.testing.assert_array_equal(cell.W_hh, base.W_hh * s)
        want_ih = base.W_ih.copy()
        want_ih[3, 0] = v
        np.testing.assert_array_equal(cell.W_ih, want_ih)
        np.testing.assert_array_equal(cell.b_hh, base.b_hh * sb)
        np.testing.assert_array_equal(cell.b_ih, base.b_ih)
    res = fl.sweep(t, rng.normal(0, 1, 6))
    assert res.to_grid("h").shape == (2, 3, 2, 2)
    # a scaling applies before an entry is set, whatever the order of the axes
    both = fl.cell_grid(base, {"W_hh[0, 1]": [3.0], "W_hh*": [2.0]})
    assert both.cell(0).W_hh[0, 1] == 3.0 and both.cell(0).W_hh[1, 0] == 2 * base.W_hh[1, 0]


def test_random_cells_perturb_what_they_say():
    base = _cell(np.random.default_rng(11), n=2, m=2)
    a = fl.random_cells(2000, base, 0.1, vary=["W_hh", "b_ih"], seed=3)
    assert a.W_hh.shape == (2000, 8, 2)
    np.testing.assert_array_equal(a.W_ih, np.broadcast_to(base.W_ih, a.W_ih.shape))
    np.testing.assert_array_equal(a.b_hh, np.broadcast_to(base.b_hh, a.b_hh.shape))
    noise = a.W_hh - base.W_hh
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.1) < 0.005
    b = fl.random_cells(2000, base, 0.1, vary=["W_hh", "b_ih"], seed=3)
    assert a.W_hh.tobytes() == b.W_hh.tobytes()
    rel = fl.random_cells(10, LSTMCell(np.zeros((8, 1)), np.ones((8, 2))), 0.5, relative=True,
                          seed=4)
    assert (rel.W_ih == 0).all() and not (rel.W_hh == 1).all()


def _bad_x(t):
    return fl.sweep(t, np.zeros((5, 3)))


@pytest.mark.parametrize("call, exc, match", [
    (lambda t: fl.sweep([t.cell(0), LSTMCell(np.ones((4, 2)), np.ones((4, 1)))], [[0, 0]]),
     ValueError, r"params: cells\[1\] has hidden_size 1"),
    (lambda t: fl.sweep([t.cell(0), fl.presets.parity()], [[0, 0]]), TypeError, r"cells\[1\]"),
    (_bad_x, ValueError, r"x must have shape \(T, 2\) or \(B, T, 2\)"),
    (lambda t: fl.sweep(fl.CellTable(t.W_ih, np.where(t.W_hh > 1, np.nan, t.W_hh)),
                        np.zeros((5, 2))), ValueError, "W_hh must be finite, got nan"),
    (lambda t: fl.sweep(t, np.zeros((5, 2)), target=np.zeros(5)), ValueError, "needs readout="),
    (lambda t: fl.sweep(t, np.zeros((5, 2)), target=np.zeros(5), readout=fl.Readout([[1.0]])),
     ValueError, "readout must read the cells' 3 units"),
    (lambda t: fl.sweep(t, np.zeros((5, 2)), target=np.zeros(4),
                        readout=fl.Readout([[1.0] * 3])), ValueError, "target must have"),
    (lambda t: fl.sweep(t, np.zeros((5, 2)), dtype="float32"), ValueError, "float64"),
    (lambda t: fl.sweep(t, np.zeros((5, 2)), h0=np.zeros(2)), ValueError, "h0 must be"),
    (lambda t: fl.sweep(t, [0.5, 0.5, 0.5], record="lyapunov"), ValueError, r"x must be"),
    (lambda t: fl.sweep(t, np.zeros((5, 2)), readout=fl.Readout([[1.0] * 3])), ValueError,
     "target="),
    (lambda t: fl.sweep(t, np.zeros((10, 10**4, 2)), record="trajectory", max_bytes=10**6),
     ValueError, r"\(N, B, T, n\) = \(70, 10, 10000, 3\)"),
    (lambda t: fl.cell_grid(t.cell(0), {"W_xx*": [1.0]}), ValueError, "unknown grid axis"),
    (lambda t: fl.cell_grid(t.cell(0), {"W_hh*": [np.inf]}), ValueError, "must be finite"),
    (lambda t: fl.random_cells(3, t.cell(0), -1.0), ValueError, "size must be >= 0"),
    (lambda t: fl.random_cells(3, t.cell(0), 1.0, vary=["W_xx"]), ValueError, "vary must"),
])
def test_bad_input_names_the_argument(table, call, exc, match):
    with pytest.raises(exc, match=match):
        call(table)


def test_overflowing_preactivation_names_the_cell(table):
    W_ih = np.array(table.W_ih)
    W_ih[5, 0, 0] = 1e308
    with pytest.raises(ValueError, match=r"params\[5\]: row 0 .* can overflow"):
        fl.sweep(fl.CellTable(W_ih, table.W_hh), np.full((3, 2), 2.0))


def test_an_infinite_row_sum_times_a_zero_input_does_not_hide_an_overflow(table):
    # W_ih's row sums to inf and x is all zeros: inf * 0 made the float64 screen NaN,
    # which hid W_hh's overflow (2 * 6e307 * max|h| > 2**1023) from the exact check
    W_ih, W_hh = np.array(table.W_ih), np.array(table.W_hh)
    W_ih[5, 0, :] = 1.7e308
    W_hh[5, 0, :2] = 6e307
    with pytest.raises(ValueError, match=r"params\[5\]: row 0 .* can overflow"):
        fl.sweep(fl.CellTable(W_ih, W_hh), np.zeros((3, 2)))


def test_progress_and_chunks_do_not_change_a_bit(table):
    X = np.random.default_rng(12).normal(0, 1, (2, 9, 2))
    calls = []
    res = fl.sweep(table, X, chunk_size=64, progress=lambda done, total: calls.append(done))
    assert calls == [64, 70]
    assert res.h.tobytes() == fl.sweep(table, X).h.tobytes()


def test_dask_backend_equals_numba():
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(13)
    t = fl.random_cells(150, _cell(rng), 0.5, seed=14)
    X = rng.normal(0, 1, (2, 8, 2))
    target = rng.integers(0, 3, (2, 8))
    readout = fl.Readout(rng.normal(0, 1, (3, 3)))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        for kwargs in (dict(record="trajectory", target=target, readout=readout),
                       dict(record="lyapunov", x=[0.5, -0.5], transient=5, steps=20)):
            x = kwargs.pop("x", X)
            local = fl.sweep(t, x, **kwargs)
            remote = fl.sweep(t, x, backend="dask", client=client, chunk_size=64, **kwargs)
            for name in ("h", "accuracy", "lyapunov"):
                a, b = getattr(local, name), getattr(remote, name)
                assert (a is None and b is None) or a.tobytes() == b.tobytes()
