"""The dynamics wing: a cell with a constant input as a dynamical system on (h, c).

Fixed points with certified enclosures, their stability, and where along a
parameter axis the fixed-point structure changes (docs/dynamics.md).
"""
