"""A normal install works: what ``pip install .`` gives a user, outside the repository.

A pip user has the package, not the repository: no docs/, examples/ or bench/.  So
the command line's help and the package's messages never point at those files, the
example network ships as package data (``fl.presets.parity_lstm``), and a wheel built
from the tree, installed into a fresh virtual environment, runs the README's examples
from a folder outside the tree.
"""

from __future__ import annotations

import ast
import os
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

import fastlstm as fl
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
