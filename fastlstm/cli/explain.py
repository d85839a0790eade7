"""``fastlstm explain``: the machine a cell or a trained network computes, extracted or learned.

A cell whose (h, c) states are finite (``--preset``/``--params`` under the
saturated rule with rounded feedback, say) is *extracted*: every reachable
state, minimised (``fl.extract_automaton``).  A trained network
(``--weights FILE``, or ``--preset tomitaK``: the shipped Tomita networks
with their readouts) whose states do not repeat, or any cell with
``--learn``, is *learned*: ``fl.learn_automaton`` (L*, tested, and proved
where an interval abstraction closes), with its progress on stderr.  The
text output is ``MooreMachine.describe()``: the states and transitions,
PROVED or LEARNED AND TESTED with what was tested; the time taken goes to
stderr with the progress (on a terminal, or with FASTLSTM_PROGRESS=1), and
into ``--format json`` as ``seconds``.
"""

from __future__ import annotations

import json
import sys
import time

from .commands import _cell, _print, _semantics_kwargs
from .values import parse_alphabet

__all__ = ["TOMITA_PRESETS", "cmd_explain", "explain_alphabet"]

#: ``--preset`` names of the shipped Tomita networks (``fl.presets.tomita_lstm``).
TOMITA_PRESETS = tuple(f"tomita{k}" for k in range(1, 8))
#: Default bounds when none is given: on reachable (h, c) states for extraction, and on
#: machine states for L* (``--max-states``).
EXTRACT_STATES = 10_000
LEARN_STATES = 200


def explain_alphabet(text, m):
    """``--alphabet`` for a cell with m inputs: numbers (m = 1), ``;``-separated vectors of m
    numbers, or ``one-hot`` (the m unit vectors).

    Examples
    --------
    >>> explain_alphabet("0,1", 1), explain_alphabet("one-hot", 3)
    ([0, 1], [(1, 0, 0), (0, 1, 0), (0, 0, 1)])
    >>> [tuple(map(float, s)) for s in explain_alphabet("1,0;0,1", 2)]
    [(1.0, 0.0), (0.0, 1.0)]
    """
    if text.strip().lower() == "one-hot":
        return [tuple(int(i == j) for j in range(m)) for i in range(m)]
    from .network import parse_symbols

    return parse_symbols(text, m)


def _network(args):
    """(cell, readout, words, JSON description, is_network) of --weights or --preset tomitaK,
    or of a scalar --preset/--params (no readout)."""
    if args.weights:
        from .network import weights_network

        cell, readout, words, info = weights_network(args)
        return cell, readout, words, info, True
    if args.preset in TOMITA_PRESETS:
        from ..presets import tomita_lstm

        if args.params:
            raise ValueError(f"--params changes a scalar cell, not the network --preset "
                             f"{args.preset}")
        cell, readout = tomita_lstm(int(args.preset[len("tomita"):]))
        words = (f"preset {args.preset} (a trained network: hidden size {cell.hidden_size}, "
                 f"input size {cell.input_size}, with a readout)")
        return cell, readout, words, {"preset": args.preset}, True
    cell, words, preset = _cell(args)
    return cell, None, words, {"preset": preset, "params": cell.to_dict()}, False


def cmd_explain(args) -> int:
    """``fastlstm explain``: the minimal machine, how it was obtained, what the state carries."""
    from ..automata import extract_automaton, learn_automaton

    cell, readout, words, info, network = _network(args)
    m = getattr(cell, "input_size", 1)
    alphabet = explain_alphabet(args.alphabet, m) if network else parse_alphabet(args.alphabet)
    semantics = _semantics_kwargs(args)
    begun = time.perf_counter()
    machine = extracted = None
    if not args.learn:
        try:
            extracted = extract_automaton(cell, alphabet, args.max_states or EXTRACT_STATES,
                                          **semantics, h0=args.h0, c0=args.c0,
                                          quantize=args.quantize, readout=readout)
        except ValueError as exc:
            infinite = "not finite" in str(exc)
            if not (infinite and network and args.quantize is None):
                if "max_states" not in str(exc):
                    raise
                raise ValueError(f"{exc} (on the command line: --activation saturated "
                                 f"--round-feedback, --max-states N, --quantize K, or --learn "
                                 f"to learn the machine of the outputs)") from None
        else:
            machine = extracted.minimize()
    if machine is None:   # learned: L*, tested, proved where the abstraction closes
        if args.quantize is not None:
            raise ValueError("--quantize rounds the states of an extraction; --learn learns "
                             "the outputs of the cell itself: drop one")
        progress = args.progress and _progress()
        machine = learn_automaton(cell, alphabet, readout=readout, **semantics, h0=args.h0,
                                  c0=args.c0, max_states=args.max_states or LEARN_STATES,
                                  time_limit=args.time_limit, progress=progress)
        if progress:
            verdict = "proved" if machine.provenance.proved else "not proved"
            sys.stderr.write(f"explain: learned ({verdict}) in "
                             f"{time.perf_counter() - begun:.2f} s\n")
    seconds = time.perf_counter() - begun
    if args.format == "dot":
        _print(machine.to_dot())
    elif args.format == "latex":
        _print(machine.to_latex())
    elif args.format == "json":
        _print(json.dumps(_json(machine, extracted, info, semantics, seconds)))
    else:
        _print(f"cell: {words}\n{machine.describe()}")
    return 0


def _progress():
    """learn_automaton's progress line on stderr (False when stderr is not a terminal and
    FASTLSTM_PROGRESS is unset: a log then gets one line per redraw otherwise)."""
    import os

    return bool(os.environ.get("FASTLSTM_PROGRESS")) or sys.stderr.isatty()


def _json(machine, extracted, info, semantics, seconds):
    from ..automata import hypotheses

    proved = [v for v in (h.check(machine) for h in hypotheses.library(machine.alphabet))
              if v.holds]
    try:
        regexes = {str(v): machine.regex(v) for v in sorted(set(machine.output_keys()))}
    except ValueError:  # symbols that are not single characters
        regexes = None
    p = machine.provenance
    return {
        "cell": info, "semantics": semantics,
        "alphabet": [list(s) if isinstance(s, tuple) else s for s in machine.alphabet],
        "start": machine.start, "states": machine.n_states,
        "extracted_states": None if extracted is None else extracted.n_states,
        "exact": True if extracted is None else extracted.exact,
        "transitions": machine.transitions.tolist(), "outputs": machine.outputs.tolist(),
        "regexes": regexes,
        "provenance": None if p is None else {
            "method": p.method, "proved": p.proved, "how": p.how, "test_depth": p.test_depth,
            "exhaustive": p.exhaustive, "random_tests": p.random_tests,
            "random_length": p.random_length, "queries": p.queries, "rounds": p.rounds,
            "guided_states": p.guided_states, "guided_words": p.guided_words},
        "proved": [{"hypothesis": v.hypothesis.name, "exact": v.exact,
                    "values": {str(k): val for k, val in v.values.items()},
                    "words": v.words()} for v in proved],
        "seconds": seconds, "description": machine.describe()}

