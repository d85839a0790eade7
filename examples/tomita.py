"""The Tomita benchmark: train one small LSTM per Tomita grammar, ship it, learn its machine.

The seven Tomita grammars (Tomita 1982) over the alphabet {0, 1}, as used by
Weiss, Goldberg & Yahav (ICML 2018); every one contains the empty string:

1. ``1*``: only ones.
2. ``(10)*``: the word 10 repeated.
3. No odd-length (maximal) run of 1s followed, anywhere later, by an
   odd-length (maximal) run of 0s; a run ends where the string ends.
4. No three consecutive 0s (no substring 000).
5. An even number of 0s and an even number of 1s.
6. The number of 0s minus the number of 1s is a multiple of 3.
7. ``0*1*0*1*``.

Each membership function below is written from these definitions (runs,
counts, substrings), not from an automaton.  For each grammar a small
``nn.LSTM(1, N)`` with an ``nn.Linear(N, 2)`` readout (output 0 means
"reject", output 1 "accept"; the readout's argmax is the label) learns to
label every prefix of a 0/1 string (the symbols are the input values 0.0 and
1.0).  Training sees strings of length 16, half of them random with a random
density of ones and half sampled among the strings whose 16 prefixes the
grammar mostly accepts, with each batch's loss balanced between the two
classes; the empty string's label is the readout of h0 = 0 and is trained to
"accept".  As in ``train_parity.py``, the weights are multiplied by a factor
``beta`` that grows from 1 to ``BETA`` during training, which pushes the
gates towards saturation, and they are saved multiplied by ``BETA``.  The
network then runs under fastlstm's default (exact) activations.

Run from the repository root::

    python examples/tomita.py            # train all 7, write fastlstm/data/tomita{k}_lstm.npz
    python examples/tomita.py 3 5        # only grammars 3 and 5
    python examples/tomita.py --table    # the table of docs/learning.md, from the shipped files

Determinism: the same pins as ``train_parity.py`` (fixed seeds, one thread,
``torch.use_deterministic_algorithms(True)``, ``ATEN_CPU_CAPABILITY=default``,
``MKL_CBWR=COMPATIBLE``, set before torch loads).
"""

from __future__ import annotations

import itertools
import os
import pathlib
import sys
import time

# Before torch loads (it reads them once): one code path on every x86 CPU.
os.environ["ATEN_CPU_CAPABILITY"] = "default"
os.environ["MKL_CBWR"] = "COMPATIBLE"

import numpy as np  # noqa: E402

import fastlstm as fl  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parent.parent / "fastlstm" / "data"
HIDDEN = 8
LABELS = (0, 1)  # readout output k stands for LABELS[k]: 0 reject, 1 accept
BETA = 4.0
LENGTH = 16
STEPS = 1500


# -- the grammars, from their definitions ------------------------------------ #

def runs(word):
    """The maximal runs of ``word`` (a string of '0'/'1') as (symbol, length) pairs."""
    return [(s, len(list(g))) for s, g in itertools.groupby(word)]


def tomita1(w):
    return "0" not in w


def tomita2(w):
    return len(w) % 2 == 0 and w == "10" * (len(w) // 2)


def tomita3(w):
    odd_ones_seen = False
    for s, n in runs(w):
        if s == "1" and n % 2:
            odd_ones_seen = True
        elif s == "0" and n % 2 and odd_ones_seen:
            return False
    return True


def tomita4(w):
    return "000" not in w


def tomita5(w):
    return w.count("0") % 2 == 0 and w.count("1") % 2 == 0


def tomita6(w):
    return (w.count("0") - w.count("1")) % 3 == 0


def tomita7(w):
    # 0*1*0*1*: at most three changes of symbol, the first run (if it changes) starting with 0
    changes = len(runs(w)) - 1
    return changes <= 2 or (changes == 3 and w[0] == "0")


GRAMMARS = {1: tomita1, 2: tomita2, 3: tomita3, 4: tomita4, 5: tomita5, 6: tomita6,
            7: tomita7}


def prefix_labels(grammar, X):
    """Membership of every nonempty prefix of each row of ``X`` (B, T): an int (B, T) array."""
    words = ["".join(str(int(v)) for v in row) for row in X]
    return np.array([[grammar(w[:t + 1]) for t in range(len(w))] for w in words], dtype=np.int64)


def all_strings(length):
    """Every 0/1 string of exactly ``length`` symbols, as a (2**length, length) array."""
    return np.array(list(itertools.product((0, 1), repeat=length)), dtype=np.float64)


# -- training ---------------------------------------------------------------- #

def deterministic():
    import torch

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if torch.backends.cpu.get_cpu_capability() != "DEFAULT":
        raise RuntimeError("torch was imported before tomita.py pinned its CPU code paths; "
                           "run the script in a fresh process")


def make_net():
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(1, HIDDEN, batch_first=True, dtype=torch.float64)
            self.readout = torch.nn.Linear(HIDDEN, len(LABELS), dtype=torch.float64)

        def forward(self, x, beta=1.0):
            """Logits (B, T, 2) of the LSTM with every weight times beta, and of h0 = 0 (2,)."""
            W_ih, W_hh, b_ih, b_hh = (beta * p for p in self.lstm.parameters())
            h = c = x.new_zeros(x.shape[0], HIDDEN)
            hs = []
            for t in range(x.shape[1]):
                z = x[:, t, None] @ W_ih.T + b_ih + h @ W_hh.T + b_hh
                i, f, g, o = z.chunk(4, dim=1)  # PyTorch's gate order
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                hs.append(h)
            return self.readout(torch.stack(hs, 1)), self.readout(x.new_zeros(HIDDEN))

    return Net()


def label_table(grammar):
    """Every string of length LENGTH (row r is r in binary, first symbol most significant)
    and the labels of its prefixes: computed once, then looked up while training."""
    X = all_strings(LENGTH)
    return X, prefix_labels(grammar, X)


def codes(x):
    """The row of ``label_table`` holding each 0/1 string of ``x`` (B, LENGTH)."""
    return x.astype(np.int64) @ (1 << np.arange(LENGTH - 1, -1, -1))


def train(k, seed=0, steps=STEPS, batch=64):
    import torch

    deterministic()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    grammar = GRAMMARS[k]
    X, Y = label_table(grammar)
    # strings ranked by how many of their prefixes the grammar accepts: the top 512
    # (for 1* and (10)* the only long positives are single strings)
    pool = X[np.argsort(-Y.sum(axis=1), kind="stable")[:512]]
    net = make_net()
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    for step in range(steps):
        beta = 1.0 + (BETA - 1.0) * min(1.0, step / (0.7 * steps))
        half = batch // 2
        dens = rng.random((half, 1))
        rand = (rng.random((half, LENGTH)) < dens).astype(np.float64)
        pos = pool[rng.integers(len(pool), size=half)].copy()
        flip = rng.random(pos.shape) < 0.02  # a few mutations: near misses
        pos[flip] = 1.0 - pos[flip]
        x = np.concatenate([rand, pos])
        y = torch.from_numpy(Y[codes(x)])
        logits, empty = net(torch.from_numpy(x), beta)
        # balanced classes: each class weighs half, however rare it is in the batch
        frac = y.double().mean().clamp(0.02, 0.98)
        weight = torch.stack([0.5 / (1 - frac), 0.5 / frac]).detach()
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 2), y.reshape(-1),
                                                 weight=weight)
        loss = loss + torch.nn.functional.cross_entropy(empty[None], torch.tensor([1]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net


def npz_path(k):
    return DATA / f"tomita{k}_lstm.npz"


def save(k, net):
    import torch

    state = {key: v.detach().clone() for key, v in net.state_dict().items()}
    for key in list(state):
        if key.startswith("lstm."):
            state[key] = state[key] * BETA  # the weights the network was last trained with
    state["readout.labels"] = torch.tensor(LABELS)
    np.savez(npz_path(k), **{key: v.numpy() for key, v in state.items()})


# -- scoring and the table --------------------------------------------------- #

def accuracy(k, cell, readout, max_length=12):
    """Fraction of the 0/1 strings of length 0 .. max_length the network labels right."""
    from fastlstm.vector import run_batch_vector

    grammar = GRAMMARS[k]
    right = int(readout.label(np.zeros(cell.hidden_size)) == int(grammar("")))
    total = 1
    X = all_strings(max_length)  # every prefix of these is every shorter string
    got = readout.label(run_batch_vector(cell, X).h)
    want = prefix_labels(grammar, X)
    for t in range(max_length):
        # strings of length t + 1 are the distinct prefixes: rows differing only after t repeat
        keep = slice(None, None, 2 ** (max_length - t - 1))
        right += int((got[keep, t] == want[keep, t]).sum())
        total += X[keep].shape[0]
    return right / total


def minimal_dfa_states(k, max_length=12):
    """States of the grammar's minimal DFA, counted by Myhill-Nerode on words up to length
    max_length // 2 with suffixes up to max_length // 2 (enough for these small grammars)."""
    grammar = GRAMMARS[k]
    half = max_length // 2
    words = [""] + ["".join(p) for n in range(1, half + 1) for p in itertools.product("01", repeat=n)]
    return len({tuple(grammar(u + v) for v in words) for u in words})


def machine_agrees(k, machine, max_length=12):
    """Whether the learned machine labels every string of length 0 .. max_length as the grammar
    does.  Two minimal machines of n1 and n2 states that agree up to length n1 + n2 - 2 are
    the same machine, so with the counts in the table this decides bisimilarity."""
    grammar = GRAMMARS[k]
    if int(machine.outputs[machine.start]) != int(grammar("")):
        return False
    X = all_strings(max_length)
    out = np.array([machine.run(x) for x in X])
    return bool((out == prefix_labels(grammar, X)).all())


def table(ks=tuple(GRAMMARS)):
    """The Markdown table of docs/learning.md, from the shipped networks."""
    rows = ["| grammar | n | accuracy (length <= 12) | states learned | minimal DFA states "
            "| learned = grammar (length <= 12) | proved / tested | learn time |",
            "|---|---|---|---|---|---|---|---|"]
    for k in ks:
        if not npz_path(k).is_file():
            continue
        cell, readout = fl.presets.tomita_lstm(k)
        acc = accuracy(k, cell, readout)
        t = time.perf_counter()
        m = fl.learn_automaton(cell, (0, 1), readout=readout)
        dt = time.perf_counter() - t
        verdict = "proved" if m.provenance.proved else "tested"
        rows.append(f"| Tomita {k} | {cell.hidden_size} | {acc:.2%} | {len(m)} | "
                    f"{minimal_dfa_states(k)} | {'yes' if machine_agrees(k, m) else 'NO'} | "
                    f"{verdict} | {dt:.2f} s |")
    return "\n".join(rows)


def main(argv):
    if "--table" in argv:
        print(table())
        return
    ks = [int(a) for a in argv] or list(GRAMMARS)
    for k in ks:
        t = time.process_time()
        net = train(k)
        save(k, net)
        cell, readout = fl.load_weights(npz_path(k))
        print(f"Tomita {k}: trained in {time.process_time() - t:.1f} s of CPU, accuracy on "
              f"every string up to length 12: {accuracy(k, cell, readout):.2%}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
