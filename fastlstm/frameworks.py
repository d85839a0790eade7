"""What every loader of a framework's weights shares: arrays and Keras layers.

``owned_array`` turns a tensor, a Keras weight, an array or nested lists into
the read-only float64 copy a cell or readout keeps; ``keras_layer`` checks
that an object is a built Keras 3 layer of the expected class.  Neither
framework is imported unless an object from it is being read.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_real


def owned_array(value, name, ndim):
    """``value`` as a read-only float64 copy; TypeError/ValueError naming ``name``.

    Examples
    --------
    >>> owned_array([[1, 2]], "W", 2)
    array([[1., 2.]])
    >>> owned_array([1.0, float("nan")], "b", 1)
    Traceback (most recent call last):
    ...
    ValueError: b must be finite, got nan at index (1,)
    """
    if hasattr(value, "detach"):  # a torch tensor (possibly requiring grad)
        value = value.detach().cpu()
        if value.is_floating_point():
            value = value.double()
        value = value.numpy()
    arr = as_real(value, name, kinds="iuf")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension{'s' if ndim > 1 else ''}, "
                         f"got shape {arr.shape}")
    arr = np.array(arr, dtype=np.float64)  # a copy: the cell owns its arrays
    if not np.isfinite(arr).all():
        bad = tuple(np.argwhere(~np.isfinite(arr))[0].tolist())
        raise ValueError(f"{name} must be finite, got {arr[bad]} at index {bad}")
    arr.flags.writeable = False
    return arr


def keras_layer(obj, kind, caller):
    """``obj`` if it is a built Keras 3 layer of class ``kind``; else a clear error.

    keras is imported here, only when a caller was given something that is
    not a plain list of weights.
    """
    try:
        import keras
    except ImportError:
        raise TypeError(f"{caller} takes a keras.layers.{kind} or its weights as a list, got "
                        f"{type(obj).__name__} (and keras is not installed)") from None
    if not isinstance(obj, getattr(keras.layers, kind)):
        raise TypeError(f"{caller} takes a keras.layers.{kind} or its weights as a list, got "
                        f"{type(obj).__name__}")
    if not obj.built:
        raise ValueError(f"the {kind} layer is not built (it has no weights yet): call it on "
                         "an input or call build(input_shape) first")
    return obj
