"""Functions that floating point needs and plain sympy does not have.

``expm1(x) = exp(x) - 1`` (sympy's own, from ``sympy.codegen.cfunctions``) and
``expm1mx(x) = exp(x) - 1 - x``. Both expand to their definitions (``expand_func``), so the kernel
proves a rewrite into them like any other algebra, and both evaluate to any precision, so the
numeric witness can sample them. Near 0 ``exp(x) - 1 - x`` loses every digit in floating point
while ``expm1mx`` names the quantity, and code generation gives it an accurate implementation.
"""

from __future__ import annotations

import mpmath
import sympy
from sympy.codegen.cfunctions import expm1

__all__ = ["expm1", "expm1mx"]


class expm1mx(sympy.Function):  # noqa: N801 - named like sympy's functions
    """exp(x) - 1 - x: >= 0 for real x, 0 only at x = 0, about x**2/2 near 0."""

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return sympy.S.Zero
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sympy.ArgumentIndexError(self, argindex)
        return expm1(self.args[0])

    def _eval_expand_func(self, **hints):
        return self._eval_rewrite_as_exp(self.args[0])

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return sympy.exp(arg) - 1 - arg

    def _eval_evalf(self, prec):
        arg = self.args[0]._eval_evalf(prec + 10)
        if arg is None or not arg.is_Float:
            return None
        with mpmath.workprec(prec + 10):
            x = mpmath.mpf(arg)
            if abs(x) >= 0.5:
                value = mpmath.expm1(x) - x  # loses at most a few bits here, within the 10 spare
            else:
                # exp(x) - 1 - x cancels near 0 whatever the precision: sum the series instead.
                value, term, n = mpmath.mpf(0), x, 1
                while True:
                    n += 1
                    term = term * x / n
                    value += term
                    if abs(term) <= abs(value) * mpmath.eps:
                        break
        return sympy.Float(value, precision=prec)

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_is_finite(self):
        return self.args[0].is_finite

    def _eval_is_extended_nonnegative(self):
        if self.args[0].is_extended_real:
            return True
        return None
