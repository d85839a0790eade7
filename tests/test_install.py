"""A normal install works: what ``pip install .`` gives a user, outside the repository.

A pip user has the package, not the repository: no docs/, examples/ or bench/.  So
the command line's help and the package's messages never point at those files, the
example network ships as package data (``fl.presets.parity_lstm``), and a wheel built
from the tree, installed into a fresh virtual environment, runs the README's examples
from a folder outside the tree.
"""

from __future__ import annotations

import ast
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

import fastlstm as fl
from fastlstm import _config
from fastlstm.cli.parser import build_parser

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fastlstm"
# a path into the repository that an installed package does not have
REPO_PATH = re.compile(r"\b(?:docs|examples|bench)/")


# --- messages and help name no repository file ----------------------------------------------

def _subparsers(parser):
    """(name, parser) of every subcommand of ``parser``."""
    for action in parser._actions:
        if hasattr(action, "choices") and isinstance(action.choices, dict):
            yield from action.choices.items()


def _help_texts():
    """(command, its --help output) for the top level and every subcommand."""
    parser = build_parser()
    yield "fastlstm --help", parser.format_help()
    for name, sub in _subparsers(parser):
        yield f"fastlstm {name} --help", sub.format_help()


def test_every_command_has_its_help_scanned():
    names = [where for where, _ in _help_texts()]
    assert names == ["fastlstm --help"] + [f"fastlstm {name} --help" for name in (
        "run", "equations", "sweep", "explain", "dynamics", "compile")]


@pytest.mark.parametrize("where, text", [pytest.param(w, t, id=w) for w, t in _help_texts()])
def test_help_names_no_repository_file(where, text):
    found = REPO_PATH.findall(text)
    assert not found, f"{where} points at {found}, which a pip install does not have"


def _message_strings(path):
    """(line, text) of every string literal of a module that is not documentation.

    Documentation is a string standing alone as a statement (a docstring, or a string
    documenting an attribute); everything else (a message, a help text, a format, an
    f-string's parts) can reach the user of an installed package.
    """
    tree = ast.parse(path.read_text(), str(path))
    documentation = {id(node.value) for node in ast.walk(tree)
                     if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in documentation):
            yield node.lineno, node.value


def test_message_scan_sees_messages_not_docstrings(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(textwrap.dedent('''\
        """See docs/a.md."""
        def f(x):
            """Also docs/b.md."""
            raise ValueError(f"x is {x}; see docs/c.md")
        HELP = "docs/d.md"
        '''))
    assert sorted(text for _, text in _message_strings(module) if REPO_PATH.search(text)) == \
        ["; see docs/c.md", "docs/d.md"]


def test_package_messages_name_no_repository_file():
    found = [f"{path.relative_to(ROOT)}:{line}: {text!r}"
             for path in sorted(PACKAGE.rglob("*.py"))
             for line, text in _message_strings(path) if REPO_PATH.search(text)]
    assert not found, "messages that point at files a pip install does not have:\n" + \
        "\n".join(found)



# --- the example network is package data ---------------------------------------------------

def test_parity_lstm_is_the_shipped_file():
    path = fl.presets.weights_file("parity_lstm")
    assert path == PACKAGE / "data" / "parity_lstm.npz" and path.is_file()
    network = fl.presets.parity_lstm()
    assert isinstance(network, fl.TrainedNetwork) and network == fl.load_weights(path)
    cell, readout = network
    assert (cell.hidden_size, cell.input_size, readout.labels) == (3, 1, (-1, 0, 1))
    # the exercise's key for 1 1 0 1 1 (+1 odd run of ones, -1 even, 0 after a zero)
    assert readout.label(fl.run(cell, [1, 1, 0, 1, 1]).h).tolist() == [1, -1, 0, 1, -1]


def test_weights_file_refuses_what_is_not_shipped():
    for name in ("parity", "parity_lstm.npz", "../data/parity_lstm", ""):
        with pytest.raises(ValueError, match="unknown weights .*shipped weights: parity_lstm"):
            fl.presets.weights_file(name)
    for name in (None, 3, pathlib.Path("parity_lstm")):
        with pytest.raises(TypeError, match="name must be a str"):
            fl.presets.weights_file(name)


# --- a wheel, installed into a fresh virtual environment, run from outside the tree ------------

README = (ROOT / "README.md").read_text()


def _readme_console(command):
    """The output the README shows under ``$ command`` in a console block."""
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.S):
        head, _, output = block.partition("\n")
        if head == f"$ {command}":
            return output
    raise AssertionError(f"the README shows no console block for {command!r}")


def _readme_trained_network_example():
    """The first Python example of the README's "Trained networks" section, as a doctest."""
    section = README.split("\n## Trained networks\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)


def _copy_sources(dest):
    """What the build reads (pyproject.toml, README.md, the packages), without caches, so the
    build never writes into the shared working tree."""
    ignore = shutil.ignore_patterns("__pycache__", "*.py[cod]", "*.nbi", "*.nbc", "*.egg-info")
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("fastlstm", "symbolic"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)


def _run(argv, cwd, env):
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, f"{argv} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_tree(tmp_path):
    # The build uses this environment's setuptools (--no-build-isolation) and the
    # venv sees this environment's numpy, numba and sympy: nothing is downloaded.
    # The test extra brings setuptools >= 77, which reads pyproject's license field.
    _copy_sources(tmp_path / "src")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "-q", "-w", tmp_path / "dist", tmp_path / "src"], tmp_path, None)
    (wheel,) = (tmp_path / "dist").glob("fastlstm-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv],
         tmp_path, None)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    # this environment's pip, run by the venv's python, installs into the venv;
    # --ignore-installed: the editable fastlstm this environment holds is no concern
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
          "-q", wheel], tmp_path, None)

    work = tmp_path / "elsewhere"   # a user's folder, outside the repository
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    # The suite's kernel cache: entries are keyed on the sources' content, not their
    # path, so the installed copy loads what the suite compiled from the same files
    # (the kernels live in $FASTLSTM_CACHE_DIR/kernels).
    env["FASTLSTM_CACHE_DIR"] = str(_config.CACHE_DIR.parent if _config.CACHE_DIR
                                    else tmp_path / "kernel-cache")
    env["FASTLSTM_QUIET"] = "1"

    where = _run([python, "-c", "import fastlstm; print(fastlstm.__file__)"], work, env)
    installed = pathlib.Path(where.strip()).resolve()
    assert installed.is_relative_to(venv.resolve()), installed
    assert not installed.is_relative_to(ROOT)

    command = "fastlstm run --compare --preset parity 1 1 0 1 1"
    out = _run([bin_dir / "fastlstm", *command.split()[1:]], work, env)
    assert out == _readme_console(command)

    example = work / "readme_trained_network.txt"
    example.write_text(">>> import fastlstm as fl\n" + _readme_trained_network_example())
    _run([python, "-m", "doctest", "-o", "NORMALIZE_WHITESPACE", "-o", "ELLIPSIS", example.name],
         work, env)

    # a relative --weights path is read from the folder the user is in
    shipped = _run([python, "-c", "import fastlstm as fl; "
                    "print(fl.presets.weights_file('parity_lstm'))"], work, env).strip()
    assert pathlib.Path(shipped).resolve().is_relative_to(venv.resolve())
    (work / "nets").mkdir()
    shutil.copy2(shipped, work / "nets" / "parity.npz")
    out = _run([bin_dir / "fastlstm", "run", "--weights", "nets/parity.npz", "--format", "json",
                "1", "1", "0", "1", "1"], work, env)
    assert json.loads(out)["label"] == [1, -1, 0, 1, -1]   # the exercise's key
