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
        return f"_expm1mx({self._print(expr.args[0])}, series)"


class NumpyKernelPrinter(_DeriveFunctions, NumPyPrinter):
    pass


class TorchKernelPrinter(_DeriveFunctions, TorchPrinter):
    # Note: sympy 1.14's torch printer has no expm1; and the module's own _expm1 keeps its digits
    # under torch.compile, whose torch.expm1 does not.
    def _print_expm1(self, expr):
        return f"_expm1({self._print(expr.args[0])}, series)"


PRINTERS = {"numpy": NumpyKernelPrinter, "torch": TorchKernelPrinter}


def print_expression(target: str, expr: sympy.Expr) -> str:
    return PRINTERS[target]({"fully_qualified_modules": True, "strict": True}).doprint(expr)


def print_assignments(target: str, exprs: list[sympy.Expr]) -> tuple[list[str], list[str]]:
    """Common subexpressions as ``t0 = ...`` lines, and the expressions in terms of them."""
    replacements, reduced = sympy.cse(exprs, symbols=sympy.numbered_symbols("t"), optimizations=None)
    lines = [f"{symbol} = {print_expression(target, value)}" for symbol, value in replacements]
    return lines, [print_expression(target, e) for e in reduced]
