"""The Tomita networks' machines beside their grammars' minimal DFAs: writes docs/tomita_machines.png.

    python docs/tomita_machines.py [--out docs/tomita_machines.png] [--strings 1000] [--length 200]

For each shipped network ``fl.presets.tomita_lstm(k)`` (8 units and a 0/1 readout),
the Moore machine ``fl.learn_automaton`` learns (left) and grammar k's minimal DFA
(right), written by hand from the grammar's definition in ``examples/tomita_dfas.py``.
A walk of the product of the two (``compare``) either renames every learned state to
a DFA state with the same output on every string (the machines are bisimilar: the
learned state ``q`` sits where its DFA state sits) or returns a shortest word where
they differ.  Double circles accept (output 1); the start state is shaded.

Then the network itself is run (``run_batch_vector`` and the readout) on long strings,
every prefix labelled against the grammar's definition (the membership functions of
``examples/tomita.py``, which read runs, counts and substrings, not a DFA); the
shortest wrong prefix found is printed, or what was searched.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import itertools
import os
import pathlib
import textwrap
import time
from unittest import mock

import numpy as np

import fastlstm as fl

HERE = pathlib.Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples"
R = 0.22  # node radius, in layout units


def example(name):
    """The module ``examples/<name>.py`` (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    # examples/tomita.py pins torch's CPU code path in os.environ; nothing here needs it
    with mock.patch.dict(os.environ):
        spec.loader.exec_module(module)
    return module


tomita_dfas = example("tomita_dfas")

#: Where each DFA state is drawn (x, y); a learned state sits at its DFA state's place.
POSITIONS = {
    1: [(0, 0), (1.3, 0)],
    2: [(0, 0), (1.3, 0), (0.65, -1.0)],
    3: [(0, 0), (1.3, 0), (3.9, 0), (2.6, 0), (2.6, -1.0)],
    4: [(0, 0), (1.3, 0), (2.6, 0), (3.9, 0)],
    5: [(0, 0), (1.4, 0), (0, -1.1), (1.4, -1.1)],
    6: [(0, 0), (1.4, 0.55), (1.4, -0.55)],
    7: [(0, 0), (1.3, 0), (2.6, 0), (3.9, 0), (3.9, -1.0)],
}


def dfa_machine(k):
    """Grammar k's minimal DFA as a ``MooreMachine`` (output 1 accepts)."""
    delta, accept = tomita_dfas.DFAS[k]
    return fl.MooreMachine([list(row) for row in delta],
                           [int(q in accept) for q in range(len(delta))])


def circle_positions(n):
    angles = np.pi - 2 * np.pi * np.arange(n) / n
    return [tuple(p) for p in 1.2 * np.column_stack([np.cos(angles), np.sin(angles)])]


def _bezier(a, b, rad, steps=24):
    """Points of matplotlib's ``arc3,rad=rad`` curve from a to b."""
    mid = (a + b) / 2 + rad * np.array([b[1] - a[1], a[0] - b[0]])
    t = np.linspace(0, 1, steps)[:, None]
    return (1 - t) ** 2 * a + 2 * t * (1 - t) * mid + t ** 2 * b, mid


def _bend(p, q, pos, both_ways):
    """The smallest bend that keeps the edge p -> q clear of every other state."""
    others = [pos[s] for s in range(len(pos)) if s not in (p, q)]
    for rad in ((0.2, 0.35, 0.5, 0.65) if both_ways else (0.0, -0.3, 0.3, -0.5, 0.5)):
        curve, mid = _bezier(pos[p], pos[q], rad)
        if all(np.min(np.linalg.norm(curve - o, axis=1)) > R + 0.12 for o in others):
            return rad, mid
    return rad, mid


def draw_machine(ax, machine, positions, names, title, marked=None):
    """States at ``positions``, labelled ``names``; edges labelled by their symbols; the
    state ``marked`` drawn in red."""
    from matplotlib.patches import Circle, FancyArrowPatch

    pos = [np.asarray(p, dtype=float) for p in positions]
    centre = np.mean(pos, axis=0)
    edges = {}
    for p in machine.states:
        for a, q in enumerate(machine.transitions[p].tolist()):
            edges.setdefault((p, q), []).append(str(machine.alphabet[a]))
    arrow = dict(arrowstyle="-|>", mutation_scale=11, lw=1.0, color="black")
    for (p, q), labels in edges.items():
        label = ",".join(labels)
        if p == q:
            # a loop on the side away from the picture's centre (above when at the centre)
            away = pos[p] - centre
            ys = [y for _, y in pos]
            angle = (np.pi / 2 if pos[p][1] == max(ys) else -np.pi / 2 if pos[p][1] == min(ys)
                     else np.arctan2(away[1], away[0]))  # top row above, bottom row below
            u = np.array([np.cos(angle), np.sin(angle)])
            v = np.array([-u[1], u[0]])
            ax.add_patch(FancyArrowPatch(pos[p] + R * (u * 0.87 + v * 0.5),
                                         pos[p] + R * (u * 0.87 - v * 0.5),
                                         connectionstyle="arc3,rad=-2.0", **arrow))
            ax.text(*(pos[p] + u * (R + 0.33)), label, ha="center", va="center", fontsize=9)
            continue
        rad, mid = _bend(p, q, pos, (q, p) in edges)
        start, end = pos[p], pos[q]
        ax.add_patch(FancyArrowPatch(*_clip(start, end, rad), connectionstyle=f"arc3,rad={rad}",
                                     **arrow))
        ax.text(*(0.5 * mid + 0.25 * (start + end)), label, ha="center", va="center",
                fontsize=9, bbox=dict(fc="white", ec="none", pad=0.5))
    for s in machine.states:
        accept = int(machine.outputs[s]) == 1
        fill = "#dbe9f6" if s == machine.start else "white"
        edge = "tab:red" if s == marked else "black"
        ax.add_patch(Circle(pos[s], R, fc=fill, ec=edge, lw=2.0 if s == marked else 1.2))
        if accept:
            ax.add_patch(Circle(pos[s], R * 0.8, fc="none", ec=edge, lw=1.0))
        ax.text(*pos[s], names[s], ha="center", va="center", fontsize=9)
    start = pos[machine.start]
    ax.annotate("", xy=start - [R, 0], xytext=start - [R + 0.3, 0],
                arrowprops=dict(arrowstyle="-|>", lw=1.0))
    xs, ys = np.array(pos).T
    ax.set_xlim(xs.min() - 0.65, max(xs.max(), 3.9) + 0.6)
    ax.set_ylim(ys.min() - 0.65, ys.max() + 0.75)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=8.5, loc="left")


def _clip(a, b, rad):
    """Ends of the arc a -> b moved onto the two circles' rims."""
    curve, _ = _bezier(a, b, rad, steps=200)
    inside_a = np.linalg.norm(curve - a, axis=1) < R
    inside_b = np.linalg.norm(curve - b, axis=1) < R
    keep = np.flatnonzero(~inside_a & ~inside_b)
    return curve[keep[0]], curve[keep[-1]]


# -- where the network disagrees with its grammar ---------------------------- #

def dfa_labels(k, X):
    """Grammar k's DFA on every nonempty prefix of each row of ``X`` (B, T): bool (B, T)."""
    delta, accept = tomita_dfas.DFAS[k]
    delta, accept = np.array(delta), np.array([q in accept for q in range(len(delta))])
    q = np.zeros(len(X), dtype=np.int64)
    out = np.empty(X.shape, dtype=bool)
    for t in range(X.shape[1]):
        q = delta[q, X[:, t].astype(np.int64)]
        out[:, t] = accept[q]
    return out


def first_wrong(k, cell, readout, X, want=None):
    """For each row of ``X``, its shortest prefix the network labels wrong (a string), or None;
    ``want`` (B, T) are the right labels (default: grammar k's DFA)."""
    from fastlstm.vector import run_batch_vector

    got = readout.label(run_batch_vector(cell, X).h).astype(bool)
    bad = got != (dfa_labels(k, X) if want is None else want)
    return ["".join(str(int(v)) for v in row[:b.argmax() + 1]) if b.any() else None
            for row, b in zip(X, bad)]


def exhaustive(k, cell, readout, depth, chunk=1 << 15):
    """The shortest 0/1 string of length <= ``depth`` the network labels wrong, or None.

    The prefix tree is walked one level at a time from the states of the level above
    (each string costs one step), in subtrees of at most ``chunk`` nodes a level.
    """
    from fastlstm.vector import run_batch_vector

    delta, accept = tomita_dfas.DFAS[k]
    delta, accept = np.array(delta), np.array([q in accept for q in range(len(delta))])
    if int(readout.label(np.zeros(cell.hidden_size))) != accept[0]:
        return ""
    best = [None]

    def walk(h, c, q, words):
        while best[0] is None or words.shape[1] + 1 < len(best[0]):
            if words.shape[1] == depth:
                return
            if len(h) > chunk:
                half = len(h) // 2
                walk(h[:half], c[:half], q[:half], words[:half])
                walk(h[half:], c[half:], q[half:], words[half:])
                return
            x = np.tile([0.0, 1.0], len(h))[:, None]
            tr = run_batch_vector(cell, x, h0=np.repeat(h, 2, axis=0), c0=np.repeat(c, 2, axis=0))
            h, c = tr.h[:, 0], tr.c[:, 0]
            q = delta[np.repeat(q, 2), x[:, 0].astype(np.int64)]
            words = np.column_stack([np.repeat(words, 2, axis=0), x[:, 0].astype(np.int8)])
            bad = np.flatnonzero(readout.label(h).astype(bool) != accept[q])
            if bad.size:
                best[0] = "".join(map(str, words[bad[0]]))
                return

    n = cell.hidden_size
    walk(np.zeros((1, n)), np.zeros((1, n)), np.zeros(1, dtype=np.int64),
         np.zeros((1, 0), dtype=np.int8))
    return best[0]


def long_strings(k, n, length, rng):
    """``n`` strings with a random density of 1s, and ``n`` walks of grammar k's DFA that
    keep out of its dead state with probability 0.97 a step (long strings in or near the
    language, where a drifting network goes wrong)."""
    dens = rng.random((n, 1))
    rand = (rng.random((n, length)) < dens).astype(np.int64)
    delta, accept = tomita_dfas.DFAS[k]
    alive = [q for q in range(len(delta)) if q in accept or
             any(delta[q][s] != q for s in (0, 1))]  # the dead state: rejecting, absorbing
    walks = np.empty((n, length), dtype=np.int64)
    for b in range(n):
        q = 0
        for t in range(length):
            good = [s for s in (0, 1) if delta[q][s] in alive]
            s = int(rng.integers(2)) if not good or rng.random() < 0.03 else \
                good[int(rng.integers(len(good)))]
            walks[b, t] = s
            q = delta[q][s]
    return np.concatenate([rand, walks]).astype(np.float64)


def runs_after_prefixes(depth, length):
    """Every string of length <= ``depth``, then 1s, 0s or 10s up to ``length`` symbols."""
    rows = []
    for n in range(depth + 1):
        for u in itertools.product((0, 1), repeat=n):
            for tail in ((1,), (0,), (1, 0)):
                rows.append((list(u) + list(tail) * length)[:length])
    return np.array(rows, dtype=np.float64)


def minimise(k, cell, readout, word):
    """Delete symbols from a wrong ``word`` while some prefix stays wrong (1-minimal)."""
    while True:
        for gap in (1, 2):
            cands = {word[:i] + word[i + gap:] for i in range(len(word) - gap + 1)}
            by_len = collections.defaultdict(list)
            for w in cands:
                by_len[len(w)].append(w)
            found = [w for ws in by_len.values() for w in
                     first_wrong(k, cell, readout, np.array([[float(s) for s in w] for w in ws]))
                     if w is not None]
            if found:
                word = min(found, key=lambda w: (len(w), w))
                break
        else:
            return word


def counterexample(k, cell, readout, grammar, rng, depth=20, strings=1000, length=200):
    """``(word, proved_shortest, searched)``: a shortest wrong string found, or None.

    Exhaustive up to ``depth`` (a wrong string found there is a shortest one); beyond it,
    every prefix of random strings and DFA walks (labelled by ``grammar``, the definition)
    and of short strings followed by long runs, each wrong prefix then shortened by
    deletions.  The word returned is checked with ``fl.run`` against ``grammar``.
    """
    word = exhaustive(k, cell, readout, depth)
    proved = word is not None
    upto = depth if word is None else len(word)
    searched = f"all {2 ** (upto + 1) - 1} strings of length <= {upto}"
    if word is None:
        X = long_strings(k, strings, length, rng)
        words = ["".join(str(int(v)) for v in row) for row in X]
        want = np.array([[grammar(w[:t + 1]) for t in range(length)] for w in words])
        found = [w for w in first_wrong(k, cell, readout, X, want) if w is not None]
        R = runs_after_prefixes(10, length)
        found += [w for w in first_wrong(k, cell, readout, R) if w is not None]
        searched += (f"; every prefix of {len(X)} strings of length {length} (random, and walks "
                     f"of the DFA) and of {len(R)} strings of length <= 10 followed by 1s, 0s or "
                     f"10s to length {length}")
        if found:
            shortest = sorted(set(found), key=lambda w: (len(w), w))[:5]
            word = min((minimise(k, cell, readout, w) for w in shortest),
                       key=lambda w: (len(w), w))
    if word is not None:
        got = readout.label(fl.run(cell, [float(s) for s in word]).h)[-1] if word else \
            readout.label(np.zeros(cell.hidden_size))
        assert int(got) != int(grammar(word)), (k, word)
    return word, proved, searched


def runs_notation(word):
    """``'1100010'`` as ``'1^2 0^3 1 0'``."""
    return " ".join(s if n == 1 else f"{s}^{n}"
                    for s, n in ((s, len(list(g))) for s, g in itertools.groupby(word)))


def drift(k, cell, readout, word, horizon=6):
    """Where the network leaves the DFA on ``word``: ``(t, q, like)``, the first prefix length
    t after which the network's labels on the suffixes of length <= ``horizon`` differ from
    those of its DFA state q, and the DFA states whose labels they match (maybe none)."""
    from fastlstm.vector import run_batch_vector

    delta = tomita_dfas.DFAS[k][0]
    suffixes = np.array(list(itertools.product((0.0, 1.0), repeat=horizon)))
    futures = [dfa_labels_from(k, q, suffixes) for q in range(len(delta))]
    tr = fl.run(cell, [float(s) for s in word])
    q = 0
    for t in range(len(word) + 1):
        h = tr.h[t - 1] if t else np.zeros(cell.hidden_size)
        c = tr.c[t - 1] if t else np.zeros(cell.hidden_size)
        got = readout.label(run_batch_vector(cell, suffixes, h0=h, c0=c).h).astype(bool)
        if not (got == futures[q]).all():
            return t, q, [j for j, f in enumerate(futures) if (got == f).all()]
        if t < len(word):
            q = delta[q][int(word[t])]
    return None


def dfa_labels_from(k, q0, X):
    """As ``dfa_labels`` from DFA state q0."""
    delta, accept = tomita_dfas.DFAS[k]
    out = np.empty(X.shape, dtype=bool)
    for b, row in enumerate(X):
        q = q0
        for t, s in enumerate(row):
            q = delta[q][int(s)]
            out[b, t] = q in accept
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "tomita_machines.png"))
    parser.add_argument("--depth", type=int, default=20, help="exhaustive search up to this length")
    parser.add_argument("--strings", type=int, default=1000,
                        help="random strings and DFA walks per grammar (each)")
    parser.add_argument("--length", type=int, default=200)
    args = parser.parse_args(argv)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grammars = example("tomita").GRAMMARS
    heights = [np.ptp(np.array(POSITIONS[k])[:, 1]) + 2.2 for k in tomita_dfas.DFAS]
    fig, axes = plt.subplots(len(heights), 2, figsize=(10, 0.95 * sum(heights) + 0.3),
                             gridspec_kw=dict(height_ratios=heights))
    rng = np.random.default_rng(23)
    for row, k in zip(axes, tomita_dfas.DFAS):
        cell, readout = fl.presets.tomita_lstm(k)
        learned = fl.learn_automaton(cell, (0, 1), readout=readout)
        how = "proved" if learned.provenance.proved else "tested"
        renaming, diff = tomita_dfas.compare(k, learned)
        t = time.perf_counter()
        word, proved, searched = counterexample(k, cell, readout, grammars[k], rng, args.depth,
                                                args.strings, args.length)
        marked = left = None
        if renaming is not None:
            where = [POSITIONS[k][renaming[p]] for p in learned.states]
            verdict = "= the DFA: " + ", ".join(f"q{p}~d{renaming[p]}" for p in learned.states)
        else:
            where = circle_positions(len(learned))
            verdict = f"differs from the DFA on {''.join(map(str, diff)) or 'the empty string'}"
        if word is None:
            net = "network: no wrong string found"
        else:
            left = drift(k, cell, readout, word)
            net = (f"network wrong on {runs_notation(word)}\n({len(word)} symbols, "
                   f"{'shortest' if proved else f'shortest found, none <= {args.depth}'}); "
                   f"leaves d{left[1]} (red) after {left[0]} symbols")
            if renaming is not None:
                marked = next(p for p in learned.states if renaming[p] == left[1])
        draw_machine(row[0], learned, where, [f"q{p}" for p in learned.states],
                     f"Tomita {k} network: learned, {len(learned)} states, {how}\n{verdict}\n{net}",
                     marked)
        meanings = "; ".join(f"d{q} {m}" for q, m in enumerate(tomita_dfas.MEANINGS[k]))
        draw_machine(row[1], dfa_machine(k), POSITIONS[k],
                     [f"d{q}" for q in range(len(tomita_dfas.DFAS[k][0]))],
                     f"grammar {k}, {tomita_dfas.NAMES[k]}: minimal DFA, {len(tomita_dfas.DFAS[k][0])} states (by hand)\n"
                     + "\n".join(textwrap.wrap(meanings, 62)), None if left is None else left[1])
        print(f"Tomita {k}: {len(learned)} states, {how}, "
              + ("bisimilar to the minimal DFA " + verdict[len("= the DFA: "):]
                 if renaming is not None else verdict)
              + f"; searched {searched} ({time.perf_counter() - t:.1f} s): "
              + ("no wrong string" if word is None else
                 f"network wrong on {word} = {runs_notation(word)} (length {len(word)}, "
                 f"{'shortest' if proved else 'shortest found'}); its labels on the suffixes of "
                 f"length <= 6 leave DFA state d{left[1]} after {left[0]} symbols "
                 f"(and match DFA states {left[2]})"), flush=True)
    fig.tight_layout(h_pad=0.6)
    fig.savefig(args.out, dpi=80)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
