"""Pictures of a Moore machine: Graphviz (``to_dot``) and TikZ (``to_latex``).

The text of ``MooreMachine.to_dot`` and ``MooreMachine.to_latex``.  A state is
labelled ``q<i>/<output>``, an edge by the symbols that take it (vector
symbols and outputs print as tuples, ``(0, 1)``).
"""

from __future__ import annotations

from .alphabet import symbol_str

__all__ = ["to_dot", "to_latex"]


def _edges(machine):
    """``{(p, q): [symbol names]}`` in state and alphabet order."""
    edges = {}
    for p in range(machine.n_states):
        for a, q in enumerate(machine.transitions[p].tolist()):
            edges.setdefault((p, q), []).append(symbol_str(machine.alphabet[a]))
    return edges


def to_dot(machine, name="moore") -> str:
    """The machine as a Graphviz digraph (states labelled ``q/output``).

    Examples
    --------
    >>> import fastlstm as fl
    >>> print(fl.MooreMachine([[0, 1], [0, 1]], [0, 1]).to_dot())
    digraph moore {
      rankdir=LR;
      node [shape=circle];
      start [shape=point];
      start -> q0;
      q0 [label="q0/0"];
      q1 [label="q1/1"];
      q0 -> q0 [label="0"];
      q0 -> q1 [label="1"];
      q1 -> q0 [label="0"];
      q1 -> q1 [label="1"];
    }

    Vector symbols and outputs print as tuples:

    >>> two = fl.MooreMachine([[1], [0]], [[0, 1], [-1, 0]], alphabet=[(1, 0)])
    >>> print(two.to_dot().splitlines()[5])
      q0 [label="q0/(0, 1)"];
    >>> print(two.to_dot().splitlines()[7])
      q0 -> q1 [label="(1, 0)"];
    """
    lines = [f"digraph {name} {{", "  rankdir=LR;", "  node [shape=circle];",
             "  start [shape=point];", f"  start -> q{machine.start};"]
    for s in machine.states:
        lines.append(f'  q{s} [label="q{s}/{symbol_str(machine.output_keys()[s])}"];')
    for (p, q), labels in _edges(machine).items():
        lines.append(f'  q{p} -> q{q} [label="{",".join(labels)}"];')
    lines.append("}")
    return "\n".join(lines)


def to_latex(machine, radius=2.0) -> str:
    """The machine as a TikZ automaton (``\\usetikzlibrary{automata, arrows.meta}``).

    States sit on a circle of ``radius`` cm, the start state on the left;
    each is labelled ``q_i/output``.

    Examples
    --------
    >>> import fastlstm as fl
    >>> print(fl.MooreMachine([[0, 1], [0, 1]], [0, -1]).to_latex())
    \\begin{tikzpicture}[->, >={Stealth[round]}, auto, semithick]
      \\node[state, initial] (q0) at (180:2cm) {$q_{0}/0$};
      \\node[state] (q1) at (0:2cm) {$q_{1}/{-1}$};
      \\path (q0) edge [out=200, in=160, loop] node {$0$} (q0);
      \\path (q0) edge [bend left=20] node {$1$} (q1);
      \\path (q1) edge [bend left=20] node {$0$} (q0);
      \\path (q1) edge [out=20, in=-20, loop] node {$1$} (q1);
    \\end{tikzpicture}
    """
    n = machine.n_states
    # Start state on the left, the others clockwise in state order.
    order = [machine.start] + [s for s in machine.states if s != machine.start]
    angle = {s: 180.0 - 360.0 * k / n for k, s in enumerate(order)}
    lines = [r"\begin{tikzpicture}[->, >={Stealth[round]}, auto, semithick]"]
    outputs = machine.output_keys()
    for s in machine.states:
        out = outputs[s]
        out_tex = (f"({', '.join(f'{{{v}}}' if v < 0 else f'{v}' for v in out)})"
                   if isinstance(out, tuple) else f"{{{out}}}" if out < 0 else f"{out}")
        where = f"({angle[s]:g}:{radius:g}cm)" if n > 1 else "(0, 0)"
        style = "state, initial" if s == machine.start else "state"
        lines.append(f"  \\node[{style}] (q{s}) at {where} {{$q_{{{s}}}/{out_tex}$}};")
    edges = _edges(machine)
    for (p, q), labels in edges.items():
        label = ",".join(labels)
        if p == q:
            a = angle[p] if n > 1 else 90.0
            style = f"out={a + 20:g}, in={a - 20:g}, loop"
        elif (q, p) in edges:
            style = "bend left=20"
        else:
            style = ""
        style = f" [{style}]" if style else ""
        lines.append(f"  \\path (q{p}) edge{style} node {{${label}$}} (q{q});")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)
