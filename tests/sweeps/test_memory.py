"""fastlstm.sweeps.memory: byte budgets and their wording."""

import pytest

from fastlstm.sweeps import memory
from fastlstm.sweeps.memory import format_bytes, memory_limit


def test_memory_helpers():
    assert memory_limit(1234) == 1234
    assert memory_limit() > 0
    for bad in (0, -5, "1GB", True):
        with pytest.raises(ValueError, match="max_bytes"):
            memory_limit(bad)
    assert format_bytes(10) == "10 B" and format_bytes(1536) == "1.5 KiB"
    assert format_bytes(5 * 2**40) == "5.0 TiB"


def test_default_limit_is_three_quarters_of_the_available_memory(monkeypatch):
    monkeypatch.setattr(memory, "_available_memory", lambda: 4000)
    assert memory_limit() == 3000
