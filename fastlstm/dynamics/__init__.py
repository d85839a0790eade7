"""The dynamics wing: a cell with a constant input as a dynamical system on (h, c).

Fixed points with certified enclosures, their stability, and where along a
parameter axis the fixed-point structure changes; Lyapunov exponents along a
driven trajectory and orbit (bifurcation) diagrams (docs/dynamics.md).
"""

from .boundaries import Boundary, fixed_point_boundaries
from .fixed_points import fixed_points
from .points import FixedPoint, FixedPoints, NonIsolated
from .lyapunov import lyapunov
from .orbits import OrbitDiagram, orbit_diagram
from .stability import STABILITY_CLASSES

__all__ = ["Boundary", "FixedPoint", "FixedPoints", "NonIsolated", "STABILITY_CLASSES",
           "fixed_point_boundaries", "fixed_points",
           "OrbitDiagram", "lyapunov", "orbit_diagram"]
