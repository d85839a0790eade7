"""The vector-cell engine (fastlstm/_kernels/vector.py through fastlstm/vector.py).

* n = m = 1 is the scalar cell: ``fl.run`` bit for bit under all 8 semantics;
* exact semantics is PyTorch's ``nn.LSTM`` / ``nn.LSTMCell`` in float64, by the rule of the
  agreement tests: within ``1e-12 (1 + A_t) max(1, |value|)``, ``A_t`` the amplification
  of rounding errors measured along the trajectory (``naive_vector.amplification``);
* saturated semantics and rounded feedback follow the plain oracle tests/naive_vector.py,
  exact boundary hits included;
* ``run_batch_vector`` rows are ``run_vector`` runs, bit for bit;
* the wrappers validate their arguments.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.cell import LSTMCell
from fastlstm.vector import run_batch_vector, run_vector
from tests import naive_vector

#: All 8 semantics: activation x boundary x feedback.
SEMANTICS = [dict(activation=a, inclusive=inc, round_feedback=rf)
             for a, inc, rf in itertools.product(("exact", "saturated"), (True, False),
                                                 (False, True))]
SATURATED = [s for s in SEMANTICS if s["activation"] == "saturated"]


def _ids(sems):
    return ["-".join(f"{k}={v}" for k, v in s.items()) for s in sems]


def same_bits(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


def random_cell(rng, n, m, scale=1.0):
    return LSTMCell(rng.normal(0, scale, (4 * n, m)), rng.normal(0, scale, (4 * n, n)),
                    rng.normal(0, scale, 4 * n), rng.normal(0, scale, 4 * n))


# --- n = m = 1 is the scalar cell ---------------------------------------------------------


@pytest.mark.parametrize("sem", SEMANTICS, ids=_ids(SEMANTICS))
def test_one_unit_equals_fl_run_bit_for_bit(sem):
    rng = np.random.default_rng(0)
    cells = [fl.presets.parity()] + [fl.ScalarLSTM.from_array(rng.uniform(-3, 3, 12))
                                     for _ in range(12)]
    for k, scalar in enumerate(cells):
        x = rng.integers(0, 2, 60) if k == 0 else rng.normal(0, 1.5, 200)
        h0, c0 = (0.0, 0.0) if k == 0 else rng.uniform(-1, 1, 2)
        want = fl.run(scalar, x, h0=h0, c0=c0, **sem)
        cell = LSTMCell.from_scalar(scalar)
        got = run_vector(cell, x, h0=h0, c0=c0, **sem)
        assert same_bits(got.h[:, 0], want.h) and same_bits(got.c[:, 0], want.c), (sem, k)
        assert got.rounded[:, 0].tolist() == want.rounded.tolist()
        X = np.stack([x, x[::-1]])
        batch = run_batch_vector(cell, X, h0=h0, c0=c0, **sem)
        assert same_bits(batch.h[0, :, 0], want.h) and same_bits(batch.c[0, :, 0], want.c)
        assert same_bits(batch.h[1, :, 0], fl.run(scalar, x[::-1], h0=h0, c0=c0, **sem).h)


def test_the_semantics_table_on_a_vector_cell():
    cell = LSTMCell.from_scalar(fl.presets.parity())
    for name, sem in fl.TABLE_ROWS.items():
        got = run_vector(cell, [1, 1, 0, 1, 1], **sem)
        assert got.rounded[:, 0].tolist() == fl.run(fl.presets.parity(), [1, 1, 0, 1, 1],
                                                     **sem).rounded.tolist(), name


# --- exact semantics is PyTorch's LSTM ----------------------------------------------------------


#: Only for the stacked LSTM, whose two layers' joint amplification is not measured: torch's
#: default initialisation (|w| <= 1/sqrt(3)) is well conditioned; every single cell below is
#: held to the rule (naive_vector.assert_within_amplification).
ATOL = 1e-12


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="PyTorch not installed (pip install 'fastlstm[torch]')")


@pytest.mark.parametrize("n, m", [(1, 3), (2, 1), (2, 3), (5, 1), (5, 3)])
def test_exact_equals_torch_lstm(torch, n, m):
    rng = np.random.default_rng(10 * n + m)
    module = torch.nn.LSTM(m, n, dtype=torch.float64)
    cell = random_cell(rng, n, m, scale=0.8)
    module.load_state_dict({"weight_ih_l0": torch.from_numpy(np.array(cell.W_ih)),
                            "weight_hh_l0": torch.from_numpy(np.array(cell.W_hh)),
                            "bias_ih_l0": torch.from_numpy(np.array(cell.b_ih)),
                            "bias_hh_l0": torch.from_numpy(np.array(cell.b_hh))})
    assert LSTMCell.from_torch(module) == cell
    T, B = 150, 3
    X = rng.normal(0, 1.5, (B, T, m))
    h0, c0 = rng.uniform(-0.9, 0.9, (2, B, n))
    with torch.no_grad():
        out, (h_n, c_n) = module(torch.from_numpy(X).transpose(0, 1),
                                 (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    want_h = out.transpose(0, 1).numpy()
    one = run_vector(cell, X[0] if m > 1 else X[0, :, 0], h0=h0[0], c0=c0[0])
    batch = run_batch_vector(cell, X, h0=h0, c0=c0)
    for b in range(B):
        A = naive_vector.amplification(cell, X[b], h0[b], c0[b])
        if b == 0:
            naive_vector.assert_within_amplification(one.h, want_h[0], A)
        naive_vector.assert_within_amplification(batch.h[b], want_h[b], A)
        naive_vector.assert_within_amplification(batch.h[b, -1:], h_n[0, b:b + 1].numpy(), A[-1:])
        naive_vector.assert_within_amplification(batch.c[b, -1:], c_n[0, b:b + 1].numpy(), A[-1:],
                                                 "c")


def test_exact_equals_torch_lstm_cell_at_every_step(torch):
    rng = np.random.default_rng(7)
    torch.manual_seed(7)
    module = torch.nn.LSTMCell(3, 4, dtype=torch.float64)
    cell = LSTMCell.from_torch(module)
    x = rng.normal(0, 2.0, (80, 3))
    h0, c0 = rng.uniform(-1, 1, (2, 4))
    got = run_vector(cell, x, h0=h0, c0=c0)
    h, c = torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]
    want_h, want_c = [], []
    with torch.no_grad():
        for t in range(len(x)):
            h, c = module(torch.from_numpy(x[t])[None], (h, c))
            want_h.append(h[0].numpy())
            want_c.append(c[0].numpy())
    A = naive_vector.amplification(cell, x, h0, c0)
    naive_vector.assert_within_amplification(got.h, want_h, A)
    naive_vector.assert_within_amplification(got.c, want_c, A, "c")


def ill_conditioned():
    """A 3-unit cell with large weights (sd 4) whose forget and input gates are biased open,
    so that c drifts to about 15 while pre-activations of h cross the band: along its 60
    steps, rounding errors can grow by up to 2.6e5 (the kind of trained network on which
    fastlstm and torch were found 1.5e-12 apart).  (cell, x, h0, c0)."""
    rng = np.random.default_rng(141)
    n = 3
    W_ih, W_hh = rng.normal(0, 4, (4 * n, 1)), rng.normal(0, 4, (4 * n, n))
    b = rng.normal(0, 1, 4 * n) + np.repeat([3.0, 5.0, 0.0, 0.0], n)  # rows i, f, g, o
    x = rng.normal(0, 1, 60)
    h0, c0 = rng.uniform(-0.5, 0.5, n), rng.uniform(-0.5, 0.5, n)
    return LSTMCell(W_ih, W_hh, b), x, h0, c0


def test_an_ill_conditioned_cell_agrees_with_torch_within_its_amplification(torch):
    import symbolic as sym

    cell, x, h0, c0 = ill_conditioned()
    got = run_vector(cell, x, h0=h0, c0=c0)
    module = torch.nn.LSTM(1, 3, dtype=torch.float64)
    module.load_state_dict({"weight_ih_l0": torch.from_numpy(np.array(cell.W_ih)),
                            "weight_hh_l0": torch.from_numpy(np.array(cell.W_hh)),
                            "bias_ih_l0": torch.from_numpy(np.array(cell.b_ih)),
                            "bias_hh_l0": torch.from_numpy(np.array(cell.b_hh))})
    with torch.no_grad():
        out, (_, c_n) = module(torch.from_numpy(x).reshape(-1, 1, 1),
                               (torch.from_numpy(h0)[None, None], torch.from_numpy(c0)[None, None]))
    want_h, want_c = out[:, 0].numpy(), c_n[0].numpy()
    ref = sym.simulate_vector(cell, x.tolist(), digits=61, h0=h0.tolist(), c0=c0.tolist())
    exact_h = np.array([[float(v) for v in row] for row in ref.h])  # 61 digits: ~200 bits
    A = naive_vector.amplification(cell, x, h0, c0)
    # the measure is the rule's: the symbolic engine's A_t, on its exact trajectory
    np.testing.assert_allclose(A, sym.vector_amplification(ref), rtol=1e-6)
    assert np.abs(got.c).max() > 14 and A.max() > 1e5  # the cell is what it is meant to be
    # both engines are within the rule of the exact values, so of each other
    naive_vector.assert_within_amplification(got.h, exact_h, A, "fastlstm against 200 bits")
    naive_vector.assert_within_amplification(want_h, exact_h, A, "torch against 200 bits")
    naive_vector.assert_within_amplification(got.h, want_h, A, "fastlstm against torch")
    naive_vector.assert_within_amplification(got.c[-1:], want_c[None], A[-1:], "c")


def test_a_stacked_lstm_is_its_layers_in_turn(torch):
    torch.manual_seed(3)
    module = torch.nn.LSTM(2, 3, num_layers=2, batch_first=True, dtype=torch.float64)
    x = np.random.default_rng(3).normal(size=(1, 60, 2))
    with torch.no_grad():
        want = module(torch.from_numpy(x))[0][0].numpy()
    first = run_vector(LSTMCell.from_torch(module, layer=0), x[0]).h
    second = run_vector(LSTMCell.from_torch(module, layer=1), first).h
    np.testing.assert_allclose(second, want, rtol=0, atol=ATOL)


# --- saturated semantics against a NumPy oracle -----------------------------------------------------


def oracle(cell, x, theta, inclusive, round_feedback, h0, c0, saturated=True):
    """The plain oracle (tests/naive_vector.py): returns (h, c, boundary hits seen)."""
    want = naive_vector.run(cell, x, "saturated" if saturated else "exact", theta, inclusive,
                            round_feedback, h0, c0)
    return want["h"], want["c"], int(want["boundary_hits"].sum())


@pytest.mark.parametrize("sem", SEMANTICS, ids=_ids(SEMANTICS))
@pytest.mark.parametrize("n, m", [(2, 1), (2, 3), (5, 1), (5, 3)])
def test_random_cells_follow_the_oracle(sem, n, m):
    rng = np.random.default_rng(100 * n + m)
    saturated = sem["activation"] == "saturated"
    for theta in (1.0, 2.5):
        cell = random_cell(rng, n, m, scale=1.5)  # wide enough that every regime occurs
        x = rng.normal(0, 1.5, (40, m))
        h0, c0 = rng.uniform(-1, 1, (2, n))
        got = run_vector(cell, x, threshold=theta, h0=h0, c0=c0, **sem)
        want_h, want_c, _ = oracle(cell, x, theta, sem["inclusive"], sem["round_feedback"],
                                   h0, c0, saturated)
        np.testing.assert_allclose(got.h, want_h, rtol=0, atol=1e-12)
        np.testing.assert_allclose(got.c, want_c, rtol=0, atol=1e-12)


@pytest.mark.parametrize("sem", SATURATED, ids=_ids(SATURATED))
def test_exact_boundary_hits_follow_the_oracle(sem):
    """Integer weights, 0/1 inputs and rounded or integral states put many
    pre-activations exactly on |z| = theta = 1, where ``inclusive`` decides.

    The forget gate is kept shut (f = 0), so c = i * g is one rounded product
    in the kernel and in the oracle alike: with f * c + i * g the two could
    differ by an ulp (the kernel may fuse a multiply-add), which is harmless
    except exactly at |c| = theta, the case this test is about.
    """
    rng = np.random.default_rng(42)
    hits_seen = 0
    for _ in range(15):
        n, m = 3, 2
        b = rng.integers(-1, 2, 4 * n)
        b[n:2 * n] = -10  # forget gate: |W_ih x + W_hh h| <= 5, so z_f <= -5
        cell = LSTMCell(rng.integers(-1, 2, (4 * n, m)), rng.integers(-1, 2, (4 * n, n)), b)
        x = rng.integers(0, 2, (30, m)).astype(float)
        got = run_vector(cell, x, **sem)
        want_h, want_c, hits = oracle(cell, x, 1.0, sem["inclusive"], sem["round_feedback"],
                                      np.zeros(n), np.zeros(n))
        hits_seen += hits
        np.testing.assert_allclose(got.h, want_h, rtol=0, atol=1e-12)
        np.testing.assert_allclose(got.c, want_c, rtol=0, atol=1e-12)
        assert got.rounded.tolist() == np.copysign(np.ceil(np.abs(want_h) - 0.5),
                                                   want_h).astype(int).tolist()
    assert hits_seen > 100


def test_the_boundary_decides_per_unit():
    # unit 0's gates sit on the boundary (z_i = z_g = z_o = 1, z_f = -1); unit 1's are
    # well outside it, but its memory c = 1 * 1 lands on it
    b_ih = np.array([1.0, 5.0, -1.0, -5.0, 1.0, 5.0, 1.0, 5.0])  # rows i i f f g g o o
    cell = LSTMCell(np.zeros((8, 1)), np.zeros((8, 2)), b_ih)
    closed = run_vector(cell, [0.0], activation="saturated")
    open_ = run_vector(cell, [0.0], activation="saturated", inclusive=False)
    assert closed.c.tolist() == [[1.0, 1.0]] and closed.h.tolist() == [[1.0, 1.0]]
    s = 1 / (1 + np.exp(-1.0))
    c0 = s * np.tanh(1.0)  # f * 0 + i * g, all exact in the band
    np.testing.assert_allclose(open_.c, [[c0, 1.0]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(open_.h, [[s * np.tanh(c0), np.tanh(1.0)]], rtol=0, atol=1e-15)


def test_rounded_feedback_rounds_each_unit_and_keeps_the_sign_of_zero():
    # h_u = o * tanh(c) with o = 1/2 (z_o = 0): unit 0 gives +0.5*tanh(1) -> 0, unit 1 -> -0
    b_ih = np.array([50.0, 50.0, -50.0, -50.0, 1.0, -1.0, 0.0, 0.0])
    cell = LSTMCell(np.zeros((8, 1)), np.zeros((8, 2)), b_ih)
    fed = run_vector(cell, [0.0, 0.0], round_feedback=True)
    assert fed.h.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert np.signbit(fed.h[:, 1]).all() and not np.signbit(fed.h[:, 0]).any()
    assert fed.rounded.tolist() == [[0, 0], [0, 0]]
    assert fed.c[0].tolist() != [0.0, 0.0]  # c is never rounded


# --- batches ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("sem", SEMANTICS, ids=_ids(SEMANTICS))
def test_batch_rows_equal_single_runs_bit_for_bit(sem):
    rng = np.random.default_rng(5)
    cell = random_cell(rng, 3, 2, scale=1.5)
    X = rng.normal(0, 1.5, (37, 25, 2))
    h0 = rng.uniform(-1, 1, (37, 3))
    c0 = rng.uniform(-1, 1, 3)  # shared by every sequence
    batch = run_batch_vector(cell, X, h0=h0, c0=c0, **sem)
    assert batch.h.shape == batch.c.shape == (37, 25, 3) and len(batch) == 25
    for s in range(37):
        one = run_vector(cell, X[s], h0=h0[s], c0=c0, **sem)
        assert same_bits(batch.h[s], one.h) and same_bits(batch.c[s], one.c), s


# --- the wrappers ----------------------------------------------------------------------------------


def test_shapes_defaults_and_empty_sequences():
    cell = random_cell(np.random.default_rng(6), 2, 1)
    a = run_vector(cell, [0.5, -1.0, 2.0])
    b = run_vector(cell, [[0.5], [-1.0], [2.0]])
    assert a.h.shape == (3, 2) and same_bits(a.h, b.h) and len(a) == 3
    assert a.semantics == fl.Semantics()
    assert same_bits(run_vector(cell, [1.0, 2.0], h0=0.3).h,
                     run_vector(cell, [1.0, 2.0], h0=[0.3, 0.3]).h)
    assert run_vector(cell, np.empty(0)).h.shape == (0, 2)
    assert run_batch_vector(cell, np.empty((4, 0))).h.shape == (4, 0, 2)
    assert run_batch_vector(cell, np.empty((0, 5))).h.shape == (0, 5, 2)
    strided = np.arange(12.0).reshape(2, 6)[:, ::2]  # not contiguous
    assert same_bits(run_batch_vector(cell, strided).h[1], run_vector(cell, [6.0, 8.0, 10.0]).h)


@pytest.mark.parametrize("call, kind, match", [
    (lambda c: run_vector("cell", [1.0]), TypeError, "cell must be an LSTMCell"),
    (lambda c: run_vector(c, [1.0, 2.0]), ValueError,
     r"x must have shape \(T, 3\) for a cell with input_size 3, got shape \(2,\)"),
    (lambda c: run_vector(c, np.zeros((4, 2))), ValueError, r"x must have shape \(T, 3\)"),
    (lambda c: run_vector(c, [[1.0, np.nan, 0.0]]), ValueError, "x must be finite"),
    (lambda c: run_vector(c, [["a", "b", "c"]]), TypeError, "x must hold real numbers"),
    (lambda c: run_vector(c, np.zeros((4, 3)), h0=[1.0]), ValueError,
     r"h0 must be a scalar or have shape \(2,\), got shape \(1,\)"),
    (lambda c: run_vector(c, np.zeros((4, 3)), c0=np.nan), ValueError, "c0 must be finite"),
    (lambda c: run_vector(c, np.zeros((4, 3)), h0=np.zeros((1, 2))), ValueError, "h0 must be"),
    (lambda c: run_vector(c, np.zeros((4, 3)), threshold=0), ValueError, "threshold must be"),
    (lambda c: run_vector(c, np.zeros((4, 3)), activation="hard"), ValueError, "activation"),
    (lambda c: run_batch_vector(c, np.zeros((4, 3))), ValueError, r"X must have shape \(B, T, 3\)"),
    (lambda c: run_batch_vector(c, np.zeros((4, 5, 3)), h0=np.zeros((3, 2))), ValueError,
     r"h0 must be a scalar or have shape \(2,\) or \(4, 2\)"),
    # as a state True is no number: refused as fl.run and fl.run_batch refuse it
    (lambda c: run_vector(c, np.zeros((4, 3)), h0=True), TypeError, "h0 must be a real number"),
    (lambda c: run_vector(c, np.zeros((4, 3)), h0=np.array([True, False])), TypeError,
     "h0 must hold real numbers, got dtype bool"),
    (lambda c: run_vector(c, np.zeros((4, 3)), c0=[False, True]), TypeError,
     "c0 must hold real numbers, got dtype bool"),
    (lambda c: run_batch_vector(c, np.zeros((4, 5, 3)), h0=np.ones((4, 2), bool)), TypeError,
     "h0 must hold real numbers, got dtype bool"),
    (lambda c: run_vector(c, np.zeros((4, 3)), h0=[[0.0], [1.0, 2.0]]), ValueError,
     "h0 must be a rectangular array of real numbers"),
])
def test_validation(call, kind, match):
    with pytest.raises(kind, match=match):
        call(random_cell(np.random.default_rng(8), 2, 3))


def test_one_input_cells_name_both_shapes():
    cell = random_cell(np.random.default_rng(9), 2, 1)
    with pytest.raises(ValueError, match=r"x must have shape \(T,\) or \(T, 1\)"):
        run_vector(cell, np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"X must have shape \(B, T\) or \(B, T, 1\)"):
        run_batch_vector(cell, np.zeros(3))


def test_read_only_inputs_are_accepted():
    cell = random_cell(np.random.default_rng(10), 2, 1)
    x = np.array([0.5, -1.0])
    h0 = np.array([0.1, 0.2])
    want = run_vector(cell, x, h0=h0).h
    x.flags.writeable = h0.flags.writeable = False
    assert same_bits(run_vector(cell, x, h0=h0).h, want)
    assert same_bits(run_batch_vector(cell, x[None], h0=h0).h[0], want)




def test_what_runs_derive_from_a_cell_is_made_once_and_is_not_its_value():
    """The kernels' weight layouts and the screen's row sums are kept on the cell
    (``vector._derived``): later runs reuse them, and equality, hashing and pickling
    see only the four arrays."""
    import pickle

    from fastlstm import vector

    rng = np.random.default_rng(11)
    for n, m in ((2, 1), (6, 2), (9, 1)):
        cell = random_cell(rng, n, m)
        twin = LSTMCell(cell.W_ih, cell.W_hh, cell.b_ih, cell.b_hh)
        x = rng.normal(0, 1, (30, m))
        first = run_vector(cell, x)
        data = vector._derived(cell)
        weights = data.weights(cell)
        assert weights._traced is None        # plain runs keep no transposed copy
        traced = run_vector(cell, x, trace=True)
        assert weights._traced is not None and same_bits(traced.h, first.h)
        again = run_vector(cell, x)
        assert vector._derived(cell) is data and data.weights(cell) is weights
        assert same_bits(first.h, again.h) and same_bits(first.h, run_vector(twin, x).h)
        assert cell == twin and hash(cell) == hash(twin)
        copy = pickle.loads(pickle.dumps(cell))
        assert copy == cell and getattr(copy, "_derived", None) is None
        # the layouts hold the transposed weights and the summed bias, 64-byte aligned
        W_ihT, W_hhT, b = weights.traced
        assert same_bits(W_ihT, cell.W_ih.T) and same_bits(W_hhT, cell.W_hh.T)
        assert same_bits(b, cell.bias())
        assert all(w.ctypes.data % 64 == 0 for w in weights.traced)


def test_a_row_sum_that_overflows_times_a_zero_input_is_decided_exactly():
    """sum_j |W_ih[0, j]| overflows to inf and max|x| = 0: the float estimate of row 0
    is inf * 0 = NaN, which must not pass the screen; exactly, the row's bound is
    |W_hh[0, 0]| * max(|h0|, 1) = 1.5e308 > 2**1023, so the run is refused."""
    W_ih, W_hh = np.zeros((4, 2)), np.zeros((4, 1))
    W_ih[0], W_hh[0, 0] = 1e308, 1.5e308
    cell = LSTMCell(W_ih, W_hh)
    with pytest.raises(ValueError, match=r"row 0 \(gate i, unit 0\).* = 1\.50e\+308 exceeds"):
        run_vector(cell, np.zeros((3, 2)))
    W_hh[0, 0] = 1e307  # the same infinite row sum, times 0: a bound of 1e307 passes
    assert run_vector(LSTMCell(W_ih, W_hh), np.zeros((3, 2))).h.shape == (3, 1)


def test_kept_semantics_never_let_an_equal_bad_argument_through():
    """Runs keep the ``Semantics`` of recent arguments; a bool equal to a good number
    (True == 1), or a 1 where a bool is due, is still refused, and so are unhashable
    arguments."""
    cell = random_cell(np.random.default_rng(12), 2, 1)
    x = np.zeros(3)
    run_vector(cell, x, threshold=1, inclusive=True)
    with pytest.raises(TypeError, match="threshold must be a real number, got bool"):
        run_vector(cell, x, threshold=True)
    with pytest.raises(TypeError, match="inclusive must be True or False, got 1"):
        run_vector(cell, x, threshold=1, inclusive=1)
    with pytest.raises(TypeError, match="threshold must be a real number, got list"):
        run_batch_vector(cell, x[None], threshold=[1.0])
    assert run_vector(cell, x, threshold=np.float64(2.0)).semantics.threshold == 2.0
