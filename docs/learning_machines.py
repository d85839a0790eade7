"""The machines of docs/learning.md, drawn: writes docs/learning_machines.png.

    python docs/learning_machines.py [--out docs/learning_machines.png]

Left: the Moore machine ``fl.learn_automaton`` learns (and proves) for the
counting cell whose c never repeats (states ``q/output``, edges labelled by
the symbols that take them).  Right: the ``dyck1`` preset on one input, c
and rounded h from ``fl.run`` beside the one-counter machine of
``fl.find_counter`` (its control per step), which agree at every step.
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np

import fastlstm as fl

HERE = pathlib.Path(__file__).resolve().parent
SEM = dict(activation="saturated", round_feedback=True)
COUNTING = fl.ScalarLSTM(b_f=100, b_i=100, b_c=100, W_oh=-100, W_ox=100, b_o=-50)
BRACKETS = "(()(()))())(("


def draw_machine(ax, machine, title):
    """States on a circle (start on the left), arrows between them, loops above."""
    from matplotlib.patches import Circle, FancyArrowPatch

    n = machine.n_states
    angles = np.pi - 2 * np.pi * np.arange(n) / n
    pos = np.column_stack([np.cos(angles), np.sin(angles)]) if n > 1 else np.zeros((1, 2))
    r = 0.28
    edges = {}
    for p in range(n):
        for a, q in enumerate(machine.transitions[p].tolist()):
            edges.setdefault((p, q), []).append(str(machine.alphabet[a]))
    for (p, q), labels in edges.items():
        label = ",".join(labels)
        if p == q:
            x, y = pos[p]
            ax.add_patch(FancyArrowPatch((x - 0.12, y + r), (x + 0.12, y + r),
                                         connectionstyle="arc3,rad=-2.2", arrowstyle="-|>",
                                         mutation_scale=14, lw=1.2))
            ax.text(x, y + r + 0.42, label, ha="center", va="bottom", fontsize=11)
            continue
        bend = 0.25 if (q, p) in edges else 0.0
        start, end = pos[p], pos[q]
        unit = (end - start) / np.linalg.norm(end - start)
        ax.add_patch(FancyArrowPatch(start + r * unit, end - r * unit,
                                     connectionstyle=f"arc3,rad={bend}", arrowstyle="-|>",
                                     mutation_scale=14, lw=1.2))
        mid = (start + end) / 2 + bend * np.array([unit[1], -unit[0]]) * 0.9
        ax.text(*mid, label, ha="center", va="center", fontsize=11,
                bbox=dict(fc="white", ec="none", pad=1))
    for s in range(n):
        ax.add_patch(Circle(pos[s], r, fc="#dbe9f6" if s == machine.start else "white",
                            ec="black", lw=1.5))
        ax.text(*pos[s], f"q{s}/{machine.outputs[s]}", ha="center", va="center", fontsize=12)
    ax.annotate("", xy=pos[machine.start] - [r, 0], xytext=pos[machine.start] - [r + 0.35, 0],
                arrowprops=dict(arrowstyle="-|>", lw=1.2))
    ax.set_xlim(-1.8, 1.6)
    ax.set_ylim(-1.0, 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=11)


def draw_counter(ax):
    """c and rounded h of the dyck1 cell along BRACKETS, and the counter machine's outputs."""
    x = [1 if b == "(" else -1 for b in BRACKETS]
    tr = fl.run(fl.presets.dyck1(), x, **SEM)
    counter = fl.find_counter(fl.presets.dyck1(), (1, -1), **SEM)
    t = np.arange(len(x))
    ax.step(t, tr.c, where="mid", color="tab:blue", label="c (the counter) after x_t")
    ax.plot(t, tr.rounded, "o", color="tab:orange", label="rounded h (fl.run)")
    ax.plot(t, counter.run(x), "x", color="black", ms=9, label="one-counter machine")
    ax.set_xticks(t, list(BRACKETS))
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_title("dyck1: +1 open, 0 balanced, -1 dead after an unmatched ')'", fontsize=11)
    ax.legend(loc="lower left", fontsize=9)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "learning_machines.png"))
    args = parser.parse_args(argv)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    machine = fl.learn_automaton(COUNTING, **SEM)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2),
                                      gridspec_kw=dict(width_ratios=[1, 1.4]))
    draw_machine(left, machine, "learned and proved: output 1 after an odd run of 1s\n"
                                "(c_t = t + 1 never repeats)")
    draw_counter(right)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
