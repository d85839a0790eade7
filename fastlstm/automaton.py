"""The finite-state machine a cell implements: extraction, minimisation, description.

On a finite alphabet of inputs, a cell is a deterministic machine whose
states are its (h, c) pairs.  Under saturated activations with rounded
feedback (and often under exact activations with rounded feedback) only
finitely many pairs are reachable from (h0, c0); ``extract_automaton`` finds
them all by breadth-first search with the compiled step and returns a
``MooreMachine`` whose output in a state is the rounded h of that state.

Conventions (they matter for bit-identity, so they are fixed here):

* **States are exact.**  Two (h, c) pairs are the same state only if both
  float64 values have the same bits.  In particular ``-0.0`` and ``+0.0`` are
  different states: they feed back identically through ``W * h`` but a run
  reports them differently (``h`` keeps the sign of zero), and the compiled
  runner must reproduce ``run`` bit for bit, c included.  Minimisation merges
  such twins anyway (their outputs and futures agree).
* **Outputs are rounded h.**  The output of a state is
  ``round_half_to_zero(h)``; the start state carries ``round(h0)``.  Input
  strings are non-empty: the output after ``x_0 .. x_t`` is the rounded
  ``h_t`` that ``run`` reports, so ``regex`` never matches the empty string
  and hypotheses are about ``t >= 0``.
* **Nothing is approximated unless asked.**  When the reachable set exceeds
  ``max_states``, extraction raises; ``quantize=k`` (rounding h and c to k
  decimals after every step) is offered as an explicit approximation, and a
  machine built that way says so (``exact`` is False) and refuses to stand in
  for ``run``.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from functools import lru_cache

import numpy as np

from ._kernels import machine as _machine_kernels
from ._kernels import sequence as _sequence_kernels
from ._validate import initial_state, real_array
from .params import as_cell
from .run import Trajectory
from .semantics import Semantics, round_half_to_zero

__all__ = ["MooreMachine", "extract_automaton"]

#: Subset-construction cap when trying the reversed language for a shorter regex.
_REVERSE_SUBSETS = 256
#: The reversed language is only eliminated when its minimal DFA is at most
#: this many states larger than the language's own (otherwise it is long anyway).
_REVERSE_EXTRA_STATES = 2
#: Machines up to this many states (after trimming) try every elimination order.
_ALL_ORDERS = 5
#: regex() prefers the suffix form unless it is longer than this factor times the prefix form.
_SUFFIX_FORM_SLACK = 2.0
#: describe() prints regexes for minimal machines up to this size.
_DESCRIBE_REGEX_STATES = 8
#: describe() prints the transition table of machines up to this size.
_DESCRIBE_TABLE_STATES = 64


# --------------------------------------------------------------------------- #
# validation helpers shared with verify.py and hypotheses.py
# --------------------------------------------------------------------------- #

def check_alphabet(alphabet, name="alphabet"):
    """``(symbols, values)``: the symbols as a tuple and as a float64 array.

    An alphabet is a non-empty sequence of distinct finite real numbers.
    """
    if isinstance(alphabet, (str, bytes)) or not hasattr(alphabet, "__iter__"):
        raise TypeError(f"{name} must be a sequence of real numbers, got {type(alphabet).__name__}")
    symbols = tuple(alphabet)
    if not symbols:
        raise ValueError(f"{name} must hold at least one symbol")
    for s in symbols:
        if not _is_real(s):
            raise TypeError(f"{name} must hold real numbers, got {s!r}")
        if not math.isfinite(float(s)):
            raise ValueError(f"{name} must hold finite numbers, got {s!r}")
    values = np.array([float(s) for s in symbols], dtype=np.float64)
    if len(set(values.tolist())) != len(symbols):
        raise ValueError(f"{name} must hold distinct symbols, got {symbols}")
    symbols = tuple(s.item() if isinstance(s, np.generic) else s for s in symbols)
    return symbols, values


def _is_real(v):
    """A real number, and not a bool."""
    return (isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, (bool, np.bool_)))


def symbol_str(s):
    """How a symbol is printed: ``1`` for 1 and 1.0, ``0.5``, ``-1``."""
    return f"{float(s):g}" if isinstance(s, float) else str(s)


def _input_array(x, name, ndims):
    """``x`` as a C-contiguous float64 array (not copied when it already is one).

    Values are converted exactly as ``run`` converts them; values outside
    the alphabet (NaN and inf included) are reported by the caller.
    """
    return real_array(x, name, ndims, finite=False)


def _semantics_words(sem):
    if sem is None:
        return None
    words = [sem.activation]
    if sem.saturated:
        words.append(f"threshold {sem.threshold:g}")
        words.append("closed boundary" if sem.inclusive else "open boundary")
    words.append("rounded feedback" if sem.round_feedback else "raw feedback")
    return ", ".join(words)


# --------------------------------------------------------------------------- #
# minimisation (Moore partition refinement, canonical numbering)
# --------------------------------------------------------------------------- #

def _reachable_order(table, start):
    """States reachable from ``start``, in breadth-first order (alphabet order)."""
    seen = np.zeros(table.shape[0], dtype=bool)
    seen[start] = True
    order = [start]
    i = 0
    while i < len(order):
        for q in table[order[i]].tolist():
            if not seen[q]:
                seen[q] = True
                order.append(q)
        i += 1
    return np.array(order, dtype=np.int64)


def minimal_form(table, outputs, start):
    """The minimal machine equivalent to ``(table, outputs, start)``.

    Returns ``(table, outputs, block)``: the minimal machine with its start
    state numbered 0 and the others in breadth-first order (so equivalent
    machines get identical arrays), and for each original state its minimal
    state (-1 where unreachable).
    """
    table = np.asarray(table)
    outputs = np.asarray(outputs)
    order = _reachable_order(table, start)
    renum = np.full(table.shape[0], -1, dtype=np.int64)
    renum[order] = np.arange(order.size)
    tab = renum[table[order]]
    out = outputs[order]
    block = np.unique(out, return_inverse=True)[1].reshape(-1)
    n_blocks = int(block.max()) + 1
    while True:
        signature = np.column_stack([block, block[tab]])
        block = np.unique(signature, axis=0, return_inverse=True)[1].reshape(-1)
        if int(block.max()) + 1 == n_blocks:
            break
        n_blocks = int(block.max()) + 1
    rep = np.zeros(n_blocks, dtype=np.int64)
    rep[block[::-1]] = np.arange(block.size)[::-1]   # first member of each block
    block_table = block[tab[rep]]
    canon = _reachable_order(block_table, int(block[0]))
    rank = np.empty(n_blocks, dtype=np.int64)
    rank[canon] = np.arange(n_blocks)
    min_table = rank[block_table[canon]].astype(np.int32)
    min_out = out[rep[canon]]
    full_block = np.full(table.shape[0], -1, dtype=np.int64)
    full_block[order] = rank[block]
    return min_table, min_out, full_block


# --------------------------------------------------------------------------- #
# regular expressions: a tiny simplifying AST, state elimination, reversal
# --------------------------------------------------------------------------- #
# Nodes are tuples: ("empty",) matches nothing, ("eps",) the empty string,
# ("sym", ch), ("cat", parts), ("alt", parts), ("star", r), ("plus", r).
# Elimination shares subexpressions heavily (the tree can be exponentially
# larger than the DAG), so the pure constructors are memoised.

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
    """Python regex of the non-empty strings after which the output is ``value``."""
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


# --------------------------------------------------------------------------- #
# the machine
# --------------------------------------------------------------------------- #

class MooreMachine:
    """A deterministic Moore machine over a finite alphabet of input symbols.

    States are numbered ``0 .. n-1``; reading symbol ``alphabet[a]`` in
    state ``s`` moves to ``transitions[s, a]``; the output of state ``s`` is
    ``outputs[s]``.  For a machine extracted from a cell the output is the
    rounded h of the state, and ``h``/``c`` hold the exact float64 state.

    Parameters
    ----------
    transitions : array_like of int, shape (n, len(alphabet))
        Next state for each state and symbol.
    outputs : array_like of int, shape (n,)
        Output of each state.
    alphabet : sequence of real numbers
        The input symbols, distinct and finite.
    start : int
        The start state.
    h, c : array_like of float, shape (n,), optional
        The (h, c) pair of each state (extracted machines); needed by
        ``trajectory``.
    semantics : Semantics, optional
        The semantics the machine was extracted under.
    quantize : int, optional
        Set by ``extract_automaton(..., quantize=k)``: the states were rounded
        to k decimals, so the machine approximates the cell.
    reduced_from : int, optional
        Set by ``minimize``: the number of states minimised from.

    Attributes
    ----------
    states : tuple of int
        ``(0, 1, ..., n-1)``.
    start : int
    transitions : numpy.ndarray of int32, shape (n, A), read-only
    outputs : numpy.ndarray of int64, shape (n,), read-only
    h, c : numpy.ndarray of float64 or None
    exact : bool
        False for a quantised machine (an approximation of the cell).

    Examples
    --------
    A hand-built machine that outputs the last symbol read (start output 0):

    >>> import fastlstm as fl
    >>> m = fl.MooreMachine([[1, 2], [1, 2], [1, 2]], [0, 0, 1])
    >>> m.run([1, 0, 0, 1]).tolist()
    [1, 0, 0, 1]
    >>> len(m), len(m.minimize())    # the start state and "read 0" merge
    (3, 2)
    >>> m.regex(1)
    '[01]*1'
    """

    def __init__(self, transitions, outputs, alphabet=(0, 1), start=0, *, h=None, c=None,
                 semantics=None, quantize=None, reduced_from=None):
        self.alphabet, self._alphabet_values = check_alphabet(alphabet)
        self._alphabet_tuple = tuple(self._alphabet_values.tolist())
        table = np.asarray(transitions)
        if table.dtype.kind not in "iu" or table.ndim != 2 or table.shape[0] == 0 \
                or table.shape[1] != len(self.alphabet):
            raise ValueError(
                f"transitions must be an integer array of shape (n_states, {len(self.alphabet)}) "
                f"with n_states >= 1, got {table.dtype} array of shape {table.shape}")
        n = table.shape[0]
        if table.min() < 0 or table.max() >= n:
            raise ValueError(f"transitions must hold state numbers in [0, {n}), "
                             f"got values in [{table.min()}, {table.max()}]")
        outputs = np.asarray(outputs)
        if outputs.dtype.kind not in "iu" or outputs.shape != (n,):
            raise ValueError(f"outputs must be an integer array of shape ({n},), "
                             f"got {outputs.dtype} array of shape {outputs.shape}")
        if isinstance(start, (bool, np.bool_)) or not isinstance(start, (int, np.integer)) \
                or not 0 <= start < n:
            raise ValueError(f"start must be a state number in [0, {n}), got {start!r}")
        if (h is None) != (c is None):
            raise ValueError("h and c must be given together (or neither)")
        if h is not None:
            h = np.array(h, dtype=np.float64)
            c = np.array(c, dtype=np.float64)
            if h.shape != (n,) or c.shape != (n,):
                raise ValueError(f"h and c must have shape ({n},), got {h.shape} and {c.shape}")
            if not (np.isfinite(h).all() and np.isfinite(c).all()):
                raise ValueError("h and c must be finite")
            h.setflags(write=False)
            c.setflags(write=False)
        if semantics is not None and not isinstance(semantics, Semantics):
            raise TypeError(f"semantics must be a Semantics or None, "
                            f"got {type(semantics).__name__}")
        self.transitions = np.array(table, dtype=np.int32)
        self.outputs = np.array(outputs, dtype=np.int64)
        self.transitions.setflags(write=False)
        self.outputs.setflags(write=False)
        self.start = int(start)
        self.h, self.c = h, c
        self.semantics = semantics
        self.exact = quantize is None
        self.reduced_from = reduced_from
        self.quantize = quantize
        self._blocks = {}

    # -- basic structure ---------------------------------------------------- #

    @property
    def states(self) -> tuple:
        return tuple(range(self.transitions.shape[0]))

    @property
    def n_states(self) -> int:
        return self.transitions.shape[0]

    def __len__(self):
        return self.n_states

    def __repr__(self):
        alphabet = ", ".join(symbol_str(s) for s in self.alphabet)
        kind = "minimal, " if self.reduced_from is not None else ""
        return (f"<MooreMachine: {kind}{self.n_states} states, alphabet {{{alphabet}}}, "
                f"start {self.start}>")

    def step(self, state, symbol) -> int:
        """The state reached from ``state`` on ``symbol``."""
        if not isinstance(state, (int, np.integer)) or not 0 <= state < self.n_states:
            raise ValueError(f"state must be a state number in [0, {self.n_states}), got {state!r}")
        return int(self.transitions[state, self._index(symbol, "symbol")])

    def _index(self, symbol, name):
        try:
            hits = np.flatnonzero(self._alphabet_values == float(symbol))
        except (TypeError, ValueError):
            hits = ()
        if len(hits) == 0:
            raise ValueError(f"{name} must be in the alphabet {self.alphabet}, got {symbol!r}")
        return int(hits[0])

    def _block_runner(self, kind):
        """``(runners, jump, *paths)`` for ``kind`` "values" (h, c) or "outputs", built once."""
        if kind not in self._blocks:
            values = (self.h, self.c) if kind == "values" else (self.outputs,)
            k = _machine_kernels.block_length(self.n_states, len(self.alphabet),
                                              8 * len(values))
            runners = _machine_kernels.make_runners(k)
            self._blocks[kind] = (runners,) + _machine_kernels.block_tables(
                self.transitions, k, *values)
        return self._blocks[kind]

    def _raise_miss(self, x, name):
        rows = x if x.ndim == 2 else x[None]
        for b, row in enumerate(rows):
            t = _machine_kernels.first_miss(row, self._alphabet_values)
            if t >= 0:
                where = f"[{b}, {t}]" if x.ndim == 2 else f"[{t}]"
                raise ValueError(f"{name}{where} = {row[t].item()!r} is not in the alphabet "
                                 f"{self.alphabet}")

    # -- running ------------------------------------------------------------ #

    def run(self, x) -> np.ndarray:
        """The outputs step by step (for an extracted machine: rounded h).

        Compiled table walk; for an exact extracted machine identical to
        ``fastlstm.run(cell, x, **semantics).rounded``.

        Parameters
        ----------
        x : array_like, shape (T,)
            Input symbols, each in ``alphabet``.

        Returns
        -------
        numpy.ndarray of int64, shape (T,)

        Examples
        --------
        >>> import fastlstm as fl
        >>> m = fl.extract_automaton(fl.presets.parity(), activation="saturated",
        ...                          round_feedback=True)
        >>> m.run([0, 0, 1, 1, 1, 0]).tolist()
        [0, 0, 1, -1, 1, 0]
        >>> m.run([0, 2])
        Traceback (most recent call last):
        ...
        ValueError: x[1] = 2.0 is not in the alphabet (0, 1)
        """
        x = _input_array(x, "x", (1,))
        out = np.empty(x.shape, dtype=np.int64)
        runners, jump, out_path = self._block_runner("outputs")
        # One output: the same table and array in both of the kernel's slots.
        misses = runners[0](jump, out_path, out_path, self.start, self._alphabet_tuple, x, out, out)
        if misses:
            self._raise_miss(x, "x")
        return out

    def trajectory(self, x) -> Trajectory:
        """The run of the cell by table lookup: h and c bit-identical to ``fastlstm.run``.

        Needs an exact extracted machine (not minimised, not quantised).

        Parameters
        ----------
        x : array_like, shape (T,) or (B, T)
            Input symbols, each in ``alphabet``; a 2-D array runs every row
            (in parallel), like ``run_batch``.

        Returns
        -------
        Trajectory
            ``h`` and ``c`` as ``run`` (or ``run_batch``) would report them.

        Examples
        --------
        >>> import fastlstm as fl
        >>> sem = dict(activation="saturated", round_feedback=True)
        >>> m = fl.extract_automaton(fl.presets.parity(), **sem)
        >>> x = [1, 1, 0, 1, 1]
        >>> m.trajectory(x).h
        array([ 1., -1.,  0.,  1., -1.])
        >>> bool((m.trajectory(x).c == fl.run(fl.presets.parity(), x, **sem).c).all())
        True
        """
        if self.h is None:
            raise ValueError("trajectory needs the (h, c) values of the states: use the machine "
                             "returned by extract_automaton, not a minimised or hand-built one")
        if not self.exact:
            raise ValueError(f"this machine was extracted with quantize={self.quantize}, an "
                             "approximation of the cell; its trajectory would not be the cell's "
                             "(use fastlstm.run)")
        x = _input_array(x, "x", (1, 2))
        h, c = np.empty(x.shape), np.empty(x.shape)
        runners, jump, h_path, c_path = self._block_runner("values")
        args = (jump, h_path, c_path, self.start, self._alphabet_tuple, x, h, c)
        if x.ndim == 1:
            misses = runners[0](*args)
        else:
            counts = np.zeros(x.shape[0], dtype=np.int64)
            runners[1](*args, counts)
            misses = counts.any()
        if misses:
            self._raise_miss(x, "x")
        return Trajectory(h, c, self.semantics)

    # -- minimisation and languages ----------------------------------------- #

    def minimize(self) -> "MooreMachine":
        """The minimal equivalent machine (same outputs on every input string).

        Unreachable states are dropped, states with the same output and the
        same future are merged; the start is state 0 and the rest are
        numbered in breadth-first order, so equivalent machines minimise to
        identical arrays.  (h, c) values do not survive merging.

        Examples
        --------
        >>> import fastlstm as fl
        >>> m = fl.extract_automaton(fl.presets.parity(), activation="saturated",
        ...                          round_feedback=True)
        >>> len(m), len(m.minimize())
        (5, 3)
        """
        table, outputs, _ = minimal_form(self.transitions, self.outputs, self.start)
        return MooreMachine(table, outputs, self.alphabet, 0, semantics=self.semantics,
                            quantize=self.quantize, reduced_from=self.reduced_from or self.n_states)

    def _chars(self, chars):
        if chars is None:
            names = [symbol_str(s) for s in self.alphabet]
            if all(len(n) == 1 for n in names):
                return names
            raise ValueError(f"regex needs one character per symbol and the alphabet "
                             f"{self.alphabet} has longer names: pass chars, e.g. "
                             f"chars={'abcdefghijklmnopqrstuvwxyz'[:len(self.alphabet)]!r}")
        if not isinstance(chars, str) or len(chars) != len(self.alphabet) \
                or len(set(chars)) != len(chars):
            raise ValueError(f"chars must be a string of {len(self.alphabet)} distinct characters, "
                             f"one per symbol of {self.alphabet}, got {chars!r}")
        return list(chars)

    def regex(self, value, chars=None) -> str:
        """A Python ``re`` pattern for the input strings after which the output is ``value``.

        Use it with ``re.fullmatch``: it matches exactly the non-empty
        strings (one character per symbol) that lead to a state with output
        ``value``; ``"(?!)"`` (matches nothing) when no such string exists.
        Built by state elimination (Brzozowski-McCluskey) on the minimal
        machine, once for the language and once for its reversal (then
        reversed back).  The second describes the input from its end, the way
        a recurrent state summarises it, and is returned unless it is more
        than twice as long as the first.

        Parameters
        ----------
        value : int
            An output value (a rounded h).
        chars : str, optional
            One character per alphabet symbol.  Defaults to the symbols
            themselves when each prints as one character (0-9).

        Examples
        --------
        The parity cell: output +1 exactly when the input ends in a run of
        ones of odd length.

        >>> import re, fastlstm as fl
        >>> m = fl.extract_automaton(fl.presets.parity(), activation="saturated",
        ...                          round_feedback=True)
        >>> m.regex(1)
        '(?:[01]*0)?1(?:11)*'
        >>> bool(re.fullmatch(m.regex(1), "0110111"))
        True
        """
        if not _is_real(value):
            raise TypeError(f"value must be a number (an output), got {type(value).__name__}")
        chars = self._chars(chars)
        return language_regex(self.transitions, self.outputs, self.start, value, chars)

    # -- pictures ----------------------------------------------------------- #

    def _edges(self):
        """``{(p, q): [symbol names]}`` in state and alphabet order."""
        edges = {}
        for p in range(self.n_states):
            for a, q in enumerate(self.transitions[p].tolist()):
                edges.setdefault((p, q), []).append(symbol_str(self.alphabet[a]))
        return edges

    def to_dot(self, name="moore") -> str:
        """The machine as a Graphviz digraph (states labelled ``q/output``).

        Examples
        --------
        >>> import fastlstm as fl
        >>> print(fl.MooreMachine([[0, 1], [0, 1]], [0, 1]).to_dot())
        digraph moore {
          rankdir=LR;
          node [shape=circle];
          start [shape=point];
          start -> q0;
          q0 [label="q0/0"];
          q1 [label="q1/1"];
          q0 -> q0 [label="0"];
          q0 -> q1 [label="1"];
          q1 -> q0 [label="0"];
          q1 -> q1 [label="1"];
        }
        """
        lines = [f"digraph {name} {{", "  rankdir=LR;", "  node [shape=circle];",
                 "  start [shape=point];", f"  start -> q{self.start};"]
        for s in self.states:
            lines.append(f'  q{s} [label="q{s}/{self.outputs[s]}"];')
        for (p, q), labels in self._edges().items():
            lines.append(f'  q{p} -> q{q} [label="{",".join(labels)}"];')
        lines.append("}")
        return "\n".join(lines)

    def to_latex(self, radius=2.0) -> str:
        """The machine as a TikZ automaton (``\\usetikzlibrary{automata, arrows.meta}``).

        States sit on a circle of ``radius`` cm, the start state on the left;
        each is labelled ``q_i/output``.

        Examples
        --------
        >>> import fastlstm as fl
        >>> print(fl.MooreMachine([[0, 1], [0, 1]], [0, -1]).to_latex())
        \\begin{tikzpicture}[->, >={Stealth[round]}, auto, semithick]
          \\node[state, initial] (q0) at (180:2cm) {$q_{0}/0$};
          \\node[state] (q1) at (0:2cm) {$q_{1}/{-1}$};
          \\path (q0) edge [out=200, in=160, loop] node {$0$} (q0);
          \\path (q0) edge [bend left=20] node {$1$} (q1);
          \\path (q1) edge [bend left=20] node {$0$} (q0);
          \\path (q1) edge [out=20, in=-20, loop] node {$1$} (q1);
        \\end{tikzpicture}
        """
        n = self.n_states
        # Start state on the left, the others clockwise in state order.
        order = [self.start] + [s for s in self.states if s != self.start]
        angle = {s: 180.0 - 360.0 * k / n for k, s in enumerate(order)}
        lines = [r"\begin{tikzpicture}[->, >={Stealth[round]}, auto, semithick]"]
        for s in self.states:
            out = int(self.outputs[s])
            out_tex = f"{{{out}}}" if out < 0 else f"{out}"
            where = f"({angle[s]:g}:{radius:g}cm)" if n > 1 else "(0, 0)"
            style = "state, initial" if s == self.start else "state"
            lines.append(f"  \\node[{style}] (q{s}) at {where} {{$q_{{{s}}}/{out_tex}$}};")
        edges = self._edges()
        for (p, q), labels in edges.items():
            label = ",".join(labels)
            if p == q:
                a = angle[p] if n > 1 else 90.0
                style = f"out={a + 20:g}, in={a - 20:g}, loop"
            elif (q, p) in edges:
                style = "bend left=20"
            else:
                style = ""
            style = f" [{style}]" if style else ""
            lines.append(f"  \\path (q{p}) edge{style} node {{${label}$}} (q{q});")
        lines.append(r"\end{tikzpicture}")
        return "\n".join(lines)

    # -- words -------------------------------------------------------------- #

    def describe(self) -> str:
        """What the machine computes, in words, stating only what was proved.

        The transition table, then every named hypothesis (see
        ``fastlstm.hypotheses``) that holds, *proved on the machine* by a
        product construction (so for input strings of every length, not just
        up to a bound), then one regex per output value.

        Examples
        --------
        >>> import fastlstm as fl
        >>> m = fl.extract_automaton(fl.presets.parity(), activation="saturated",
        ...                          round_feedback=True)
        >>> print(m.minimize().describe())
        Moore machine: 3 states (minimal, from 5), alphabet {0, 1}, start q0.
        Semantics: saturated, threshold 1, closed boundary, rounded feedback.
        Output of a state: the rounded h_t after reading x_0 .. x_t (the start state carries round(h0)).
        <BLANKLINE>
        state  output  x=0  x=1
        q0          0  q0   q1
        q1          1  q0   q2
        q2         -1  q0   q1
        <BLANKLINE>
        Proved on the machine, for inputs of every length (t >= 0):
        - rounded h_t carries exactly whether the run of 1s ending at t has odd length:
            rounded h_t = 1 when the run of 1s ending at t has odd length
            rounded h_t = 0 when x_t is not 1
            rounded h_t = -1 when the run of 1s ending at t has even length
        <BLANKLINE>
        Inputs after which the output is v (re.fullmatch, one character per symbol):
          v = 1: (?:[01]*0)?1(?:11)*
          v = 0: [01]*0
          v = -1: (?:[01]*0)?(?:11)+
        """
        from . import hypotheses

        minimal = self.minimize()
        lines = []
        alphabet = ", ".join(symbol_str(s) for s in self.alphabet)
        size = _states(self.n_states)
        if self.reduced_from is not None:
            size += f" (minimal, from {self.reduced_from})"
        elif minimal.n_states != self.n_states:
            size += f" (minimal machine: {_states(minimal.n_states)})"
        else:
            size += " (already minimal)"
        lines.append(f"Moore machine: {size}, alphabet {{{alphabet}}}, start q{self.start}.")
        if self.semantics is not None:
            lines.append(f"Semantics: {_semantics_words(self.semantics)}.")
            lines.append("Output of a state: the rounded h_t after reading x_0 .. x_t "
                         "(the start state carries round(h0)).")
        if not self.exact:
            lines.append(f"APPROXIMATION: h and c were rounded to {self.quantize} decimals after "
                         "every step; what follows is proved for this machine, not for the cell.")
        lines.append("")
        if self.n_states <= _DESCRIBE_TABLE_STATES:
            lines.extend(self._table_lines())
        else:
            where = ".transitions, .outputs, .h and .c" if self.h is not None \
                else ".transitions and .outputs"
            lines.append(f"(Transition table of {self.n_states} states not printed: see {where}, "
                         "or describe the minimal machine.)")
        lines.append("")
        verdicts = [v for v in (hyp.check(minimal) for hyp in hypotheses.library(self.alphabet))
                    if v.holds]
        constant = [v for v in verdicts if v.hypothesis.name == "constant"]
        if constant:
            verdicts = constant
        else:
            verdicts.sort(key=lambda v: not v.exact)
        if verdicts:
            lines.append("Proved on the machine, for inputs of every length (t >= 0):")
            for v in verdicts:
                lines.extend("- " + line if k == 0 else "  " + line
                             for k, line in enumerate(v.words().splitlines()))
        else:
            lines.append("No named hypothesis holds (each was checked exactly on the machine; "
                         "see fastlstm.hypotheses).")
        lines.append("")
        try:
            chars = minimal._chars(None)
        except ValueError:
            chars = None
        if chars is None:
            lines.append("(No regexes: the symbols are not single characters; "
                         "call .regex(value, chars=...).)")
        elif minimal.n_states > _DESCRIBE_REGEX_STATES:
            lines.append(f"(Regexes not printed for {minimal.n_states} states; "
                         "call .regex(value).)")
        else:
            lines.append("Inputs after which the output is v (re.fullmatch, one character "
                         "per symbol):")
            for v in _output_order(minimal):
                lines.append(f"  v = {v}: {minimal.regex(v)}")
        return "\n".join(lines)

    def _table_lines(self):
        heads = ["state", "output"] + [f"x={symbol_str(s)}" for s in self.alphabet]
        rows = []
        for s in self.states:
            row = [f"q{s}", str(self.outputs[s])] + [f"q{q}" for q in self.transitions[s].tolist()]
            if self.h is not None:
                row += [repr(float(self.h[s])), repr(float(self.c[s]))]
            rows.append(row)
        if self.h is not None:
            heads += ["h", "c"]
        widths = [max(len(r[k]) for r in rows + [heads]) for k in range(len(heads))]
        right = {1}   # numbers right-aligned, names left-aligned

        def fmt(row):
            cells = [cell.rjust(w) if k in right else cell.ljust(w)
                     for k, (cell, w) in enumerate(zip(row, widths))]
            return "  ".join(cells).rstrip()
        return [fmt(heads)] + [fmt(r) for r in rows]


def _states(n):
    return f"{n} state" if n == 1 else f"{n} states"


def _output_order(m):
    """Output values reached by non-empty inputs: positive (descending), 0, negative."""
    reached = set()
    for s in _reachable_order(m.transitions, m.start).tolist():
        for q in m.transitions[s].tolist():
            reached.add(int(m.outputs[q]))
    return sorted(reached, key=lambda v: (v <= 0, v < 0, -abs(v)))


# --------------------------------------------------------------------------- #
# extraction
# --------------------------------------------------------------------------- #

#: Below this many (state, symbol) pairs a level is stepped with the serial
#: kernel, one call per pair: a parallel launch costs more than the work.
_SERIAL_PAIRS = 256


def expand_states(kernels, p, theta, h, c, values):
    """One step from every state (h[j], c[j]) on every symbol, with the run kernels.

    Returns flat float64 arrays of length ``len(h) * len(values)``: entry
    ``j * A + a`` is the state after reading ``values[a]`` from state j.
    The steps are taken by the very kernels ``run`` and ``run_batch`` use,
    so the states are bit for bit what a run computes.
    """
    A = values.size
    n = len(h)
    h_in = np.repeat(np.asarray(h, dtype=np.float64), A)
    c_in = np.repeat(np.asarray(c, dtype=np.float64), A)
    X = np.tile(values, n).reshape(n * A, 1)
    h_out, c_out = np.empty((n * A, 1)), np.empty((n * A, 1))
    if n * A <= _SERIAL_PAIRS:
        run = kernels[0]
        for k in range(n * A):
            run(p, X[k], h_in[k], c_in[k], theta, h_out[k], c_out[k])
    else:
        kernels[2](p, X, h_in, c_in, theta, h_out, c_out)
    return h_out.reshape(-1), c_out.reshape(-1)


def extract_automaton(cell, alphabet=(0, 1), max_states=10_000, *, activation="exact",
                      threshold=1.0, inclusive=True, round_feedback=False, h0=0.0, c0=0.0,
                      quantize=None) -> MooreMachine:
    """The Moore machine a cell implements on a finite alphabet.

    Breadth-first search over the (h, c) states reachable from (h0, c0),
    stepping a whole level at a time with the compiled batch kernel of
    ``run_batch`` (so every state is exactly what ``run`` computes).  States
    are compared bit for bit (``-0.0`` and ``0.0`` are different states; see
    the module notes).  The output of a state is its rounded h.

    Parameters
    ----------
    cell : ScalarLSTM, mapping or 12 numbers
    alphabet : sequence of real numbers
        The input symbols, distinct and finite.
    max_states : int
        Stop with a ValueError when more states than this are reachable.
    activation, threshold, inclusive, round_feedback
        The semantics; see ``Semantics``.
    h0, c0 : float
        The start state.
    quantize : int, optional
        APPROXIMATION, off by default: round h and c to this many decimals
        after every step, which can make an infinite state set finite.  The
        machine then describes a different system from the cell: it is marked
        ``exact=False`` and ``trajectory`` refuses to run it.

    Returns
    -------
    MooreMachine
        States in breadth-first order (start = 0) with their ``h``, ``c``.

    Raises
    ------
    ValueError
        When the reachable set is not finite within ``max_states`` (it says
        so, and what to do), or for bad arguments.

    Examples
    --------
    >>> import fastlstm as fl
    >>> m = fl.extract_automaton(fl.presets.parity(), activation="saturated",
    ...                          round_feedback=True)
    >>> m.h.tolist(), m.c.tolist()
    ([0.0, 1.0, -0.0, -1.0, 0.0], [0.0, 1.0, -1.0, -1.0, 1.0])
    >>> m.transitions.tolist(), m.outputs.tolist()
    ([[0, 1], [2, 3], [0, 1], [4, 1], [0, 1]], [0, 1, 0, -1, 0])

    Under exact activations the parity cell is finite-state too (float64
    saturates), with more (h, c) states but the same minimal machine:

    >>> exact = fl.extract_automaton(fl.presets.parity())
    >>> len(exact), len(exact.minimize())
    (6, 3)

    A cell whose memory counts (f = i = g = 1) never comes back to a state:

    >>> counter = fl.ScalarLSTM(b_f=100, b_i=100, b_c=100)
    >>> fl.extract_automaton(counter, max_states=50)
    Traceback (most recent call last):
    ...
    ValueError: the (h, c) states reachable from (h0, c0) = (0.0, 0.0) are not finite ...
    """
    sem = Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                    round_feedback=round_feedback)
    cell = as_cell(cell)
    symbols, values = check_alphabet(alphabet)
    if isinstance(max_states, (bool, np.bool_)) or not isinstance(max_states, (int, np.integer)) \
            or max_states < 1:
        raise ValueError(f"max_states must be an integer >= 1, got {max_states!r}")
    if quantize is not None and (isinstance(quantize, (bool, np.bool_))
                                 or not isinstance(quantize, (int, np.integer))
                                 or not 0 <= quantize <= 15):
        raise ValueError(f"quantize must be None or a number of decimals in [0, 15], "
                         f"got {quantize!r}")
    h_start = initial_state(h0, "h0", 1)
    c_start = initial_state(c0, "c0", 1)
    if quantize is not None:
        h_start, c_start = np.round(h_start, quantize), np.round(c_start, quantize)

    kernels = _sequence_kernels.make_sequence_kernels(*sem.kernel_key())
    p = cell.to_array()
    A = len(symbols)
    hs, cs = [float(h_start[0])], [float(c_start[0])]
    index = {(h_start.view(np.int64)[0].item(), c_start.view(np.int64)[0].item()): 0}
    rows = []
    frontier = [0]
    depth = 0
    while frontier:
        n = len(frontier)
        h_out, c_out = expand_states(kernels, p, sem.threshold, [hs[s] for s in frontier],
                                     [cs[s] for s in frontier], values)
        if quantize is not None:
            h_out, c_out = np.round(h_out, quantize), np.round(c_out, quantize)
        h_new, c_new = h_out.reshape(-1), c_out.reshape(-1)
        targets, fresh = [], []
        keys = zip(h_new.view(np.int64).tolist(), c_new.view(np.int64).tolist())
        for key, h, c in zip(keys, h_new.tolist(), c_new.tolist()):
            state = index.get(key)
            if state is None:
                state = index[key] = len(hs)
                if state >= max_states:
                    raise ValueError(_too_many(max_states, depth + 1, h_start[0], c_start[0],
                                               sem, quantize))
                hs.append(h)
                cs.append(c)
                fresh.append(state)
            targets.append(state)
        rows.extend(targets[k:k + A] for k in range(0, n * A, A))
        frontier = fresh
        depth += 1
    # BFS discovers states in order, and rows were appended level by level in
    # frontier order, which is state order.
    table = np.array(rows, dtype=np.int32)
    h_arr, c_arr = np.array(hs), np.array(cs)
    outputs = round_half_to_zero(h_arr).astype(np.int64)
    return MooreMachine(table, outputs, symbols, 0, h=h_arr, c=c_arr, semantics=sem,
                        quantize=quantize)


def _too_many(max_states, depth, h0, c0, sem, quantize):
    hints = []
    if not sem.round_feedback or not sem.saturated:
        hints.append("exact activations or raw (unrounded) feedback often make the set "
                     "infinite: try activation='saturated' with round_feedback=True")
    hints.append("raise max_states")
    if quantize is None:
        hints.append("or pass quantize=k to round h and c to k decimals after every step "
                     "(an approximation: the machine then describes a rounded system, "
                     "not the cell)")
    advice = "; ".join(hints)
    return (f"the (h, c) states reachable from (h0, c0) = ({float(h0)!r}, {float(c0)!r}) are not "
            f"finite within max_states={max_states}: breadth-first search was still finding new "
            f"states at input length {depth}. {advice[0].upper()}{advice[1:]}.")
