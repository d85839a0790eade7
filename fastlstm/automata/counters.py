"""``find_counter``: the one-counter machine of a cell whose memory counts.

With rounded feedback the h a step reads is the previous output, so a
state is (control, c) with a finite control (the fed-back h: h0 at the
start, then a rounded value).  For a fixed control h and symbol x the four
gates are constants.  When the forget gate is exactly 1 or exactly 0 on
every reachable (h, x), the step is c' = c + d(h, x) (a count) or c' = d(h, x)
(a reset) with d = i g a fixed amount, computed in float64 exactly as the
kernel does: c is a *counter* (with resets).  The next control,
round(o tanh(c')), is then a nondecreasing step function of c (f >= 0,
o >= 0), so it is a few *tests on the counter*: thresholds, found by
bisection over the float64 values with the compiled step itself.  The
result, a ``OneCounterMachine`` (controls, increments per control and
symbol, threshold tests), computes what ``run`` computes for every input
whose counter stays within +-2**53 (where the float sums are still the
counts), given monotone compiled tanh and sigmoid (checked in the tests);
``find_counter`` also checks its outputs against the cell's on every
string up to ``check_len`` with ``verify``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validate import integer
from ..semantics import Semantics, round_half_to_zero
from .alphabet import symbol_str
from .start import checked_start
from .verify import verify

__all__ = ["OneCounterMachine", "find_counter"]

#: The counter range the machine is exact on: float64 integers are exact up to 2**53.
COUNTER_RANGE = 2.0 ** 53


@dataclasses.dataclass(frozen=True, eq=False)
class OneCounterMachine:
    """A deterministic one-counter Moore machine over a finite alphabet.

    A configuration is (control q, counter c).  Reading ``alphabet[a]`` in
    control q with counter c moves to ``targets[q][a][k]`` with counter
    ``forget[q, a] * c + increments[q, a]`` (forget 1: a count, 0: a reset),
    where k counts the ``bounds[q][a]`` that are
    <= c (the tests on the counter before the step).  The output of control
    q is ``outputs[q]``.  For a cell: controls are the fed-back h values
    (``controls``; the start is h0), c is the cell's c, outputs are rounded h.

    Attributes
    ----------
    alphabet : tuple
    controls : tuple of float
        The fed-back h of each control; control 0 is the start (h0).
    outputs : tuple of int
    increments : numpy.ndarray of float64, shape (n, A)
    forget : numpy.ndarray of float64, shape (n, A)
        1.0 (the counter moves by the increment) or 0.0 (it is reset to it).
    bounds, targets : tuple of tuples of tuples
        ``bounds[q][a]`` sorted counter values, ``targets[q][a]`` one
        control per piece (one more than bounds).
    c0 : float
        The start counter.
    semantics : Semantics
    checked : VerifyResult or None
        The check against the cell (``verify`` on every string up to a
        length), when made.

    Examples
    --------
    >>> import fastlstm as fl
    >>> m = fl.find_counter(fl.presets.dyck1(), (1, -1), activation="saturated",
    ...                     round_feedback=True)
    >>> m.run([1, 1, -1, -1, -1, 1]).tolist()
    [1, 1, 1, 0, -1, -1]
    >>> m.output(()), m.output((1, -1)), m.output((-1, 1))
    (0, 0, -1)
    """

    alphabet: tuple
    controls: tuple
    outputs: tuple
    increments: np.ndarray
    forget: np.ndarray
    bounds: tuple
    targets: tuple
    c0: float
    semantics: Semantics
    checked: object = None

    def _index(self, symbol):
        try:
            return self.alphabet.index(symbol)
        except ValueError:
            raise ValueError(f"input {symbol!r} is not in the alphabet {self.alphabet}") from None

    def run(self, x) -> np.ndarray:
        """The outputs after each prefix of ``x`` (rounded h, for a cell)."""
        q, c = 0, self.c0
        out = np.empty(len(x), dtype=np.int64)
        for t, symbol in enumerate(x):
            a = self._index(symbol)
            k = int(np.searchsorted(self.bounds[q][a], c, side="right"))
            # The kernel's own c' = f c + i g, with f exactly 1 or 0.
            q, c = (self.targets[q][a][k],
                    float(self.forget[q, a]) * c + float(self.increments[q, a]))
            out[t] = self.outputs[q]
        return out

    def output(self, prefix) -> int:
        """The output after ``prefix`` (the start control's output for the empty one)."""
        prefix = tuple(prefix)
        return int(self.run(prefix)[-1]) if prefix else self.outputs[0]

    def accepts(self, x, value=0) -> bool:
        """Whether the output after ``x`` is ``value`` (the language of that output)."""
        return self.output(x) == value

    def describe(self) -> str:
        """The machine in words: controls, increments, tests, and what is proved and checked."""
        lines = [f"One-counter machine: {len(self.controls)} controls, alphabet "
                 f"{{{', '.join(symbol_str(s) for s in self.alphabet)}}}, counter c "
                 f"starting at {self.c0:g}.",
                 f"Semantics: {self.semantics.describe()}.",
                 "Control q = the fed-back h; output = rounded h. On symbol x the counter "
                 "moves by a fixed amount (or is reset), then a test on the new c picks the "
                 "next control:"]
        for q, h in enumerate(self.controls):
            lines.append(f"  q{q} (h = {h:g}, output {self.outputs[q]}):")
            for a, symbol in enumerate(self.alphabet):
                d = float(self.increments[q, a])
                if self.forget[q, a] == 0.0:
                    move, shown = f"c = {d:g} (reset)", []   # no test: c' is constant
                else:
                    move = f"c += {d:g}" if d >= 0 else f"c -= {-d:g}"
                    # Shown on the new counter: the cut on c plus the increment.
                    shown = [b + d for b in self.bounds[q][a]]
                lines.append(f"    x={symbol_str(symbol)}: {move}; then "
                             f"{_tests(shown, self.targets[q][a])}")
        lines.append("PROVED for every input whose counter stays within +-2**53: the forget "
                     "gate is exactly 1 or 0 on every reachable (h, x), so c moves by exactly "
                     "the increment or is reset to it, and the tests are the compiled step's "
                     "own thresholds (found by bisection; they rely on monotone compiled tanh "
                     "and sigmoid).")
        if self.checked is not None:
            verdict = "agree" if self.checked.holds else "DISAGREE"
            lines.append(f"Checked: the outputs {verdict} with fastlstm.run on "
                         f"{self.checked.checked} strings of length 1 to {self.checked.max_len}.")
        return "\n".join(lines)


def _tests(bounds, targets):
    if not bounds:
        return f"go to q{targets[0]}"
    parts = [f"q{targets[0]} if c < {bounds[0]:.6g}"]
    for k in range(1, len(bounds)):
        parts.append(f"q{targets[k]} if {bounds[k - 1]:.6g} <= c < {bounds[k]:.6g}")
    parts.append(f"q{targets[-1]} if c >= {bounds[-1]:.6g}")
    return "go to " + ", ".join(parts)


def find_counter(cell, alphabet=(0, 1), *, activation="exact", threshold=1.0, inclusive=True,
                 round_feedback=True, h0=0.0, c0=0.0, check_len=12) -> OneCounterMachine:
    """The one-counter machine of a cell whose c moves by a fixed amount per symbol.

    See the module notes: the controls are the fed-back h values, the
    forget gate must be exactly 1 (count) or 0 (reset) on every reachable
    (h, x), the increments are i g, and the tests are the compiled step's
    thresholds.  The parity cell, say, is a counter that is always reset
    (f = 0): a finite-state machine is a special case.

    Parameters
    ----------
    cell : ScalarLSTM, mapping or 12 numbers
    alphabet : sequence of real numbers
    activation, threshold, inclusive, h0, c0
        The semantics and the start state, as in ``run``.
    round_feedback : bool
        Must be True (the controls are then finite).
    check_len : int
        Check the machine against the cell on every string of length 1 ..
        check_len with ``verify`` (0: no check).

    Returns
    -------
    OneCounterMachine

    Raises
    ------
    ValueError
        When the cell is not a counter (it names the control, the symbol and
        the forget gate), when the check finds a disagreement, or for a bad
        argument.
    TypeError
        For an argument of the wrong type.

    Examples
    --------
    >>> import fastlstm as fl
    >>> m = fl.find_counter(fl.presets.dyck1(), (1, -1), activation="saturated",
    ...                     round_feedback=True)
    >>> m.controls, m.increments.tolist()
    ((0.0, -1.0, 1.0), [[1.0, -1.0], [-1.0, -1.0], [1.0, -1.0]])
    >>> fl.find_counter(fl.ScalarLSTM(b_i=100, b_c=100), activation="saturated",
    ...                 round_feedback=True)                       # f = sigmoid(0) = 1/2
    Traceback (most recent call last):
    ...
    ValueError: not a counter: in control h = 0 on x = 0 the forget gate is 0.5, neither 1 nor 0, so c neither moves by a fixed amount nor is reset
    """
    start = checked_start(cell, alphabet, activation=activation, threshold=threshold,
                          inclusive=inclusive, round_feedback=round_feedback, h0=h0, c0=c0,
                          caller="find_counter", needs_round_feedback=True)
    sem, cell, symbols, values = start.sem, start.cell, start.symbols, start.values
    check_len = integer(check_len, "check_len", 0)
    p = cell.to_array()
    traced = start.kernels[1]

    def step(h, c, x):
        """(rounded h', c', f) of one compiled step."""
        out = [np.empty(1) for _ in range(3)]
        gates, pre = np.empty((1, 4)), np.empty((1, 5))
        traced(p, np.array([x]), h, c, sem.threshold, sem.inclusive, out[0], out[1], out[2],
               gates, pre, np.empty((1, 5), np.int8), np.empty((1, 5), np.bool_))
        return int(round_half_to_zero(out[0][0])), float(out[1][0]), float(gates[0, 0])

    controls = [start.h0 + 0.0]   # + 0.0: -0.0 and 0.0 are one control
    rows_inc, rows_forget, rows_bounds, rows_targets = [], [], [], []
    q = 0
    while q < len(controls):
        h = controls[q]
        incs, forgets, bounds_q, targets_q = [], [], [], []
        for symbol, x in zip(symbols, values.tolist()):
            _, d, f = step(h, 0.0, x)
            if f not in (0.0, 1.0):
                raise ValueError(f"not a counter: in control h = {h:g} on x = {symbol_str(symbol)}"
                                 f" the forget gate is {f!r}, neither 1 nor 0, so c neither "
                                 "moves by a fixed amount nor is reset")
            cuts, outs = _thresholds(lambda c: step(h, c, x)[0])
            targets = []
            for v in outs:
                if float(v) not in controls:
                    controls.append(float(v))
                targets.append(controls.index(float(v)))
            incs.append(d)
            forgets.append(f)
            bounds_q.append(tuple(cuts))
            targets_q.append(tuple(targets))
        rows_inc.append(incs)
        rows_forget.append(forgets)
        rows_bounds.append(tuple(bounds_q))
        rows_targets.append(tuple(targets_q))
        q += 1
    outputs = tuple(int(round_half_to_zero(h)) for h in controls)
    machine = OneCounterMachine(symbols, tuple(controls), outputs, np.array(rows_inc),
                                np.array(rows_forget), tuple(rows_bounds), tuple(rows_targets), start.c0, sem)
    if check_len:
        checked = verify(cell, machine.output, check_len, symbols, activation=activation,
                         threshold=threshold, inclusive=inclusive, round_feedback=True,
                         h0=h0, c0=c0)
        if not checked.holds:
            raise ValueError(f"the counter machine disagrees with the cell after "
                             f"{checked.counterexample}: {checked.expected} != {checked.actual}")
        machine = dataclasses.replace(machine, checked=checked)
    return machine


def _key(x):
    """float -> int, order-preserving (-0.0 and 0.0 map to 0)."""
    i = int(np.float64(x).view(np.int64))
    return i if i >= 0 else -(i & 0x7FFF_FFFF_FFFF_FFFF)


def _value(k):
    """The float of an order key (inverse of ``_key``)."""
    f = float(np.int64(abs(k)).view(np.float64))
    return f if k >= 0 else -f


def _thresholds(output):
    """``(cuts, values)`` of a nondecreasing step function of c on [-2**53, 2**53].

    ``values[k]`` holds for c in [cuts[k - 1], cuts[k]); each cut is the least
    float where the value changes, found by bisection on the float order.
    """
    lo, hi = _key(-COUNTER_RANGE), _key(COUNTER_RANGE)
    cuts, values = [], [output(-COUNTER_RANGE)]
    last = output(COUNTER_RANGE)
    while values[-1] != last:
        a, b = lo, hi   # output(a) == values[-1], output(b) != values[-1]
        while b - a > 1:
            mid = (a + b) // 2
            if output(_value(mid)) == values[-1]:
                a = mid
            else:
                b = mid
        cuts.append(_value(b))
        values.append(output(_value(b)))
        lo = b
        if len(cuts) > 64:   # rounded h takes a few values: this is not a step function
            raise ValueError("the next control is not a monotone function of c")
    return cuts, values
