"""sympy printers for the generated kernels: sympy's numpy and torch printers, plus the
functions derive adds (``expm1mx`` becomes a call to the module's own ``_expm1mx``). The module's
helpers that take a series take what a result needs of them as ``precision``, an argument of
every printed kernel function."""

from __future__ import annotations

import sympy
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pytorch import TorchPrinter

from ..kernel._operators import expm1
from ._forms import is_input


class _SquareOfSum(sympy.Function):
    """(a + b)**2 of two inputs, printed as the module's ``_square_of_sum(a, b)``. A node of its
    own, so that common subexpressions never take a + b out of it: rounding the sum first would
    double its rounding error in the square."""

    nargs = 2


def _constants_as_doubles(expr: sympy.Expr) -> sympy.Expr:
    """Each constant that is not a rational (log(2*pi)) as the double nearest it, spelled as
    Python reads it back exactly: the printers would otherwise call array functions on numbers."""
    if expr.is_number and not expr.is_Rational:
        return sympy.Symbol(repr(float(sympy.N(expr, 30))))
    args = [_constants_as_doubles(a) for a in expr.args]
    # Rebuilt only where a constant changed: rebuilding (1/2)*(a + b) would distribute the 1/2.
    return expr.func(*args) if args != list(expr.args) else expr


def _squares_of_sums(expr: sympy.Expr) -> sympy.Expr:
    expr = _constants_as_doubles(expr)
    return expr.replace(lambda n: (isinstance(n, sympy.Pow) and n.exp == 2 and isinstance(n.base, sympy.Add)
                                   and len(n.base.args) == 2 and all(map(is_input, n.base.args))),
                        lambda n: _SquareOfSum(*n.base.args))


class _DeriveFunctions:
    # The precise modules' helpers take what a result needs of them; the plain ones pick it by dtype.
    precision_argument = ", precision"

    def _print_expm1mx(self, expr):
        return self._of_argument("_expm1mx", expr.args[0])

    def _print__SquareOfSum(self, expr):
        a, b = (self._print(term) for term in expr.args)
        return f"_square_of_sum({a}, {b})"

    def _of_argument(self, helper: str, argument: sympy.Expr, precision: str | None = None) -> str:
        """``helper(x, precision)``; for a sum of two terms ``helper_of_sum(a, b, precision)``, which
        keeps the rounding of a + b out of exp."""
        precision = self.precision_argument if precision is None else precision
        if isinstance(argument, sympy.Add) and len(argument.args) == 2:
            a, b = (self._print(term) for term in argument.args)
            return f"{helper}_of_sum({a}, {b}{precision})"
        return f"{helper}({self._print(argument)}{precision})"


class NumpyKernelPrinter(_DeriveFunctions, NumPyPrinter):
    def _print_Max(self, expr):  # sympy's would need functools, which the module does not import
        if len(expr.args) == 2:
            return f"numpy.maximum({self._print(expr.args[0])}, {self._print(expr.args[1])})"
        return super()._print_Max(expr)
    def _print_expm1(self, expr):
        if isinstance(expr.args[0], sympy.Add) and len(expr.args[0].args) == 2:
            return self._of_argument("_expm1", expr.args[0], precision="")
        return super()._print_expm1(expr)


class TorchKernelPrinter(_DeriveFunctions, TorchPrinter):
    def _print_log1p(self, expr):  # sympy 1.14's torch printer has none
        return f"torch.log1p({self._print(expr.args[0])})"
    def _print_Max(self, expr):
        if len(expr.args) == 2 and expr.args[0].is_Number:  # torch.maximum takes no number
            return f"torch.clamp({self._print(expr.args[1])}, min={self._print(expr.args[0])})"
        return super()._print_Max(expr)

    # Note: sympy 1.14's torch printer has no expm1; and the module's own _expm1 keeps its digits
    # under torch.compile, whose torch.expm1 does not.
    def _print_expm1(self, expr):
        return self._of_argument("_expm1", expr.args[0])


class _PlainPowers:
    precision_argument = ""

    def _print_Pow(self, expr):
        # x**2 reads as the formula does (torch.pow(x, 2), numpy.power(x, 2) do not).
        if expr.exp.is_Integer and 1 < expr.exp <= 3:
            return f"{self.parenthesize(expr.base, PRECEDENCE['Pow'])}**{expr.exp}"
        if expr.exp == -1:
            return f"1/{self.parenthesize(expr.base, PRECEDENCE['Mul'])}"
        return super()._print_Pow(expr)


class PlainNumpyPrinter(_PlainPowers, NumpyKernelPrinter):
    precision_argument = ", series"  # numpy computes float32 in float64, with float32's series


class PlainTorchPrinter(_PlainPowers, TorchKernelPrinter):

    def _print_expm1(self, expr):
        # Only eager code calls the printed gradients (torch.compile differentiates the terms), and
        # there torch.expm1 keeps its digits.
        if isinstance(expr.args[0], sympy.Add) and len(expr.args[0].args) == 2:
            return self._of_argument("_expm1", expr.args[0])
        return f"torch.expm1({self._print(expr.args[0])})"


PRINTERS = {"numpy": NumpyKernelPrinter, "torch": TorchKernelPrinter}
PLAIN_PRINTERS = {"numpy": PlainNumpyPrinter, "torch": PlainTorchPrinter}


def print_expression(target: str, expr: sympy.Expr, plain: bool = False) -> str:
    printer = (PLAIN_PRINTERS if plain else PRINTERS)[target]
    return printer({"fully_qualified_modules": True, "strict": True}).doprint(_squares_of_sums(expr))


def print_assignments(target: str, exprs: list[sympy.Expr], plain: bool = False) -> tuple[list[str], list[str]]:
    """Common subexpressions as ``t0 = ...`` lines, and the expressions in terms of them."""
    replacements, reduced = sympy.cse([_squares_of_sums(e) for e in exprs], symbols=sympy.numbered_symbols("t"),
                                      optimizations=None)
    lines = [f"{symbol} = {print_expression(target, value, plain)}" for symbol, value in replacements]
    return lines, [print_expression(target, e, plain) for e in reduced]


class Unsupported(ValueError):
    """An expression that the double-double printer has no arithmetic for."""


def _exact_double(value: sympy.Rational) -> float | None:
    as_float = float(value)
    return as_float if sympy.Rational(as_float) == value else None


def _power_of_two(value: sympy.Rational) -> bool:
    magnitude = abs(value)
    return magnitude.p & (magnitude.p - 1) == 0 and magnitude.q & (magnitude.q - 1) == 0


class _DoubleDouble:
    """Prints an expression in calls of the generated ``_dd_*`` helpers, each of which takes and
    gives pairs (hi, lo) whose sum is the value to about 2^-104. Input symbols become pairs
    through ``_dd``; the names in ``pairs`` already are pairs. Every product, power and function
    gets a line of its own (``lines``); sums and exact scalings nest."""

    def __init__(self, pairs: list[sympy.Symbol]):
        self.pairs = set(pairs)
        self.lines: list[str] = []
        self._count = len(pairs)

    def assign(self, name: sympy.Symbol, expr: sympy.Expr) -> None:
        self.lines.append(f"{name} = {self.print(expr)}")

    def _line(self, text: str) -> str:
        name = f"d{self._count}"
        self._count += 1
        self.lines.append(f"{name} = {text}")
        return name

    def print(self, expr: sympy.Expr) -> str:
        if isinstance(expr, sympy.Symbol):
            return str(expr) if expr in self.pairs else f"_dd({expr})"
        if expr.is_Rational:
            value = _exact_double(expr)
            if value is None:
                raise Unsupported(f"the constant {expr} is not a double")
            return f"({value!r}, 0.0)"
        if isinstance(expr, sympy.Add):
            printed = [self.print(term) for term in expr.args]
            result = printed[0]
            for term in printed[1:]:
                result = f"_dd_add({result}, {term})"
            return result
        if isinstance(expr, sympy.Mul):
            coefficient, rest = expr.as_coeff_Mul()
            if coefficient == -1 and isinstance(rest, sympy.Symbol) and rest not in self.pairs:
                return f"_dd(-{rest})"  # negating a double is exact
            factors = [self.print(factor) for factor in sympy.Mul.make_args(rest)]
            product = factors[0]
            for factor in factors[1:]:
                product = self._line(f"_dd_mul({product}, {factor})")
            if coefficient == 1:
                return product
            if _power_of_two(coefficient):  # exact: both parts scale without rounding
                return f"_dd_scale({product}, {float(coefficient)!r})"
            return self._line(f"_dd_mul({product}, {self.print(coefficient)})")
        if isinstance(expr, sympy.Pow) and expr.exp.is_Integer and expr.exp > 0:
            return self._line(f"_dd_power({self.print(expr.base)}, {int(expr.exp)})")
        if isinstance(expr, sympy.exp):
            return self._line(f"_dd_exp({self.print(expr.args[0])})")
        if isinstance(expr, expm1):
            return self._line(f"_dd_expm1({self.print(expr.args[0])})")
        raise Unsupported(f"no double-double arithmetic for {type(expr).__name__} in {sympy.sstr(expr)}")


def print_double_double(expr: sympy.Expr) -> tuple[list[str], str]:
    """Lines ``d0 = ...`` that compute pairs, and ``expr`` in terms of them: the same expression
    computed in double-double arithmetic (the same text for numpy and torch, whose modules define
    the ``_dd_*`` helpers). Raises Unsupported for what it cannot print."""
    replacements, (reduced,) = sympy.cse([expr], symbols=sympy.numbered_symbols("d", real=True),
                                         optimizations=None)
    printer = _DoubleDouble([symbol for symbol, _ in replacements])
    for symbol, value in replacements:
        printer.assign(symbol, value)
    result = printer.print(reduced)
    return printer.lines, result
