"""Numeric witnesses: seeded sample points from declared domains, and high-precision evaluation.

Nothing here decides a verdict. The kernel asks for points and values and judges them itself.

A point gives every free symbol a value drawn from the domain its assumptions declare
(positive, real, integer, complex, ...); indexed elements (``s[3]``) and undefined functions
(``p(x)``) get values on demand, so a ``Sum`` up to a symbolic ``k`` is evaluated at a concrete
``k`` with a value for every element it touches. Values are short decimals held as exact
rationals, so a counterexample reads well and is evaluated without rounding its inputs.
"""

from __future__ import annotations

import decimal
import functools
import random
from dataclasses import dataclass, field

import mpmath
import sympy
from sympy.core.assumptions import _assume_defined
from sympy.core.function import AppliedUndef

# Every fact sympy knows of: a drawn value must agree with the symbol on each one it decides.
_FACTS = tuple(sorted(_assume_defined))
# Magnitudes are spread over three decades on either side of 1: wide enough to leave (0, 1),
# narrow enough that a Gaussian integrand is still resolved by quadrature.
_LOG10_SPREAD = 1.5
_INTEGER_MAGNITUDE = 6
_DRAWS_PER_VALUE = 200
# Far enough out that any integrand of the sampled scales has decayed, if it decays at all.
_TAIL = 10**4
# The kernel compares values to dps // 2 digits. A quadrature must be ten times more accurate
# than that (its estimated error at most a tenth of the tolerance), computed with a few guard
# digits; asking for more only buys levels of nodes, about half of all quadrature time.
_QUADRATURE_ACCURACY_DIGITS = 1
_QUADRATURE_GUARD_DIGITS = 3


class UnsupportedDomain(Exception):
    """No value could be drawn that satisfies a symbol's assumptions."""


def is_operator(node: sympy.Basic) -> bool:
    """An unevaluated object that binds variables: an integral, a sum, a product, an expectation."""
    return isinstance(node, (sympy.Integral, sympy.Sum, sympy.Product)) or getattr(
        node, "is_derive_operator", False
    )


def _draw_candidate(rng: random.Random, target: sympy.Basic) -> sympy.Expr:
    def magnitude() -> sympy.Rational:
        return sympy.Rational(f"{10 ** rng.uniform(-_LOG10_SPREAD, _LOG10_SPREAD):.4g}")

    def signed(value: sympy.Expr) -> sympy.Expr:
        if target.is_nonnegative or target.is_positive:
            return value
        if target.is_nonpositive or target.is_negative:
            return -value
        return value if rng.random() < 0.5 else -value

    if target.is_integer:
        return signed(sympy.Integer(rng.randint(1, _INTEGER_MAGNITUDE)))
    if target.is_real:
        return signed(magnitude())
    return signed(magnitude()) + sympy.I * (magnitude() if rng.random() < 0.5 else -magnitude())


def _satisfies(value: sympy.Expr, target: sympy.Basic) -> bool:
    for fact in _FACTS:
        declared = getattr(target, f"is_{fact}")
        if declared is not None and getattr(value, f"is_{fact}") is not declared:
            return False
    return True


def draw_value(target: sympy.Basic, key: str) -> sympy.Expr:
    """A value for ``target`` (a symbol or an indexed element) that satisfies its assumptions."""
    rng = random.Random(key)
    for _ in range(_DRAWS_PER_VALUE):
        value = _draw_candidate(rng, target)
        if _satisfies(value, target):
            return value
    raise UnsupportedDomain(f"cannot draw a value for {target} with its assumptions")


def _assumption_tag(target: sympy.Basic) -> str:
    facts = sorted(f for f in _FACTS if getattr(target, f"is_{f}") is True)
    return ",".join(facts)


@dataclass(frozen=True)
class Point:
    """One seeded sample: values for free symbols now, for indexed elements and functions on demand."""

    seed: str
    values: tuple[tuple[sympy.Basic, sympy.Expr], ...]
    edge: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def value_of(self, target: sympy.Basic) -> sympy.Expr:
        for symbol, value in self.values:
            if symbol == target:
                return value
        if target not in self.extra:
            self.extra[target] = draw_value(target, f"{self.seed}|{target}|{_assumption_tag(target)}")
        return self.extra[target]

    def function_instance(self, application: AppliedUndef) -> sympy.Lambda:
        """A smooth, decaying stand-in for an undefined function, of the sign it declares."""
        name = application.func.__name__
        if (name, "function") in self.extra:
            return self.extra[(name, "function")]
        arity = len(application.args)
        rng = random.Random(f"{self.seed}|function|{name}|{arity}")
        args = sympy.symbols(f"_a0:{arity}", real=True)

        def draw(lo: float, hi: float) -> sympy.Rational:
            return sympy.Rational(f"{rng.uniform(lo, hi):.3g}")

        bump = sympy.exp(-sum((a - draw(-1, 1)) ** 2 / (2 * draw(0.5, 2) ** 2) for a in args))
        if application.is_positive:
            body = draw(0.5, 2) * bump
        elif application.is_real:
            body = (draw(-2, 2) + sum(draw(-1, 1) * a for a in args)) * bump
        else:
            body = (draw(-2, 2) + sympy.I * draw(-2, 2)) * bump
        instance = sympy.Lambda(args, body)
        self.extra[(name, "function")] = instance
        return instance

    def assignment(self) -> dict[str, str]:
        """Every value this point gave out, for a counterexample report."""
        shown = {str(s): _show(v) for s, v in self.values}
        for target, value in self.extra.items():
            if isinstance(target, tuple):
                shown[f"{target[0]}(...)"] = str(value)
            else:
                shown[str(target)] = _show(value)
        return dict(sorted(shown.items()))


def _show(value: sympy.Expr) -> str:
    """Sample values are short decimals held as rationals; show them as the decimals they are."""
    real, imag = value.as_real_imag()
    text = _decimal(real)
    if imag != 0:
        text += f" {'-' if imag < 0 else '+'} {_decimal(abs(imag))}*I"
    return text


def _decimal(value: sympy.Rational) -> str:
    if value.is_Integer:
        return str(value)
    return str(decimal.Decimal(int(value.p)) / decimal.Decimal(int(value.q)))


def scalar_symbols(expr: sympy.Basic) -> set[sympy.Symbol]:
    """Free symbols that take values: not the labels of indexed families (``s`` in ``s[i]``),
    whose elements get values of their own."""
    labels = {i.base.label for i in expr.atoms(sympy.Indexed)}
    return {s for s in expr.free_symbols if isinstance(s, sympy.Symbol) and s not in labels}


def sample_points(exprs: list[sympy.Basic], seed: int, count: int) -> list[Point]:
    symbols: set[sympy.Symbol] = set()
    for expr in exprs:
        symbols |= scalar_symbols(expr)
    ordered = sorted(symbols, key=lambda s: (str(s), _assumption_tag(s)))
    points = []
    for index in range(count):
        key = f"derive:{seed}:{index}"
        values = tuple(
            (s, draw_value(s, f"{key}|{s}|{_assumption_tag(s)}")) for s in ordered
        )
        points.append(Point(seed=key, values=values))
    return points


class Inconclusive(Exception):
    """This point says nothing: the value is not accurate enough, or has a shape not evaluated."""


class Undefined(Inconclusive):
    """The expression has no finite value at this point (a pole, nan, an infinity)."""


@functools.lru_cache(maxsize=2048)
def evaluate(expr: sympy.Basic, point: Point, dps: int, *, careful: bool = False) -> sympy.Expr:
    """``expr`` at ``point`` as a sympy number with about ``dps`` correct digits.

    Cached: in a derivation each stated expression is the next step's previous expression, and
    points depend only on the symbols, so every value is computed once.

    Order matters: function stand-ins and symbolic operators (derivatives, expectations) go
    first, while their variables are still symbols; then numbers go in, finite sums unroll,
    indexed elements get values, and integrals are done by quadrature.
    """
    e = expr
    if e.atoms(AppliedUndef):
        e = e.replace(lambda n: isinstance(n, AppliedUndef), lambda n: point.function_instance(n)(*n.args))
    e = _symbolic_operators_done(e)
    e = e.xreplace({s: point.value_of(s) for s in scalar_symbols(e)})
    # Shallow: a deep doit would integrate symbolically any Integral inside the summand.
    e = e.replace(lambda n: isinstance(n, (sympy.Sum, sympy.Product)), lambda n: n.doit(deep=False))
    indexed = e.atoms(sympy.Indexed)
    if indexed:
        e = e.xreplace({i: point.value_of(i) for i in indexed})
    e = e.replace(lambda n: isinstance(n, sympy.Integral), lambda n: _quadrature(n, dps))
    if isinstance(e, sympy.MatrixBase):
        return e.applyfunc(lambda entry: _number(entry, dps))
    return _number(e, dps)


@functools.lru_cache(maxsize=1024)
def _symbolic_operators_done(expr: sympy.Basic) -> sympy.Basic:
    """Derivatives and expectation operators evaluated while their variables are still symbols."""
    return expr.replace(
        lambda n: isinstance(n, sympy.Derivative) or getattr(n, "is_derive_operator", False),
        lambda n: n.doit(),
    )


def _number(e: sympy.Expr, dps: int) -> sympy.Expr:
    value = sympy.sympify(e).evalf(dps)
    if value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        raise Undefined(f"not a finite number: {value}")
    if not value.is_number:
        raise Inconclusive(f"not a number: {value}")
    real, imag = value.as_real_imag()
    if not (real.is_Float or real.is_zero) or not (imag.is_Float or imag.is_zero):
        raise Inconclusive(f"not a finite number: {value}")
    return value


@functools.lru_cache(maxsize=4096)
def _quadrature(integral: sympy.Integral, dps: int) -> sympy.Float:
    """A one-dimensional definite integral with numeric parameters, by tanh-sinh quadrature.

    Breakpoints go where a linear factor ``x - c`` of the integrand vanishes: a Gaussian peaks at
    its mean, and a quadrature that never samples the peak returns 0 with a tiny error estimate.
    Over an infinite range the integrand must have decayed far out, or the integral may diverge.
    """
    if len(integral.limits) != 1 or len(integral.limits[0]) != 3:
        raise Inconclusive("only one-dimensional definite integrals are evaluated numerically")
    variable, lower, upper = integral.limits[0]
    body = integral.function
    if body.free_symbols - {variable}:
        raise Inconclusive(f"integral has free symbols after substitution: {body.free_symbols}")
    working_digits = dps // 2 + _QUADRATURE_GUARD_DIGITS
    with mpmath.workdps(working_digits):
        lo, hi = (mpmath.mpmathify(sympy.N(b, dps + 5)) if b.is_finite else
                  (mpmath.inf if b == sympy.oo else -mpmath.inf) for b in (lower, upper))
        cuts = set()
        for node in body.atoms(sympy.Add):
            if node.has(variable) and node.is_polynomial(variable) and sympy.degree(node, variable) == 1:
                root = -node.coeff(variable, 0) / node.coeff(variable, 1)
                if root.is_real:
                    cuts.add(mpmath.mpf(sympy.N(root, dps + 5)))
        nodes = [lo, *sorted(c for c in cuts if lo < c < hi), hi]
        # Constants folded to floats and common subexpressions shared: the integrand is called
        # hundreds of times per integral, and this more than halves the cost.
        f = sympy.lambdify(variable, _constants_folded(body, working_digits), modules="mpmath", cse=True)
        try:
            for far, infinite in ((mpmath.mpf(-_TAIL), lo == -mpmath.inf), (mpmath.mpf(_TAIL), hi == mpmath.inf)):
                if infinite and abs(f(far)) > mpmath.mpf(10) ** (-dps):
                    raise Inconclusive(f"integrand has not decayed at x = {far}: the integral may diverge")
            value, error = mpmath.quad(f, nodes, error=True, maxdegree=8)
        except (ZeroDivisionError, ValueError, OverflowError) as exc:
            raise Inconclusive(f"quadrature failed: {exc}") from None
        if not mpmath.isfinite(value) or error > mpmath.mpf(10) ** (-(dps // 2 + _QUADRATURE_ACCURACY_DIGITS)) * max(1, abs(value)):
            raise Inconclusive(f"quadrature not accurate enough (error {mpmath.nstr(error, 3)})")
        return sympy.Float(value, dps) if mpmath.im(value) == 0 else sympy.sympify(value)


def _constants_folded(expr: sympy.Expr, digits: int) -> sympy.Expr:
    """Every constant subexpression as one float: ``evalf`` leaves the rationals inside an
    ``exp`` and powers such as ``pi**(-1/2)``, which the integrand would recompute per call.
    The constant terms of a sum (or factors of a product) are evaluated together, by evalf's
    adaptive precision, so that constants that cancel (10**13*pi - 31415926535897) keep their
    digits. Integers stay, so that ``x**2`` remains an integer power."""
    if expr.is_Integer or expr.is_Float:
        return expr
    if expr.is_number:
        return expr.evalf(digits)
    if not expr.args:
        return expr
    if expr.is_Add or expr.is_Mul:
        constant, variable = sympy.sift(expr.args, lambda arg: arg.is_number, binary=True)
        folded = [_constants_folded(arg, digits) for arg in variable]
        if constant:
            folded.append(expr.func(*constant).evalf(digits))
        return expr.func(*folded)
    return expr.func(*(_constants_folded(arg, digits) for arg in expr.args))
