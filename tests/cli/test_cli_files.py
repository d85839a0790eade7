"""fastlstm sweep --out/--plot: written whole or not at all, refused before the sweep
when they could not be written; sizes refused before anything is built; the messages
of --alphabet, --length and --out."""

import errno
import os
import pathlib
import tempfile

import numpy as np
import pytest

import fastlstm.sweeps
from fastlstm.sweeps import memory

from .test_cli import ok, refused

SWEEP = ["sweep", "--axis", "W_ch=-1,1", "--length", "2", "--no-progress"]
MAP = ["sweep", "--axis", "W_ch=-1,1", "--axis", "W_cx=0,1", "--length", "2", "--no-progress"]


@pytest.fixture
def no_sweep(monkeypatch):
    """Fail the test if the command starts any sweep work (strings, sweep)."""
    def started(*args, **kwargs):
        raise AssertionError("the sweep work started")

    monkeypatch.setattr(fastlstm.sweeps, "sweep", started)
    monkeypatch.setattr(fastlstm.sweeps, "binary_strings", started)


# --- a failed write leaves the previous file ----------------------------------------

def test_a_failed_out_write_leaves_the_previous_file(capsys, monkeypatch, tmp_path):
    out = tmp_path / "s.npz"
    ok(capsys, *SWEEP, "--out", str(out))
    before = out.read_bytes()

    def savez_fills_the_disk(file, **fields):
        file.write(before[:100])                     # part of a file, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(np, "savez", savez_fills_the_disk)
    err = refused(capsys, *SWEEP, "--out", str(out), status=1)
    assert f"--out: could not write {out} (no space left on device)" in err
    assert "s.npz is unchanged" in err
    assert out.read_bytes() == before                # intact, not truncated
    assert [p.name for p in tmp_path.iterdir()] == ["s.npz"]   # no partial file left


def test_a_failed_plot_write_leaves_the_previous_file(capsys, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.figure

    png = tmp_path / "map.png"
    png.write_bytes(b"the previous map")

    def savefig_too_large(self, file, **kwargs):
        file.write(b"\x89PNG partial")
        raise OSError(errno.EFBIG, os.strerror(errno.EFBIG))

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig_too_large)
    err = refused(capsys, *MAP, "--plot", str(png), status=1)
    assert f"--plot: could not write {png} (file too large)" in err
    assert png.read_bytes() == b"the previous map"
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]


def test_a_new_file_gets_the_usual_permissions_and_an_old_one_keeps_its_own(capsys, tmp_path):
    out = tmp_path / "s.npz"
    ok(capsys, *SWEEP, "--out", str(out))
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    out.chmod(0o640)
    ok(capsys, *SWEEP, "--out", str(out))
    assert out.stat().st_mode & 0o777 == 0o640
    with np.load(out) as d:
        assert d["accuracy"].shape == (2,)


# --- an unwritable destination is refused before the sweep --------------------------

@pytest.mark.parametrize("flag, argv, name", [("--out", SWEEP, "s.npz"),
                                              ("--plot", MAP, "map.png")])
def test_an_unwritable_destination_is_refused_before_the_sweep(capsys, monkeypatch, tmp_path,
                                                               no_sweep, flag, argv, name):
    if flag == "--plot":
        pytest.importorskip("matplotlib")
    (tmp_path / name).mkdir()                        # the destination is a folder
    err = refused(capsys, *argv, flag, str(tmp_path / name), status=1)
    assert f"{flag}: cannot write {tmp_path / name}: it is a folder" in err

    (tmp_path / "file").write_text("a file")         # the folder is a file
    err = refused(capsys, *argv, flag, str(tmp_path / "file" / name), status=2)
    assert f"{flag}: {tmp_path / 'file'} is a file, not a folder" in err

    def denied(*args, **kwargs):                     # root ignores chmod: simulate a refusal
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    err = refused(capsys, *argv, flag, str(tmp_path / f"other-{name}"), status=1)
    assert f"{flag}: cannot write" in err and "takes no new file (permission denied)" in err


@pytest.mark.skipif(not pathlib.Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_out_in_proc_is_a_sentence_not_an_errno(capsys, no_sweep):
    err = refused(capsys, *SWEEP, "--out", "/proc/x.npz", status=1)
    assert err.startswith("fastlstm sweep: error: --out: cannot write /proc/x.npz: the folder "
                          "/proc takes no new file (")
    assert "[Errno" not in err


# --- sizes before anything is built ---------------------------------------------------

def test_a_length_memory_would_not_hold_is_refused_before_the_strings_are_made(
        capsys, monkeypatch, no_sweep):
    monkeypatch.setattr(memory, "_available_memory", lambda: 2**26)   # 48 MiB allowed
    err = refused(capsys, "sweep", "--axis", "W_ch=-1,1", "--length", "20")
    assert ("--length 20: scoring on the 2**20 strings of length 20 needs 2.1 GiB, more than "
            "the 48.0 MiB available") in err and "use a smaller --length" in err


def test_length_is_bounded_by_what_a_sweep_takes(capsys, no_sweep):
    # 2**27 strings of 27 steps are more than the 2**31 steps a sweep scores
    err = refused(capsys, "sweep", "--axis", "W_ch=-1,1", "--length", "27")
    assert "argument --length: expected a whole number from 1 to 26, got '27'" in err
    err = refused(capsys, "sweep", "--axis", "W_ch=-1,1", "--length", "40")
    assert "from 1 to 26, got '40'" in err


# --- the help says what the command does ------------------------------------------------

def test_sweep_help_states_the_length_bound_and_that_plot_needs_two_axes(capsys):
    text = " ".join(ok(capsys, "sweep", "--help").split())
    assert "length L, from 1 to 26" in text
    assert "one or two" not in text.replace("One or two axes also print", "")
    assert "--plot draws a regime map and needs exactly two" in text
    assert "save the regime map: needs two --axis" in text
    err = refused(capsys, "sweep", "--axis", "W_ch=1,2", "--plot", "map.png")
    assert "--plot draws a regime map over two axes; got 1 --axis" in err


@pytest.mark.parametrize("alphabet, message", [
    ("", "--alphabet: no symbols given; expected numbers separated by commas, e.g. 0,1"),
    (" ", "--alphabet: no symbols given"),
    ("a,b", "--alphabet: symbol 'a' is not a number; expected numbers separated by commas"),
    ("0,inf", "--alphabet: symbol 'inf' is not a finite number"),
    ("0,,1", "--alphabet: empty input between commas in '0,,1'"),
    ("-", "--alphabet: symbol '-' is not a number"),
])
def test_alphabet_errors_name_alphabet(capsys, alphabet, message):
    assert message in refused(capsys, "explain", "--alphabet", alphabet)


def test_alphabet_of_numbers(capsys):
    out = ok(capsys, "explain", "--alphabet=-1,1", "--format", "json")
    assert '"alphabet": [-1, 1]' in out
