"""The automata wing: the finite-state machine a cell implements, and proofs about it.

On a finite alphabet of inputs, a cell is a deterministic machine whose
states are its (h, c) pairs.  Under saturated activations with rounded
feedback (and often under exact activations with rounded feedback) only
finitely many pairs are reachable from (h0, c0); ``extract_automaton`` finds
them all by breadth-first search with the compiled step and returns a
``MooreMachine`` whose output in a state is the rounded h of that state
(for a vector cell, ``LSTMCell``, the rounded h vector, or with a readout
its label).
``learn_automaton`` learns the minimal machine of the *output* language
when the (h, c) states are infinite (L*, proved by ``prove_by_abstraction``
when an interval abstraction of c, or of boxes of (h, c), closes); ``find_counter`` extracts the
one-counter machine of a cell whose c moves by a fixed amount per symbol.
``hypotheses`` holds named finite-state properties of the input
(``Hypothesis.check`` proves one on a machine for inputs of every length);
``verify`` checks any predicate on every input string up to a length,
without a machine.

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

Modules, each importing only those above it in this list (and the core):
``alphabet`` (symbols), ``minimize`` and ``regex`` (plain arrays),
``pictures`` (``to_dot``, ``to_latex``), ``machine`` (``MooreMachine``),
``hypotheses`` (builds and checks machines), ``describe`` (the text of
``MooreMachine.describe``: the table, the hypotheses that hold, the
regexes), ``cells`` (the symbols, steps and
outputs of a ``ScalarLSTM`` or an ``LSTMCell``: ``stepper_for``), ``extract``
(``extract_automaton``), ``verify``, ``start`` (the checked arguments of the
proofs and counters), ``boxes`` and ``covers`` (boxes of (h, c) stepped by interval
arithmetic: the proof of a vector cell's machine), ``abstraction``
(``prove_by_abstraction``), ``lstar``
(the L* loop), ``queries`` (its membership and equivalence queries for a
cell), ``learn`` (``learn_automaton``), ``counters`` (``find_counter``).
``describe`` sits above the class it
describes, so the class gets its text as a function installed here.
"""

from . import describe as _describe
from . import hypotheses
from .abstraction import IntervalProof, prove_by_abstraction
from .counters import OneCounterMachine, find_counter
from .extract import extract_automaton
from .learn import Provenance, learn_automaton
from .machine import MooreMachine, install_describer
from .verify import VerifyResult, verify

install_describer(_describe.describe)

__all__ = ["IntervalProof", "MooreMachine", "OneCounterMachine", "Provenance", "VerifyResult",
           "extract_automaton", "find_counter", "hypotheses", "learn_automaton",
           "prove_by_abstraction", "verify"]
