"""fl.lyapunov and fl.sweep(record="lyapunov"): hand derivations, a brute-force
estimate from nearby trajectories in mpmath, the symbolic Jacobian, bad input."""

import math
import signal
import threading
import time

import mpmath
import numpy as np
import pytest

import fastlstm as fl
import symbolic as sym
from symbolic.symbols import c_prev, h_prev
from tests.naive import run as naive_run
from tests.naive import sigmoid

PARITY = fl.presets.parity()
#: A cell with no weight on h: every gate is constant under a constant input.
NO_FEEDBACK = fl.ScalarLSTM(W_fx=0.5, b_f=1.0, W_ix=1.0, b_i=0.3, W_ox=0.2, b_o=0.1,
                            W_cx=1.0, b_c=0.5)
Q0 = (math.cos(1.0), math.sin(1.0))  # the documented start of the tangent direction


# --- hand derivations ----------------------------------------------------------

def test_cell_without_feedback_by_hand():
    # With W_kh = 0 the map is c -> f c + i g (f, i, g constant), h = o tanh(c), so
    # J_t = [[0, a_t f], [0, f]] with a_t = o tanh'(c_t).  The product telescopes:
    # J_n ... J_1 = f**n [[0, a_n], [0, 1]], and QR's r11 multiply up to
    # |J_n ... J_1 q0| = f**n |sin 1| sqrt(1 + a_n**2).  det J_t = 0: the second is -inf.
    n, transient, x = 500, 50, 0.7
    lam = fl.lyapunov(NO_FEEDBACK, x, transient=transient, steps=n)
    f = sigmoid(0.5 * x + 1.0)
    o = sigmoid(0.2 * x + 0.1)
    c_n = naive_run(NO_FEEDBACK, [x] * (transient + n))["c"][-1]
    a_n = o * (1.0 - math.tanh(c_n) ** 2)
    expected = math.log(f) + (math.log(Q0[1]) + 0.5 * math.log1p(a_n * a_n)) / n
    assert abs(lam[0] - expected) < 1e-12
    assert lam[1] == -np.inf


def test_parity_fixed_point_reading_zeros_by_hand():
    # x = 0 from (0, 0): z_g = -100 h = 0, so c = h = 0 for good.  There
    # J = [[-50 i, f/2], [-100 i, f]] (o = 1/2, tanh'(0) = 1, i = sigmoid(100)): both
    # columns are multiples of (1/2, 1), the eigenvector of f - 50 i; the other
    # eigenvalue is 0.  The first step maps q0 to (1/2, 1)(-100 i cos 1 + f sin 1);
    # every later step multiplies by |f - 50 i|.
    n = 300
    i, f = sigmoid(100.0), sigmoid(-100.0)
    lam = fl.lyapunov(PARITY, 0, steps=n)
    first = math.sqrt(1.25) * abs(-100 * i * Q0[0] + f * Q0[1])
    expected = (math.log(first) + (n - 1) * math.log(abs(f - 50 * i))) / n
    assert lam[0] == pytest.approx(expected, rel=1e-14)
    assert lam[1] == -np.inf


def test_rounded_feedback_by_hand():
    # Same fixed point with round_feedback: the h row of J is 0 (rounding is flat), so
    # J = [[0, 0], [-100 i, f]], J_n ... J_1 = [[0, 0], [f**(n-1) (-100 i), f**n]], and
    # |J_n ... J_1 q0| = f**(n-1) |-100 i cos 1 + f sin 1|.
    n = 200
    i, f = sigmoid(100.0), sigmoid(-100.0)
    lam = fl.lyapunov(PARITY, 0, round_feedback=True, steps=n)
    expected = ((n - 1) * math.log(f) + math.log(abs(-100 * i * Q0[0] + f * Q0[1]))) / n
    assert lam[0] == pytest.approx(expected, rel=1e-13)
    assert lam[1] == -np.inf


def test_saturated_parity_is_locally_constant():
    # Reading ones, h alternates +-1 and every pre-activation is saturated
    # (z_f = -100, z_i = 200, z_o = 100, z_g = 50 -+ 100, c = +-1 on the closed
    # boundary): J = 0, both exponents -inf.
    assert fl.lyapunov(PARITY, 1, activation="saturated").tolist() == [-np.inf, -np.inf]
    assert fl.lyapunov(PARITY, [1, 1, 0], activation="saturated").tolist() == [-np.inf, -np.inf]


def test_exact_parity_reading_ones_by_hand():
    # W_fh = W_ih = W_oh = 0: only the candidate depends on h, so J_t = u_t v_t^T with
    # u_t = (o ds_t, 1) (ds_t = tanh'(c_t)) and v_t = (dc_dh_t, f), dc_dh_t = i tanh'(z_g) W_ch:
    # rank 1, det 0.  The product telescopes, J_n ... J_1 q0 = u_n (v_n . u_{n-1}) ...
    # (v_2 . u_1)(v_1 . q0).  On the cycle h = +-tanh 1 the slopes are about e**-52 and
    # e**-252, where s (1 - s) or 1 - tanh**2 would round to 0: they must not.
    transient, n = 20, 200
    lam = fl.lyapunov(PARITY, 1, transient=transient, steps=n)
    tr = naive_run(PARITY, [1.0] * (transient + n))
    f, i, o = sigmoid(-100.0), sigmoid(200.0), sigmoid(100.0)

    def tanh_slope(z):  # 4 e / (1 + e)**2, e = exp(-2|z|): no cancellation
        e = math.exp(-2 * abs(z))
        return 4 * e / (1 + e) ** 2

    total, u_prev = 0.0, Q0
    for t in range(transient, transient + n):
        dc_dh = i * tanh_slope(50.0 - 100.0 * tr["h"][t - 1]) * -100.0
        u = (o * tanh_slope(tr["c"][t]), 1.0)
        total += math.log(abs(dc_dh * u_prev[0] + f * u_prev[1]))
        u_prev = u
    total += math.log(math.hypot(*u_prev))
    assert lam[0] == pytest.approx(total / n, rel=1e-12)
    assert -80 < lam[0] < -70 and lam[1] == -np.inf


# --- brute force: two nearby trajectories in mpmath -------------------------------

def _mp_step(p, h, c, x):
    sig = lambda z: 1 / (1 + mpmath.exp(-z))  # noqa: E731
    z = {k: p[f"W_{k}h"] * h + (p[f"W_{k}x"] * x + p[f"b_{k}"]) for k in "fioc"}
    c_new = sig(z["f"]) * c + sig(z["i"]) * mpmath.tanh(z["c"])
    return sig(z["o"]) * mpmath.tanh(c_new), c_new


def _brute_force(cell, x, transient, steps, delta=mpmath.mpf("1e-30")):
    """Both exponents from three trajectories (one and two perturbed by delta along an
    orthonormal frame), re-orthonormalised each step (Benettin's method), at 60 digits."""
    with mpmath.workdps(60):
        p = {k: mpmath.mpf(v) for k, v in cell.to_dict().items()}
        xs = [mpmath.mpf(float(v)) for v in np.resize(np.asarray(x, float), transient + steps)]
        h = c = mpmath.mpf(0)
        for t in range(transient):
            h, c = _mp_step(p, h, c, xs[t])
        u = [mpmath.cos(1), mpmath.sin(1)]
        sums = [mpmath.mpf(0), mpmath.mpf(0)]
        for t in range(transient, transient + steps):
            base = _mp_step(p, h, c, xs[t])
            frame = [u, [-u[1], u[0]]]
            moved = []
            for v in frame:
                hh, cc = _mp_step(p, h + delta * v[0], c + delta * v[1], xs[t])
                moved.append([(hh - base[0]) / delta, (cc - base[1]) / delta])
            r11 = mpmath.sqrt(moved[0][0] ** 2 + moved[0][1] ** 2)
            u = [moved[0][0] / r11, moved[0][1] / r11]
            r22 = abs(u[0] * moved[1][1] - u[1] * moved[1][0])
            sums[0] += mpmath.log(r11)
            sums[1] += mpmath.log(r22)
            h, c = base
        return [float(s / steps) for s in sums]


@pytest.mark.parametrize("seed, x", [(1, 0.5), (2, [0.0, 1.0]), (3, [1.0, -0.5, 0.25])])
def test_against_nearby_trajectories_in_mpmath(seed, x):
    rng = np.random.default_rng(seed)
    cell = fl.ScalarLSTM.from_array(rng.normal(scale=3.0, size=12))
    transient, steps = 10, 40
    lam = fl.lyapunov(cell, x, transient=transient, steps=steps)
    # The float64 trajectory and the 60-digit one part by rounding errors carried by
    # the map (at most e**(40 * max(lam, 0)) ulp); the exponents are means of smooth
    # functions of the state, so they agree far below 1e-9 on these contracting cells.
    assert lam[0] < 0
    assert lam.tolist() == pytest.approx(_brute_force(cell, x, transient, steps), abs=1e-9)


# --- the symbolic Jacobian at points of a trajectory ------------------------------

@pytest.mark.parametrize("semantics", [
    dict(),
    dict(activation="saturated", threshold=2.0),
    dict(activation="saturated", threshold=2.0, inclusive=False, round_feedback=True),
])
def test_against_symbolic_jacobian(semantics):
    # Evaluate symbolic.jacobian (the step map differentiated by SymPy) at the states
    # of the float64 trajectory and run the same QR in plain floats.
    cell = fl.ScalarLSTM(W_fh=0.8, W_fx=0.3, b_f=0.5, W_ih=-0.7, W_ix=1.0, b_i=0.2,
                         W_oh=1.1, W_ox=-0.4, b_o=0.6, W_ch=-2.5, W_cx=1.5, b_c=0.1)
    x = [1.0, 0.0]
    transient, steps = 4, 12
    tr = fl.run(cell, np.resize(x, transient + steps), **semantics)
    jac = {v: sym.jacobian(cell.to_dict(), v, **semantics) for v in x}
    u = Q0
    sums = [0.0, 0.0]
    for t in range(transient, transient + steps):
        point = {h_prev: tr.h[t - 1], c_prev: tr.c[t - 1]}
        J = np.array(jac[x[t % 2]].subs(point).evalf(30).tolist(), dtype=float)
        v = J @ u
        r11 = math.hypot(*v)
        sums[0] += math.log(r11)
        sums[1] += math.log(abs(np.linalg.det(J))) - math.log(r11) if np.linalg.det(J) else -math.inf
        u = v / r11
    expected = [s / steps for s in sums]
    lam = fl.lyapunov(cell, x, transient=transient, steps=steps, **semantics)
    assert lam.tolist() == pytest.approx(expected, rel=1e-10, abs=1e-12)


# --- the sweep record -------------------------------------------------------------

@pytest.mark.parametrize("semantics", [dict(), dict(activation="saturated", round_feedback=True)])
def test_sweep_rows_are_lyapunov_bit_for_bit(semantics):
    # 70 cells: a full block of 64 lanes and a short one; chunks of 64 rows.
    table = fl.random_params(70, -2.0, 2.0, seed=5)
    res = fl.sweep(table, [0.0, 1.0], record="lyapunov", transient=20, steps=60,
                   chunk_size=64, **semantics)
    one = [fl.lyapunov(p, [0.0, 1.0], transient=20, steps=60, **semantics)[0]
           for p in res.params]
    assert res.lyapunov.shape == (70,)
    assert np.array_equal(res.lyapunov, one)
    assert res.h is None and res.accuracy is None and res.record == "lyapunov"


def test_sweep_grid_and_progress():
    calls = []
    grid = fl.grid(base=PARITY, W_ch=[-100.0, 0.0], b_f=[-100.0, 0.0, 1.0])
    res = fl.sweep(grid, 0, record="lyapunov", steps=50,
                   progress=lambda done, total: calls.append((done, total)))
    assert res.to_grid("lyapunov").shape == (2, 3)
    assert calls[-1] == (6, 6)
    # W_ch = -100, b_f = -100: the parity cell's fixed point (see the hand derivation)
    assert res.to_grid("lyapunov")[0, 0] == fl.lyapunov(PARITY, 0, steps=50)[0]


@pytest.mark.parametrize("semantics", [dict(), dict(activation="saturated", threshold=2.0)])
def test_sweep_in_float32(semantics):
    # float32 state, Jacobian and tangent vector (activations within a few float32 ulp):
    # on these contracting cells each exponent is a mean of logs of smooth functions of
    # the state, so it moves by about the relative error of a step's numbers, ~1e-6.
    table = fl.random_params(100, -2.0, 2.0, seed=11)
    kw = dict(record="lyapunov", transient=20, steps=200, **semantics)
    single = fl.sweep(table, [1.0, 0.0, 0.5], dtype="float32", **kw)
    double = fl.sweep(table, [1.0, 0.0, 0.5], **kw)
    assert single.dtype == "float32" and single.lyapunov.dtype == np.float64
    assert np.all(double.lyapunov < 0)
    np.testing.assert_allclose(single.lyapunov, double.lyapunov, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="float32"):
        fl.sweep(fl.ScalarLSTM(W_fx=1e39), 1.0, dtype="float32", **kw)


def test_sweep_in_float32_on_strongly_contracting_cells():
    # Weights up to 30: a step shrinks the tangent vector by up to e**-30 and more, so
    # |J q1| and the product of the r's leave float32's range within a few steps; they
    # are rescaled by exact powers of two and the product kept as a float32 mantissa in
    # [1, 2) and an exponent apart (an earlier float32 kernel lost 10 of these cells to
    # -inf).  The float64 sweep is the reference: no cell may be lost, and the exponents
    # agree as on moderate cells, but for the few whose float32 trajectory itself parts
    # from the float64 one (a gate that is exactly 0 in float32).
    table = fl.random_params(400, -30.0, 30.0, seed=3)
    x = np.random.default_rng(1).standard_normal(7)
    kw = dict(record="lyapunov", transient=50, steps=300)
    single = fl.sweep(table, x, dtype="float32", **kw).lyapunov
    double = fl.sweep(table, x, **kw).lyapunov
    assert np.all(np.isfinite(double)) and np.min(double) < -25
    assert np.all(np.isfinite(single))
    close = np.abs(single - double) <= 1e-4 * np.abs(double) + 1e-5
    assert close.mean() >= 0.99, np.sort(np.abs(single - double))[-10:]


def test_sweep_on_dask_workers_gives_the_same_bits():
    distributed = pytest.importorskip("distributed", reason="Dask is not installed")
    table = fl.random_params(130, -2.0, 2.0, seed=7)
    kw = dict(record="lyapunov", transient=10, steps=40, chunk_size=64)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=None) as client:
        on_dask = fl.sweep(table, [1.0, 0.0], backend="dask", client=client, **kw)
    assert np.array_equal(on_dask.lyapunov, fl.sweep(table, [1.0, 0.0], **kw).lyapunov)


# --- bad input --------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, match", [
    (dict(x=[]), ValueError, "non-empty"),
    (dict(x=[[0.0, 1.0]]), ValueError, r"x must be a number or one period .* got shape \(1, 2\)"),
    (dict(x=[0.0, np.nan]), ValueError, "x must be finite"),
    (dict(x="1"), TypeError, "x must hold real numbers"),
    (dict(steps=0), ValueError, r"steps must be an integer in \[1, .*\], got 0"),
    (dict(steps=10.0), TypeError, "steps must be an integer"),
    (dict(transient=-1), ValueError, r"transient must be an integer in \[0, .*\], got -1"),
    (dict(h0=np.inf), ValueError, "h0 must be finite"),
    (dict(activation="linear"), ValueError, "activation"),
])
def test_lyapunov_refuses_bad_input(kwargs, error, match):
    args = dict(x=1.0) | kwargs
    with pytest.raises(error, match=match):
        fl.lyapunov(PARITY, args.pop("x"), **args)


def test_lyapunov_refuses_a_bad_cell():
    with pytest.raises(TypeError, match="cell"):
        fl.lyapunov("parity", 1)
    with pytest.raises(ValueError, match="overflow"):
        fl.lyapunov(fl.ScalarLSTM(W_fh=1e308, W_fx=1e308, b_f=5), -1e308, h0=1e308)
    # weights on h of 1e148: pre-activations are fine, but the Jacobian's entries can reach
    # 1e148 * (steps + transient + 1) and the squared norm of a tangent vector would overflow
    with pytest.raises(ValueError, match="too large for the tangent map"):
        fl.lyapunov(fl.ScalarLSTM(W_ch=1e148), 1)
    assert np.isfinite(fl.lyapunov(fl.ScalarLSTM(W_ch=1e145), 1, steps=10)[0])


@pytest.mark.parametrize("kwargs, match", [
    (dict(target=[1]), "scores nothing"),
    (dict(h0=[0.0, 0.0]), "h0 must be a number"),
    (dict(steps=0), r"steps must be an integer in \[1, .*\], got 0"),
    (dict(params=np.diag(np.full(12, 1e149))), "params row 0: the weights on h are too large"),
])
def test_sweep_lyapunov_refuses_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        args = dict(params=fl.random_params(3, seed=0)) | kwargs
        fl.sweep(args.pop("params"), [1.0], record="lyapunov", **args)


# --- long runs: slices of steps, Ctrl-C, sizes refused ---------------------------

@pytest.mark.parametrize("saturated, float32", [(False, False), (True, False), (False, True)])
def test_slices_of_steps_give_the_bits_of_one_call(saturated, float32):
    # The kernel carries h, c, the tangent vector and the products' mantissas and
    # exponents from one call to the next: one step per call (the transient ending
    # inside a call or not) must give the bits of a single call.  70 cells: a full
    # block of 64 lanes and a short one.
    from fastlstm._kernels.lyapunov import LANES, make_lyapunov_kernel

    run = make_lyapunov_kernel(saturated, float32)
    f = np.float32 if float32 else np.float64
    P = fl.random_params(70, -2.0, 2.0, seed=3).values
    x = np.array([0.0, 1.0, 0.5], f)
    results = []
    for call_steps in (1, 2 * LANES * 7, 10**12):  # 1, 7 and all 63 steps a call
        lam1, lam2 = np.empty(70), np.empty(70)
        run(P, f(1.5), True, False, x, f(0.25), f(-0.5), 13, 50, lam1, lam2,
            call_steps=call_steps)
        results.append(np.concatenate([lam1, lam2]))
    assert np.isfinite(results[0][:70]).sum() >= 60  # mostly real numbers, not -inf
    for other in results[1:]:
        assert np.array_equal(results[0], other)


def _interrupted_after(seconds, call):
    """``(error, elapsed)``: run ``call`` with a real SIGINT sent to this process after
    ``seconds`` (Python's own handler installed, as in a script)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(seconds, signal.raise_signal, (signal.SIGINT,))
    start = time.perf_counter()
    try:
        timer.start()
        call()
    except KeyboardInterrupt as exc:
        return exc, time.perf_counter() - start
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    pytest.fail("the call ran to its end: the SIGINT was not handled")


def test_ctrl_c_stops_a_long_lyapunov_run():
    # 10**9 steps of 64 lanes would take about half an hour; Ctrl-C must stop it
    # between two slices of steps (a liveness bound, not a benchmark).
    fl.lyapunov(PARITY, 0, steps=10)  # compiled outside the bound
    err, elapsed = _interrupted_after(0.5, lambda: fl.lyapunov(PARITY, 0, steps=10**9))
    assert type(err) is KeyboardInterrupt
    assert elapsed < 30


def test_ctrl_c_stops_a_long_lyapunov_sweep_keeping_the_finished_rows():
    grid = fl.grid(base=PARITY, W_ch=[-1.0, 0.0, 1.0])
    fl.sweep(grid, 0, record="lyapunov", steps=10)  # compiled outside the bound
    err, elapsed = _interrupted_after(
        0.5, lambda: fl.sweep(grid, 0, record="lyapunov", steps=2**31 - 1))
    assert isinstance(err, fl.SweepInterrupted)
    assert elapsed < 30
    assert err.completed.tolist() == [False] * 3  # one chunk, stopped inside
    assert err.result.lyapunov.shape == (3,)


@pytest.mark.parametrize("kwargs, match", [
    (dict(transient=2**63 - 1), r"transient must be an integer in \[0, 4503599627370496\]"),
    (dict(steps=2**63), r"steps must be an integer in \[1, 4503599627370496\], got an integer of"),
    (dict(transient=2**51, steps=2**51 + 1), r"transient \+ steps must be at most 2\*\*52"),
])
def test_sizes_beyond_the_exact_range_are_refused(kwargs, match):
    # The products' binary exponents (int64) move by < 2**11 a step and the mean
    # divides by steps as a float64: transient + steps <= 2**52 keeps both exact.
    with pytest.raises(ValueError, match=match):
        fl.lyapunov(PARITY, 0, **kwargs)
    with pytest.raises(ValueError, match=match):
        fl.sweep(fl.random_params(3, seed=0), 0, record="lyapunov", **kwargs)


# --- the command line -------------------------------------------------------------

def test_cli_sweep_records_exponents_and_draws_the_chaos_map(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="--plot needs matplotlib")
    from fastlstm.cli import main

    out, png = tmp_path / "chaos.npz", tmp_path / "chaos.png"
    main(["sweep", "--axis", "W_ch=-100:0:3", "--axis", "b_f=-100,0", "--record", "lyapunov",
          "--input", "0", "--steps", "50", "--no-progress", "--out", str(out), "--plot", str(png)])
    text = capsys.readouterr().out
    saved = np.load(out)
    expected = fl.sweep(fl.grid(base=PARITY, W_ch=[-100.0, -50.0, 0.0], b_f=[-100.0, 0.0]), 0,
                        record="lyapunov", steps=50).to_grid("lyapunov")
    assert np.array_equal(saved["lyapunov"], expected)
    assert saved["lyapunov"][0, 0] == fl.lyapunov(PARITY, 0, steps=50)[0]
    assert png.stat().st_size > 0 and "saved" in text and "chaos map" in text


def test_cli_sweep_lyapunov_bad_input(capsys):
    from fastlstm.cli import main

    assert main(["sweep", "--axis", "W_ch=-100:0:3", "--record", "lyapunov", "--input", "x",
                 "--no-progress"]) == 2
    assert main(["sweep", "--axis", "W_ch=-100:0:3", "--record", "lyapunov",
                 "--transient", "-1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "transient must be an integer in [0, 4503599627370496], got -1" in err
