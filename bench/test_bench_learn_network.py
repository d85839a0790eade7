"""fastlstm's L* on a vector cell with a readout, against AALpy's L* driving ``fl.run``.

Workload: networks whose output machine is known by construction (their
(h, c) states never repeat, so exact extraction refuses them and both
learners run L*):

* ``counter3``: a 6-unit ``LSTMCell`` built to count ones modulo 3 (units 0-2
  one-hot, units 3-5 distractors whose c grows for ever; docs/learning.md
  derives it), read out by the argmax of h_0..h_2, exact activations: 3 states.
* ``tomita1`` .. ``tomita7``: the shipped 8-unit networks trained on the Tomita
  grammars (``fl.presets.tomita_lstm``), exact activations: the grammars' minimal
  DFAs (2, 3, 5, 4, 4, 3 and 5 states).
* ``odd-run x alternate``: two scalar cells side by side (a 2-unit cell, unit
  k reading input k, four symbols; tests/automata/test_learn.py derives each
  cell's machine under saturated activations with rounded feedback), the
  readout the sign of h_0 - h_1: their product, 4 states.

Both learners use the same equivalence tests: every string of length
``TEST_DEPTH`` (so every shorter prefix too) and ``RANDOM_TESTS`` random
strings of ``RANDOM_LENGTH``, seeded (fastlstm's own strings:
``fl.learn_automaton(..., guided=0, prove=False)``, so the work is the same;
a second row adds its state-guided tests, the default).

* ``fastlstm``: membership queries in batches over a prefix tree, the compiled
  ``run_batch_vector`` kernel;
* ``aalpy L* + fl.run``: AALpy's ``run_Lstar`` (Moore machines, its query
  cache), every membership query answered by one ``fl.run`` on the word
  (the readout's label of each h), the equivalence oracle running the same
  test strings.

The machines must be bisimilar (breadth-first search of the product machine)
and of the minimal size.  Each learner is timed several times, interleaved, and
the ratio is that of the two best times (the least disturbed by other load on a
shared host); it is printed and kept in ``extra_info`` (reported, never
asserted).  ``test_tomita_total_against_aalpy`` times the seven Tomita networks
together, issue 23's target (at least 10x in total).

    python -m pytest bench/test_bench_learn_network.py --benchmark-only
"""

from __future__ import annotations

import functools
import itertools
import time

import numpy as np
import pytest

import fastlstm as fl
from bench import host
from bench.test_bench_learn import aalpy_arrays, equivalent, same_tests

TEST_DEPTH, RANDOM_TESTS, RANDOM_LENGTH, SEED = 6, 200, 40, 0
GROUP = "learn: networks with a readout"
TARGET = 10.0
#: Timed runs of each learner per network (interleaved; the best counts).
ROUNDS = 5


def counter3():
    n = 6
    W_ih, W_hh, b = np.zeros((4 * n, 1)), np.zeros((4 * n, n)), np.zeros(4 * n)
    i, f, g, o = (slice(k * n, (k + 1) * n) for k in range(4))
    W_ih[i][:3], b[i][:3] = 100, -50
    W_ih[f][:3], b[f][:3] = -100, 50
    for k in range(3):
        W_hh[g][k, (k - 1) % 3] = 100
    b[o] = 100
    b[i][3:], b[f][3:], b[g][3:] = 100, 100, (0.1, 0.2, 0.3)
    c0 = np.array([1.0, -1, -1, 0, 0, 0])
    return dict(cell=fl.LSTMCell(W_ih, W_hh, b), alphabet=(0, 1),
                readout=fl.Readout(np.hstack([np.eye(3), np.zeros((3, 3))])),
                h0=np.tanh(c0), c0=c0, states=3, semantics={})


def odd_run_alternate():
    counting = dict(b_f=100.0, b_i=100.0, b_c=100.0)
    cells = [fl.LSTMCell.from_scalar(fl.ScalarLSTM(**counting, W_oh=-100.0, W_ox=100.0,
                                                   b_o=-50.0)),
             fl.LSTMCell.from_scalar(fl.ScalarLSTM(**counting, W_oh=-100.0, b_o=50.0))]
    W_ih, W_hh, bias = np.zeros((8, 2)), np.zeros((8, 2)), np.zeros(8)
    for k, cell in enumerate(cells):
        W_ih[k::2, k], W_hh[k::2, k], bias[k::2] = cell.W_ih[:, 0], cell.W_hh[:, 0], cell.b_ih
    return dict(cell=fl.LSTMCell(W_ih, W_hh, bias), alphabet=((0, 0), (0, 1), (1, 0), (1, 1)),
                readout=fl.Readout([[1.0, -1.0]]), h0=0.0, c0=0.0, states=4,
                semantics=dict(activation="saturated", round_feedback=True))


#: The minimal DFA sizes of Tomita grammars 1-7 (tests/automata/test_tomita.py builds them).
TOMITA_STATES = {1: 2, 2: 3, 3: 5, 4: 4, 5: 4, 6: 3, 7: 5}


def tomita(k):
    """The shipped 8-unit network trained on Tomita grammar k (examples/tomita.py)."""
    cell, readout = fl.presets.tomita_lstm(k)
    return dict(cell=cell, alphabet=(0, 1), readout=readout, h0=0.0, c0=0.0,
                states=TOMITA_STATES[k], semantics={})


NETWORKS = {"counter3": counter3, "odd-run x alternate": odd_run_alternate,
            **{f"tomita{k}": functools.partial(tomita, k) for k in TOMITA_STATES}}


@functools.cache
def network(name):
    return NETWORKS[name]()


def learn_fastlstm(net, guided):
    return fl.learn_automaton(net["cell"], net["alphabet"], readout=net["readout"],
                              h0=net["h0"], c0=net["c0"], test_depth=TEST_DEPTH,
                              random_tests=RANDOM_TESTS, random_length=RANDOM_LENGTH, seed=SEED,
                              guided=4 if guided else 0, prove=False, **net["semantics"])


def learning_words(net):
    """fastlstm's test strings (every string of TEST_DEPTH, the seeded random ones)."""
    A = len(net["alphabet"])
    random = np.random.default_rng(SEED).integers(0, A, size=(RANDOM_TESTS, RANDOM_LENGTH))
    words = [tuple(w) for w in itertools.product(range(A), repeat=TEST_DEPTH)]
    return [tuple(net["alphabet"][a] for a in w) for w in words + random.tolist()]


def learn_aalpy(net, words):
    """AALpy's L*: (transitions, outputs) with start state 0, each query one fl.run."""
    from aalpy.base import SUL
    from aalpy.learning_algs import run_Lstar

    cell, readout, alphabet = net["cell"], net["readout"], list(net["alphabet"])
    start = dict(h0=net["h0"], c0=net["c0"], **net["semantics"])
    first = int(readout.label(np.broadcast_to(net["h0"], (cell.hidden_size,))))

    class NetworkSUL(SUL):
        def query(self, word):
            self.num_queries += 1
            if not word:
                return [first]
            h = fl.run(cell, np.array(word, dtype=float).reshape(len(word), -1), **start).h
            return readout.label(h).tolist()

        def pre(self):
            self.word = []

        def post(self):
            pass

        def step(self, letter):
            if letter is None:
                return first
            self.word.append(letter)
            return self.query(self.word)[-1]

    sul = NetworkSUL()
    model = run_Lstar(alphabet, sul, same_tests(alphabet, sul, words), "moore", print_level=0)
    return aalpy_arrays(model, alphabet)


def best_times(nets, rounds=ROUNDS):
    """The best of ``rounds`` interleaved runs of each learner on each network:
    ``{name: (aalpy s, fastlstm s)}``, and the machines of the last runs."""
    best, machines = {name: [np.inf, np.inf] for name in nets}, {}
    for _ in range(rounds):
        for name in nets:
            net, words = network(name), learning_words(network(name))
            t = time.perf_counter()
            table, out = learn_aalpy(net, words)
            best[name][0] = min(best[name][0], time.perf_counter() - t)
            t = time.perf_counter()
            ours = learn_fastlstm(net, False)
            best[name][1] = min(best[name][1], time.perf_counter() - t)
            machines[name] = (table, out, ours)
    return best, machines


def check_machines(net, table, out, *ours):
    for m in ours:
        assert len(m) == len(table) == net["states"]
        assert equivalent(table, out, m.transitions, m.outputs)


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_learn_network_against_aalpy(benchmark, name):
    pytest.importorskip("aalpy", reason="AALpy is not installed (pip install aalpy)")
    net = network(name)
    learn_fastlstm(net, False)            # kernels compiled and loaded before timing
    best, machines = best_times([name])
    peer, (table, out, _) = best[name][0], machines[name]
    t = time.perf_counter()
    guided = learn_fastlstm(net, True)
    with_guided = time.perf_counter() - t
    benchmark.group = f"{GROUP}: {name}"
    ours = benchmark.pedantic(learn_fastlstm, args=(net, False), rounds=ROUNDS, iterations=1,
                              warmup_rounds=0)
    best = benchmark.stats.stats.min
    check_machines(net, table, out, ours, guided)
    benchmark.extra_info.update(
        implementation="fastlstm", peer="aalpy L* + fl.run", peer_s=peer,
        fastlstm_guided_s=with_guided, ratio=peer / best, target=TARGET,
        host=host.line(host.describe()))
    print(f"\n{name}: aalpy L* + fl.run {peer:.3f} s, fastlstm {best:.4f} s "
          f"({peer / best:.1f}x; best of {ROUNDS} runs each), with guided tests "
          f"{with_guided:.4f} s ({peer / with_guided:.1f}x); {host.line(host.describe())}")


def test_tomita_total_against_aalpy(benchmark):
    """Issue 23's target: the seven Tomita networks in total, each learner's best of
    ``ROUNDS`` interleaved runs per network, summed."""
    pytest.importorskip("aalpy", reason="AALpy is not installed (pip install aalpy)")
    names = [name for name in sorted(NETWORKS) if name.startswith("tomita")]
    for name in names:
        learn_fastlstm(network(name), False)   # kernels compiled and loaded before timing
    best, machines = best_times(names)
    for name in names:
        check_machines(network(name), *machines[name])
    peer, ours = (sum(best[name][k] for name in names) for k in (0, 1))
    benchmark.group = f"{GROUP}: the seven Tomita networks"
    benchmark.pedantic(lambda: [learn_fastlstm(network(name), False) for name in names],
                       rounds=1, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update(
        implementation="fastlstm", peer="aalpy L* + fl.run", peer_s=peer, fastlstm_s=ours,
        ratio=peer / ours, target=TARGET, host=host.line(host.describe()),
        per_network={name: best[name] for name in names})
    rows = ", ".join(f"{name} {best[name][0] * 1e3:.0f}/{best[name][1] * 1e3:.1f} ms"
                     for name in names)
    print(f"\nthe seven Tomita networks: aalpy L* + fl.run {peer:.3f} s, fastlstm {ours:.4f} s "
          f"({peer / ours:.1f}x, target {TARGET:g}x; best of {ROUNDS} interleaved runs per "
          f"network, aalpy/fastlstm: {rows}); {host.line(host.describe())}")
