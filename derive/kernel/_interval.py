"""Rigorous enclosures of a real sympy expression over an interval (trusted: the kernel's series rule).

``mpmath.iv`` rounds every endpoint outward, so evaluating the expression tree node by node in
interval arithmetic gives an interval that contains every value the expression takes. Rationals
enter as exact integers divided in interval arithmetic, never through a float (which is why this
is not ``lambdify``). Overestimation (``x - x`` encloses more than 0) stays sound; splitting the
interval into pieces shrinks it.

Every node's enclosure must be bounded, or the expression is ``Unenclosable``. That makes a
finite enclosure mean more than a bound: each node is then analytic on the interval (no pole, no
log or sqrt at or below 0), so formal derivatives of the expression are its true derivatives.
"""

from __future__ import annotations

import contextlib
import functools
import operator
from collections.abc import Iterator

import sympy
from mpmath import iv
from sympy.codegen.cfunctions import expm1

PRECISION = 113  # bits: rounding (about 1e-34) far below the overestimation enclosures have anyway


class Unenclosable(Exception):
    """A node with no rigorous enclosure here: unsupported, unbounded, or outside its domain."""


@contextlib.contextmanager
def precision(bits: int) -> Iterator[None]:
    # mpmath.iv has no workprec (only mpmath.mp has); its precision is a global we restore.
    previous = iv.prec
    try:  # set inside the try: a time limit may interrupt between any two statements
        iv.prec = bits
        yield
    finally:
        iv.prec = previous


def exact(value: sympy.Rational) -> iv.mpf:
    """The tightest interval around a rational: its integers are exact, the division rounds outward."""
    return iv.mpf(int(value.p)) / iv.mpf(int(value.q))


def _positive(node: sympy.Expr, value: iv.mpf) -> iv.mpf:
    if not value.a > 0:
        raise Unenclosable(f"{sympy.sstr(node)}: the argument's enclosure {value} is not positive")
    return value


# Each function with its interval version and whether its argument must be positive.
_FUNCTIONS = {
    sympy.exp: (iv.exp, False),
    sympy.log: (iv.log, True),
    # Note: exp(x) - 1 loses the relative accuracy of expm1 near 0, but stays a rigorous enclosure.
    expm1: (lambda value: iv.exp(value) - 1, False),
}


def _node(expr: sympy.Expr, variable: sympy.Symbol, x: iv.mpf) -> iv.mpf:
    if expr == variable:
        return x
    if isinstance(expr, sympy.Rational):
        return exact(expr)
    if isinstance(expr, sympy.Pow) and isinstance(expr.exp, sympy.Rational) and expr.exp.q in (1, 2):
        base = _enclose(expr.base, variable, x)
        # iv's integer power is the range of t**n, not a product of n copies: over [-1, 2],
        # x**2 is [0, 4], never negative.
        if expr.exp.q == 1:
            return base ** int(expr.exp.p)
        return iv.sqrt(_positive(expr, base)) ** int(expr.exp.p)
    if isinstance(expr, sympy.Pow) and isinstance(expr.exp, sympy.Rational):  # 2**(5/64): exp(5/64 log 2)
        return iv.exp(exact(expr.exp) * iv.log(_positive(expr, _enclose(expr.base, variable, x))))
    if isinstance(expr, (sympy.Add, sympy.Mul)):
        combine = operator.add if isinstance(expr, sympy.Add) else operator.mul
        return functools.reduce(combine, [_enclose(arg, variable, x) for arg in expr.args])
    if type(expr) in _FUNCTIONS and len(expr.args) == 1:
        function, needs_positive = _FUNCTIONS[type(expr)]
        value = _enclose(expr.args[0], variable, x)
        return function(_positive(expr, value) if needs_positive else value)
    raise Unenclosable(f"no interval enclosure for {type(expr).__name__}: {sympy.sstr(expr)}")


def _enclose(expr: sympy.Expr, variable: sympy.Symbol, x: iv.mpf) -> iv.mpf:
    value = _node(expr, variable, x)
    if iv.isinf(value.a) or iv.isinf(value.b):
        raise Unenclosable(f"{sympy.sstr(expr)} is unbounded on {x}")
    return value


def enclose(expr: sympy.Expr, variable: sympy.Symbol, lo: sympy.Rational, hi: sympy.Rational) -> iv.mpf:
    """An interval containing ``expr`` at every ``variable`` in [lo, hi]."""
    with precision(PRECISION):
        return _enclose(expr, variable, iv.mpf([exact(lo).a, exact(hi).b]))


def enclose_on_pieces(expr: sympy.Expr, variable: sympy.Symbol, lo: sympy.Rational,
                      hi: sympy.Rational, pieces: int) -> list[iv.mpf]:
    """Enclosures on ``pieces`` equal sub-intervals of [lo, hi], with exact rational endpoints."""
    step = (hi - lo) / pieces
    return [enclose(expr, variable, lo + k * step, lo + (k + 1) * step) for k in range(pieces)]


def enclose_constant(expr: sympy.Expr, bits: int) -> iv.mpf:
    """An interval containing the real constant ``expr``, computed at ``bits`` bits."""
    with precision(bits):
        return _enclose(expr, sympy.Dummy(), iv.mpf(0))
