"""The compiled core (and the plain oracle) against symbolic, the independent truth.

Each float64 trajectory is compared with ``symbolic.simulate`` step by step:

- values (pre-activations, gates, c, h, raw h) within ``1e-12 * (1 + A_t)`` (times
  ``max(1, |value|)``), where ``A_t`` is ``symbolic.amplification`` along the
  reference trajectory; a value float64 computes without any rounding (the
  reference tracks which: see ``FloatExactness``) must be equal;
- regimes, exact boundary hits and rounded integers identical.

A decision whose reference input lies within that float64 error of the point it is
compared with (``+-theta`` for a regime, a half-integer for rounding) can
legitimately come out the other way.  Such a step is detected from the reference,
and the comparison stops there when the decision changes the values that follow
(saturated mode; rounding under round_feedback), or skips just that regime entry
when it only changes the report (exact mode).  How often that happened is printed
in the terminal summary of the run (tests/counts.py; added over pytest-xdist's workers).
"""

import collections
import functools
import itertools

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Rational

import fastlstm as fl
import symbolic as sym

from . import counts, naive
from .symbolic.test_stepmap import at

EPS = 1e-12
UNIT = 2.0 ** -53
SEMANTICS = [dict(activation=a, inclusive=inc, round_feedback=rf)
             for a in ("exact", "saturated") for inc in (True, False) for rf in (False, True)]
SEMANTICS_IDS = ["{activation}-{inc}-{rf}".format(
    activation=s["activation"], inc="closed" if s["inclusive"] else "open",
    rf="rounded" if s["round_feedback"] else "raw") for s in SEMANTICS]

#: what the comparisons excluded, recorded by ``report`` below for the summary
STATS = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def report(request):
    yield
    counts.record(request.config, "agreement with symbolic", STATS)
    STATS.clear()


# --- the engines, as dicts of arrays with the reference's names -------------------

def compiled(cell, xs, **semantics):
    tr = fl.run(fl.ScalarLSTM(**cell), np.asarray(xs, dtype=float), trace=True, **semantics)
    return {name: getattr(tr, name) for name in (
        "h", "c", "h_raw", "rounded", "gates", "preactivations", "regimes", "boundary_hits")}


def oracle(cell, xs, **semantics):
    return {name: np.array(values) for name, values in naive.run(cell, xs, **semantics).items()}


ENGINES = {"compiled": compiled, "oracle": oracle}


# --- float64 error bounds from the reference ---------------------------------------

def representable(q):
    return q.is_Rational and Rational(float(q)) == q


def exact_sum(*terms):
    """True if every term and every partial sum, in any order, is a float64 number."""
    return all(t is not None and representable(t) for t in terms) and all(
        representable(sum(subset, Rational(0)))
        for size in range(2, len(terms) + 1) for subset in itertools.combinations(terms, size))


class FloatExactness:
    """Which reference values any correct float64 implementation computes exactly.

    A value is exact when it is rational, its inputs are exact, and every product
    and partial sum on its way is representable (so no operation rounds,
    whatever the order or fusing); saturated activations and activations of an
    exact 0 are exact.  Exact values get an error bound of zero.
    """

    def __init__(self, ref):
        self.ref, self.sem = ref, ref.semantics
        self.p = ref.params

    def step(self, t, h_prev_exact, c_prev_exact):
        ref, p, x = self.ref, self.p, self.ref.xs[t]
        h_prev = self.sem.h0 if t == 0 else ref.h[t - 1]
        c_prev = self.sem.c0 if t == 0 else ref.c[t - 1]
        z_exact = [exact_sum(product(p[w_h], True, h_prev, h_prev_exact), p[w_x] * x, p[b])
                   for w_h, w_x, b in sym.symbols.GATE_PARAMS.values()]
        g_exact = [self.activation_exact(t, k, z_exact[k]) for k in range(4)]
        f, i, o, g = ref.gates[t]
        c_exact = exact_sum(product(f, g_exact[0], c_prev, c_prev_exact),
                            product(i, g_exact[1], g, g_exact[3]))
        # tanh_sat(c_t) is exact when saturated (then +-1, the regime) or at c_t = 0
        squash = ref.regimes[t][4] if self.sem.saturating else 0
        h_raw = product(o, g_exact[2], squash, self.activation_exact(t, 4, c_exact))
        return z_exact + [c_exact], g_exact, h_raw is not None and representable(h_raw)

    def activation_exact(self, t, k, z_exact):
        z = self.ref.preactivations[t][k]
        return bool((self.sem.saturating and self.ref.regimes[t][k]) or (z_exact and z == 0))


def product(a, a_exact, b, b_exact):
    """``a * b`` if float64 computes it from exact operands (or an exact zero), else None."""
    if (a_exact and a == 0) or (b_exact and b == 0):
        return Rational(0)
    return a * b if a_exact and b_exact else None


def near(value, points, bound):
    """Whether the reference ``value`` is within ``bound`` of one of ``points``."""
    return bound > 0 and any(abs(value - point) <= bound for point in points)


def half_integers(v):
    k = int(abs(v))
    return [s * (n + Rational(1, 2)) for s in (1, -1) for n in (k - 1, k, k + 1) if n >= 0]


def assert_close(name, expected, actual, exact, t, tol):
    """Equal if float64 computes ``expected`` exactly, else within ``tol * max(1, |expected|)``."""
    bound = 0 if exact else tol * max(1, abs(float(expected)))
    assert abs(float(expected) - actual) <= bound, (name, t, expected, actual, bound)


def check(ref, got, stats, compare=None):
    """Assert agreement step by step; count and stop at decisions float64 may flip.

    ``compare`` (default ``compare_steps``) walks the steps and says where it stopped.
    """
    stopped = (compare or compare_steps)(ref, got, stats)
    if stopped is not None:
        t, reason = stopped
        stats[f"cut: {reason}"] += 1
        stats["steps left uncompared after a cut"] += len(ref) - 1 - t


def compare_steps(ref, got, stats):
    """Compare up to the first flippable decision; return (step, reason) there, else None."""
    sem = ref.semantics
    theta = sem.threshold
    exactness = FloatExactness(ref)
    amplification = sym.amplification(ref)
    h_exact = c_exact = True
    err_h = 0.0
    for t in range(len(ref)):
        stats["steps"] += 1
        tol = EPS * (1 + amplification[t])
        if tol >= 1:
            return t, "no float64 digits left (amplification >= 1e12)"
        close = functools.partial(assert_close, t=t, tol=tol)
        p, x = ref.params, ref.xs[t]
        h_prev = sem.h0 if t == 0 else ref.h[t - 1]
        pre_exact, gate_exact, h_raw_exact = exactness.step(t, h_exact, c_exact)
        z_err = [0.0 if pre_exact[k] else abs(float(p[w_h])) * err_h + 8 * UNIT * float(
                     abs(p[w_h] * h_prev) + abs(p[w_x] * x) + abs(p[b]))
                 for k, (w_h, w_x, b) in enumerate(sym.symbols.GATE_PARAMS.values())]
        c = ref.c[t]
        z_err.append(0.0 if pre_exact[4] else tol * max(1, abs(float(c))))
        flippable = [near(z, (theta, -theta), err) for z, err in zip(ref.preactivations[t], z_err)]

        for k in range(4):
            close(f"z[{k}]", ref.preactivations[t][k], got["preactivations"][t, k], pre_exact[k])
        if sem.saturating and any(flippable[:4]):
            return t, "gate pre-activation within float64 error of +-theta"
        for k in range(4):
            close(f"gate[{k}]", ref.gates[t][k], got["gates"][t, k], gate_exact[k])
        close("c", c, got["c"][t], pre_exact[4])
        if sem.saturating and flippable[4]:
            return t, "c_t within float64 error of +-theta"
        close("h_raw", ref.h_raw[t], got["h_raw"][t], h_raw_exact)
        tie = near(ref.h_raw[t], half_integers(ref.h_raw[t]), 0 if h_raw_exact else tol)
        for k in range(5):
            if flippable[k]:  # exact mode: only the reported regime can differ
                stats["skipped: one regime entry within float64 error (exact mode)"] += 1
                continue
            assert got["regimes"][t, k] == ref.regimes[t][k], ("regime", t, k)
            assert got["boundary_hits"][t, k] == ref.boundary_hits[t][k], ("hit", t, k)
            stats["boundary hits compared (exactly on +-theta)"] += int(ref.boundary_hits[t][k])
        if tie and sem.round_feedback:
            return t, "raw h within float64 error of a rounding tie"
        if tie:  # raw feedback: only this step's rounded report can differ
            stats["skipped: one rounded h within float64 error of a tie (raw feedback)"] += 1
        else:
            assert got["rounded"][t] == ref.rounded[t], ("rounded", t)
        h_exact = h_raw_exact or sem.round_feedback
        close("h", ref.h[t], got["h"][t], h_exact)
        c_exact = pre_exact[4]
        err_h = 0.0 if h_exact else tol * max(1, abs(float(ref.h[t])))
        stats["steps compared in full"] += 1
    return None


# --- hypothesis strategies -----------------------------------------------------------

weights = st.one_of(st.integers(-200, 200).map(float), st.floats(-200, 200, allow_nan=False),
                    st.integers(-16, 16).map(lambda n: n / 4))  # small dyadics hit +-theta
CELLS = st.fixed_dictionaries({name: weights for name in fl.PARAM_NAMES})
INPUTS = st.one_of(
    st.lists(st.sampled_from([0.0, 1.0]), min_size=1, max_size=8),
    st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=8),
    st.lists(st.integers(-8, 8).map(lambda n: n / 4), min_size=1, max_size=8))
STATES = st.one_of(st.sampled_from([0.0, 0.5, -0.5, 1.0, -1.0]), st.floats(-1.5, 1.5))
THRESHOLDS = st.one_of(st.sampled_from([1.0, 0.5, 2.0, 0.25]), st.floats(0.05, 5))


def agree(engine, cell, xs, h0, c0, threshold, semantics, stats):
    kw = dict(semantics, threshold=threshold, h0=h0, c0=c0)
    try:
        ref = sym.simulate(cell, xs, digits=30, **kw)
    except sym.PrecisionError:  # never seen so far; it would be a cell worth a look
        stats["excluded: the reference could not decide (PrecisionError)"] += 1
        return
    check(ref, ENGINES[engine](cell, xs, **kw), stats)


@pytest.mark.parametrize("semantics", SEMANTICS, ids=SEMANTICS_IDS)
@settings(max_examples=40, deadline=None)
@given(cell=CELLS, xs=INPUTS, h0=STATES, c0=STATES, threshold=THRESHOLDS)
def test_compiled_core_agrees_with_symbolic(semantics, cell, xs, h0, c0, threshold):
    STATS["examples (compiled)"] += 1
    agree("compiled", cell, xs, h0, c0, threshold, semantics, STATS)


@pytest.mark.parametrize("semantics", SEMANTICS, ids=SEMANTICS_IDS)
@settings(max_examples=10, deadline=None)
@given(cell=CELLS, xs=INPUTS, h0=STATES, c0=STATES, threshold=THRESHOLDS)
def test_plain_oracle_agrees_with_symbolic(semantics, cell, xs, h0, c0, threshold):
    STATS["examples (oracle)"] += 1
    agree("oracle", cell, xs, h0, c0, threshold, semantics, collections.Counter())


# --- deterministic cases ---------------------------------------------------------------

PARITY = fl.presets.parity()
PARITY_PARAMS = {name: getattr(PARITY, name) for name in fl.PARAM_NAMES}


@pytest.mark.parametrize("semantics", SEMANTICS, ids=SEMANTICS_IDS)
@pytest.mark.parametrize("xs", [[1, 1, 0, 1, 1], [0, 0, 1, 1, 1, 0]])
def test_worked_example_step_by_step(semantics, xs):
    ref = sym.simulate(PARITY, xs, **semantics)
    got = compiled(PARITY_PARAMS, xs, **semantics)
    stats = collections.Counter()
    check(ref, got, stats)
    assert stats["steps compared in full"] == len(xs)  # nothing is near a decision
    if semantics["activation"] == "saturated" and semantics["inclusive"]:
        # the dyadic saturated rows: identical numbers, regimes and hits
        np.testing.assert_array_equal(got["h"], ref.as_arrays()["h"])
        assert got["boundary_hits"].tolist() == [list(b) for b in ref.boundary_hits]


@pytest.mark.parametrize("semantics", [s for s in SEMANTICS if s["round_feedback"]],
                         ids=[i for i in SEMANTICS_IDS if i.endswith("rounded")])
def test_identical_integers_on_every_short_binary_input(semantics):
    for n in range(1, 7):
        for xs in itertools.product((0, 1), repeat=n):
            ref = sym.simulate(PARITY, xs, digits=20, **semantics)
            assert compiled(PARITY_PARAMS, xs, **semantics)["rounded"].tolist() == list(ref.rounded)


SMALL = st.fixed_dictionaries({name: st.integers(-6, 6).map(lambda n: n / 2) for name in fl.PARAM_NAMES})
QUARTERS = st.integers(-8, 8).map(lambda n: n / 4)


@settings(max_examples=40, deadline=None)
@given(cell=SMALL, x=st.sampled_from([0.0, 1.0, -1.0, 0.5]), hp=QUARTERS, cp=QUARTERS,
       threshold=st.sampled_from([1.0, 0.5, 2.0]), inclusive=st.booleans(),
       round_feedback=st.booleans(), activation=st.sampled_from(["saturated", "saturated", "exact"]))
def test_step_map_against_one_compiled_step(cell, x, hp, cp, threshold, inclusive, round_feedback,
                                            activation):
    sem = dict(activation=activation, threshold=threshold, inclusive=inclusive,
               round_feedback=round_feedback)
    got = compiled(cell, [x], h0=hp, c0=cp, **sem)
    ref = sym.simulate(cell, [x], digits=30, h0=hp, c0=cp, **sem)
    stats = collections.Counter()
    check(ref, got, stats)  # tells whether the compiled step is comparable at all
    if not stats["steps compared in full"]:
        STATS["step map: compiled step not comparable (near a decision)"] += 1
        return
    m = sym.step_map(cell, x, **sem)
    point = {sym.h_prev: Rational(hp), sym.c_prev: Rational(cp)}
    for key in ("c", "h"):
        value = at(m[key], point)
        expected = ref.c[0] if key == "c" else ref.h[0]
        if expected.is_Rational and representable(expected):
            assert value == expected and float(value) == got[key][0]
        else:
            tol = EPS * (1 + sym.amplification(ref)[0]) * max(1, abs(float(expected)))
            assert abs(float(sympy.N(value, 30)) - got[key][0]) <= tol



def test_a_parallel_run_prints_the_counts_in_its_summary():
    # docs/symbolic.md: "A CI run prints its own counts".  CI runs the suite under
    # pytest-xdist (-n auto), whose workers have no terminal: the counts travel to the
    # controller and are printed in the terminal summary, added over the workers.
    pytest.importorskip("xdist")
    import os
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
         "tests/test_agreement.py", "-k", "compiled_core and exact-closed-raw"],
        cwd=root, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, FASTLSTM_SKIP_WARMUP="1"))
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.split("agreement with symbolic (counts over all examples)", 1)
    assert len(summary) == 2, done.stdout
    counts = dict(line.strip().rsplit(": ", 1) for line in summary[1].splitlines()
                  if line.startswith("  ") and ": " in line)
    # one hypothesis test of 40 examples, every step compared in full or cut and counted
    assert int(counts["examples (compiled)"]) == 40
    assert int(counts["steps"]) >= 40


def test_the_comparison_catches_a_wrong_engine():
    # the closed-boundary reference against the open-boundary run of the parity cell
    ref = sym.simulate(PARITY, [1, 1, 0, 1, 1], activation="saturated")
    with pytest.raises(AssertionError):
        check(ref, compiled(PARITY_PARAMS, [1, 1, 0, 1, 1], activation="saturated",
                            inclusive=False), collections.Counter())
    # an error of 1e-9 in one exact-mode value, far above 1e-12 * (1 + A)
    ref = sym.simulate(PARITY, [1, 0, 1])
    got = compiled(PARITY_PARAMS, [1, 0, 1])
    got["c"] = got["c"] + np.array([0, 1e-9, 0])
    with pytest.raises(AssertionError, match="'c', 1"):
        check(ref, got, collections.Counter())
