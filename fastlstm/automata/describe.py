"""The text of ``MooreMachine.describe()``: what a machine computes, in words.

The transition table, then every named hypothesis of ``hypotheses.library``
that holds on the minimal machine (a proof for inputs of every length), then
one regex per output value.  This module sits above both the machine class
and the hypothesis library (it checks the library against a machine); the
class reaches it only through the function the package installs
(``machine.install_describer(describe)`` in ``automata/__init__.py``), so no
import runs back down-to-up.
"""

from __future__ import annotations

from . import hypotheses
from .alphabet import symbol_str
from .minimize import reachable_order
from .regex import regex_chars

__all__ = ["describe"]

#: Regexes are printed for minimal machines up to this size.
REGEX_STATES = 8
#: The transition table is printed for machines up to this size.
TABLE_STATES = 64
#: Characters standing for symbols that do not print as one character.
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def describe(machine) -> str:
    """The text of ``machine.describe()`` (see ``MooreMachine.describe``)."""
    minimal = machine.minimize()
    lines = [_headline(machine, minimal)]
    if machine.semantics is not None:
        lines.append(f"Semantics: {machine.semantics.describe()}.")
        lines.append("Output of a state: the readout's label of h_t after reading x_0 .. x_t "
                     "(the start state carries the label of h0)." if machine.readout is not None
                     else "Output of a state: the rounded h_t after reading x_0 .. x_t "
                     "(the start state carries round(h0)).")
    if not machine.exact:
        lines.append(f"APPROXIMATION: h and c were rounded to {machine.quantize} decimals after "
                     "every step; what follows is proved for this machine, not for the cell.")
    if machine.provenance is not None:   # learned machines say what is proved and what tested
        lines.extend(machine.provenance.words().splitlines())
    lines.append("")
    if machine.n_states <= TABLE_STATES:
        lines.extend(_table_lines(machine))
    else:
        where = (".transitions, .outputs, .h and .c" if machine.h is not None
                 else ".transitions and .outputs")
        lines.append(f"(Transition table of {machine.n_states} states not printed: see {where}, "
                     "or describe the minimal machine.)")
    lines.append("")
    lines.extend(_proved_lines(minimal))
    lines.append("")
    lines.extend(_regex_lines(minimal))
    return "\n".join(lines)


def _headline(machine, minimal):
    alphabet = ", ".join(symbol_str(s) for s in machine.alphabet)
    size = _states(machine.n_states)
    if machine.reduced_from is not None:
        size += f" (minimal, from {machine.reduced_from})"
    elif minimal.n_states != machine.n_states:
        size += f" (minimal machine: {_states(minimal.n_states)})"
    else:
        size += " (already minimal)"
    return f"Moore machine: {size}, alphabet {{{alphabet}}}, start q{machine.start}."


def _proved_lines(minimal):
    """The hypotheses of the library that hold (only ``constant`` when it does)."""
    verdicts = [v for v in (hyp.check(minimal) for hyp in hypotheses.library(minimal.alphabet))
                if v.holds]
    constant = [v for v in verdicts if v.hypothesis.name == "constant"]
    if constant:
        verdicts = constant
    else:
        verdicts.sort(key=lambda v: not v.exact)
    if not verdicts:
        return ["No named hypothesis holds (each was checked exactly on the machine; "
                "see fastlstm.hypotheses)."]
    lines = ["Proved on the machine, for inputs of every length (t >= 0):"]
    for v in verdicts:
        lines.extend("- " + line if k == 0 else "  " + line
                     for k, line in enumerate(v.words().splitlines()))
    return lines


def _regex_lines(minimal):
    symbols, legend = minimal.alphabet, ""
    try:
        chars = "".join(regex_chars(symbols))
    except ValueError:
        if len(symbols) > len(LETTERS):
            return ["(No regexes: the symbols are not single characters; "
                    "call .regex(value, chars=...).)"]
        # Longer symbols (vectors, 0.5, -1) get a letter each, said in a legend.
        chars = LETTERS[:len(symbols)]
        legend = ": " + ", ".join(f"{ch} = {symbol_str(s)}" for ch, s in zip(chars, symbols))
    if minimal.n_states > REGEX_STATES:
        call = ".regex(value, chars=...)" if legend else ".regex(value)"
        return [f"(Regexes not printed for {minimal.n_states} states; call {call}.)"]
    lines = [f"Inputs after which the output is v (re.fullmatch, one character per "
             f"symbol{legend}):"]
    lines.extend(f"  v = {symbol_str(v)}: {minimal.regex(v, chars)}"
                 for v in _output_order(minimal))
    return lines


def _table_lines(machine):
    """The transition table (with h and c when the machine has them), one line per row."""
    heads = ["state", "output"] + [f"x={symbol_str(s)}" for s in machine.alphabet]
    rows = []
    outputs = machine.output_keys()
    for s in machine.states:
        row = [f"q{s}", symbol_str(outputs[s])]
        row += [f"q{q}" for q in machine.transitions[s].tolist()]
        if machine.h is not None:
            row += [_values_str(machine.h[s]), _values_str(machine.c[s])]
        rows.append(row)
    if machine.h is not None:
        heads += ["h", "c"]
    widths = [max(len(r[k]) for r in rows + [heads]) for k in range(len(heads))]
    right = {1}   # numbers right-aligned, names left-aligned

    def fmt(row):
        cells = [cell.rjust(w) if k in right else cell.ljust(w)
                 for k, (cell, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()
    return [fmt(heads)] + [fmt(r) for r in rows]


def _values_str(v):
    """A state's h or c: ``-0.0``, or ``(1.0, -0.0)`` for a vector."""
    values = [repr(x) for x in v.reshape(-1).tolist()]
    return values[0] if v.ndim == 0 else "(" + ", ".join(values) + ")"


def _states(n):
    return f"{n} state" if n == 1 else f"{n} states"


def _output_order(m):
    """Output values reached by non-empty inputs: positive (descending), 0, negative."""
    reached = set()
    outputs = m.output_keys()
    for s in reachable_order(m.transitions, m.start).tolist():
        for q in m.transitions[s].tolist():
            reached.add(outputs[q])
    if m.outputs.ndim == 2:   # vectors: in reverse lexicographic order
        return sorted(reached, reverse=True)
    return sorted(reached, key=lambda v: (v <= 0, v < 0, -abs(v)))
