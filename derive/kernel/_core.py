"""The trusted kernel: the only code that can decide PROVED, REFUTED or UNKNOWN.

Everything else in derive proposes: rules propose the next expression, strategies propose a
residual, the sampler proposes points. The kernel accepts a claim ``lhs == rhs`` as PROVED only
when both of two independent witnesses agree:

* symbolic: some strategy of the fixed sequence reduced ``lhs - rhs`` to exactly zero (each
  under a time limit), with every divisor nonzero and every side condition implied by the
  declared assumptions;
* numeric: at seeded points drawn from the symbols' declared domains, both sides evaluated in
  high precision (integrals by quadrature, sums unrolled) agree, at enough conclusive points.

It is REFUTED only with a counterexample that the kernel re-evaluated at higher precision. Any
other outcome is UNKNOWN, with an enumerated reason. Three inference rules build on proved
verdicts: ``using=`` (rewrite with proved equalities), ``instantiate`` and ``chain``. Two more
answer with a Bound, both by interval enclosures (``_interval``): ``check_series_bound`` proves a
truncated Taylor series' relative remainder from exact coefficients, ``check_constant_bound`` a
constant's relative rounding error (log(2)/64 stored as three doubles, say).

A Verdict or Bound cannot be made outside this module: its constructor demands a private token.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
import json
import time
from dataclasses import astuple, dataclass
from pathlib import Path

import mpmath
import sympy
from sympy.core.function import UndefinedFunction

from .. import __version__
from . import _interval, _numeric, _symbolic
from ._symbolic import Reasoning

_TOKEN = object()


class Status(str, enum.Enum):
    PROVED = "proved"
    REFUTED = "refuted"
    UNKNOWN = "unknown"


class Reason(str, enum.Enum):
    SYMBOLIC_AND_NUMERIC = "SYMBOLIC_AND_NUMERIC"  # proved: both witnesses agree
    INFERENCE = "INFERENCE"  # proved: by instantiate or chain from proved verdicts
    NOT_EQUAL = "NOT_EQUAL"  # refuted: counterexample re-evaluated
    WITNESS_CONFLICT = "WITNESS_CONFLICT"  # refuted although a strategy claimed zero: a sympy bug
    SHAPE_MISMATCH = "SHAPE_MISMATCH"
    UNDECIDED = "UNDECIDED"  # no strategy reached zero, no counterexample either
    TIMEOUT = "TIMEOUT"
    ASSUMPTION_MISSING = "ASSUMPTION_MISSING"  # a divisor or side condition needs an assumption
    NUMERIC_INCONCLUSIVE = "NUMERIC_INCONCLUSIVE"  # symbolic zero, too few conclusive points
    UNSUPPORTED_DOMAIN = "UNSUPPORTED_DOMAIN"
    INVALID_INPUT = "INVALID_INPUT"
    DEPENDENCY_NOT_PROVED = "DEPENDENCY_NOT_PROVED"
    INTERVAL_BOUND = "INTERVAL_BOUND"  # proved: Taylor coefficients exact, remainder by interval arithmetic
    CACHED = "CACHED"  # proved: a record this kernel signed says it proved this very claim before


@dataclass(frozen=True)
class Settings:
    """How hard the kernel looks. The defaults are what ``derive check`` uses."""

    samples: int = 8
    min_conclusive: int = 4
    dps: int = 24
    recheck_dps: int = 40
    seed: int = 0
    seconds_per_strategy: float = 20.0
    seconds_per_point: float = 20.0

    @property
    def tolerance(self) -> mpmath.mpf:
        return mpmath.mpf(10) ** (-(self.dps // 2))


@dataclass(frozen=True)
class Counterexample:
    assignment: dict[str, str]
    lhs_value: str
    rhs_value: str


class Verdict:
    """The kernel's answer about ``lhs == rhs``. Immutable; made only by this module."""

    __slots__ = ("status", "reason", "lhs", "rhs", "strategy", "counterexample", "detail",
                 "conclusive_points", "seconds", "numeric_seconds")

    def __init__(self, token, *, status, reason, lhs, rhs, strategy=None, counterexample=None,
                 detail="", conclusive_points=0, seconds=0.0, numeric_seconds=0.0):
        if token is not _TOKEN:
            raise TypeError("a Verdict is made only by derive's kernel (check_equal, instantiate, chain)")
        for name, value in (("status", status), ("reason", reason), ("lhs", lhs), ("rhs", rhs),
                            ("strategy", strategy), ("counterexample", counterexample),
                            ("detail", detail), ("conclusive_points", conclusive_points),
                            ("seconds", seconds), ("numeric_seconds", numeric_seconds)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("a Verdict is immutable")

    @property
    def proved(self) -> bool:
        return self.status is Status.PROVED

    def __repr__(self) -> str:
        return f"Verdict({self.status.value}, {self.reason.value}, {self.detail!r})"


def _verdict(status, reason, lhs, rhs, started, **fields) -> Verdict:
    return Verdict(_TOKEN, status=status, reason=reason, lhs=lhs, rhs=rhs,
                   seconds=time.perf_counter() - started, **fields)


def _as_expression(value):
    if isinstance(value, sympy.MatrixBase):
        return sympy.ImmutableMatrix(value)
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return sympy.sympify(value)
    raise TypeError(f"expected a sympy expression, got {type(value).__name__}: {value!r:.60}")


def _is_zero(residual) -> bool:
    if isinstance(residual, sympy.MatrixBase):
        return all(entry == 0 for entry in residual)
    return residual is not None and residual == 0


def _mp(value: sympy.Expr) -> mpmath.mpc:
    """A sympy number as an mpmath complex at full precision (never through a Python float)."""
    real, imag = value.as_real_imag()
    return mpmath.mpc(mpmath.mpmathify(real), mpmath.mpmathify(imag))


def _differ(a, b, tolerance) -> bool:
    pairs = zip(a, b) if isinstance(a, sympy.MatrixBase) else [(a, b)]
    for x, y in pairs:
        x, y = _mp(x), _mp(y)
        if abs(x - y) > tolerance * max(1, abs(x), abs(y)):
            return True
    return False


def _evaluate_both(lhs, rhs, point, dps: int, settings: Settings, careful: bool = False):
    """(both sides at ``point``, "", False), or (None, the reason this point says nothing,
    whether a side has no value there)."""
    try:
        with _symbolic.time_limit(settings.seconds_per_point):
            return (_numeric.evaluate(lhs, point, dps, careful=careful),
                    _numeric.evaluate(rhs, point, dps, careful=careful)), "", False
    except _numeric.Undefined as exc:
        return None, f"undefined: {exc}", True
    except _numeric.Inconclusive as exc:
        return None, str(exc), False
    except (ValueError, TypeError) as exc:  # e.g. a variable both bound and free: Integral(x, (x, 0, x))
        return None, f"cannot be evaluated at a point: {exc}", False
    except _symbolic.StrategyTimeout:
        return None, f"evaluation at {dps} digits took over {settings.seconds_per_point:g}s", False


def _numeric_witness(lhs, rhs, settings: Settings):
    """(conclusive random point count, confirmed counterexample or None, last inconclusive reason).

    Edge points come first. A side undefined at any point, an inconclusive edge point, or a
    difference that the careful re-evaluation does not confirm blocks a proof (the count is 0)."""
    points = _numeric.sample_points([lhs, rhs], settings.seed, settings.samples)
    conclusive, why, blocked = 0, "", ""
    for point in points:
        values, reason, undefined = _evaluate_both(lhs, rhs, point, settings.dps, settings)
        if values is None:
            why = reason
            if undefined or point.edge:
                blocked = blocked or (f"at an edge point: {reason}" if point.edge else reason)
            continue
        if not _differ(*values, settings.tolerance):
            conclusive += not point.edge
            continue
        # A counterexample only if a different method at higher precision confirms it.
        values, reason, undefined = _evaluate_both(lhs, rhs, point, settings.recheck_dps, settings, careful=True)
        if values is None or not _differ(*values, settings.tolerance):
            why = ("the sides differ but the careful re-evaluation "
                   + (f"failed: {reason}" if values is None else "does not confirm it"))
            blocked = blocked or why
            continue
        a, b = values
        return conclusive, Counterexample(point.assignment(), str(a.evalf(20)), str(b.evalf(20))), why
    return (0 if blocked else conclusive), None, blocked or why


def _theorems(using) -> list[tuple[sympy.Basic, sympy.Basic]] | None:
    pairs = []
    for verdict in using:
        if not isinstance(verdict, Verdict) or not verdict.proved:
            return None
        pairs.append((verdict.lhs, verdict.rhs))
    return pairs


def check_equal(lhs, rhs, *, using=(), reasoning: Reasoning = Reasoning.EVALUATION,
                settings: Settings = Settings(), cache=None) -> Verdict:
    """Decide ``lhs == rhs`` for sympy expressions, integrals, sums and explicit matrices.

    ``using``: proved verdicts whose equalities may be substituted (lemmas).
    ``reasoning``: how far the symbolic witness may go (algebra, + linearity, + evaluation);
    the numeric witness always evaluates everything.
    ``cache``: a ``_cache.StepCache``. A claim this kernel proved before, under the same
    settings and code, is PROVED with reason CACHED when its record's signature verifies; a
    claim proved now is recorded. Only proofs are recorded: anything else is decided afresh.
    """
    started = time.perf_counter()
    try:
        lhs, rhs = _as_expression(lhs), _as_expression(rhs)
    except TypeError as exc:
        return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, lhs, rhs, started, detail=str(exc))
    theorems = _theorems(using)
    if theorems is None:
        return _verdict(Status.UNKNOWN, Reason.DEPENDENCY_NOT_PROVED, lhs, rhs, started,
                        detail="a lemma this claim uses is not proved")
    lhs_matrix, rhs_matrix = isinstance(lhs, sympy.MatrixBase), isinstance(rhs, sympy.MatrixBase)
    if lhs_matrix != rhs_matrix or (lhs_matrix and lhs.shape != rhs.shape):
        shapes = [getattr(e, "shape", "scalar") for e in (lhs, rhs)]
        return _verdict(Status.REFUTED, Reason.SHAPE_MISMATCH, lhs, rhs, started,
                        counterexample=Counterexample({}, str(shapes[0]), str(shapes[1])),
                        detail=f"shapes differ: {shapes[0]} vs {shapes[1]}")

    digest = None if cache is None else _claim_digest(lhs, rhs, theorems, reasoning, settings)
    if digest is not None:
        recalled = _recall(cache, digest)
        if recalled is not None:
            return _verdict(Status.PROVED, Reason.CACHED, lhs, rhs, started, **recalled)

    try:
        conclusive, counterexample, inconclusive_why = _numeric_witness(lhs, rhs, settings)
    except _numeric.UnsupportedDomain as exc:
        return _verdict(Status.UNKNOWN, Reason.UNSUPPORTED_DOMAIN, lhs, rhs, started, detail=str(exc))
    numeric_seconds = time.perf_counter() - started

    proved_by, notes, timed_out = None, [], []
    for attempt in _symbolic.attempts(lhs, rhs, theorems=theorems, reasoning=reasoning,
                                        seconds=settings.seconds_per_strategy):
        notes += attempt.notes
        if attempt.timed_out:
            timed_out.append(attempt.strategy)
        if _is_zero(attempt.residual):
            proved_by = attempt.strategy
            break
    zero_divisors = [d for d in _symbolic.divisors(lhs) | _symbolic.divisors(rhs)
                     if d.is_zero is not False]

    common = dict(conclusive_points=conclusive, strategy=proved_by, numeric_seconds=numeric_seconds)
    if counterexample is not None:
        reason = Reason.WITNESS_CONFLICT if proved_by else Reason.NOT_EQUAL
        detail = (f"strategy '{proved_by}' reduced the difference to 0 but the sides differ "
                  "numerically: a sympy bug caught" if proved_by else "the sides differ at a sample point")
        return _verdict(Status.REFUTED, reason, lhs, rhs, started, counterexample=counterexample,
                        detail=detail, **common)
    if zero_divisors:
        return _verdict(Status.UNKNOWN, Reason.ASSUMPTION_MISSING, lhs, rhs, started,
                        detail=f"divisor {sympy.sstr(zero_divisors[0])} is not known to be nonzero", **common)
    if proved_by is None:
        side = [n for n in notes if n.startswith("side condition")]
        if side:
            return _verdict(Status.UNKNOWN, Reason.ASSUMPTION_MISSING, lhs, rhs, started,
                            detail=side[0], **common)
        if timed_out:
            return _verdict(Status.UNKNOWN, Reason.TIMEOUT, lhs, rhs, started,
                            detail=f"timed out: {', '.join(timed_out)}", **common)
        detail = f"no strategy reduced the difference to 0 with {reasoning.name.lower()} reasoning"
        return _verdict(Status.UNKNOWN, Reason.UNDECIDED, lhs, rhs, started,
                        detail=f"{detail}; {conclusive} sample points agree", **common)
    if conclusive < settings.min_conclusive:
        return _verdict(Status.UNKNOWN, Reason.NUMERIC_INCONCLUSIVE, lhs, rhs, started,
                        detail=f"only {conclusive} of {settings.samples} sample points were conclusive"
                               f" ({inconclusive_why})", **common)
    verdict = _verdict(Status.PROVED, Reason.SYMBOLIC_AND_NUMERIC, lhs, rhs, started,
                       detail=f"'{proved_by}' reduced the difference to 0; {conclusive} sample points agree",
                       **common)
    if digest is not None:
        _remember(cache, digest, verdict)
    return verdict


# The code a proof rests on: a change to any of it, or to sympy or mpmath, voids every record.
_TRUSTED_MODULES = ("_core.py", "_symbolic.py", "_numeric.py", "_interval.py", "_operators.py")
_RECALLED_FIELDS = ("strategy", "conclusive_points", "detail")


@functools.lru_cache(maxsize=1)
def _build() -> str:
    here = Path(__file__).parent
    sources = b"".join((here / name).read_bytes() for name in _TRUSTED_MODULES)
    versions = f"derive {__version__} sympy {sympy.__version__} mpmath {mpmath.__version__}"
    return hashlib.sha256(versions.encode() + sources).hexdigest()


def _classes(expressions) -> list[str] | None:
    """What srepr leaves out of the classes in the expressions: an undefined function's
    assumptions (``Function('f', positive=True)`` prints as ``Function('f')``). None, and the
    claim is never cached, when a class is neither sympy's nor derive's: a class in a proof file
    rests on code (its methods, its bases, the helpers they call) that no digest can cover."""
    classes = {type(node) for expr in expressions for node in sympy.preorder_traversal(expr)}
    described = []
    for cls in sorted(classes, key=lambda c: f"{c.__module__}.{c.__qualname__}"):
        if isinstance(cls, UndefinedFunction):
            described.append(f"{cls.__name__} {sorted(cls._kwargs.items())} {cls.nargs}")
        elif (cls.__module__ or "").split(".")[0] not in ("sympy", "derive"):
            return None
    return described


def _claim_digest(lhs, rhs, theorems, reasoning: Reasoning, settings: Settings) -> str | None:
    """What a record proves: both sides, the lemmas' equalities it may use, the reasoning allowed,
    how hard the witnesses look, and the exact code that decides (symbols' assumptions are in
    srepr, undefined functions' in _classes)."""
    expressions = [lhs, rhs, *(side for theorem in theorems for side in theorem)]
    sources = _classes(expressions)
    if sources is None:
        return None
    # order="none" prints args in sympy's canonical (hash-independent) order without re-sorting them.
    parts = [_build(), reasoning.name, repr(astuple(settings)),
             *(sympy.srepr(expr, order="none") for expr in expressions), *sources]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _signature(key: bytes, digest: str, body: str) -> str:
    return hmac.new(key, f"{digest}\x00{body}".encode(), hashlib.sha256).hexdigest()


def _recall(cache, digest: str) -> dict | None:
    """The fields of a record for exactly this claim whose signature verifies, else None."""
    raw = cache.read(digest)
    if raw is None:
        return None
    try:
        record = json.loads(raw)
        body, signature = record["body"], record["signature"]
        if not hmac.compare_digest(signature, _signature(cache.key, digest, body)):
            return None
        fields = json.loads(body)
        if fields.pop("digest") != digest:
            return None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if set(fields) != set(_RECALLED_FIELDS):
        return None
    return {**fields, "detail": f"cached: {fields['detail']}"}


def _remember(cache, digest: str, verdict: Verdict) -> None:
    body = json.dumps({"digest": digest, **{name: getattr(verdict, name) for name in _RECALLED_FIELDS}},
                      sort_keys=True)
    cache.write(digest, json.dumps({"body": body, "signature": _signature(cache.key, digest, body)}).encode())


def _element(key, value):
    """What ``value`` must satisfy and what it gives, for a symbol, function or indexed family."""
    if isinstance(key, (sympy.FunctionClass, sympy.IndexedBase)):
        if not isinstance(value, sympy.Lambda):
            raise TypeError(f"{key} must be replaced by a Lambda, got {sympy.sstr(value)}")
        target = key(*value.variables) if isinstance(key, sympy.FunctionClass) else key[value.variables]
        return target, value.expr
    return key, _as_expression(value)


def _respects_assumptions(key, value) -> str | None:
    """Why ``value`` may not stand for ``key``, or None when every declared fact is implied."""
    try:
        target, probe = _element(key, value)
    except TypeError as exc:
        return str(exc)
    for fact in ("positive", "negative", "nonnegative", "nonpositive", "nonzero", "real", "integer"):
        if getattr(target, f"is_{fact}") and getattr(probe, f"is_{fact}") is not True:
            return f"{sympy.sstr(value)} is not known to be {fact}, as {key} is declared"
    return None


class _Captured(ValueError):
    """A substitution that would replace a bound variable or be captured by a binder."""


def _bound_symbols(expr) -> set:
    """Every symbol some node of expr binds: the variables of integrals, sums, Lambdas, Subs and
    expectations (``bound_symbols``), of derivatives, and of any other node whose free symbols
    lack some of its arguments'."""
    bound = set()
    for node in sympy.preorder_traversal(expr):
        bound |= set(getattr(node, "bound_symbols", ()))
        if isinstance(node, sympy.Derivative):
            bound |= set(node.variables)
        if node.args:
            bound |= set().union(*(arg.free_symbols for arg in node.args)) - node.free_symbols
    return bound


def substitute(expr, mapping: dict):
    """Simultaneous substitution of symbols, functions (by Lambdas) and indexed families (by
    Lambdas), as plain syntactic replacement. That is sound only when no replaced symbol is bound
    anywhere in expr and no symbol of a value would be captured by a binder, so anything else is
    refused (sympy's subs does not rename bound variables: it would capture)."""
    families = (sympy.FunctionClass, sympy.IndexedBase)
    plain = {k: v for k, v in mapping.items() if not isinstance(k, families)}
    touched = set(plain).union(*(getattr(value, "free_symbols", set()) for value in mapping.values()))
    caught = touched & _bound_symbols(expr)
    if caught:
        raise _Captured(f"the substitution touches {', '.join(sorted(map(str, caught)))}, bound inside "
                        f"{sympy.sstr(expr)[:80]}: rename the bound variable")
    if plain:
        expr = expr.xreplace(plain)
    for key, family in mapping.items():
        if isinstance(key, sympy.FunctionClass):
            # sympy's subs cannot replace a function class inside an Integral; replace can.
            expr = expr.replace(key, family)
        elif isinstance(key, sympy.IndexedBase):
            expr = expr.replace(lambda n, key=key: isinstance(n, sympy.Indexed) and n.base == key,
                                lambda n, family=family: family(*n.indices))
    return expr


def instantiate(verdict: Verdict, mapping: dict) -> Verdict:
    """Specialise a proved equality: free symbols, undefined functions or indexed families
    (given as Lambdas) replaced by values that satisfy every assumption they were declared with."""
    started = time.perf_counter()
    try:
        lhs, rhs = substitute(verdict.lhs, mapping), substitute(verdict.rhs, mapping)
    except _Captured as exc:
        return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, verdict.lhs, verdict.rhs, started, detail=str(exc))
    if not verdict.proved:
        return _verdict(Status.UNKNOWN, Reason.DEPENDENCY_NOT_PROVED, lhs, rhs, started,
                        detail="the instantiated equality is not proved")
    for key, value in mapping.items():
        why = _respects_assumptions(key, value)
        if why:
            return _verdict(Status.UNKNOWN, Reason.ASSUMPTION_MISSING, lhs, rhs, started, detail=why)
    return _verdict(Status.PROVED, Reason.INFERENCE, lhs, rhs, started,
                    detail=f"instance of a proved equality ({len(mapping)} substitutions)")


def chain(verdicts: list[Verdict]) -> Verdict:
    """Transitivity: a = b, b = c, ... proves a = z when every link is proved and they meet exactly."""
    started = time.perf_counter()
    if not verdicts:
        raise ValueError("chain needs at least one verdict")
    lhs, rhs = verdicts[0].lhs, verdicts[-1].rhs
    for n, verdict in enumerate(verdicts):
        if not verdict.proved:
            return _verdict(Status.UNKNOWN, Reason.DEPENDENCY_NOT_PROVED, lhs, rhs, started,
                            detail=f"link {n + 1} of {len(verdicts)} is {verdict.status.value}")
        if n and verdicts[n - 1].rhs != verdict.lhs:
            return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, lhs, rhs, started,
                            detail=f"link {n + 1} does not start where link {n} ends")
    return _verdict(Status.PROVED, Reason.INFERENCE, lhs, rhs, started,
                    detail=f"transitivity over {len(verdicts)} proved links")


class Bound:
    """The kernel's answer about an approximation's relative error: a truncated series'
    remainder (check_series_bound) or a constant's rounding (check_constant_bound). Immutable;
    made only here."""

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


def _series_remainder(f, x, coefficients, r, pieces):
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
    try:
        with _symbolic.time_limit(settings.seconds_per_strategy):
            return bound(*_series_remainder(f, variable, coefficients, r, pieces))
    except _interval.Unenclosable as exc:
        return bound(Status.UNKNOWN, Reason.UNSUPPORTED_DOMAIN, str(exc))
    except _symbolic.StrategyTimeout:
        return bound(Status.UNKNOWN, Reason.TIMEOUT, f"took over {settings.seconds_per_strategy:g}s")


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
