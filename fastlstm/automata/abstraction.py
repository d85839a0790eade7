"""``prove_by_abstraction``: prove a Moore machine for a cell on inputs of every length.

A cell whose state is more than c (an ``LSTMCell`` of n >= 2 units or m >= 2
inputs, or any cell read by a readout) is proved by a cover of (h, c) boxes
(covers.py, boxes.py); this module's own proof is for one unit whose output
is its rounded h.

With rounded feedback the h a step reads is the previous output, an integer,
so a cell's state after a word is (output, c): only c is infinite.  Given a
candidate machine (learned, say), the proof keeps for every machine state q
one interval I_q of float64 values that holds the c of every non-empty word
leading to q, and checks that from every c in I_q each symbol x gives the
output of the machine's successor state.  What is proved is about the
compiled step, the very bits ``fl.run`` computes, not about the real-valued
cell.  The interval is the abstraction: for fixed (h, x) the four gates are
constants, and the compiled c' = fma(i, g, f * c) is nondecreasing in c (f >=
0, and rounding to nearest is monotone), so the compiled c' of every c in
I_q lies between those of its two ends, and the image of I_q is that
interval.  The output is round(h'), h' = o act(c') rounded once (o >= 0);
act is 1 or -1 where c' saturates and the compiled tanh in the band.  The
compiled tanh is *not* monotone from one ulp to the next, but it is within
``ACTIVATION_ERROR`` = 2**-49 of the true, increasing tanh (a proved bound:
fastlstm/_kernels/intervals.py), so for every c' between the ends h' is at
least h'(lower end) - H_SLACK and at most h'(upper end) + H_SLACK, H_SLACK =
2**-47 (two activation errors, measured from computed values, and the
rounding of o act and of the bound), and within [-o, o]; the ends themselves
are exact.  When both bounds round to the successor's output, every c in I_q
gives it, whatever regime (saturated low, band, saturated high) c' passes
through.  Where only the bounds fail (h' at an end within H_SLACK of a
rounding boundary), the values between are not decided and the proof says
so; an interval that straddles a regime boundary fails outright.

The intervals grow from the start state's successors to a fixpoint.  An end
that keeps moving (a drifting c) is widened to +-M, M = max(2**60, |c0|),
after 64 moves (after 4096 on a second try, when the first fails at a
widened end: a slow contraction can take that long to settle in float64):
every reachable c lies within +-M (|c'| <= |c| + 1 rounds back to M there),
so the widened interval still holds every reachable c and the proof covers
inputs of every length.  When the fixpoint passes every check, induction on
the length of the input proves that the machine's output equals the cell's
rounded h after every input string.  When a check fails, the proof says
where; that is not a counterexample (an interval over-approximates the
reachable c), only a failed proof, except at an end that was not
widened: each such end is the c after a word the proof keeps, so a failure
there comes with a true counterexample (``IntervalProof.counterexample``),
which ``learn_automaton`` feeds back to L*.

Soundness rests on the proved error bound of the compiled tanh (not on its
monotonicity), on the monotonicity of rounding to nearest, and on the signs
of zero being harmless: h = -0.0 and h = +0.0 feed back as the same
pre-activations up to the sign of an exact zero, which changes no rounded
output (docs/guarantees.md lists what each proof rests on).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._kernels import sequence as _sequence_kernels
from .._kernels.intervals import ACTIVATION_ERROR
from ..cell import LSTMCell
from ..params import as_cell
from ..semantics import Semantics, round_half_to_zero
from .cells import expand_states, stepper_for
from .covers import prove_cover
from .machine import MooreMachine
from .start import checked_start

__all__ = ["IntervalProof", "prove_by_abstraction"]

#: An interval end that moved this many times is widened to +-M; when a proof
#: fails at a widened end, it is tried again with the next, later, widening (a
#: slow contraction can take thousands of steps to reach its float64 limit).
WIDEN_SCHEDULE = (64, 4096)
#: The least bound on |c| after widening (see the module notes).
C_BOUND = 2.0 ** 60
#: How far the compiled h' = o act(c') may lie beyond its values at the two ends of an
#: interval of c' (see the module notes): 2 * 2**-49 / (1 - 2**-49) for act, 3 roundings.
H_SLACK = 4.0 * ACTIVATION_ERROR


@dataclasses.dataclass(frozen=True)
class IntervalProof:
    """Outcome of ``prove_by_abstraction``; true in a boolean context when proved.

    Attributes
    ----------
    proved : bool
        The machine's output equals the cell's rounded h after every input
        string, of every length.
    intervals : tuple
        For each machine state, ``(lo, hi)``: every c reached by a non-empty
        word leading to that state lies in [lo, hi] (None: no such word).
    widened : tuple of int
        The states whose interval was widened to +-M (a drifting c).
    reason : str or None
        Why the proof failed (None when proved).
    counterexample : tuple or None
        When the failed check was at an end of an interval that a word
        reaches (not a widened end), that word followed by the symbol: an
        input after which the machine's output is not the cell's (symbols of
        the machine's alphabet).  None otherwise.
    boxes : tuple or None
        The proof of a cell whose state is more than c (see
        ``prove_by_abstraction``): for each machine state, its boxes
        ``(lo, hi)`` of (h, c) (arrays of length 2n, h first; a c end may be
        infinite), whose union holds every state reached by a word leading
        to it.  None for the interval proof of c (and ``intervals`` is then
        empty for the boxes' proof).
    """

    proved: bool
    intervals: tuple
    widened: tuple
    reason: str | None
    counterexample: tuple | None = None
    boxes: tuple | None = None

    def __bool__(self):
        return self.proved

    def summary(self) -> str:
        """One line: the intervals of the proof, or why it failed."""
        if not self.proved:
            return f"not proved: {self.reason}"
        if self.boxes is not None:
            counts = ", ".join(f"q{q}: {len(b)}" for q, b in enumerate(self.boxes))
            drift = sum(int(np.isinf(lo).any() or np.isinf(hi).any())
                        for b in self.boxes for lo, hi in b)
            return (f"{sum(len(b) for b in self.boxes)} boxes of (h, c) closed under every step "
                    f"({counts}); {drift} with a c unbounded (drifting)")
        parts = [f"q{q}: c in [{_num(lo)}, {_num(hi)}]"
                 for q, iv in enumerate(self.intervals) if iv is not None for lo, hi in [iv]]
        drift = (f"; c drifts without bound in {', '.join(f'q{q}' for q in self.widened)}"
                 if self.widened else "")
        return "one interval of c per state, closed under every step: " + "; ".join(parts) + drift


def _num(v):
    if abs(v) >= C_BOUND:
        return f"{'-' if v < 0 else ''}2**{int(np.log2(abs(v)))}"
    return f"{v:.6g}"


def prove_by_abstraction(cell, machine, *, readout=None, activation="exact", threshold=1.0,
                         inclusive=True, round_feedback=False, h0=0.0, c0=0.0) -> IntervalProof:
    """Try to prove that ``machine`` gives the cell's output on inputs of every length.

    A scalar cell (or a 1-unit, 1-input ``LSTMCell``) without a readout:
    see the module notes for the abstraction (one interval of c per machine
    state, checked at its ends with the compiled step) and why it is sound.
    Any other cell (an ``LSTMCell`` of n >= 2 units or m >= 2 inputs), or
    any cell with a readout, under any semantics: a cover of boxes of (h, c)
    per machine state, stepped with interval arithmetic that encloses the
    compiled step (fastlstm/automata/covers.py and boxes.py say how and why
    it is sound); the proof then has ``boxes`` and no ``intervals``.

    Parameters
    ----------
    cell : ScalarLSTM, LSTMCell, mapping or 12 numbers
    machine : MooreMachine
        The candidate, over the alphabet of inputs; its start state must
        carry the output of h0 (round(h0), or the readout's label).
    readout : Readout, optional
        The outputs are its labels of h (default: ``machine.readout``).
    activation, threshold, inclusive, h0, c0
        The semantics and the start state, as in ``run`` (h0, c0 arrays of
        shape (n,) for an ``LSTMCell``).
    round_feedback : bool
        Must be True for the interval proof of c (the fed-back h must be the
        output); any value for the boxes.  The default, False, is that of
        ``run``, ``extract_automaton`` and ``learn_automaton``, so that a
        machine learned with their defaults is proved for the same cell (a
        scalar cell's proof then asks for ``round_feedback=True`` by name
        rather than silently proving another system).

    Returns
    -------
    IntervalProof

    Raises
    ------
    ValueError, TypeError
        For bad arguments, naming them (``round_feedback=False`` for the
        interval proof of c included).

    Examples
    --------
    A cell whose c counts the steps (f = i = g = 1), so that exact extraction
    refuses it, and whose output is the last input (o = 1 after a 1 and 0
    after a 0; tanh(c) = 1 once c >= 1).  The two-state machine "output the
    last symbol" is proved for every length; the constant machine is not.

    >>> import fastlstm as fl
    >>> cell = fl.ScalarLSTM(b_f=100, b_i=100, b_c=100, W_ox=100, b_o=-50)
    >>> sem = dict(activation="saturated", round_feedback=True)
    >>> last = fl.MooreMachine([[0, 1], [0, 1]], [0, 1])
    >>> proof = fl.prove_by_abstraction(cell, last, **sem)
    >>> proof.proved, proof.intervals, proof.widened
    (True, ((1.0, 1152921504606846976.0), (1.0, 1152921504606846976.0)), (0, 1))
    >>> fl.prove_by_abstraction(cell, fl.MooreMachine([[0, 0]], [0]), **sem).reason
    'from the start (h0, c0) on x=1, c in [0, 0] gives output 1, not 0 (state q0)'
    """
    if not isinstance(machine, MooreMachine):
        raise TypeError(f"machine must be a MooreMachine, got {type(machine).__name__}")
    if readout is None:
        readout = machine.readout
    if readout is not None or (isinstance(cell, LSTMCell)
                               and not cell.hidden_size == cell.input_size == 1):
        return _prove_boxes(cell, machine, readout, h0, c0, activation=activation,
                            threshold=threshold, inclusive=inclusive,
                            round_feedback=round_feedback)
    if isinstance(cell, LSTMCell):
        cell = cell.to_scalar()   # the same proof as its ScalarLSTM
    if machine.outputs.ndim != 1:
        raise ValueError("machine must output rounded h of a scalar cell (one integer per "
                         "state), not vectors or a readout's labels")
    start = checked_start(cell, machine.alphabet, activation=activation, threshold=threshold,
                          inclusive=inclusive, round_feedback=round_feedback, h0=h0, c0=c0,
                          caller="prove_by_abstraction", needs_round_feedback=True,
                          x_name="machine.alphabet")
    values = start.values
    h_start, c_start = np.array([start.h0]), np.array([start.c0])
    step = start.step_args()
    # The same kernels without the rounding of h (the flags are run-time values).
    raw_sem = dataclasses.replace(start.sem, round_feedback=False)
    raw_step = (_sequence_kernels.make_sequence_kernels(*raw_sem.kernel_key()),) + step[1:]
    table, outputs = machine.transitions, machine.outputs
    n, A = table.shape
    bound = max(C_BOUND, abs(float(c_start[0])))
    symbols = [str(s) for s in machine.alphabet]

    def fail(q, lo, hi, a, got):
        q2 = int(table[machine.start if q is None else q, a])
        origin = "the start (h0, c0)" if q is None else f"state q{q} (output {outputs[q]})"
        return (f"from {origin} on x={symbols[a]}, c in [{_num(lo)}, {_num(hi)}] gives "
                f"output {got}, not {outputs[q2]} (state q{q2})")

    def undecided(q, lo, hi, a, h_ends):
        q2 = int(table[q, a])
        return (f"from state q{q} (output {outputs[q]}) on x={symbols[a]}, c in [{_num(lo)}, "
                f"{_num(hi)}]: h' at the ends ({h_ends[0]:.17g}, {h_ends[1]:.17g}) rounds to "
                f"{outputs[q2]}, but between them h' is only known within {H_SLACK:.3g} "
                "(the proved error of the compiled tanh), which reaches a rounding boundary")

    def cex(word, a):
        return None if word is None else tuple(machine.alphabet[b] for b in word + (a,))

    gate_o = _OutputGates(start)
    start_out = int(round_half_to_zero(h_start[0]))
    if start_out != outputs[machine.start]:
        return IntervalProof(False, (None,) * n, (), f"the start state carries "
                             f"{outputs[machine.start]}, not round(h0) = {start_out}", ())

    def attempt(widen_after):
        """The fixpoint, widening an end after it moved ``widen_after`` times."""
        lo = np.full(n, np.inf)
        hi = np.full(n, -np.inf)
        moves = np.zeros((n, 2), dtype=np.int64)
        # words[q] = [word reaching q with c = lo[q], word with c = hi[q]] (None once widened)
        words = [[None, None] for _ in range(n)]
        # The empty word: the first step reads h0 itself (not a rounded output).
        h1, c1 = expand_states(*step, h_start, c_start, values)
        out1 = round_half_to_zero(h1).astype(np.int64)
        for a in range(A):
            q2 = int(table[machine.start, a])
            if out1[a] != outputs[q2]:
                c = float(c_start[0])
                return IntervalProof(False, (None,) * n, (), fail(None, c, c, a, int(out1[a])),
                                     cex((), a))
            if c1[a] < lo[q2]:
                lo[q2], words[q2][0] = c1[a], (a,)
            if c1[a] > hi[q2]:
                hi[q2], words[q2][1] = c1[a], (a,)
        changed = True
        while changed:
            changed = False
            live = np.flatnonzero(lo <= hi)
            # This round steps from the ends as they are now; they may move during it.
            ends = [(float(lo[q]), float(hi[q]), tuple(words[q])) for q in live.tolist()]
            h_in = np.repeat(outputs[live].astype(np.float64), 2)
            c_in = np.column_stack([lo[live], hi[live]]).reshape(-1)
            h2, c2 = expand_states(*raw_step, h_in, c_in, values)  # h2: h' before rounding
            h2 = h2.reshape(live.size, 2, A)
            out2 = round_half_to_zero(h2).astype(np.int64)
            c2 = c2.reshape(live.size, 2, A)
            # Where c' differs between the ends, the bounds of h' between them (_between)
            # must round to the successor's output: checked for the whole round at once.
            fed, which = np.unique(outputs[live], return_inverse=True)   # o depends on h, x
            o = np.array([[gate_o[v, a] for a in range(A)]
                          for v in fed.tolist()]).reshape(-1, A)[which]
            low, high = _between(h2[:, 0, :], h2[:, 1, :], o)
            expected = outputs[table[live]]
            spread = ((c2[:, 0, :] != c2[:, 1, :])
                      & ((round_half_to_zero(low) != expected)
                         | (round_half_to_zero(high) != expected)))
            for k, q in enumerate(live.tolist()):
                q_lo, q_hi, q_words = ends[k]
                for a in range(A):
                    q2 = int(table[q, a])
                    for end in (0, 1):
                        if out2[k, end, a] != outputs[q2]:
                            return IntervalProof(False, _intervals(lo, hi), _widened(moves, widen_after),
                                                 fail(q, q_lo, q_hi, a, int(out2[k, end, a])),
                                                 cex(q_words[end], a))
                    if spread[k, a]:   # h' between the ends may round otherwise
                        return IntervalProof(False, _intervals(lo, hi),
                                             _widened(moves, widen_after),
                                             undecided(q, q_lo, q_hi, a, h2[k, :, a]))
                    new_lo, new_hi = c2[k, 0, a], c2[k, 1, a]
                    if new_lo < lo[q2]:
                        moves[q2, 0] += 1
                        widen = moves[q2, 0] > widen_after
                        lo[q2] = -bound if widen else new_lo
                        words[q2][0] = None if widen or q_words[0] is None else q_words[0] + (a,)
                        changed = True
                    if new_hi > hi[q2]:
                        moves[q2, 1] += 1
                        widen = moves[q2, 1] > widen_after
                        hi[q2] = bound if widen else new_hi
                        words[q2][1] = None if widen or q_words[1] is None else q_words[1] + (a,)
                        changed = True
        return IntervalProof(True, _intervals(lo, hi), _widened(moves, widen_after), None)

    for widen_after in WIDEN_SCHEDULE:
        proof = attempt(widen_after)
        # A proof, a true counterexample, or no widening to blame: nothing more to try.
        if proof.proved or proof.counterexample is not None or not proof.widened:
            break
    return proof


def _prove_boxes(cell, machine, readout, h0, c0, **semantics):
    """``prove_by_abstraction`` by a cover of boxes of (h, c) (boxes.py), checked arguments."""
    sem = Semantics(**semantics)
    if not isinstance(cell, LSTMCell):   # one unit: stepped by the scalar kernels all the same
        cell = LSTMCell.from_scalar(as_cell(cell))
    symbols, stepper, readout = stepper_for(cell, machine.alphabet, sem, readout)
    h, c = stepper.start(h0, c0, output=True)
    outputs = machine.outputs
    if readout is not None or stepper.units == 1:
        if outputs.ndim != 1:
            raise ValueError("machine must output one integer per state (the readout's label, "
                             f"or the rounded h of one unit), got outputs of shape {outputs.shape}")
    elif outputs.shape[1:] != (stepper.units,):
        raise ValueError(f"machine must output the rounded h of the cell's {stepper.units} units "
                         f"(outputs of shape (states, {stepper.units})), got {outputs.shape}")
    proved, boxes, reason, word = prove_cover(stepper, symbols, machine, readout, sem, h, c)
    return IntervalProof(proved, (), (), reason, word, boxes)


class _OutputGates(dict):
    """``gates[h, a]``: the compiled output gate o after reading ``values[a]`` with h fed
    back (o depends on h and x alone, not on c), from a traced step, computed once."""

    def __init__(self, start):
        super().__init__()
        self.start = start

    def __missing__(self, key):
        from ..run import run_batch

        h, a = key
        sem, values = self.start.sem, self.start.values
        tr = run_batch(self.start.cell, values.reshape(-1, 1), h0=float(h), c0=0.0,
                       trace=True, activation=sem.activation, threshold=sem.threshold,
                       inclusive=sem.inclusive)
        for b in range(values.size):
            self[h, b] = float(tr.gates[b, 0, 2])
        return self[h, a]


def _between(h_lo, h_hi, o):
    """Bounds of the compiled h' = o act(c') for every c' between two ends whose h' are
    ``h_lo`` and ``h_hi``: each widened by H_SLACK, and within [-o, o] (|act| <= 1).
    Elementwise on arrays."""
    return np.maximum(h_lo - H_SLACK, -o), np.minimum(h_hi + H_SLACK, o)


def _intervals(lo, hi):
    return tuple((float(a), float(b)) if a <= b else None for a, b in zip(lo, hi))


def _widened(moves, widen_after):
    return tuple(int(q) for q in np.flatnonzero((moves > widen_after).any(axis=1)))
