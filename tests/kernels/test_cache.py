"""The compiled-kernel cache never serves stale machine code, and a missing
writable folder costs compile time, not the import (fastlstm._config)."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

#: Prints h of the worked example's first two steps and where the cache went.  The
#: traced run compiles the smallest sequence kernel that still calls the activations.
_PROBE = ("import fastlstm as fl, fastlstm._config as c; "
          "print(fl.run(fl.presets.parity(), [1, 1], trace=True).h.tolist(), c.CACHE, c.CACHE_DIR)")


@pytest.fixture(scope="module")
def compiled_package(tmp_path_factory):
    """A copy of the package sources and the cache its probe compiled into (compiled
    once for the tests of this file, which copy both), and the probe's h."""
    root = tmp_path_factory.mktemp("compiled")
    src = root / "src"
    for name in ("fastlstm", "symbolic"):
        shutil.copytree(ROOT / name, src / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    env = dict(_clean_env(), PYTHONPATH=str(src), FASTLSTM_CACHE_DIR=str(root / "cache"),
               PYTHONDONTWRITEBYTECODE="1")
    h, _ = _h(src, env)
    # one folder, and the kernels in it
    assert [p.name for p in (root / "cache").iterdir()] == ["kernels"]
    assert any((root / "cache" / "kernels").glob("*.nbi"))
    return root, h


@pytest.fixture
def package_copy(tmp_path, compiled_package):
    """A copy of the package sources, importable from tmp_path/src, and of the cache
    they compiled into (entries are keyed on the sources' content, not their path);
    ``env`` names both; the probe's h as the compiling process printed it."""
    root, h = compiled_package
    shutil.copytree(root / "src", tmp_path / "src")
    shutil.copytree(root / "cache", tmp_path / "cache")  # copy2: times kept
    env = dict(_clean_env(), PYTHONPATH=str(tmp_path / "src"),
               FASTLSTM_CACHE_DIR=str(tmp_path / "cache"), PYTHONDONTWRITEBYTECODE="1")
    return tmp_path / "src", env, h


def _clean_env(**settings):
    """The environment without the variables that choose the cache (a user's
    NUMBA_CACHE_DIR would otherwise become a fallback folder), plus ``settings``."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("FASTLSTM_CACHE_DIR", "NUMBA_CACHE_DIR", "FASTLSTM_NO_CACHE")}
    return dict(env, **settings)


def _h(src, env):
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=src, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout.rsplit("]", 1)[0] + "]", out


def test_an_edit_of_an_inlined_file_recompiles_and_so_does_undoing_it(package_copy):
    src, env, h_first = package_copy  # h_first: compiled by the fixture
    activations = src / "fastlstm" / "_kernels" / "activations.py"
    original = activations.read_text()
    # sigmoid is inlined into the sequence kernel, which is defined in sequence.py:
    # Numba alone would key the cache on sequence.py and miss this edit.
    edited = original.replace("    return num / _fma(", "    return 0.5 * num / _fma(")
    assert edited != original

    h_cached, _ = _h(src, env)  # another process loads, and gets the same numbers
    assert h_cached == h_first

    activations.write_text(edited)
    h_edited, _ = _h(src, env)
    assert h_edited != h_first  # the edit is compiled in, not served from the cache

    activations.write_text(original)
    h_restored, _ = _h(src, env)
    assert h_restored == h_first
    assert [p.name for p in (src.parent / "cache").iterdir()] == ["kernels"]  # one folder


def _index_times(cache):
    return {p.name: p.stat().st_mtime_ns for p in cache.glob("sequence*.nbi")}


def test_an_edit_of_a_kernel_module_the_kernel_does_not_import_keeps_it_cached(package_copy):
    src, env, h_first = package_copy  # h_first: compiled by the fixture
    cache = src.parent / "cache" / "kernels"
    written = _index_times(cache)
    assert written  # the sequence kernels were cached

    machine = src / "fastlstm" / "_kernels" / "machine.py"  # not imported by sequence.py
    machine.write_text(machine.read_text() + "\n# an edit\n")
    h_after, _ = _h(src, env)
    assert h_after == h_first
    assert _index_times(cache) == written  # loaded, not compiled and written again

    lanes = src / "fastlstm" / "_kernels" / "lanes.py"  # imported by sequence.py
    lanes.write_text(lanes.read_text() + "\n# an edit\n")
    _h(src, env)
    rewritten = _index_times(cache)
    assert rewritten.keys() == written.keys()
    assert all(rewritten[k] != written[k] for k in written)  # stamps changed: compiled afresh


def test_a_kernel_stamp_covers_every_sibling_module_it_imports():
    # The stamp reads import lines with a regular expression; the truth is
    # Python's own parse of every kernel module, whatever the import's form.
    import ast

    from fastlstm import _config

    for path in sorted(_config._KERNELS.glob("*.py")):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                imported |= {node.module} if node.module else {a.name for a in node.names}
        covered = {p.stem for p in _config._kernel_modules(str(path))} - {path.stem}
        assert imported <= covered, path.name
    assert _config._sibling_imports("from . import transitions as tk, lanes\n") == [
        "transitions", "lanes"]


def test_no_writable_cache_folder_compiles_with_one_warning(package_copy, tmp_path):
    src, env, h_cached = package_copy  # h_cached: compiled by the fixture
    # A file where each candidate folder would go: not even root can create them.
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    (src / "fastlstm" / "_kernels" / "__pycache__").write_text("not a folder")
    env.update(FASTLSTM_CACHE_DIR=str(blocked / "cache"), HOME=str(blocked),
               XDG_CACHE_HOME=str(blocked / "xdg"))
    h, out = _h(src, env)
    assert h == h_cached
    assert out.stderr.count("no writable folder for the compiled-kernel cache") == 1
    assert out.stderr.count("FASTLSTM_CACHE_DIR") == 2  # the folder skipped, and the advice
    assert out.stdout.strip().endswith("False None")


#: Imports the package, moves elsewhere (argv[1]) and prints where the kernels would be
#: cached, as an absolute path resolved now, the way Numba resolves it when it saves.
_WHERE = ("import os, sys, fastlstm._config as c; os.chdir(sys.argv[1]); "
          "print(c.CACHE, os.path.abspath(c.CACHE_DIR) if c.CACHE_DIR else None)")


def _where(cwd, elsewhere, env):
    out = subprocess.run([sys.executable, "-c", _WHERE, str(elsewhere)], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip(), out.stderr


def test_a_relative_cache_dir_is_the_one_named_at_import_after_a_chdir(tmp_path):
    start, elsewhere = tmp_path / "start", tmp_path / "elsewhere"
    start.mkdir(), elsewhere.mkdir()
    where, _ = _where(start, elsewhere, _clean_env(FASTLSTM_CACHE_DIR="relative-cache"))
    assert where == f"True {start / 'relative-cache' / 'kernels'}"
    assert (start / "relative-cache" / "kernels").is_dir()
    assert not (elsewhere / "relative-cache").exists()


def test_an_unusable_cache_dir_variable_is_named_in_a_warning(tmp_path):
    blocked = tmp_path / "a-file"  # a file where the folder would go: unusable, even for root
    blocked.write_text("not a folder")
    env = _clean_env(FASTLSTM_CACHE_DIR=str(blocked / "cache"),
                     NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    where, err = _where(tmp_path, tmp_path, env)
    assert where == f"True {tmp_path / 'numba' / 'fastlstm' / 'kernels'}"  # the next folder
    assert err.count("RuntimeWarning") == 1
    assert f"FASTLSTM_CACHE_DIR={blocked / 'cache'}" in err
    assert str(blocked / "cache" / "kernels") in err


def _cache_file(folder):
    from numba.core import caching

    return caching.IndexDataCacheFile(cache_path=str(folder), filename_base="kernel",
                                      source_stamp="stamp")


def test_a_save_waits_for_the_folder_lock_and_files_its_entry(tmp_path):
    # Numba's own save is read-modify-write with no lock: two processes saving
    # two signatures of one kernel can file one's code under the other's key.
    fcntl = pytest.importorskip("fcntl", reason="no fcntl here: saves are not locked")
    import threading

    from fastlstm import _config

    first, second = _cache_file(tmp_path), _cache_file(tmp_path)
    _config._save_entry(first, "key-a", ("code a",))
    with open(tmp_path / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # another process is saving
        saver = threading.Thread(target=_config._save_entry, args=(second, "key-b", ("code b",)))
        saver.start()
        saver.join(timeout=0.5)
        assert saver.is_alive()  # waits for the lock...
        assert first.load("key-b") is None  # ...and has written nothing yet
        fcntl.flock(handle, fcntl.LOCK_UN)
    saver.join(timeout=30)
    assert not saver.is_alive()
    assert first.load("key-a") == ("code a",) and first.load("key-b") == ("code b",)
    assert len(list(tmp_path.glob("kernel.*.nbc"))) == 2  # two data files, not one shared


def test_an_index_entry_never_points_to_data_not_yet_written(tmp_path, monkeypatch):
    from fastlstm import _config

    cache_file = _cache_file(tmp_path)
    _config._save_entry(cache_file, "key-a", ("code a",))

    def disk_full(name, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_file, "_save_data", disk_full)
    with pytest.raises(OSError):
        _config._save_entry(cache_file, "key-b", ("code b",))
    assert cache_file.load("key-b") is None and cache_file.load("key-a") == ("code a",)


def test_fastlstm_kernels_save_through_the_locked_path():
    from numba.core import caching

    from fastlstm import _config

    if not _config.CACHE:
        pytest.skip("the kernel cache is off here (FASTLSTM_NO_CACHE or no writable folder)")
    assert caching.IndexDataCacheFile.save is _config._save
