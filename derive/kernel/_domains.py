"""Where a claim means something: the ranges of bound variables, and where each side is defined.

Three questions the kernel asks before it believes a witness:

* Does every bound variable range only over values its declared assumptions allow? sympy uses
  a symbol's assumptions wherever the symbol appears, so ``Integral(Abs(x), (x, -1, 1))`` with
  ``x`` positive is silently ``Integral(x, (x, -1, 1))``. A binder's variable may carry only the
  facts its range implies (``range_violation``).
* Does a substituted value have every fact of what it replaces (``fact_violation``)?
* Is each side defined wherever the claim says it holds: every divisor, log argument and
  pole-making argument outside binders known to be nonzero (``singular_conditions``)? What
  binders integrate over is the numeric witness's to judge (a divergent integral is undefined).
"""

from __future__ import annotations

import functools

import sympy
from sympy.core.assumptions import _assume_defined

# Every fact sympy knows of.
FACTS = tuple(sorted(_assume_defined))


def _given(symbol: sympy.Basic) -> dict:
    return getattr(symbol, "_assumptions_orig", None) or getattr(symbol, "assumptions0", {})


def fact_violation(declared: sympy.Basic, candidate: sympy.Basic) -> str | None:
    """The first fact ``declared`` decides (True or False) that ``candidate`` is not known to
    share, or None when ``candidate`` has every one. The facts it was declared with come first,
    so that the answer names one the user wrote."""
    for fact in dict.fromkeys([*_given(declared), *FACTS]):
        wanted = getattr(declared, f"is_{fact}")
        if wanted is not None and getattr(candidate, f"is_{fact}") is not wanted:
            return fact if wanted else f"not {fact}"
    return None


def declared(symbol: sympy.Basic) -> str:
    """The assumptions a symbol was declared with, as written: ``positive, integer``."""
    return ", ".join(f if v else f"{f}=False" for f, v in sorted(_given(symbol).items())) or "without assumptions"


def _at_least(value: sympy.Expr, bound: int) -> bool:
    return (value - bound).is_extended_nonnegative is True


def _at_most(value: sympy.Expr, bound: int) -> bool:
    return (value - bound).is_extended_nonpositive is True


def _extended_real(value: sympy.Expr) -> bool:
    return value.is_extended_real is True


def _interval_reference(lower: sympy.Expr, upper: sympy.Expr) -> sympy.Dummy:
    """What every interior point of the interval between lower and upper (in either order) is
    known to be. An integral's value does not depend on its integrand at the endpoints, so the
    interior is the range."""
    facts: dict[str, bool] = {}
    if _extended_real(lower) and _extended_real(upper):
        facts["real"] = True
        if _at_least(lower, 0) and _at_least(upper, 0):
            facts["positive"] = True
        elif _at_most(lower, 0) and _at_most(upper, 0):
            facts["negative"] = True
    return sympy.Dummy("range", **facts)


def _summation_reference(lower: sympy.Expr, upper: sympy.Expr) -> sympy.Dummy:
    """What every index of sympy's Sum (or Product) from lower to upper is known to be. With
    upper < lower - 1 sympy sums from upper + 1 to lower - 1 and negates (Karr's convention), so
    the indices lie between min(lower, upper + 1) and max(upper, lower - 1)."""
    infinite = (sympy.oo, -sympy.oo)
    facts: dict[str, bool] = {}
    if (lower.is_integer or lower in infinite) and (upper.is_integer or upper in infinite):
        facts["integer"] = True
    elif _extended_real(lower) and _extended_real(upper):
        facts["real"] = True
    if _at_least(lower, 1) and _at_least(upper, 0):
        facts["positive"] = True
    elif _at_least(lower, 0) and _at_least(upper, -1):
        facts["nonnegative"] = True
    elif _at_most(upper, -1) and _at_most(lower, 0):
        facts["negative"] = True
    elif _at_most(upper, 0) and _at_most(lower, 1):
        facts["nonpositive"] = True
    return sympy.Dummy("range", **facts)


def _ranges(node: sympy.Basic):
    """(variable, reference, shown range) for each variable ``node`` binds."""
    if isinstance(node, sympy.Integral):
        for limit in node.limits:
            if len(limit) == 3:
                yield limit[0], _interval_reference(limit[1], limit[2]), f"({limit[1]}, {limit[2]})"
            elif len(limit) == 2:
                yield limit[0], sympy.Dummy("range"), f"a path to {limit[1]}"
    elif isinstance(node, (sympy.Sum, sympy.Product)):
        for variable, lower, upper in node.limits:
            yield variable, _summation_reference(lower, upper), f"{lower}, ..., {upper}"
    elif getattr(node, "is_derive_operator", False):
        for variable in node.variables:
            yield variable, sympy.Dummy("range", real=True), "the real line"
    elif isinstance(node, sympy.Limit):
        variable, point, direction = node.args[1], node.args[2], str(node.args[3])
        yield variable, _limit_reference(point, direction), f"values near {point} ({direction})"


def _limit_reference(point: sympy.Expr, direction: str) -> sympy.Dummy:
    facts: dict[str, bool] = {}
    if direction in ("+", "-") and _extended_real(point):
        facts["real"] = True
        if direction == "+" and _at_least(point, 0):
            facts["positive"] = True
        elif direction == "-" and _at_most(point, 0):
            facts["negative"] = True
    return sympy.Dummy("range", **facts)


@functools.lru_cache(maxsize=4096)
def range_violation(expr: sympy.Basic) -> str | None:
    """Why some bound variable of ``expr`` carries a fact its range does not imply, or None."""
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Subs):
            for variable, value in zip(node.variables, node.point):
                fact = fact_violation(variable, value)
                if fact:
                    return (f"Subs puts {sympy.sstr(value)} for {variable}, which is declared {fact}: "
                            f"{sympy.sstr(value)} is not known to be {fact}")
            continue
        for variable, reference, shown in _ranges(node):
            if not isinstance(variable, sympy.Symbol):
                return (f"the bound variable {sympy.sstr(variable)} (over {shown}) is not a symbol: bind a Symbol "
                        "and write the element in the body")
            fact = fact_violation(variable, reference)
            if fact:
                return (f"bound variable {variable} is declared {declared(variable)} but ranges over {shown}, "
                        f"which does not imply it ({fact}): declare it with only what its range implies")
    return None


def _pole_arguments(node: sympy.Basic) -> list[tuple[sympy.Expr, str]]:
    """(expression that must be nonzero, what it is) for one node's own singularities."""
    if isinstance(node, sympy.Pow) and node.exp.is_extended_negative:
        return [(node.base, "divisor")]
    if isinstance(node, sympy.log):
        return [(node.args[0], "log argument")]
    arg = node.args[0] if node.args else None
    poles = {sympy.tan: sympy.cos, sympy.sec: sympy.cos, sympy.cot: sympy.sin, sympy.csc: sympy.sin,
             sympy.tanh: sympy.cosh, sympy.sech: sympy.cosh, sympy.coth: sympy.sinh, sympy.csch: sympy.sinh}
    for function, vanishing in poles.items():
        if isinstance(node, function):
            return [(vanishing(arg), f"{vanishing.__name__} of the argument of {function.__name__}")]
    if isinstance(node, (sympy.gamma, sympy.loggamma, sympy.digamma, sympy.polygamma)):
        argument = node.args[-1]  # poles at 0, -1, -2, ...
        if not (argument.is_extended_positive or argument.is_noninteger):
            return [(sympy.S.Zero, f"{sympy.sstr(node)}, whose argument may be a nonpositive integer")]
    if isinstance(node, (sympy.atanh, sympy.acoth)):
        return [(arg - 1, f"argument of {type(node).__name__} minus 1"), (arg + 1, f"argument of {type(node).__name__} plus 1")]
    return []


def _pole_inside(node: sympy.Basic, variable: sympy.Symbol, lower: sympy.Expr, upper: sympy.Expr) -> str | None:
    """Why an integrand's factor ``base**e`` with e <= -1 (not integrable across a zero of the
    base) may have such a zero inside the range of integration, or None: a linear base's zero
    must lie, by the assumptions, at or beyond an end; any other base must be known nonzero for
    every value of the variable in the range."""
    if not (isinstance(node, sympy.Pow) and (node.exp + 1).is_extended_nonpositive and node.base.has(variable)):
        return None
    base = node.base
    if base.is_polynomial(variable) and sympy.degree(base, variable) == 1:
        slope, offset = sympy.Poly(base, variable).all_coeffs()
        pole = -offset / slope
        if slope.is_zero is False and not pole.has(variable):
            below = (pole - lower).is_extended_nonpositive and (pole - upper).is_extended_nonpositive
            above = (pole - lower).is_extended_nonnegative and (pole - upper).is_extended_nonnegative
            if below or above:
                return None
            return (f"the integrand's pole {variable} = {sympy.sstr(pole)} (of {sympy.sstr(node)}) may lie inside "
                    f"({sympy.sstr(lower)}, {sympy.sstr(upper)}), where the integral diverges")
    inside = base.xreplace({variable: _interval_reference(lower, upper)})
    if inside.is_zero is False:
        return None
    return (f"the integrand's {sympy.sstr(node)} may have a pole inside ({sympy.sstr(lower)}, {sympy.sstr(upper)}): "
            f"{sympy.sstr(base)} is not known to be nonzero there")


# Functions with poles where another vanishes (tan where cos does), first at what offset, then how
# often: cos vanishes at pi/2 + k pi, sin at k pi, sinh at 0 only.
_VANISHING = {sympy.tan: (sympy.pi / 2, sympy.pi), sympy.sec: (sympy.pi / 2, sympy.pi), sympy.cot: (0, sympy.pi),
              sympy.csc: (0, sympy.pi), sympy.coth: (0, None), sympy.csch: (0, None)}
# Poles at 0, -1, -2, ... that no integral crosses (loggamma's are log singularities, integrable).
_GAMMA_POLES = (sympy.gamma, sympy.digamma, sympy.polygamma)


def _function_pole_inside(node: sympy.Basic, variable: sympy.Symbol, lower: sympy.Expr,
                          upper: sympy.Expr) -> str | None:
    """Why an integrand's tan, cot, sec, csc, coth, csch or gamma-like function may have a pole
    inside the range of integration, or None: for an argument linear in the variable and ends that
    are numbers, no pole may lie strictly between the argument's values at the ends; otherwise
    the function must be known to have none there."""
    if isinstance(node, tuple(_VANISHING)):
        offset, period = _VANISHING[type(node)]
    elif isinstance(node, _GAMMA_POLES):
        offset, period = 0, -1
    else:
        return None
    argument = node.args[-1]
    if not argument.has(variable):
        return None
    why = (f"the integrand's {sympy.sstr(node)} may have a pole inside ({sympy.sstr(lower)}, {sympy.sstr(upper)}), "
           "where the integral diverges")
    if not (argument.is_polynomial(variable) and sympy.degree(argument, variable) == 1 and lower.is_number
            and upper.is_number and lower.is_finite and upper.is_finite):
        return why  # sympy cannot tell where such an argument meets a pole
    ends = [argument.subs(variable, end) for end in (lower, upper)]
    low, high = sympy.Min(*ends), sympy.Max(*ends)
    if period is None:
        first = offset
    elif period == -1:  # the nonpositive integers
        first = sympy.Min(sympy.floor(low) + 1, 1)
    else:
        first = offset + (sympy.floor((low - offset) / period) + 1) * period
    crosses = sympy.And(sympy.StrictLessThan(low, first), sympy.StrictLessThan(first, high),
                        sympy.true if period != -1 else sympy.LessThan(first, 0))
    return None if crosses is sympy.false else why


def _term_undefined(condition: sympy.Expr, what: str, variable: sympy.Symbol, lower: sympy.Expr,
                    upper: sympy.Expr) -> str | None:
    """Why a sum's term or a product's factor may be undefined at some index of its range (its
    ``condition`` zero there), or None: the sampled sums end at 60, where (k**2 - 10**4)/(k - 100)
    is still defined. A polynomial in the index alone must have no integer root that may lie in
    the range; anything else must be known nonzero at every index."""
    if condition.xreplace({variable: _summation_reference(lower, upper)}).is_zero is False:
        return None
    if condition.free_symbols == {variable} and condition.is_polynomial(variable):
        integer_roots = sympy.roots(sympy.Poly(condition, variable), filter="Z")
        inside = [r for r in integer_roots
                  if (r - sympy.Min(lower, upper + 1)).is_extended_negative is not True
                  and (sympy.Max(upper, lower - 1) - r).is_extended_negative is not True]
        if not inside:
            return None
        return (f"the {what} {sympy.sstr(condition)} of a term is 0 at {variable} = {sympy.sstr(inside[0])}, "
                f"which may lie in {sympy.sstr(lower)}, ..., {sympy.sstr(upper)}")
    return (f"the {what} {sympy.sstr(condition)} of a term is not known to be nonzero for every "
            f"{variable} in {sympy.sstr(lower)}, ..., {sympy.sstr(upper)}")


# Functions whose derivative does not exist where their argument (or the difference of their
# arguments) vanishes, or anywhere their argument is an integer.
_KINKED = (sympy.Abs, sympy.sign, sympy.Heaviside)
_STEPPED = (sympy.floor, sympy.ceiling, sympy.frac, sympy.Mod)


def _kink(node: sympy.Basic, variables: frozenset) -> str | None:
    """Why the derivative of ``node`` with respect to the variables may not exist, or None."""
    if not (node.free_symbols & variables):
        return None
    if isinstance(node, _KINKED) and node.args[0].is_zero is not False:
        return f"{sympy.sstr(node)} has a kink where {sympy.sstr(node.args[0])} = 0, not known never to happen"
    if isinstance(node, (sympy.Max, sympy.Min)):
        for a, b in zip(node.args, node.args[1:]):
            if (a - b).is_zero is not False:
                return f"{sympy.sstr(node)} has a kink where {sympy.sstr(a)} = {sympy.sstr(b)}, not known never to happen"
    if isinstance(node, _STEPPED):
        return f"{sympy.sstr(node)} jumps at integers"
    if isinstance(node, sympy.Piecewise) and any(c.free_symbols & variables for _, c in node.args):
        return f"{sympy.sstr(node)[:80]} may jump where its conditions change"
    return None


@functools.lru_cache(maxsize=4096)
def singular_conditions(expr: sympy.Basic) -> tuple[str, ...]:
    """What must hold for ``expr`` to be defined and is not known to from the assumptions, each
    said in a line: an expression outside every binder that must be nonzero (a divisor, a log
    argument, the cosine under a tangent, ...), an integrand's pole that may lie inside the
    range of integration, or a kink or jump (Abs, Max, floor, a Piecewise, ...) that a
    derivative may meet."""
    found: dict[str, None] = {}

    def walk(node: sympy.Basic, bound: frozenset, ranges: tuple, indices: tuple, differentiated: frozenset) -> None:
        variables = {v for v, _, _ in _ranges(node)} | set(getattr(node, "bound_symbols", ()))
        bound = bound | frozenset(variables)
        if isinstance(node, sympy.Integral):
            ranges = ranges + tuple(limit for limit in node.limits if len(limit) == 3)
        if isinstance(node, (sympy.Sum, sympy.Product)):
            indices = indices + tuple(limit for limit in node.limits if len(limit) == 3)
        if isinstance(node, sympy.Derivative):
            differentiated = differentiated | frozenset(node.variables)
        for condition, what in _pole_arguments(node):
            if not (condition.free_symbols & bound) and condition.is_zero is not False:
                found.setdefault(f"{what} {sympy.sstr(condition)} is not known to be nonzero", None)
            for variable, lower, upper in indices:
                if variable in condition.free_symbols and not (condition.free_symbols & (bound - {variable})):
                    why = _term_undefined(condition, what, variable, lower, upper)
                    if why:
                        found.setdefault(why, None)
        for variable, lower, upper in ranges:
            why = _pole_inside(node, variable, lower, upper) or _function_pole_inside(node, variable, lower, upper)
            if why:
                found.setdefault(why, None)
        why = differentiated and _kink(node, differentiated)
        if why:
            found.setdefault(f"the derivative may not exist: {why}", None)
        for arg in node.args:
            if isinstance(arg, sympy.Basic):
                walk(arg, bound, ranges, indices, differentiated)

    walk(expr, frozenset(), (), (), frozenset())
    return tuple(found)
