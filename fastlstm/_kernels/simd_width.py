"""``wide_vectors()``: let LLVM vectorise a kernel with the widest registers the CPU has.

On AVX-512 CPUs LLVM's tuning prefers 256-bit vectors ("prefer-vector-width"
256): a loop over the 4n rows of a vector cell's step runs on ymm registers,
half the FMA width the core has.  A kernel that calls ``wide_vectors()`` gets
the function attribute ``"prefer-vector-width"="512"``, so its loops use zmm
registers.  The arithmetic of each lane is the same whatever the width (one
fma is one fma), so the bits do not change.  On CPUs without 512-bit vectors
(AVX2, aarch64) the attribute changes nothing.
"""

from __future__ import annotations

from numba import types
from numba.extending import intrinsic

#: The LLVM function attribute (a string attribute: llvmlite's set of known
#: attribute names does not list it, hence ``set.add`` below).
WIDE = '"prefer-vector-width"="512"'


@intrinsic
def wide_vectors(typingctx):
    """Mark the calling kernel for 512-bit vectors; no run-time effect."""
    sig = types.none()

    def codegen(context, builder, signature, args):
        set.add(builder.function.attributes, WIDE)
        return context.get_dummy_value()

    return sig, codegen
