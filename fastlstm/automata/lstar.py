"""Angluin's L* over an observation table, with Rivest-Schapire counterexamples.

The learning loop of ``fastlstm.learn_automaton``: ``lstar`` asks an
oracle (membership queries answered in batches over a prefix tree, see
``fastlstm.automata.learn``) and a counterexample search for hypotheses
until one passes every test.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lstar", "separating_suffix"]


def lstar(oracle, counterexample, A, max_states, watch):
    """``(table, outputs, rounds)`` of the first hypothesis that passes every test.

    The observation table: rows ``S`` (access strings, pairwise distinct
    rows) and ``S . A``, columns ``E`` (suffixes, the empty one first); the
    entry of row u and column e is the output after u e.  The table grows in
    place, so every entry is asked for once: a new row is filled once, and a
    new suffix adds one entry to each row, read from the row's node of the
    prefix tree.  Rows are compared by a class number refined column by
    column (equal rows, equal classes), not as tuples rebuilt every round.
    ``counterexample(table, outputs, S)`` gets each hypothesis (state k is
    the state of the access string ``S[k]``) and returns a word it gets
    wrong, or None.  ``watch(states, queries, rounds)`` is called between
    batches (the time limit and the progress report).
    """
    S, E = [()], []
    node = {}     # row word u (in S or S . A) -> its node in the oracle's tree
    cls = {}      # u -> class of its row
    merges = []   # per column: {(class before it, output): class after it}

    def add_column(e, words):
        merge = {}
        merges.append(merge)
        E.append(e)
        outs = oracle.answer([e] * len(words), [node[u] for u in words])
        for u, out in zip(words, outs):
            cls[u] = merge.setdefault((cls[u], out), len(merge))

    def add_rows(words):
        for u, v in zip(words, oracle.nodes(words)):
            node[u], cls[u] = v, 0
        starts = [node[u] for u in words]
        outs = oracle.answer([e for e in E for _ in words], starts * len(E))
        # Column by column, so a row's class is refined as every other row's was.
        for j, merge in enumerate(merges):
            for u, out in zip(words, outs[j * len(words):(j + 1) * len(words)]):
                cls[u] = merge.setdefault((cls[u], out), len(merge))

    add_rows([()] + [(a,) for a in range(A)])   # no columns yet: every class is 0
    add_column((), list(node))
    rounds = 0
    while True:
        watch(len(S), len(oracle), rounds)
        # Close the table: every one-symbol extension's row must be some access string's.
        # Rows of S stay distinct as columns are added, and a row of S . A that
        # matched one still does until the next column: only new extensions are checked.
        known = {cls[s]: k for k, s in enumerate(S)}
        pending = [s + (a,) for s in S for a in range(A)]
        while True:
            fresh = {}
            for u in pending:
                if cls[u] not in known and cls[u] not in fresh:
                    fresh[cls[u]] = u
            if not fresh:
                break
            for r, u in fresh.items():
                known[r] = len(S)
                S.append(u)
            if len(S) > max_states:
                raise ValueError(
                    f"no Moore machine of at most max_states={max_states} states: L* had found "
                    f"{len(S)} distinct states (the output language may not be regular, e.g. a "
                    "counter: see fastlstm.find_counter), or raise max_states")
            watch(len(S), len(oracle), rounds)
            pending = [u + (a,) for u in fresh.values() for a in range(A)]
            add_rows(pending)
        table = np.array([[known[cls[s + (a,)]] for a in range(A)] for s in S], dtype=np.int32)
        outputs = np.array(oracle.answer(S), dtype=np.int64)
        rounds += 1
        cex = counterexample(table, outputs, S)
        if cex is None:
            return table, outputs, rounds
        add_column(separating_suffix(oracle, S, table, cex), list(node))


def separating_suffix(oracle, S, table, u):
    """Rivest-Schapire: a suffix of the counterexample ``u`` that splits a state.

    alpha(i) is the output after access(state after u[:i]) followed by u[i:];
    alpha(0) is the cell's output on u, alpha(len u) the hypothesis's, and
    they differ, so binary search finds i with alpha(i) != alpha(i + 1): the
    suffix u[i + 1:] separates access(q_i) u[i] from access(q_{i + 1}).
    """
    states = [0]
    for a in u:
        states.append(int(table[states[-1], a]))

    def alpha(i):
        return oracle.answer([S[states[i]] + u[i:]])[0]
    lo, hi = 0, len(u)
    a_lo = alpha(lo)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if alpha(mid) == a_lo:
            lo = mid
        else:
            hi = mid
    return u[hi:]
