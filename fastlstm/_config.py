"""Numba options, defined once and read by every decorator in the package.

Why these values:

* ``cache=True``: compiled kernels are written next to the sources
  (``__pycache__``), so a second process loads them instead of recompiling.
* ``FASTMATH``: only flags that keep NaN, inf and the sign of zero meaningful.
  ``nnan``/``ninf`` would let LLVM delete our non-finite handling and ``nsz``
  would break ``round_half_to_zero`` (which keeps the sign of zero).
  ``contract`` allows fused multiply-add, ``arcp`` allows x/y -> x*(1/y);
  both change results by at most an ulp or so per operation.
* ``error_model="numpy"``: division by zero gives inf/nan as in numpy
  instead of a Python exception; without it every division in a step carries
  a test and a branch (our divisors are >= 1, so no result changes).
* ``PARALLEL``: threads are used across independent work (sequences,
  parameter sets), never across time steps.
"""

from __future__ import annotations

import os

CACHE = os.environ.get("FASTLSTM_NO_CACHE", "") == ""
FASTMATH = frozenset({"contract", "arcp"})

#: Options for serial kernels and inlined scalar helpers.
JIT = dict(nogil=True, cache=CACHE, fastmath=set(FASTMATH), error_model="numpy")
#: Options for kernels that spread independent work over threads.
PARALLEL_JIT = dict(JIT, parallel=True)
#: Options for tiny scalar helpers that must disappear into their callers.
INLINE_JIT = dict(JIT, inline="always")
