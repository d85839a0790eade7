"""Every parameter table is checked, however it was built, and nothing non-finite is
scored as right: ParamTable's constructor, as_table, float32 ranges, the kernel's count."""

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.sweeps import as_table
from fastlstm.sweeps.chunks import Kernel
from fastlstm.sweeps.plan import make_plan


# --- ParamTable checks its values ------------------------------------------------

@pytest.mark.parametrize("values, exc, match", [
    (np.arange(10.0).reshape(2, 5), ValueError, r"ParamTable values must have shape \(N, 12\)"),
    (np.zeros(12), ValueError, r"must have shape \(N, 12\), columns in PARAM_NAMES order"),
    (np.zeros((2, 12, 1)), ValueError, r"shape \(N, 12\)"),
    (np.full((2, 12), np.nan), ValueError, r"ParamTable values must be finite, got nan at "
                                           r"index \(0, 0\) \(W_fh\)"),
    (np.full((2, 12), -np.inf), ValueError, "must be finite"),
    (np.zeros((2, 12), complex), TypeError, "ParamTable values must hold real numbers"),
    ([[1.0] * 12, [1.0] * 11], ValueError, "rectangular"),
])
def test_param_table_refuses_what_is_no_finite_table(values, exc, match):
    with pytest.raises(exc, match=match):
        fl.ParamTable(values)


def test_the_probe_cases_are_refused_before_the_kernel_reads_them():
    # (2, 5): the kernel read 12 values per row, past the end of the array
    with pytest.raises(ValueError, match=r"shape \(N, 12\)"):
        fl.sweep(fl.ParamTable(np.arange(10.0).reshape(2, 5)), [1.0, 0.0, 1.0],
                 record="trajectory")
    # NaN parameters gave h = nan, scored as a right 0
    with pytest.raises(ValueError, match="must be finite"):
        fl.sweep(fl.ParamTable(np.full((2, 12), np.nan)), [1, 0, 1], target=[1, 0, 1])


def test_param_table_values_are_float64_c_contiguous_and_read_only():
    t = fl.ParamTable(np.arange(24).reshape(2, 12))        # integers: converted
    assert t.values.dtype == np.float64 and t.values.tolist()[1][0] == 12.0
    f = np.asfortranarray(np.ones((3, 12)))                # converted to C order
    assert fl.ParamTable(f).values.flags.c_contiguous
    a = np.zeros((3, 12))                                  # a float64 table: used in place
    t = fl.ParamTable(a)
    assert t.values is a and not a.flags.writeable
    assert len(fl.ParamTable(np.zeros((0, 12)))) == 0


def test_param_table_shape_and_axes_are_checked():
    assert fl.ParamTable(np.zeros((6, 12)), {}, (2, 3)).shape == (2, 3)
    assert fl.ParamTable(np.zeros((6, 12))).shape == (6,)
    with pytest.raises(ValueError, match=r"shape must hold the 6 rows of values, got shape \(4,\)"):
        fl.ParamTable(np.zeros((6, 12)), {}, (4,))
    with pytest.raises(TypeError, match="every entry of ParamTable shape must be an integer"):
        fl.ParamTable(np.zeros((6, 12)), {}, (2.0, 3))
    with pytest.raises(TypeError, match="ParamTable shape must be a tuple"):
        fl.ParamTable(np.zeros((6, 12)), {}, 6)
    with pytest.raises(ValueError, match="unknown parameter name"):
        fl.ParamTable(np.zeros((2, 12)), {"W_xx": [1.0, 2.0]}, (2,))
    with pytest.raises(ValueError, match=r"match the lengths of its axes \(2,\)"):
        fl.ParamTable(np.zeros((6, 12)), {"W_ch": [1.0, 2.0]}, (6,))
    with pytest.raises(ValueError, match=r"ParamTable axes\['W_ch'\] must be finite"):
        fl.ParamTable(np.zeros((2, 12)), {"W_ch": [1.0, np.nan]}, (2,))
    with pytest.raises(TypeError, match="axes must be a mapping"):
        fl.ParamTable(np.zeros((2, 12)), [("W_ch", [1.0, 2.0])], (2,))


def test_a_table_changed_after_its_check_is_checked_again():
    t = fl.grid(W_ch=[1.0, 2.0])
    t.values.setflags(write=True)                          # it owns its data: allowed
    t.values[1, 3] = np.nan
    with pytest.raises(ValueError, match=r"params must be finite, got nan at index \(1, 3\)"):
        fl.sweep(t, [1, 0, 1], target=[1, 0, 1])
    with pytest.raises(ValueError, match="must be finite"):
        as_table(t)
    object.__setattr__(t, "values", np.arange(10.0).reshape(2, 5))   # a frozen dataclass, forced
    with pytest.raises(ValueError, match=r"C-contiguous \(N, 12\) float64"):
        fl.sweep(t, [1.0, 0.0, 1.0], record="trajectory")
    object.__setattr__(t, "values", np.zeros((2, 12), np.float32))
    with pytest.raises(ValueError, match="float64"):
        fl.sweep(t, [1.0])
    object.__setattr__(t, "values", [[0.0] * 12])
    with pytest.raises(ValueError, match=r"got list of shape \(1, 12\)"):
        fl.sweep(t, [1.0])


# --- float32: a value beyond its range would be inf, and inf * 0 NaN ---------------

@pytest.mark.parametrize("where", ["params", "x", "h0", "c0"])
def test_float32_sweep_refuses_values_beyond_float32(where):
    args = dict(params=np.zeros((1, 12)), x=[1.0, 0.0, 1.0], h0=0.0, c0=0.0)
    if where == "params":
        args["params"][0, 0] = 1e39   # W_fh: inf * h0 = inf * 0 = NaN in float32
    elif where == "x":
        args["x"] = [1.0, -1e39, 1.0]
    else:
        args[where] = 1e39
    params = args.pop("params")
    x = args.pop("x")
    with pytest.raises(ValueError, match=rf"{where} must lie within \+-3\.403e\+38 for "
                                         rf"dtype='float32' \(use dtype='float64'\)"):
        fl.sweep(params, x, target=[0, 0, 0], dtype="float32", **args)
    res = fl.sweep(params, x, target=[0, 0, 0], **args)    # float64 takes them
    assert np.isfinite(res.h).all()


def test_float32_extremes_within_range_are_accepted():
    p = np.zeros((1, 12))
    p[0, 0] = 3e38
    res = fl.sweep(p, [1.0, 0.0], target=[0, 0], dtype="float32")
    assert np.isfinite(res.h).all()


def test_float32_check_names_a_later_value():
    # The whole-table screen fails, and the blocks find the value that does
    p = np.zeros((4, 12))
    p[2, 5] = -1e39
    with pytest.raises(ValueError, match=r"params must lie within .* got -1e\+39 at flat index 29"):
        fl.sweep(p, [1.0], dtype="float32")


# --- pre-activations that could overflow float64 ---------------------------------------

def test_the_table_screen_names_the_first_row_that_can_overflow():
    # Every row is large enough to fail the screen of the whole table (largest
    # |entry| 5e307: 5e307 * 2 + 5e307 > 2**1023), so each is bounded on its own:
    # b_f + W_fh h with |h| <= 1 is 8e307 < 2**1023 ~ 8.99e307 in rows 0-2 and 4.
    p = np.zeros((5, 12))
    p[:, 2] = 4e307
    p[:, 0] = 4e307
    p[3, 0] = 5e307   # 9e307 > 2**1023 in row 3 alone
    with pytest.raises(ValueError, match=r"params row 3: "):
        fl.sweep(p, [1.0])
    p[3, 0] = 4e307
    assert np.isfinite(fl.sweep(p, [1.0]).h).all()


# --- the kernel's count: a NaN h is no right answer ---------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_kernel_never_scores_a_nan_h_as_right(dtype):
    # Past the checks of sweep(): the kernel as every backend calls it, on NaN cells.
    X = np.array([[1.0, 0.0, 1.0]])
    plan = make_plan(X, np.zeros(1), np.zeros(1), np.zeros((1, 3)), dtype, finals=True)
    p = np.full((3, 12), np.nan)
    h, c, traj, rnd, correct = Kernel.of(fl.Semantics(), "final", dtype).run(p, plan)
    assert np.isnan(h).all()
    assert correct.tolist() == [0, 0, 0]
