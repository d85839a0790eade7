"""Counts that tests gather over a run (what the agreement tests excluded, and why),
printed once in pytest's terminal summary by tests/conftest.py.

Under pytest-xdist each worker keeps its own counts and hands them to the controller
when it finishes (``workeroutput``); the controller adds them up, so a parallel run
(CI's ``-n auto``) prints the same totals as a serial one.
"""

from __future__ import annotations

import collections

import pytest

#: title -> Counter, in the order the titles were first recorded
COUNTS = pytest.StashKey[dict]()
#: the key of a worker's counts in xdist's ``workeroutput``
WORKER_OUTPUT = "fastlstm_test_counts"


def _table(config) -> dict:
    return config.stash.setdefault(COUNTS, {})


def record(config, title: str, stats) -> None:
    """Add ``stats`` (a mapping of name -> count) to the run's counts under ``title``."""
    if stats:
        _table(config).setdefault(title, collections.Counter()).update(dict(stats))


def as_plain(config) -> dict:
    """The counts as plain dicts (what a worker sends to the controller)."""
    return {title: dict(stats) for title, stats in _table(config).items()}


def lines(config) -> list[str]:
    """The summary: a title line, then its counts, for each title."""
    out = []
    for title, stats in _table(config).items():
        out.append(f"{title} (counts over all examples):")
        out += [f"  {key}: {stats[key]}" for key in sorted(stats)]
    return out
