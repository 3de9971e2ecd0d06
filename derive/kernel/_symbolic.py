"""The symbolic witness: strategies that each reduce ``lhs - rhs``; only the kernel judges them.

The sequence is fixed and deterministic: the strategy of the claim's own reasoning level goes
first (a step that says it evaluates is checked by evaluating, without first paying for every
weaker strategy to fail), then the others from the cheapest up. The order decides only which
strategy is credited and how long it takes, never the verdict: any strategy that reaches zero
proves, and when none does they have all been tried. Each strategy is one stage of work in a
worker process (``_tasks``), under a time limit. A strategy may leave notes (a side condition it
could not discharge) that the kernel turns into the reason of an unproved verdict; one that
raises proposes nothing and says what it raised.

Integrals, sums and expectations are *operators*: they bind variables. Before any algebra,
operators get canonical bound-variable names (and with linearity, factors that do not depend on
them are pulled out of linear ones). A claim is checked with a level of ``Reasoning``: with
ALGEBRA each class of equal operators, derivatives, limits and substitutions is an opaque atom
(equal bodies make equal operators, but nothing crosses an operator), so an equality that needs
linearity, a lemma or an evaluation is not proved by "algebra"; LINEARITY may split and merge
operators and pull constants out; EVALUATION may also evaluate them. Proved lemmas are
substituted first.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import sympy

from ._numeric import is_operator


def is_linear_operator(node: sympy.Basic) -> bool:
    return isinstance(node, (sympy.Integral, sympy.Sum)) or getattr(node, "is_linear_operator", False)


def bound_variables(node: sympy.Basic) -> tuple[sympy.Symbol, ...]:
    return tuple(node.variables)


def _rebuild(node: sympy.Basic, body: sympy.Expr) -> sympy.Basic:
    return node.func(body, *node.args[1:])


def _expanded(e: sympy.Expr) -> sympy.Expr:
    return sympy.expand(sympy.expand_log(e, force=False))


def _content_and_primitive(body: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """body = content * primitive with a rational content and a canonical sign, so that
    Sum(2 f) / 2, Sum(f) and -Sum(-f) all become the same operator."""
    content, primitive = _expanded(body).as_content_primitive()
    if primitive.could_extract_minus_sign():
        content, primitive = -content, -primitive
    if content == 1:
        return sympy.S.One, body
    return content, primitive


class CanonicalBound(sympy.Dummy):
    """The name ``canonical`` gives a bound variable: a class of the kernel's own, so that no
    symbol a claim holds (a Dummy named and numbered alike, say) is ever equal to one."""


def canonical(expr: sympy.Basic, depth: int = 0, *, pull_constants: bool) -> sympy.Basic:
    """Operators with canonical bound-variable names and, with ``pull_constants`` (which is
    linearity), constant factors pulled out of linear ones."""
    if isinstance(expr, sympy.MatrixBase):
        return expr.applyfunc(lambda e: canonical(e, depth, pull_constants=pull_constants))
    if not isinstance(expr, sympy.Basic) or expr.is_Atom:
        return expr
    if is_operator(expr):
        renaming = {
            v: CanonicalBound(f"b{depth}_{n}", dummy_index=1000 * depth + n, **v.assumptions0)
            for n, v in enumerate(bound_variables(expr))
        }
        node = expr.xreplace(renaming)
        body = canonical(node.args[0], depth + 1, pull_constants=pull_constants)
        if pull_constants and is_linear_operator(node):
            constant, rest = body.as_independent(*renaming.values(), as_Add=False)
            content, rest = _content_and_primitive(rest)
            if constant * content != 1:
                return constant * content * _rebuild(node, rest)
        return _rebuild(node, body)
    return expr.func(*(canonical(a, depth, pull_constants=pull_constants) for a in expr.args))


def is_unevaluated(node: sympy.Basic) -> bool:
    """What only evaluation may open: operators that bind variables, and derivatives, limits and
    substitutions, which sympy's simplify would otherwise carry out."""
    return is_operator(node) or isinstance(node, (sympy.Derivative, sympy.Limit, sympy.Subs))


def _outermost_operators(expr: sympy.Basic) -> set[sympy.Basic]:
    found: set[sympy.Basic] = set()

    def walk(node: sympy.Basic) -> None:
        if is_unevaluated(node):
            found.add(node)
            return
        for arg in node.args:
            if isinstance(arg, sympy.Basic):
                walk(arg)

    walk(expr)
    return found


@functools.lru_cache(maxsize=4096)
def operator_key(op: sympy.Basic) -> tuple:
    """A normal form of a canonical operator: its type, its binding and its expanded body.

    Hashing this once per operator replaces pairwise comparison, which cost seconds for the
    dozens of entrywise expectations of a 3 x 3 derivation.
    """
    return type(op), op.args[1:], _expanded(op.args[0])


def same_operator(a: sympy.Basic, b: sympy.Basic) -> bool:
    """Two canonical operators with the same binding and bodies equal once expanded."""
    return a == b or operator_key(a) == operator_key(b)


def _operator_classes(exprs: list[sympy.Basic]) -> dict[sympy.Basic, sympy.Basic]:
    """Map each outermost operator to the first one with its normal form (a representative)."""
    representatives: dict[tuple, sympy.Basic] = {}
    chosen: dict[sympy.Basic, sympy.Basic] = {}
    for expr in exprs:
        for op in sorted(_outermost_operators(expr), key=sympy.default_sort_key):
            chosen[op] = representatives.setdefault(operator_key(op), op)
    return chosen


def _split_operator(expr: sympy.Basic) -> tuple[sympy.Expr, sympy.Basic | None]:
    """(c, Op) when ``expr`` is ``c * Op`` with exactly one operator factor, else (1, None)."""
    if is_operator(expr):
        return sympy.S.One, expr
    ops = [f for f in sympy.Mul.make_args(expr) if is_operator(f)] if isinstance(expr, sympy.Mul) else []
    if len(ops) == 1:
        return expr / ops[0], ops[0]
    return sympy.S.One, None


def rewrite_with(expr: sympy.Basic, theorems: list[tuple[sympy.Basic, sympy.Basic]],
                 as_written: bool = False, *, pull_constants: bool = False) -> sympy.Basic:
    """Replace each occurrence of a proved ``lhs`` by its ``rhs`` (equals for equals).

    A lemma about an operator, ``c * Op(f) = r``, rewrites every operator equal to ``Op(f)`` by
    algebra on its body, wherever it stands, to ``r / c``.
    """
    for lhs, rhs in theorems:
        if not as_written:
            lhs, rhs = (canonical(lhs, pull_constants=pull_constants), canonical(rhs, pull_constants=pull_constants))
        constant, atom = _split_operator(lhs)
        if atom is not None and constant != 0:
            replacement = rhs / constant
            expr = expr.replace(
                lambda n, atom=atom: is_operator(n) and same_operator(n, atom),
                lambda n, replacement=replacement: replacement,
            )
        else:
            expr = expr.xreplace({lhs: rhs})
    return expr


def merge_linear_operators(expr: sympy.Expr) -> sympy.Expr:
    """Linearity: c1*Op(f1) + c2*Op(f2) -> Op(c1*f1 + c2*f2) for operators with the same binding."""
    groups: dict[tuple, list[tuple[sympy.Expr, sympy.Basic]]] = {}
    rest = []
    for term in sympy.Add.make_args(canonical(sympy.expand(expr), pull_constants=True)):
        ops = [f for f in sympy.Mul.make_args(term) if is_operator(f)]
        if len(ops) == 1 and is_linear_operator(ops[0]):
            op = ops[0]
            groups.setdefault((type(op), op.args[1:]), []).append((term / op, op))
        else:
            rest.append(term)
    merged = []
    for members in groups.values():
        body = _expanded(sympy.Add(*(c * op.args[0] for c, op in members)))
        if body != 0:
            # Rebuilt through the operator's constructor, which may reduce it (E[c] = c).
            merged.append(_rebuild(members[0][1], body))
    return sympy.Add(*rest, *merged)


def _resolve_piecewise(expr: sympy.Expr, notes: list[str]) -> sympy.Expr:
    """Keep a Piecewise branch only when its condition holds under the declared assumptions."""

    def pick(pw: sympy.Piecewise) -> sympy.Expr:
        for value, condition in pw.args:
            decided = sympy.simplify(condition)
            if decided is sympy.true:
                return value
            if decided is not sympy.false:
                notes.append(f"side condition not implied by the assumptions: {condition}")
                return pw
        return pw

    return expr.replace(lambda n: isinstance(n, sympy.Piecewise), pick)


def _gaussian_integral(integral: sympy.Integral) -> sympy.Expr | None:
    """An integral over the real line of polynomial-times-exp(quadratic) terms in closed form,
    or None when it has another shape (sympy then integrates it).

    With exp(-a x^2 + b x + c) and a > 0 by the assumptions, the integral of x^n times it is
    exp(c + b^2 / (4a)) sqrt(pi / a) E[(m + z / sqrt(2a))^n], m = b / (2a) and z ~ N(0, 1), whose
    moments are (k - 1)!! for even k and 0 for odd k. sympy reaches the same through Meijer G
    functions in about 0.3 s per integral; this takes milliseconds.
    """
    if len(integral.limits) != 1 or integral.limits[0][1:] != (-sympy.oo, sympy.oo):
        return None
    x = integral.limits[0][0]
    total = sympy.S.Zero
    for term in sympy.Add.make_args(integral.function):
        constant, dependent = term.as_independent(x, as_Add=False)
        exponent, polynomial = sympy.S.Zero, sympy.S.One
        for factor in sympy.Mul.make_args(dependent):
            if isinstance(factor, sympy.exp):
                exponent += factor.args[0]
            else:
                polynomial *= factor
        if not (polynomial.is_polynomial(x) and exponent.is_polynomial(x)) or sympy.degree(exponent, x) != 2:
            return None
        minus_a, b, c = sympy.Poly(exponent, x).all_coeffs()
        a = -minus_a
        if a.is_positive is not True:
            return None
        mean, spread = b / (2 * a), 1 / sympy.sqrt(2 * a)
        moment = sympy.S.Zero
        for power, coefficient in sympy.Poly(polynomial, x).terms():
            n = power[0]
            moment += coefficient * sum(sympy.binomial(n, k) * mean ** (n - k) * spread**k * sympy.factorial2(k - 1)
                                        for k in range(0, n + 1, 2))
        total += constant * sympy.exp(c + b**2 / (4 * a)) * sympy.sqrt(sympy.pi / a) * moment
    return total


def _evaluate_operators(expr: sympy.Expr, notes: list[str]) -> sympy.Expr:
    # sympy integrates an expanded integrand in a fraction of the time of the raw one, and a
    # Gaussian one needs no integration at all.
    expanded = expr.replace(lambda n: isinstance(n, sympy.Integral), lambda n: _rebuild(n, _expanded(n.args[0])))
    closed = expanded.replace(lambda n: isinstance(n, sympy.Integral), _in_closed_form)
    return _resolve_piecewise(closed.doit(), notes)


def _in_closed_form(integral: sympy.Integral) -> sympy.Expr:
    closed = _gaussian_integral(integral)
    return integral if closed is None else closed


@dataclass
class Attempt:
    """What one strategy found: whether its residual is exactly zero, with its notes."""

    strategy: str
    zero: bool | None  # None: the strategy raised (error)
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # the exception the strategy raised, in one line


@dataclass(frozen=True)
class Answer:
    """The symbolic witness's answer: the strategy that reduced the difference to exactly 0 (or
    None), the notes left on the way (side conditions), and what timed out or raised."""

    proved_by: str | None
    notes: tuple[str, ...]
    timed_out: tuple[str, ...]
    errors: tuple[str, ...]
    seconds: float = 0.0


def _entrywise(f: Callable[[sympy.Expr], sympy.Expr]) -> Callable[[sympy.Basic], sympy.Basic]:
    def apply(e: sympy.Basic) -> sympy.Basic:
        return e.applyfunc(f) if isinstance(e, sympy.MatrixBase) else f(e)

    return apply


def _opaque(expr: sympy.Expr) -> sympy.Expr:
    """Each class of equal operators becomes one fresh symbol: algebra cannot look inside."""
    classes = _operator_classes([expr])
    symbols = {rep: sympy.Dummy(f"op{n}") for n, rep in enumerate(dict.fromkeys(classes.values()))}
    return expr.xreplace({op: symbols[rep] for op, rep in classes.items()})


class Reasoning(enum.IntEnum):
    """What a strategy may use; each level includes the ones before it."""

    ALGEBRA = 1  # integrals, sums and expectations are opaque atoms
    LINEARITY = 2  # ... that may be split and merged by linearity
    EVALUATION = 3  # ... and evaluated (integrate, sum, differentiate, take moments)


_ALGEBRA: list[tuple[str, Callable[[sympy.Expr], sympy.Expr]]] = [
    ("identical", lambda d: d),
    # expand_func opens functions defined by a formula, such as expm1 and expm1mx, first.
    ("expand", lambda d: _expanded(sympy.expand_func(d))),
    ("cancel", lambda d: sympy.cancel(sympy.together(_expanded(d)))),
    ("simplify", sympy.simplify),
]


def _theorem_pairs(theorems: list[tuple[sympy.Basic, sympy.Basic]]) -> list[tuple[sympy.Basic, sympy.Basic]]:
    pairs = []
    for lhs, rhs in theorems:
        if isinstance(lhs, sympy.MatrixBase):
            pairs += [(a, b) for a, b in zip(lhs, rhs) if a != b]
        else:
            pairs.append((lhs, rhs))
    return pairs


def strategy_names(reasoning: Reasoning) -> list[str]:
    """The fixed order of the strategies: the one of the claim's own reasoning level first, then
    the rest from the cheapest up."""
    names = [name for name, _ in _ALGEBRA]
    if reasoning >= Reasoning.LINEARITY:
        names.append("linearity")
    if reasoning >= Reasoning.EVALUATION:
        names.append("evaluate")
    if reasoning > Reasoning.ALGEBRA:
        names.insert(0, names.pop())
    return names


def _difference(lhs: sympy.Basic, rhs: sympy.Basic, theorems, reasoning: Reasoning) -> sympy.Basic:
    """lhs - rhs with the lemmas substituted and operators in canonical form."""
    pairs = _theorem_pairs(theorems)
    if pairs:
        # First as written: a lemma with a free index i then matches inside a Sum over i,
        # before canonical renaming of bound variables hides the i.
        lhs, rhs = rewrite_with(lhs, pairs, as_written=True), rewrite_with(rhs, pairs, as_written=True)
    pull = reasoning >= Reasoning.LINEARITY
    lhs, rhs = canonical(lhs, pull_constants=pull), canonical(rhs, pull_constants=pull)
    if pairs:
        lhs, rhs = rewrite_with(lhs, pairs, pull_constants=pull), rewrite_with(rhs, pairs, pull_constants=pull)
    if isinstance(lhs, sympy.MatrixBase):
        return sympy.ImmutableMatrix(lhs) - sympy.ImmutableMatrix(rhs)
    return sympy.S.Zero if lhs == rhs else lhs - rhs


def stages(lhs: sympy.Basic, rhs: sympy.Basic, theorems: list[tuple[sympy.Basic, sympy.Basic]],
           reasoning: Reasoning):
    """The strategies as stages of the worker protocol (``_tasks``): each yields (name, run),
    where run() returns the strategy's Attempt; they stop at the first residual exactly 0."""
    prepared: dict[str, sympy.Basic] = {}
    opaque = functools.lru_cache(maxsize=None)(_opaque)  # the algebra strategies share one difference
    strategies: dict[str, Callable[[sympy.Expr, list[str]], sympy.Expr]] = {
        name: (lambda d, notes, f=f: f(opaque(d))) for name, f in _ALGEBRA}
    strategies["linearity"] = lambda d, notes: sympy.simplify(_opaque(merge_linear_operators(d)))
    strategies["evaluate"] = lambda d, notes: sympy.simplify(sympy.expand_func(
        _evaluate_operators(merge_linear_operators(d), notes)))

    def attempt(name: str) -> Attempt:
        notes: list[str] = []
        try:
            if "difference" not in prepared:
                prepared["difference"] = _difference(lhs, rhs, theorems, reasoning)
            residual = _entrywise(lambda d: strategies[name](d, notes))(prepared["difference"])
        except Exception as exc:  # noqa: BLE001 - sympy failing inside a strategy proposes nothing
            text = " ".join(str(exc).split())[:300]
            return Attempt(name, None, notes, error=f"{name}: {type(exc).__name__}: {text}")
        return Attempt(name, _is_zero(residual), notes)

    for name in strategy_names(reasoning):
        found = yield name, (lambda name=name: attempt(name))
        if found is not None and found.zero:
            return


def _is_zero(residual) -> bool:
    if isinstance(residual, sympy.MatrixBase):
        return all(entry == 0 for entry in residual)
    return residual is not None and residual == 0


def answer(stages, failure: str | None) -> Answer:
    """The witness's answer from what became of its stages in the workers (``_workers.Stage``)."""
    notes, timed_out, errors = [], [], []
    seconds = sum(stage.seconds for stage in stages)
    for stage in stages:
        if stage.kind == "timeout":
            timed_out.append(stage.name)
            continue
        if stage.kind != "ok":
            errors.append(f"{stage.name}: the worker process died")
            continue
        attempt = stage.payload
        notes += attempt.notes
        if attempt.error:
            errors.append(attempt.error)
        if attempt.zero:
            return Answer(attempt.strategy, tuple(notes), tuple(timed_out), tuple(errors), seconds)
    if failure:
        errors.append(failure)
    return Answer(None, tuple(notes), tuple(timed_out), tuple(errors), seconds)
