"""``verify``: check a hypothesis about a cell on every input string up to a length.

Strings are explored level by level: the (h, c) states after every string
of length L are kept, and each is extended by every symbol with the compiled
kernels of ``run_batch`` (sequences of length 1 started from those states;
``cells.stepper_for``: ``expand_states``, or ``run_batch_vector`` for a
vector cell).  So each string costs one step, not L, and the whole
check of all strings up to ``max_len`` costs about ``A / (A - 1)`` times the
number of strings of the last level.  Within a level strings are checked in
lexicographic (alphabet) order, so the first failure is a shortest
counterexample, and the first among the shortest.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

from .._validate import integer
from ..semantics import Semantics
from .cells import state_outputs, stepper_for

__all__ = ["VerifyResult", "verify"]

#: Largest number of strings of one length that verify accepts: the
#: level-by-level search holds the (h, c) states of a whole level and their
#: successors, about 50 bytes a string (some 200 MB at this bound); for a
#: vector cell of n units, about 50 n bytes, so the bound is MAX_LEVEL // n.
MAX_LEVEL = 2 ** 22
#: Largest ``max_len`` verify accepts: every string of length L is a tuple of L
#: symbols handed to the predicate, so a one-symbol alphabet costs about
#: max_len**2 / 2 (for two symbols or more MAX_LEVEL binds first).
MAX_LEN = 2 ** 14
#: Strings compared per slice of a level (bounds the Python objects alive at once).
_CHUNK = 2 ** 16


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    """Outcome of ``verify``; true in a boolean context when the hypothesis holds.

    Attributes
    ----------
    holds : bool
        ``predicate(prefix) == output`` on every string checked.
    counterexample : tuple or None
        A shortest failing input (the first in alphabet order), or None.
    expected : object
        ``predicate(counterexample)`` (None when it holds).
    actual : int, tuple of ints or None
        The output after the counterexample (None when it holds): the
        rounded h, a tuple for a vector cell of n >= 2 units, or a label.
    checked : int
        Number of strings checked (up to and including the counterexample).
    max_len : int
        The bound: every string of length 1 .. max_len was checked when it holds.
    """

    holds: bool
    counterexample: tuple | None
    expected: object
    actual: int | None
    checked: int
    max_len: int

    def __bool__(self):
        return self.holds


def verify(cell, predicate, max_len, alphabet=(0, 1), *, readout=None, activation="exact",
           threshold=1.0, inclusive=True, round_feedback=False, h0=0.0, c0=0.0) -> VerifyResult:
    """Check ``predicate(prefix) == output after prefix`` for every input up to ``max_len``.

    The output is the rounded h, as in ``extract_automaton``: for a vector
    cell (``LSTMCell``) of n >= 2 units a tuple of n ints, or with
    ``readout`` the readout's label of h.

    This is a bounded check on the cell's arithmetic (it needs no machine,
    so it also works when the cell is not finite-state).  For a finite-state
    cell, ``Hypothesis.check`` on ``extract_automaton(...)`` proves a named
    property for every length.

    Parameters
    ----------
    cell : ScalarLSTM, LSTMCell, mapping or 12 numbers
    predicate : callable
        ``predicate(prefix)`` with ``prefix`` a tuple of symbols (length >= 1)
        returns the expected output (compared with ``==``, so True/False
        stand for 1/0; a tuple of ints for the rounded h of a vector cell).
    max_len : int
        Check every string of length 1 .. max_len (an integer >= 1).  Refused
        up front, before any work, when the last length has more than
        ``MAX_LEVEL`` = 2**22 strings (``len(alphabet)**max_len``; 22 for
        0/1 strings) or when ``max_len`` exceeds ``MAX_LEN`` = 2**14
        (``MAX_LEVEL // n`` strings for a vector cell of n units).
    alphabet : sequence of real numbers, or of vectors (tuples) of length m
    readout : Readout, optional
        The output is the readout's label of h (as in ``extract_automaton``).
    activation, threshold, inclusive, round_feedback, h0, c0
        The semantics and the start state, as in ``run`` (``run_vector``).

    Returns
    -------
    VerifyResult

    Raises
    ------
    ValueError
        For a bad value (naming it), for a search over the bounds above, and
        when a pre-activation could overflow float64 (as in ``run``, with the
        alphabet as the inputs).
    TypeError
        For an argument of the wrong type.

    Examples
    --------
    The worked example's answer holds under exact semantics, but not under the
    literal saturated rule with raw feedback: after 1 0 0 the raw h = 0.5 fed
    back puts the candidate gate of the next 1 exactly at 0 (as at t = 3 of
    1 1 0 1 1 in the semantics table, docs/semantics.md), a shorter case in
    alphabet order:

    >>> import fastlstm as fl
    >>> def odd_run(prefix):
    ...     run = len(prefix) - len("".join(map(str, prefix)).rstrip("1"))
    ...     return 0 if run == 0 else (1 if run % 2 else -1)
    >>> fl.verify(fl.presets.parity(), odd_run, 12).holds
    True
    >>> r = fl.verify(fl.presets.parity(), odd_run, 12, activation="saturated")
    >>> r.counterexample, r.expected, r.actual, r.checked
    ((1, 0, 0, 1), 1, 0, 24)

    A search that cannot finish is refused before it starts:

    >>> fl.verify(fl.presets.parity(), odd_run, 2**32)
    Traceback (most recent call last):
    ...
    ValueError: max_len=4294967296 is too large: it means 2**4294967296 = about 10**1292913986... strings of length 4294967296, ...
    """
    sem = Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                    round_feedback=round_feedback)
    if not callable(predicate):
        raise TypeError(f"predicate must be callable, got {type(predicate).__name__}")
    max_len = integer(max_len, "max_len", 1)
    symbols, stepper, readout = stepper_for(cell, alphabet, sem, readout)
    _check_size(len(symbols), max_len, MAX_LEVEL // stepper.units)
    h, c = stepper.start(h0, c0)
    h, c = h[None], c[None]
    checked = 0
    for length in range(1, max_len + 1):
        h, c = stepper.expand(h, c)
        outputs = state_outputs(h, readout)
        # itertools.product varies the last symbol fastest: string k of this
        # level is string k // A of the last level followed by symbol k % A.
        words = itertools.product(symbols, repeat=length)
        for first in range(0, outputs.shape[0], _CHUNK):
            chunk = outputs[first:first + _CHUNK].tolist()
            if outputs.ndim == 2:
                chunk = [tuple(v) for v in chunk]
            for prefix, actual in zip(itertools.islice(words, len(chunk)), chunk):
                checked += 1
                expected = predicate(prefix)
                if not expected == actual:
                    return VerifyResult(False, prefix, expected, actual, checked, max_len)
    return VerifyResult(True, None, None, None, checked, max_len)


def _check_size(A, max_len, max_level=MAX_LEVEL):
    """Refuse, before any work, more than max_level strings of one length or MAX_LEN lengths."""
    largest = MAX_LEN  # the longest max_len allowed for this alphabet
    if A > 1:
        largest, level = 0, A
        while level <= max_level:
            largest, level = largest + 1, level * A
    if max_len <= largest:
        return
    # A**max_len itself can be astronomically large: only its size is shown
    if max_len.bit_length() > 64:
        count = "more than 10**(10**18)"
    else:
        exponent = max_len * math.log10(A)
        count = f"{A ** max_len}" if exponent < 18 else f"about 10**{exponent:.1f}"
    size = (f"{A}**{max_len} = {count} strings of length {max_len}" if A > 1
            else f"{max_len} lengths")
    raise ValueError(
        f"max_len={max_len} is too large: it means {size}, and verify checks at most "
        f"{max_level} strings of one length (len(alphabet)**max_len) and lengths up to "
        f"{MAX_LEN}. " + (f"Use max_len <= {largest} for this alphabet" if largest else
                          f"Use an alphabet of at most {max_level} symbols")
        + ", or prove the property for every length with fl.extract_automaton and a "
        "hypothesis (fastlstm.automata.hypotheses)")
