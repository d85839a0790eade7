"""fastlstm.sweeps.tables: grid, random_params, as_table, binary_strings, parity_target."""

import itertools

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.sweeps import as_table

PARITY = fl.presets.parity()


def parity_by_hand(bits):
    """+1 / -1 for an odd / even run of ones ending here, 0 after a zero."""
    out, run = [], 0
    for b in bits:
        run = run + 1 if b else 0
        out.append(0 if run == 0 else 1 if run % 2 else -1)
    return out


# --- grid --------------------------------------------------------------------

def test_grid_is_the_cartesian_product_first_axis_slowest():
    a, b, c = [-1.0, 2.0], [0.0, 10.0, 20.0], [5.0, 6.0]
    t = fl.grid(base=PARITY, W_ch=a, b_c=c, W_cx=b)
    assert t.shape == (2, 2, 3) and len(t) == 12 and t.names == ("W_ch", "b_c", "W_cx")
    expected = [PARITY.replace(W_ch=x, b_c=z, W_cx=y).to_array()
                for x, z, y in itertools.product(a, c, b)]
    np.testing.assert_array_equal(t.values, expected)
    np.testing.assert_array_equal(t.axes["W_cx"], b)
    assert t.values.flags.c_contiguous and t.values.dtype == np.float64
    i, k, j = 1, 0, 2
    n = np.ravel_multi_index((i, k, j), t.shape)
    assert t.cell(n) == PARITY.replace(W_ch=a[i], b_c=c[k], W_cx=b[j])


def test_grid_reshape_and_columns():
    t = fl.grid(W_fh=np.arange(3.0), W_ih=np.arange(4.0))
    grid = t.reshape(t.column("W_fh") * 10 + t.column("W_ih"))
    np.testing.assert_array_equal(grid, np.arange(3)[:, None] * 10 + np.arange(4))
    assert t.reshape(np.zeros((12, 5))).shape == (3, 4, 5)
    with pytest.raises(ValueError, match="leading axis of length 12"):
        t.reshape(np.zeros(11))
    with pytest.raises(ValueError, match="unknown parameter"):
        t.column("W_zz")
    # the rest of the cell is zero by default
    assert (t.column("b_c") == 0).all()


def test_grid_is_read_only_and_converts_to_an_array():
    t = fl.grid(base=PARITY, W_ch=[-100.0, -50.0])
    with pytest.raises(ValueError):
        t.values[0, 0] = 1.0
    assert np.asarray(t) is t.values
    assert np.array(t, dtype=np.float32).dtype == np.float32
    assert "N=2" in repr(t) and "W_ch" in repr(t)


@pytest.mark.parametrize("kwargs, match", [
    (dict(W_xx=[1.0]), "unknown parameter"),
    (dict(W_ch=[]), "at least one value"),
    (dict(W_ch=[1.0, np.nan]), "W_ch must be finite"),
    (dict(W_ch=[[1.0]]), "W_ch must have shape"),
    (dict(), "at least one axis"),
    (dict(W_ch=np.zeros(1000), W_cx=np.zeros(1000), max_bytes=10**6), "1000000 parameter sets"),
])
def test_bad_grids(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fl.grid(base=PARITY, **kwargs)


@pytest.mark.parametrize("axes, match", [
    # counted before anything is converted: np.asarray(range(10**12)) was a MemoryError,
    # reported as "W_ch must be a rectangular array of real numbers: " (empty reason)
    (dict(W_ch=range(10**12)), r"the grid \(1000000000000 values of W_ch\) has 1000000000000 "
                               r"parameter sets, 87.3 TiB"),
    (dict(W_ch=range(10**6), W_cx=range(10**6)),
     r"the grid \(1000000 values of W_ch x 1000000 values of W_cx\) has 1000000000000"),
    (dict(W_ch=range(10**20)), "W_ch has more than 9223372036854775807 values"),
])
def test_a_grid_larger_than_memory_is_refused_before_it_is_made(axes, match):
    with pytest.raises(ValueError, match=match):
        fl.grid(base=PARITY, **axes)


def test_grid_base_types():
    a = fl.grid(base=PARITY.to_dict(), W_ch=[1.0])
    b = fl.grid(base=PARITY.to_array(), W_ch=[1.0])
    np.testing.assert_array_equal(a.values, b.values)
    with pytest.raises(TypeError, match="base"):
        fl.grid(base="parity", W_ch=[1.0])


# --- random_params -----------------------------------------------------------

def test_random_params_bounds_base_and_seed():
    t = fl.random_params(500, low={"W_ch": -200, "W_cx": 0}, high={"W_ch": 0, "W_cx": 100},
                         base=PARITY, seed=7)
    assert t.shape == (500,) and t.names == ()
    assert (t.column("W_ch") >= -200).all() and (t.column("W_ch") < 0).all()
    assert (t.column("W_cx") >= 0).all() and (t.column("W_cx") < 100).all()
    for name in fl.PARAM_NAMES:
        if name not in ("W_ch", "W_cx"):
            assert (t.column(name) == getattr(PARITY, name)).all()
    again = fl.random_params(500, low={"W_ch": -200, "W_cx": 0}, high={"W_ch": 0, "W_cx": 100},
                             base=PARITY, seed=7)
    np.testing.assert_array_equal(t.values, again.values)


def test_random_params_all_twelve_by_default():
    t = fl.random_params(300, -1.0, 1.0, seed=0)
    assert t.values.shape == (300, 12)
    assert (np.abs(t.values) <= 1).all() and len(np.unique(t.values)) == t.values.size
    assert fl.random_params(0).values.shape == (0, 12)


@pytest.mark.parametrize("args, kwargs, match", [
    ((-1,), {}, "n must be an integer >= 0, got -1"),
    ((3, 1.0, 1.0), {}, "low must be < high"),
    ((3,), dict(low={"W_xx": 0}), "unknown parameter"),
    ((3,), dict(low={"W_ch": 0}, high=5.0, vary=["W_ch", "W_cx"]), "no bound in low"),
    ((3,), dict(vary=["nope"]), "unknown parameter"),
    ((3, float("inf")), {}, "low must be finite"),
])
def test_bad_random_params(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fl.random_params(*args, **kwargs)


@pytest.mark.parametrize("n", [2.5, 3.0, True, "3", None])
def test_random_params_n_of_a_wrong_type_is_a_type_error(n):
    with pytest.raises(TypeError, match="n must be an integer"):
        fl.random_params(n)


# --- inputs and targets ------------------------------------------------------

def test_binary_strings_are_all_strings_in_order():
    X = fl.binary_strings(5)
    assert X.shape == (32, 5) and X.dtype == np.int8
    assert [tuple(r) for r in X.tolist()] == list(itertools.product((0, 1), repeat=5))
    assert fl.binary_strings(np.int64(2)).shape == (4, 2)
    for bad in (0, 31, -1):
        with pytest.raises(ValueError, match=r"length must be an integer in \[1, 30\]"):
            fl.binary_strings(bad)
    for bad in (2.0, True, "3", None):
        with pytest.raises(TypeError, match="length must be an integer"):
            fl.binary_strings(bad)


def test_parity_target_matches_the_definition_and_the_key():
    # the key of the exercise (docs/semantics.md)
    assert fl.parity_target([0, 0, 1, 1, 1, 0]).tolist() == [0, 0, 1, -1, 1, 0]
    assert fl.parity_target([1, 1, 0, 1, 1]).tolist() == [1, -1, 0, 1, -1]
    X = fl.binary_strings(9)
    target = fl.parity_target(X)
    assert target.dtype == np.int8 and target.shape == X.shape
    assert target.tolist() == [parity_by_hand(row) for row in X.tolist()]


def test_parity_target_rejects_other_symbols():
    for bad in ([0, 2, 1], [[[0]]], ["a"]):
        with pytest.raises(ValueError, match="0/1"):
            fl.parity_target(bad)


# --- helpers -----------------------------------------------------------------

def test_as_table_accepts_tables_arrays_and_cells():
    t = fl.grid(W_ch=[1.0, 2.0])
    assert as_table(t)[1] is t and as_table(t)[0] is t.values
    values, table = as_table(PARITY)
    assert table is None and values.shape == (1, 12)
    np.testing.assert_array_equal(as_table(PARITY.to_dict())[0][0], PARITY.to_array())
    with pytest.raises(ValueError, match=r"shape \(N, 12\)"):
        as_table(np.zeros((3, 11)))
    with pytest.raises(ValueError, match="params must be finite"):
        as_table(np.full((2, 12), np.inf))
    with pytest.raises(TypeError, match="real numbers"):
        as_table(np.zeros((2, 12), complex))


def test_random_params_over_the_whole_float_range():
    t = fl.random_params(50, -1e308, 1e308, seed=0)
    assert np.isfinite(t.values).all()
    assert (t.values >= -1e308).all() and (t.values < 1e308).all()
    assert t.values.min() < -1e306 and t.values.max() > 1e306  # the span is used, not clipped
