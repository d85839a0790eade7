"""ScalarLSTM, PARAM_NAMES and presets."""

import dataclasses

import numpy as np
import pytest

import fastlstm as fl


def test_param_names_are_the_design_order():
    assert fl.PARAM_NAMES == ("W_fh", "W_fx", "b_f", "W_ih", "W_ix", "b_i",
                              "W_oh", "W_ox", "b_o", "W_ch", "W_cx", "b_c")


def test_parity_preset_is_the_worked_example():
    p = fl.presets.parity()
    assert p.to_dict() == dict(W_fh=0, W_fx=0, b_f=-100, W_ih=0, W_ix=100, b_i=100,
                               W_oh=0, W_ox=100, b_o=0, W_ch=-100, W_cx=50, b_c=0)
    assert fl.presets.get("parity") == p
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        fl.presets.get("nope")


def test_array_round_trip_and_order():
    values = np.arange(12.0) - 5.5
    cell = fl.ScalarLSTM.from_array(values)
    assert cell.W_fh == -5.5 and cell.b_c == 5.5
    np.testing.assert_array_equal(cell.to_array(), values)
    assert cell.to_array().dtype == np.float64


def test_frozen_and_replace():
    cell = fl.ScalarLSTM(W_ch=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cell.W_ch = 3.0
    new = cell.replace(b_c=1)
    assert (new.W_ch, new.b_c, cell.b_c) == (2.0, 1.0, 0.0)
    assert isinstance(new.b_c, float)
    with pytest.raises(ValueError, match="unknown parameter"):
        cell.replace(W_zz=1)
    with pytest.raises(ValueError, match="b_c must be finite"):
        cell.replace(b_c=float("-inf"))


@pytest.mark.parametrize("value, exc", [
    (float("nan"), ValueError), (float("inf"), ValueError),
    ("1", TypeError), (None, TypeError), (True, TypeError), (1 + 2j, TypeError),
])
def test_constructor_rejects(value, exc):
    with pytest.raises(exc, match="W_ix"):
        fl.ScalarLSTM(W_ix=value)


def test_from_array_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"shape \(12,\)"):
        fl.ScalarLSTM.from_array(np.zeros(11))
