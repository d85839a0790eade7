"""Prints the counts the agreement tests gather (tests/counts.py) in the terminal summary,
added up over pytest-xdist's workers."""

import pytest

from tests import counts


def pytest_sessionfinish(session):
    if hasattr(session.config, "workeroutput"):  # an xdist worker: hand the counts over
        session.config.workeroutput[counts.WORKER_OUTPUT] = counts.as_plain(session.config)


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: unknown without it
def pytest_testnodedown(node, error):
    for title, stats in getattr(node, "workeroutput", {}).get(counts.WORKER_OUTPUT, {}).items():
        counts.record(node.config, title, stats)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    summary = counts.lines(config)
    if summary:
        terminalreporter.section("counts")
        for line in summary:
            terminalreporter.write_line(line)
