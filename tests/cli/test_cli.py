"""The command line: every command's output checked against the library, every
refusal checked for its one line on stderr.

Most tests call ``main(argv)`` in-process (fast); a few run ``python -m
fastlstm`` (and the ``fastlstm`` script where installed) as a user would.
"""

import csv
import io
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

import numpy as np
import pytest

import fastlstm as fl
from fastlstm import report
from fastlstm.cli import main, parse_inputs, parse_params

PARITY = fl.presets.parity()
KEY = {"001110": [0, 0, 1, -1, 1, 0], "11011": [1, -1, 0, 1, -1]}
LITERAL = "saturated closed, raw feedback"


def cli(capsys, *argv):
    """Run ``fastlstm *argv`` in-process: (exit status, stdout, stderr)."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def ok(capsys, *argv):
    status, out, err = cli(capsys, *argv)
    assert status == 0, err
    assert err == ""
    return out


def refused(capsys, *argv, status=2):
    """The command fails with ``status`` and exactly one line on stderr."""
    code, out, err = cli(capsys, *argv)
    assert code == status, (code, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("fastlstm") and ": error: " in err
    assert "Traceback" not in err
    return err.strip()


def run_json(capsys, *argv):
    return json.loads(ok(capsys, "run", "--format", "json", *argv))


# --- fastlstm run -----------------------------------------------------------------

@pytest.mark.parametrize("bits", list(KEY))
def test_run_answers_the_worked_example(capsys, bits):
    d = run_json(capsys, "--preset", "parity", *bits)
    tr = fl.run(PARITY, [int(b) for b in bits])
    assert d["h"] == tr.h.tolist() and d["c"] == tr.c.tolist()
    assert d["rounded"] == KEY[bits]
    assert d["cell"] == {"preset": "parity", "params": PARITY.to_dict()}


def test_run_default_cell_is_parity(capsys):
    assert run_json(capsys, "11011") == run_json(capsys, "--preset", "parity", "11011")


@pytest.mark.parametrize("tokens", [["0", "0", "1", "1", "1", "0"], ["001110"], ["0,0,1,1,1,0"],
                                    ["0 0 1 1 1 0"], ["0,0", "11", "1,0"]])
def test_run_input_forms(capsys, tokens):
    d = run_json(capsys, *tokens)
    assert d["x"] == [0, 0, 1, 1, 1, 0] and d["rounded"] == KEY["001110"]


def test_run_real_and_negative_inputs(capsys):
    d = run_json(capsys, "0.5", "-1", "--", "-1e-3")
    assert d["x"] == [0.5, -1.0, -0.001]
    assert d["h"] == fl.run(PARITY, [0.5, -1, -0.001]).h.tolist()


def test_run_reads_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("1 1 0\n1,1\n"))
    assert run_json(capsys, "-")["rounded"] == KEY["11011"]


@pytest.mark.parametrize("flags, kw", [
    ([], {}),
    (["--activation", "saturated"], dict(activation="saturated")),
    (["--activation", "saturated", "--round-feedback"],
     dict(activation="saturated", round_feedback=True)),
    (["--activation", "saturated", "--open-boundary", "--threshold", "2.5"],
     dict(activation="saturated", inclusive=False, threshold=2.5)),
    (["--round-feedback", "--h0", "0.5", "--c0", "-1"], dict(round_feedback=True, h0=0.5, c0=-1)),
])
def test_run_semantics_flags(capsys, flags, kw):
    d = run_json(capsys, *flags, "11011")
    tr = fl.run(PARITY, [1, 1, 0, 1, 1], trace=True, **kw)
    assert d["h"] == tr.h.tolist() and d["h_raw"] == tr.h_raw.tolist()
    assert d["rounded"] == tr.rounded.tolist()
    sem = {k: v for k, v in kw.items() if k not in ("h0", "c0")}
    assert d["semantics"] == dict(activation="exact", threshold=1.0, inclusive=True,
                                  round_feedback=False) | sem
    assert d["regime_marks"] == report.regime_marks(tr).tolist()


def test_run_literal_rule_gives_design_md_answer(capsys):
    assert run_json(capsys, "--activation", "saturated", "11011")["rounded"] == [1, -1, 0, 0, 1]


def test_run_params(capsys):
    # --params changes the --preset's values ...
    d = run_json(capsys, "--preset", "parity", "--params", "b_f=0.5", "--params", "W_cx=25", "011")
    cell = PARITY.replace(b_f=0.5, W_cx=25)
    assert d["cell"]["params"] == cell.to_dict()
    assert d["h"] == fl.run(cell, [0, 1, 1]).h.tolist()
    # ... and starts from all-zero parameters without one.
    d = run_json(capsys, "--params", "W_ix=2, b_c=-0.25", "011")
    cell = fl.ScalarLSTM(W_ix=2, b_c=-0.25)
    assert d["cell"] == {"preset": None, "params": cell.to_dict()}
    assert d["h"] == fl.run(cell, [0, 1, 1]).h.tolist()
    # 12 numbers in PARAM_NAMES order.
    numbers = ",".join(str(v) for v in PARITY.to_array())
    assert run_json(capsys, "--params", numbers, "11011")["h"] == run_json(capsys, "11011")["h"]


def test_run_table(capsys):
    out = ok(capsys, "run", "--preset", "parity", "1", "1", "0", "1", "1")
    tr = fl.run(PARITY, [1, 1, 0, 1, 1], trace=True)
    lines = out.splitlines()
    assert lines[0] == f"cell: preset parity; semantics: {report.describe_semantics(tr.semantics)}"
    assert out == lines[0] + "\n" + "\n".join(
        tr.to_table(x=[1, 1, 0, 1, 1]).splitlines()[1:]) + "\n"
    rows = [line.split() for line in lines[2:7]]
    assert [int(r[-2]) for r in rows] == KEY["11011"]


@pytest.mark.parametrize("fmt", ["csv", "markdown", "latex"])
def test_run_other_formats_are_the_library_tables(capsys, fmt):
    out = ok(capsys, "run", "--format", fmt, "--digits", "5", "11011")
    tr = fl.run(PARITY, [1, 1, 0, 1, 1], trace=True)
    assert out == tr.to_table(fmt, x=[1, 1, 0, 1, 1], digits=5) + "\n"
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert [float(r["h"]) for r in rows] == tr.h.tolist()


# --- fastlstm run --compare ---------------------------------------------------------

def test_compare_json(capsys):
    d = json.loads(ok(capsys, "run", "--compare", "--format", "json", "--preset", "parity",
                      "1", "1", "0", "1", "1"))
    assert [r["name"] for r in d["runs"]] == list(fl.TABLE_ROWS)
    for r in d["runs"]:
        tr = fl.run(PARITY, [1, 1, 0, 1, 1], **fl.TABLE_ROWS[r["name"]])
        assert r["h"] == tr.h.tolist() and r["rounded"] == tr.rounded.tolist()
    assert d["disagreements"] == [3, 4]


def test_compare_table_shows_the_disagreement_and_the_band(capsys):
    out = ok(capsys, "run", "--compare", "--preset", "parity", "1", "1", "0", "1", "1")
    cmp = fl.compare(PARITY, [1, 1, 0, 1, 1])
    assert out == "cell: preset parity; inputs: 1 1 0 1 1\n" + str(cmp) + "\n"
    # The literal saturated rule gives 0 1 at t=3, 4, where the others give 1 -1.
    literal = next(line for line in out.splitlines() if line.strip().startswith(LITERAL))
    assert literal.split(LITERAL)[1].split() == ["1", "-1", "0", "0", "1", "differs", "at",
                                                 "t=3,", "4"]
    # Steps 2 and 3 are flagged for the band, and every boundary hit is flagged.
    flagged = {line.split(":")[0].strip(): line for line in out.splitlines()
               if line.startswith("  t=")}
    assert "~o" in flagged["t=2"] and "~g,c" in flagged["t=3"]
    hits = {t for tr in cmp.runs.values() for t in np.flatnonzero(tr.boundary_hits.any(axis=1))}
    assert all("=" in flagged[f"t={t}"] for t in hits)


def test_compare_threshold_and_initial_state(capsys):
    d = json.loads(ok(capsys, "run", "--compare", "--format", "json", "--threshold", "2",
                      "--h0", "0.25", "11011"))
    for r in d["runs"]:
        tr = fl.run(PARITY, [1, 1, 0, 1, 1], threshold=2.0, h0=0.25, **fl.TABLE_ROWS[r["name"]])
        assert r["h"] == tr.h.tolist()


# --- fastlstm equations -------------------------------------------------------------

def test_equations(capsys):
    sym = pytest.importorskip("symbolic")
    out = ok(capsys, "equations")
    general = sym.lstm_equations()
    assert sym.latex(general) in out
    assert sym.latex(sym.substitute(general, PARITY.to_dict())) in out
    assert "cases" not in out            # no piecewise form without --saturated
    out = ok(capsys, "equations", "--preset", "parity", "--saturated", "--step-map", "1")
    substituted = sym.substitute(general, PARITY.to_dict())
    assert sym.latex(sym.saturated(substituted, 1, True)) in out
    assert sym.latex(sym.step_map(PARITY.to_dict(), 1, activation="saturated")) in out
    blocks = out.strip().split("\n\n")
    assert [b.splitlines()[0].split(":")[0] for b in blocks] == [
        "% general form", "% substituted", "% piecewise (saturated, closed boundary, |z| >= 1 "
        "saturates)", "% step map (h_{t-1}, c_{t-1}) -> (h_t, c_t) at x_t = 1 (saturated, closed "
        "boundary, |z| >= 1 saturates)"]


def test_equations_take_typed_numbers_exactly(capsys):
    sym = pytest.importorskip("symbolic")
    out = ok(capsys, "equations", "--params", "W_ch=-2,b_c=0.1", "--saturated", "--threshold",
             "0.5", "--open-boundary", "--step-map", "0.1", "--round-feedback")
    params = dict(fl.ScalarLSTM().to_dict(), W_ch="-2", b_c="0.1")
    assert sym.latex(sym.substitute(sym.lstm_equations(), params)) in out
    assert r"\frac{1}{10}" in out
    assert sym.latex(sym.saturated(sym.substitute(sym.lstm_equations(), params), "0.5",
                                   False)) in out
    assert sym.latex(sym.step_map(params, "0.1", activation="saturated", threshold="0.5",
                                  inclusive=False, round_feedback=True)) in out


# --- fastlstm explain ---------------------------------------------------------------

@pytest.mark.parametrize("flags, kw", [
    ([], {}), (["--activation", "saturated", "--round-feedback"],
               dict(activation="saturated", round_feedback=True))])
def test_explain(capsys, flags, kw):
    out = ok(capsys, "explain", *flags)
    machine = fl.extract_automaton(PARITY, **kw).minimize()
    assert out == "cell: preset parity\n" + machine.describe() + "\n"
    # What the worked example says h_t carries (docs/semantics.md), proved on the machine.
    assert "whether the run of 1s ending at t has odd length" in out
    for v in (1, 0, -1):
        assert f"v = {v}: {machine.regex(v)}" in out


def test_explain_other_formats(capsys):
    machine = fl.extract_automaton(PARITY).minimize()
    assert ok(capsys, "explain", "--format", "dot") == machine.to_dot() + "\n"
    assert ok(capsys, "explain", "--format", "latex") == machine.to_latex() + "\n"
    d = json.loads(ok(capsys, "explain", "--format", "json"))
    assert d["transitions"] == machine.transitions.tolist()
    assert d["outputs"] == machine.outputs.tolist() and d["states"] == 3
    assert d["regexes"] == {str(v): machine.regex(v) for v in (-1, 0, 1)}
    assert [p["hypothesis"] for p in d["proved"]] == ["trailing_run_parity(1)"]
    assert d["proved"][0]["values"] == {"none": 0, "odd": 1, "even": -1}


# --- fastlstm sweep -----------------------------------------------------------------

def _library_sweep(length=4, **axes):
    from fastlstm.sweeps import binary_strings, grid, parity_target, sweep

    X = binary_strings(length)
    return sweep(grid(base=PARITY, **axes), X, target=parity_target(X)).to_grid()


def test_sweep_one_axis_saved(capsys, tmp_path):
    out_file = tmp_path / "sweep.npz"
    out = ok(capsys, "sweep", "--axis", "W_cx=0:100:11", "--length", "4", "--out", str(out_file),
             "--no-progress")
    expected = _library_sweep(W_cx=np.linspace(0, 100, 11))
    with np.load(out_file) as d:
        assert d["accuracy"].tolist() == expected.tolist()
        assert d["axes"].tolist() == ["W_cx"]
        assert d["W_cx"].tolist() == np.linspace(0, 100, 11).tolist()
        assert d["base"].tolist() == PARITY.to_array().tolist() and int(d["length"]) == 4
    rows = [line.split() for line in out.splitlines()
            if line.startswith(" ") and "W_cx" not in line]
    assert [float(r[1]) for r in rows] == pytest.approx(expected.tolist(), abs=5e-5)
    assert f"saved {out_file}" in out


def test_sweep_two_axes(capsys):
    status, out, err = cli(capsys, "sweep", "--axis", "W_ch=-150,-100,-50", "--axis",
                           "W_cx=0:100:5", "--length", "3")
    assert status == 0
    assert "sweep" in err                 # the progress bar, on stderr
    expected = _library_sweep(3, W_ch=[-150, -100, -50], W_cx=np.linspace(0, 100, 5))
    assert f"{int((expected == 1).sum())} cells" in out
    assert f"max {expected.max():.4g}, mean {expected.mean():.4g}" in out
    assert len([line for line in out.splitlines() if line.endswith("|")]) == 3


def test_sweep_semantics_flags(capsys, tmp_path):
    from fastlstm.sweeps import binary_strings, grid, parity_target, sweep

    out_file = tmp_path / "s.npz"
    ok(capsys, "sweep", "--axis", "b_c=-1,0,1", "--activation", "saturated", "--round-feedback",
       "--length", "3", "--out", str(out_file), "--no-progress")
    X = binary_strings(3)
    res = sweep(grid(base=PARITY, b_c=[-1.0, 0.0, 1.0]), X, target=parity_target(X),
                activation="saturated", round_feedback=True)
    with np.load(out_file) as d:
        assert d["accuracy"].tolist() == res.accuracy.tolist()
        assert str(d["activation"]) == "saturated" and bool(d["round_feedback"])


def test_sweep_plot(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("fastlstm.plot")
    png = tmp_path / "map.png"
    out = ok(capsys, "sweep", "--axis", "W_ch=-150:-50:3", "--axis", "W_cx=0:100:3",
             "--length", "3", "--plot", str(png), "--no-progress")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"saved {png}" in out


# --- refusals: exit status 2 and one line ---------------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["run", "1", "x"], "input 'x' is not a number"),
    (["run", "1", "nan"], "input 'nan' is not a finite number"),
    (["run", "0,,1"], "empty input between commas"),
    (["run", ""], "no inputs given"),
    (["run", "--params", "b_x=1", "1"], "unknown parameter 'b_x'"),
    (["run", "--params", "b_f=big", "1"], "b_f must be a number"),
    (["run", "--params", "b_f=inf", "1"], "b_f must be finite"),
    (["run", "--params", "b_f=1,b_f=2", "1"], "b_f given twice"),
    (["run", "--params", "b_f", "1"], "expected NAME=VALUE"),
    (["run", "--params", "1,2,3", "1"], "12 numbers"),
    (["run", "--preset", "parity", "--params", ",".join(["1"] * 12), "1"], "drop --preset"),
    (["run", "--compare", "--activation", "saturated", "1"], "drop --activation"),
    (["run", "--compare", "--round-feedback", "--open-boundary", "1"],
     "drop --open-boundary and --round-feedback"),
    (["run", "--threshold", "0", "1"], "--threshold: expected a finite number > 0"),
    (["run", "--threshold", "nan", "1"], "--threshold: expected a finite number > 0"),
    (["run", "--h0", "inf", "1"], "--h0: expected a finite number"),
    (["run", "--digits", "0", "1"], "--digits: expected a whole number >= 1"),
    (["run", "--preset", "nope", "1"], "invalid choice: 'nope'"),
    (["run", "--format", "html", "1"], "invalid choice: 'html'"),
    (["run"], "the following arguments are required: INPUTS"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "the following arguments are required: COMMAND"),
    (["equations", "--step-map", "x"], "--step-map: expected a finite number"),
    (["explain", "--params", "b_f=100,b_i=100,b_c=100", "--max-states", "20"],
     "not finite within max_states=20"),
    (["explain", "--quantize", "99"], "quantize"),
    (["sweep"], "the following arguments are required: --axis"),
    (["sweep", "--axis", "W_ch"], "expected NAME=LO:HI:N"),
    (["sweep", "--axis", "W_xx=0:1:3"], "unknown parameter 'W_xx'"),
    (["sweep", "--axis", "W_ch=0:1"], "expected LO:HI:N"),
    (["sweep", "--axis", "W_ch=0:1:x"], "N must be a whole number >= 2"),
    (["sweep", "--axis", "W_ch=0:nan:3"], "--axis W_ch: HI must be finite, got 'nan'"),
    (["sweep", "--axis", "W_ch=0,x"], "--axis W_ch: every value must be a number, got 'x'"),
    (["equations", "--threshold", "2"], "--threshold changes only the saturated forms"),
    (["equations", "--open-boundary", "--threshold", "3", "--step-map", "1"],
     "--threshold and --open-boundary change only the saturated forms: add --saturated"),
    (["equations", "--round-feedback", "--saturated"], "add --step-map X"),
    (["sweep", "--axis", "W_ch=1,2", "--axis", "W_ch=3"], "W_ch given twice"),
    (["sweep", "--axis", "W_ch=1,2", "--plot", "map.png"], "two axes"),
    (["sweep", "--axis", "W_ch=1,2", "--out", "/no/such/folder/s.npz"], "does not exist"),
    (["sweep", "--axis", "W_ch=1,2", "--out", "s.txt"], "ending in .npz"),
    (["sweep", "--axis", "W_ch=1,2", "--length", "31"],
     "--length: expected a whole number from 1 to 26, got '31'"),
    (["sweep", "--axis", "W_ch=1,2", "--target", "xor"], "invalid choice: 'xor'"),
    (["explain", "--alphabet", "0,0"], "alphabet"),
])
def test_refusals_are_one_line(capsys, argv, message):
    assert message in refused(capsys, *argv)


def test_an_axis_that_would_not_fit_in_memory_is_refused_before_it_is_made(capsys):
    # 10**12 values (8 TB for the axis, 96 TB as a grid) crashed np.linspace with a
    # MemoryError traceback; the refusal names the axis and the size, exit status 2
    err = refused(capsys, "sweep", "--axis", "W_ch=-1:1:1000000000000")
    assert "--axis W_ch=-1:1:1000000000000 has 1000000000000 parameter sets" in err
    assert "87.3 TiB" in err  # 10**12 * 12 * 8 bytes


def test_missing_extra_and_unwritable_file_exit_1(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)   # import matplotlib -> ImportError
    err = refused(capsys, "sweep", "--axis", "W_ch=-1,1", "--axis", "W_cx=0,1", "--plot",
                  str(tmp_path / "map.png"), status=1)
    assert "pip install 'fastlstm[plot]'" in err
    (tmp_path / "dir.npz").mkdir()
    err = refused(capsys, "sweep", "--axis", "W_ch=-1,1", "--length", "2", "--out",
                  str(tmp_path / "dir.npz"), "--no-progress", status=1)
    assert "dir.npz" in err


def test_library_errors_keep_their_message(capsys):
    with pytest.raises(ValueError) as exc:
        fl.extract_automaton(fl.ScalarLSTM(b_f=100, b_i=100, b_c=100), max_states=20)
    err = refused(capsys, "explain", "--params", "b_f=100,b_i=100,b_c=100", "--max-states", "20")
    assert " ".join(str(exc.value).split()) in err and "--max-states N" in err


def test_traceback_on_request(capsys, monkeypatch):
    monkeypatch.setenv("FASTLSTM_TRACEBACK", "1")
    with pytest.raises(ValueError, match="input 'x' is not a number"):
        main(["run", "x"])


# --- help ------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [[], ["run"], ["equations"], ["sweep"], ["explain"]])
def test_help_has_examples(capsys, command):
    out = ok(capsys, *command, "--help")
    assert "examples:" in out and "fastlstm " in out.split("examples:")[1]


def _help_examples():
    """Every ``fastlstm ...`` example line of the help texts, as argv lists."""
    from fastlstm.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    for p in [parser, *subparsers.values()]:
        text = p.epilog.split("examples:")[1].replace("\\\n", " ")
        for line in text.splitlines():
            command = re.split(r"\s{3,}|[|>]", line.strip())[0].strip()
            if command.startswith("fastlstm "):
                yield pytest.param(shlex.split(command)[1:], id=command[9:60])


@pytest.mark.parametrize("argv", list(_help_examples()))
def test_help_examples_run(capsys, monkeypatch, tmp_path, argv):
    if "--plot" in argv:
        pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 0, capsys.readouterr().err


def test_version(capsys):
    assert ok(capsys, "--version").strip() == f"fastlstm {fl.__version__}"


# --- helpers --------------------------------------------------------------------------------

def test_parse_inputs_and_params():
    assert parse_inputs(["10.0", "10"]).tolist() == [10.0, 1.0, 0.0]
    assert parse_inputs(["1e-3,-2"]).tolist() == [0.001, -2.0]
    assert parse_params(["W_fh=1"]) == {"W_fh": 1.0}
    assert parse_params([" 0, 0,-100,0,100,100,0,100,0,-100,50,0 "]) == PARITY.to_array().tolist()


# --- as a user runs it: python -m fastlstm, the fastlstm script --------------------------------

def _spawn(*argv, env=None):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **(env or {})))


def test_python_dash_m(tmp_path):
    done = _spawn(sys.executable, "-m", "fastlstm", "run", "--format", "json", "11011")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rounded"] == KEY["11011"]
    done = _spawn(sys.executable, "-m", "fastlstm", "run", "1", "x")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "fastlstm run: error: input 'x' is not a number\n"


def test_run_imports_no_heavy_extras():
    code = ("import sys; from fastlstm.cli import main; main(['run', '11011']); "
            "print(sorted(m for m in ('sympy', 'matplotlib', 'dask', 'symbolic') "
            "if m in sys.modules))")
    done = _spawn(sys.executable, "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def _script():
    """The installed ``fastlstm`` script: beside this Python (pip puts it there, whether or
    not that folder is on PATH), else wherever PATH finds one; None if neither has it."""
    for name in ("fastlstm", "fastlstm.exe"):
        beside = pathlib.Path(sys.executable).parent / name
        if beside.is_file():
            return str(beside)
    return shutil.which("fastlstm")


@pytest.mark.skipif(_script() is None, reason="the fastlstm script is not installed")
def test_console_script():
    done = _spawn(_script(), "run", "--compare", "--format", "json", "11011")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["disagreements"] == [3, 4]
    done = _spawn(_script(), "run", "--threshold", "-1", "1")
    assert done.returncode == 2 and done.stderr.count("\n") == 1


# --- the documentation shows real output --------------------------------------------------

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _console_examples():
    """``(file, command, expected output)`` for every ``$ fastlstm ...`` line in a console block."""
    for doc in (ROOT / "docs" / "cli.md", ROOT / "README.md"):
        if not doc.exists():
            continue
        for block in re.findall(r"```console\n(.*?)```", doc.read_text(), flags=re.S):
            for chunk in re.split(r"^(?=\$ )", block, flags=re.M):
                command, _, output = chunk.partition("\n")
                argv = shlex.split(command[2:]) if command.startswith("$ ") else []
                if argv[:1] == ["fastlstm"]:
                    yield pytest.param(argv[1:], output, id=f"{doc.name}: {command[2:60]}")


@pytest.mark.parametrize("argv, expected", list(_console_examples()))
def test_documented_output_is_real(capsys, monkeypatch, tmp_path, argv, expected):
    if "--plot" in argv:
        pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)          # files the examples save land here
    (tmp_path / "fastlstm").mkdir()                     # the networks they read
    (tmp_path / "fastlstm" / "data").symlink_to(ROOT / "fastlstm" / "data")
    main(argv)
    out, err = capsys.readouterr()
    assert out + err == expected, ("the documented output is out of date; "
                                   "`python tests/cli/test_cli.py` rewrites docs/cli.md")


def test_documented_python_examples_run():
    import doctest

    failures, tried = doctest.testfile(str(ROOT / "docs" / "cli.md"), module_relative=False,
                                       optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def _update_docs():
    """Rewrite the output under every ``$ fastlstm ...`` line of docs/cli.md, running it in a
    scratch folder.  Files the commands save stay there: the one picture in docs/,
    docs/regime_map.png, is drawn by docs/regime_map.py."""
    import contextlib
    import tempfile

    doc = ROOT / "docs" / "cli.md"

    def run(command):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(shlex.split(command)[1:])
        return out.getvalue() + err.getvalue()

    def fill(block):
        commands = [line for line in block.group(1).splitlines() if line.startswith("$ fastlstm")]
        return "```console\n" + "".join(f"{c}\n{run(c[2:])}" for c in commands) + "```"

    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        os.makedirs("fastlstm")
        os.symlink(ROOT / "fastlstm" / "data", os.path.join("fastlstm", "data"))
        try:
            doc.write_text(re.sub(r"```console\n(.*?)```", fill, doc.read_text(), flags=re.S))
        finally:
            os.chdir(ROOT)


if __name__ == "__main__":
    _update_docs()


def test_docs_cli_names_every_command_and_counts_them():
    import argparse
    import pathlib
    import re

    from fastlstm.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    commands = sorted(sub.choices)
    intro = (pathlib.Path(__file__).parents[2] / "docs" / "cli.md").read_text().split("\n\n")[1]
    words = {4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
    assert f"has {words[len(commands)]} commands" in intro, intro
    assert sorted(re.findall(r"`(\w+)`\s+\(", intro)) == commands


def test_readme_chaos_map_command_draws_the_pictured_cell():
    # README's one-line recipe for docs/chaos_map.png must sweep the same grid around the same
    # cell as docs/chaos_pictures.py, which drew the picture: otherwise --plot's marker for the
    # base cell lands elsewhere (W_ch and b_c left out of --params put it at (0, 0), on the legend).
    import importlib.util

    from fastlstm.cli.commands import _cell
    from fastlstm.cli.parser import build_parser
    from fastlstm.cli.values import parse_axis

    spans = re.findall(r"`(fastlstm sweep [^`]*)`", (ROOT / "README.md").read_text())
    chaos = [" ".join(s.split()) for s in spans if "--record lyapunov" in s]
    assert len(chaos) == 1, spans
    args = build_parser().parse_args(shlex.split(chaos[0])[1:])
    cell, _, _ = _cell(args)
    spec = importlib.util.spec_from_file_location("chaos_pictures",
                                                  ROOT / "docs" / "chaos_pictures.py")
    pictures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pictures)
    assert cell.to_dict() == pictures.CHAOTIC.to_dict()
    # The README's own chaotic cell, W_ch = -10 and b_c = 4 among its parameters.
    assert (cell.W_ch, cell.b_c) == (-10.0, 4.0)
    axes = dict(parse_axis(a) for a in args.axis)
    assert list(axes) == ["W_ch", "b_c"]
    np.testing.assert_array_equal(axes["W_ch"], np.linspace(-12.0, 0.0, 240))
    np.testing.assert_array_equal(axes["b_c"], np.linspace(0.0, 8.0, 240))
    assert (args.record, args.input, args.plot) == ("lyapunov", "0", "chaos_map.png")
