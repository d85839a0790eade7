"""Peers imported on first use, so that collecting a test file costs nothing.

Both pytest-xdist workers collect every file, but only one runs a given file
(``--dist loadfile``): a module-level ``import keras`` cost the other worker
4 s of imports (torch, jax, IPython) it never used.
"""

from __future__ import annotations

import pytest


class Peer:
    """A module imported at its first attribute access; the test asking for it is
    skipped, with ``reason``, where the module is not installed."""

    def __init__(self, name: str, reason: str | None = None):
        self._name = name
        self._reason = reason

    def __getattr__(self, attribute):
        if attribute.startswith("_") or attribute == "pytestmark":
            # pytest's collection probes every module-level object for these
            raise AttributeError(attribute)
        module = pytest.importorskip(self._name, reason=self._reason)
        return getattr(module, attribute)
