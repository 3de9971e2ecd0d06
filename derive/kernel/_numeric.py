"""Numeric witnesses: seeded sample points from declared domains, and high-precision evaluation.

Nothing here decides a verdict. The kernel asks for points and values and judges them itself.

Points. ``sample_points`` gives first the *edge* points, then seeded random ones. Edge point j
gives every symbol (and every indexed element or sum bound met on demand) the j-th value of its
domain's edge list: integers from their smallest allowed value up (0, 1, 2, 3 for nonnegative
ones), reals at 0, +-1, +-10**-6 and +-10**6 as their signs allow, complex symbols at 0, 1, I,
1 + I, ... (shorter lists cycle), so that a claim false only at a domain's edge is caught.
Random points draw short decimals (exact rationals) spread over three decades around 1 and
integers from a band by the point's index: 1 .. 6, 7 .. 40, 41 .. 1000, and on every other point
10**3 .. 10**9 log-uniform (bounds of sums over 1 .. 60). Undefined functions get smooth decaying
stand-ins that have every fact the function declares (a sign, nonzero, real).

Evaluation is independent of sympy's symbolic evaluation: an expression is compiled once into
an mpmath function (``lambdify``) of holes, each filled by a symbol's value, an indexed element,
a stand-in, a constant or an operator node; no ``doit``, ``integrate``, ``summation`` or
``diff`` is ever called:

* derivatives of first order by a complex step, Im f(x + ih) / h (no difference of values, so
  a term far larger than the slope costs no digits), others by central differences at raised
  precision as ``mpmath.diff`` takes them; also with respect to an indexed element (mu1[j]);
* integrals by Gauss-Legendre, else tanh-sinh, quadrature on segments cut at the critical
  points of polynomial exponents and 4 widths either side, at the ends where an exponent
  falls, at real roots of denominators, log and Abs arguments and linear factors, at the real
  parts of complex poles; long segments are graded geometrically from their ends; divergence
  is detected (|x f(x)| not decaying far out, h |f(c +- h)| not vanishing at a pole);
* finite sums and products term by term; infinite sums by two different accelerations that
  must agree, after checking that the terms tend to 0;
* ``GaussianExpectation`` by tensor-product Gauss-Hermite quadrature in z (x = mean + L z),
  exact for polynomials, node counts raised until two successive ones agree otherwise.

A value is returned only when it is reliable to dps // 2 + 1 digits: the expression is
evaluated once more in interval arithmetic (mpmath.iv), every integral, series and expectation
entering as value +- its error estimate, and the enclosure must be that narrow; the working
precision rises while it is not. Where intervals cannot follow (a comparison, a function iv
lacks) two precisions must agree, and a pass with every operator moved by its error must too.
Otherwise ``Inconclusive``; a value that does not exist at the point (a pole, log 0, a
divergent integral or series) is ``Undefined``. ``careful=True`` (to confirm a refutation)
takes every operator by another method: tanh-sinh first with finer segments and a scan for
peaks, other series accelerations, more Gauss-Hermite nodes, another differentiation step.
"""

from __future__ import annotations

import builtins
import contextlib
import decimal
import functools
import itertools
import math
import random
import types
from collections import OrderedDict
from dataclasses import dataclass, field

import mpmath
import sympy
from mpmath import mpc, mpf
from mpmath.libmp import NoConvergence as _NoConvergence
from sympy.core.assumptions import _assume_defined
from sympy.core.function import AppliedUndef
from sympy.printing.pycode import MpmathPrinter

from . import _certificate

# Every fact sympy knows of: a drawn value must agree with the symbol on each one it decides.
_FACTS = tuple(sorted(_assume_defined))
# Random magnitudes are spread over three decades on either side of 1.
_LOG10_SPREAD = 1.5
_DRAWS_PER_VALUE = 200
# The magnitude band of a random integer, by the point's index: half the points reach through
# every decade up to 10**9 (log-uniform), so that a claim false only past some threshold
# (floor(n/1000) mod 4 = 2, say) meets one; the others are small, a few dozen, or up to 1000.
_INTEGER_BANDS = ((1, 6), (10**3, 10**9), (7, 40), (10**3, 10**9),
                  (41, 10**3), (10**3, 10**9), (1, 6), (10**3, 10**9))
# An integer that bounds a sum or product stays below these, so that the sum is evaluable
# (and below the smaller one when each term is itself an integral, a sum or an expectation).
_SUM_BOUND_MAX, _HEAVY_SUM_BOUND_MAX = 60, 12
_TINY, _HUGE = sympy.Rational(1, 10**6), sympy.Integer(10**6)
_EDGE_INTEGERS = 4

# Working precision of elementwise arithmetic: dps plus guard digits; a second pass adds
# _PASS_STEP digits (doubling the step while the passes disagree) up to _MAX_DIGITS.
_GUARD_DIGITS = 10
_PASS_STEP = 15
_MAX_DIGITS = 500
# Direct summation: at most this many terms in one sum, and this much work in one evaluation.
_MAX_TERMS = 10**4
_MAX_WORK = 4 * 10**5
# Gauss-Hermite: largest node count per dimension, and largest tensor grid.
_MAX_HERMITE_NODES = {1: 80, 2: 30, 3: 14}
_MAX_HERMITE_GRID = 6000


class UnsupportedDomain(Exception):
    """No value could be drawn that satisfies a symbol's assumptions."""


class Inconclusive(Exception):
    """This point says nothing: the witness cannot evaluate the expression reliably here."""


class Undefined(Inconclusive):
    """The expression has no finite value at this point (a pole, log 0, nan or an infinity, an
    integral or series that diverges there); the message says which and where."""


def is_operator(node: sympy.Basic) -> bool:
    """An unevaluated object that binds variables: an integral, a sum, a product, an expectation."""
    return isinstance(node, (sympy.Integral, sympy.Sum, sympy.Product)) or getattr(
        node, "is_derive_operator", False
    )


# ----------------------------------------------------------------------------------------------
# Domains and sample points
# ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _declared_of(target: sympy.Basic) -> tuple[tuple[str, bool], ...]:
    facts = []
    for fact in _FACTS:
        value = getattr(target, f"is_{fact}")
        if value is not None:
            facts.append((fact, value))
    return tuple(facts)


_ELEMENT = sympy.Symbol("_element")


@functools.lru_cache(maxsize=1024)
def _representative(base: sympy.IndexedBase) -> sympy.Indexed:
    return base[_ELEMENT]


def _declared(target: sympy.Basic) -> tuple[tuple[str, bool], ...]:
    """The facts a target's assumptions decide, (fact, True/False) pairs; an indexed element
    has its family's (asked of one representative element)."""
    if isinstance(target, sympy.Indexed):
        target = _representative(target.base)
    return _declared_of(target)


def _kind(value: sympy.Expr):
    """What decides a drawn value's facts: an integer's value, a rational's sign, a complex
    number's parts' signs and integrality."""
    if value.is_Integer:
        return value
    if value.is_Rational:
        return ("rational", value > 0)
    real, imag = value.as_real_imag()
    return ("complex", bool(real > 0), bool(real < 0), bool(imag > 0), bool(imag < 0), real.is_Integer, imag.is_Integer)


def _satisfies(value: sympy.Expr, target: sympy.Basic) -> bool:
    return _satisfies_cached(_kind(value), value, _declared(target))


_SATISFIES: dict = {}


def _satisfies_cached(kind, value, declared) -> bool:
    """Facts of a drawn value depend on its kind only: ask sympy once per kind and domain."""
    key = (kind, declared)
    hit = _SATISFIES.get(key)
    if hit is None:
        hit = _SATISFIES[key] = all(getattr(value, f"is_{fact}") is want for fact, want in declared)
    return hit


def _assumption_tag(target: sympy.Basic) -> str:
    return ",".join(sorted(fact for fact, value in _declared(target) if value))


def _integer_magnitude(rng: random.Random, cap: int | None, band: int) -> int:
    lo, hi = _INTEGER_BANDS[band % len(_INTEGER_BANDS)]
    m = rng.randint(lo, hi) if hi <= 40 else int(10 ** rng.uniform(math.log10(lo), math.log10(hi + 1)))
    if cap is not None and m > cap:
        m = rng.randint(1, cap)
    return m


def _draw_candidate(rng: random.Random, facts: dict, cap: int | None, band: int) -> sympy.Expr:
    def magnitude() -> sympy.Rational:
        return sympy.Rational(f"{10 ** rng.uniform(-_LOG10_SPREAD, _LOG10_SPREAD):.4g}")

    def signed(value: sympy.Expr) -> sympy.Expr:
        if facts.get("nonnegative") or facts.get("positive"):
            return value
        if facts.get("nonpositive") or facts.get("negative"):
            return -value
        return value if rng.random() < 0.5 else -value

    if facts.get("integer"):
        return signed(sympy.Integer(_integer_magnitude(rng, cap, band)))
    if facts.get("real"):
        return signed(magnitude())
    return signed(magnitude()) + sympy.I * (magnitude() if rng.random() < 0.5 else -magnitude())


def draw_value(target: sympy.Basic, key: str, integer_cap: int | None = None, band: int = 0) -> sympy.Expr:
    """A random value for ``target`` (a symbol or an indexed element) that satisfies its
    assumptions; an integer from the magnitude band ``band`` (the random point's index)."""
    rng = random.Random(key)
    facts = dict(_declared(target))
    for _ in range(_DRAWS_PER_VALUE):
        value = _draw_candidate(rng, facts, integer_cap, band)
        if _satisfies(value, target):
            return value
    raise UnsupportedDomain(f"cannot draw a value for {target} with its assumptions")


def _integer_edge_candidates(target: sympy.Basic):
    if target.is_nonnegative:
        return itertools.count(0)
    if target.is_positive:
        return itertools.count(1)
    if target.is_nonpositive:
        return (-n for n in itertools.count(0))
    if target.is_negative:
        return (-n for n in itertools.count(1))
    return (sign * n for n in itertools.count(0) for sign in ((1,) if n == 0 else (1, -1)))


@functools.lru_cache(maxsize=1024)
def _edge_list(declared: tuple, target: sympy.Basic) -> tuple[sympy.Expr, ...]:
    if target.is_integer:
        wanted = _EDGE_INTEGERS + (0 if (target.is_nonnegative or target.is_nonpositive
                                         or target.is_positive or target.is_negative) else 1)
        values = []
        for n in itertools.islice(_integer_edge_candidates(target), 2000):
            if _satisfies(sympy.Integer(n), target):
                values.append(sympy.Integer(n))
                if len(values) == wanted:
                    break
        return tuple(values)
    if target.is_real:
        candidates = (0, 1, -1, _TINY, -_TINY, _HUGE, -_HUGE)
        if target.is_nonnegative or target.is_positive:
            candidates = (0, _TINY, 1, _HUGE)
        elif target.is_nonpositive or target.is_negative:
            candidates = (0, -_TINY, -1, -_HUGE)
    else:
        i = sympy.I
        candidates = (0, 1, i, 1 + i, -1, -i, _TINY * (1 + i), _HUGE * (1 - i))
    return tuple(v for v in map(sympy.sympify, candidates) if _satisfies(v, target))


def edge_values(target: sympy.Basic) -> tuple[sympy.Expr, ...]:
    """The edge values of ``target``'s domain, lower bound first (empty if none satisfies it)."""
    return _edge_list(_declared(target), target if not isinstance(target, sympy.Indexed)
                      else target.base[_ELEMENT])


def _edge_value(target: sympy.Basic, index: int, seed: str) -> sympy.Expr:
    values = edge_values(target)
    if not values:  # a domain without exact edges (irrational, say): a random value, if any
        return draw_value(target, f"{seed}|{target}|{_assumption_tag(target)}")
    return values[index % len(values)]


def _finite_symbol(**facts) -> sympy.Symbol:
    return sympy.Symbol("_stand_in", finite=True, **facts)


# The stand-ins Point.function_instance builds, most general first, each with a symbol that has
# exactly the facts its values have (at real arguments): the first whose symbol has every fact a
# function declares stands in for it. The zero function is not among them: it has every fact of
# an integer-valued function too, but would witness anything true of 0 alone; it stands in for a
# function declared zero only.
_STAND_IN_KINDS = (
    ("complex", _finite_symbol()),
    ("real", _finite_symbol(real=True)),
    ("real nonzero", _finite_symbol(real=True, nonzero=True)),
    ("nonnegative", _finite_symbol(nonnegative=True)),
    ("nonpositive", _finite_symbol(nonpositive=True)),
    ("positive", _finite_symbol(positive=True)),
    ("negative", _finite_symbol(negative=True)),
)


@functools.lru_cache(maxsize=8192)
def _indexed_element(base: sympy.IndexedBase, indices: tuple[int, ...]) -> sympy.Indexed:
    return sympy.Indexed(base, *indices)


_ON_DEMAND: OrderedDict = OrderedDict()
_ON_DEMAND_SIZE = 50000


def _on_demand(seed: str, edge: bool, edge_index: int, band: int, target: sympy.Basic) -> sympy.Expr:
    """The value a point with this seed gives ``target`` on demand: a function of these alone,
    so points of different claims with the same seed share it (drawn once)."""
    key = (seed, edge, edge_index, band, target)
    value = _ON_DEMAND.get(key)
    if value is None:
        if edge:
            value = _edge_value(target, edge_index, seed)
        else:
            value = draw_value(target, f"{seed}|{target}|{_assumption_tag(target)}", band=band)
        _ON_DEMAND[key] = value
        if len(_ON_DEMAND) > _ON_DEMAND_SIZE:
            _ON_DEMAND.popitem(last=False)
    return value


@dataclass(frozen=True)
class Point:
    """One sample: values for free symbols now, for indexed elements and functions on demand.

    ``edge``: an edge point, whose on-demand values are the ``edge_index``-th edge values of
    their domains; otherwise on-demand values are drawn from ``seed``, integers from the
    magnitude band ``band``."""

    seed: str
    values: tuple[tuple[sympy.Basic, sympy.Expr], ...]
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    edge: bool = False
    edge_index: int = 0
    band: int = 0
    _elements: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    _given: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def value_of(self, target: sympy.Basic) -> sympy.Expr:
        given = self._given
        if len(given) != len(self.values):
            given.update(self.values)
        value = given.get(target)
        if value is not None:
            return value
        value = self.extra.get(target)
        if value is None:
            value = self.extra[target] = _on_demand(self.seed, self.edge, self.edge_index, self.band, target)
        return value

    def element(self, base: sympy.IndexedBase, indices: tuple[int, ...]) -> sympy.Expr:
        """``value_of(base[indices])``, without building the element when it is known."""
        value = self._elements.get((base, indices))
        if value is None:
            value = self._elements[(base, indices)] = self.value_of(_indexed_element(base, indices))
        return value

    def function_instance(self, application: AppliedUndef) -> sympy.Lambda:
        """A smooth, decaying stand-in for an undefined function that has every fact the
        function declares (a sign, nonzero, real, ...); Inconclusive when no stand-in here does
        (an integer-valued function, say)."""
        name = application.func.__name__
        if (name, "function") in self.extra:
            return self.extra[(name, "function")]
        declared = _declared_of(application)
        kind = "zero" if ("zero", True) in declared else next(
            (kind for kind, representative in _STAND_IN_KINDS
             if all(getattr(representative, f"is_{fact}") is want for fact, want in declared)), None)
        if kind is None:
            raise Inconclusive(f"no smooth stand-in for {name} has all of its declared facts")
        arity = len(application.args)
        rng = random.Random(f"{self.seed}|function|{name}|{arity}")
        args = sympy.symbols(f"_a0:{arity}", real=True)

        def draw(lo: float, hi: float) -> sympy.Rational:
            return sympy.Rational(f"{rng.uniform(lo, hi):.3g}")

        bump = sympy.exp(-sum((a - draw(-1, 1)) ** 2 / (2 * draw(0.5, 2) ** 2) for a in args))
        # A linear factor gives the real kinds a zero (and both signs) inside the bump.
        linear = draw(-1, 1) + sum(draw(-1, 1) * a for a in args)
        body = {
            "zero": sympy.S.Zero,
            "positive": draw(0.5, 2) * bump,
            "negative": -draw(0.5, 2) * bump,
            "nonnegative": linear**2 * bump,
            "nonpositive": -(linear**2) * bump,
            "real nonzero": (draw(0.5, 2) if rng.random() < 0.5 else -draw(0.5, 2)) * bump,
            "real": linear * bump,
            "complex": (linear + sympy.I * draw(-2, 2)) * bump,
        }[kind]
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


@functools.lru_cache(maxsize=8192)
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


def _contains_operator(expr: sympy.Basic) -> bool:
    return any(_is_numeric_operator(n) for n in sympy.preorder_traversal(expr))


def _integer_caps(exprs: list[sympy.Basic]) -> dict[sympy.Symbol, int]:
    """Integer symbols that bound a sum or product, with the largest value they may take."""
    caps: dict[sympy.Symbol, int] = {}
    for expr in exprs:
        for node in sympy.preorder_traversal(expr):
            if isinstance(node, (sympy.Sum, sympy.Product)):
                cap = _HEAVY_SUM_BOUND_MAX if _contains_operator(node.function) else _SUM_BOUND_MAX
                for limit in node.limits:
                    for bound in limit[1:]:
                        for s in bound.free_symbols:
                            caps[s] = min(caps.get(s, cap), cap)
    return caps


def sample_points(exprs: list[sympy.Basic], seed: int, count: int) -> list[Point]:
    """The edge points (edge=True), then ``count`` seeded random points. Deterministic."""
    symbols: set[sympy.Symbol] = set()
    families: dict[sympy.Basic, sympy.Basic] = {}
    for expr in exprs:
        symbols |= scalar_symbols(expr)
        for element in expr.atoms(sympy.Indexed):
            families.setdefault(element.base, element)
    ordered = sorted(symbols, key=lambda s: (str(s), _assumption_tag(s)))
    caps = _integer_caps(exprs)
    targets = ordered + sorted(families.values(), key=str)
    edge_count = max((len(edge_values(t)) for t in targets), default=1) or 1
    points = []
    for index in range(edge_count):
        key = f"derive:{seed}:edge{index}"
        values = tuple((s, _edge_value(s, index, key)) for s in ordered)
        points.append(Point(seed=key, values=values, edge=True, edge_index=index))
    for index in range(count):
        key = f"derive:{seed}:{index}"
        values = tuple((s, draw_value(s, f"{key}|{s}|{_assumption_tag(s)}", caps.get(s), index)) for s in ordered)
        points.append(Point(seed=key, values=values, band=index))
    return points



# ----------------------------------------------------------------------------------------------
# Compilation: an expression as one function of holes, each hole filled by a provider (a
# symbol's value, an indexed element, an undefined function's stand-in, a constant, or an
# operator node). The function exists twice: in mpmath numbers, and in mpmath's interval
# arithmetic (iv), which encloses every rounding error; the interval pass is how a value is
# known to be reliable.
# ----------------------------------------------------------------------------------------------

_IV = mpmath.iv


@contextlib.contextmanager
def _working_digits(context, digits: int):
    """mpmath's workdps, for the interval context too (which has none)."""
    saved = context.prec
    context.dps = digits
    try:
        yield
    finally:
        context.prec = saved


class _NoInterval(Exception):
    """The interval pass cannot follow this expression (a comparison, an unsupported function,
    a logarithm of a negative interval); the reliability check falls back to two precisions."""


def _expm1mx(x):
    """exp(x) - 1 - x with the digits that cancel near 0 restored by extra precision."""
    if x == 0:
        return mpf(0)
    extra = max(0, -2 * mpmath.mag(x)) + 10
    with mpmath.extraprec(extra):
        value = mpmath.expm1(x) - x
    return +value


def _kronecker(a, b):
    return mpf(1) if a == b else mpf(0)


def _point_integer(x):
    """The integer an exact interval holds, else _NoInterval."""
    if isinstance(x, (int, mpf)):
        if x == int(x):
            return int(x)
    elif getattr(x, "a", None) is not None and x.a == x.b and x.a == int(x.a):
        return int(x.a)
    raise _NoInterval("not an exact integer")


def _binomial_exact(n, k):
    n, k = _point_integer(n), _point_integer(k)
    if k < 0:
        return _IV.mpf(0)
    numerator = 1
    for i in range(k):
        numerator *= n - i
    return _IV.mpf(numerator // math.factorial(k))


def _fac2_exact(n):
    n = _point_integer(n)
    if n < -1:
        raise _NoInterval("double factorial of a negative integer")
    value = 1
    while n > 1:
        value *= n
        n -= 2
    return _IV.mpf(value)


def _kronecker_exact(a, b):
    return _IV.mpf(1 if _point_integer(a) == _point_integer(b) else 0)


def _expm1mx_iv(x):
    return _IV.expm1(x) - x


_MP_NAMESPACE = {"_expm1mx": _expm1mx, "_kronecker": _kronecker, "binomial": mpmath.binomial,
                 "fac2": mpmath.fac2, "mpmath": mpmath}
_IV_FUNCTIONS = ("exp", "log", "sqrt", "sin", "cos", "tan", "cot", "sec", "csc", "sinc", "gamma",
                 "loggamma", "rgamma", "erf", "erfc", "expm1", "log1p", "factorial", "power", "root",
                 "log10", "atan2", "sign", "pi", "e", "euler", "mpf", "mpc")
_IV_NAMESPACE = {name: getattr(_IV, name) for name in _IV_FUNCTIONS}
_IV_NAMESPACE.update({"_expm1mx": _expm1mx_iv, "_kronecker": _kronecker_exact, "binomial": _binomial_exact,
                      "fac2": _fac2_exact, "mpmath": mpmath})
_IV_GLOBALS = {**_IV_NAMESPACE, "__builtins__": builtins}
# Nodes the interval pass must not see: Python compares intervals three-valuedly.
_NO_INTERVAL_NODES = (sympy.core.relational.Relational, sympy.Piecewise, sympy.Heaviside, sympy.Min,
                      sympy.Max, sympy.floor, sympy.ceiling, sympy.frac, sympy.Mod)


class _Printer(MpmathPrinter):
    """mpmath code; binomial as mpmath's (not a quotient of gammas, which has poles)."""

    def _print_binomial(self, e):
        return f"binomial({self._print(e.args[0])}, {self._print(e.args[1])})"

    def _print_factorial2(self, e):
        return f"fac2({self._print(e.args[0])})"

    def _print_expm1mx(self, e):
        return f"_expm1mx({self._print(e.args[0])})"

    def _print_KroneckerDelta(self, e):
        return f"_kronecker({self._print(e.args[0])}, {self._print(e.args[1])})"


def _printer() -> _Printer:
    return _Printer({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
                     "user_functions": {}})


def _lambdify(holes, body, namespace, repeated: bool = False):
    """``body`` as a Python function of ``holes``, plain symbols named _h0, _h1, ... (with Dummy
    arguments lambdify would substitute each one into the body in turn). Common subexpressions
    are computed once where the body is large, or ``repeated`` (an integrand, a summand: called
    at many nodes)."""
    return sympy.lambdify(holes, body, modules=[namespace], printer=_printer(),
                          cse=repeated or sympy.count_ops(body) > 40, docstring_limit=0)


_NONFINITE = (sympy.S.NaN, sympy.S.ComplexInfinity, sympy.S.Infinity, sympy.S.NegativeInfinity)


def _is_numeric_operator(node: sympy.Basic) -> bool:
    return is_operator(node) or isinstance(node, (sympy.Derivative, sympy.Subs))


def _rational(value: sympy.Expr, number):
    """A sympy rational (or Float) as a number of the kind ``number`` makes (mpf or interval)."""
    if value.is_Integer:
        return number(int(value))
    if value.is_Rational:
        return number(int(value.p)) / int(value.q)
    if value.is_Float:
        return number(mpf(value._mpf_))
    raise Inconclusive(f"not a number: {value}")


def _as_number(value: sympy.Expr, interval: bool):
    """A sympy number at the current precision, never through a float; an interval encloses it."""
    number = _IV.mpf if interval else mpf
    value = sympy.sympify(value)
    if value.is_Rational or value.is_Float:
        return _rational(value, number)
    real, imag = value.as_real_imag()
    re, im = _rational(real, number), _rational(imag, number)
    if interval:
        return _IV.mpc(re, im) if imag != 0 else re
    return re if im == 0 else mpc(re, im)


def _finite(value) -> bool:
    return mpmath.isfinite(value)


class _UndefinedAt(Undefined):
    """A compiled function failed at its arguments; the message (which subexpression, where)
    is worked out only when someone reads it."""

    def __init__(self, compiled: _Compiled, args: list, why: str):
        super().__init__(why)
        self.compiled, self.args_, self.why, self._text = compiled, args, why, None

    def __str__(self) -> str:
        if self._text is None:
            self._text = self.compiled.describe_failure(self.args_, self.why)
        return self._text


def _nstr(value) -> str:
    if isinstance(value, mpf) and mpmath.isfinite(value) and abs(value) < 10**15 and value == int(value):
        return str(int(value))
    return mpmath.nstr(value, 8)


class _Compiled:
    """``expr`` as ``fn(*holes)``; ``providers[i](ctx, env)`` gives hole i."""

    __slots__ = ("expr", "body", "fn", "fn_iv", "providers", "holes", "meanings", "error", "direct",
                 "interval_ok")

    def __init__(self, expr, body, fn, providers, holes, meanings, error=None):
        self.expr, self.body, self.fn = expr, body, fn
        self.providers, self.holes, self.meanings, self.error = providers, holes, meanings, error
        self.direct = providers[0] if (fn is None and error is None and providers) else None
        self.fn_iv = None
        self.interval_ok = not any(isinstance(n, _NO_INTERVAL_NODES) for n in sympy.preorder_traversal(body))

    def __call__(self, ctx, env):
        if self.direct is not None:
            return self.direct(ctx, env)
        if self.error is not None:
            raise Inconclusive(self.error)
        return self.apply(ctx, [p(ctx, env) for p in self.providers])

    def apply(self, ctx, args):
        if ctx.interval:
            return self.apply_interval(args)
        try:
            value = self.fn(*args)
        except ZeroDivisionError:
            raise _UndefinedAt(self, args, "division by zero") from None
        except ValueError as exc:
            if "pole" in str(exc) or "zero" in str(exc):
                raise _UndefinedAt(self, args, str(exc)) from None
            raise Inconclusive(f"cannot evaluate {sympy.sstr(self.expr)[:80]}: {exc}") from None
        except (TypeError, NameError, ArithmeticError, _NoConvergence) as exc:
            raise Inconclusive(f"cannot evaluate {sympy.sstr(self.expr)[:80]}: {exc}") from None
        cls = value.__class__
        if cls is not mpf and cls is not mpc:
            value = mpmath.mpmathify(value)
        if not mpmath.isfinite(value):
            raise _UndefinedAt(self, args, f"is {value}")
        return value

    def apply_interval(self, args):
        if not self.interval_ok:
            raise _NoInterval(f"comparisons in {sympy.sstr(self.expr)[:60]}")
        if self.fn_iv is None:
            # The same code, its names bound to interval functions (a missing one: NameError).
            self.fn_iv = types.FunctionType(self.fn.__code__, _IV_GLOBALS)
        try:
            value = self.fn_iv(*args)
        except _NoInterval:
            raise
        except Exception as exc:  # noqa: BLE001 - ComplexResult, a missing function, ...
            raise _NoInterval(f"{type(exc).__name__}: {exc}") from None
        if isinstance(value, (int, float, complex, mpf)):
            value = _IV.mpf(value) if not isinstance(value, complex) else _IV.mpc(value.real, value.imag)
        return value

    def bind(self, ctx, env, variables: tuple):
        """This function of ``variables`` alone: the holes that do not depend on them are
        filled once, here."""
        if self.error is not None:
            raise Inconclusive(self.error)
        if self.direct is not None:
            local = dict(env)

            def direct(*values):
                for v, value in zip(variables, values):
                    local[v] = value
                return self.direct(ctx, local)
            return direct
        moving = set(variables)
        args, slots, recomputed = [], [], []
        for i, p in enumerate(self.providers):
            if p.symbol is not None and p.symbol in moving:
                args.append(None)
                slots.append((i, variables.index(p.symbol)))
            elif p.depends & moving:
                args.append(None)
                recomputed.append((i, p))
            else:
                args.append(p(ctx, env))
        apply, fn = self.apply, self.fn
        if recomputed:
            local = dict(env)

            def general(*values):
                for v, value in zip(variables, values):
                    local[v] = value
                for i, j in slots:
                    args[i] = values[j]
                for i, p in recomputed:
                    args[i] = p(ctx, local)
                return apply(ctx, args)
            return general
        if len(slots) == 1 and len(variables) == 1 and not ctx.interval:
            slot = slots[0][0]

            def one(value):
                args[slot] = value
                try:
                    result = fn(*args)
                    if result.__class__ is mpf and result._mpf_[1]:  # finite, nonzero: the usual case
                        return result
                except Exception:  # noqa: BLE001 - apply says what went wrong
                    pass
                return apply(ctx, args)
            return one

        def many(*values):
            for i, j in slots:
                args[i] = values[j]
            return apply(ctx, args)
        return many

    def describe_failure(self, args: list, why: str) -> str:
        """Which subexpression fails, and at which values of its symbols."""
        values = dict(zip(self.holes, args))
        culprit = self.body
        while True:
            for arg in culprit.args:
                if not isinstance(arg, sympy.Expr) or not (arg.free_symbols & set(values)):
                    continue
                failure = _failure(arg, values)
                if failure:
                    culprit, why = arg, failure
                    break
            else:
                break
        meaning = dict(zip(self.holes, self.meanings))
        shown = sympy.sstr(culprit.xreplace({h: m for h, m in meaning.items() if isinstance(m, sympy.Basic)}))
        where = ", ".join(f"{sympy.sstr(meaning[h])} = {_nstr(values[h])}" for h in
                          sorted(culprit.free_symbols & set(values), key=str)
                          if isinstance(meaning[h], (sympy.Symbol, sympy.Indexed)))
        what = f"{shown[:120]} is undefined ({why})"
        return f"{what} at {where}" if where else what


def _failure(expr: sympy.Expr, values: dict) -> str:
    """How ``expr`` fails at ``values`` ("" when it has a finite value)."""
    holes = sorted(expr.free_symbols & set(values), key=str)
    try:
        fn = _lambdify(holes, expr, _MP_NAMESPACE)
        value = mpmath.mpmathify(fn(*(values[h] for h in holes)))
    except ZeroDivisionError:
        return "division by zero"
    except Exception as exc:  # noqa: BLE001 - whatever the failure, this subexpression is the culprit
        return str(exc) or type(exc).__name__
    return "" if mpmath.isfinite(value) else f"is {value}"


def _provider(fn, depends, symbol=None):
    fn.depends = frozenset(depends)
    fn.symbol = symbol
    return fn


def _symbol_provider(s):
    def provide(ctx, env):
        value = env.get(s)
        return ctx.symbol(s) if value is None else value
    return _provider(provide, {s}, symbol=s)


def _as_index(value) -> int:
    if isinstance(value, (mpc, _IV.mpc)):
        if value.imag != 0:
            raise Inconclusive(f"an index is not an integer: {value}")
        value = value.real
    if not isinstance(value, (int, mpf)):  # an interval
        low, high = _bounds(value)
        if low != high:
            raise _NoInterval("an index is not exact")
        value = low
    n = int(value)
    if n != value:
        raise Inconclusive(f"an index is not an integer: {value}")
    return n


def _indexed_provider(node: sympy.Indexed):
    base = node.base
    if all(i.is_Integer for i in node.indices):
        idx = tuple(int(i) for i in node.indices)

        def provide_constant(ctx, env):
            value = env.get((base, idx))
            return ctx.indexed(base, idx) if value is None else value
        return _provider(provide_constant, ())
    indices = [_compile(i) for i in node.indices]

    def provide(ctx, env):
        idx = tuple(_as_index(c(ctx, env)) for c in indices)
        value = env.get((base, idx))
        return ctx.indexed(base, idx) if value is None else value
    return _provider(provide, node.free_symbols)


def _function_provider(application: AppliedUndef):
    arguments = [_compile(a) for a in application.args]

    def provide(ctx, env):
        return ctx.apply(application, [c(ctx, env) for c in arguments])
    return _provider(provide, application.free_symbols)


def _trusted_provider(node: sympy.Expr):
    arguments = [_compile(a) for a in node.args]

    def provide(ctx, env):
        return ctx.trusted(node, [c(ctx, env) for c in arguments])
    return _provider(provide, node.free_symbols)


def _constant_provider(constant: sympy.Expr):
    def provide(ctx, env):
        return ctx.constant(constant)
    return _provider(provide, ())


def _nonfinite_provider(atom: sympy.Expr):
    def provide(ctx, env):
        raise Undefined(f"the expression contains {atom}")
    return _provider(provide, ())


def _operator_provider(node: sympy.Basic):
    op = _operator_node(node)

    def provide(ctx, env):
        return op.evaluate(ctx, env)
    return _provider(provide, node.free_symbols)


def _invariant_provider(node: sympy.Basic):
    sub = _compile(node)

    def provide(ctx, env):
        return sub(ctx, env)
    return _provider(provide, node.free_symbols)


_CONSTANT, _INVARIANT, _VARYING = 0, 1, 2
_LEAVES = (sympy.Symbol, sympy.Indexed, AppliedUndef)


def _rebuilt(node: sympy.Basic, args: list) -> sympy.Basic:
    """``node`` over new arguments (holes, mostly). Sympy's own arithmetic and functions are
    rebuilt as they stand: their automatic simplification only rewrites an expression into an
    equal one, and asking the holes' assumptions for it is most of the cost of compiling."""
    if isinstance(node, (sympy.Add, sympy.Mul, sympy.Pow)) or (
            isinstance(node, sympy.Function) and type(node).__module__.startswith("sympy.")):
        try:
            return node.func(*args, evaluate=False)
        except TypeError:
            pass
    return node.func(*args)


@functools.lru_cache(maxsize=8192)
def _compile(expr: sympy.Basic, variables: tuple = ()) -> _Compiled:
    """``expr`` compiled. With ``variables`` (an integration, summation or expectation
    variable), every largest subexpression free of them becomes one hole of its own, which
    ``bind`` evaluates once (log(s2/s1) in an integrand over x); constants always do."""
    expr = sympy.sympify(expr)
    holes, providers, meanings = [], [], []
    seen: dict = {}
    moving = set(variables)

    def hole(key, make):
        if key not in seen:
            # The body is made of holes alone, so their names cannot meet a symbol of expr's.
            dummy = sympy.Symbol(f"_h{len(holes)}")
            seen[key] = dummy
            holes.append(dummy)
            providers.append(make())
            meanings.append(key)
        return seen[key]

    def constant(node):
        """A hole for a constant subexpression (pi, sqrt(2), 10**13*pi - 31415926535897): sympy's
        evalf gives it at each pass's precision, cancellation included. Rationals stay literal."""
        if node.is_Rational or node.is_Float:
            return node
        return hole(node, lambda: _constant_provider(node))

    def settled(original, visited, kind):
        """A constant or invariant argument of a varying node, as one hole."""
        if kind == _CONSTANT:
            return constant(original) if isinstance(original, sympy.Expr) else original
        if kind == _INVARIANT:
            if visited is not None and (isinstance(original, _LEAVES) or _is_numeric_operator(original)):
                return visited  # already a hole
            return hole(original, lambda: _invariant_provider(original))
        return visited

    def visit(node):
        """(node, kind): constant and invariant nodes come back as they are (with their holes
        made, for leaves), varying ones rebuilt over holes."""
        if isinstance(node, sympy.MatrixBase) or getattr(node, "is_Matrix", False):
            raise Inconclusive(f"a matrix inside a scalar expression is not evaluated: {sympy.sstr(node)[:60]}")
        if node.is_Rational or node.is_Float:
            return node, _CONSTANT
        if node.is_Atom and node in _NONFINITE:
            return hole(node, lambda: _nonfinite_provider(node)), _VARYING
        leaf = None
        if isinstance(node, sympy.Symbol):
            leaf = _symbol_provider
        elif isinstance(node, sympy.Indexed):
            leaf = _indexed_provider
        elif isinstance(node, AppliedUndef):
            leaf = _function_provider
        elif _is_numeric_operator(node):
            leaf = _operator_provider
        elif type(node) in _certificate.REVIVED:
            leaf = _trusted_provider
        if leaf is not None:
            kind = _VARYING if not moving or moving & node.free_symbols else _INVARIANT
            return hole(node, lambda: leaf(node)), kind
        if not node.args:
            return node, _CONSTANT if isinstance(node, sympy.Expr) and node.is_number else _VARYING
        visited = [visit(a) for a in node.args]
        top = max(k for _, k in visited)
        if isinstance(node, sympy.Expr) and top != _VARYING:
            return node, top
        if isinstance(node, (sympy.Add, sympy.Mul)):
            fixed = [(a, v, k) for a, (v, k) in zip(node.args, visited) if k != _VARYING]
            args = [v for v, k in visited if k == _VARYING]
            if len(fixed) == 1:
                args.append(settled(*fixed[0]))
            elif fixed:
                group = node.func(*(a for a, _, _ in fixed))
                args.append(settled(group, None, max(k for _, _, k in fixed)))
            return _rebuilt(node, args), _VARYING
        args = [settled(a, v, k) for a, (v, k) in zip(node.args, visited)]
        if all(a is b for a, b in zip(args, node.args)):
            return node, _VARYING
        return _rebuilt(node, args), _VARYING

    try:
        body, kind = visit(expr)
        if kind != _VARYING:
            body = settled(expr, body, kind)
    except Inconclusive as exc:
        return _Compiled(expr, expr, None, [], [], [], error=str(exc))
    if body in holes and len(holes) == 1:
        return _Compiled(expr, body, None, providers, holes, meanings)
    try:
        fn = _lambdify(holes, body, _MP_NAMESPACE, repeated=bool(variables))
    except Exception as exc:  # noqa: BLE001 - a printer's refusal of any kind: nothing to evaluate
        return _Compiled(expr, body, None, [], [], [], error=f"cannot compile {sympy.sstr(expr)[:80]}: {exc}")
    return _Compiled(expr, body, fn, providers, holes, meanings)


@functools.lru_cache(maxsize=2048)
def _compile_top(expr: sympy.Basic):
    if isinstance(expr, sympy.MatrixBase):
        return [_compile(e) for e in expr], expr.shape
    return [_compile(expr)], None


@functools.lru_cache(maxsize=4096)
def _operator_node(node: sympy.Basic):
    if isinstance(node, sympy.Integral):
        return _IntegralNode(node)
    if isinstance(node, (sympy.Sum, sympy.Product)):
        return _SumNode(node)
    if isinstance(node, sympy.Derivative):
        return _DerivativeNode(node)
    if isinstance(node, sympy.Subs):
        return _SubsNode(node)
    if getattr(node, "is_derive_operator", False) and len(node.args) == 4:
        return _ExpectationNode(node)
    return _Unsupported(f"no numeric evaluation for {type(node).__name__}")


class _Unsupported:
    def __init__(self, why):
        self.why = why

    def evaluate(self, ctx, env):
        raise Inconclusive(self.why)


# ----------------------------------------------------------------------------------------------
# Evaluation context
# ----------------------------------------------------------------------------------------------

# Values of integrals and infinite series, which do not depend on the working precision of a
# pass: (operator, point, dps, careful, values of its bound symbols) -> (value, error).
_MEMO: OrderedDict = OrderedDict()
_MEMO_SIZE = 20000


def _memo_get(key):
    hit = _MEMO.get(key)
    if hit is not None:
        _MEMO.move_to_end(key)
    return hit


def _memo_put(key, value):
    _MEMO[key] = value
    if len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)


# A sample value as a number at a pass's precision (mpmath numbers and intervals are immutable).
_INPUTS: OrderedDict = OrderedDict()
_INPUTS_SIZE = 50000


class _Context:
    """One evaluation at one point: the point's values at the pass's precision, in mpmath
    numbers or in intervals; the tape on which the number pass leaves each operator's decision
    (its value and error, its node count) for the interval pass to replay; the work done."""

    def __init__(self, point: Point, dps: int, careful: bool):
        self.point, self.dps, self.careful = point, dps, careful
        self.digits = dps
        self.interval = False
        # Inside finite differences the interval pass takes inputs as exact points (the number
        # pass's roundings): intervals around them would not cancel between f(x + h) and f(x - h).
        self.pointwise = 0
        self.caches: dict = {}
        self.tape: list = []
        self.replayed = 0
        self.work = 0
        self.depth = 0
        self.integrals = 0  # how many integrals the value being computed lies inside
        self.perturbing = False
        self.perturbed = 0
        self.perturbable = False

    def begin_pass(self, digits: int, interval: bool, perturbing: bool = False) -> None:
        self.digits, self.interval = digits, interval
        self.caches = {False: ({}, {}, {}, {}), True: ({}, {}, {}, {})}
        if interval:
            self.replayed = 0
        else:
            self.tape = []
        self.perturbing, self.perturbed = perturbing, 0

    @property
    def context(self):
        return _IV if self.interval else mpmath.mp

    def number(self, value):
        """A plain number (int, mpf) as this pass's kind of number."""
        return _IV.mpf(value) if self.interval else mpf(value)

    def _input(self, exact: sympy.Expr):
        key = (exact, self.digits, self.interval, bool(self.pointwise))
        value = _INPUTS.get(key)
        if value is None:
            if self.interval and self.pointwise:
                with _working_digits(mpmath.mp, self.digits):
                    value = _as_number(exact, False)
                value = _IV.mpc(value.real, value.imag) if isinstance(value, mpc) else _IV.mpf(value)
            else:
                with _working_digits(self.context, self.digits):
                    value = _as_number(exact, self.interval)
            _INPUTS[key] = value
            if len(_INPUTS) > _INPUTS_SIZE:
                _INPUTS.popitem(last=False)
        return value

    def symbol(self, s):
        symbols = self.caches[bool(self.pointwise)][0]
        value = symbols.get(s)
        if value is None:
            value = symbols[s] = self._input(self.point.value_of(s))
        return value

    def indexed(self, base, idx):
        elements = self.caches[bool(self.pointwise)][1]
        key = (base, idx)
        value = elements.get(key)
        if value is None:
            value = elements[key] = self._input(self.point.element(base, idx))
        return value

    def constant(self, c):
        constants = self.caches[bool(self.pointwise)][2]
        value = constants.get(c)
        if value is None:
            number = c.evalf(self.digits + 10)
            if number.has(*_NONFINITE):
                raise Undefined(f"{sympy.sstr(c)} is {number}")
            if not number.is_number or number.free_symbols:
                raise Inconclusive(f"cannot evaluate the constant {sympy.sstr(c)[:60]}")
            with mpmath.workdps(self.digits + 10):
                value = _as_number(number, False)
            if self.interval:
                if self.pointwise:
                    value = _interval_of(value, 0)
                else:
                    value = _widened(value, mpf(10) ** (-self.digits - 5))
            constants[c] = value
        return value

    def apply(self, application, args):
        """An undefined function's stand-in at args (compiled and bound once per pass)."""
        functions = self.caches[bool(self.pointwise)][3]
        key = (application.func, len(args))
        stand_in = functions.get(key)
        if stand_in is None:
            instance = self.point.function_instance(application)
            stand_in = _compile(instance.expr, tuple(instance.variables)).bind(self, {}, tuple(instance.variables))
            functions[key] = stand_in
        return stand_in(*args)

    def trusted(self, node, args):
        """A trusted operator (an axiom the user declared) at args, as its own evalf gives it; in
        an interval pass the hull of its values at the ends of real arguments' intervals (at
        most three arguments, else their midpoints), widened like a constant."""
        digits = self.digits + 10

        def at(values):
            number = node.func(*(_to_sympy(v, digits) for v in values)).evalf(digits)
            if number.has(*_NONFINITE):
                raise Undefined(f"{sympy.sstr(node)[:60]} is {number} at {self.where(node, {})}")
            if not number.is_number or number.free_symbols or number.has(node.func):
                raise Inconclusive(f"the trusted operator {node.func.__name__} gives no number: "
                                   f"{sympy.sstr(number)[:60]}")
            with mpmath.workdps(digits):
                return _as_number(number, False)

        if not self.interval:
            return at(args)
        ends = []
        for a in args:
            if isinstance(a, _IV.mpc) or len(args) > 3:
                ends.append([a.mid if not isinstance(a, _IV.mpc) else mpc(a.real.mid, a.imag.mid)])
            else:
                ends.append(list(_bounds(a)))
        with mpmath.workdps(digits):
            values = [at([mpf(v) if not isinstance(v, (mpf, mpc)) else v for v in combo])
                      for combo in itertools.product(*ends)]
            hull = [_widened(v, mpf(10) ** (-self.digits - 5)) for v in values]
        low = min(_bounds(h.real if isinstance(h, _IV.mpc) else h)[0] for h in hull)
        high = max(_bounds(h.real if isinstance(h, _IV.mpc) else h)[1] for h in hull)
        if any(isinstance(v, mpc) for v in values):
            imags = [_bounds(h.imag) for h in hull if isinstance(h, _IV.mpc)] or [(mpf(0), mpf(0))]
            return _IV.mpc(_IV.mpf([low, high]), _IV.mpf([min(i[0] for i in imags), max(i[1] for i in imags)]))
        return _IV.mpf([low, high])

    def spend(self, n: int, what: str) -> None:
        self.work += n
        if self.work > _MAX_WORK:
            raise Inconclusive(f"too costly to evaluate numerically ({what})")

    def record(self, node, *decision):
        if self.depth == 0:  # inside a quadrature or a series nothing is replayed
            self.tape.append((node, decision))

    def replay(self, node):
        """The decision the number pass took at this operator, in the same order."""
        if self.replayed >= len(self.tape) or self.tape[self.replayed][0] is not node:
            raise _NoInterval("the interval pass took another path")
        decision = self.tape[self.replayed][1]
        self.replayed += 1
        return decision

    def perturb(self, value, error):
        """In the perturbed pass, ``value`` moved by about its error estimate (a fixed sequence
        of signs and sizes), so that a result sensitive to it shows."""
        if error:
            self.perturbable = True
        if not self.perturbing or not error:
            return value
        self.perturbed += 1
        n = self.perturbed
        size = 1 + (n * 0.6180339887498949) % 1
        return value + (size if n % 2 else -size) * error

    def where(self, expr: sympy.Basic, env: dict) -> str:
        """The values of ``expr``'s free symbols at this point, for a message."""
        parts = []
        for s in sorted(scalar_symbols(expr), key=str):
            value = env.get(s)
            parts.append(f"{s} = {_nstr(value) if value is not None else _show(self.point.value_of(s))}")
        return ", ".join(parts) if parts else "this point"


def _interval_of(value, error):
    """value +- error (absolute) as an interval, rounded outwards."""
    with mpmath.workprec(_IV.prec + 20):
        radius = abs(mpf(error))
    spread = _IV.mpf([-radius, radius])
    if isinstance(value, mpc):
        return _IV.mpc(_IV.mpf(value.real) + spread, _IV.mpf(value.imag) + spread)
    return _IV.mpf(value) + spread


def _widened(value, error):
    """value +- error * max(1, |value|) as an interval."""
    with mpmath.workprec(_IV.prec + 20):
        radius = error * max(1, abs(value))
    return _interval_of(value, radius)


def _tolerance_digits(dps: int) -> int:
    """Operators' values must be accurate to this many digits (relative to max(1, |value|))."""
    return dps // 2 + 2


# ----------------------------------------------------------------------------------------------
# Sums and products
# ----------------------------------------------------------------------------------------------


def _limit(bound: sympy.Expr):
    if bound == sympy.oo:
        return mpmath.inf
    if bound == -sympy.oo:
        return -mpmath.inf
    return _compile(bound)


def _evaluate_limit(limit, ctx, env):
    """A limit as an mpmath number (an exact interval's value), or +-inf."""
    if not isinstance(limit, _Compiled):
        return limit
    value = limit(ctx, env)
    if ctx.interval:
        parts = [value.real, value.imag] if isinstance(value, _IV.mpc) else [value]
        if any(p.a != p.b for p in parts):
            raise _NoInterval("a limit is not exact")
        value = mpc(_bounds(parts[0])[0], _bounds(parts[1])[0]) if len(parts) == 2 else _bounds(parts[0])[0]
    if isinstance(value, mpc):
        if value.imag != 0:
            raise Inconclusive(f"a complex limit is not evaluated: {value}")
        value = value.real
    return value


def _bound_and_free(expr) -> str | None:
    """Why an integral or sum is not evaluated when a variable it binds also occurs free in its
    limits (Integral(x, (x, 0, x))): which x a value is for is a matter of reading."""
    for limit in expr.limits:
        if any(limit[0] in bound.free_symbols for bound in limit[1:]):
            return f"{limit[0]} is both bound and free in {sympy.sstr(expr)[:60]}"
    return None


class _SumNode:
    def __init__(self, expr):
        self.expr = expr
        self.product = isinstance(expr, sympy.Product)
        limits = expr.limits
        if any(len(limit) != 3 for limit in limits):
            self.unsupported = f"a sum without both limits: {sympy.sstr(expr)[:60]}"
            return
        self.unsupported = _bound_and_free(expr)
        self.var, lo, hi = limits[-1]
        inner = expr.func(expr.function, *limits[:-1]) if len(limits) > 1 else expr.function
        self.body = _compile(inner, (self.var,))
        self.lo, self.hi = _limit(lo), _limit(hi)
        self.infinite = not isinstance(self.lo, _Compiled) or not isinstance(self.hi, _Compiled)
        self.free = tuple(sorted(expr.free_symbols, key=sympy.default_sort_key))

    def evaluate(self, ctx, env):
        if self.unsupported:
            raise Inconclusive(self.unsupported)
        lo, hi = _evaluate_limit(self.lo, ctx, env), _evaluate_limit(self.hi, ctx, env)
        if not self.infinite:
            return self._finite(ctx, env, lo, hi)
        if self.product:
            raise Inconclusive(f"an infinite product is not evaluated: {sympy.sstr(self.expr)[:60]}")
        if ctx.interval:
            value, error = ctx.replay(self)
            return _interval_of(value, error)
        key = (self.expr, ctx.point, ctx.dps, ctx.careful, tuple(env.get(s) for s in self.free))
        hit = _memo_get(key)
        if hit is None:
            ctx.depth += 1
            try:
                with mpmath.workdps(_tolerance_digits(ctx.dps) + 6):
                    hit = self._series(ctx, env, lo, hi)
            finally:
                ctx.depth -= 1
            _memo_put(key, hit)
        ctx.record(self, *hit)
        return ctx.perturb(*hit)

    def _finite(self, ctx, env, lo, hi):
        span = hi - lo
        if isinstance(span, mpc) or span != int(span):
            raise Inconclusive(f"the limits of {sympy.sstr(self.expr)[:60]} are not an integer apart")
        count = int(span) + 1
        inverted = count < 0  # Karr's convention: sum_a^b = -sum_{b+1}^{a-1}
        if inverted:
            lo, count = hi + 1, -count
        if count > _MAX_TERMS:
            raise Inconclusive(f"{count} terms in {sympy.sstr(self.expr)[:60]}: more than {_MAX_TERMS}")
        ctx.spend(count, "terms of a sum")
        term = self.body.bind(ctx, env, (self.var,))
        start = ctx.number(lo)
        values = [term(start + n) for n in range(count)]
        if self.product:
            total = ctx.number(1)
            for v in values:
                total = total * v
            if inverted:
                if total == 0:
                    raise Undefined(f"{sympy.sstr(self.expr)[:80]} divides by a zero product at "
                                    f"{ctx.where(self.expr, env)}")
                total = 1 / total
            return total
        if ctx.interval:
            total = ctx.number(0)
            for v in values:
                total = total + v
        else:
            total = mpmath.fsum(values) if values else mpf(0)
        return -total if inverted else total

    def _series(self, ctx, env, lo, hi):
        """(value, error) of an infinite sum, as (start, direction) halves summed from start up."""
        if lo == -mpmath.inf and hi == mpmath.inf:
            halves = [(0, 1), (1, -1)]
        elif hi == mpmath.inf and lo == int(lo):
            halves = [(int(lo), 1)]
        elif lo == -mpmath.inf and hi == int(hi):
            halves = [(-int(hi), -1)]
        else:
            raise Inconclusive(f"the limits of {sympy.sstr(self.expr)[:60]} are not evaluated")
        with _working_digits(mpmath.mp, ctx.digits):
            bound = self.body.bind(ctx, env, (self.var,))
        total, error = mpf(0), mpf(0)
        for start, direction in halves:
            def term(n, direction=direction):
                return bound(direction * n)
            self._terms_vanish(term, start, ctx, env)
            tail, probes = self._tail_start(term, start, ctx, env)
            head = mpmath.fsum(term(mpf(n)) for n in range(start, tail))
            value, err = self._accelerated(term, tail, ctx, env)
            value += head
            self._not_below_a_term(value, err, probes, ctx, env)
            total += value
            error += err + mpmath.eps * abs(head)
        return total, error

    def _tail_start(self, term, start, ctx, env):
        """Where the terms fall away for good, and the terms probed to find it: the accelerations
        extrapolate from the first terms, so a peak further out (exp(-(n - 5000)**2)) is summed
        term by term up to the probe past the largest |term| (start + 2**(j/2) up to 10**12)."""
        offsets = sorted(set(range(9)) | {int(2 ** (j / 2)) for j in range(7, 81)})
        probes = [term(mpf(start + m)) for m in offsets]
        largest = max(range(len(probes)), key=lambda i: abs(probes[i]))
        if offsets[largest] <= 8:
            return start, probes
        count = offsets[largest + 1] if largest + 1 < len(offsets) else offsets[largest]
        if count > _MAX_TERMS:
            raise Inconclusive(f"{sympy.sstr(self.expr)[:80]}: its terms peak near n = {start + offsets[largest]}, "
                               f"too far out to sum term by term, at {ctx.where(self.expr, env)}")
        ctx.spend(count, "terms of a series before its peak")
        return start + count, probes

    def _not_below_a_term(self, value, error, probes, ctx, env):
        """Terms of one sign sum to more than any one of them: an acceleration that says less
        has extrapolated from terms that were not yet falling."""
        if any(isinstance(p, mpc) and p.imag != 0 for p in probes):
            return
        reals = [p.real if isinstance(p, mpc) else p for p in probes]
        if all(p >= 0 for p in reals) or all(p <= 0 for p in reals):
            largest = max(abs(p) for p in reals)
            if abs(value) + error < largest * (1 - mpf(10) ** (-_tolerance_digits(ctx.dps))):
                raise Inconclusive(f"{sympy.sstr(self.expr)[:80]}: the accelerated sum {_nstr(value)} is "
                                   f"below one of its terms ({_nstr(largest)}) at {ctx.where(self.expr, env)}")

    def _terms_vanish(self, term, start, ctx, env):
        """Undefined unless the terms tend to 0 (and faster than 1/n when of one sign): the
        largest |term| in windows near n = 10**3, 10**6, 10**9, 10**12."""
        windows, signs = [], set()
        for j in (3, 6, 9, 12):
            n0 = start + 10**j
            values = [term(mpf(n0 + i)) for i in range(6)]
            windows.append(max(abs(v) for v in values))
            for v in values:
                if isinstance(v, mpc) and v.imag != 0:
                    signs.add("complex")
                else:
                    signs.add(mpmath.sign(v.real if isinstance(v, mpc) else v))
        last = windows[-1]
        if last > 0 and min(windows[1:]) >= windows[0] / 2:
            raise Undefined(f"{sympy.sstr(self.expr)[:80]} diverges: its terms do not tend to 0 "
                            f"(|term| ~ {_nstr(last)} near n = 10**12) at {ctx.where(self.expr, env)}")
        if last > 0 and len(signs - {0}) == 1 and "complex" not in signs:
            if windows[-2] / last < 10 ** (3 * 1.02):
                raise Undefined(f"{sympy.sstr(self.expr)[:80]} diverges: its terms are of one sign and "
                                f"decay no faster than 1/n at {ctx.where(self.expr, env)}")

    def _accelerated(self, term, start, ctx, env):
        """Two different accelerations (or one from two different starts) that must agree."""
        if ctx.careful:
            plans = [("levin", 0), ("r+s", 13), ("alternating", 0), ("r+s", 29), ("e", 0)]
        else:
            plans = [("r+s", 0), ("levin", 0), ("r+s", 7), ("levin", 7), ("alternating", 0)]
        found = []
        for method, shift in plans:
            try:
                head = mpmath.fsum(term(mpf(start + i)) for i in range(shift))
                value = head + mpmath.nsum(term, [start + shift, mpmath.inf], method=method, strict=True)
            except Undefined:
                raise
            except (_NoConvergence, ZeroDivisionError, ValueError, Inconclusive):
                continue
            if not _finite(value):
                continue
            found.append(value)
            if len(found) == 2:
                break
        if len(found) < 2:
            raise Inconclusive(f"{sympy.sstr(self.expr)[:80]}: the series accelerations do not confirm "
                               f"each other at {ctx.where(self.expr, env)}")
        a, b = found
        scale = max(1, abs(b))
        if abs(a - b) > mpf(10) ** (-_tolerance_digits(ctx.dps)) * scale:
            raise Inconclusive(f"{sympy.sstr(self.expr)[:80]}: two series accelerations disagree "
                               f"({_nstr(a)} vs {_nstr(b)}) at {ctx.where(self.expr, env)}")
        return b, abs(a - b) + mpmath.eps * scale


# ----------------------------------------------------------------------------------------------
# Derivatives and substitutions
# ----------------------------------------------------------------------------------------------


def _has_memoized_operator(expr: sympy.Basic) -> bool:
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Integral) or getattr(node, "is_derive_operator", False):
            return True
        if isinstance(node, sympy.Sum) and any(b.has(sympy.oo, -sympy.oo) for lim in node.limits for b in lim[1:]):
            return True
    return False


def _finite_difference(ctx, f, points: tuple, orders: tuple, addprec: int, relative: bool, largest: list):
    """The partial derivative of f of the given orders at points, by central differences with
    step h = 2**-(prec + addprec) (times |x| when relative), at (prec + 2 addprec)(n + 1) bits,
    as mpmath.diff does, in this pass's kind of number (intervals enclose the rounding)."""
    i = next((j for j, n in enumerate(orders) if n), None)
    if i is None:
        value = f(*points)
        largest[0] = max(largest[0], abs(value) if not ctx.interval else mpf(0))
        return value
    n = orders[i]
    rest = orders[:i] + (0,) + orders[i + 1:]
    context = ctx.context
    prec = context.prec
    x = points[i]
    magnitude = 0
    if relative:
        centre = x.real if isinstance(x, (mpc, _IV.mpc)) else x
        centre = _bounds(centre)[0] if ctx.interval else centre
        magnitude = int(mpmath.mag(centre)) if centre != 0 else 0
    saved = context.prec
    context.prec = (prec + 2 * addprec) * (n + 1)
    try:
        h = ctx.number(mpmath.ldexp(1, -prec - addprec + magnitude))
        values = [_finite_difference(ctx, f, points[:i] + (x + k * h,) + points[i + 1:], rest, addprec,
                                     relative, largest)
                  for k in range(-n, n + 1, 2)]
        total = ctx.number(0)
        for j, value in enumerate(values):
            total = total + (-1) ** (n - j) * math.comb(n, j) * value
        result = total / (2 * h) ** n
    finally:
        context.prec = saved
    return +result


# What a complex step may not pass through: functions that are not analytic, and operators.
_NOT_ANALYTIC = (sympy.Abs, sympy.sign, sympy.re, sympy.im, sympy.conjugate, sympy.arg, sympy.Piecewise,
                 sympy.Heaviside, sympy.floor, sympy.ceiling, sympy.frac, sympy.Min, sympy.Max, sympy.Mod,
                 sympy.core.relational.Relational, sympy.Derivative, sympy.Subs, sympy.Integral, sympy.Product)


def _complex_step(ctx, f, x, shrink: int):
    """f'(x) = Im f(x + i h) / h for f real and analytic near a real x: no difference of values
    is formed, so a term of f that does not depend on x (exp(10**6), say) costs no digits.
    h = 2**-(prec + shrink) max(1, |x|): the O(h**2) truncation is far below the rounding."""
    context = ctx.context
    prec = context.prec
    centre = _bounds(x)[0] if ctx.interval else x
    h = mpmath.ldexp(1, -prec - shrink + (max(0, int(mpmath.mag(centre))) if centre != 0 else 0))
    saved = context.prec
    context.prec = prec + 20
    try:
        step = _IV.mpc(0, h) if ctx.interval else mpc(0, h)
        value = f(x + step)
        result = value.imag / h if isinstance(value, (mpc, _IV.mpc)) else ctx.number(0)
    finally:
        context.prec = saved
    return +result


class _DerivativeNode:
    def __init__(self, expr: sympy.Derivative):
        self.expr = expr
        self.body = _compile(expr.expr)
        self.analytic = not any(isinstance(n, _NOT_ANALYTIC) or (is_operator(n) and not isinstance(n, sympy.Sum))
                                for n in sympy.preorder_traversal(expr.expr))
        self.unsupported = None
        if _has_memoized_operator(expr.expr):
            self.unsupported = ("the derivative of an integral, expectation or infinite series is not "
                                f"evaluated numerically: {sympy.sstr(expr)[:60]}")
        self.variables = []
        for variable, order in expr.variable_count:
            if isinstance(variable, sympy.Symbol):
                self.variables.append((variable, None, int(order)))
            elif isinstance(variable, sympy.Indexed):
                self.variables.append((variable, [_compile(i) for i in variable.indices], int(order)))
            else:
                self.unsupported = f"a derivative with respect to {variable} is not evaluated numerically"

    def evaluate(self, ctx, env):
        if self.unsupported:
            raise Inconclusive(self.unsupported)
        ctx.pointwise += 1
        try:
            return self._evaluate(ctx, env)
        finally:
            ctx.pointwise -= 1

    def _evaluate(self, ctx, env):
        keys, points, orders = [], [], []
        for variable, indices, order in self.variables:
            if indices is None:
                key = variable
                value = env.get(key)
                value = ctx.symbol(key) if value is None else value
            else:
                key = (variable.base, tuple(_as_index(c(ctx, env)) for c in indices))
                value = env.get(key)
                value = ctx.indexed(*key) if value is None else value
            if key in keys:
                orders[keys.index(key)] += order
            else:
                keys.append(key)
                points.append(value)
                orders.append(order)
        local = dict(env)

        def f(*values):
            for key, value in zip(keys, values):
                local[key] = value
            return self.body(ctx, local)

        real = all(not isinstance(p, (mpc, _IV.mpc)) for p in points)
        if self.analytic and real and len(keys) == 1 and orders[0] == 1:
            reference = f(*points)
            if not isinstance(reference, (mpc, _IV.mpc)):  # f is real here: Im comes from the step
                return _complex_step(ctx, f, points[0], 60 if ctx.careful else 10)
        largest = [mpf(0)]
        addprec, relative = (40, True) if ctx.careful else (10, False)
        try:
            value = _finite_difference(ctx, f, tuple(points), tuple(orders), addprec, relative, largest)
        except (ZeroDivisionError, ValueError) as exc:
            raise Inconclusive(f"{sympy.sstr(self.expr)[:80]}: finite differences failed ({exc}) at "
                               f"{ctx.where(self.expr, env)}") from None
        if not ctx.interval:
            # Without intervals, the rounding of f's values divided by the step, for the
            # two-precision fallback to perturb by: it shows when f's size swamps its slope.
            order = sum(orders)
            prec = mpmath.mp.prec
            bound = largest[0] * mpmath.ldexp(1, (prec + addprec) * order - (prec + 2 * addprec) * (order + 1) + order)
            value = ctx.perturb(value, bound)
        return value


class _SubsNode:
    def __init__(self, expr: sympy.Subs):
        self.body = _compile(expr.expr)
        self.variables = expr.variables
        self.values = [_compile(v) for v in expr.point]

    def evaluate(self, ctx, env):
        local = dict(env)
        for variable, value in zip(self.variables, self.values):
            local[variable] = value(ctx, env)
        return self.body(ctx, local)


# ----------------------------------------------------------------------------------------------
# Gaussian expectations: tensor-product Gauss-Hermite quadrature
# ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _gauss_hermite(n: int, prec: int):
    """Nodes and weights of the n-point rule for E[g(z)], z ~ N(0, 1) (weights sum to 1),
    accurate to prec bits."""
    import numpy

    guesses, _ = numpy.polynomial.hermite_e.hermegauss(n)
    nodes, weights = [], []
    with mpmath.workprec(prec + 30):
        def hermite(x):
            p0, p1 = mpf(1), x
            for k in range(1, n):
                p0, p1 = p1, x * p1 - k * p0
            return p1, p0  # He_n(x), He_{n-1}(x)

        for guess in guesses:
            x = mpf(float(guess))
            for _ in range(100):
                value, lower = hermite(x)
                step = value / (n * lower)
                x -= step
                if abs(step) <= mpmath.eps * 16 * max(1, abs(x)):
                    break
            _, lower = hermite(x)
            nodes.append(x)
            weights.append(mpmath.factorial(n) / (n * n * lower**2))
    with mpmath.workprec(prec):
        return [+x for x in nodes], [+w for w in weights]


def _degree(expr: sympy.Expr, variables: tuple, logs: bool = True) -> int | None:
    """A polynomial degree of ``expr`` in ``variables`` read off its structure, or None when it
    is not polynomial. ``logs``: a log of a product of exponentials counts as their exponents
    (a guess, right for real exponents: the node count it suggests is then checked)."""
    if not expr.has(*variables):
        return 0
    if expr in variables:
        return 1
    if expr.is_Add:
        degrees = [_degree(a, variables, logs) for a in expr.args]
        return None if None in degrees else max(degrees)
    if expr.is_Mul:
        degrees = [_degree(a, variables, logs) for a in expr.args]
        return None if None in degrees else sum(degrees)
    if expr.is_Pow and expr.exp.is_Integer and expr.exp >= 0:
        base = _degree(expr.base, variables, logs)
        return None if base is None else base * int(expr.exp)
    if isinstance(expr, sympy.log) and logs:
        degrees = []
        for factor in sympy.Mul.make_args(expr.args[0]):
            if not factor.has(*variables):
                continue
            if isinstance(factor, sympy.exp):
                degrees.append(_degree(factor.args[0], variables))
            elif factor.is_Pow and isinstance(factor.base, sympy.exp) and not factor.exp.has(*variables):
                degrees.append(_degree(factor.base.args[0], variables))
            else:
                return None
        return None if None in degrees else max(degrees, default=0)
    return None


class _ExpectationNode:
    def __init__(self, expr):
        f, xs, mean, factor = expr.args
        self.expr = expr
        self.variables = tuple(xs)
        self.body = _compile(f, self.variables)
        self.mean = [_compile(m) for m in mean]
        k = len(self.variables)
        self.factor = [[_compile(factor[i, j]) for j in range(k)] for i in range(k)]
        self.degree = _degree(f, self.variables)
        # A polynomial by its very form: the rule with degree // 2 + 1 nodes is exact.
        self.exact_degree = _degree(f, self.variables, logs=False)

    def evaluate(self, ctx, env):
        k = len(self.variables)
        mean = [c(ctx, env) for c in self.mean]
        factor = [[c(ctx, env) for c in row] for row in self.factor]
        f = self.body.bind(ctx, env, self.variables)
        if ctx.interval:
            n, error = ctx.replay(self)
            return self._rule(ctx, f, n, mean, factor) + _interval_of(mpf(0), error)
        if self.exact_degree is not None:
            n = self.exact_degree // 2 + 1 + (2 if ctx.careful else 0)
            ctx.record(self, n, 0)
            return self._rule(ctx, f, n, mean, factor)
        start = 3 if self.degree is None else self.degree // 2 + 1
        step = 2 if ctx.careful else 1
        n = start + step if ctx.careful else start
        limit = _MAX_HERMITE_NODES.get(k, 4)
        real = []
        previous = self._rule(ctx, f, n, mean, factor, real)
        if self.degree is not None and all(real):
            # log(c exp(P)) with P polynomial is log c + P wherever it is real: with real values
            # at every node the degree read off its form holds, and the rule is exact.
            ctx.record(self, n, 0)
            return previous
        tolerance = mpf(10) ** (-_tolerance_digits(ctx.dps))
        difference, steps = None, 0
        while True:
            n += step
            steps += 1
            if n > limit or n**k > _MAX_HERMITE_GRID:
                raise Inconclusive(f"{sympy.sstr(self.expr)[:80]}: Gauss-Hermite quadrature does not "
                                   f"converge at {ctx.where(self.expr, env)}")
            current = self._rule(ctx, f, n, mean, factor)
            difference, before = abs(current - previous), difference
            if steps > 8 and difference > before / 2:  # not converging: give up early
                raise Inconclusive(f"{sympy.sstr(self.expr)[:80]}: Gauss-Hermite quadrature does not "
                                   f"converge at {ctx.where(self.expr, env)}")
            if difference <= tolerance * max(1, abs(current)):
                if self.degree is not None and n - step == start + (step if ctx.careful else 0):
                    # The rule its degree asks for is confirmed: exact, up to rounding (which
                    # the interval pass bounds).
                    ctx.record(self, n - step, 0)
                    return previous
                ctx.record(self, n, difference)
                return ctx.perturb(current, difference)
            if self.degree is None:  # not a polynomial: the rule's truncation, not rounding
                previous = current
                continue
            with mpmath.extradps(20):
                finer = self._rule(ctx, f, n, mean, factor)
            if abs(finer - current) > tolerance * max(1, abs(finer)) / 10:
                raise _NeedsPrecision(f"{sympy.sstr(self.expr)[:80]}: the Gauss-Hermite sum loses digits "
                                      f"at {ctx.where(self.expr, env)}")
            previous = current

    def _rule(self, ctx, f, n, mean, factor, real=None):
        """The n-point tensor rule; ``real`` collects whether each value of f was real.

        At node z (indices c_0 .. c_k-1) x_i = mean_i + L_i0 z_0 + L_i1 z_1 + ... (terms with
        L_ij = 0 left out) and the weight is w_c0 w_c1 ...; both are formed left to right, so
        the part fixed by c_0 .. c_j is formed once for all the nodes that share it, and each
        product L_ij z once per node value: the same operations, in the same order, as forming
        each node's x and weight afresh."""
        k = len(self.variables)
        nodes, weights = _hermite_rule(n, ctx.context.prec, ctx.interval)
        ctx.spend(n**k, "Gauss-Hermite nodes")
        columns = [[(i, [factor[i][j] * z for z in nodes]) for i in range(k) if factor[i][j] != 0]
                   for j in range(k)]
        total = ctx.number(0)
        last = k - 1

        def level(j, x, weight):
            nonlocal total
            column = columns[j]
            for m in range(n):
                w = weights[m] if j == 0 else weight * weights[m]
                xs = list(x)
                for i, products in column:
                    xs[i] = xs[i] + products[m]
                if j < last:
                    level(j + 1, xs, w)
                    continue
                value = f(*xs)
                if real is not None:
                    real.append(not isinstance(value, (mpc, _IV.mpc)))
                total = total + w * value

        level(0, list(mean), None)
        return total


@functools.lru_cache(maxsize=512)
def _hermite_rule(n: int, prec: int, interval: bool):
    """The n-point Gauss-Hermite nodes and weights at prec bits; as intervals, widened by a
    few units in their last place (they are rounded)."""
    nodes, weights = _gauss_hermite(n, prec)
    if interval:
        slack = mpmath.ldexp(1, -prec + 4)
        nodes = [_widened(x, slack) for x in nodes]
        weights = [_widened(w, slack) for w in weights]
    return nodes, weights


# ----------------------------------------------------------------------------------------------
# Integrals
# ----------------------------------------------------------------------------------------------


def _exp_argument(factor: sympy.Expr):
    if isinstance(factor, sympy.exp):
        return factor.args[0]
    if factor.is_Pow and isinstance(factor.base, sympy.exp) and factor.exp.is_number:
        return factor.exp * factor.base.args[0]
    return None


def _polynomial(expr: sympy.Expr, x: sympy.Symbol, max_degree: int):
    """The coefficients (highest first, compiled) of ``expr`` as a polynomial in x, or None."""
    if not expr.has(x):
        return None
    try:
        if not expr.is_polynomial(x):
            return None
        poly = sympy.Poly(expr, x)
    except (sympy.PolynomialError, sympy.GeneratorsNeeded, ValueError, TypeError):
        return None
    if not 1 <= poly.degree() <= max_degree:
        return None
    return tuple(_compile(c) for c in poly.all_coeffs())


def _walk_outside_operators(expr: sympy.Basic):
    yield expr
    if _is_numeric_operator(expr) or isinstance(expr, AppliedUndef):
        return
    for arg in expr.args:
        yield from _walk_outside_operators(arg)


@functools.lru_cache(maxsize=2048)
def _analyse(body: sympy.Expr, x: sympy.Symbol):
    """Where an integrand over x needs cuts: polynomial exponents (their critical points are
    peaks or valleys), and polynomials whose real roots are poles, log or Abs kinks, branch
    points or plain sign changes. Undefined functions of x alone: their stand-ins' peaks."""
    exponents, logarithmic = [], []
    for term in sympy.Add.make_args(body):
        factors = sympy.Mul.make_args(term)
        h = sympy.Add(*(a for a in map(_exp_argument, factors) if a is not None))
        coefficients = _polynomial(h, x, 10)
        if coefficients is not None:
            exponents.append(coefficients)
        slope = _log_slope(h, factors, x)
        if slope is not None:
            logarithmic.append(slope)
    roots, functions = [], []
    for node in _walk_outside_operators(body):
        candidates = []
        if node.is_Pow and node.base.has(x) and node.exp.is_number and not (node.exp.is_Integer and node.exp > 0):
            candidates.append((node.base, bool(node.exp.is_negative)))
        elif isinstance(node, (sympy.log, sympy.Abs, sympy.sign, sympy.Heaviside)):
            candidates.append((node.args[0], False))
        elif node.is_Add:
            candidates.append((node, False))
        elif isinstance(node, AppliedUndef) and node.args == (x,):
            functions.append(node)
        for candidate, pole in candidates:
            coefficients = _polynomial(candidate, x, 8 if not node.is_Add else 1)
            if coefficients is not None and (coefficients, pole) not in roots:
                roots.append((coefficients, pole))
    return tuple(exponents), tuple(roots), tuple(functions), tuple(logarithmic)


def _log_slope(exponent: sympy.Expr, factors: tuple, x: sympy.Symbol):
    """(numerator, denominator) coefficients of d/dx log|term| for a term that is powers of
    polynomials in x times exp(exponent): x**n exp(-x) peaks at x = n, far from any structure
    the polynomial exponent alone shows when n is large. None for other terms."""
    powers = []
    for factor in factors:
        base, power = factor.as_base_exp()
        if power.has(x) or not base.has(x) or isinstance(base, sympy.exp):
            continue
        if not base.is_polynomial(x) or sympy.degree(base, x) > 4:
            return None
        powers.append((base, power))
    if not powers:
        return None
    # d/dx (P + sum p_i log b_i) = (P' prod b + sum p_i b_i' prod_{j != i} b_j) / prod b, in
    # polynomial arithmetic (no symbolic differentiation: the witness stays independent of it).
    bases = [sympy.Poly(b, x) for b, _ in powers]
    denominator = functools.reduce(lambda a, b: a * b, bases)
    polynomial_exponent = sympy.Poly(exponent, x) if exponent.has(x) and exponent.is_polynomial(x) else sympy.Poly(0, x)
    numerator = polynomial_exponent.diff(x) * denominator
    for i, (base, (_, power)) in enumerate(zip(bases, powers)):
        others = functools.reduce(lambda a, b: a * b, bases[:i] + bases[i + 1:], sympy.Poly(1, x))
        numerator += base.diff(x) * others * power
    top, bottom = _polynomial(numerator.as_expr(), x, 10), _polynomial(denominator.as_expr(), x, 12)
    if top is None or bottom is None:
        return None
    return top, bottom


def _real(value):
    if isinstance(value, mpc):
        if value.imag != 0:
            return None
        return value.real
    return value


def _trimmed(coefficients: list) -> list:
    """Real coefficients (highest first) without leading zeros; empty if any is not real."""
    cs = [_real(c) for c in coefficients]
    if None in cs:
        return []
    while cs and cs[0] == 0:
        cs.pop(0)
    return cs


def _real_roots(coefficients: list) -> list:
    """The real roots of a polynomial with real coefficients (highest first)."""
    cs = _trimmed(coefficients)
    if len(cs) < 2:
        return []
    if len(cs) == 2:
        return [-cs[1] / cs[0]]
    if len(cs) == 3:
        a, b, c = cs
        disc = b * b - 4 * a * c
        if disc < 0:
            return []
        q = -(b + mpmath.sign(b or 1) * mpmath.sqrt(disc)) / 2
        return [q / a] + ([c / q] if q != 0 else [])
    try:
        found = mpmath.polyroots(cs, maxsteps=100, extraprec=2 * mpmath.mp.prec)
    except (_NoConvergence, ZeroDivisionError, ValueError):
        return []
    tiny = mpf(10) ** (-mpmath.mp.dps // 2)
    return [mpmath.re(r) for r in found if abs(mpmath.im(r)) <= tiny * (1 + abs(r))]


def _complex_roots(coefficients: list) -> list:
    """The non-real roots of a polynomial with real coefficients (highest first)."""
    cs = _trimmed(coefficients)
    if len(cs) < 3:
        return []
    try:
        found = mpmath.polyroots(cs, maxsteps=100, extraprec=2 * mpmath.mp.prec)
    except (_NoConvergence, ZeroDivisionError, ValueError):
        return []
    tiny = mpf(10) ** (-mpmath.mp.dps // 2)
    return [r for r in found if abs(mpmath.im(r)) > tiny * (1 + abs(r))]


def _derivative_coefficients(cs: list) -> list:
    n = len(cs) - 1
    return [c * (n - i) for i, c in enumerate(cs[:-1])]


def _critical_points(coefficients: list):
    """(position, width) of each real critical point of a polynomial exponent h, the width being
    where h changes by about 1; and the scale 1/|slope| of a linear one."""
    cs = _trimmed(coefficients)
    if len(cs) < 2:
        return [], []
    if len(cs) == 2:
        return [], [1 / abs(cs[0])]
    derivatives = [cs]
    while len(derivatives[-1]) > 1:
        derivatives.append(_derivative_coefficients(derivatives[-1]))
    found = []
    for r in _real_roots(derivatives[1]):
        for order in range(2, len(derivatives)):
            value = mpmath.polyval(derivatives[order], r)
            if value != 0:
                found.append((r, (mpmath.factorial(order) / abs(value)) ** (mpf(1) / order)))
                break
    return found, []


class _IntegralNode:
    def __init__(self, expr: sympy.Integral):
        self.expr = expr
        limits = expr.limits
        self.unsupported = None
        if any(len(limit) != 3 for limit in limits):
            self.unsupported = f"an indefinite integral has no value at a point: {sympy.sstr(expr)[:60]}"
            return
        self.unsupported = _bound_and_free(expr)
        self.var, lo, hi = limits[-1]
        inner = sympy.Integral(expr.function, *limits[:-1]) if len(limits) > 1 else expr.function
        self.nested = len(limits) > 1
        self.body = _compile(inner, (self.var,))
        self.lo, self.hi = _limit(lo), _limit(hi)
        self.analysis = _analyse(inner, self.var)
        self.free = tuple(sorted(expr.free_symbols, key=sympy.default_sort_key))

    def evaluate(self, ctx, env):
        if self.unsupported:
            raise Inconclusive(self.unsupported)
        if ctx.interval:
            value, error = ctx.replay(self)
            return _interval_of(value, error)
        key = (self.expr, ctx.point, ctx.dps, ctx.careful, tuple(env.get(s) for s in self.free))
        hit = _memo_get(key)
        if hit is None:
            ctx.depth += 1
            ctx.integrals += 1
            try:
                digits = _tolerance_digits(ctx.dps) + 1 + 2 * (ctx.depth - 1)
                with mpmath.workdps(digits):
                    hit = _Quadrature(self, ctx, env, digits).run()
            finally:
                ctx.depth -= 1
                ctx.integrals -= 1
            _memo_put(key, hit)
        ctx.record(self, *hit)
        return ctx.perturb(*hit)


def _quad(f, interval, method: str, maxdegree: int, relative=1):
    """``mpmath.quad(f, interval, method=method, maxdegree=maxdegree, error=True)``, the
    error the degrees rise to meet (mpmath's eps / 8, for f of order 1) ``relative`` (>= 1)
    times that."""
    ctx = mpmath.mp
    rule = ctx._gauss_legendre if method == "gauss-legendre" else ctx._tanh_sinh
    prec = ctx.prec
    epsilon = ctx.eps / 8 * max(1, relative)
    points = ctx._as_points(interval)
    try:
        ctx.prec += 20
        value, error = rule.summation(f, points, prec, epsilon, maxdegree)
    finally:
        ctx.prec = prec
    return +value, error


class _Quadrature:
    """One integral at one point. ``digits``: the working precision of the quadrature rule; the
    integrand is evaluated at more, enough to place nodes within narrow peaks far from 0."""

    def __init__(self, node: _IntegralNode, ctx: _Context, env: dict, digits: int):
        self.node, self.ctx, self.env, self.digits = node, ctx, env, digits
        self.extra = 0  # digits the integrand loses to cancellation, found by condition()
        self.noise_only = False
        self.negligible = mpf(0)
        self.negligible_error = mpf(10) ** (-_tolerance_digits(ctx.dps) - 4)
        self.peaks = []

    @property
    def name(self) -> str:
        """The integral as shown in a message (printed only when a message is made)."""
        name = sympy.sstr(self.node.expr)
        return name if len(name) <= 80 else name[:77] + "..."

    def where(self) -> str:
        return self.ctx.where(self.node.expr, self.env)

    def run(self):
        node, ctx = self.node, self.ctx
        with mpmath.extradps(20):
            lo = _evaluate_limit(node.lo, ctx, self.env)
            hi = _evaluate_limit(node.hi, ctx, self.env)
        if lo == hi:
            return mpf(0), mpf(0)
        sign = 1
        if lo > hi:
            lo, hi, sign = hi, lo, -1
        self.bind()
        cuts, peaks, scales, singular = self.breakpoints(lo, hi)
        self.peaks = peaks
        scale = max([mpf(1)] + [w for _, w in peaks] + scales)
        points = [lo] + [c for c in cuts if lo < c < hi] + [hi]
        self.condition(points, peaks)
        points = self.graded(points)
        for c in singular:
            if lo <= c <= hi:
                self.integrable_at(c, lo, hi, points)
        tails = []
        finite = [p for p in points if mpmath.isfinite(p)]
        if hi == mpmath.inf:
            tails.append(self.tail(max(finite, default=mpf(0)), 1, scale))
        if lo == -mpmath.inf:
            tails.append(self.tail(min(finite, default=mpf(0)), -1, scale))
        if ctx.careful and ctx.integrals == 1:
            # Inside another integral the search (hundreds of integrand values) would run at each
            # of the outer rule's hundreds of nodes: minutes a point. The inner integrals still
            # change rule and integrate every segment (no tail is skipped as negligible).
            points = self.refined(points, scale)
        tolerance = mpf(10) ** (-_tolerance_digits(ctx.dps) - 2 * (ctx.depth - 1))
        for _ in range(4):
            total, error, size = mpf(0), mpf(0), mpf(0)
            segments = [self.segment(a, b, scale) for a, b in zip(points, points[1:])]
            # The largest segment's size: no segment need be integrated to an error below
            # mpmath's epsilon relative to it (a tail holding 1e-8 of the integral, say).
            reference = max((measured for measured, _ in segments if measured is not None), default=None)
            for _, finish in segments:
                value, err, scale_here = finish(reference)
                total += value
                error += err
                size += scale_here
            magnitude = max(1, abs(total))
            rounding = mpf(10) ** (-self.digits) * size  # segments that cancel lose digits
            needed = tolerance * magnitude
            if error + rounding <= needed:
                break
            if error > 1000 * rounding:  # not the precision: more digits would not help
                break
            # Segments of size ``size`` cancel to a total of ``magnitude``: more digits.
            more = int(mpmath.log10(1000 * rounding / needed)) + 2
            self.digits += more
            mpmath.mp.dps += more
        error += rounding
        for far in tails:
            self.tail_negligible(far, tolerance * magnitude)
        if not _finite(total) or error > tolerance * magnitude:
            raise Inconclusive(f"quadrature of {self.name} not accurate enough (error {_nstr(error)}) "
                               f"at {self.where()}")
        return sign * total, error

    # --- the integrand, at enough precision ------------------------------------------------

    def value_at(self, base, offset=0, extra_digits: int = 0):
        """f(base + offset), the sum formed at the integrand's precision (a node close to a
        far-out peak keeps its distance to it)."""
        saved = mpmath.mp.prec
        mpmath.mp.dps = self.digits + 10 + self.extra + extra_digits
        try:
            return self.f(base + offset)
        finally:
            mpmath.mp.prec = saved

    def safe_value_at(self, base, offset=0, extra_digits: int = 0):
        try:
            return self.value_at(base, offset, extra_digits)
        except Undefined:
            return None

    def bind(self):
        """The integrand as a function of x, its parts free of x computed once, at the
        precision the integrand is evaluated at (-a**6 + 2 a**3 x - x**2 must keep all of a**6)."""
        with _working_digits(mpmath.mp, max(self.ctx.digits, self.digits + 10 + self.extra)):
            self.f = self.node.body.bind(self.ctx, self.env, (self.node.var,))

    def condition(self, points, peaks):
        """Raise the integrand's precision until it is stable at its peaks and cuts: an
        integrand such as exp(-x**2 + 2 a**3 x - a**6) at a = 10**6 loses 36 digits."""
        finite = [p for p in points if mpmath.isfinite(p)]
        probes = [r for r, _ in peaks if points[0] <= r <= points[-1]][:4]
        probes += finite[:: max(1, len(finite) // 4)][:4]
        probes = probes or [mpf(0)]
        span = (max(probes) - min(probes)) or mpf(1)
        for _ in range(5):
            low = [self.safe_value_at(p) for p in probes]
            high = [self.safe_value_at(p, 0, 40) for p in probes]
            pairs = [(u, v) for u, v in zip(low, high) if u is not None and v is not None]
            top = max((abs(v) for _, v in pairs), default=mpf(0))
            noise = max((abs(u - v) for u, v in pairs), default=mpf(0))
            # The noise it adds to the integral against what the integral may be.
            if noise * span <= mpf(10) ** (-self.digits - 2) * max(1, top * span):
                self.noise_only = top <= 100 * noise  # 0 in exact arithmetic: no scaling
                # Below this, |f| is rounding, not a sign of divergence.
                self.negligible = mpf(10) ** (-2 * self.ctx.dps) * max(top * span, noise * 1000)
                return
            self.extra += 40
            self.bind()
        raise Inconclusive(f"{self.name}: the integrand loses too many digits to cancellation at {self.where()}")

    def local_scale(self, point):
        """The width of the narrowest peak within 5 of its widths of ``point``, else 1."""
        near = [w for r, w in self.peaks if abs(point - r) <= 5 * w]
        return min(near) if near else mpf(1)

    def graded(self, points):
        """Long finite segments cut geometrically from each end, at 4, 16, 64, ... local scales,
        while the integrand there is not negligible: a rule spread over [0, 10**6] never samples
        sqrt(x) exp(-x), whose mass lies within 40 of 0, and returns 0 with a tiny error."""
        with mpmath.extradps(20):
            known = [(p, self.safe_value_at(p)) for p in points if mpmath.isfinite(p)]
            reference = max((abs(v) * self.local_scale(p) for p, v in known if v is not None), default=mpf(0))
            reference *= mpf(10) ** (-self.digits - 6)
            extra = []
            for a, b in zip(points, points[1:]):
                if not (mpmath.isfinite(a) and mpmath.isfinite(b)):
                    continue
                length = b - a
                for end, direction in ((a, 1), (b, -1)):
                    scale = self.local_scale(end)
                    quiet, distance = 0, 4 * scale
                    while distance < length / 2 and quiet < 2:
                        cut = end + direction * distance
                        extra.append(cut)
                        value = self.safe_value_at(cut)
                        quiet = quiet + 1 if value is not None and abs(value) * distance <= reference else 0
                        distance *= 4
        return sorted(set(points) | set(extra)) if extra else points

    # --- where to cut ----------------------------------------------------------------------

    def breakpoints(self, lo, hi):
        exponents, roots, functions, logarithmic = self.node.analysis
        ctx, env = self.ctx, self.env
        cuts, widths, singular = set(), [], set()
        with mpmath.extradps(20):
            def coefficient_values(compiled):
                try:
                    return [c(ctx, env) for c in compiled]
                except Undefined:
                    return None

            peaks = []
            for coefficients in exponents:
                values = coefficient_values(coefficients)
                if values is None:
                    continue
                found, scales = _critical_points(values)
                peaks += found
                widths += scales
                # An end where the exponent falls into the range is a peak too (exp(-x) at 0).
                slope_coefficients = _derivative_coefficients(values)
                for end, falling in ((lo, -1), (hi, 1)):
                    if mpmath.isfinite(end):
                        slope = _real(mpmath.polyval(slope_coefficients, end))
                        if slope is not None and slope * falling > 0:
                            peaks.append((end, 1 / abs(slope)))
            for top, bottom in logarithmic:
                numerator, denominator = coefficient_values(top), coefficient_values(bottom)
                if numerator is None or denominator is None:
                    continue
                numerator, denominator = [_real(c) for c in numerator], [_real(c) for c in denominator]
                if None in numerator or None in denominator:
                    continue
                slope_of_numerator = _derivative_coefficients(numerator)
                for r in _real_roots(numerator):
                    # At a root of the numerator N of (log|term|)' = N/D, (log|term|)'' = N'/D.
                    below = mpmath.polyval(denominator, r)
                    curvature = mpmath.polyval(slope_of_numerator, r) / below if below != 0 else 0
                    if curvature != 0 and lo < r < hi:
                        peaks.append((r, 1 / mpmath.sqrt(abs(curvature))))
            for application in functions:
                instance = ctx.point.function_instance(application)
                for coefficients in _analyse(instance.expr, instance.variables[0])[0]:
                    found, scales = _critical_points([c(ctx, {}) for c in coefficients])
                    peaks += found
                    widths += scales
            for r, w in peaks:
                for offset in (0, -4, 4):
                    cuts.add(r + offset * w)
            for coefficients, pole in roots:
                values = coefficient_values(coefficients)
                if values is None:
                    continue
                for r in _real_roots(values):
                    cuts.add(r)
                    singular.add(r)
                if pole:  # a pole off the axis at a +- i b makes a peak of width b at a
                    for r in _complex_roots(values):
                        peaks.append((mpmath.re(r), abs(mpmath.im(r))))
                        cuts.add(mpmath.re(r))
        for end in (lo, hi):
            if mpmath.isfinite(end):
                singular.add(end)
        ordered = sorted(c for c in cuts if mpmath.isfinite(c))
        merged = []
        for c in ordered:
            if not merged or c - merged[-1] > mpf(10) ** (-self.digits) * max(1, abs(c)):
                merged.append(c)
        peaks = [(r, w) for r, w in peaks if mpmath.isfinite(w) and w > 0]
        return merged, peaks, [w for w in widths if mpmath.isfinite(w) and w > 0], sorted(singular)

    def refined(self, points, scale):
        """Careful mode: each finite segment in four, and a cut at the largest |f| found on a
        fine grid of every segment (a peak the structure did not reveal)."""
        finer = []
        for a, b in zip(points, points[1:]):
            finer.append(a)
            if mpmath.isfinite(a) and mpmath.isfinite(b):
                with mpmath.extradps(self.digits + 20):
                    grid = [(a, (b - a) * mpf(i) / 256) for i in range(1, 256)]
                    finer += [a + (b - a) * mpf(i) / 4 for i in (1, 2, 3)]
            elif mpmath.isfinite(a):
                grid = [(a, scale * mpf(10) ** (mpf(i) / 16)) for i in range(-64, 65)]
            elif mpmath.isfinite(b):
                grid = [(b, -scale * mpf(10) ** (mpf(i) / 16)) for i in range(-64, 65)]
            else:
                grid = [(0, scale * mpf(10) ** (mpf(i) / 16) * s) for i in range(-64, 65) for s in (1, -1)]
            best, peak = None, None
            for base, offset in grid:
                extra = max(0, int(mpmath.log10(max(1, abs(base)) / abs(offset))))
                v = self.safe_value_at(base, offset, extra)
                if v is not None and (best is None or abs(v) > best):
                    with mpmath.extradps(extra + 10):
                        best, peak = abs(v), base + offset
            if peak is not None:
                finer.append(peak)
        finer.append(points[-1])
        return sorted(set(finer))

    # --- divergence -----------------------------------------------------------------------

    def integrable_at(self, c, lo, hi, points):
        """Undefined where the integrand has no value at c, or c is an end, and h |f(c +- h)| does not
        tend to 0 as h -> 0, on either side within the range (1/x is not integrable at 0, log x is). At
        an end a value proves nothing: tan(pi x / 2) has one at x = 1, where pi / 2 is rounded (inside
        the range, the domain check refuses such a pole before)."""
        if c not in (lo, hi) and self.safe_value_at(c, 0, 10) is not None:
            return
        for direction in (1, -1):
            if (direction > 0 and not c < hi) or (direction < 0 and not c > lo):
                continue
            neighbours = [p for p in points if (p - c) * direction > 0 and mpmath.isfinite(p)]
            length = min((abs(p - c) for p in neighbours), default=mpf(1))
            extra = max(0, int(mpmath.log10(max(1, abs(c)) / length))) + 10
            samples = []
            for j in (2, 4, 6, 8):
                h = length * mpf(10) ** (-j)
                v = self.safe_value_at(c, direction * h, extra + j)
                if v is None:
                    raise Undefined(f"{self.name} diverges: the integrand is undefined arbitrarily close to "
                                    f"{self.node.var} = {_nstr(c)} at {self.where()}")
                samples.append(h * abs(v))
            if samples[-1] > self.negligible and samples[-1] >= 0.999 * samples[-2] >= 0.999**2 * samples[-3] > 0:
                raise Undefined(f"{self.name} diverges: the integrand is not integrable at "
                                f"{self.node.var} = {_nstr(c)} (|f| ~ 1/|{self.node.var} - c| or worse) "
                                f"at {self.where()}")

    def tail(self, start, direction, scale):
        """|x f(x)| far out; Undefined when it does not decrease (f not o(1/x))."""
        start = mpf(start)
        samples = []
        for j in range(1, 7):
            offset = direction * scale * mpf(10) ** j
            v = self.safe_value_at(start, offset, max(0, int(mpmath.log10((abs(start) + 1) / abs(offset)))))
            with mpmath.extradps(10):
                x = start + offset
            if v is None:
                raise Inconclusive(f"{self.name}: the integrand is undefined at {self.node.var} = {_nstr(x)} "
                                   f"at {self.where()}")
            samples.append((x, abs(x) * abs(v)))
        g = [s for _, s in samples]
        if g[-1] > self.negligible and g[-1] >= 0.999 * g[-3] and g[-3] > 0:
            raise Undefined(f"{self.name} diverges: |{self.node.var} f({self.node.var})| does not decay as "
                            f"{self.node.var} -> {'+' if direction > 0 else '-'}oo ({_nstr(g[-1])} at "
                            f"{self.node.var} = {_nstr(samples[-1][0])}) at {self.where()}")
        return samples

    def tail_negligible(self, samples, tolerance):
        g = [s for _, s in samples]
        if g[-1] <= tolerance:
            return
        if g[-1] * 5 <= g[-2] and g[-2] * 5 <= g[-3]:  # decays at least like 1/x^1.7: converges
            return
        raise Inconclusive(f"{self.name}: the integrand decays too slowly to tell convergence "
                           f"({_nstr(g[-1])} at {self.node.var} = {_nstr(samples[-1][0])}) at {self.where()}")

    # --- quadrature -----------------------------------------------------------------------

    def segment(self, a, b, scale):
        """(size, finish): finish(reference) is (value, error, size) over [a, b], in a coordinate
        that keeps a narrow segment far from 0 resolved: x = mid + half t for finite ends,
        x = end +- scale u towards an infinite one. ``size`` (max |f| at three nodes times the
        length, None when not measured) is this segment's scale; ``reference`` the largest
        segment's: the error of the rule is driven below mpmath's epsilon relative to the
        larger of the two."""
        ctx = self.ctx
        end = a if mpmath.isfinite(a) else b
        near = [w for r, w in self.peaks if mpmath.isfinite(end) and abs(end - r) <= 5 * w]
        if near:
            scale = min(near)  # a tail beyond a peak decays on that peak's scale
        if mpmath.isfinite(a) and mpmath.isfinite(b):
            with mpmath.extradps(self.digits + 20):
                base, slope = (a + b) / 2, (b - a) / 2
            if slope == 0:
                return None, lambda reference: (mpf(0), mpf(0), mpf(0))
            extra = max(0, int(mpmath.log10(max(abs(a), abs(b)) / slope)))
            interval = [-1, 1]
        else:
            base = a if mpmath.isfinite(a) else b if mpmath.isfinite(b) else mpf(0)
            slope = scale if mpmath.isfinite(a) or not mpmath.isfinite(b) else -scale
            extra = max(0, int(mpmath.log10(max(1, abs(base)) / scale)))
            interval = [0, mpmath.inf] if mpmath.isfinite(base) and (mpmath.isfinite(a) or mpmath.isfinite(b)) \
                else [-mpmath.inf, mpmath.inf]
        factor = abs(slope)
        f, mp = self.f, mpmath.mp
        bits = int((self.digits + 10 + self.extra + extra) * 3.33) + 4

        def g(t):
            # x = base + slope t formed at the integrand's precision: a node close to a far-out
            # peak keeps its distance to it.
            saved = mp.prec
            mp.prec = max(bits, saved + 33)
            try:
                return f(base + slope * t)
            finally:
                mp.prec = saved

        # mpmath's error estimate has an absolute floor near its epsilon: integrate g / size,
        # of order 1, so that the floor is relative to this segment's contribution.
        samples = []
        for t in ((-0.5, 0, 0.5) if interval[0] == -1 else (0.5, 1, 2)):
            try:
                samples.append(abs(g(mpf(t))))
            except Undefined:
                pass
        size = max(samples, default=mpf(0)) * factor
        if len(samples) == 3 and size * 1000 <= self.negligible_error and not ctx.careful:
            # Far out in a tail (a graded cut 64 widths from a Gaussian's peak): nothing to add
            # but the bound on what it could hold.
            return None, lambda reference, size=size: (mpf(0), size, size)
        measured = None
        if self.noise_only or not size or not mpmath.isfinite(size):
            size = mpf(1)
        elif not ctx.careful:
            measured = size
        return measured, functools.partial(self._integrate, g, interval, factor, size, measured is not None)

    def _integrate(self, g, interval, factor, size, measured: bool, reference):
        ctx = self.ctx
        factor = factor / size
        calls = [0]

        def counted(t):
            calls[0] += 1
            if calls[0] & 255 == 0:
                ctx.spend(256, "a multi-dimensional integral by nested quadrature" if ctx.depth > 1
                          else "quadrature nodes")
            return g(t) * factor

        # Gauss-Legendre converges fastest on a smooth segment; tanh-sinh takes over where it does
        # not (an endpoint singularity). Careful mode starts from the other rule.
        # At an endpoint singularity (1/sqrt(x) at 0) tanh-sinh needs more digits than the
        # tolerance: its nodes crowd the endpoint only as far as the precision resolves.
        methods = ("tanh-sinh", "gauss-legendre") if ctx.careful else ("gauss-legendre", "tanh-sinh")
        plans = [(methods[0], 0), (methods[1], 0), ("tanh-sinh", self.digits)]
        # The rule's degree rises until its error estimate is below mpmath's epsilon relative to
        # the largest segment (careful mode: to this one).
        relative = max(1, reference / size) if measured and reference is not None else 1
        try:
            for method, more in plans:
                with mpmath.extradps(more):
                    value, error = _quad(counted, interval, method, 6 if method == "gauss-legendre" else 8,
                                         relative)
                # Converged (relative to the largest segment), or this segment's error negligible
                # however small the integral is.
                if error <= mpf(10) ** (2 - self.digits) * relative or error * size <= self.negligible_error:
                    break
        except Undefined as exc:
            raise Inconclusive(f"{self.name}: the integrand is undefined inside the range ({exc}) at "
                               f"{self.where()}") from None
        except (ZeroDivisionError, ValueError, OverflowError) as exc:
            raise Inconclusive(f"quadrature of {self.name} failed ({exc}) at {self.where()}") from None
        return value * size, abs(error * size), size if not self.noise_only else abs(value)


# ----------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------


class _NeedsPrecision(Exception):
    """The number pass met rounding it cannot overcome at this precision: raise it."""


def _to_sympy(value, dps: int) -> sympy.Expr:
    if isinstance(value, mpc):
        if value.imag == 0:
            return sympy.Float(value.real, dps)
        return sympy.Float(value.real, dps) + sympy.I * sympy.Float(value.imag, dps)
    return sympy.Float(value, dps)


def _agree(first: list, second: list, digits: int) -> bool:
    tolerance = mpf(10) ** (-digits)
    return all(abs(a - b) <= tolerance * max(1, abs(b)) for a, b in zip(first, second))


def _bounds(enclosure):
    """The ends of an interval as mpmath numbers, exactly."""
    low, high = enclosure._mpi_
    with mpmath.workprec(max(mpmath.mp.prec, low[3], high[3]) + 10):
        return mpf(low), mpf(high)


def _relative_width(values: list, enclosures: list):
    """(the largest enclosure width relative to max(1, |value|), the largest width); infinite
    when a value lies outside its enclosure."""
    widest, absolute = mpf(0), mpf(0)
    for value, enclosure in zip(values, enclosures):
        if isinstance(enclosure, _IV.mpc):
            parts = [(mpmath.re(value), enclosure.real), (mpmath.im(value), enclosure.imag)]
        else:
            if isinstance(value, mpc):
                return mpmath.inf, mpmath.inf
            parts = [(value, enclosure)]
        for part, interval in parts:
            low, high = _bounds(interval)
            if not (mpmath.isfinite(low) and mpmath.isfinite(high)):
                return mpmath.inf, mpmath.inf
            slack = (high - low) * mpf(10) ** -10
            if not low - slack <= part <= high + slack:
                return mpmath.inf, mpmath.inf
            widest = max(widest, (high - low) / max(1, abs(value)))
            absolute = max(absolute, high - low)
    return widest, absolute


def _one_pass(entries, ctx: _Context, digits: int, interval: bool, perturbing: bool = False) -> list:
    ctx.begin_pass(digits, interval, perturbing)
    with _working_digits(mpmath.mp, digits), _working_digits(_IV, digits):
        try:
            return [entry(ctx, {}) for entry in entries]
        except _UndefinedAt as exc:
            raise Undefined(str(exc)) from None


def _two_precisions(entries, ctx: _Context, previous: list, digits: int, accuracy: int) -> list:
    """Where intervals cannot follow: two working precisions that must agree (more while they
    do not), then a pass with every operator's value moved by its error estimate."""
    step = _PASS_STEP
    while True:
        digits += step
        try:
            current = _one_pass(entries, ctx, digits, False)
        except _NeedsPrecision:
            current = None
        if current is not None and _agree(previous, current, accuracy):
            break
        if digits + 2 * step > _MAX_DIGITS:
            raise Inconclusive(f"digits lost to cancellation: the value does not settle up to {digits} "
                               f"working digits")
        previous, step = current or previous, 2 * step
    if ctx.perturbable:
        moved = _one_pass(entries, ctx, digits, False, perturbing=True)
        if not _agree(current, moved, accuracy):
            raise Inconclusive("the value is too sensitive to the error of an integral, series, "
                               "expectation or derivative in it (they nearly cancel)")
    return current


def _evaluate(expr: sympy.Basic, point: Point, dps: int, careful: bool) -> list:
    """The mpmath values of expr's entries at point, each reliable to dps // 2 + 1 digits:
    its enclosure in interval arithmetic (operators as value +- error) is that narrow, at
    the working precision reached by raising it while it is not."""
    entries, shape = _compile_top(expr)
    ctx = _Context(point, dps, careful)
    accuracy = dps // 2 + 1
    digits, step = dps + _GUARD_DIGITS, _PASS_STEP
    width_before = None
    while True:
        try:
            values = _one_pass(entries, ctx, digits, False)
        except _NeedsPrecision as exc:
            values, why = None, str(exc)
        if values is not None:
            try:
                enclosures = _one_pass(entries, ctx, digits, True)
            except _NoInterval:
                return _two_precisions(entries, ctx, values, digits, accuracy), shape
            with mpmath.workdps(digits + 10):
                width, absolute = _relative_width(values, enclosures)
            if width <= mpf(10) ** -accuracy:
                return values, shape
            why = f"the value is not determined to {accuracy} digits (relative width {_nstr(width)})"
            if width_before is not None and not absolute < width_before / 10:
                raise Inconclusive(f"{why} at {digits} working digits: the error of an integral, series "
                                   "or expectation, or cancellation that more precision does not cure")
            width_before = absolute
        if digits + step > _MAX_DIGITS:
            raise Inconclusive(f"{why} up to {digits} working digits")
        digits, step = digits + step, 2 * step


_RESULTS: OrderedDict = OrderedDict()
_RESULTS_SIZE = 4096


def evaluate(expr: sympy.Basic, point: Point, dps: int, *, careful: bool = False):
    """``expr`` at ``point``: a sympy number (Float, or Float + I*Float), or an ImmutableMatrix
    of them, reliable to about ``dps // 2`` digits. Raises Undefined where the expression has no
    finite value, Inconclusive where the witness cannot evaluate it reliably. ``careful``: a
    different method for every operator (to confirm a refutation), at the given dps.

    Cached, failures included: in a derivation each stated expression is the next step's
    previous one, and points depend only on the symbols, so every value is computed once."""
    key = (expr, point, dps, careful)
    hit = _RESULTS.get(key)
    if hit is None:
        try:
            values, shape = _evaluate(sympy.sympify(expr), point, dps, careful)
            numbers = [_to_sympy(v, dps) for v in values]
            hit = (True, sympy.ImmutableMatrix(shape[0], shape[1], numbers) if shape else numbers[0])
        except (Inconclusive, UnsupportedDomain) as exc:
            hit = (False, (Undefined if isinstance(exc, Undefined) else type(exc), str(exc)))
        _RESULTS[key] = hit
        if len(_RESULTS) > _RESULTS_SIZE:
            _RESULTS.popitem(last=False)
    else:
        _RESULTS.move_to_end(key)
    ok, value = hit
    if ok:
        return value
    kind, message = value
    raise kind(message)
