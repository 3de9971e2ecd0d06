"""Hypotheses: the relations a claim is stated under (0 < p < 1, a < b, 1 <= j <= k).

Symbol assumptions cannot say p < 1. A claim under hypotheses is decided as claims without
them: each symbol a hypothesis bounds is replaced by a parameterisation in fresh symbols whose
declared facts sympy and the witnesses already understand, and whose values cover every value
the hypotheses allow:

* ``lo < x``: x = lo + t, t positive (nonnegative for ``<=``; an integer when x is one);
* ``x < hi``: x = hi - t;
* ``lo < x < hi``, x real: x = (lo + hi t)/(1 + t), t positive, with a closed end its own case;
* ``lo <= j <= hi``, j an integer and the ends numbers: one case per value (up to 8).

A symbol with two lower (or upper) bounds is split into two cases by which bound is the larger,
and that comparison becomes a hypothesis of its case. Proving every case for every value of the
fresh symbols proves the claim wherever the hypotheses hold. A case that may also reach values
outside them (ends not known to be ordered, a declared fact of x it does not keep) is marked
inexact: proving it there too is only proving more, but a counterexample there is none.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef

from . import _domains

# How many cases a claim's hypotheses may take, and integer values a bounded integer is split into.
MAX_CASES = 16
MAX_ENUMERATED = 8


class HypothesisError(ValueError):
    """Hypotheses the kernel cannot read, or that no value satisfies."""


class Unsatisfiable(HypothesisError):
    """Hypotheses no value satisfies: a claim under them would hold vacuously."""


@dataclass(frozen=True)
class Bound:
    """``lower < upper`` (``<=`` when not strict): one hypothesis, normalised."""

    lower: sympy.Expr
    upper: sympy.Expr
    strict: bool

    @property
    def relation(self) -> sympy.Basic:
        make = sympy.StrictLessThan if self.strict else sympy.LessThan
        return make(self.lower, self.upper, evaluate=False)

    def __str__(self) -> str:
        return f"{sympy.sstr(self.lower)} {'<' if self.strict else '<='} {sympy.sstr(self.upper)}"

    def truth(self) -> bool | None:
        """True or False where the declared facts decide it, else None."""
        gap = _simplest(self.upper - self.lower)
        decided = gap.is_extended_positive if self.strict else gap.is_extended_nonnegative
        return decided


@dataclass(frozen=True)
class Case:
    """One parameterisation: each bounded symbol as an expression of fresh symbols."""

    mapping: tuple  # ((symbol, value), ...)
    fresh: tuple  # the fresh symbols, in order
    exact: bool  # every value it reaches satisfies the hypotheses and the declared facts

    def describe(self) -> str:
        shown = ", ".join(f"{sympy.sstr(s)} = {sympy.sstr(v)}" for s, v in self.mapping)
        facts = ", ".join(f"{t} {_domains.declared(t)}" for t in self.fresh)
        return shown + (f" ({facts})" if facts else "")


def _simplest(expr: sympy.Expr) -> sympy.Expr:
    together = sympy.together(expr)
    return together if together.is_extended_positive is not None else expr


def _relations(hypotheses) -> list:
    flat = []
    for hypothesis in hypotheses:
        if isinstance(hypothesis, sympy.And):
            flat += _relations(hypothesis.args)
        else:
            flat.append(hypothesis)
    return flat


def normalised(hypotheses) -> tuple[Bound, ...]:
    """The hypotheses as bounds, sorted and without repeats; those the declared facts already
    imply are dropped. Raises HypothesisError for anything else: an equation, a float, a bound
    on something that is not a symbol, a hypothesis the declared facts contradict."""
    if isinstance(hypotheses, (sympy.Basic, bool)):
        hypotheses = [hypotheses]
    bounds = {}
    for hypothesis in _relations(list(hypotheses)):
        if hypothesis is True or hypothesis is sympy.true:
            continue
        if hypothesis is False or hypothesis is sympy.false:
            raise Unsatisfiable("a hypothesis is False: no value satisfies it")
        if not isinstance(hypothesis, (sympy.StrictLessThan, sympy.LessThan, sympy.StrictGreaterThan,
                                       sympy.GreaterThan)):
            raise HypothesisError(f"{sympy.sstr(hypothesis)} ({type(hypothesis).__name__}) is not a hypothesis derive "
                                  "reads: write relations <, <=, >, >= that bound a symbol (0 < p, p < 1, j <= k)")
        if hypothesis.has(sympy.Float):
            raise HypothesisError(f"{sympy.sstr(hypothesis)} holds a float, which is not exact: write a Rational")
        for side in (hypothesis.lhs, hypothesis.rhs):
            strange = side.atoms(AppliedUndef, sympy.Indexed) or {n for n in sympy.preorder_traversal(side)
                                                                  if getattr(n, "bound_symbols", ())}
            if strange:
                raise HypothesisError(f"{sympy.sstr(hypothesis)}: a hypothesis relates symbols and numbers, not "
                                      f"{sympy.sstr(sorted(strange, key=str)[0])}")
            if side.is_extended_real is False:
                raise HypothesisError(f"{sympy.sstr(hypothesis)}: {sympy.sstr(side)} is not real")
            if side.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
                raise HypothesisError(f"{sympy.sstr(hypothesis)}: a bound is a finite expression (x < oo says nothing "
                                      "a real x does not)")
        bound = _solved(Bound(hypothesis.lts, hypothesis.gts, isinstance(hypothesis, (sympy.StrictLessThan,
                                                                                      sympy.StrictGreaterThan))))
        if _orientations(bound) == []:
            raise HypothesisError(f"{bound}: derive reads hypotheses that bound one symbol by an expression of "
                                  "others, or are linear in one symbol (write p < 1/q, not p q < 1)")
        truth = bound.truth()
        if truth is False:
            raise Unsatisfiable(f"{bound} contradicts the symbols' declared assumptions: no value satisfies it")
        if truth is None:
            bounds[(sympy.default_sort_key(bound.lower), sympy.default_sort_key(bound.upper), bound.strict)] = bound
    return tuple(bounds[key] for key in sorted(bounds))


def _solved(bound: Bound) -> Bound:
    """The bound with one symbol alone on a side, where it is not and the difference of its sides
    is linear in a symbol with a number for coefficient (p + q < 1 as p < 1 - q); else as given."""
    if _orientations(bound):
        return bound
    gap = sympy.expand(bound.upper - bound.lower)
    for symbol in sorted((s for s in gap.free_symbols if isinstance(s, sympy.Symbol)), key=str):
        rest, term = gap.as_independent(symbol, as_Add=True)
        slope = sympy.cancel(term / symbol)
        if slope.is_number and slope.is_zero is False and not rest.has(symbol):
            limit = sympy.cancel(-rest / slope)
            if slope.is_extended_positive:
                return Bound(limit, symbol, bound.strict)
            if slope.is_extended_negative:
                return Bound(symbol, limit, bound.strict)
    return bound


def _orientations(bound: Bound) -> list[tuple]:
    """(symbol, side, limit, strict) readings of a bound: a lower limit on its upper side's
    symbol, or an upper limit on its lower side's."""
    found = []
    if isinstance(bound.upper, sympy.Symbol) and bound.upper not in bound.lower.free_symbols:
        found.append((bound.upper, "lower", bound.lower, bound.strict))
    if isinstance(bound.lower, sympy.Symbol) and bound.lower not in bound.upper.free_symbols:
        found.append((bound.lower, "upper", bound.upper, bound.strict))
    return found


def _declared_limit(symbol: sympy.Symbol, side: str):
    """The limit a symbol's declared sign sets on ``side``, (limit, strict), or None."""
    if side == "lower" and symbol.is_extended_nonnegative:
        return sympy.S.Zero, bool(symbol.is_extended_positive)
    if side == "upper" and symbol.is_extended_nonpositive:
        return sympy.S.Zero, bool(symbol.is_extended_negative)
    return None


def _fresh(name: str, taken: set, **facts) -> sympy.Symbol:
    while name in taken:
        name += "_"
    taken.add(name)
    return sympy.Symbol(name, real=True, **facts)


class _Split(Exception):
    def __init__(self, symbol, side, first, second):
        super().__init__()
        self.symbol, self.side, self.first, self.second = symbol, side, first, second


def _limits(bounds, choice) -> dict:
    """symbol -> {"lower": [(limit, strict, bound)], "upper": [...]} for one orientation."""
    limits: dict = {}
    for bound, (symbol, side, limit, strict) in zip(bounds, choice):
        limits.setdefault(symbol, {"lower": [], "upper": []})[side].append((limit, strict, bound))
    for symbol, sides in limits.items():
        for side, other in (("lower", "upper"), ("upper", "lower")):
            declared = _declared_limit(symbol, side)
            if sides[other] and not sides[side] and declared is not None:
                sides[side].append((*declared, None))
    return limits


def _order(limits) -> list | None:
    """The bounded symbols, each after those its limits mention; None for a cycle."""
    order, left = [], dict(limits)
    while left:
        ready = [s for s, sides in left.items()
                 if not any(limit.free_symbols & set(left) for entries in sides.values() for limit, _, _ in entries)]
        if not ready:
            return None
        for s in sorted(ready, key=str):
            order.append(s)
            del left[s]
    return order


def _parameterised(bounds: tuple[Bound, ...], taken: set) -> list[Case]:
    """The cases that cover the region the bounds allow (empty when no value satisfies them)."""
    if any(b.truth() is False for b in bounds):
        return []
    bounds = tuple(dict.fromkeys(b for b in bounds if b.truth() is None))
    if not bounds:
        return [Case((), (), True)]
    split = None
    for choice in itertools.product(*(_orientations(b) for b in bounds)):
        limits = _limits(bounds, choice)
        order = _order(limits)
        if order is None:
            continue
        crowded = next(((s, side, entries) for s in order for side, entries in limits[s].items()
                        if len(entries) > 1), None)
        if crowded is not None:
            if split is None and all(e[2] is not None for e in crowded[2]):
                split = _Split(crowded[0], crowded[1], crowded[2][0], crowded[2][1])
            continue
        try:
            return _cases_of(limits, order, taken)
        except _NotIntegral:
            continue
    if split is None:
        raise HypothesisError(f"derive cannot parameterise the hypotheses {', '.join(map(str, bounds))}: each symbol "
                              "may have one lower and one upper bound, and an integer two only when they are numbers")
    return _split_cases(bounds, split, taken)


def _split_cases(bounds, split: _Split, taken) -> list[Case]:
    """Two cases by which of a symbol's two lower (upper) limits is the tighter: the case that
    keeps one limit states, as a hypothesis of its own, the comparison under which that limit
    implies the other; the other case states the opposite comparison."""
    (first, first_strict, first_bound), (second, second_strict, second_bound) = split.first, split.second

    def comparison(kept, other, strict) -> Bound:
        return Bound(other, kept, strict) if split.side == "lower" else Bound(kept, other, strict)

    # Keeping the second limit needs it strictly tighter only when the first is strict and it is not.
    second_strictly = first_strict and not second_strict
    keep_second = tuple(b for b in bounds if b != first_bound) + (comparison(second, first, second_strictly),)
    keep_first = tuple(b for b in bounds if b != second_bound) + (comparison(first, second, not second_strictly),)
    found = []
    for case_bounds in (keep_second, keep_first):
        found += _parameterised(case_bounds, taken)
        if len(found) > MAX_CASES:
            raise HypothesisError(f"the hypotheses take more than {MAX_CASES} cases")
    return found


class _NotIntegral(Exception):
    pass


def _cases_of(limits, order, taken) -> list[Case]:
    taken = set(taken)  # the fresh names of one orientation: another case may use them again
    partial = [({}, [], True)]
    for symbol in order:
        lower = limits[symbol]["lower"][0] if limits[symbol]["lower"] else None
        upper = limits[symbol]["upper"][0] if limits[symbol]["upper"] else None
        extended = []
        for mapping, fresh, exact in partial:
            for value, new, case_exact in _choices(symbol, lower, upper, mapping, taken):
                mapping_now = {**mapping, symbol: value}
                exact_now = exact and case_exact and _domains.fact_violation(symbol, value) is None
                extended.append((mapping_now, fresh + new, exact_now))
        partial = extended
        if len(partial) > MAX_CASES:
            raise HypothesisError(f"the hypotheses take more than {MAX_CASES} cases")
    return [Case(tuple(mapping.items()), tuple(fresh), exact) for mapping, fresh, exact in partial]


def _choices(symbol, lower, upper, mapping, taken) -> list[tuple]:
    """(value, fresh symbols, exact) for each case of one symbol, its limits written in the
    fresh symbols of the symbols before it."""
    integer = bool(symbol.is_integer)
    name = f"{symbol}_t"

    def at(limit):
        return limit[0].xreplace(mapping), limit[1]

    if lower is not None and upper is not None:
        (lo, lo_strict), (hi, hi_strict) = at(lower), at(upper)
        if integer:
            if not (lo.is_number and hi.is_number):
                raise _NotIntegral
            # The least and greatest integers inside, whether or not sympy knows an end is one.
            first = sympy.floor(lo) + 1 if lo_strict else sympy.ceiling(lo)
            last = sympy.ceiling(hi) - 1 if hi_strict else sympy.floor(hi)
            if not (first.is_Integer and last.is_Integer):
                raise _NotIntegral
            if last - first + 1 > MAX_ENUMERATED:
                t = _fresh(name, taken, integer=True, nonnegative=True)
                return [(first + t, [t], False)]
            return [(sympy.Integer(n), [], True) for n in range(int(first), int(last) + 1)]
        gap = _simplest(hi - lo)
        if gap.is_extended_negative or (gap.is_zero and (lo_strict or hi_strict)):
            return []
        ordered = bool(gap.is_extended_positive)
        t = _fresh(name, taken, positive=True)
        found = [((lo + hi * t) / (1 + t), [t], ordered)]
        if not lo_strict:
            found.append((lo, [], ordered or bool(gap.is_extended_nonnegative)))
        if not hi_strict:
            found.append((hi, [], ordered or bool(gap.is_extended_nonnegative)))
        return found
    (limit, strict), direction = (at(lower), 1) if lower is not None else (at(upper), -1)
    if integer and limit.is_integer is not True:
        raise _NotIntegral
    facts = {"positive": True} if strict else {"nonnegative": True}
    if integer:
        facts["integer"] = True
    t = _fresh(name, taken, **facts)
    return [(limit + direction * t, [t], True)]


def cases(bounds: tuple[Bound, ...], names: set) -> list[Case]:
    """The parameterisations that together cover every value the bounds allow, their fresh
    symbols named apart from ``names``. Raises HypothesisError when there is none (the
    hypotheses allow no value) or the hypotheses cannot be parameterised."""
    found = _parameterised(tuple(bounds), set(names))
    if not found:
        raise Unsatisfiable(f"no value satisfies the hypotheses {', '.join(map(str, bounds))}")
    return found


def implied(bound: Bound, bounds: tuple[Bound, ...]) -> bool:
    """Whether ``bound`` holds wherever ``bounds`` and the declared facts do: it is one of them
    (or a strict form of it), or it holds in every case of their parameterisation."""
    if bound.truth() is True:
        return True
    if any(b.lower == bound.lower and b.upper == bound.upper and (b.strict or not bound.strict) for b in bounds):
        return True
    names = {str(s) for b in (bound, *bounds) for side in (b.lower, b.upper) for s in side.free_symbols}
    try:
        parameterised = cases(bounds, names)
    except HypothesisError:
        return False
    for case in parameterised:
        mapping = dict(case.mapping)
        if Bound(bound.lower.xreplace(mapping), bound.upper.xreplace(mapping), bound.strict).truth() is not True:
            return False
    return True


def instance(bounds: tuple[Bound, ...], mapping: dict) -> tuple[tuple[Bound, ...], Bound | None]:
    """The bounds with symbols replaced by values: (those still open, the first one the values
    make false or None). A bound the values make true is dropped."""
    kept = {}
    for bound in bounds:
        new = _solved(Bound(bound.lower.xreplace(mapping), bound.upper.xreplace(mapping), bound.strict))
        truth = new.truth()
        if truth is False:
            return (), bound
        if truth is None:
            kept[new] = None
    return tuple(kept), None


def shown(bounds) -> str:
    return ", ".join(map(str, bounds))
