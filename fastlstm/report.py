"""Per-step tables of a run, as text, JSON, CSV, LaTeX or Markdown.

Used by the command line (``fastlstm run``) and by the library
(``Trajectory.to_table``, ``Comparison.to_table``).  Presentation only: the
runs are computed by ``fastlstm.run`` and ``fastlstm.compare``.

Marks used in text tables (one character per pre-activation, in the order
``PREACTIVATION_NAMES`` = f i o g c):

====  =====================================================================
``+``  saturated high (z >= theta, or z > theta with an open boundary)
``-``  saturated low
``~``  inside the band, |z| < theta: the saturated approximation says nothing
``=``  exactly on the boundary, |z| == theta: the boundary choice decides
====  =====================================================================

Examples
--------
>>> import fastlstm as fl
>>> from fastlstm import report
>>> tr = fl.run(fl.presets.parity(), [1, 1, 0], activation="saturated", trace=True)
>>> print(report.format_trajectory(tr, [1, 1, 0], "markdown"))
| t | x | z_f | z_i | z_o | z_g | z_c | f | i | o | g | c | h | rounded | regimes fiogc |
|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:--|
| 0 | 1 | -100 | 200 | 100 | 50 | 1 | 0 | 1 | 1 | 1 | 1 | 1 | 1 | `-+++=` |
| 1 | 1 | -100 | 200 | 100 | -50 | -1 | 0 | 1 | 1 | -1 | -1 | -1 | -1 | `-++-=` |
| 2 | 0 | -100 | 100 | 0 | 100 | 1 | 0 | 1 | 0.5 | 1 | 1 | 0.5 | 0 | `-+~+=` |
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math

import numpy as np

from .semantics import GATE_NAMES, PREACTIVATION_NAMES, round_half_to_zero

__all__ = ["FORMATS", "format_comparison", "format_trajectory", "regime_marks", "step_flags",
           "trajectory_dict"]

#: Output formats understood by ``format_trajectory`` and ``format_comparison``.
FORMATS = ("table", "json", "csv", "latex", "markdown")

#: Text tables list at most this many flagged steps (JSON lists them all).
MAX_FLAGGED = 20

_MARK = {1: "+", -1: "-", 0: "~"}
_LATEX_MARK = {"+": "+", "-": "-", "~": r"\sim", "=": "="}
_LEGEND = ("regimes (f i o g c): + saturated high, - low, ~ inside the band |z| < {theta}, "
           "= exactly on the boundary |z| = {theta}")


# --------------------------------------------------------------------------- helpers

def _check_format(fmt):
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")


def _num(v, digits):
    """A float for people: ``digits`` significant digits (all of the integer part), no
    trailing zeros, an exponent only below 1e-4 or from 1e15 on; the sign of zero kept.

    Examples
    --------
    >>> [_num(v, 3) for v in (0.7615941, -26.159, 126.2, 0.5, 1.0, 3.72e-44, -0.0, 0.012345)]
    ['0.762', '-26.2', '126', '0.5', '1', '3.72e-44', '-0', '0.0123']
    """
    v = float(v)
    if v == 0:
        return "-0" if math.copysign(1.0, v) < 0 else "0"
    if not (math.isfinite(v) and 1e-4 <= abs(v) < 1e15):
        return format(v, f".{digits}g")
    decimals = max(digits - (math.floor(math.log10(abs(v))) + 1), 0)
    text = f"{v:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _theta(sem):
    return _num(sem.threshold, 6)


def _jsonable(arr):
    """``arr.tolist()``, with non-finite floats as None (JSON has no NaN)."""
    arr = np.asarray(arr)
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        return np.where(np.isfinite(arr), arr, None).tolist()
    return arr.tolist()


def _inputs(tr, x):
    if x is None:
        return None
    x = np.asarray(x, dtype=np.float64)
    if x.shape != tr.h.shape:
        raise ValueError(f"x must have the trajectory's shape {tr.h.shape}, got shape {x.shape}")
    return x


def describe_semantics(sem) -> str:
    """One line naming a ``Semantics`` in words (``sem.describe()``)."""
    return sem.describe()


def _need_trace(tr, what):
    if tr.regimes is None:
        raise ValueError(f"{what} needs a trajectory computed with trace=True")


def regime_marks(tr) -> np.ndarray:
    """One string per step: a mark per pre-activation (f i o g c), see the module docs.

    Parameters
    ----------
    tr : Trajectory
        Computed with ``trace=True``.

    Returns
    -------
    numpy.ndarray of str, shape of ``tr.h``

    Examples
    --------
    >>> import fastlstm as fl
    >>> tr = fl.run(fl.presets.parity(), [1, 1, 0, 1, 1], activation="saturated", trace=True)
    >>> regime_marks(tr).tolist()
    ['-+++=', '-++-=', '-+~+=', '-++~~', '-+++=']
    """
    _need_trace(tr, "regime_marks")
    chars = np.vectorize(_MARK.get, otypes=[object])(tr.regimes)
    chars = np.where(tr.boundary_hits, "=", chars)
    out = np.empty(tr.h.shape, dtype=object)
    for idx in np.ndindex(tr.h.shape):
        out[idx] = "".join(chars[idx])
    return out.astype(str)


def step_flags(tr) -> dict:
    """Which pre-activations are in the band, or on its boundary, at each flagged step.

    Parameters
    ----------
    tr : Trajectory
        A single sequence computed with ``trace=True``.

    Returns
    -------
    dict
        ``{t: {"band": names, "boundary": names}}`` for every step ``t`` with
        a pre-activation inside the band (|z| < theta) or exactly on the
        boundary (|z| == theta); names are from ``PREACTIVATION_NAMES``.

    Examples
    --------
    >>> import fastlstm as fl
    >>> tr = fl.run(fl.presets.parity(), [1, 1, 0, 1, 1], activation="saturated", trace=True)
    >>> step_flags(tr)[3]
    {'band': ('g', 'c'), 'boundary': ()}
    """
    _need_trace(tr, "step_flags")
    if tr.h.ndim != 1:
        raise ValueError(f"step_flags needs a single sequence, got a batch of shape {tr.h.shape}")
    band = (tr.regimes == 0) & ~tr.boundary_hits
    flags = {}
    for t in range(len(tr)):
        entry = {key: tuple(n for n, b in zip(PREACTIVATION_NAMES, mask[t]) if b)
                 for key, mask in (("band", band), ("boundary", tr.boundary_hits))}
        if entry["band"] or entry["boundary"]:
            flags[t] = entry
    return flags


def _flag_text(entry):
    parts = []
    if entry["band"]:
        parts.append("~" + ",".join(entry["band"]))
    if entry["boundary"]:
        parts.append("=" + ",".join(entry["boundary"]))
    return " ".join(parts)


# --------------------------------------------------------------------------- columns

@dataclasses.dataclass
class _Column:
    key: str            # csv / json name
    text: str           # text and markdown header
    latex: str          # LaTeX header (math mode)
    values: np.ndarray  # flattened, one per row
    kind: str           # "int", "float", "sint" (integer values, sign of zero kept), "marks"
    group: str = ""     # text header group (comparison tables)


def _trajectory_columns(tr, x, raw_column=None):
    """Columns of a per-step table, flattened over a batch (a leading ``b`` column).

    ``raw_column`` forces the ``h_raw`` column on (True) or off (False);
    by default it is there when the run rounded its feedback.
    """
    shape = tr.h.shape
    cols = []
    if len(shape) == 2:
        cols.append(_Column("b", "b", "b", np.repeat(np.arange(shape[0]), shape[1]), "int"))
    cols.append(_Column("t", "t", "t", np.tile(np.arange(shape[-1]), int(np.prod(shape[:-1]))),
                        "int"))
    if x is not None:
        cols.append(_Column("x", "x", "x_t", x.ravel(), "float"))
    traced = tr.regimes is not None
    if traced:
        for k, name in enumerate(PREACTIVATION_NAMES):
            cols.append(_Column(f"z_{name}", f"z_{name}", f"z_{name}",
                                tr.preactivations[..., k].ravel(), "float"))
        for k, name in enumerate(GATE_NAMES):
            cols.append(_Column(name, name, f"{name}_t", tr.gates[..., k].ravel(), "float"))
    cols.append(_Column("c", "c", "c_t", tr.c.ravel(), "float"))
    if raw_column is None:
        raw_column = tr.semantics.round_feedback
    if traced and raw_column:
        cols.append(_Column("h_raw", "h_raw", r"h_t^{\mathrm{raw}}", tr.h_raw.ravel(), "float"))
    cols.append(_Column("h", "h", "h_t", tr.h.ravel(), "float"))
    cols.append(_Column("rounded", "rounded", r"\lfloor h_t \rceil",
                        round_half_to_zero(tr.h).ravel(), "sint"))
    if traced:
        cols.append(_Column("regimes", "regimes fiogc", r"\text{regimes } f\,i\,o\,g\,c",
                            regime_marks(tr).ravel(), "marks"))
    return cols


def _cell_text(col, v, digits):
    if col.kind == "int":
        return str(int(v))
    if col.kind == "marks":
        return str(v)
    return _num(v, digits)


def _cell_latex(col, v, digits):
    if col.kind == "marks":
        return "".join("{" + _LATEX_MARK[ch] + "}" for ch in v)
    text = _cell_text(col, v, digits)
    if "e" in text:  # 3.72e-44 -> 3.72 \cdot 10^{-44}
        mantissa, exponent = text.split("e")
        text = rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
    return text


def _csv_value(col, v):
    if col.kind in ("int", "sint"):
        return int(v)
    if col.kind == "marks":
        return str(v)
    return repr(float(v))


def _render_text(cols, digits):
    n = len(cols[0].values)
    cells = [[_cell_text(c, c.values[r], digits) for c in cols] for r in range(n)]
    widths = [max([len(c.text)] + [len(row[j]) for row in cells]) for j, c in enumerate(cols)]
    # Columns of different groups are separated by " | ", others by two spaces.
    seps = [""] + ["  " if cols[j].group == cols[j - 1].group else " | "
                   for j in range(1, len(cols))]
    # Widen a group's last column so that its label fits above it.
    j = 0
    while j < len(cols):
        k = j
        while k + 1 < len(cols) and cols[k + 1].group == cols[j].group:
            k += 1
        short = len(cols[j].group) - (sum(widths[j:k + 1]) + 2 * (k - j))
        if short > 0:
            widths[k] += short
        j = k + 1
    lines = []
    if any(c.group for c in cols):
        head = ""
        for j, c in enumerate(cols):
            if j == 0 or seps[j] != "  ":
                head = head.ljust(sum(len(s) + w for s, w in zip(seps[:j], widths[:j])))
                head += seps[j] + c.group
        lines.append(head.rstrip())

    def fmt(row):
        return "".join(sep + (v.ljust(w) if c.kind == "marks" else v.rjust(w))
                       for sep, v, w, c in zip(seps, row, widths, cols)).rstrip()
    lines.append(fmt([c.text for c in cols]))
    lines.extend(fmt(row) for row in cells)
    return "\n".join(lines)


def _render_markdown(cols, digits):
    n = len(cols[0].values)
    def cell(c, v):
        s = _cell_text(c, v, digits)
        return f"`{s}`" if c.kind == "marks" else s
    lines = ["| " + " | ".join(c.text for c in cols) + " |",
             "|" + "|".join(":--" if c.kind == "marks" else "--:" for c in cols) + "|"]
    lines.extend("| " + " | ".join(cell(c, c.values[r]) for c in cols) + " |" for r in range(n))
    return "\n".join(lines)


def _render_latex(cols, digits):
    n = len(cols[0].values)
    spec = "".join("l" if c.kind == "marks" else "r" for c in cols)
    lines = [r"\begin{array}{" + spec + "}",
             " & ".join(c.latex for c in cols) + r" \\",
             r"\hline"]
    lines.extend(" & ".join(_cell_latex(c, c.values[r], digits) for c in cols) + r" \\"
                 for r in range(n))
    lines.append(r"\end{array}")
    return "\n".join(lines)


def _render_csv(cols):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([c.key for c in cols])
    for r in range(len(cols[0].values)):
        writer.writerow([_csv_value(c, c.values[r]) for c in cols])
    return buf.getvalue().rstrip("\n")


# --------------------------------------------------------------------------- trajectories

def trajectory_dict(tr, x=None) -> dict:
    """A trajectory as plain JSON-ready data (lists of Python floats, exact).

    Parameters
    ----------
    tr : Trajectory
    x : array_like, optional
        The inputs (a trajectory does not keep them).

    Returns
    -------
    dict
        ``semantics``, ``x`` (if given), ``h``, ``c``, ``rounded``; with a
        trace also ``h_raw``, ``gates``, ``preactivations``, ``regimes`` and
        ``boundary_hits`` (dicts by name), ``regime_marks``, and for a single
        sequence ``band_steps`` and ``boundary_steps``.  Floats are the
        run's float64 values unchanged; a non-finite value becomes None.

    Examples
    --------
    >>> import fastlstm as fl
    >>> d = trajectory_dict(fl.run(fl.presets.parity(), [1, 1, 0]))
    >>> d["rounded"], d["h"] == fl.run(fl.presets.parity(), [1, 1, 0]).h.tolist()
    ([1, -1, 0], True)
    """
    x = _inputs(tr, x)
    out = {"semantics": dataclasses.asdict(tr.semantics)}
    if x is not None:
        out["x"] = _jsonable(x)
    out.update(h=_jsonable(tr.h), c=_jsonable(tr.c), rounded=tr.rounded.tolist())
    if tr.regimes is not None:
        out["h_raw"] = _jsonable(tr.h_raw)
        out["gates"] = {n: _jsonable(tr.gates[..., k]) for k, n in enumerate(GATE_NAMES)}
        out["preactivations"] = {n: _jsonable(tr.preactivations[..., k])
                                 for k, n in enumerate(PREACTIVATION_NAMES)}
        out["regimes"] = {n: tr.regimes[..., k].tolist() for k, n in enumerate(PREACTIVATION_NAMES)}
        out["boundary_hits"] = {n: tr.boundary_hits[..., k].tolist()
                                for k, n in enumerate(PREACTIVATION_NAMES)}
        out["regime_marks"] = regime_marks(tr).tolist()
        if tr.h.ndim == 1:
            flags = step_flags(tr)
            out["band_steps"] = [t for t, e in flags.items() if e["band"]]
            out["boundary_steps"] = [t for t, e in flags.items() if e["boundary"]]
    return out


def format_trajectory(tr, x=None, format="table", *, digits=3, title=None, extra=None) -> str:
    """A per-step table of a trajectory.

    Parameters
    ----------
    tr : Trajectory
        From ``run`` (one row per step) or ``run_batch`` (a leading ``b``
        column).  With ``trace=True`` the table also has the pre-activations
        ``z_*``, the gates and the regime marks.
    x : array_like, optional
        The inputs, shown as column ``x``.
    format : {"table", "json", "csv", "latex", "markdown"}
        ``"table"`` is aligned text with a caption and a legend; ``"json"``
        is ``trajectory_dict`` (plus ``extra``); ``"csv"`` has a header row
        and full-precision floats; ``"latex"`` is a math-mode ``array``
        (wrap it in ``\\[ ... \\]``); ``"markdown"`` a pipe table.
    digits : int
        Significant digits of the floats in text, LaTeX and Markdown (JSON
        and CSV are always exact).
    title : str, optional
        Caption line of the text table (default: the semantics in words).
    extra : dict, optional
        Added at the top level of the JSON output (e.g. the parameters).

    Returns
    -------
    str

    Examples
    --------
    >>> import fastlstm as fl
    >>> tr = fl.run(fl.presets.parity(), [0, 0, 1, 1, 1, 0])
    >>> print(format_trajectory(tr, [0, 0, 1, 1, 1, 0], "csv"))  # doctest: +ELLIPSIS
    t,x,c,h,rounded
    0,0.0,0.0,0.0,0
    ...
    5,0.0,-1.0,-0.3807970779778825,0
    >>> print(format_trajectory(tr, format="table"))
    semantics: exact
    t   c       h  rounded
    0   0       0        0
    1   0       0        0
    2   1   0.762        1
    3  -1  -0.762       -1
    4   1   0.762        1
    5  -1  -0.381       -0
    """
    _check_format(format)
    x = _inputs(tr, x)
    if format == "json":
        data = dict(extra or {})
        data.update(trajectory_dict(tr, x))
        return json.dumps(data, allow_nan=False)
    cols = _trajectory_columns(tr, x)
    if format == "csv":
        return _render_csv(cols)
    if format == "markdown":
        return _render_markdown(cols, digits)
    if format == "latex":
        return _render_latex(cols, digits)
    sem = tr.semantics
    lines = [title if title is not None else f"semantics: {describe_semantics(sem)}",
             _render_text(cols, digits)]
    if tr.regimes is not None:
        lines.append(_LEGEND.format(theta=_theta(sem)))
        if tr.h.ndim == 1:
            flags = step_flags(tr)
            if flags:
                shown = [f"t={t} {_flag_text(e)}" for t, e in list(flags.items())[:MAX_FLAGGED]]
                more = len(flags) - len(shown)
                lines.append("flagged steps: " + "; ".join(shown) + (
                    f"; ... and {more} more (the JSON format lists them all: band_steps, "
                    "boundary_steps)" if more else ""))
    return "\n".join(lines)


# --------------------------------------------------------------------------- comparisons

def _short(name):
    """'saturated closed, raw feedback' -> 'sat closed/raw'."""
    return name.replace("saturated", "sat").replace(", ", "/").replace(" feedback", "")


def _comparison_columns(cmp):
    T = len(cmp.x)
    cols = [_Column("t", "t", "t", np.arange(T), "int"),
            _Column("x", "x", "x_t", cmp.x, "float")]
    ref = cmp.runs[cmp.reference]
    for name, tr in cmp.runs.items():
        band = ((tr.regimes == 0) & ~tr.boundary_hits).any(axis=1)
        hit = tr.boundary_hits.any(axis=1)
        differs = tr.rounded != ref.rounded
        marks = np.array([("~" if b else "") + ("=" if e else "") + ("*" if d else "")
                          for b, e, d in zip(band, hit, differs)])
        short = _short(name)
        cols += [_Column(f"{name}: h", "h", rf"h_t^{{\text{{{short}}}}}", tr.h, "float", name),
                 _Column(f"{name}: rounded", "rnd", r"\lfloor\cdot\rceil",
                         round_half_to_zero(tr.h), "sint", name),
                 _Column(f"{name}: marks", "", "", marks, "marks", name)]
    return cols


def format_comparison(cmp, format="table", *, digits=3, extra=None) -> str:
    """A ``Comparison`` as a side-by-side per-step table.

    Parameters
    ----------
    cmp : fastlstm.Comparison
    format : {"table", "json", "csv", "latex", "markdown"}
        ``"table"`` shows h, rounded h and marks per semantics (``~`` a
        pre-activation in the band, ``=`` one exactly on the boundary, ``*``
        rounded h differs from the first row), then each row's rounded
        answer (the semantics table's rounded column) and the flagged steps.  ``"json"`` has
        ``x``, ``disagreements`` and ``runs`` (name, then
        ``trajectory_dict``); ``"csv"`` is long, one line per semantics and
        step.
    digits : int
        Significant digits of floats in text, LaTeX and Markdown.
    extra : dict, optional
        Added at the top level of the JSON output.

    Returns
    -------
    str
    """
    _check_format(format)
    if format == "json":
        data = dict(extra or {})
        data.update(x=_jsonable(cmp.x), disagreements=cmp.disagreements.tolist(),
                    runs=[dict(name=name, **trajectory_dict(tr))
                          for name, tr in cmp.runs.items()])
        return json.dumps(data, allow_nan=False)
    if format == "csv":
        parts = []
        for k, (name, tr) in enumerate(cmp.runs.items()):
            cols = [_Column("semantics", "", "", np.full(len(tr), name), "marks")]
            cols += _trajectory_columns(tr, cmp.x, raw_column=True)
            text = _render_csv(cols)
            parts.append(text if k == 0 else text.split("\n", 1)[1])
        return "\n".join(parts)
    cols = _comparison_columns(cmp)
    if format == "markdown":
        for c in cols:
            if c.group:
                c.text = f"{_short(c.group)} {c.text or 'marks'}"
        return _render_markdown(cols, digits)
    if format == "latex":
        return _render_latex([c for c in cols if c.kind != "marks"], digits)
    return _comparison_text(cmp, cols, digits)


def _some(items, limit=MAX_FLAGGED):
    """``items`` joined by ", ", the first ``limit`` of them and a count of the rest."""
    items = [str(v) for v in items]
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f", ... ({more} more)" if more > 0 else "")


def _comparison_text(cmp, cols, digits):
    theta = _theta(next(iter(cmp.runs.values())).semantics)
    names = list(cmp.runs)
    for c in cols:
        if c.group:
            c.group = _short(c.group)
    lines = [f"the semantics table side by side (threshold {theta})",
             "",
             _render_text(cols, digits),
             "",
             f"marks: ~ a pre-activation inside the band |z| < {theta}; "
             f"= one exactly on the boundary |z| = {theta}; * rounded h differs from {names[0]}",
             "",
             "rounded h per semantics:"]
    width = max(len(n) for n in names)
    for name, tr in cmp.runs.items():
        rounded = _some(_num(v, 1) for v in round_half_to_zero(tr.h)).replace(", ", " ")
        differs = cmp.differs(name)
        note = f"   differs at t={_some(differs.tolist())}" if differs.size else ""
        lines.append(f"  {name.ljust(width)}  {rounded}{note}")
    lines += ["", "flagged steps (pre-activations f i o g c in the band ~ or on the boundary =):"]
    flags = cmp.flags
    steps = sorted({t for f in flags.values() for t in f})
    for t in steps[:MAX_FLAGGED]:
        by_text = {}
        for name in names:
            text = _flag_text(flags[name][t]) if t in flags[name] else "-"
            by_text.setdefault(text, []).append(_short(name))
        if len(by_text) == 1:
            desc = f"{next(iter(by_text))} (all)"
        else:
            desc = "; ".join(f"{text} ({', '.join(who)})" for text, who in by_text.items())
        lines.append(f"  t={t}: {desc}")
    if not steps:
        lines.append("  none")
    elif len(steps) > MAX_FLAGGED:
        lines.append(f"  ... and {len(steps) - MAX_FLAGGED} more (the JSON format lists them all: "
                     "band_steps and boundary_steps of each run)")
    dis = cmp.disagreements
    lines += ["", ("the semantics disagree at t=" + _some(dis.tolist()))
              if dis.size else "the semantics agree at every step"]
    return "\n".join(lines)
