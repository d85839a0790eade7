"""Named hypotheses about what a cell's rounded h carries, proved on its machine.

A hypothesis is a finite-state *property* of the input read so far: the
parity of the trailing run of a symbol, the last symbol, the symbol k steps
ago, whether a symbol occurred, a count modulo k, ...  Each is written once,
as a fold ``state = update(state, symbol)`` with a ``label`` of the state; from
that fold come both its plain-Python value on a prefix (``hyp(prefix)``, for
``verify``) and its Moore machine on an alphabet (for proofs).

``hyp.check(machine)`` decides, by a product construction over the pairs of
states reachable together, whether the machine's output is a function of the
label for input strings of *every* length (t >= 0), and if so which value
each label gets; a ``Verdict`` says it in words.  This is a proof about the
machine; for an exactly extracted machine it is a proof about the cell.

Examples
--------
>>> import fastlstm as fl
>>> from fastlstm import hypotheses
>>> parity = hypotheses.trailing_run_parity(1)
>>> parity((0, 1, 1, 1)), parity((1, 1)), parity((1, 0))
('odd', 'even', 'none')
>>> m = fl.extract_automaton(fl.presets.parity(), activation="saturated", round_feedback=True)
>>> v = parity.check(m)
>>> v.holds, v.exact, v.values
(True, True, {'none': 0, 'odd': 1, 'even': -1})
>>> hypotheses.last_symbol().check(m).counterexample
((1,), (1, 1))
"""

from __future__ import annotations

import dataclasses
from collections import deque
from typing import Callable, Hashable

from .._validate import integer
from .alphabet import check_alphabet, symbol_str
from .machine import MooreMachine

__all__ = ["Hypothesis", "Verdict", "constant", "contains", "count_mod", "first_symbol",
           "last_symbol", "library", "symbol_ago", "trailing_run_parity"]


@dataclasses.dataclass(frozen=True, eq=False)
class Hypothesis:
    """A finite-state property of the input read so far.

    Parameters
    ----------
    name : str
        Short name, e.g. ``"trailing_run_parity(1)"``.
    topic : str
        What the property is about, in words ("whether the run of 1s ending
        at t has odd length").
    init : hashable
        The summary of the empty input.
    update : callable
        ``update(state, symbol) -> state``; must reach finitely many states.
    label : callable
        ``label(state) -> hashable``, the property's value.
    phrase : callable
        ``phrase(label) -> str``, the property's value in words, about time t
        (the last symbol read is x_t).
    """

    name: str
    topic: str
    init: Hashable
    update: Callable
    label: Callable
    phrase: Callable

    def __call__(self, prefix):
        """The property's value after reading ``prefix`` (plain Python)."""
        state = self.init
        for symbol in prefix:
            state = self.update(state, symbol)
        return self.label(state)

    def __repr__(self):
        return f"<Hypothesis {self.name}>"

    def predicate(self, values):
        """``prefix -> values[self(prefix)]``: a predicate for ``fastlstm.verify``.

        Examples
        --------
        >>> from fastlstm import hypotheses
        >>> p = hypotheses.last_symbol().predicate({0: 0, 1: 1})
        >>> p((1, 0)), p((0, 1))
        (0, 1)
        """
        values = dict(values)
        return lambda prefix: values[self(prefix)]

    def machine(self, alphabet, max_states=100_000):
        """``(machine, labels)``: the property as a Moore machine whose outputs index ``labels``."""
        symbols, _ = check_alphabet(alphabet)
        index = {self.init: 0}
        order = [self.init]
        rows = []
        i = 0
        while i < len(order):
            row = []
            for s in symbols:
                nxt = self.update(order[i], s)
                if nxt not in index:
                    if len(order) >= max_states:
                        raise ValueError(f"hypothesis {self.name} reaches more than "
                                         f"{max_states} states on the alphabet {symbols}")
                    index[nxt] = len(order)
                    order.append(nxt)
                row.append(index[nxt])
            rows.append(row)
            i += 1
        labels = []
        outputs = []
        for state in order:
            lab = self.label(state)
            if lab not in labels:
                labels.append(lab)
            outputs.append(labels.index(lab))
        return MooreMachine(rows, outputs, symbols), tuple(labels)

    def check(self, machine) -> "Verdict":
        """Decide exactly whether ``machine``'s output is a function of this property.

        Product construction: explore the pairs (machine state, property
        state) reachable together by non-empty inputs, breadth-first, and
        collect which outputs occur with which labels (with a shortest input
        for each pair).  Exact for inputs of every length.
        """
        if not isinstance(machine, MooreMachine):
            raise TypeError(f"machine must be a MooreMachine, got {type(machine).__name__}")
        hyp, labels = self.machine(machine.alphabet)
        A = len(machine.alphabet)
        mt, ht = machine.transitions.tolist(), hyp.transitions.tolist()
        outputs = machine.output_keys()
        queue = deque(((mt[machine.start][a], ht[hyp.start][a]), (machine.alphabet[a],))
                      for a in range(A))
        seen = {pair for pair, _ in queue}
        witness = {}
        while queue:
            (m, q), word = queue.popleft()
            key = (labels[hyp.outputs[q]], outputs[m])
            witness.setdefault(key, word)
            for a in range(A):
                pair = (mt[m][a], ht[q][a])
                if pair not in seen:
                    seen.add(pair)
                    queue.append((pair, word + (machine.alphabet[a],)))
        return Verdict(self, witness, machine.output_name)


@dataclasses.dataclass(frozen=True, eq=False)
class Verdict:
    """Outcome of ``Hypothesis.check``.

    Attributes
    ----------
    hypothesis : Hypothesis
    witnesses : dict
        ``{(label, output): shortest input}`` for every combination that occurs.
    holds : bool
        The output is a function of the label (each label gets one output).
    exact : bool
        It holds and different labels get different outputs: the output
        carries exactly the property.
    values : dict
        ``{label: output}`` when it holds, else ``{label: (outputs, ...)}``.
    counterexample : tuple or None
        When it does not hold: two shortest inputs with the same label and
        different outputs.
    output_name : str
        What the machine's output is (``MooreMachine.output_name``), for ``words``.
    """

    hypothesis: Hypothesis
    witnesses: dict
    output_name: str = "rounded h_t"

    @property
    def values(self):
        by_label = {}
        for (label, out), _ in sorted(self.witnesses.items(), key=lambda kv: (len(kv[1]), kv[1])):
            by_label.setdefault(label, []).append(out)
        if self.holds:
            return {lab: outs[0] for lab, outs in by_label.items()}
        return {lab: tuple(outs) for lab, outs in by_label.items()}

    @property
    def holds(self):
        labels = [lab for lab, _ in self.witnesses]
        return len(labels) == len(set(labels))

    @property
    def exact(self):
        outs = [out for _, out in self.witnesses]
        return self.holds and len(outs) == len(set(outs))

    @property
    def counterexample(self):
        if self.holds:
            return None
        best = None
        for label in {lab for lab, _ in self.witnesses}:
            words = sorted((w for (lab, _), w in self.witnesses.items() if lab == label),
                           key=lambda w: (len(w), w))
            shortlex = lambda w: (len(w), w)  # noqa: E731
            if len(words) > 1 and (best is None or shortlex(words[1]) < shortlex(best[1])):
                best = (words[0], words[1])
        return best

    def words(self) -> str:
        """The verdict in words (what was proved, or the counterexample)."""
        hyp = self.hypothesis
        if not self.holds:
            a, b = self.counterexample
            word = lambda w: " ".join(symbol_str(s) for s in w)  # noqa: E731
            return (f"{hyp.name} does not determine the output: after {word(a)} and after "
                    f"{word(b)} it is {hyp.phrase(hyp(a))!r} but the outputs differ")
        if hyp.name == "constant":
            (value,) = self.values.values()
            return f"{self.output_name} = {symbol_str(value)} for every input"
        by_output = {}
        for label, out in self.values.items():
            by_output.setdefault(out, []).append(hyp.phrase(label))
        head = self.output_name + (" carries exactly " if self.exact else " is a function of ")
        lines = [head + hyp.topic + ":"]
        for out in sorted(by_output, reverse=True):
            phrases = by_output[out]
            lines.append(f"  {self.output_name} = {symbol_str(out)} when "
                         + ", or when ".join(phrases))
        return "\n".join(lines)


# --------------------------------------------------------------------------- #
# the library
# --------------------------------------------------------------------------- #

def trailing_run_parity(symbol=1) -> Hypothesis:
    """Parity of the run of ``symbol`` ending at t: ``"odd"``, ``"even"`` or ``"none"``.

    Examples
    --------
    >>> from fastlstm import hypotheses
    >>> [hypotheses.trailing_run_parity(1)(p) for p in [(1,), (0, 1, 1), (1, 0)]]
    ['odd', 'even', 'none']
    """
    s = symbol_str(symbol)

    def update(state, x):
        return ("even" if state == "odd" else "odd") if x == symbol else "none"

    def phrase(label):
        if label == "none":
            return f"x_t is not {s}"
        return f"the run of {s}s ending at t has {label} length"
    return Hypothesis(f"trailing_run_parity({s})",
                      f"whether the run of {s}s ending at t has odd length",
                      "none", update, lambda state: state, phrase)


def symbol_ago(k) -> Hypothesis:
    """The symbol x_{t-k} (k = 0: the last symbol read), or None when t < k.

    ``k`` is an integer >= 0 (a NumPy integer will do).

    Examples
    --------
    >>> from fastlstm import hypotheses
    >>> hypotheses.symbol_ago(1)((0, 1, 1, 0)), hypotheses.symbol_ago(2)((1,))
    (1, None)
    """
    k = integer(k, "k", 0)
    x = "x_t" if k == 0 else f"x_{{t-{k}}}"

    def phrase(label):
        if label is None:
            return f"t < {k} (there is no {x})"
        return f"{x} = {symbol_str(label)}"
    return Hypothesis(f"symbol_ago({k})" if k else "last_symbol", f"the symbol {x}",
                      (None,) * (k + 1),
                      lambda state, s: state[1:] + (s,), lambda state: state[0], phrase)


def last_symbol() -> Hypothesis:
    """The last symbol read, x_t (``symbol_ago(0)``)."""
    return symbol_ago(0)


def first_symbol() -> Hypothesis:
    """The first symbol read, x_0."""
    return Hypothesis("first_symbol", "the first symbol x_0", None,
                      lambda state, s: s if state is None else state,
                      lambda state: state, lambda label: f"x_0 = {symbol_str(label)}")


def contains(symbol=1) -> Hypothesis:
    """Whether ``symbol`` occurs in x_0 .. x_t."""
    s = symbol_str(symbol)

    def phrase(label):
        return f"x_0 .. x_t {'contains a' if label else 'contains no'} {s}"
    return Hypothesis(f"contains({s})", f"whether x_0 .. x_t contains a {s}",
                      False, lambda state, x: state or x == symbol,
                      lambda state: state, phrase)


def count_mod(symbol=1, k=2) -> Hypothesis:
    """The number of ``symbol`` in x_0 .. x_t, modulo ``k`` (an integer >= 2)."""
    k = integer(k, "k", 2)
    s = symbol_str(symbol)

    def phrase(label):
        return f"the number of {s}s in x_0 .. x_t is {label} mod {k}"
    return Hypothesis(f"count_mod({s}, {k})", f"the number of {s}s in x_0 .. x_t modulo {k}", 0,
                      lambda state, x: (state + (x == symbol)) % k, lambda state: state, phrase)


def constant() -> Hypothesis:
    """The trivial property (one label): holds exactly when the output is constant."""
    return Hypothesis("constant", "nothing", None, lambda state, s: None,
                      lambda state: "always", lambda label: "always")


def library(alphabet=(0, 1)) -> tuple:
    """The hypotheses ``MooreMachine.describe`` checks, for an alphabet.

    ``constant``; for each symbol: ``trailing_run_parity``, ``contains``,
    ``count_mod`` 2 and 3; ``last_symbol``, ``symbol_ago`` 1 and 2;
    ``first_symbol``.

    Examples
    --------
    >>> from fastlstm import hypotheses
    >>> [h.name for h in hypotheses.library((0, 1))][:4]
    ['constant', 'last_symbol', 'symbol_ago(1)', 'symbol_ago(2)']
    """
    symbols, _ = check_alphabet(alphabet)
    hyps = [constant(), last_symbol(), symbol_ago(1), symbol_ago(2), first_symbol()]
    for s in symbols:
        hyps += [trailing_run_parity(s), contains(s), count_mod(s, 2), count_mod(s, 3)]
    return tuple(hyps)
