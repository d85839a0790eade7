"""The one definition of what a step computes (explained in docs/semantics.md).

``Semantics`` bundles the options every engine and every public function
takes (``activation``, ``threshold``, ``inclusive``, ``round_feedback``) and
validates them once.  ``round_half_to_zero`` is the rounding of the worked
example.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ._validate import real_array, to_float

ACTIVATIONS = ("exact", "saturated")
#: Gate columns of a trace, in order: forget, input, output, candidate.
GATE_NAMES = ("f", "i", "o", "g")
#: Pre-activation columns of a trace: the arguments of the four gate
#: nonlinearities, then c_t, the argument of tanh(c_t).
PREACTIVATION_NAMES = ("f", "i", "o", "g", "c")
#: The rows of the semantics table (docs/semantics.md), in order.
TABLE_ROWS = {
    "exact": dict(activation="exact"),
    "saturated closed, raw feedback": dict(activation="saturated", inclusive=True),
    "saturated closed, rounded feedback": dict(activation="saturated", inclusive=True,
                                               round_feedback=True),
    "saturated open, raw feedback": dict(activation="saturated", inclusive=False),
}


@dataclasses.dataclass(frozen=True)
class Semantics:
    """Validated semantics of a step.

    Parameters
    ----------
    activation : {"exact", "saturated"}
        ``"saturated"`` replaces sigmoid by 1 and tanh by 1 where the
        pre-activation is at or above ``threshold`` (above, if not
        ``inclusive``), sigmoid by 0 and tanh by -1 at or below
        ``-threshold``; exact inside the band.  Applies to all five
        activations, tanh(c_t) included.
    threshold : float
        Half-width of the unsaturated band, finite and > 0.
    inclusive : bool
        Whether ``|z| == threshold`` counts as saturated.
    round_feedback : bool
        Replace h_t by ``round_half_to_zero(h_t)`` before it is reported and
        fed back (c_t is never rounded).

    Examples
    --------
    >>> Semantics(activation="saturated", threshold=1.0)
    Semantics(activation='saturated', threshold=1.0, inclusive=True, round_feedback=False)
    >>> Semantics(threshold=0)
    Traceback (most recent call last):
    ...
    ValueError: threshold must be a finite number > 0, got 0.0
    """

    activation: str = "exact"
    threshold: float = 1.0
    inclusive: bool = True
    round_feedback: bool = False

    def __post_init__(self):
        if not isinstance(self.activation, str):
            raise TypeError(f"activation must be a str, one of {ACTIVATIONS}, "
                            f"got {type(self.activation).__name__}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if isinstance(self.threshold, (bool, np.bool_)) or not isinstance(
                self.threshold, (int, float, np.integer, np.floating)):
            raise TypeError(f"threshold must be a real number, got {type(self.threshold).__name__}")
        threshold = to_float(self.threshold, "threshold")
        if not (math.isfinite(threshold) and threshold > 0):
            raise ValueError(f"threshold must be a finite number > 0, got {threshold}")
        object.__setattr__(self, "threshold", threshold)
        for name in ("inclusive", "round_feedback"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
            object.__setattr__(self, name, bool(getattr(self, name)))

    @property
    def saturated(self) -> bool:
        return self.activation == "saturated"

    def describe(self) -> str:
        """The semantics in words: the one wording every report and machine uses.

        Examples
        --------
        >>> Semantics("saturated", inclusive=False).describe()
        'saturated, threshold 1, open boundary (|z| > 1 saturates), raw feedback'
        >>> Semantics(round_feedback=True).describe()
        'exact, rounded feedback'
        """
        if not self.saturated:
            return "exact" + (", rounded feedback" if self.round_feedback else "")
        theta = f"{self.threshold:.6g}"
        boundary = (f"closed boundary (|z| >= {theta} saturates)" if self.inclusive
                    else f"open boundary (|z| > {theta} saturates)")
        feedback = "rounded feedback" if self.round_feedback else "raw feedback"
        return f"saturated, threshold {theta}, {boundary}, {feedback}"

    def kernel_key(self) -> tuple:
        """The options compiled into a kernel (threshold stays a runtime value)."""
        # The boundary only changes the arithmetic of saturated steps.
        return (self.saturated, self.inclusive or not self.saturated, self.round_feedback)


def round_half_to_zero(a):
    """Round to the nearest integer, halves toward zero, keeping the sign of zero.

    ``round_half_to_zero(v) = sign(v) * ceil(|v| - 1/2)``, with the result
    carrying the sign of ``v`` (so -0.38 gives -0.0).

    Parameters
    ----------
    a : float or array_like
        Real values to round (any shape; NaN and inf come back unchanged).

    Returns
    -------
    float or numpy.ndarray
        Floats with integral values (a float for a scalar input).

    Examples
    --------
    >>> round_half_to_zero([0.5, -0.5, 1.5, 0.51, -0.38, 2.0])
    array([ 0., -0.,  1.,  1., -0.,  2.])
    >>> round_half_to_zero(2.0 ** 52 + 1) == 2.0 ** 52 + 1
    True
    """
    arr = real_array(a, "a", range(64), finite=False)
    size = np.abs(arr)
    # From 2**52 on every float64 is an integer, and |v| - 1/2 is not a float64
    # (2**52 + 1 would round to 2**52): such values are their own rounding.
    out = np.where(size >= 2.0 ** 52, arr, np.copysign(np.ceil(size - 0.5), arr))
    return float(out) if out.ndim == 0 else out
