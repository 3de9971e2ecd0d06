"""sympy printers for the generated kernels: sympy's numpy and torch printers, plus the
functions derive adds (``expm1mx`` becomes a call to the module's own ``_expm1mx``). The module's
helpers that take a series take the coefficients a result needs as ``series``, an argument of
every printed kernel function."""

from __future__ import annotations

import sympy
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pytorch import TorchPrinter


class _DeriveFunctions:
    def _print_expm1mx(self, expr):
        return self._of_argument("_expm1mx", expr.args[0])

    def _of_argument(self, helper: str, argument: sympy.Expr, series: str = ", series") -> str:
        """``helper(x, series)``; for a sum of two terms ``helper_of_sum(a, b, series)``, which
        keeps the rounding of a + b out of exp."""
        if isinstance(argument, sympy.Add) and len(argument.args) == 2:
            a, b = (self._print(term) for term in argument.args)
            return f"{helper}_of_sum({a}, {b}{series})"
        return f"{helper}({self._print(argument)}{series})"


class NumpyKernelPrinter(_DeriveFunctions, NumPyPrinter):
    def _print_expm1(self, expr):
        if isinstance(expr.args[0], sympy.Add) and len(expr.args[0].args) == 2:
            return self._of_argument("_expm1", expr.args[0], series="")
        return super()._print_expm1(expr)


class TorchKernelPrinter(_DeriveFunctions, TorchPrinter):
    # Note: sympy 1.14's torch printer has no expm1; and the module's own _expm1 keeps its digits
    # under torch.compile, whose torch.expm1 does not.
    def _print_expm1(self, expr):
        return self._of_argument("_expm1", expr.args[0])


PRINTERS = {"numpy": NumpyKernelPrinter, "torch": TorchKernelPrinter}


def print_expression(target: str, expr: sympy.Expr) -> str:
    return PRINTERS[target]({"fully_qualified_modules": True, "strict": True}).doprint(expr)


def print_assignments(target: str, exprs: list[sympy.Expr]) -> tuple[list[str], list[str]]:
    """Common subexpressions as ``t0 = ...`` lines, and the expressions in terms of them."""
    replacements, reduced = sympy.cse(exprs, symbols=sympy.numbered_symbols("t"), optimizations=None)
    lines = [f"{symbol} = {print_expression(target, value)}" for symbol, value in replacements]
    return lines, [print_expression(target, e) for e in reduced]
