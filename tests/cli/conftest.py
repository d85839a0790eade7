"""Every CLI test runs with the environment the command line reads set or cleared here."""

import pytest


@pytest.fixture(autouse=True)
def _no_traceback_mode(monkeypatch):
    # FASTLSTM_TRACEBACK=1 (a user's debugging setting) makes errors tracebacks instead of
    # the one-line refusals these tests check; subprocesses inherit the cleared environment
    monkeypatch.delenv("FASTLSTM_TRACEBACK", raising=False)


@pytest.fixture(autouse=True)
def _no_compile_notice(monkeypatch):
    # these tests compare stderr exactly; a kernel specialization the suite's warm-up did not
    # compile would add the compile notice (tested in tests/test_compiling.py)
    monkeypatch.setenv("FASTLSTM_QUIET", "1")
