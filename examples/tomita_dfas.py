"""The minimal DFAs of the seven Tomita grammars, written by hand from their definitions.

One copy, read by ``tests/automata/test_tomita.py`` (the learned machines against the
grammars) and ``docs/tomita_machines.py`` (the pictures of docs/learning.md).  The tables
come from the definitions (see ``examples/tomita.py``), not from a network or from
``examples/tomita.py``'s membership functions:

1. ``1*``; 2. ``(10)*``; 3. no odd run of 1s followed later by an odd run of 0s;
4. no ``000``; 5. even numbers of 0s and of 1s; 6. #0 - #1 = 0 mod 3; 7. ``0*1*0*1*``.

``DFAS[k] = (transitions, accepting)``: ``transitions[q] = (state on 0, state on 1)``, the
start is state 0.  ``NAMES[k]`` is the grammar in short, ``MEANINGS[k][q]`` says in words what state q has seen.
"""

from __future__ import annotations

import collections

DFAS = {
    # q0 only ones so far; q1 dead
    1: (((1, 0), (1, 1)), {0}),
    # q0 a whole number of "10"; q1 after a "1"; q2 dead
    2: (((2, 1), (0, 2), (2, 2)), {0}),
    # q0 no odd 1-run yet, not in an odd 1-run; q1 no odd 1-run before, in an odd 1-run;
    # q2 an odd 1-run seen, not in an odd 0-run; q3 an odd 1-run seen, in an odd 0-run; q4 dead
    3: (((0, 1), (3, 0), (3, 2), (2, 4), (4, 4)), {0, 1, 2}),
    # q_j: j trailing zeros (j < 3); q3 dead
    4: (((1, 0), (2, 0), (3, 0), (3, 3)), {0, 1, 2}),
    # state = (#0 mod 2) + 2 (#1 mod 2)
    5: (((1, 2), (0, 3), (3, 0), (2, 1)), {0}),
    # state = (#0 - #1) mod 3
    6: (((1, 2), (2, 0), (0, 1)), {0}),
    # q0 in 0*; q1 in the first 1*; q2 in the second 0*; q3 in the second 1*; q4 dead
    7: (((0, 1), (2, 1), (2, 3), (4, 3), (4, 4)), {0, 1, 2, 3}),
}

NAMES = {1: "1*", 2: "(10)*", 3: "no odd 1-run then odd 0-run", 4: "no 000",
         5: "#0 and #1 even", 6: "#0 = #1 mod 3", 7: "0*1*0*1*"}

MEANINGS = {
    1: ("only 1s", "dead"),
    2: ("(10)^n", "(10)^n 1", "dead"),
    3: ("no odd 1-run closed", "in an odd 1-run", "odd 1-run seen", "then an odd 0-run",
        "dead"),
    4: ("no trailing 0", "one trailing 0", "two trailing 0s", "dead (000)"),
    5: ("#0 even, #1 even", "#0 odd, #1 even", "#0 even, #1 odd", "#0 odd, #1 odd"),
    6: ("#0 - #1 = 0 mod 3", "= 1 mod 3", "= 2 mod 3"),
    7: ("0*", "0*1*", "0*1*0*", "0*1*0*1*", "dead"),
}

#: The sizes of the minimal DFAs, as the literature lists them (sink state included).
MINIMAL_STATES = {1: 2, 2: 3, 3: 5, 4: 4, 5: 4, 6: 3, 7: 5}


def accepts(k, word):
    """Whether grammar ``k``'s DFA accepts ``word`` (a sequence of 0/1)."""
    delta, accept = DFAS[k]
    q = 0
    for s in word:
        q = delta[q][int(s)]
    return q in accept


def compare(k, machine):
    """Walk the product of a Moore machine (outputs 0/1, alphabet (0, 1)) with grammar k's DFA.

    Breadth-first from the pair of start states, so the first pair whose outputs differ
    is reached by a shortest word.  Returns ``(renaming, None)`` where the two agree on
    every string (``renaming[p]`` is the DFA state of machine state p; a bijection when both
    are minimal), else ``(None, word)`` with a shortest word on which they differ.
    """
    delta, accept = DFAS[k]
    start = (machine.start, 0)
    seen = {start: ()}
    queue = collections.deque([start])
    renaming = {}
    while queue:
        p, q = queue.popleft()
        if int(machine.outputs[p]) != int(q in accept):
            return None, seen[(p, q)]
        renaming.setdefault(p, q)
        for s in (0, 1):
            nxt = (machine.step(p, s), delta[q][s])
            if nxt not in seen:
                seen[nxt] = seen[(p, q)] + (s,)
                queue.append(nxt)
    # agreement on every reachable pair: each machine state meets DFA states of one future,
    # hence (the DFA being minimal) one DFA state
    return renaming, None
