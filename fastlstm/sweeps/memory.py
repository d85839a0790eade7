"""Memory budgets: how much a new table or sweep record may take, said in human units.

``memory_limit`` is the byte budget every refusal in the sweep wing checks
against (``grid``, ``random_params``, ``sweep``): ``max_bytes`` when given,
else 3/4 of the memory available now.  ``format_bytes`` writes sizes in the
refusal messages.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["memory_limit", "format_bytes"]


def format_bytes(n: float) -> str:
    """``n`` bytes in a human unit.

    Examples
    --------
    >>> format_bytes(512), format_bytes(3 * 2**30)
    ('512 B', '3.0 GiB')
    """
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def _available_memory() -> int:
    """Bytes of memory available to this process now (MemAvailable where Linux has it)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**34  # no way to ask: assume 16 GiB


def memory_limit(max_bytes=None) -> int:
    """The byte budget for a new allocation: ``max_bytes``, or 3/4 of available memory."""
    if max_bytes is None:
        return int(0.75 * _available_memory())
    if isinstance(max_bytes, (bool, np.bool_)) or not isinstance(
            max_bytes, (int, float, np.integer, np.floating)) or not max_bytes > 0:
        raise ValueError(f"max_bytes must be a number of bytes > 0, got {max_bytes!r}")
    return int(max_bytes)
