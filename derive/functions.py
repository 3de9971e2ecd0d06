"""Functions that floating point needs and plain sympy does not have.

``expm1(x) = exp(x) - 1`` (sympy's own, from ``sympy.codegen.cfunctions``) and
``expm1mx(x) = exp(x) - 1 - x``. Both expand to their definitions (``expand_func``), so the kernel
proves a rewrite into them like any other algebra, and both evaluate to any precision, so the
numeric witness can sample them. Near 0 ``exp(x) - 1 - x`` loses every digit in floating point
while ``expm1mx`` names the quantity, and code generation gives it an accurate implementation.
"""

from __future__ import annotations

from .kernel._operators import expm1, expm1mx

__all__ = ["expm1", "expm1mx"]
