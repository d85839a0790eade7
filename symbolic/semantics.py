"""The semantics keywords (docs/semantics.md), validated once and held exactly.

Every public function takes the same keywords (``activation``, ``threshold``,
``inclusive``, ``round_feedback``, ``h0``, ``c0``); this module checks them and
states the regime rule on exact numbers.

Examples
--------
>>> s = semantics(activation="saturated", threshold=0.5)
>>> s.threshold, s.saturating, s.regime(-0.5), s.regime(0)
(1/2, True, -1, 0)
>>> semantics(inclusive=False).regime(1)
0
>>> semantics(threshold=0)
Traceback (most recent call last):
...
ValueError: threshold must be > 0, got 0
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Rational

from .params import exact_number

ACTIVATIONS = ("exact", "saturated")


@dataclass(frozen=True)
class Semantics:
    """Validated semantics; numbers are exact SymPy Rationals."""

    activation: str = "exact"
    threshold: Rational = Rational(1)
    inclusive: bool = True
    round_feedback: bool = False
    h0: Rational = Rational(0)
    c0: Rational = Rational(0)

    @property
    def saturating(self):
        """Whether saturated regimes replace the activation values."""
        return self.activation == "saturated"

    def regime(self, z):
        """-1, 0 or +1 for an exact pre-activation ``z``."""
        theta = self.threshold
        if self.inclusive:
            return 1 if z >= theta else (-1 if z <= -theta else 0)
        return 1 if z > theta else (-1 if z < -theta else 0)

    def as_dict(self):
        """The keywords that reproduce these semantics."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def semantics(activation="exact", threshold=1, inclusive=True, round_feedback=False,
              h0=0, c0=0):
    """Validate the semantics keywords; TypeError/ValueError name the bad one."""
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a str, got {type(activation).__name__}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be 'exact' or 'saturated', got {activation!r}")
    for name, flag in (("inclusive", inclusive), ("round_feedback", round_feedback)):
        if not isinstance(flag, bool) and type(flag).__name__ != "bool_":
            raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
    theta = exact_number(threshold, "threshold")
    if theta <= 0:
        raise ValueError(f"threshold must be > 0, got {threshold}")
    return Semantics(activation, theta, bool(inclusive), bool(round_feedback),
                     exact_number(h0, "h0"), exact_number(c0, "c0"))
