"""The sweep wing: many parameter sets over the same inputs, recorded or scored.

* ``tables``: parameter tables (``ParamTable``, ``grid``, ``random_params``,
  ``as_table``) and the inputs and target of the parity example
  (``binary_strings``, ``parity_target``).
* ``cell_tables``: tables of vector cells (``CellTable``, ``cell_grid``,
  ``random_cells``); ``cells``: the sweep over them (the same chunks and
  backends, the kernels of ``_kernels.cell_sweep``).
* ``sweep``: ``sweep()``, its ``SweepResult``, ``SweepInterrupted`` (Ctrl-C
  keeps the finished rows), ``SweepFailed`` (so does an error of the backend);
  its progress bars are in ``progress``.
* ``checks``: the inputs checked and sized before anything is converted.
* ``plan``: the inputs as a prefix tree, so shared prefixes run once.
* ``chunks``: what every backend runs on a chunk of the table (``Work``,
  ``Kernel``, ``kernel_outputs``, ``run_chunk``).
* ``dask_backend``: ``backend="dask"``, chunks on Dask workers; it imports
  ``chunks`` only, never ``sweep``.
* ``lyapunov``: ``record="lyapunov"``: its drive (``Drive``) stands in for the
  plan, so ``chunks.Work`` chunks it for every backend.
* ``memory``: the byte budgets every refusal checks (``memory_limit``,
  ``format_bytes``).

Imports point one way: ``sweep`` -> {``dask_backend``, ``checks``, ``chunks``,
``plan``, ``tables``, ``memory``, ``lyapunov``}; ``dask_backend`` -> ``chunks``
-> ``plan``; ``checks`` -> {``memory``, ``plan``}; ``tables`` -> ``memory``;
outside the wing, only the core (``params``, ``semantics``, ``_validate``), the
compiled kernels (``_kernels.sweep``, ``_kernels.lyapunov``) and, when a plot
is asked for, ``fastlstm.plot``.
"""

from .cell_tables import CellTable, cell_grid, random_cells
from .sweep import SweepFailed, SweepInterrupted, SweepResult, sweep
from .tables import ParamTable, as_table, binary_strings, grid, parity_target, random_params

__all__ = ["CellTable", "cell_grid", "random_cells", "ParamTable", "SweepFailed", "SweepInterrupted", "SweepResult", "as_table",
           "binary_strings", "grid", "parity_target", "random_params", "sweep"]
