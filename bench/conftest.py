"""pytest configuration of the benchmarks.

* ``--slow`` also runs benchmarks marked ``slow`` (the 10^7-step sequence);
  without it they are deselected.
* Peers that were skipped (not installed, or unable to express the
  semantics) are written to the JSON of ``--benchmark-json`` under
  ``"skipped"``, so ``bench/report.py`` can show them as absent; the host's
  CPU and SIMD instruction set under ``"host"`` (and in pytest's header).

``bench`` is a package (``bench/__init__.py``), so pytest puts the repository
root on ``sys.path`` and the benchmark modules import ``bench.peers`` and
``bench.registry``.
"""

from __future__ import annotations

import pathlib

import pytest

from bench import host, registry

BENCH_DIR = pathlib.Path(__file__).resolve().parent


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", default=False,
                     help="bench/: also run the benchmarks marked slow (10^7-step sequence)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    slow = [item for item in items
            if item.get_closest_marker("slow") and BENCH_DIR in item.path.parents]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item not in slow]


def pytest_benchmark_update_json(config, benchmarks, output_json):
    output_json["skipped"] = list(registry.SKIPPED)
    output_json["host"] = host.describe()


def pytest_report_header(config):
    return host.line(host.describe())


@pytest.fixture(scope="session", autouse=True)
def _fresh_skip_record():
    registry.SKIPPED.clear()
