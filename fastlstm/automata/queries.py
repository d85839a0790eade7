"""The queries L* asks of a cell: membership from a prefix tree, equivalence by tests.

``learn_automaton`` (``learn.py``) drives L* (``lstar.py``) with these, for
any cell (``cells.stepper_for``: the scalar kernels for a ``ScalarLSTM`` or a
1-unit ``LSTMCell``, ``run_batch_vector`` for any other):

* ``OutputCodes``: a state's output (rounded h, its vector for n >= 2, or a
  readout's label) as one int, which L* compares.
* ``Oracle``: membership queries in batches, from a prefix tree of (h, c)
  states kept across rounds (each prefix computed once, one step per node).
* ``EquivalenceTests``: equivalence by testing.  The cell's outputs on every
  string up to ``test_depth`` and on random strings are computed once; each
  hypothesis is walked over them.  A hypothesis that passes them meets tests guided by
  the network's own states (``guided``): for each hypothesis state q, the
  network state of q's access string and the network states that the
  hypothesis maps to q (sampled from the tests), clustered by choosing them
  farthest first, each followed by every short suffix and a few random ones.
  Two network states the hypothesis merges must agree on every suffix; a
  suffix on which one of them disagrees with the hypothesis is a
  counterexample, and far-apart states are where such suffixes are found.
"""

from __future__ import annotations

import numpy as np

from .cells import state_outputs

__all__ = [
    "MAX_TEST_DEPTH",
    "MAX_TEST_LEVEL",
    "MAX_TEST_STEPS",
    "EquivalenceTests",
    "Oracle",
    "OutputCodes",
    "check_tests",
]

#: Largest number of strings of the last exhaustively tested length.
MAX_TEST_LEVEL = 2 ** 20
#: Longest exhaustively tested length (it binds a one-symbol alphabet only:
#: each length is a step of every hypothesis walk).
MAX_TEST_DEPTH = 2 ** 12
#: Most steps of the random tests, ``random_tests * random_length``: the strings,
#: their inputs, states and outputs take about 50 bytes a step.
MAX_TEST_STEPS = 2 ** 24
#: Network states of the tests kept for the guided tests (sampled, seeded).
GUIDE_POOL = 2048
#: Guided suffixes: every string of the longest length, at most ``GUIDE_DEPTH``,
#: with at most ``GUIDE_SUFFIXES`` strings (one symbol or more).
GUIDE_SUFFIXES = 64
GUIDE_DEPTH = 6
#: Random guided suffixes (of ``random_length``) after each chosen network state.
GUIDE_RANDOM = 8
#: Steps of the guided tests of one hypothesis beyond one network state per
#: hypothesis state (those of the access strings are always tested).
GUIDE_STEPS = 2 ** 18
#: Steps of the random tests walked between comparisons with the cell's outputs.
_WALK_STEPS = 8
#: Floats of (h, c) a run of test strings holds at once (the rows run in chunks).
_CHUNK = 2 ** 21


class OutputCodes:
    """Outputs of states as int codes: the output itself (an int: rounded h of one
    unit, or a readout's label) or, for the rounded h vector of n >= 2 units, its
    number among the vectors seen so far."""

    def __init__(self, units, readout):
        self.readout, self.units = readout, units
        self.direct = readout is not None or units == 1
        self._index, self._vectors = {}, []

    def codes(self, h):
        """The codes of the states h (..., n): int64 (...)."""
        shape = h.shape[:-1]
        out = state_outputs(h.reshape(-1, self.units), self.readout)
        if self.direct:
            return out.reshape(shape)
        rows, inverse = np.unique(out, axis=0, return_inverse=True)
        index = self._index
        for row in map(tuple, rows.tolist()):
            if row not in index:
                index[row] = len(self._vectors)
                self._vectors.append(row)
        mapped = np.array([index[row] for row in map(tuple, rows.tolist())], dtype=np.int64)
        return mapped[inverse.reshape(-1)].reshape(shape)

    def values(self, codes):
        """The outputs a ``MooreMachine`` holds: int64 (S,), or (S, n) rounded h vectors."""
        codes = np.asarray(codes, dtype=np.int64)
        return codes if self.direct else np.array(self._vectors, dtype=np.int64)[codes]


class _Rows:
    """A growing float64 array of rows (amortised doubling)."""

    def __init__(self, first):
        first = first.reshape(-1, first.shape[-1])
        self.data, self.size = np.empty((max(64, first.shape[0]), first.shape[1])), 0
        self.extend(first)

    def extend(self, rows):
        need = self.size + rows.shape[0]
        if need > self.data.shape[0]:
            grown = np.empty((max(need, 2 * self.data.shape[0]), self.data.shape[1]))
            grown[:self.size] = self.data[:self.size]
            self.data = grown
        self.data[self.size:need] = rows
        self.size = need


class Oracle:
    """The output code after any word (tuple of symbol indices), from a cached prefix graph.

    Node 0 is the empty word; a node's children (one per symbol) are made
    together, so ``kids[node * A + a]`` is its child on symbol a, or -1 (for
    every a) while it has none.  A word is answered by walking the graph, one
    list look-up a symbol, from the root or from a node already known.

    ``seed``: ``(rows, h, c)``, the states a breadth-first search found
    (``extract._breadth_first``: state 0 the start state, ``rows[s]`` the
    successors of state s); they become the first nodes, words that reach
    the same (h, c) sharing one (its outputs ever after are the same).
    ``len(oracle)`` counts the nodes the queries used: those their walks
    passed through and those made for them (not the rest of the seed).
    """

    def __init__(self, stepper, h0, c0, codes, seed=None):
        self._stepper, self._codes = stepper, codes
        A = self._A = stepper.inputs.shape[0]
        if seed is None:
            rows, h, c = np.zeros((0, A), dtype=np.int64), h0.reshape(1, -1), c0.reshape(1, -1)
        else:
            rows, h, c = seed
        self._kids = rows.reshape(-1).tolist() + [-1] * (A * (h.shape[0] - rows.shape[0]))
        self._h, self._c = _Rows(h), _Rows(c)
        self._out = codes.codes(h).tolist()
        self._used = {0}

    def __len__(self):
        return len(self._used)

    def states(self, nodes):
        """(h, c) of the nodes, arrays (len(nodes), n)."""
        return self._h.data[nodes], self._c.data[nodes]

    def walk(self, words):
        """``(nodes, depth)``: the nodes (B, depth) after each prefix of the rows of
        ``words`` (B, T) for the first ``depth`` steps, as far as the graph holds every
        row's (no node is made)."""
        kids = np.array(self._kids, dtype=np.int64)
        B, T = words.shape
        columns = []
        at = np.zeros(B, dtype=np.int64)
        for t in range(T):
            at = kids[at * self._A + words[:, t]]
            if B and at.min() < 0:
                break
            columns.append(at)
        nodes = np.stack(columns, axis=1) if columns else np.zeros((B, 0), dtype=np.int64)
        return nodes, nodes.shape[1]

    def outputs(self, nodes):
        """The output codes of the nodes (an int64 array of their shape)."""
        return np.array(self._out, dtype=np.int64)[nodes]

    def nodes(self, words, starts=None):
        """The node after each word read from ``starts[k]`` (the root by default).

        Where words leave the tree, the nodes they reach there (at any depth)
        are expanded together in one batch with the compiled step, and the
        walks go on: each prefix is computed once.
        """
        A, kids, used = self._A, self._kids, self._used
        nodes = [0] * len(words) if starts is None else list(starts)
        pending = [(k, 0) for k in range(len(words))]
        while True:
            missing = []
            for k, t in pending:
                word, node = words[k], nodes[k]
                while t < len(word):
                    child = kids[node * A + word[t]]
                    if child < 0:
                        missing.append((k, t))
                        break
                    t, node = t + 1, child
                    used.add(node)
                nodes[k] = node
            if not missing:
                return nodes
            parents = list(dict.fromkeys(nodes[k] for k, _ in missing))
            h, c = self._stepper.expand(self._h.data[parents], self._c.data[parents])
            first = len(self._out)
            for j, node in enumerate(parents):
                kids[node * A:(node + 1) * A] = range(first + j * A, first + (j + 1) * A)
            kids.extend([-1] * (len(parents) * A * A))   # the new nodes have no children
            self._h.extend(h)
            self._c.extend(c)
            self._out.extend(self._codes.codes(h).tolist())
            used.update(range(first, len(self._out)))
            pending = missing

    def answer(self, words, starts=None):
        """Output codes after ``words`` (read from ``starts``, as in ``nodes``)."""
        out = self._out
        return [out[node] for node in self.nodes(words, starts)]


def _run_codes(stepper, codes, words, h, c, keep=None, check=None):
    """Output codes (B, T) of the rows ``words`` (B, T) run from the states h, c (B, n).

    Rows run in chunks of about ``_CHUNK`` floats of (h, c), ``check()``
    called between them.  ``keep``: an optional pair (rows, steps) of
    positions whose (h, c) is returned too.
    """
    B, T = words.shape
    n = stepper.units
    out = np.empty((B, T), dtype=np.int64)
    kept = None if keep is None else (np.empty((keep[0].size, n)), np.empty((keep[0].size, n)))
    if not words.size:
        return out, kept
    chunk = max(1, _CHUNK // max(T * n, 1))
    if B * T * n <= 2 * _CHUNK:
        chunk = B   # one run (for a scalar cell: the old serial-or-parallel choice)
    for lo in range(0, B, max(chunk, 1)):
        hi = min(B, lo + chunk)
        H, C = stepper.run(words[lo:hi], h[lo:hi], c[lo:hi])
        out[lo:hi] = codes.codes(H)
        if keep is not None:
            sel = np.flatnonzero((keep[0] >= lo) & (keep[0] < hi))
            kept[0][sel] = H[keep[0][sel] - lo, keep[1][sel]]
            kept[1][sel] = C[keep[0][sel] - lo, keep[1][sel]]
        if check is not None and hi < B:
            check()
    return out, kept


class EquivalenceTests:
    """The cell's outputs on the test strings, computed once; hypotheses are walked on them.

    Parameters
    ----------
    stepper, codes
        The cell's stepper (``cells.stepper_for``) and its ``OutputCodes``.
    oracle : Oracle
        Its node 0 is the start state; the first steps of the test strings
        are read from its graph, as far as it holds every string's (the
        states of the exact extraction tried first, which seed it), the
        rest run with the compiled kernels.
    depth, n_random, length, seed
        Every string of length ``depth`` (so every shorter one, as a
        prefix), ``n_random`` random strings of ``length`` drawn with ``seed``.
    guided : int
        Network states tested per hypothesis state by ``guided_counterexample``
        (0: none).
    check : callable, optional
        Called between chunks of test strings (the time limit).
    """

    def __init__(self, stepper, codes, oracle, depth, n_random, length, seed, guided,
                 check=None):
        A = stepper.inputs.shape[0]
        self._stepper, self._codes, self.guided = stepper, codes, guided
        self._oracle, self._check = oracle, check
        full = (_strings(A, depth, np.arange(A ** depth)) if depth
                else np.zeros((1, 0), dtype=np.int64))
        rng = np.random.default_rng(seed)
        self.words = rng.integers(0, A, size=(n_random, length))
        # Positions whose network state the guided tests cluster: the ends of the
        # exhaustive strings and every prefix of the random ones, sampled.
        ends = full.shape[0] if depth else 0
        total = ends + self.words.size
        picks = (np.sort(np.random.default_rng([seed, 1]).choice(
            total, min(total, GUIDE_POOL), replace=False)) if guided
            else np.zeros(0, dtype=np.int64))   # (a generator costs ~50 us: none unused)
        on_full, on_random = picks[picks < ends], picks[picks >= ends] - ends
        length = max(length, 1)
        full_out, full_kept = self._run(full, (on_full, np.full(on_full.size, depth - 1)))
        self.outputs, random_kept = self._run(self.words, (on_random // length,
                                                           on_random % length))
        self.levels = [full_out[::A ** (depth - L), L - 1] for L in range(1, depth + 1)]
        self.exhaustive = sum(level.size for level in self.levels)
        # The pool: each sampled word, as the number of an exhaustive string (of length
        # depth) or a prefix of a random string (its row and length), and its state.
        self._depth, self._A = depth, A
        self.pool_full = on_full
        self.pool_rows = on_random // length
        self.pool_lengths = np.concatenate([np.full(on_full.size, depth),
                                            on_random % length + 1]).astype(np.int64)
        self.pool_h = np.concatenate([full_kept[0], random_kept[0]])
        self.pool_c = np.concatenate([full_kept[1], random_kept[1]])
        self.suffix_depth = 1
        while (self.suffix_depth < GUIDE_DEPTH
               and A ** (self.suffix_depth + 1) <= GUIDE_SUFFIXES):
            self.suffix_depth += 1
        self.suffixes = _strings(A, self.suffix_depth, np.arange(A ** self.suffix_depth))
        self.random_suffixes = (np.random.default_rng([seed, 2]).integers(
            0, A, size=(GUIDE_RANDOM if length > 1 else 0, length)) if guided
            else np.zeros((0, length), dtype=np.int64))
        self.last_guided = None   # (states tested, pool size, words tested) of the last hypothesis
        self._columns = self._expected = None   # made by the first walk of the random strings

    def _run(self, words, keep):
        """Output codes (B, T) of the rows ``words`` (B, T) from the start state, and (h, c)
        at the positions ``keep`` (rows, steps): the first steps read from the oracle's
        graph, as far as it holds every row's, the rest run from there."""
        oracle = self._oracle
        B, T = words.shape
        nodes, d = oracle.walk(words)
        h, c = oracle.states(nodes[:, d - 1] if d else np.zeros(B, dtype=np.int64))
        rows, steps = keep
        late = steps >= d
        out = np.empty((B, T), dtype=np.int64)
        out[:, :d] = oracle.outputs(nodes)
        out[:, d:], late_kept = _run_codes(self._stepper, self._codes, words[:, d:], h, c,
                                           (rows[late], steps[late] - d), self._check)
        kept_h, kept_c = oracle.states(nodes[rows[~late], steps[~late]])
        h_kept, c_kept = np.empty((rows.size, h.shape[1])), np.empty((rows.size, h.shape[1]))
        h_kept[~late], c_kept[~late] = kept_h, kept_c
        h_kept[late], c_kept[late] = late_kept
        return out, (h_kept, c_kept)

    def _pool_states(self, table):
        """The hypothesis state (from state 0) after each word of the pool: the exhaustive
        ones walked whole, the random ones read from a walk of the random strings they are
        prefixes of (each of those walked once, however many of its prefixes are sampled)."""
        full = _walk(table, _strings(self._A, self._depth, self.pool_full),
                     np.full(self.pool_full.size, self._depth))
        rows, inverse = np.unique(self.pool_rows, return_inverse=True)
        on_random = self.pool_lengths[self.pool_full.size:]
        walked = _walk(table, self.words[rows], None)   # (rows, length + 1): every prefix
        return np.concatenate([full, walked[inverse.reshape(-1), on_random]])

    def _pool_word(self, k):
        """Pool word k as a tuple of symbol indices."""
        if k < self.pool_full.size:
            return tuple(_strings(self._A, self._depth, self.pool_full[k:k + 1])[0].tolist())
        row = self.pool_rows[k - self.pool_full.size]
        return tuple(self.words[row, :self.pool_lengths[k]].tolist())

    def counterexample(self, table, outputs, start):
        """A shortest tested word on which the hypothesis and the cell disagree, or None."""
        A = table.shape[1]
        states = np.array([start])
        for length, cell_out in enumerate(self.levels, start=1):
            states = table[states].reshape(-1)   # product order: parent-major, symbol-minor
            bad = np.flatnonzero(outputs[states] != cell_out)
            if bad.size:
                return tuple(_strings(A, length, bad[:1])[0].tolist())
        if not self.words.size:
            return None
        # the hypothesis's states, one table look-up a step, compared a few steps at a
        # time (a wrong hypothesis is usually caught early)
        B, T = self.words.shape
        if self._columns is None:   # the strings and the cell's outputs a row per step
            self._columns = np.ascontiguousarray(self.words.T)
            self._expected = np.ascontiguousarray(self.outputs.T)
        flat = table.ravel().astype(np.int64)
        states = np.full(B, start, dtype=np.int64)
        walked = np.empty((_WALK_STEPS, B), dtype=np.int64)
        for t0 in range(0, T, _WALK_STEPS):
            span = min(_WALK_STEPS, T - t0)
            for t in range(span):
                states = walked[t] = flat[states * A + self._columns[t0 + t]]
            bad = np.flatnonzero(outputs[walked[:span]] != self._expected[t0:t0 + span])
            if bad.size:
                break
        else:
            return None
        t, b = divmod(int(bad[0]), B)   # the shortest, then the first row
        t += t0
        return tuple(self.words[b, :t + 1].tolist())

    def guided_counterexample(self, table, outputs, access, access_h, access_c):
        """A word on which the hypothesis and the cell disagree, found from the network's
        states, or None (the shortest found).

        ``access[q]`` is an access word of hypothesis state q, ``access_h[q]``,
        ``access_c[q]`` the network's state after it.  For each q the network
        states tested are the access word's, then up to ``guided - 1`` of the
        pool's states the hypothesis maps to q, each the farthest (in (h, c))
        from those chosen before; each is followed by every suffix of
        ``suffix_depth`` symbols and the random suffixes, every prefix
        compared with the hypothesis from q.
        """
        if not self.guided:
            return None
        Q = table.shape[0]
        pool_q = self._pool_states(table)
        per_center = self.suffixes.size + self.random_suffixes.size
        extra = GUIDE_STEPS // max(per_center, 1)
        chosen = [[] for _ in range(Q)]   # pool indices beyond each access word, by rank
        features = _features(self.pool_h, self.pool_c)
        seeds = _features(access_h, access_c)
        for q in range(Q):
            members = np.flatnonzero(pool_q == q)
            if not members.size:
                continue
            far = np.linalg.norm(features[members] - seeds[q], axis=1)
            for _ in range(self.guided - 1):
                j = int(np.argmax(far))
                if far[j] == 0:
                    break
                chosen[q].append(int(members[j]))
                far = np.minimum(far, np.linalg.norm(features[members] - features[members[j]],
                                                     axis=1))
        # One state per hypothesis state always (its access word); the others by rank
        # (every state's farthest first), within GUIDE_STEPS.
        centers = [(q, None) for q in range(Q)]
        for rank in range(self.guided - 1):
            for q in range(Q):
                if rank < len(chosen[q]) and len(centers) - Q < extra:
                    centers.append((q, chosen[q][rank]))
        q_of = np.array([q for q, _ in centers], dtype=np.int64)
        reach = np.array([len(access[q]) if k is None else self.pool_lengths[k]
                          for q, k in centers])   # the length of each state's word
        h = np.stack([access_h[q] if k is None else self.pool_h[k] for q, k in centers])
        c = np.stack([access_c[q] if k is None else self.pool_c[k] for q, k in centers])
        best = None
        for suffixes in (self.suffixes, self.random_suffixes):
            if not suffixes.size:
                continue
            S = suffixes.shape[0]
            words = np.tile(suffixes, (len(centers), 1))
            cell_out, _ = _run_codes(self._stepper, self._codes, words, np.repeat(h, S, axis=0),
                                     np.repeat(c, S, axis=0))
            states = np.repeat(q_of, S)
            for t in range(words.shape[1]):
                states = table[states, words[:, t]]
                bad = np.flatnonzero(outputs[states] != cell_out[:, t])
                if bad.size:   # the shortest: the bad row whose state has the shortest word
                    r = int(bad[np.argmin(reach[bad // S])])
                    q, k = centers[r // S]
                    prefix = (access[q] if k is None else
                              self._pool_word(k))
                    word = prefix + tuple(words[r, :t + 1].tolist())
                    if best is None or len(word) < len(best):
                        best = word
                    break
        self.last_guided = (len(centers), self.pool_h.shape[0],
                            len(centers) * (self.suffixes.shape[0]
                                            + self.random_suffixes.shape[0]))
        return best


def _walk(table, words, lengths):
    """The hypothesis state (from state 0) after each row of ``words`` (B, T) read to its
    length (``lengths``), or with ``lengths=None`` after every prefix: (B, T + 1), column t
    the state after t symbols."""
    B, T = words.shape
    flat, A = table.ravel().astype(np.int64), table.shape[1]
    symbols = np.ascontiguousarray(words.T)          # a contiguous row per step
    walked = np.zeros((T + 1, B), dtype=np.int64)    # row t: the states after t symbols
    for t in range(T):
        walked[t + 1] = flat[walked[t] * A + symbols[t]]
    return walked.T if lengths is None else walked[lengths, np.arange(B)]


def _features(h, c):
    """Where a state lies, for the clustering: h, and c squashed (a drifting c would
    otherwise outweigh every other difference)."""
    return np.concatenate([h, c / (1.0 + np.abs(c))], axis=1)


def _strings(A, length, index):
    """The strings of ``length`` symbols numbered ``index`` (an int64 array) in
    product order (last symbol fastest): their digits in base A, (len(index), length)."""
    powers = A ** np.arange(length - 1, -1, -1, dtype=np.int64)  # < MAX_TEST_LEVEL when A > 1
    digits = index[:, None] // powers
    digits %= A  # in place: one (len(index), length) array
    return digits


def check_tests(A, test_depth, random_tests, random_length):
    """Refuse, before any work, tests that cannot be held or run; nothing as large
    as ``A**test_depth`` is computed."""
    largest = MAX_TEST_DEPTH  # the deepest test_depth allowed for this alphabet
    if A > 1:
        largest, level = 0, A
        while level <= MAX_TEST_LEVEL and largest < MAX_TEST_DEPTH:
            largest, level = largest + 1, level * A
    if test_depth > largest:
        size = (f"{A}**{test_depth} strings of the last length, and at most {MAX_TEST_LEVEL} "
                f"are tested" if A > 1 else
                f"{test_depth} lengths, and at most {MAX_TEST_DEPTH} are tested (a one-symbol "
                f"alphabet has one string of each length: random_length tests a longer one)")
        raise ValueError(f"test_depth={test_depth} means {size}; use test_depth <= {largest} "
                         f"for this alphabet")
    steps = random_tests * max(random_length, 1)
    if steps > MAX_TEST_STEPS or random_length > MAX_TEST_STEPS:
        raise ValueError(f"random_tests={random_tests} strings of random_length={random_length} "
                         f"are more steps than the {MAX_TEST_STEPS} tested at most "
                         f"(random_tests * random_length, about 50 bytes a step): use fewer "
                         f"or shorter random tests")
