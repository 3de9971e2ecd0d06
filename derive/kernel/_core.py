"""The trusted kernel's core: the only code that can decide PROVED, REFUTED or UNKNOWN about a claim.

Everything else in derive proposes: rules propose the next expression, strategies propose a
residual, the sampler proposes points. ``check_equal`` refuses a claim that is no question
(a float literal, a bound variable declared more than its range implies, a class it cannot
trust), then asks each witness once and decides from their answers (``_decide``):

* symbolic: some strategy reduced ``lhs - rhs`` to exactly zero with the reasoning the step's
  rule allows, each under a time limit;
* numeric: at every edge point of the symbols' declared domains and at seeded random points,
  both sides evaluated in high precision by the numeric witness's own methods (quadrature,
  direct summation, numerical differentiation) agree; a side undefined at a point of the
  domain, or a point the witness cannot evaluate reliably, blocks a proof.

PROVED needs both, with every divisor, log argument and pole-making argument known to be
nonzero. REFUTED needs a counterexample that a careful re-evaluation (higher precision, another
method) confirms. Anything else is UNKNOWN with an enumerated reason, and so is any exception
raised while deciding. Three inference rules build on proved verdicts: ``using=`` (rewrite
with proved equalities), ``instantiate`` and ``chain``; ``postulate`` makes an axiom, and every
verdict carries the axioms it rests on. (Bounds on approximations are in ``_bounds``.)

A Verdict cannot be made outside this module: its constructor demands a private token, and
only verdicts this module made (kept by identity, with what they said, in ``_MINTED``) are
accepted as inputs.
"""

from __future__ import annotations

import copyreg
import enum
import functools
import inspect
import hashlib
import threading
import time
import weakref
from dataclasses import astuple, dataclass
from pathlib import Path

import mpmath
import sympy
from sympy.core.function import UndefinedFunction

from .. import __version__
from . import _certificate, _domains, _hypotheses, _symbolic, _tasks, _workers
from ._symbolic import Reasoning

_TOKEN = object()


class Status(str, enum.Enum):
    PROVED = "proved"
    REFUTED = "refuted"
    UNKNOWN = "unknown"


class Reason(str, enum.Enum):
    SYMBOLIC_AND_NUMERIC = "SYMBOLIC_AND_NUMERIC"  # proved: both witnesses agree
    INFERENCE = "INFERENCE"  # proved: by instantiate or chain from proved verdicts
    AXIOM = "AXIOM"  # proved: a postulate, an equality the user declared without proof
    INTERVAL_BOUND = "INTERVAL_BOUND"  # proved: Taylor coefficients exact, remainder by interval arithmetic
    SAMPLED_AGREEMENT = "SAMPLED_AGREEMENT"  # generated code agrees with the expression at the kernel's inputs
    CACHED = "CACHED"  # proved: a record this kernel signed says it proved this very claim before
    NOT_EQUAL = "NOT_EQUAL"  # refuted: a counterexample a careful re-evaluation confirms
    WITNESS_CONFLICT = "WITNESS_CONFLICT"  # refuted although a strategy reduced the difference to 0
    SHAPE_MISMATCH = "SHAPE_MISMATCH"  # refuted: a matrix against a scalar, or shapes that differ
    UNDECIDED = "UNDECIDED"  # no strategy reached zero, no counterexample either
    TIMEOUT = "TIMEOUT"
    ASSUMPTION_MISSING = "ASSUMPTION_MISSING"  # a divisor, pole or side condition needs an assumption
    UNDEFINED = "UNDEFINED"  # a side has no finite value at a point of the declared domain
    NUMERIC_INCONCLUSIVE = "NUMERIC_INCONCLUSIVE"  # the numeric witness could not evaluate reliably
    BOUND_VARIABLE = "BOUND_VARIABLE"  # a bound variable declared more than its range implies
    UNTRUSTED_OPERATOR = "UNTRUSTED_OPERATOR"  # a class neither sympy's nor the kernel's, not declared
    UNSUPPORTED_DOMAIN = "UNSUPPORTED_DOMAIN"
    INVALID_INPUT = "INVALID_INPUT"
    DEPENDENCY_NOT_PROVED = "DEPENDENCY_NOT_PROVED"
    INTERNAL_ERROR = "INTERNAL_ERROR"  # an exception inside a witness: no verdict either way
    PARSE_ERROR = "PARSE_ERROR"  # the claim's text could not be read into expressions


# The least a PROVED verdict needs from the numeric witness: a Settings asking for less is refused.
FLOORS = {"samples": 8, "min_conclusive": 4, "dps": 20, "recheck_dps": 30}


@dataclass(frozen=True)
class Settings:
    """How hard the kernel looks. The defaults are what ``derive check`` uses. ``samples`` random
    points (besides the edge points every domain gets), of which at least ``min_conclusive``
    must be conclusive; values compared to ``dps // 2`` digits; counterexamples confirmed at
    ``recheck_dps``. A user may ask for more, never for less than ``FLOORS``."""

    samples: int = 8
    min_conclusive: int = 4
    dps: int = 24
    recheck_dps: int = 40
    seed: int = 0
    seconds_per_strategy: float = 20.0
    seconds_per_point: float = 20.0

    def __post_init__(self):
        for name, floor in FLOORS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < floor:
                raise ValueError(f"{name} must be an int of at least {floor} (a proof needs that much), got {value!r}")
        if self.min_conclusive > self.samples:
            raise ValueError(f"min_conclusive ({self.min_conclusive}) exceeds samples ({self.samples})")
        if self.recheck_dps <= self.dps:
            raise ValueError(f"recheck_dps ({self.recheck_dps}) must exceed dps ({self.dps})")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ValueError(f"seed must be an int, got {self.seed!r}")

    @property
    def tolerance(self) -> mpmath.mpf:
        return mpmath.mpf(10) ** (-(self.dps // 2))


@dataclass(frozen=True)
class Counterexample:
    assignment: dict[str, str]
    lhs_value: str
    rhs_value: str


class Verdict:
    """The kernel's answer about ``lhs == rhs``. Immutable; made only by this module.

    ``hypotheses``: the relations (``_hypotheses.Bound``) the equality is stated under; a PROVED
    verdict says the sides are equal wherever they and the declared assumptions hold.
    ``axioms``: what a PROVED verdict rests on besides the kernel, sympy and mpmath: the
    postulates and the declared operators of every claim it was built from. ``seconds``: the
    wall time of deciding, the witnesses' work included (they run side by side, perhaps ahead);
    ``symbolic_seconds`` and ``numeric_seconds``: each witness's own time in its worker."""

    __slots__ = ("status", "reason", "lhs", "rhs", "strategy", "counterexample", "detail",
                 "conclusive_points", "seconds", "symbolic_seconds", "numeric_seconds", "axioms", "hypotheses",
                 "__weakref__")

    def __init__(self, token, *, status, reason, lhs, rhs, strategy=None, counterexample=None,
                 detail="", conclusive_points=0, seconds=0.0, symbolic_seconds=0.0, numeric_seconds=0.0,
                 axioms=frozenset(), hypotheses=()):
        if token is not _TOKEN:
            raise TypeError("a Verdict is made only by derive's kernel (check_equal, instantiate, chain)")
        for name, value in (("status", status), ("reason", reason), ("lhs", lhs), ("rhs", rhs),
                            ("strategy", strategy), ("counterexample", counterexample),
                            ("detail", detail), ("conclusive_points", conclusive_points),
                            ("seconds", seconds), ("symbolic_seconds", symbolic_seconds),
                            ("numeric_seconds", numeric_seconds),
                            ("axioms", frozenset(axioms)), ("hypotheses", tuple(hypotheses))):
            object.__setattr__(self, name, value)
        _MINTED[self] = _fingerprint(self)

    def __setattr__(self, name, value):
        raise AttributeError("a Verdict is immutable")

    def __delattr__(self, name):
        raise AttributeError("a Verdict is immutable")

    def __reduce__(self):
        raise TypeError("a Verdict cannot be copied or pickled: only the kernel's own verdicts count")

    @property
    def proved(self) -> bool:
        return self.status is Status.PROVED

    def __repr__(self) -> str:
        return f"Verdict({self.status.value}, {self.reason.value}, {self.detail!r})"


# Every Verdict this kernel made, by identity, with what it said when it was made. A Verdict is
# an input to instantiate, chain and check_equal(using=...) only if it is here and still says
# that: an object.__new__(Verdict) with its fields set by hand, a copy, a look-alike, or a
# verdict whose fields were edited through object.__setattr__ never is.
_MINTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _fingerprint(verdict: Verdict) -> tuple:
    return verdict.status, verdict.reason, verdict.lhs, verdict.rhs, verdict.axioms, verdict.hypotheses


def made_by_kernel(verdict) -> bool:
    if type(verdict) is not Verdict or verdict not in _MINTED:
        return False
    return all(a is b for a, b in zip(_MINTED[verdict], _fingerprint(verdict)))


def _verdict(status, reason, lhs, rhs, started, **fields) -> Verdict:
    return Verdict(_TOKEN, status=status, reason=reason, lhs=lhs, rhs=rhs,
                   seconds=time.perf_counter() - started, **fields)


def _as_expression(value):
    if isinstance(value, sympy.MatrixBase):
        return sympy.ImmutableMatrix(value)
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return sympy.Integer(value)
    if isinstance(value, float):
        raise TypeError(f"the Python float {value!r} is not exact: write Rational('{value!r}')")
    raise TypeError(f"expected a sympy expression, got {type(value).__name__}: {value!r:.60}")


# Trusted operators: classes from outside sympy and the kernel that the user declared to trust
# (trust_operator), each with the reason given. Their doit, eval and evalf are axioms.
_TRUSTED_OPERATORS: dict[type, str] = {}


def trust_operator(cls, reason: str) -> None:
    """Declare a class of your own (an operator with its own doit, a Function with its own eval)
    trusted: claims that hold it may be proved, and every verdict they give lists it as an axiom.
    Its code runs in worker processes of its own, started for those claims and stopped after:
    it cannot reach the witnesses of other claims."""
    if not (isinstance(cls, type) and issubclass(cls, sympy.Basic)):
        raise TypeError(f"trust_operator takes a sympy class, got {cls!r}")
    if not isinstance(reason, str) or not reason.strip():
        raise TypeError("trust_operator needs a reason: say why the class may be trusted")
    _TRUSTED_OPERATORS[cls] = reason.strip()
    source, file = f"{cls.__module__}.{cls.__qualname__}", inspect.getfile(cls)
    copyreg.pickle(cls, lambda node: (_certificate.revive, (source, file, reason.strip(), node.args)))


def _is_own_class(cls) -> bool:
    """sympy's classes, the kernel's operators, and undefined functions (Function('f'))."""
    module = cls.__module__ or ""
    return (isinstance(cls, UndefinedFunction) or module == "sympy" or module.startswith("sympy.")
            or module.startswith(__package__ + "."))


@functools.lru_cache(maxsize=4096)
def _node_classes(expr) -> frozenset:
    """The classes of every node of ``expr`` (one traversal, remembered: a derivation's steps
    share their expressions, and prefetch and check_equal ask about the same claims)."""
    return frozenset(type(node) for node in sympy.preorder_traversal(expr))


def operator_axioms(expressions) -> tuple[frozenset, str | None]:
    """(axioms for the declared operators in the expressions, why one is not declared or None).
    Claims with such axioms run the declared code: their witnesses go to workers of their own."""
    axioms = set()
    for cls in frozenset().union(*(_node_classes(expr) for expr in expressions)):
        if issubclass(cls, _certificate.Unrebuilt):
            if not cls.trusted:
                return frozenset(), (f"{cls.source} is neither sympy's nor derive's: its methods are code the "
                                     "checker did not run and cannot check; declare it with "
                                     "derive.trust_operator(cls, reason) to take it as an axiom")
            axioms.add(f"operator {cls.source}: {cls.trusted}")
            continue
        if _is_own_class(cls):
            continue
        if cls not in _TRUSTED_OPERATORS:
            return frozenset(), (f"{cls.__module__}.{cls.__qualname__} is neither sympy's nor derive's: its "
                                 "methods are code the kernel cannot check; declare it with "
                                 "derive.trust_operator(cls, reason) to take it as an axiom")
        axioms.add(f"operator {cls.__module__}.{cls.__qualname__}: {_TRUSTED_OPERATORS[cls]}")
    return frozenset(axioms), None


def _floats(expressions) -> list:
    return sorted({f for expr in expressions if sympy.Float in _node_classes(expr) for f in expr.atoms(sympy.Float)},
                  key=str)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text[:300]}"


def _shown(assignment: dict) -> str:
    return ", ".join(f"{name} = {value}" for name, value in assignment.items()) or "the only point"


def _at(outcome: _tasks.PointOutcome) -> str:
    """Where a point's outcome was found and why; a point that never returned has no values."""
    return f"at {_shown(outcome.assignment)}: {outcome.why}" if outcome.assignment else outcome.why


@dataclass
class _NumericAnswer:
    """The numeric witness's answer: what it found at each point (``_tasks.PointOutcome``), with
    a point that timed out or killed its worker as inconclusive."""

    outcomes: list
    seconds: float = 0.0

    @classmethod
    def from_stages(cls, stages, failure: str | None) -> _NumericAnswer:
        outcomes = []
        for stage in stages:
            if stage.kind == "ok":
                outcomes.append(stage.payload)
            else:
                why = (f"took too long (stopped after {stage.limit:.1f} s, the limit per point)"
                       if stage.kind == "timeout" else "killed the worker process")
                # Its values are not known here: count it as an edge point, which blocks a proof.
                outcomes.append(_tasks.PointOutcome("inconclusive", True, {}, f"{stage.name} {why}"))
        if failure:
            outcomes.append(_tasks.PointOutcome("error", True, {}, failure))
        return cls(outcomes, sum(stage.seconds for stage in stages))

    def first(self, *kinds: str):
        return next((o for o in self.outcomes if o.kind in kinds), None)

    def doubt(self) -> str:
        """Why the first point that did not agree decided nothing, or ''."""
        outcome = next((o for o in self.outcomes if o.kind != "agree"), None)
        if outcome is None:
            return ""
        undecided = sum(o.kind != "agree" for o in self.outcomes)
        return (f"; the numeric witness could not decide {undecided} of {len(self.outcomes)} points, "
                f"the first {_at(outcome)}")

    @property
    def conclusive(self) -> int:
        """Random points at which both sides agree."""
        return sum(o.kind == "agree" and not o.edge for o in self.outcomes)

    @property
    def edges(self) -> int:
        return sum(o.edge for o in self.outcomes)


def _theorems(using) -> tuple[list[tuple[sympy.Basic, sympy.Basic]], frozenset, list] | None:
    """The equalities of the lemmas, the axioms they rest on and the hypotheses they hold under,
    or None when one is not a proved verdict this kernel made."""
    pairs, axioms, hypotheses = [], set(), []
    for verdict in using:
        if not made_by_kernel(verdict) or not verdict.proved:
            return None
        pairs.append((verdict.lhs, verdict.rhs))
        axioms |= verdict.axioms
        hypotheses += verdict.hypotheses
    return pairs, frozenset(axioms), hypotheses


def _refusal(lhs, rhs) -> tuple[Status, Reason, str, Counterexample | None] | None:
    """Why the claim is not a question the witnesses may answer, or None."""
    for side, expr in (("left", lhs), ("right", rhs)):
        if not isinstance(expr, (sympy.Expr, sympy.MatrixBase)):
            return (Status.UNKNOWN, Reason.INVALID_INPUT,
                    f"the {side} side is a {type(expr).__name__}, not an expression: state the expression, "
                    "not an equation or a condition", None)
    floats = _floats([lhs, rhs])
    if floats:
        return (Status.UNKNOWN, Reason.INVALID_INPUT,
                f"the claim holds the float {floats[0]}, which is not exact: write it as a Rational, "
                f"Rational('{floats[0]}') (the exact decimal)", None)
    lhs_matrix, rhs_matrix = isinstance(lhs, sympy.MatrixBase), isinstance(rhs, sympy.MatrixBase)
    if lhs_matrix != rhs_matrix or (lhs_matrix and lhs.shape != rhs.shape):
        shapes = [getattr(e, "shape", "scalar") for e in (lhs, rhs)]
        return (Status.REFUTED, Reason.SHAPE_MISMATCH, f"shapes differ: {shapes[0]} vs {shapes[1]}",
                Counterexample({}, str(shapes[0]), str(shapes[1])))
    for expr in (lhs, rhs):
        why = _domains.range_violation(expr)
        if why:
            return Status.UNKNOWN, Reason.BOUND_VARIABLE, why, None
    return None


def check_equal(lhs, rhs, *, using=(), reasoning: Reasoning = Reasoning.EVALUATION,
                settings: Settings = Settings(), cache=None, hypotheses=()) -> Verdict:
    """Decide ``lhs == rhs`` for sympy expressions, integrals, sums and explicit matrices.

    ``hypotheses``: relations (0 < p, p < 1, j <= k) under which the claim is stated; each is
    decided by the parameterisations of ``_hypotheses``, and a lemma's hypotheses must follow
    from them.
    ``using``: proved verdicts of this kernel whose equalities may be substituted (lemmas).
    ``reasoning``: how far the symbolic witness may go (algebra, + linearity, + evaluation);
    the numeric witness always evaluates everything, by its own methods.
    ``cache``: a ``_cache.StepCache``. A claim this kernel proved before, under the same
    settings and code, is PROVED with reason CACHED when its record's signature verifies; a
    claim proved now is recorded. Only proofs are recorded: anything else is decided afresh.
    An exception anywhere in deciding is an UNKNOWN verdict (INTERNAL_ERROR), never a crash.
    """
    started = time.perf_counter()
    try:
        return _check_equal(lhs, rhs, using, reasoning, settings, cache, started, hypotheses)
    except Exception as exc:  # noqa: BLE001 - a bug in a witness or in sympy is no verdict either way
        return _verdict(Status.UNKNOWN, Reason.INTERNAL_ERROR, lhs, rhs, started, detail=_one_line(exc))


def _check_equal(lhs, rhs, using, reasoning: Reasoning, settings: Settings, cache, started, hypotheses) -> Verdict:
    try:
        lhs, rhs = _as_expression(lhs), _as_expression(rhs)
    except TypeError as exc:
        return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, lhs, rhs, started, detail=str(exc))
    lemmas = _theorems(using)
    if lemmas is None:
        return _verdict(Status.UNKNOWN, Reason.DEPENDENCY_NOT_PROVED, lhs, rhs, started,
                        detail="a lemma this claim uses is not a proved verdict of this kernel")
    theorems, axioms, needed = lemmas
    bounds, unreadable = _read_hypotheses(hypotheses, [lhs, rhs])
    if unreadable:
        return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, lhs, rhs, started, detail=f"hypotheses: {unreadable}")
    missing = _not_implied(needed, bounds)
    if missing is not None:
        return _verdict(Status.UNKNOWN, Reason.ASSUMPTION_MISSING, lhs, rhs, started, hypotheses=bounds,
                        detail=f"a lemma holds under {missing}, which {_under(bounds)} does not imply")
    refusal = _refusal(lhs, rhs)
    if refusal is not None:
        status, reason, detail, counterexample = refusal
        return _verdict(status, reason, lhs, rhs, started, detail=detail, counterexample=counterexample,
                        hypotheses=bounds)
    own_axioms, untrusted = operator_axioms([lhs, rhs])
    if untrusted:
        return _verdict(Status.UNKNOWN, Reason.UNTRUSTED_OPERATOR, lhs, rhs, started, detail=untrusted,
                        hypotheses=bounds)
    axioms |= own_axioms
    if bounds:
        return _check_cases(lhs, rhs, theorems, axioms, bool(own_axioms), bounds, reasoning, settings, cache, started)
    return _check_claim(lhs, rhs, theorems, axioms, bool(own_axioms), reasoning, settings, cache, started)


def _same_name(bounds, expressions) -> str | None:
    """Why the hypotheses cannot be about the claim's symbols: one of theirs has the name of one
    of the claim's but other assumptions (a real p against a positive p), which would decide a
    claim about the one under hypotheses on the other."""
    claimed = {s.name: s for e in expressions for s in e.free_symbols if isinstance(s, sympy.Symbol)}
    for bound in bounds:
        for s in bound.relation.free_symbols:
            if isinstance(s, sympy.Symbol) and s.name in claimed and claimed[s.name] != s:
                return (f"the hypotheses' {s.name} and the claim's {s.name} are different symbols (their "
                        f"assumptions differ): state the hypotheses with the claim's symbols")
    return None


def _read_hypotheses(hypotheses, expressions=()) -> tuple[tuple, str | None]:
    """(the hypotheses as bounds, None), or ((), why the kernel refuses them): unreadable, or about
    symbols named like the ``expressions``' but others."""
    try:
        bounds = _hypotheses.normalised(hypotheses)
    except (_hypotheses.HypothesisError, TypeError) as exc:
        return (), str(exc)
    clash = _same_name(bounds, expressions)
    return ((), clash) if clash else (bounds, None)


def hypotheses_error(hypotheses) -> str | None:
    """Why the kernel would refuse these hypotheses (one line), or None."""
    return _read_hypotheses(hypotheses)[1]


def _symbol_names(expressions) -> set:
    """The names of every symbol in the expressions, free or bound: what a fresh symbol avoids."""
    return {str(n) for expr in expressions for n in sympy.preorder_traversal(expr) if isinstance(n, sympy.Symbol)}


def _under(bounds) -> str:
    return f"the hypotheses {_hypotheses.shown(bounds)}" if bounds else "the declared assumptions alone"


def _not_implied(needed, bounds):
    """The first of the hypotheses ``needed`` that ``bounds`` (with the declared assumptions) do
    not imply, or None."""
    return next((b for b in dict.fromkeys(needed) if not _hypotheses.implied(b, bounds)), None)


def _case_claims(lhs, rhs, theorems, bounds):
    """(case, its lhs, rhs and lemma equalities) for each parameterisation of the hypotheses."""
    names = _symbol_names([lhs, rhs, *(side for pair in theorems for side in pair),
                           *(side for b in bounds for side in (b.lower, b.upper))])
    claims = []
    for case in _hypotheses.cases(bounds, names):
        mapping = dict(case.mapping)

        def written(expr):
            return substitute(_derivatives_at(expr, set(mapping), names), mapping)

        claims.append((case, written(lhs), written(rhs), [(written(a), written(b)) for a, b in theorems]))
    return claims


def _derivatives_at(expr, symbols: set, names: set):
    """``expr`` with each derivative with respect to one of ``symbols`` written as that
    derivative taken in a variable of its own and evaluated at the symbol (d/dp f(p) as
    Subs(d/dq f(q), q, p)): the same value, with the symbol free, so a parameterisation can be
    written in."""

    def replacement(node):
        if not (isinstance(node, sympy.Derivative) and set(node.variables) & symbols):
            return None
        renamed = {}
        for variable in node.variables:
            if variable in symbols and variable not in renamed:
                # The same name wherever p is differentiated (each Subs binds its own): a lemma's
                # derivative is then written exactly as the claim's.
                name = f"{variable}_d"
                while name in names:
                    name += "_"
                renamed[variable] = sympy.Symbol(name, **variable.assumptions0)
        counts = [(renamed.get(v, v), n) for v, n in node.variable_count]
        inner = sympy.Derivative(node.expr.xreplace(renamed), *counts)
        return sympy.Subs(inner, tuple(renamed.values()), tuple(renamed))

    return _written_in(expr, replacement)


def _singular_under(lhs, rhs, bounds) -> list[str]:
    """What may make a side undefined where the hypotheses hold (in each of their cases), or
    anywhere when they cannot be parameterised."""
    try:
        sides = [side for _, *claim, _ in _case_claims(lhs, rhs, [], bounds) for side in claim]
    except (_hypotheses.HypothesisError, _Captured):
        sides = [lhs, rhs]
    return [c for side in sides for c in _domains.singular_conditions(side)]


def _check_cases(lhs, rhs, theorems, axioms, runs_user_code, bounds, reasoning, settings, cache, started) -> Verdict:
    """A claim under hypotheses: proved when every parameterised case is; refuted by a
    counterexample only in a case whose values all satisfy the hypotheses."""
    try:
        claims = _case_claims(lhs, rhs, theorems, bounds)
    except _hypotheses.HypothesisError as exc:
        return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, lhs, rhs, started, hypotheses=bounds,
                        detail=f"hypotheses: {exc}")
    except _Captured as exc:
        return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, lhs, rhs, started, hypotheses=bounds,
                        detail=f"a hypothesis bounds a symbol the claim binds: {exc}")
    decided = []
    for case, case_lhs, case_rhs, case_theorems in claims:
        where = f"under {_hypotheses.shown(bounds)}, with {case.describe()}"
        refusal = _refusal(case_lhs, case_rhs)
        if refusal is not None:
            return _verdict(Status.UNKNOWN, refusal[1], lhs, rhs, started, hypotheses=bounds,
                            detail=f"{where}: {refusal[2]}")
        verdict = _check_claim(case_lhs, case_rhs, case_theorems, axioms, runs_user_code, reasoning, settings, cache,
                               time.perf_counter())
        common = dict(hypotheses=bounds, strategy=verdict.strategy, conclusive_points=verdict.conclusive_points,
                      symbolic_seconds=verdict.symbolic_seconds, numeric_seconds=verdict.numeric_seconds)
        if verdict.status is Status.REFUTED and case.exact:
            return _verdict(Status.REFUTED, verdict.reason, lhs, rhs, started, detail=f"{where}: {verdict.detail}",
                            counterexample=_in_original_symbols(verdict.counterexample, case), **common)
        if verdict.status is Status.REFUTED:
            return _verdict(Status.UNKNOWN, Reason.UNDECIDED, lhs, rhs, started, **common,
                            detail=f"{where}: the sides differ at {_shown(verdict.counterexample.assignment)}, a "
                                   "value this parameterisation may reach outside the hypotheses")
        if not verdict.proved:
            return _verdict(Status.UNKNOWN, verdict.reason, lhs, rhs, started, detail=f"{where}: {verdict.detail}",
                            **common)
        decided.append((case, verdict))
    cached = all(v.reason is Reason.CACHED for _, v in decided)
    return _verdict(Status.PROVED, Reason.CACHED if cached else Reason.SYMBOLIC_AND_NUMERIC, lhs, rhs, started,
                    hypotheses=bounds, axioms=axioms, strategy=decided[0][1].strategy,
                    conclusive_points=min(v.conclusive_points for _, v in decided),
                    symbolic_seconds=sum(v.symbolic_seconds for _, v in decided),
                    numeric_seconds=sum(v.numeric_seconds for _, v in decided),
                    detail=f"under {_hypotheses.shown(bounds)}, by substitution in {len(decided)} case(s): "
                           + "; ".join(f"{case.describe()}: {v.detail}" for case, v in decided))


def _in_original_symbols(counterexample: Counterexample, case) -> Counterexample:
    """A counterexample in the fresh symbols, with the values of the symbols they stand for."""
    assignment = dict(counterexample.assignment)
    try:
        values = {t: sympy.Rational(assignment[str(t)]) for t in case.fresh if str(t) in assignment}
        for symbol, value in case.mapping:
            assignment[str(symbol)] = sympy.sstr(value.xreplace(values))
    except (TypeError, ValueError, AttributeError):
        for symbol, value in case.mapping:
            assignment[str(symbol)] = sympy.sstr(value)
    return Counterexample(dict(sorted(assignment.items())), counterexample.lhs_value, counterexample.rhs_value)


def _check_claim(lhs, rhs, theorems, axioms, runs_user_code: bool, reasoning: Reasoning, settings: Settings, cache,
                 started) -> Verdict:
    """A claim without hypotheses, refusals passed: recalled from the cache, or decided from the
    witnesses' answers (asked now or ahead)."""
    digest = None if cache is None else _claim_digest(lhs, rhs, theorems, reasoning, settings)
    if digest is not None:
        recalled = _recall(cache, digest)
        if recalled is not None:
            return _verdict(Status.PROVED, Reason.CACHED, lhs, rhs, started, axioms=axioms, **recalled)

    key = _answers_key(lhs, rhs, theorems, reasoning, settings)
    answers = _PREFETCHED.pop(key, None)
    if answers is None:
        # Each witness is asked once, both at the same time, each in a worker process of its own.
        answers = _answers(_workers.run(_jobs(lhs, rhs, theorems, reasoning, settings, runs_user_code=runs_user_code),
                                        concurrency=2))
    symbolic, numeric = answers
    # The witnesses' time: they run side by side, perhaps before this call (prefetch).
    started = time.perf_counter() - max(symbolic.seconds, numeric.seconds)
    common = dict(conclusive_points=numeric.conclusive, strategy=symbolic.proved_by,
                  symbolic_seconds=symbolic.seconds, numeric_seconds=numeric.seconds, axioms=axioms)
    verdict = _decide(lhs, rhs, symbolic, numeric, reasoning, settings, started, common)
    if digest is not None and verdict.proved:
        _remember(cache, digest, verdict)
    return verdict


def _jobs(lhs, rhs, theorems, reasoning: Reasoning, settings: Settings, affinity=None,
          runs_user_code: bool = False) -> list:
    return [_workers.Job("symbolic", (lhs, rhs, theorems, reasoning), settings.seconds_per_strategy, affinity,
                         runs_user_code),
            _workers.Job("numeric", (lhs, rhs, settings), settings.seconds_per_point, affinity, runs_user_code)]


def _answers(results) -> tuple:
    (symbolic_stages, symbolic_failure), (numeric_stages, numeric_failure) = results
    return (_symbolic.answer(symbolic_stages, symbolic_failure),
            _NumericAnswer.from_stages(numeric_stages, numeric_failure))


def _answers_key(lhs, rhs, theorems, reasoning: Reasoning, settings: Settings) -> tuple:
    return lhs, rhs, tuple(tuple(pair) for pair in theorems), reasoning, settings


# The witnesses' answers to claims asked ahead (prefetch), each taken by the check_equal that
# asks exactly that claim: the same sides, lemma equalities, reasoning and settings.
_PREFETCHED: dict[tuple, tuple] = {}
_PREFETCH_LOCK = threading.Lock()


def prefetch(claims, settings: Settings = Settings(), cache=None) -> None:
    """Have the witnesses answer many claims at once, spread over every worker, so that a later
    ``check_equal`` of each decides without waiting. A claim is (lhs, rhs, lemma equalities,
    reasoning, affinity, hypotheses); under hypotheses, each parameterised case is asked. The equalities are the (lhs, rhs) the lemmas' verdicts will state, and
    claims with the same affinity (a derivation) go to the same workers, whose caches they
    share. Only answers are stored: each verdict is still decided by ``check_equal``, from the
    verdicts it is given, and an answer is used only for exactly the claim it answers."""
    keys, jobs = [], []
    for lhs, rhs, theorems, reasoning, affinity, hypotheses in claims:
        try:
            bounds = _hypotheses.normalised(hypotheses)
            cases = ([(lhs, rhs, theorems)] if not bounds else
                     [claim[1:] for claim in _case_claims(_as_expression(lhs), _as_expression(rhs), theorems, bounds)])
            for case_lhs, case_rhs, case_theorems in cases:
                claim_jobs = _prefetch_jobs(case_lhs, case_rhs, case_theorems, reasoning, settings, cache, affinity,
                                            keys)
                if claim_jobs is not None:
                    keys.append(claim_jobs[0])
                    jobs += claim_jobs[1]
        except Exception:  # noqa: BLE001 - only an answer ahead is lost: check_equal decides it, or says why
            continue
    results = _workers.run(jobs)
    with _PREFETCH_LOCK:
        for n, key in enumerate(keys):
            _PREFETCHED[key] = _answers(results[2 * n:2 * n + 2])


def _prefetch_jobs(lhs, rhs, theorems, reasoning, settings, cache, affinity, keys):
    """(the answers' key, the witness jobs) of one claim to answer ahead, or None when there is
    nothing to ask (refused, cached, or asked already)."""
    try:
        lhs, rhs = _as_expression(lhs), _as_expression(rhs)
    except TypeError:
        return None
    own_axioms, untrusted = operator_axioms([lhs, rhs])
    if _refusal(lhs, rhs) is not None or untrusted is not None:
        return None
    if cache is not None:
        digest = _claim_digest(lhs, rhs, theorems, reasoning, settings)
        if digest is not None and cache.read(digest) is not None:
            return None
    key = _answers_key(lhs, rhs, theorems, reasoning, settings)
    if key in keys or key in _PREFETCHED:
        return None
    return key, _jobs(lhs, rhs, theorems, reasoning, settings, affinity, runs_user_code=bool(own_axioms))


def _decide(lhs, rhs, symbolic, numeric: _NumericAnswer, reasoning: Reasoning, settings: Settings,
            started, common) -> Verdict:
    """The verdict from the two witnesses' answers: proved only when both say equal everywhere
    they were asked, refuted only on a confirmed counterexample, else unknown with the reason."""

    def unknown(reason: Reason, detail: str) -> Verdict:
        return _verdict(Status.UNKNOWN, reason, lhs, rhs, started, detail=detail, **common)

    differ = numeric.first("differ")
    if differ is not None:
        counterexample = Counterexample(differ.assignment, *differ.values)
        detail = (f"strategy '{symbolic.proved_by}' reduced the difference to 0, but the sides differ at a "
                  f"sample point (confirmed at {settings.recheck_dps} digits by a careful re-evaluation): one "
                  "witness is wrong" if symbolic.proved_by else "the sides differ at a sample point")
        return _verdict(Status.REFUTED, Reason.WITNESS_CONFLICT if symbolic.proved_by else Reason.NOT_EQUAL,
                        lhs, rhs, started, counterexample=counterexample, detail=detail, **common)
    singular = _domains.singular_conditions(lhs) + _domains.singular_conditions(rhs)
    if singular:
        return unknown(Reason.ASSUMPTION_MISSING, f"{singular[0]}: the claim may be undefined")
    undefined = numeric.first("undefined")
    if undefined is not None:
        return unknown(Reason.UNDEFINED, _at(undefined))
    if symbolic.proved_by is None:
        side = [n for n in symbolic.notes if n.startswith("side condition")]
        if side:
            return unknown(Reason.ASSUMPTION_MISSING, side[0])
        if symbolic.errors:
            return unknown(Reason.INTERNAL_ERROR, f"a strategy raised {symbolic.errors[0]}")
        if symbolic.timed_out:
            return unknown(Reason.TIMEOUT, f"timed out: {', '.join(symbolic.timed_out)}")
        return unknown(Reason.UNDECIDED, f"no strategy reduced the difference to 0 with "
                                         f"{reasoning.name.lower()} reasoning; {numeric.conclusive} sample points "
                                         f"agree{numeric.doubt()}")
    doubtful = numeric.first("unconfirmed", "uncheckable", "error") or next(
        (o for o in numeric.outcomes if o.edge and o.kind != "agree"), None)
    if doubtful is not None:
        reason = Reason.INTERNAL_ERROR if doubtful.kind == "error" else Reason.NUMERIC_INCONCLUSIVE
        return unknown(reason, f"the numeric witness could not decide {_at(doubtful)}")
    if numeric.conclusive < settings.min_conclusive:
        why = numeric.first("inconclusive")
        return unknown(Reason.NUMERIC_INCONCLUSIVE,
                       f"only {numeric.conclusive} of {settings.samples} random sample points were conclusive"
                       + (f" ({why.why})" if why else ""))
    return _verdict(Status.PROVED, Reason.SYMBOLIC_AND_NUMERIC, lhs, rhs, started,
                    detail=f"'{symbolic.proved_by}' reduced the difference to 0; {numeric.edges} edge and "
                           f"{numeric.conclusive} random sample points agree", **common)


# The code a proof rests on: a change to any of it, or to sympy or mpmath, voids every record.
_TRUSTED_MODULES = ("_core.py", "_bounds.py", "_domains.py", "_hypotheses.py", "_symbolic.py", "_numeric.py",
                    "_interval.py", "_operators.py",
                    "_certificate.py", "_tasks.py", "_workers.py")
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
    claim is never cached, when a class is neither sympy's nor the kernel's: a class in a proof file
    rests on code (its methods, its bases, the helpers they call) that no digest can cover."""
    classes = frozenset().union(*(_node_classes(expr) for expr in expressions))
    described = []
    for cls in sorted(classes, key=lambda c: f"{c.__module__}.{c.__qualname__}"):
        if isinstance(cls, UndefinedFunction):
            described.append(f"{cls.__name__} {sorted(cls._kwargs.items())} {cls.nargs}")
        elif not _is_own_class(cls):
            return None
    return described


@functools.lru_cache(maxsize=4096)
def _srepr(expr) -> str:
    # order="none" prints args in sympy's canonical (hash-independent) order without re-sorting them.
    return sympy.srepr(expr, order="none")


def _claim_digest(lhs, rhs, theorems, reasoning: Reasoning, settings: Settings) -> str | None:
    """What a record proves: both sides, the lemmas' equalities it may use, the reasoning allowed,
    how hard the witnesses look, and the exact code that decides (symbols' assumptions are in
    srepr, undefined functions' in _classes)."""
    expressions = [lhs, rhs, *(side for theorem in theorems for side in theorem)]
    sources = _classes(expressions)
    if sources is None:
        return None
    parts = [_build(), reasoning.name, repr(astuple(settings)), *map(_srepr, expressions), *sources]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _recall(cache, digest: str) -> dict | None:
    """The fields of a record for exactly this claim whose signature verifies, else None."""
    fields = cache.read_signed("step", digest)
    if fields is None or set(fields) != set(_RECALLED_FIELDS):
        return None
    return {**fields, "detail": f"cached: {fields['detail']}"}


def _remember(cache, digest: str, verdict: Verdict) -> None:
    cache.write_signed("step", digest, {name: getattr(verdict, name) for name in _RECALLED_FIELDS})


def _family_arguments(expressions, key) -> list[tuple]:
    """The argument tuples at which a function or indexed family is applied in the expressions."""
    found = set()
    for expr in expressions:
        for node in sympy.preorder_traversal(expr):
            if isinstance(key, UndefinedFunction) and node.func == key:
                found.add(node.args)
            elif isinstance(key, sympy.IndexedBase) and isinstance(node, sympy.Indexed) and node.base == key:
                found.add(node.indices)
    return sorted(found, key=sympy.default_sort_key)


def _instance_violation(key, value, expressions) -> str | None:
    """Why ``value`` may not stand for ``key`` in the expressions, or None: a key that is not a
    symbol, an undefined function or an indexed family; a value lacking a fact the key was
    declared with; a Lambda whose variables assume more than the arguments it meets."""
    if isinstance(key, (UndefinedFunction, sympy.IndexedBase)):
        if not isinstance(value, sympy.Lambda):
            return f"{key} must be replaced by a Lambda, got {sympy.sstr(value)}"
        target = key(*value.variables) if isinstance(key, UndefinedFunction) else key[value.variables]
        fact = _domains.fact_violation(target, value.expr)
        if fact:
            return (f"{sympy.sstr(value)} is not known to be {fact} for every argument, as {key} is declared "
                    f"{_domains.declared(target)}")
        for arguments in _family_arguments(expressions, key):
            if len(arguments) != len(value.variables):
                return f"{key} is applied to {len(arguments)} arguments, the Lambda takes {len(value.variables)}"
            for variable, argument in zip(value.variables, arguments):
                fact = _domains.fact_violation(variable, argument)
                if fact:
                    return (f"the Lambda's {variable} is declared {_domains.declared(variable)}, but {key} is applied "
                            f"at {sympy.sstr(argument)}, not known to be {fact}")
        return None
    if not isinstance(key, sympy.Symbol):
        return (f"an instance replaces symbols, undefined functions or indexed families, not "
                f"{sympy.sstr(key)} (a {type(key).__name__})")
    fact = _domains.fact_violation(key, value)
    if fact:
        return f"{sympy.sstr(value)} is not known to be {fact}, as {key} is declared {_domains.declared(key)}"
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
        indices = set()
        if isinstance(node, sympy.Derivative):
            bound |= set(node.variables)
            # d/dl[j] is a function of j (which element), though sympy leaves j out of its free symbols.
            indices = {s for v in node.variables if isinstance(v, sympy.Indexed) for i in v.indices for s in i.free_symbols}
        if node.args:
            bound |= set().union(*(arg.free_symbols for arg in node.args)) - node.free_symbols - indices
    return bound


def _written_in(expr, replacement):
    """``expr`` with every node for which ``replacement(node)`` is not None replaced by it, the
    nodes above rebuilt as written (``_certificate.as_written``)."""
    if isinstance(expr, sympy.MatrixBase):
        return sympy.ImmutableMatrix(expr.rows, expr.cols, [_written_in(e, replacement) for e in expr])
    new = replacement(expr)
    if new is not None:
        return new
    if not expr.args:
        return expr
    args = [_written_in(arg, replacement) for arg in expr.args]
    if all(a is b for a, b in zip(args, expr.args)):
        return expr
    return _certificate.as_written(expr.func, args)


def _applied(family: sympy.Lambda, arguments) -> sympy.Basic:
    """A Lambda applied to arguments, its body written out with them (not evaluated)."""
    values = dict(zip(family.variables, arguments))
    return _written_in(family.expr, values.get)


def substitute(expr, mapping: dict):
    """Simultaneous substitution of symbols, functions (by Lambdas) and indexed families (by
    Lambdas), as plain syntactic replacement. That is sound only when no replaced symbol is bound
    anywhere in expr and no symbol of a value would be captured by a binder, so anything else is
    refused (sympy's subs does not rename bound variables: it would capture). The instance is the
    equality with the values written in, not what sympy's constructors make of it."""
    families = (sympy.FunctionClass, sympy.IndexedBase)
    plain = {k: v for k, v in mapping.items() if not isinstance(k, families)}
    touched = set(plain).union(*(getattr(value, "free_symbols", set()) for value in mapping.values()))
    caught = touched & _bound_symbols(expr)
    if caught:
        raise _Captured(f"the substitution touches {', '.join(sorted(map(str, caught)))}, bound inside "
                        f"{sympy.sstr(expr)[:80]}: rename the bound variable")
    functions = {k: v for k, v in mapping.items() if isinstance(k, sympy.FunctionClass)}
    indexed = {k: v for k, v in mapping.items() if isinstance(k, sympy.IndexedBase)}

    def replacement(node):
        if node in plain:
            return plain[node]
        if node.func in functions and isinstance(node, sympy.core.function.AppliedUndef):
            return _applied(functions[node.func], node.args)
        if isinstance(node, sympy.Indexed) and node.base in indexed:
            return _applied(indexed[node.base], node.indices)
        return None

    return _written_in(expr, replacement)


def instantiate(verdict: Verdict, mapping: dict) -> Verdict:
    """Specialise a proved equality of this kernel: symbols, undefined functions or indexed
    families (given as Lambdas) replaced by values that have every fact the key was declared
    with, where the instance stays defined (no divisor, log argument or pole-making argument
    becomes one not known to be nonzero, nothing evaluates to nan or zoo)."""
    started = time.perf_counter()
    try:
        return _instantiate(verdict, mapping, started)
    except Exception as exc:  # noqa: BLE001 - a failing substitution is no verdict either way
        return _verdict(Status.UNKNOWN, Reason.INTERNAL_ERROR, getattr(verdict, "lhs", None),
                        getattr(verdict, "rhs", None), started, detail=_one_line(exc))


def _instantiate(verdict, mapping: dict, started) -> Verdict:
    if not made_by_kernel(verdict):
        return _verdict(Status.UNKNOWN, Reason.DEPENDENCY_NOT_PROVED, None, None, started,
                        detail=f"a {type(verdict).__name__} that this kernel did not make is no verdict")
    if not isinstance(mapping, dict):
        return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, verdict.lhs, verdict.rhs, started,
                        detail=f"an instance maps keys to values (a dict), got a {type(mapping).__name__}")
    try:
        mapping = {key: value if isinstance(value, sympy.Lambda) else _as_expression(value)
                   for key, value in mapping.items()}
    except TypeError as exc:
        return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, verdict.lhs, verdict.rhs, started, detail=str(exc))
    floats = _floats(mapping.values())
    if floats:
        return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, verdict.lhs, verdict.rhs, started,
                        detail=f"an instance value holds the float {floats[0]}, which is not exact: write a Rational")
    mapping = {key: value for key, value in mapping.items() if key is not value and key != value}  # x -> x is no change
    infinite = [v for v in mapping.values() if v.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan)]
    if infinite:
        return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, verdict.lhs, verdict.rhs, started,
                        detail=f"an instance value is not finite: {sympy.sstr(infinite[0])}")
    sides = (verdict.lhs, verdict.rhs)
    for key, value in mapping.items():
        why = _instance_violation(key, value, sides)
        if why:
            reason = Reason.ASSUMPTION_MISSING if "not known" in why else Reason.INVALID_INPUT
            return _verdict(Status.UNKNOWN, reason, verdict.lhs, verdict.rhs, started, detail=why)
    try:
        lhs, rhs = substitute(verdict.lhs, mapping), substitute(verdict.rhs, mapping)
    except _Captured as exc:
        return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, verdict.lhs, verdict.rhs, started, detail=str(exc))
    if not verdict.proved:
        return _verdict(Status.UNKNOWN, Reason.DEPENDENCY_NOT_PROVED, lhs, rhs, started,
                        detail="the instantiated equality is not proved")
    # The instance holds where the hypotheses with the values written in do; one the values make
    # false would leave it holding nowhere: no instance.
    bounds, violated = _hypotheses.instance(verdict.hypotheses, {k: v for k, v in mapping.items()
                                                                 if isinstance(k, sympy.Symbol)})
    if violated is not None:
        return _verdict(Status.UNKNOWN, Reason.ASSUMPTION_MISSING, lhs, rhs, started,
                        detail=f"the values break the hypothesis {violated} of the instantiated equality")
    empty = _satisfiable(bounds, [lhs, rhs])
    if empty:
        return _verdict(Status.UNKNOWN, Reason.ASSUMPTION_MISSING, lhs, rhs, started,
                        detail=f"with the values written in, {empty}")
    if any(side.has(sympy.nan, sympy.zoo) for side in (lhs, rhs)):
        return _verdict(Status.UNKNOWN, Reason.UNDEFINED, lhs, rhs, started,
                        detail="the instance is undefined: a side evaluates to nan or zoo")
    singular = _singular_under(lhs, rhs, bounds)
    if singular:
        return _verdict(Status.UNKNOWN, Reason.UNDEFINED, lhs, rhs, started, detail=f"in the instance, {singular[0]}")
    for side in (lhs, rhs):
        why = _domains.range_violation(side)
        if why:
            return _verdict(Status.UNKNOWN, Reason.BOUND_VARIABLE, lhs, rhs, started, detail=why)
    axioms, untrusted = operator_axioms([lhs, rhs])
    if untrusted:
        return _verdict(Status.UNKNOWN, Reason.UNTRUSTED_OPERATOR, lhs, rhs, started, detail=untrusted)
    return _verdict(Status.PROVED, Reason.INFERENCE, lhs, rhs, started, axioms=verdict.axioms | axioms,
                    hypotheses=bounds, detail=f"instance of a proved equality ({len(mapping)} substitutions)")


def chain(verdicts: list[Verdict], hypotheses=()) -> Verdict:
    """Transitivity: a = b, b = c, ... proves a = z under ``hypotheses`` when every link is a
    proved verdict of this kernel, they meet exactly, and the hypotheses (which some value must
    satisfy) imply each link's."""
    started = time.perf_counter()
    if not verdicts:
        raise ValueError("chain needs at least one verdict")
    try:
        return _chain(verdicts, hypotheses, started)
    except Exception as exc:  # noqa: BLE001 - a failure while checking the links is no verdict either way
        return _verdict(Status.UNKNOWN, Reason.INTERNAL_ERROR, None, None, started, detail=_one_line(exc))


def _satisfiable(bounds, expressions) -> str | None:
    """Why no value satisfies the hypotheses, or None (also when they cannot be parameterised:
    a claim under them is then never decided, so nothing holds vacuously)."""
    try:
        _hypotheses.cases(bounds, _symbol_names(expressions))
    except _hypotheses.Unsatisfiable as exc:
        return str(exc)
    except _hypotheses.HypothesisError:
        return None
    return None


def _chain(verdicts, hypotheses, started) -> Verdict:
    strangers = [n for n, v in enumerate(verdicts) if not made_by_kernel(v)]
    if strangers:
        return _verdict(Status.UNKNOWN, Reason.DEPENDENCY_NOT_PROVED, None, None, started,
                        detail=f"link {strangers[0] + 1} of {len(verdicts)} is not a verdict this kernel made")
    lhs, rhs = verdicts[0].lhs, verdicts[-1].rhs
    bounds, unreadable = _read_hypotheses(hypotheses, [lhs, rhs])
    if unreadable:
        return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, lhs, rhs, started, detail=f"hypotheses: {unreadable}")
    empty = _satisfiable(bounds, [lhs, rhs])
    if empty:
        return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, lhs, rhs, started, detail=f"hypotheses: {empty}")
    for n, verdict in enumerate(verdicts):
        if not verdict.proved:
            return _verdict(Status.UNKNOWN, Reason.DEPENDENCY_NOT_PROVED, lhs, rhs, started,
                            detail=f"link {n + 1} of {len(verdicts)} is {verdict.status.value}")
        if n and verdicts[n - 1].rhs != verdict.lhs:
            return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, lhs, rhs, started,
                            detail=f"link {n + 1} does not start where link {n} ends")
        missing = _not_implied(verdict.hypotheses, bounds)
        if missing is not None:
            return _verdict(Status.UNKNOWN, Reason.ASSUMPTION_MISSING, lhs, rhs, started, hypotheses=bounds,
                            detail=f"link {n + 1} of {len(verdicts)} holds under {missing}, which {_under(bounds)} "
                                   "does not imply")
    return _verdict(Status.PROVED, Reason.INFERENCE, lhs, rhs, started, hypotheses=bounds,
                    axioms=frozenset().union(*(v.axioms for v in verdicts)),
                    detail=f"transitivity over {len(verdicts)} proved links")


def unreadable(lhs, rhs, why: str) -> Verdict:
    """A claim whose text could not be read (lhs and rhs show it as written): unknown, always."""
    return _verdict(Status.UNKNOWN, Reason.PARSE_ERROR, _as_expression(lhs), _as_expression(rhs),
                    time.perf_counter(), detail=str(why))


def postulate(name: str, lhs, rhs, reason: str) -> Verdict:
    """An equality taken without proof: PROVED with reason AXIOM, and every verdict built on it
    lists ``postulate NAME: reason`` among its axioms."""
    started = time.perf_counter()
    try:
        lhs, rhs = _as_expression(lhs), _as_expression(rhs)
    except TypeError as exc:
        return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, lhs, rhs, started, detail=str(exc))
    if not (isinstance(name, str) and name and isinstance(reason, str) and reason.strip()):
        return _verdict(Status.UNKNOWN, Reason.INVALID_INPUT, lhs, rhs, started,
                        detail="a postulate needs a name and a reason")
    refusal = _refusal(lhs, rhs)
    if refusal is not None:
        status, reason_code, detail, counterexample = refusal
        return _verdict(status, reason_code, lhs, rhs, started, detail=detail, counterexample=counterexample)
    return _verdict(Status.PROVED, Reason.AXIOM, lhs, rhs, started, axioms={f"postulate {name}: {reason.strip()}"},
                    detail=f"postulated without proof: {reason.strip()}")
