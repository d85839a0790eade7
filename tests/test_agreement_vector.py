"""The compiled core on vector cells (``fl.run`` on ``fl.LSTMCell``) against symbolic.

The rule of tests/test_agreement.py, unit by unit: each float64 trajectory is compared
with ``symbolic.simulate_vector`` step by step,

- values (pre-activations, gates, c, h, raw h of every unit) within
  ``1e-12 * (1 + A_t)`` (times ``max(1, |value|)``), where ``A_t`` is
  ``symbolic.vector_amplification``: the suffix sums of the norms of products of the
  2n x 2n step Jacobians, so an error in one unit that reaches another through
  ``W_hh`` is accounted for; a value float64 computes without any rounding must be equal;
- regimes, exact boundary hits and rounded integers identical.

A decision whose reference input lies within float64 error of the point it is compared
with can legitimately come out the other way; such a step is detected from the reference
and the comparison stops there (saturated mode, rounded feedback) or skips that one entry
(exact mode), as in the scalar test.  The float64 error of a pre-activation is bounded
by the propagated error of h through its row of ``W_hh`` plus ``(n + m + 2) * 2u`` times
the sum of its terms' magnitudes (one rounding per product and per addition, the bias
sum included, with a factor 2 to spare: for n = m = 1 this is the scalar test's 8u).
"""

import collections
import functools
import math

import numpy as np
import pytest
from sympy import Rational

import fastlstm as fl
import symbolic as sym
from symbolic.vector_equations import c_prev_, h_prev_

from . import counts
from .test_agreement import (EPS, SEMANTICS, SEMANTICS_IDS, UNIT, assert_close, exact_sum,
                             half_integers, near, product, representable)
from .test_agreement import check as scalar_check

STATS = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def report(request):
    yield
    counts.record(request.config, "vector agreement with symbolic", STATS)
    STATS.clear()


def compiled(cell, xs, **semantics):
    tr = fl.run(cell, np.asarray(xs, dtype=float), trace=True, **semantics)
    return {name: getattr(tr, name) for name in (
        "h", "c", "h_raw", "rounded", "gates", "preactivations", "regimes", "boundary_hits")}


# --- float64 exactness and error bounds from the reference ---------------------------

def two_adic(q):
    """e with q = odd * 2**e, for a nonzero dyadic rational q."""
    p, d = abs(int(q.p)), int(q.q)
    return (p & -p).bit_length() - d.bit_length()


def exact_dot(terms):
    """True if float64 computes the sum of ``terms`` exactly in any order, fused or not.

    Enough: all terms on one grid 2**e with the sum of magnitudes below 2**53 * 2**e
    (every partial sum is then a float64 number); a short sum is also tried subset by
    subset (``exact_sum``).  A False only makes the comparison use the tolerance.
    """
    if any(t is None or not representable(t) for t in terms):
        return False
    nonzero = [t for t in terms if t != 0]
    if not nonzero:
        return True
    e = min(two_adic(t) for t in nonzero)
    if sum(abs(t) for t in nonzero) < Rational(2) ** (53 + e):
        return True
    return len(terms) <= 4 and exact_sum(*terms)


class Step:
    """What float64 must compute exactly, and the error of each pre-activation, at step t."""

    def __init__(self, ref, t, h_exact, c_exact, err_h):
        cell, sem = ref.cell, ref.semantics
        n, x = cell.hidden_size, ref.xs[t]
        h_prev = sem.h0 if t == 0 else ref.h[t - 1]
        c_prev = sem.c0 if t == 0 else ref.c[t - 1]
        self.pre_exact, self.gate_exact, self.h_raw_exact, self.z_err = [], [], [], []
        for u in range(n):
            pre, err = [], []
            for gate in "fiog":
                k = cell.row(gate, u)
                terms = [cell.b_ih[k], cell.b_hh[k], *(w * v for w, v in zip(cell.W_ih[k], x)),
                         *(product(w, True, hv, he)
                           for w, hv, he in zip(cell.W_hh[k], h_prev, h_exact))]
                pre.append(exact_dot(terms))
                size = sum(abs(w * v) for w, v in zip(cell.W_ih[k] + cell.W_hh[k], x + h_prev))
                size += abs(cell.b_ih[k]) + abs(cell.b_hh[k])
                err.append(0.0 if pre[-1] else math.fsum(
                    abs(float(w)) * e for w, e in zip(cell.W_hh[k], err_h))
                    + (n + len(x) + 2) * 2 * UNIT * float(size))
            gates_exact = [self.activation_exact(ref, t, u, k, pre[k]) for k in range(4)]
            f, i, o, g = ref.gates[t][u]
            pre.append(exact_dot([product(f, gates_exact[0], c_prev[u], c_exact[u]),
                                  product(i, gates_exact[1], g, gates_exact[3])]))
            squash = ref.regimes[t][u][4] if sem.saturating else 0
            h_raw = product(o, gates_exact[2], squash, self.activation_exact(ref, t, u, 4, pre[4]))
            self.pre_exact.append(pre)
            self.gate_exact.append(gates_exact)
            self.h_raw_exact.append(h_raw is not None and representable(h_raw))
            self.z_err.append(err)

    @staticmethod
    def activation_exact(ref, t, u, k, z_exact):
        z = ref.preactivations[t][u][k]
        return bool((ref.semantics.saturating and ref.regimes[t][u][k]) or (z_exact and z == 0))


def check(ref, got, stats):
    scalar_check(ref, got, stats, compare_steps)


def compare_steps(ref, got, stats):
    """Compare up to the first flippable decision; return (step, reason) there, else None."""
    sem, n = ref.semantics, ref.hidden_size
    theta = sem.threshold
    amplification = sym.vector_amplification(ref)
    h_exact, c_exact, err_h = [True] * n, [True] * n, [0.0] * n
    for t in range(len(ref)):
        stats["steps"] += 1
        tol = EPS * (1 + amplification[t])
        if tol >= 1:
            return t, "no float64 digits left (amplification >= 1e12)"
        step = Step(ref, t, h_exact, c_exact, err_h)
        flippable = []
        for u in range(n):
            close = functools.partial(assert_close, t=(t, u), tol=tol)
            zs = ref.preactivations[t][u]
            c = zs[4]
            z_err = step.z_err[u] + [0.0 if step.pre_exact[u][4] else tol * max(1, abs(float(c)))]
            flippable.append([near(z, (theta, -theta), e) for z, e in zip(zs, z_err)])
            for k in range(4):
                close(f"z[{k}]", zs[k], got["preactivations"][t, u, k], step.pre_exact[u][k])
        if sem.saturating and any(any(f[:4]) for f in flippable):
            return t, "gate pre-activation within float64 error of +-theta"
        for u in range(n):
            close = functools.partial(assert_close, t=(t, u), tol=tol)
            for k in range(4):
                close(f"gate[{k}]", ref.gates[t][u][k], got["gates"][t, u, k],
                      step.gate_exact[u][k])
            close("c", ref.c[t][u], got["c"][t, u], step.pre_exact[u][4])
        if sem.saturating and any(f[4] for f in flippable):
            return t, "c_t within float64 error of +-theta"
        ties = []
        for u in range(n):
            close = functools.partial(assert_close, t=(t, u), tol=tol)
            h_raw = ref.h_raw[t][u]
            close("h_raw", h_raw, got["h_raw"][t, u], step.h_raw_exact[u])
            ties.append(near(h_raw, half_integers(h_raw), 0 if step.h_raw_exact[u] else tol))
            for k in range(5):
                if flippable[u][k]:  # exact mode: only the reported regime can differ
                    stats["skipped: one regime entry within float64 error (exact mode)"] += 1
                    continue
                assert got["regimes"][t, u, k] == ref.regimes[t][u][k], ("regime", t, u, k)
                assert got["boundary_hits"][t, u, k] == ref.boundary_hits[t][u][k], ("hit", t, u, k)
                stats["boundary hits compared (exactly on +-theta)"] += int(ref.boundary_hits[t][u][k])
        if any(ties) and sem.round_feedback:
            return t, "raw h within float64 error of a rounding tie"
        for u in range(n):
            if ties[u]:
                stats["skipped: one rounded h within float64 error of a tie (raw feedback)"] += 1
            else:
                assert got["rounded"][t, u] == ref.rounded[t][u], ("rounded", t, u)
            h_exact[u] = step.h_raw_exact[u] or sem.round_feedback
            assert_close("h", ref.h[t][u], got["h"][t, u], h_exact[u], (t, u), tol)
            c_exact[u] = step.pre_exact[u][4]
            err_h[u] = 0.0 if h_exact[u] else tol * max(1, abs(float(ref.h[t][u])))
        stats["steps compared in full"] += 1
    return None


# --- random vector cells ---------------------------------------------------------------

def random_case(n, m, seed):
    """A cell, inputs and a start: trained-like normal weights, or small dyadics (which put
    values exactly on +-theta and make float64 exact), chosen by the seed."""
    rng = np.random.default_rng(seed)
    if seed % 2:
        def draw(*shape):
            return rng.integers(-12, 13, shape) / 4
        xs = rng.integers(-4, 5, (24, m)) / 4
    else:
        def draw(*shape):
            return rng.normal(0, 2, shape)
        xs = rng.integers(0, 2, (24, m)).astype(float)
    cell = fl.LSTMCell(draw(4 * n, m), draw(4 * n, n), draw(4 * n), draw(4 * n))
    h0, c0 = rng.integers(-2, 3, n) / 2, rng.uniform(-1, 1, n)
    return cell, xs, dict(h0=h0, c0=c0, threshold=(1.0, 0.5)[seed % 3 == 0])


CASES = [(1, 2, 0), (1, 3, 1), (2, 1, 2), (2, 2, 3), (3, 1, 4), (3, 3, 5), (4, 1, 6), (4, 2, 7)]


@pytest.mark.parametrize("semantics", SEMANTICS, ids=SEMANTICS_IDS)
@pytest.mark.parametrize("n, m, seed", CASES)
def test_compiled_vector_cell_agrees_with_symbolic(semantics, n, m, seed):
    cell, xs, start = random_case(n, m, seed)
    kw = dict(semantics, **start)
    try:
        ref = sym.simulate_vector(cell, xs, digits=30, **kw)
    except sym.PrecisionError:  # never seen so far; it would be a cell worth a look
        STATS["excluded: the reference could not decide (PrecisionError)"] += 1
        return
    STATS["examples"] += 1
    check(ref, compiled(cell, xs, **kw), STATS)


# --- n = m = 1: the scalar engines ---------------------------------------------------------

PARITY = fl.presets.parity()


@pytest.mark.parametrize("semantics", SEMANTICS, ids=SEMANTICS_IDS)
def test_one_unit_is_the_scalar_cell_in_both_engines(semantics):
    xs = [1, 1, 0, 1, 1, 0, 0, 1, 1, 1]
    vector = fl.LSTMCell.from_scalar(PARITY)
    got = compiled(vector, xs, **semantics)
    scalar = fl.run(PARITY, np.asarray(xs, dtype=float), trace=True, **semantics)
    for name in ("h", "c", "h_raw", "rounded"):
        np.testing.assert_array_equal(got[name][:, 0], getattr(scalar, name))
    for name in ("gates", "preactivations", "regimes", "boundary_hits"):
        np.testing.assert_array_equal(got[name][:, 0], getattr(scalar, name))
    ref = sym.simulate_vector(vector, xs, **semantics)
    assert [h[0] for h in ref.rounded] == list(sym.simulate(PARITY, xs, **semantics).rounded)
    stats = collections.Counter()
    check(ref, got, stats)
    assert stats["steps compared in full"] == len(xs)  # nothing is near a decision


def test_the_comparison_catches_a_wrong_engine():
    cell, xs, start = random_case(2, 2, 3)
    ref = sym.simulate_vector(cell, xs, **start)
    got = compiled(cell, xs, **start)
    got["c"] = got["c"] + np.where(np.arange(got["c"].size).reshape(got["c"].shape) == 3, 1e-9, 0)
    with pytest.raises(AssertionError, match=r"'c', \(1, 1\)"):
        check(ref, got, collections.Counter())
    # the open-boundary run of the parity cell against the closed-boundary reference
    vector = fl.LSTMCell.from_scalar(PARITY)
    ref = sym.simulate_vector(vector, [1, 1, 0, 1, 1], activation="saturated")
    with pytest.raises(AssertionError):
        check(ref, compiled(vector, [1, 1, 0, 1, 1], activation="saturated", inclusive=False),
              collections.Counter())


@pytest.mark.parametrize("semantics", SEMANTICS, ids=SEMANTICS_IDS)
def test_a_decision_within_float64_error_is_cut_or_skipped_not_failed(semantics):
    # unit 0's candidate: z = 0.1 * 10, exactly 1 + 2**-54 * 0.4 (0.1 is a little above 1/10),
    # which float64 rounds to 1.0: a boundary hit for the compiled core, none for the truth
    W_ih, W_hh, b = np.zeros((8, 1)), np.zeros((8, 2)), np.zeros(8)
    W_ih[4, 0], W_ih[5, 0] = 0.1, 0.3
    b[:2], b[2:4], b[6:] = 10, -10, 10  # i = 1, f = 0, o = 1
    cell = fl.LSTMCell(W_ih, W_hh, b)
    ref = sym.simulate_vector(cell, [10, 1], **semantics)
    got = compiled(cell, [10, 1], **semantics)
    assert ref.preactivations[0][0][3] == Rational(0.1) * 10 > 1
    assert not ref.boundary_hits[0][0][3] and got["boundary_hits"][0, 0, 3]
    stats = collections.Counter()
    check(ref, got, stats)
    if semantics["activation"] == "exact":  # only the report differs: that entry is skipped
        assert stats["skipped: one regime entry within float64 error (exact mode)"] == 1
        assert stats["steps compared in full"] == 2
    else:  # the open boundary saturates in one engine only: the values part ways
        assert stats["cut: gate pre-activation within float64 error of +-theta"] == 1
        if not semantics["inclusive"]:
            assert abs(float(ref.gates[0][0][3]) - got["gates"][0, 0, 3]) > 0.2


@pytest.mark.parametrize("semantics", SEMANTICS, ids=SEMANTICS_IDS)
def test_vector_step_map_at_a_state_against_one_compiled_step(semantics):
    cell, xs, start = random_case(2, 2, 3)  # dyadic: exact values and boundary hits
    kw = dict(semantics, threshold=start["threshold"])
    for x, h, c in [(xs[1], [1, 0], [-0.75, 1.5])]:
        ref = sym.simulate_vector(cell, [x], digits=30, h0=h, c0=c, **kw)
        got = compiled(cell, [x], h0=h, c0=c, **kw)
        stats = collections.Counter()
        check(ref, got, stats)
        assert stats["steps compared in full"] == 1
        step = sym.vector_step_map(cell, x, **kw)
        point = {h_prev_(u): Rational(v) for u, v in enumerate(h)}
        point.update({c_prev_(u): Rational(v) for u, v in enumerate(c)})
        for key in ("h", "c"):
            for u in range(2):
                value = step[key][u].xreplace(point)
                expected = getattr(ref, key)[0][u]
                if expected.is_Rational:
                    assert value == expected, (key, u)
                else:
                    assert abs(float(value.evalf(30)) - float(expected)) <= 1e-15, (key, u)
