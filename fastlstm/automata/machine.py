"""``MooreMachine``: a deterministic Moore machine over a finite alphabet of input symbols.

Construction and validation, the compiled table walk (``run``, and
``trajectory`` for machines extracted from a cell, bit-identical to
``fastlstm.run``), minimisation, regexes and pictures.  The conventions
shared with extraction (exact states, outputs = rounded h, no silent
approximation) are in the package docstring, ``fastlstm.automata``.

``describe()``'s text lives in ``describe.py`` (it uses the hypothesis library, which uses this
class) and reaches this module installed by the package (``install_describer``), not imported.
"""

from __future__ import annotations

import numpy as np

from .._kernels import machine as _machine_kernels
from .._validate import integer
from ..run import Trajectory
from ..semantics import Semantics
from ..vector import VectorTrajectory
from . import pictures
from .alphabet import check_alphabet, input_array, is_real, symbol_codes, symbol_str
from .minimize import minimal_form
from .regex import language_regex, regex_chars
from .state_trajectory import StateTrajectory, VectorStateTrajectory, output_arrays, state_dtype

__all__ = ["MooreMachine", "install_describer"]

#: ``describe(machine) -> str``, the text of ``MooreMachine.describe``; installed
#: by ``fastlstm/automata/__init__.py`` (it is ``describe.describe``).
_describer = None


def install_describer(describer):
    """Make ``describer(machine) -> str`` the text of ``MooreMachine.describe`` (called once
    by the package: the describer checks the hypothesis library, which imports this module)."""
    global _describer
    if not callable(describer):
        raise TypeError(f"describer must be callable, got {type(describer).__name__}")
    _describer = describer


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
    outputs : array_like of int, shape (n,) or (n, k)
        Output of each state: an int, or a vector of k ints (the rounded h
        of a vector cell).
    alphabet : sequence of real numbers, or of vectors (tuples)
        The input symbols, distinct and finite.
    start : int
        The start state.
    h, c : array_like of float, shape (n,) or (n, units), optional
        The (h, c) pair of each state (extracted machines); needed by
        ``trajectory``.
    semantics : Semantics, optional
        The semantics the machine was extracted under.
    quantize : int, optional
        Set by ``extract_automaton(..., quantize=k)``: the states were rounded
        to k decimals, so the machine approximates the cell.
    reduced_from : int, optional
        Set by ``minimize``: the number of states minimised from.
    readout : Readout, optional
        Set by ``extract_automaton(..., readout=...)``: the outputs are the
        readout's labels of h, not rounded h.
    provenance : object, optional
        Set by ``learn_automaton``: how the machine was obtained and what is
        proved about it (``fastlstm.automata.learn.Provenance``; printed by
        ``describe()``); kept by ``minimize``.

    Attributes
    ----------
    states : tuple of int
        ``(0, 1, ..., n-1)``.
    start : int
    transitions : numpy.ndarray of int32, shape (n, A), read-only
    outputs : numpy.ndarray of int64, shape (n,) or (n, k), read-only
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
                 semantics=None, quantize=None, reduced_from=None, readout=None, provenance=None):
        self.alphabet, self._alphabet_values = check_alphabet(alphabet)
        # The compiled walk reads symbols as floats: vector symbols are
        # looked up first (``symbol_codes``) and walked as their indices.
        self._alphabet_tuple = (tuple(float(a) for a in range(len(self.alphabet)))
                                if self._alphabet_values.ndim == 2
                                else tuple(self._alphabet_values.tolist()))
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
        if outputs.dtype.kind not in "iu" or outputs.shape[:1] != (n,) or outputs.ndim > 2 \
                or 0 in outputs.shape:
            raise ValueError(f"outputs must be an integer array of shape ({n},) or ({n}, k), "
                             f"got {outputs.dtype} array of shape {outputs.shape}")
        start = integer(start, "start", 0, n - 1)
        if (h is None) != (c is None):
            raise ValueError("h and c must be given together (or neither)")
        if h is not None:
            h = np.array(h, dtype=np.float64)
            c = np.array(c, dtype=np.float64)
            if h.shape[:1] != (n,) or h.ndim > 2 or 0 in h.shape or c.shape != h.shape:
                raise ValueError(f"h and c must have shape ({n},) or ({n}, units), "
                                 f"got {h.shape} and {c.shape}")
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
        # Minimisation and regexes see one integer per state: the output
        # itself, or for vector outputs its index among the distinct vectors.
        if self.outputs.ndim == 1:
            self._output_vectors, self._codes = None, self.outputs
        else:
            self._output_vectors, self._codes = np.unique(self.outputs, axis=0,
                                                          return_inverse=True)
            self._codes = self._codes.reshape(-1).astype(np.int64)
        self.readout = readout
        self.start = start
        self.h, self.c = h, c
        self.semantics = semantics
        self.exact = quantize is None
        self.reduced_from = reduced_from
        self.quantize = quantize
        self.provenance = provenance
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

    @property
    def output_name(self) -> str:
        """What an output is, in words: ``"rounded h_t"`` or ``"label(h_t)"`` (a readout's)."""
        return "rounded h_t" if self.readout is None else "label(h_t)"

    def output_keys(self) -> list:
        """Each state's output as a hashable Python value: an int, or a tuple of ints.

        Examples
        --------
        >>> import fastlstm as fl
        >>> fl.MooreMachine([[1], [0]], [[0, 1], [-1, 0]], alphabet=(1,)).output_keys()
        [(0, 1), (-1, 0)]
        """
        if self.outputs.ndim == 1:
            return self.outputs.tolist()
        return [tuple(row) for row in self.outputs.tolist()]

    def __repr__(self):
        alphabet = ", ".join(symbol_str(s) for s in self.alphabet)
        kind = "minimal, " if self.reduced_from is not None else ""
        return (f"<MooreMachine: {kind}{self.n_states} states, alphabet {{{alphabet}}}, "
                f"start {self.start}>")

    def step(self, state, symbol) -> int:
        """The state reached from ``state`` on ``symbol``."""
        state = integer(state, "state", 0, self.n_states - 1)
        return int(self.transitions[state, self._index(symbol, "symbol")])

    def _index(self, symbol, name):
        table = self._alphabet_values.reshape(len(self.alphabet), -1)
        try:
            v = np.asarray(symbol, dtype=np.float64).reshape(-1)
            hits = np.flatnonzero((table == v).all(axis=1)) if v.size == table.shape[1] else ()
        except (TypeError, ValueError):
            hits = ()
        if len(hits) == 0:
            raise ValueError(f"{name} must be in the alphabet {self.alphabet}, got {symbol!r}")
        return int(hits[0])

    def _block_runner(self, kind):
        """``(runners, jump, *paths)`` for ``kind`` "values" (h, c), "outputs" or "states"."""
        if kind not in self._blocks:
            values = {"values": (self.h, self.c), "outputs": (self.outputs,),
                      "states": (np.arange(self.n_states, dtype=state_dtype(self.n_states)),)}[kind]
            k = _machine_kernels.block_length(self.n_states, len(self.alphabet),
                                              sum(v.itemsize for v in values))
            runners = _machine_kernels.make_runners(k)
            self._blocks[kind] = (runners,) + _machine_kernels.block_tables(
                self.transitions, k, *values)
        return self._blocks[kind]

    def _states(self, x, name, ndims):
        """Each step's state (uint8 up to 256 states), of x's shape less the vector axis."""
        if self._alphabet_values.ndim == 2:
            m = self._alphabet_values.shape[1]
            x = input_array(x, name, tuple(range(33)))
            if x.ndim - 1 not in ndims or x.shape[-1] != m:
                shapes = " or ".join(f"({'B, ' * (d - 1)}T, {m})" for d in ndims)
                raise ValueError(f"{name} must have shape {shapes} (one vector symbol per "
                                 f"step), got shape {x.shape}")
            x = symbol_codes(x, self._alphabet_values, self.alphabet, name)
        else:
            x = input_array(x, name, ndims)
        states = np.empty(x.shape, dtype=state_dtype(self.n_states))
        self._walk("states", x, name, states)
        return states

    def _walk(self, kind, x, name, *out, stream=False):
        """Walk x (T,) or (B, T) with the tables of ``kind``, writing ``out`` (``stream``: the
        caller's arrays, faulted in: large ones take non-temporal stores)."""
        runners, jump, *paths = self._block_runner(kind)
        out = _machine_kernels.as_bits(*out)
        stream = stream and x.ndim == 1 and _machine_kernels.streams(out)
        if len(paths) == 1:   # one output: the same table and array in both kernel slots
            paths, out = paths * 2, out * 2
        args = (jump, *paths, self.start, self._alphabet_tuple, x, *out)
        if x.ndim == 1:
            misses = _machine_kernels.walk_one(runners[0], args, stream)
        else:
            counts = np.zeros(x.shape[0], dtype=np.int64)
            runners[1](*args, counts)
            misses = counts.any()
        if misses:
            self._raise_miss(x, name)

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
        x : array_like, shape (T,), or (T, m) for vector symbols
            Input symbols, each in ``alphabet``.

        Returns
        -------
        numpy.ndarray of int64, shape (T,), or (T, k) for vector outputs

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
        if self.outputs.ndim == 2 or self._alphabet_values.ndim == 2:
            return self.outputs[self._states(x, "x", (1,))]
        x = input_array(x, "x", (1,))
        out = np.empty(x.shape, dtype=np.int64)
        self._walk("outputs", x, "x", out)
        return out

    def trajectory(self, x, record="values", *, out=None) -> Trajectory:
        """The run of the cell by table lookup: h and c bit-identical to ``fastlstm.run``.

        Needs an exact extracted machine (not minimised, not quantised).

        Parameters
        ----------
        x : array_like, shape (T,) or (B, T)
            Input symbols, each in ``alphabet``; a 2-D array runs every row
            (in parallel), like ``run_batch``.  Vector symbols add an axis:
            (T, m) or (B, T, m).
        record : {"values", "states"}
            What the walk writes: h and c of every step (16 bytes a step),
            or only the state number of every step (``states``: 1 byte a step
            up to 256 states), from which ``h`` and ``c`` are looked up, the
            same bits, when first read (``state_trajectory.StateTrajectory``).
        out : (h, c) pair of float64 arrays, optional
            C-contiguous, writable, of x's shape, sharing no memory: the walk
            writes h and c there (one unit, number symbols, record "values")
            and the result holds them.  Memory reused from call to call is
            not faulted in and zeroed again by the system (page faults).

        Returns
        -------
        Trajectory or VectorTrajectory
            ``h`` and ``c`` as ``run`` (or ``run_batch``) would report them
            (a ``VectorTrajectory`` for a cell of several units).

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
        >>> tr = m.trajectory(x, record="states")
        >>> tr.states, tr.h         # h looked up from the states: m.h[tr.states]
        (array([1, 3, 4, 1, 3], dtype=uint8), array([ 1., -1.,  0.,  1., -1.]))
        >>> import numpy as np
        >>> h, c = np.empty(5), np.empty(5)
        >>> m.trajectory(x, out=(h, c)).h is h, h
        (True, array([ 1., -1.,  0.,  1., -1.]))
        """
        if record not in ("values", "states"):
            raise ValueError(f"record must be 'values' or 'states', got {record!r}")
        if self.h is None:
            raise ValueError("trajectory needs the (h, c) values of the states: use the machine "
                             "returned by extract_automaton, not a minimised or hand-built one")
        if not self.exact:
            raise ValueError(f"this machine was extracted with quantize={self.quantize}, an "
                             "approximation of the cell; its trajectory would not be the cell's "
                             "(use fastlstm.run)")
        vector = self.h.ndim == 2
        if out is not None and (record == "states" or vector or self._alphabet_values.ndim == 2):
            raise ValueError("out is for record='values' of a one-unit machine with number symbols")
        if record == "states" or vector or self._alphabet_values.ndim == 2:
            states = self._states(x, "x", (1, 2))
            if record == "states":
                return (VectorStateTrajectory if vector else StateTrajectory)(
                    states, self.h, self.c, self.semantics)
            kind = VectorTrajectory if vector else Trajectory
            return kind(self.h[states], self.c[states], self.semantics)
        x = input_array(x, "x", (1, 2))
        h, c, faulted_in = output_arrays(out, x)
        self._walk("values", x, "x", h, c, stream=faulted_in)
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
        table, codes, _ = minimal_form(self.transitions, self._codes, self.start)
        outputs = codes if self._output_vectors is None else self._output_vectors[codes]
        return MooreMachine(table, outputs, self.alphabet, 0, semantics=self.semantics,
                            quantize=self.quantize, reduced_from=self.reduced_from or self.n_states,
                            readout=self.readout, provenance=self.provenance)

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
        value : int or tuple of ints
            An output value (a rounded h, a vector of them, or a label).
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
        if self._output_vectors is None:
            if not is_real(value):
                raise TypeError(f"value must be a number (an output), got {type(value).__name__}")
            code = value
        else:
            k = self.outputs.shape[1]
            if isinstance(value, (str, bytes)) or np.ndim(value) != 1 or np.size(value) != k:
                raise TypeError(f"value must be a vector of {k} ints (an output), got {value!r}")
            rows = np.flatnonzero((self._output_vectors == np.asarray(value)).all(axis=1))
            code = int(rows[0]) if rows.size else -1    # -1: no state has this output
        chars = regex_chars(self.alphabet, chars)
        return language_regex(self.transitions, self._codes, self.start, code, chars)

    # -- pictures ----------------------------------------------------------- #

    def to_dot(self, name="moore") -> str:
        """The machine as a Graphviz digraph (states labelled ``q/output``); see ``pictures``."""
        return pictures.to_dot(self, name)

    def to_latex(self, radius=2.0) -> str:
        """The machine as a TikZ automaton (states on a circle); see ``pictures``."""
        return pictures.to_latex(self, radius)

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
        Semantics: saturated, threshold 1, closed boundary (|z| >= 1 saturates), rounded feedback.
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
        if _describer is None:
            raise RuntimeError("no describer installed: import fastlstm.automata")
        return _describer(self)

