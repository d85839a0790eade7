"""Regular expressions for the languages of a Moore machine.

``language_regex`` turns "the non-empty input strings after which the output
is v" into a Python ``re`` pattern: a tiny simplifying regex AST, state
elimination (Brzozowski-McCluskey) on the minimal acceptor, and the same on
the reversed language (subset construction), reversed back.  Works on plain
arrays; ``MooreMachine.regex`` is the public entry point.

Nodes are tuples: ``("empty",)`` matches nothing, ``("eps",)`` the empty
string, ``("sym", ch)``, ``("cat", parts)``, ``("alt", parts)``,
``("star", r)``, ``("plus", r)``.  Elimination shares subexpressions heavily
(the tree can be exponentially larger than the DAG), so the pure
constructors are memoised.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from functools import lru_cache

import numpy as np

from .alphabet import symbol_str
from .minimize import minimal_form

__all__ = ["language_regex", "regex_chars"]

#: Subset-construction cap when trying the reversed language for a shorter regex.
_REVERSE_SUBSETS = 256
#: The reversed language is only eliminated when its minimal DFA is at most
#: this many states larger than the language's own (otherwise it is long anyway).
_REVERSE_EXTRA_STATES = 2
#: Machines up to this many states (after trimming) try every elimination order.
_ALL_ORDERS = 5
#: The suffix form is preferred unless it is longer than this factor times the prefix form.
_SUFFIX_FORM_SLACK = 2.0


def regex_chars(alphabet, chars=None):
    """One character per symbol of ``alphabet``, as a list.

    ``chars=None`` uses the symbols themselves when each prints as one
    character (0-9); otherwise ``chars`` must be a string of distinct
    characters, one per symbol.

    Examples
    --------
    >>> regex_chars((0, 1)), regex_chars((-1, 1), "np")
    (['0', '1'], ['n', 'p'])
    >>> regex_chars((-1, 1))
    Traceback (most recent call last):
    ...
    ValueError: regex needs one character per symbol ... pass chars, e.g. chars='ab'
    """
    if chars is None:
        names = [symbol_str(s) for s in alphabet]
        if all(len(n) == 1 for n in names):
            return names
        raise ValueError(f"regex needs one character per symbol and the alphabet "
                         f"{alphabet} has longer names: pass chars, e.g. "
                         f"chars={'abcdefghijklmnopqrstuvwxyz'[:len(alphabet)]!r}")
    if not isinstance(chars, str) or len(chars) != len(alphabet) \
            or len(set(chars)) != len(chars):
        raise ValueError(f"chars must be a string of {len(alphabet)} distinct characters, "
                         f"one per symbol of {alphabet}, got {chars!r}")
    return list(chars)


# --------------------------------------------------------------------------- #
# the AST and its simplifying constructors
# --------------------------------------------------------------------------- #

EMPTY = ("empty",)
EPS = ("eps",)


def _sym(ch):
    return ("sym", ch)


@lru_cache(maxsize=65536)
def _nullable(r):
    kind = r[0]
    if kind in ("eps", "star"):
        return True
    if kind == "plus":
        return _nullable(r[1])
    if kind == "alt":
        return any(_nullable(p) for p in r[1])
    if kind == "cat":
        return all(_nullable(p) for p in r[1])
    return False


def _seq(r):
    """r as a sequence of concatenated factors."""
    return () if r == EPS else (r[1] if r[0] == "cat" else (r,))


def _factor(parts):
    """Factor a common first (then last) factor out of alternatives: 0|10 -> 1?0."""
    for end in (-1, 0):
        groups = defaultdict(list)
        for p in parts:
            s = _seq(p)
            if s:
                groups[s[end]].append(p)
        for common, members in groups.items():
            if len(members) < 2:
                continue
            rests = [_cat(*(_seq(p)[:-1] if end == -1 else _seq(p)[1:])) for p in members]
            merged = _cat(_alt(*rests), common) if end == -1 else _cat(common, _alt(*rests))
            return _factor([p for p in parts if p not in members] + [merged])
    return parts


@lru_cache(maxsize=65536)
def _alt(*parts):
    flat = []
    for p in parts:
        for q in (p[1] if p[0] == "alt" else (p,)):
            if q != EMPTY and q not in flat:
                flat.append(q)
    if EPS in flat and any(_nullable(p) for p in flat if p != EPS):
        flat.remove(EPS)
    starred = {p[1] for p in flat if p[0] == "star"}
    flat = [p for p in flat if p not in starred and not (p[0] == "plus" and p[1] in starred)]
    if EPS in flat and len(flat) == 2:
        other = flat[0] if flat[1] == EPS else flat[1]
        if other[0] == "plus":
            return _star(other[1])
    flat = _factor(flat)
    if not flat:
        return EMPTY
    if len(flat) == 1:
        return flat[0]
    return ("alt", tuple(sorted(flat, key=_sort_key)))


@lru_cache(maxsize=65536)
def _cat(*parts):
    out = []
    for p in parts:
        if p == EMPTY:
            return EMPTY
        for q in _seq(p):
            if q[0] == "star":
                inner = _seq(q[1])
                if inner and tuple(out[-len(inner):]) == inner:        # X X* -> X+
                    del out[-len(inner):]
                    q = _plus(q[1])
                elif out and out[-1] in (q, ("plus", q[1])):           # X* X*, X+ X*
                    continue
            elif q[0] == "plus" and out and out[-1] == ("star", q[1]):  # X* X+ -> X+
                out[-1] = q
                continue
            elif out and out[-1] == ("star", q):                      # X* X -> X+
                out[-1] = ("plus", q)
                continue
            out.append(q)
    if not out:
        return EPS
    return out[0] if len(out) == 1 else ("cat", tuple(out))


@lru_cache(maxsize=65536)
def _star(r):
    if r in (EMPTY, EPS):
        return EPS
    if r[0] in ("star", "plus"):
        return ("star", r[1])
    if r[0] == "alt":
        inner = [p[1] if p[0] in ("star", "plus") else p for p in r[1] if p != EPS]
        r = _alt(*inner)
        if r[0] in ("star", "plus", "eps"):
            return _star(r)
    return ("star", r)


@lru_cache(maxsize=65536)
def _plus(r):
    if _nullable(r) or r[0] == "star":
        return _star(r)
    if r[0] == "plus":
        return r
    return ("plus", r)


@lru_cache(maxsize=65536)
def _reverse(r):
    kind = r[0]
    if kind == "cat":
        return _cat(*(_reverse(p) for p in reversed(r[1])))
    if kind == "alt":
        return _alt(*(_reverse(p) for p in r[1]))
    if kind == "star":
        return _star(_reverse(r[1]))
    if kind == "plus":
        return _plus(_reverse(r[1]))
    return r


def _is_atom(r):
    return r[0] == "sym" or (r[0] == "alt" and all(p[0] == "sym" for p in r[1]))


@lru_cache(maxsize=65536)
def _render(r, level=0):
    """Python ``re`` syntax; level 0: top, 1: inside a concatenation."""
    kind = r[0]
    if kind == "empty":
        return "(?!)"
    if kind == "eps":
        return ""
    if kind == "sym":
        return re.escape(r[1])
    if kind in ("star", "plus"):
        return _render_atom(r[1]) + ("*" if kind == "star" else "+")
    if kind == "cat":
        text = "".join(_render(p, 1) for p in r[1])
        return text
    parts = r[1]
    if EPS in parts:
        rest = tuple(p for p in parts if p != EPS)
        return _render_atom(rest[0] if len(rest) == 1 else ("alt", rest)) + "?"
    syms = sorted(p for p in parts if p[0] == "sym")
    others = [_render(p, 0) for p in parts if p[0] != "sym"]
    if len(syms) > 1:   # single characters as one class: 0|1|x -> [01]|x
        others.insert(0, "[" + "".join(re.escape(p[1]) for p in syms) + "]")
    elif syms:
        others.insert(0, _render(syms[0]))
    if len(others) == 1:
        return others[0]
    text = "|".join(others)
    return text if level == 0 else f"(?:{text})"


def _render_atom(r):
    return _render(r) if _is_atom(r) else f"(?:{_render(r)})"


def _sort_key(r):
    text = _render(r)
    return (len(text), text)


# --------------------------------------------------------------------------- #
# state elimination and reversal
# --------------------------------------------------------------------------- #

def _eliminate(edges, start, finals, states, order=None):
    """Brzozowski-McCluskey state elimination; ``order=None`` chooses greedily."""
    out = defaultdict(dict)
    for (p, q), r in edges.items():
        out[p][q] = r
    out["I"][start] = EPS
    for f in finals:
        out[f]["F"] = EPS
    remaining = list(states)
    while remaining:
        if order is not None:
            q = order[len(states) - len(remaining)]
        else:
            q = min(remaining, key=lambda s: _elimination_cost(out, s))
        remaining.remove(q)
        loop = _star(out[q].pop(q, EMPTY))
        outs = out.pop(q)
        for p in list(out):
            into = out[p].pop(q, None)
            if into is None:
                continue
            for t, away in outs.items():
                out[p][t] = _alt(out[p].get(t, EMPTY), _cat(into, loop, away))
    return out["I"].get("F", EMPTY)


def _elimination_cost(out, q):
    ins = [len(_render(row[q])) for p, row in out.items() if p != q and q in row]
    outs = [len(_render(r)) for t, r in out[q].items() if t != q]
    loop = len(_render(out[q][q])) if q in out[q] else 0
    return sum(ins) * len(outs) + sum(outs) * len(ins) + loop * len(ins) * len(outs)


def _acceptor_regex(table, accept, start, chars):
    """Regex AST of the language of a DFA (complete table, boolean accept)."""
    S = table.shape[0]
    # Trim: keep states from which an accepting state is reachable.
    back = defaultdict(set)
    for p in range(S):
        for q in table[p].tolist():
            back[q].add(p)
    alive = set(np.flatnonzero(accept).tolist())
    stack = list(alive)
    while stack:
        for p in back[stack.pop()]:
            if p not in alive:
                alive.add(p)
                stack.append(p)
    if start not in alive:
        return EMPTY
    edges = {}
    for p in alive:
        for a, q in enumerate(table[p].tolist()):
            if q in alive:
                edges[(p, q)] = _alt(edges.get((p, q), EMPTY), _sym(chars[a]))
    states = sorted(alive)
    finals = [s for s in states if accept[s]]
    if len(states) <= _ALL_ORDERS:
        candidates = (_eliminate(edges, start, finals, states, order)
                      for order in itertools.permutations(states))
        return min(candidates, key=_sort_key)
    return _eliminate(edges, start, finals, states)


def _reversed_dfa(table, accept, start):
    """Subset construction for the reversed language, or None past the cap."""
    S, A = table.shape
    pred = [[set() for _ in range(A)] for _ in range(S)]
    for p in range(S):
        for a, q in enumerate(table[p].tolist()):
            pred[q][a].add(p)
    first = frozenset(np.flatnonzero(accept).tolist())
    index = {first: 0}
    subsets = [first]
    rows = []
    i = 0
    while i < len(subsets):
        row = []
        for a in range(A):
            nxt = frozenset(p for q in subsets[i] for p in pred[q][a])
            if nxt not in index:
                if len(subsets) >= _REVERSE_SUBSETS:
                    return None
                index[nxt] = len(subsets)
                subsets.append(nxt)
            row.append(index[nxt])
        rows.append(row)
        i += 1
    rev_accept = np.array([start in s for s in subsets])
    return np.array(rows, dtype=np.int64), rev_accept


def language_regex(table, outputs, start, value, chars):
    """Python regex of the non-empty strings after which the output is ``value``.

    Parameters
    ----------
    table : array_like of int, shape (n, A)
        A complete transition table.
    outputs : array_like of int, shape (n,)
    start : int
    value : int
        The output whose language is wanted.
    chars : sequence of str
        One character per symbol (column of ``table``).

    Examples
    --------
    The minimal parity machine: output 1 after an odd run of ones.

    >>> language_regex([[0, 1], [0, 2], [0, 1]], [0, 1, -1], 0, 1, "01")
    '(?:[01]*0)?1(?:11)*'
    """
    table = np.asarray(table, dtype=np.int64)
    accept = np.asarray(outputs) == value
    if accept[start]:
        # A fresh, rejecting copy of the start state keeps the empty string out.
        table = np.vstack([table, table[start]])
        accept = np.append(accept, False)
        start = table.shape[0] - 1
    tab, acc, _ = minimal_form(table, accept.astype(np.int64), start)
    acc = acc.astype(bool)
    prefix_form = _render(_acceptor_regex(tab, acc, 0, chars))
    rev = _reversed_dfa(tab, acc, 0)
    if rev is None:
        return prefix_form
    # Eliminating the reversed language and reversing the result describes
    # the input from its end backwards, the way a recurrent state summarises
    # it ("anything ending in 0, then an odd run of ones"); prefer that form
    # unless it is much longer.
    rtab, racc, _ = minimal_form(rev[0], rev[1].astype(np.int64), 0)
    if rtab.shape[0] > tab.shape[0] + _REVERSE_EXTRA_STATES:
        return prefix_form
    suffix_form = _render(_reverse(_acceptor_regex(rtab, racc.astype(bool), 0, chars)))
    return suffix_form if len(suffix_form) <= _SUFFIX_FORM_SLACK * len(prefix_form) else prefix_form
