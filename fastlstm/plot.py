"""Heat maps of sweep results (needs matplotlib: ``pip install 'fastlstm[plot]'``).

matplotlib is imported when a plot is made, never when fastlstm is.
"""

from __future__ import annotations

import numpy as np

__all__ = ["chaos_map", "regime_map"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError("plotting needs matplotlib: pip install 'fastlstm[plot]'") from None
    return plt


def regime_map(result, value="accuracy", *, x=None, y=None, ax=None, title=None,
               cmap="viridis", colorbar=True, **mesh_kw):
    """Heat map of a per-parameter-set result over a two-axis grid.

    Parameters
    ----------
    result : SweepResult
        A sweep over a table made by ``fastlstm.grid`` with two axes.
    value : str
        ``"accuracy"`` (needs a target), or ``"h"``/``"c"`` of a
        ``record="final"`` sweep over one sequence.
    x, y : str, optional
        Which grid axis goes horizontally and which vertically (default:
        the second axis horizontally, the first vertically).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    title : str, optional
    cmap : str
    colorbar : bool
    **mesh_kw
        Passed to ``Axes.pcolormesh`` (grid values at the cell centres).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, fastlstm as fl
    >>> X = fl.binary_strings(6)
    >>> table = fl.grid(base=fl.presets.parity(), W_ch=np.linspace(-200, 0, 8),
    ...                 W_cx=np.linspace(0, 100, 8))
    >>> ax = fl.sweep(table, X, target=fl.parity_target(X)).plot()
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('W_cx', 'W_ch')
    """
    names = list(result.axes)
    if len(names) != 2:
        raise ValueError(f"regime_map needs a sweep over a grid with two axes, got axes {names}")
    x = names[1] if x is None else x
    y = names[0] if y is None else y
    if sorted((x, y)) != sorted(names):
        raise ValueError(f"x and y must be the grid's axes {names}, got x={x!r}, y={y!r}")
    grid = np.asarray(result.to_grid(value), dtype=np.float64)
    if grid.ndim != 2:
        raise ValueError(f"{value!r} has shape {grid.shape} on the grid; a heat map needs one "
                         f"number per grid point (sweep one sequence, or use accuracy)")
    if names.index(y) != 0:
        grid = grid.T
    xs, ys = result.axes[x], result.axes[y]
    plt = _pyplot()
    if ax is None:
        ax = plt.figure(figsize=(6, 5)).add_subplot()
    opts = dict(cmap=cmap, shading="nearest")
    if value == "accuracy":
        opts.update(vmin=0.0, vmax=1.0)
    opts.update(mesh_kw)
    image = ax.pcolormesh(xs, ys, grid, **opts)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if title is not None:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label=value)
    return ax


def chaos_map(result, *, x=None, y=None, ax=None, title=None, cmap="RdBu_r", vmin=None,
              colorbar=True, **mesh_kw):
    """Chaos map: the largest Lyapunov exponent of a ``record="lyapunov"`` sweep over a two-axis grid.

    Diverging colours centred on 0: red where nearby states part
    exponentially (exponent > 0, chaos, or an unstable orbit the run sits
    on), white at 0, blue where they converge (a stable fixed point or
    cycle); black where the exponent is -inf (the map is locally constant:
    every activation saturated) or below ``vmin``.

    Parameters
    ----------
    result : SweepResult
        ``record="lyapunov"``, over a table made by ``fastlstm.grid`` with two axes.
    x, y, ax, title, colorbar, **mesh_kw
        As for ``regime_map``.
    cmap : str
        A diverging colormap.
    vmin : float, optional
        The lowest exponent coloured (default: the lowest finite one).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fastlstm as fl
    >>> table = fl.grid(base=fl.presets.parity(), W_ch=[-100.0, -50.0, 0.0], b_f=[-100.0, 0.0])
    >>> ax = fl.sweep(table, 0, record="lyapunov", steps=200).plot()
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('b_f', 'W_ch')
    """
    import matplotlib
    from matplotlib.colors import TwoSlopeNorm

    lam = np.asarray(result.to_grid("lyapunov"), dtype=np.float64)
    finite = lam[np.isfinite(lam)]
    low = (float(finite.min()) if finite.size else -1.0) if vmin is None else float(vmin)
    high = float(finite.max()) if finite.size else 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=min(low, -1e-9), vmax=max(high, 1e-9))
    colours = matplotlib.colormaps[cmap].with_extremes(under="black")
    ax = regime_map(result, "lyapunov", x=x, y=y, ax=ax, title=title, cmap=colours,
                    colorbar=False, norm=norm, **mesh_kw)
    if colorbar:
        below = bool((lam < norm.vmin).any())
        ax.figure.colorbar(ax.collections[-1], ax=ax, extend="min" if below else "neither",
                           label="largest Lyapunov exponent (-inf: black)" if below else
                           "largest Lyapunov exponent")
    return ax
