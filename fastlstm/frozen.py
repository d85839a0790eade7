"""Immutable value objects over read-only arrays (``LSTMCell``, ``Readout``).

A subclass lists its state in ``__slots__``, in the order of its
constructor's arguments, and fills the slots once in ``__init__`` with
``object.__setattr__``; arrays are read-only copies it owns
(``frameworks.owned_array``).  This base gives the rest:

* no attribute can be set or deleted afterwards;
* pickling (copies, other processes) goes through the constructor, so an
  unpickled object was validated like any other;
* equality is by value (arrays by ``numpy.array_equal``), and equal objects
  hash alike, -0.0 and 0.0 included.
"""

from __future__ import annotations

import numpy as np


class FrozenArrays:
    """Base class: immutability, pickling and value equality from ``__slots__``.

    Examples
    --------
    >>> import numpy as np
    >>> class Pair(FrozenArrays):
    ...     __slots__ = ("_a", "_name")
    ...     def __init__(self, a, name):
    ...         object.__setattr__(self, "_a", np.array(a, dtype=float))
    ...         object.__setattr__(self, "_name", name)
    >>> Pair([0.0, 1.0], "x") == Pair([-0.0, 1.0], "x"), hash(Pair([0.0], "x")) == hash(Pair([-0.0], "x"))
    (True, True)
    >>> Pair([1.0], "x")._name = "y"
    Traceback (most recent call last):
    ...
    AttributeError: Pair is immutable; cannot set '_name'
    """

    __slots__ = ()

    def _state(self) -> tuple:
        return tuple(getattr(self, slot) for slot in self.__slots__)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; cannot set {name!r}")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is immutable; cannot delete {name!r}")

    def __reduce__(self):
        return (type(self), self._state())

    def __eq__(self, other):
        if not isinstance(other, type(self)):
            return NotImplemented
        return all(np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
                   for a, b in zip(self._state(), other._state()))

    def __hash__(self):
        # + 0.0 turns -0.0 into 0.0, so objects equal by value hash alike
        return hash(tuple(((v + 0.0).tobytes(), v.shape) if isinstance(v, np.ndarray) else v
                          for v in self._state()))
