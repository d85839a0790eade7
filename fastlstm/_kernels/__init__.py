"""Every piece of compiled code in fastlstm, private to the package.

The public functions (``fastlstm.run``, ``fastlstm.sweep``, the automata)
validate their input, allocate the outputs and call these kernels, which
assume clean input and write into the arrays they are given.

* ``activations``: exp, sigmoid and tanh (ordinary calls that LLVM inlines) (float64 and float32).
* ``sequence``: one step for every semantics; single and batched sequences.
* ``transitions``: a cache of exact transitions, replayed by a long run whose
  states repeat.
* ``sweep``: many cells at once, SIMD lanes across cells, over a prefix plan.
* ``machine``: a Moore machine's jump tables run over long inputs.
* ``lyapunov``: the step's Jacobian and the tangent map (Lyapunov exponents),
  SIMD lanes across cells.

Numba options come from ``fastlstm._config``; nothing here imports the rest
of the package.
"""
