"""The public API on arbitrary arguments (docs/guarantees.md): run, run_batch, compare,
extract_automaton, verify, round_half_to_zero, Semantics, ScalarLSTM and sweep.

Every call below gets finite and non-finite floats, integers past float64's range,
bools, strings, None, complex numbers, wrong shapes and wrong dtypes.  Each must
either return a result (finite wherever its inputs were finite; for ``run`` on
moderate values, equal to the plain oracle tests/naive.py within the bound that
tests/test_run.py uses) or raise a ValueError or TypeError whose message names an
argument of the call.  Any other exception, a RuntimeWarning, or a non-finite
output from finite input fails the test.
"""

import re
import warnings

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst

import fastlstm as fl
from fastlstm.params import as_cell

from . import naive

FEW = settings(max_examples=60, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
PARAMS = fl.PARAM_NAMES
SEMANTICS_NAMES = ("activation", "threshold", "inclusive", "round_feedback")
CELL_NAMES = ("cell", "parameter", *PARAMS)

# --- strategies: for each argument, values it must accept and values of every kind ---------

moderate = st.floats(-3, 3)
finite = st.floats(allow_nan=False, allow_infinity=False)   # 1e308 and 5e-324 included
numbers = st.one_of(
    moderate,
    st.integers(-3, 3),
    st.floats(),                                    # any float: nan and +-inf too
    st.integers(-2 ** 1200, 2 ** 1200),             # mostly past float64's range
    st.sampled_from([2 ** 1100, -2 ** 1024, 2 ** 64, 2 ** 63, 1e308, -1e308, 5e-324, -0.0,
                     np.float32(0.5), np.int8(-1), np.float64("nan")]),
)
junk = st.one_of(st.booleans(), st.none(), st.text(max_size=2), st.just("1"),
                 st.complex_numbers(max_magnitude=2), st.just([]), st.just({}), st.just([1.0]))
anything = st.one_of(numbers, numbers, junk)

dtypes = st.one_of(npst.floating_dtypes(), npst.integer_dtypes(), npst.boolean_dtypes(),
                   npst.complex_number_dtypes(), npst.unicode_string_dtypes(max_len=2))
odd_arrays = npst.arrays(dtypes, npst.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))

# (valid, wild): a test draws every argument from ``valid`` half of the time, so that
# results are checked too, and otherwise from either.
X = (st.one_of(st.lists(moderate, max_size=8), st.lists(st.integers(0, 1), max_size=8),
               npst.arrays(np.float64, st.integers(0, 8), elements=moderate)),
     st.one_of(st.lists(anything, max_size=6), st.lists(finite, max_size=4), odd_arrays, junk))
MODERATE_CELLS = st.lists(st.floats(-200, 200), min_size=12, max_size=12)
CELL = (st.one_of(MODERATE_CELLS.map(fl.ScalarLSTM.from_array), MODERATE_CELLS,
                  MODERATE_CELLS.map(tuple),
                  st.dictionaries(st.sampled_from(PARAMS), st.floats(-200, 200), max_size=4)),
        st.one_of(st.lists(finite, min_size=12, max_size=12),   # 1e308 and the like
                  st.lists(anything, min_size=12, max_size=12),
                  st.lists(moderate, max_size=14),              # the wrong count
                  st.dictionaries(st.sampled_from(PARAMS + ("W_xx",)), anything, max_size=3),
                  odd_arrays, junk))
ACTIVATION = (st.sampled_from(["exact", "saturated"]), junk)
THRESHOLD = (st.one_of(st.floats(1e-3, 5), st.sampled_from([1.0, 0.5])), anything)
FLAG = (st.booleans(), junk)
STATE = (st.one_of(st.floats(-1, 1), st.floats(-5, 5)), st.one_of(finite, anything))
ALPHABET = (st.one_of(st.just((0, 1)), st.just((-1, 0, 1)),
                      st.lists(moderate, min_size=1, max_size=3, unique=True)),
            st.one_of(st.lists(numbers, max_size=3), st.lists(anything, max_size=3), junk))


def not_a_large_count(value):
    """False for an integer 13 .. MAX_STATES (valid, and slow as a search bound)."""
    from fastlstm.automata.extract import MAX_STATES

    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    return not (is_int and 12 < value <= MAX_STATES)


def draw(data, clean, pair, label):
    valid, wild = pair
    return data.draw(valid if clean else st.one_of(valid, wild), label=label)


def draw_semantics(data, clean):
    """Some of the semantics keywords, each valid or wild."""
    keys = data.draw(st.sets(st.sampled_from(SEMANTICS_NAMES)), label="semantics keywords")
    pairs = dict(activation=ACTIVATION, threshold=THRESHOLD, inclusive=FLAG,
                 round_feedback=FLAG)
    return {k: draw(data, clean, pairs[k], k) for k in sorted(keys)}


# --- the property --------------------------------------------------------------------------

def outcome(call, names):
    """call(), or None after a ValueError/TypeError that names one of ``names``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # e.g. an invalid cast to int64
        try:
            result = call()
        except (ValueError, TypeError) as exc:
            event(f"refused: {type(exc).__name__}")
            message = str(exc)
            named = [n for n in names if re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", message)]
            assert named, f"{type(exc).__name__} names no argument of {names}: {message}"
            return None
    event("a result")
    return result


def all_finite(*arrays):
    return all(np.isfinite(np.asarray(a, dtype=np.float64)).all() for a in arrays)


def is_moderate(cell, x, sem, h0, c0):
    return (isinstance(h0, float) and isinstance(c0, float) and abs(h0) <= 1 and abs(c0) <= 5
            and np.abs(cell.to_array()).max() <= 200 and np.abs(x).max(initial=0) <= 3
            and sem.threshold >= 1e-3)


def assert_matches_oracle(tr, cell, x, sem, h0, c0):
    """As tests/test_run.py: equal to the plain oracle within the propagated error bound."""
    kw = dict(activation=sem.activation, threshold=sem.threshold, inclusive=sem.inclusive,
              round_feedback=sem.round_feedback)
    ref = naive.run(cell, x, h0=h0, c0=c0, **kw)
    eh, ec, n = naive.error_bounds(cell, x, h0=h0, c0=c0, **kw)
    if n:
        assert (np.abs(tr.h[:n] - ref["h"][:n]) < 2 * np.array(eh) + 1e-300).all()
        assert (np.abs(tr.c[:n] - ref["c"][:n]) < 2 * np.array(ec) + 1e-300).all()


# --- the calls -----------------------------------------------------------------------------

@FEW
@given(data=st.data(), clean=st.booleans())
def test_run(data, clean):
    cell, x = draw(data, clean, CELL, "cell"), draw(data, clean, X, "x")
    sem = draw_semantics(data, clean)
    h0, c0 = draw(data, clean, STATE, "h0"), draw(data, clean, STATE, "c0")
    trace = draw(data, clean, FLAG, "trace")
    names = (*CELL_NAMES, *SEMANTICS_NAMES, "x", "h0", "c0", "trace")
    tr = outcome(lambda: fl.run(cell, x, h0=h0, c0=c0, trace=trace, **sem), names)
    if tr is None:
        return
    x = np.asarray(x, dtype=np.float64)
    assert tr.h.shape == tr.c.shape == x.shape and all_finite(tr.h, tr.c)
    assert tr.rounded.dtype == np.int64 and (np.abs(tr.rounded) <= 1).all()
    if trace:
        assert all_finite(tr.h_raw, tr.gates, tr.preactivations)
    cell = as_cell(cell)
    if is_moderate(cell, x, tr.semantics, h0, c0):
        event("compared with the oracle")
        assert_matches_oracle(tr, cell, x, tr.semantics, h0, c0)


BATCH = (st.integers(0, 4).flatmap(lambda T: st.lists(st.lists(moderate, min_size=T, max_size=T),
                                                      max_size=4)),
         st.one_of(st.lists(st.lists(anything, max_size=3), max_size=3), odd_arrays, junk))
BATCH_STATE = (STATE[0], st.one_of(st.lists(st.floats(-1, 1), max_size=4),
                                   st.lists(anything, max_size=4), odd_arrays, STATE[1]))


@FEW
@given(data=st.data(), clean=st.booleans())
def test_run_batch(data, clean):
    cell, X_ = draw(data, clean, CELL, "cell"), draw(data, clean, BATCH, "X")
    sem = draw_semantics(data, clean)
    h0, c0 = draw(data, clean, BATCH_STATE, "h0"), draw(data, clean, BATCH_STATE, "c0")
    trace = data.draw(st.booleans(), label="trace")
    names = (*CELL_NAMES, *SEMANTICS_NAMES, "X", "h0", "c0")
    tr = outcome(lambda: fl.run_batch(cell, X_, h0=h0, c0=c0, trace=trace, **sem), names)
    if tr is not None:
        assert tr.h.shape == np.shape(X_) and all_finite(tr.h, tr.c)
        assert not trace or all_finite(tr.h_raw, tr.gates, tr.preactivations)
        if len(X_) and tr.h.shape[1]:  # row b is run(X[b]), bit for bit
            b = data.draw(st.integers(0, len(X_) - 1), label="row")
            one = fl.run(cell, X_[b], h0=np.broadcast_to(h0, len(X_))[b],
                         c0=np.broadcast_to(c0, len(X_))[b], **sem)
            assert tr.h[b].tobytes() == one.h.tobytes()


ROWS = (st.one_of(st.none(), st.dictionaries(st.text(max_size=3), st.fixed_dictionaries(
            {}, optional=dict(activation=ACTIVATION[0], inclusive=FLAG[0],
                              round_feedback=FLAG[0], threshold=THRESHOLD[0])),
            min_size=1, max_size=3)),
        st.one_of(st.dictionaries(st.text(max_size=2), st.one_of(
            st.dictionaries(st.text(max_size=3), anything, max_size=2), junk), max_size=2), junk))


@FEW
@given(data=st.data(), clean=st.booleans())
def test_compare(data, clean):
    cell, x, rows = (draw(data, clean, CELL, "cell"), draw(data, clean, X, "x"),
                     draw(data, clean, ROWS, "rows"))
    threshold = draw(data, clean, THRESHOLD, "threshold")
    h0, c0 = draw(data, clean, STATE, "h0"), draw(data, clean, STATE, "c0")
    names = (*CELL_NAMES, *SEMANTICS_NAMES, "x", "rows", "h0", "c0")
    cmp = outcome(lambda: fl.compare(cell, x, rows=rows, threshold=threshold, h0=h0, c0=c0),
                  names)
    if cmp is not None:
        assert all(all_finite(tr.h, tr.c, tr.preactivations) for tr in cmp.runs.values())
        assert set(cmp.disagreements.tolist()) <= set(range(len(cmp.x)))


@FEW
@given(data=st.data(), clean=st.booleans())
def test_extract_automaton(data, clean):
    cell, alphabet = draw(data, clean, CELL, "cell"), draw(data, clean, ALPHABET, "alphabet")
    # a valid but large max_states lets a cell that never repeats a state run for minutes
    max_states = draw(data, clean, (st.integers(1, 12), anything.filter(not_a_large_count)),
                      "max_states")
    sem = draw_semantics(data, clean)
    h0, c0 = draw(data, clean, STATE, "h0"), draw(data, clean, STATE, "c0")
    quantize = draw(data, clean, (st.one_of(st.none(), st.integers(0, 15)),
                                  st.one_of(st.integers(-2, 17), anything)), "quantize")
    names = (*CELL_NAMES, *SEMANTICS_NAMES, "alphabet", "max_states", "h0", "c0", "quantize")
    m = outcome(lambda: fl.extract_automaton(cell, alphabet, max_states, h0=h0, c0=c0,
                                             quantize=quantize, **sem), names)
    if m is not None:
        assert 1 <= len(m) <= max_states and m.outputs.dtype == np.int64
        assert all_finite(m.h, m.c)
        assert m.outputs[0] == fl.round_half_to_zero(m.h[0])


def answer(prefix):
    return int(sum(prefix)) % 2


@FEW
@given(data=st.data(), clean=st.booleans())
def test_verify(data, clean):
    cell, alphabet = draw(data, clean, CELL, "cell"), draw(data, clean, ALPHABET, "alphabet")
    # Huge max_len values are tested in tests/automata/test_verify.py (in a subprocess:
    # before the fix, len(alphabet)**max_len itself did not finish).
    max_len = draw(data, clean, (st.integers(1, 4), st.one_of(
        st.sampled_from([23, 10 ** 6]), st.integers(-3, 0), st.floats(), junk)), "max_len")
    sem = draw_semantics(data, clean)
    h0, c0 = draw(data, clean, STATE, "h0"), draw(data, clean, STATE, "c0")
    names = (*CELL_NAMES, *SEMANTICS_NAMES, "alphabet", "max_len", "h0", "c0")
    r = outcome(lambda: fl.verify(cell, answer, max_len, alphabet, h0=h0, c0=c0, **sem), names)
    if r is not None:
        assert isinstance(r.holds, bool) and r.max_len == max_len
        A = len(tuple(alphabet))
        assert 1 <= r.checked <= sum(A ** k for k in range(1, max_len + 1))
        if not r.holds:
            assert isinstance(r.actual, int) and len(r.counterexample) <= max_len


@FEW
@given(a=st.one_of(numbers, junk, odd_arrays, st.lists(numbers, max_size=4),
                   st.lists(anything, max_size=3)))
def test_round_half_to_zero(a):
    r = outcome(lambda: fl.round_half_to_zero(a), ("a",))
    if r is not None:
        values = np.asarray(a, dtype=np.float64)
        assert np.shape(r) == values.shape
        finite = np.isfinite(values)
        r, values = np.asarray(r)[finite], values[finite]
        assert np.isfinite(r).all() and (r == np.round(r)).all()
        assert (np.abs(r - values) <= 0.5).all()  # the nearest integer, ties either way


@FEW
@given(data=st.data(), clean=st.booleans())
def test_semantics(data, clean):
    sem = draw_semantics(data, clean)
    s = outcome(lambda: fl.Semantics(**sem), SEMANTICS_NAMES)
    if s is not None:
        assert s.activation in fl.ACTIVATIONS and np.isfinite(s.threshold) and s.threshold > 0
        assert type(s.inclusive) is bool and type(s.round_feedback) is bool


@FEW
@given(data=st.data(), clean=st.booleans())
def test_scalar_lstm(data, clean):
    kwargs = data.draw(st.dictionaries(st.sampled_from(PARAMS), finite if clean else anything,
                                       max_size=12), label="kwargs")
    cell = outcome(lambda: fl.ScalarLSTM(**kwargs), PARAMS)
    if cell is not None:
        assert all(type(v) is float and np.isfinite(v) for v in cell.to_dict().values())


TABLE = (st.one_of(st.lists(MODERATE_CELLS, min_size=1, max_size=3),
                   st.integers(1, 3).map(lambda n: fl.random_params(n, -5, 5, seed=n))),
         st.one_of(st.lists(st.lists(finite, min_size=12, max_size=12), min_size=1, max_size=2),
                   st.lists(st.lists(anything, min_size=12, max_size=12), max_size=2),
                   odd_arrays, junk))
RECORD = (st.sampled_from(["final", "trajectory", "rounded"]),
          st.one_of(st.sampled_from([None, "all", "h", 1]), junk))
DTYPE = (st.just("float64"), st.one_of(st.sampled_from(["float32", "int8", "f8", np.float16]),
                                        junk))


@FEW
@given(data=st.data(), clean=st.booleans())
def test_sweep(data, clean):
    params, x = draw(data, clean, TABLE, "params"), draw(data, clean, X, "x")
    record, dtype = draw(data, clean, RECORD, "record"), draw(data, clean, DTYPE, "dtype")
    sem = draw_semantics(data, clean)
    h0, c0 = draw(data, clean, STATE, "h0"), draw(data, clean, STATE, "c0")
    names = (*CELL_NAMES, *SEMANTICS_NAMES, "params", "x", "record", "dtype", "h0", "c0",
             "target")
    res = outcome(lambda: fl.sweep(params, x, record=record, dtype=dtype, h0=h0, c0=c0, **sem),
                  names)
    if res is None:
        return
    for a in (res.h, res.c):
        assert a is None or all_finite(a)
    if res.dtype == "float64" and record == "trajectory":  # row n is run(params[n]), bit for bit
        n = data.draw(st.integers(0, len(res) - 1), label="row")
        one = fl.run(np.asarray(res.params)[n], x, h0=h0, c0=c0, **sem)
        assert res.h[n].tobytes() == one.h.tobytes()
