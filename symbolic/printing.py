r"""LaTeX for everything the package produces.

- a sequence of equations (or one) -> ``align*``
- a step map ``{"c": ..., "h": ...}`` -> ``align*`` of ``c_t`` and ``h_t``
- a Piecewise -> ``cases`` (SymPy's layout)
- a :class:`~symbolic.reference.Reference` (from ``simulate``) -> a booktabs ``tabular``
  (``\toprule``/``\midrule``/``\bottomrule``: the document needs ``\usepackage{booktabs}``,
  which the table's first line, a LaTeX comment, says)
- any other SymPy object (a Jacobian matrix, say) -> its LaTeX

Products print the state last, as in ``f_{t} c_{t-1}`` and ``W_{f,h} h_{t-1}``
(SymPy alone sorts the factors alphabetically: ``c_{t-1} f_{t}``).
"""

from __future__ import annotations

from collections.abc import Mapping

from sympy import Basic, Eq, GreaterThan, LessThan, Mul, StrictGreaterThan, StrictLessThan, Symbol
from sympy.core.relational import Relational
from sympy.matrices import MatrixBase
from sympy.printing.latex import LatexPrinter

from .reference import Reference
from .symbols import c_prev, h_prev, x_t

_STATE = (x_t, h_prev, c_prev)
_REGIME_MARKS = {1: "+", 0: "0", -1: "-"}


class _Printer(LatexPrinter):
    def _print_And(self, expr):
        # an interval of h_{t-1} (one lower and one upper bound) prints as a < h < b
        low = [a for a in expr.args if _bound_side(a) == "lower"]
        high = [a for a in expr.args if _bound_side(a) == "upper"]
        if len(low) != 1 or len(high) != 1:
            return super()._print_And(expr)
        (low,), (high,) = low, high
        ops = ["<" if isinstance(b, (StrictGreaterThan, StrictLessThan)) else r"\leq"
               for b in (low, high)]
        chain = (f"{self._print(low.rhs)} {ops[0]} {self._print(h_prev)} {ops[1]} "
                 f"{self._print(high.rhs)}")
        others = [self._print(a) for a in expr.args if a not in (low, high)]
        return r" \wedge ".join([chain] + others)

    def _print_Mul(self, expr):
        factors = Mul.make_args(expr)
        state = [f for f in factors if _is_state(f)]
        rest = Mul(*[f for f in factors if not _is_state(f)])
        simple = all(f.is_Atom or f.is_Function or f.is_Pow for f in Mul.make_args(rest))
        if not state or rest.is_Number or not simple:
            return super()._print_Mul(expr)
        return " ".join([super()._print(rest)] + [self._print(s) for s in state])

    def _print_MatAdd(self, expr):
        # the matrix form is built in reading order (W_ih x_t + b_ih + ...): keep it
        return " + ".join(self._print(term) for term in expr.args)

    def _print_HadamardProduct(self, expr):
        return super()._print_HadamardProduct(expr).replace(r"\circ", r"\odot")


def _is_state(factor):
    """x_t, h_{t-1}, c_{t-1}, and their entries x_{t,j}, h_{t-1,u}, c_{t-1,u}."""
    return factor in _STATE or (factor.is_Symbol and factor.name.startswith(
        ("x_{t,", "h_{t-1,", "c_{t-1,")))


def _bound_side(rel):
    """'lower'/'upper' for ``h_{t-1} > number``-style relationals, else None."""
    if not (isinstance(rel, Relational) and rel.lhs == h_prev and rel.rhs.is_number):
        return None
    if isinstance(rel, (GreaterThan, StrictGreaterThan)):
        return "lower"
    return "upper" if isinstance(rel, (LessThan, StrictLessThan)) else None


def latex(obj):
    r"""LaTeX source for equations, step maps, piecewise forms and trajectories.

    A trajectory (a ``simulate`` result) becomes a ``tabular`` ruled with the booktabs
    package's ``\toprule``, ``\midrule`` and ``\bottomrule``: put
    ``\usepackage{booktabs}`` in the document's preamble.  The table's first line is the
    LaTeX comment ``% needs \usepackage{booktabs}``, so the source says so too.

    Examples
    --------
    >>> from symbolic import lstm_equations, simulate
    >>> print(latex(lstm_equations()[3:]))
    \begin{align*}
    c_{t} &= f_{t} c_{t-1} + i_{t} \tanh{\left(W_{c,h} h_{t-1} + W_{c,x} x_{t} + b_{c} \right)} \\
    h_{t} &= o_{t} \tanh{\left(c_{t} \right)}
    \end{align*}
    >>> parity = dict(W_fh=0, W_fx=0, b_f=-100, W_ih=0, W_ix=100, b_i=100,
    ...               W_oh=0, W_ox=100, b_o=0, W_ch=-100, W_cx=50, b_c=0)
    >>> print(latex(simulate(parity, [1, 0], activation="saturated", digits=10)))
    % needs \usepackage{booktabs}
    \begin{tabular}{rrrrrrrrrc}
    \toprule
    $t$ & $x_t$ & $f_t$ & $i_t$ & $o_t$ & $g_t$ & $c_t$ & $h_t$ & $[h_t]$ & $f\,i\,o\,g\,c$ \\
    \midrule
    $0$ & $1$ & $0$ & $1$ & $1$ & $1$ & $1$ & $1$ & $1$ & $-\,+\,+\,+\,+^{*}$ \\
    $1$ & $0$ & $0$ & $1$ & $0.5$ & $-1$ & $-1$ & $-0.5$ & $0$ & $-\,+\,0\,-\,-^{*}$ \\
    \bottomrule
    \end{tabular}
    """
    if isinstance(obj, Reference):
        return _table(obj)
    if isinstance(obj, Mapping) and set(obj) == {"c", "h"}:
        return _align([(Symbol("c_t"), obj["c"]), (Symbol("h_t"), obj["h"])])
    if isinstance(obj, Eq):
        return _align([obj.args])
    if isinstance(obj, (Basic, MatrixBase)):
        return _Printer().doprint(obj)
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(eq, Eq) for eq in obj):
        return _align([eq.args for eq in obj])
    raise TypeError("latex() takes equations, a step map, a SymPy expression or a "
                    f"simulate() result, got {type(obj).__name__}")


def _align(rows):
    printer = _Printer()
    lines = [f"{printer.doprint(lhs)} &= {printer.doprint(rhs)}" for lhs, rhs in rows]
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"


def _number(v):
    """Exact values exactly (short decimals, else a fraction); others to 4 places."""
    if isinstance(v, int) or v.is_Integer:
        return str(v)
    if v.is_Rational:
        den = int(v.q)
        if den & (den - 1) == 0 and den <= 2 ** 6 or den in (5, 10, 20, 25, 50, 100):
            return _trim(f"{float(v):.6f}")
        if len(str(v)) <= 9:
            return ("-" if v < 0 else "") + r"\frac{%d}{%d}" % (abs(int(v.p)), den)
    value = float(v)
    if value != 0 and abs(value) < 1e-3:
        mantissa, exponent = f"{value:.3e}".split("e")
        return r"%s \cdot 10^{%d}" % (mantissa, int(exponent))
    return f"{value:.4f}"


def _trim(text):
    return text.rstrip("0").rstrip(".") if "." in text else text


def _marks(regimes, hits):
    return r"\,".join(_REGIME_MARKS[r] + ("^{*}" if hit else "") for r, hit in zip(regimes, hits))


def _table(ref):
    header = ["$t$", "$x_t$", "$f_t$", "$i_t$", "$o_t$", "$g_t$", "$c_t$", "$h_t$", "$[h_t]$",
              r"$f\,i\,o\,g\,c$"]
    rows = []
    for t in range(len(ref)):
        numbers = [ref.xs[t], *ref.gates[t], ref.c[t], ref.h_raw[t], ref.rounded[t]]
        cells = [f"${text}$" for text in [t, *map(_number, numbers),
                                          _marks(ref.regimes[t], ref.boundary_hits[t])]]
        rows.append(" & ".join(cells) + r" \\")
    return "\n".join([r"% needs \usepackage{booktabs}",
                      r"\begin{tabular}{rrrrrrrrrc}", r"\toprule", " & ".join(header) + r" \\",
                      r"\midrule", *rows, r"\bottomrule", r"\end{tabular}"])

