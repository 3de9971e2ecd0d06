"""Bounds: the kernel's answers about approximations, each by a method it trusts.

``check_series_bound`` proves a truncated Taylor series' relative remainder from exact
coefficients and interval enclosures (``_interval``); ``check_constant_bound`` a constant's
relative rounding error; ``check_implementation`` checks generated code against a verified
expression at inputs the kernel picks. A Bound is made only here.
"""

from __future__ import annotations

import random
import time

import mpmath
import sympy

from . import _domains, _interval, _numeric, _tasks, _workers
from ._core import Reason, Settings, Status, _as_expression, _one_line

_TOKEN = object()


class Bound:
    """The kernel's answer about an approximation's relative error: a truncated series'
    remainder (check_series_bound), a constant's rounding (check_constant_bound), or generated
    code at sampled inputs (check_implementation). Immutable; made only here."""

    __slots__ = ("status", "reason", "function", "approximation", "variable", "radius",
                 "relative_error", "detail", "seconds")

    def __init__(self, token, **fields):
        if token is not _TOKEN:
            raise TypeError("a Bound is made only by derive's kernel (check_series_bound)")
        for name in self.__slots__:
            object.__setattr__(self, name, fields[name])

    def __setattr__(self, name, value):
        raise AttributeError("a Bound is immutable")

    @property
    def proved(self) -> bool:
        return self.status is Status.PROVED

    def __repr__(self) -> str:
        return f"Bound({self.status.value}, {self.reason.value}, {self.detail!r})"


def series_remainder(f, x, coefficients, r, pieces):
    """(status, reason, detail, relative_error) for check_series_bound, whose docstring is the proof."""
    n_max = len(coefficients) - 1
    _interval.enclose_on_pieces(f, x, -r, r, pieces)  # bounded at every node: f is analytic on [-r, r]
    derivatives = [f]
    for _ in range(n_max + 1):
        derivatives.append(sympy.diff(derivatives[-1], x))
    for n, coefficient in enumerate(coefficients):
        taylor = sympy.simplify(derivatives[n].subs(x, 0)) / sympy.factorial(n)
        if not taylor.is_Rational:
            return (Status.UNKNOWN, Reason.UNDECIDED,
                    f"f^({n})(0)/{n}! = {taylor} is not a known rational", None)
        if taylor != coefficient:
            return (Status.REFUTED, Reason.NOT_EQUAL,
                    f"the coefficient of {x}**{n} is {coefficient}, the Taylor coefficient is {taylor}", None)
    m = next((n for n, coefficient in enumerate(coefficients) if coefficient != 0), None)
    if m is None:
        return Status.UNKNOWN, Reason.UNDECIDED, f"T_{n_max} = 0: no nonzero term to bound |f| below", None
    lowest = _interval.enclose_on_pieces(derivatives[m], x, -r, r, pieces)
    if not (all(e.a > 0 for e in lowest) or all(e.b < 0 for e in lowest)):
        return Status.UNKNOWN, Reason.UNDECIDED, f"f^({m}) may vanish on [-{r}, {r}]", None
    highest = _interval.enclose_on_pieces(derivatives[n_max + 1], x, -r, r, pieces)
    scale = sympy.factorial(m) * r ** (n_max + 1 - m) / sympy.factorial(n_max + 1)
    # iv rounds outward at any precision, so this quotient's upper end is a sound bound.
    ratio = max(abs(e).b for e in highest) / min(abs(e).a for e in lowest) * _interval.exact(scale)
    relative_error = mpmath.mpf(ratio.b, rounding="c")
    return (Status.PROVED, Reason.INTERVAL_BOUND,
            f"|f - T_{n_max}| <= {mpmath.nstr(relative_error, 2)} |f| for |{x}| <= {r} (Taylor "
            f"coefficients exact; remainder by interval arithmetic on {pieces} pieces)", relative_error)


def check_series_bound(function, variable, approximation, radius, *, pieces: int = 64,
                       settings: Settings = Settings()) -> Bound:
    """Prove |function - approximation| <= relative_error * |function| for real |variable| <= radius.

    The proof, for f = expand_func(function) (expm1 and the like in exp/log form) and r = radius:
    1. f has a bounded interval enclosure at every node on each of ``pieces`` equal pieces of
       [-r, r]: no pole, no log or sqrt at or below 0, so f is analytic there.
    2. approximation is a polynomial of degree N with rational coefficients, and each equals
       f^(n)(0) / n!, which must simplify to a rational: approximation is the Taylor polynomial T_N.
    3. m is the degree of T_N's first nonzero term. By Lagrange, for |x| <= r,
       f - T_N = f^(N+1)(xi) x^(N+1) / (N+1)!   and   f = f^(m)(eta) x^m / m!   (as T_{m-1} = 0).
    4. Enclosures on the pieces give M >= |f^(N+1)| and L <= |f^(m)|, with f^(m) of one sign and
       never 0, so |f - T_N| <= (M / (N+1)!) / (L / m!) * r^(N+1-m) * |f|. The factor is computed
       in interval arithmetic; relative_error is its upper end.
    REFUTED: a coefficient differs exactly from f's, so approximation is not T_N.
    """
    started = time.perf_counter()
    claim = dict(function=function, approximation=approximation, variable=variable, radius=radius)

    def bound(status, reason, detail, relative_error=None) -> Bound:
        return Bound(_TOKEN, status=status, reason=reason, detail=detail,
                     relative_error=relative_error, seconds=time.perf_counter() - started, **claim)

    try:
        f, r = sympy.expand_func(_as_expression(function)), _as_expression(radius)
        if not (isinstance(variable, sympy.Symbol) and variable.is_real):
            raise TypeError(f"the variable must be a real Symbol, got {variable!r}")
        coefficients = sympy.Poly(approximation, variable).all_coeffs()[::-1]
    except (TypeError, sympy.PolynomialError) as exc:
        return bound(Status.UNKNOWN, Reason.INVALID_INPUT, str(exc))
    invalid = [why for valid, why in (
        (f.free_symbols <= {variable}, f"the function depends on more than {variable}"),
        (isinstance(r, sympy.Rational) and r > 0, f"the radius must be a positive Rational, got {r}"),
        (all(c.is_Rational for c in coefficients), "the approximation's coefficients must be rational"),
        (isinstance(pieces, int) and pieces > 0, f"pieces must be a positive int, got {pieces!r}"),
    ) if not valid]
    if invalid:
        return bound(Status.UNKNOWN, Reason.INVALID_INPUT, invalid[0])
    [(stages, failure)] = _workers.run([_workers.Job("series_bound", (f, variable, tuple(coefficients), r, pieces),
                                                     settings.seconds_per_strategy)])
    if failure or stages[0].kind != "ok":
        if stages and stages[0].kind == "timeout":
            return bound(Status.UNKNOWN, Reason.TIMEOUT, f"took over {settings.seconds_per_strategy:g}s")
        return bound(Status.UNKNOWN, Reason.INTERNAL_ERROR, failure or "the worker process died")
    return bound(*stages[0].payload)


def check_constant_bound(value, approximation, *, bits: int = 256) -> Bound:
    """Prove |approximation - value| <= relative_error * |value| for a real constant ``value``
    (log(2)/64, 2**(5/64)) and a rational ``approximation`` (the sum of the doubles code stores
    for it). The proof: interval arithmetic at ``bits`` bits, rounding outward, encloses ``value``
    in an interval not containing 0; relative_error is the upper end of
    |approximation - enclosure| / |enclosure|, which holds for every point of it."""
    started = time.perf_counter()
    claim = dict(function=value, approximation=approximation, variable=None, radius=sympy.S.Zero)

    def bound(status, reason, detail, relative_error=None) -> Bound:
        return Bound(_TOKEN, status=status, reason=reason, detail=detail,
                     relative_error=relative_error, seconds=time.perf_counter() - started, **claim)

    try:
        value, approximation = _as_expression(value), _as_expression(approximation)
    except TypeError as exc:
        return bound(Status.UNKNOWN, Reason.INVALID_INPUT, str(exc))
    invalid = [why for valid, why in (
        (not value.free_symbols, f"the value {value} is not a constant"),
        (isinstance(approximation, sympy.Rational), f"the approximation must be a Rational, got {approximation}"),
        (isinstance(bits, int) and bits >= 53, f"bits must be an int of at least 53, got {bits!r}"),
    ) if not valid]
    if invalid:
        return bound(Status.UNKNOWN, Reason.INVALID_INPUT, invalid[0])
    try:
        enclosure = _interval.enclose_constant(value, bits)
    except _interval.Unenclosable as exc:
        return bound(Status.UNKNOWN, Reason.UNSUPPORTED_DOMAIN, str(exc))
    if enclosure.a <= 0 <= enclosure.b:
        return bound(Status.UNKNOWN, Reason.UNDECIDED, f"the enclosure {enclosure} of {value} contains 0")
    with _interval.precision(bits):
        ratio = abs(_interval.exact(approximation) - enclosure) / abs(enclosure)
    relative_error = mpmath.mpf(ratio.b, rounding="c")
    return bound(Status.PROVED, Reason.INTERVAL_BOUND,
                 f"|{approximation} - {value}| <= {mpmath.nstr(relative_error, 3)} |{value}| (interval "
                 f"arithmetic at {bits} bits)", relative_error)


# Values the implementation check gives the elements of a family: its edges, then seeded draws.
_IMPLEMENTATION_EDGES = (0.0, 1.0, -1.0, 2.0**-20, 30.0, -30.0, 0.5)
IMPLEMENTATION_LENGTHS = (1, 2, 3, 5)
IMPLEMENTATION_TOLERANCE = sympy.Rational(1, 2**40)


def _implementation_inputs(family: sympy.IndexedBase, length: int, rng) -> list[float]:
    """Doubles for family[1 .. length] that satisfy the family's declared assumptions."""
    values = []
    for n in range(1, length + 1):
        candidates = [*_IMPLEMENTATION_EDGES[(n + length) % len(_IMPLEMENTATION_EDGES):],
                      *(rng.uniform(-8, 8) for _ in range(20))]
        target = family[n]
        values.append(next(v for v in candidates
                           if _domains.fact_violation(target, sympy.Rational(v)) is None))
    return values


def check_implementation(expression, index: sympy.Symbol, families: dict, function, *,
                         settings: Settings = Settings()) -> Bound:
    """Check generated code against the verified ``expression``, a sum over ``index`` from 1 to
    a dimension symbol of terms in ``family[index]``: at arrays of each length in
    IMPLEMENTATION_LENGTHS, of values the kernel picks (edges and seeded draws within each
    family's declared domain), ``function`` (given the arrays as lists of doubles, by argument
    name; it returns a number) must agree with ``expression`` evaluated exactly at those doubles
    to within IMPLEMENTATION_TOLERANCE of its magnitude. PROVED with reason SAMPLED_AGREEMENT is
    evidence at those inputs, not a proof for all: it catches a printer that computes something
    else (a wrong limit, a dropped term), which rounding never explains."""
    started = time.perf_counter()
    claim = dict(function=expression, approximation=sympy.Symbol(getattr(function, "__name__", "generated")),
                 variable=index, radius=sympy.S.Zero)

    def bound(status, reason, detail, relative_error=None) -> Bound:
        return Bound(_TOKEN, status=status, reason=reason, detail=detail, relative_error=relative_error,
                     seconds=time.perf_counter() - started, **claim)

    sums = [n for n in sympy.preorder_traversal(expression) if isinstance(n, sympy.Sum)]
    if len(sums) != 1 or len(sums[0].limits) != 1 or sums[0].limits[0][0] != index:
        return bound(Status.UNKNOWN, Reason.INVALID_INPUT, f"the expression is not one sum over {index}")
    _, lower, upper = sums[0].limits[0]
    if lower != 1 or not isinstance(upper, sympy.Symbol):
        return bound(Status.UNKNOWN, Reason.INVALID_INPUT,
                     f"the sum runs over {index} = {lower} .. {upper}, not from 1 to a dimension symbol")
    rng = random.Random(f"implementation:{settings.seed}")
    worst = mpmath.mpf(0)
    for length in IMPLEMENTATION_LENGTHS:
        inputs = {name: _implementation_inputs(family, length, rng) for family, name in families.items()}
        extra = {family[n]: sympy.Rational(inputs[name][n - 1])
                 for family, name in families.items() for n in range(1, length + 1)}
        shown = ", ".join(f"{name} = {values}" for name, values in inputs.items())
        # The seed names the inputs: evaluate's cache tells points apart by seed and values only.
        point = _numeric.Point(seed=f"implementation:{shown}", values=((upper, sympy.Integer(length)),),
                               extra=extra)
        try:
            exact = _tasks._mp(_numeric.evaluate(expression, point, settings.recheck_dps))
            computed = function(**inputs)
        except Exception as exc:  # noqa: BLE001 - code that fails where the expression is defined is wrong
            return bound(Status.UNKNOWN, Reason.INTERNAL_ERROR, f"at {shown}: {_one_line(exc)}")
        with mpmath.workdps(settings.recheck_dps):
            error = abs(mpmath.mpf(computed) - exact) / max(abs(exact), mpmath.mpf(10) ** -300)
        if not error <= mpmath.mpf(IMPLEMENTATION_TOLERANCE.p) / IMPLEMENTATION_TOLERANCE.q:
            return bound(Status.REFUTED, Reason.NOT_EQUAL,
                         f"at {shown} the code gives {computed!r}, the expression {mpmath.nstr(exact, 17)}")
        worst = max(worst, error)
    # the tolerance, not the worst error seen, which differs between machines' libm (and so in the kernels' docstrings)
    tolerance = f"2^-{IMPLEMENTATION_TOLERANCE.q.bit_length() - 1}"
    return bound(Status.PROVED, Reason.SAMPLED_AGREEMENT,
                 f"agrees with the expression within {tolerance} relative at arrays of lengths "
                 f"{', '.join(map(str, IMPLEMENTATION_LENGTHS))} (edges and seeded values of each family's domain)",
                 worst)
