"""Proposals for code generation: per-element forms, stable rewrites, gradients, series.

Nothing here is trusted. Every form proposed here becomes a claim that ``derive.codegen``
hands to the kernel; a kernel is emitted only when all of them are proved.
"""

from __future__ import annotations

import sympy

from sympy.codegen.cfunctions import log1p

from ..kernel._operators import expm1, expm1mx

_A = sympy.Wild("a")


def _logistic(expression: sympy.Expr) -> sympy.Expr:
    """log(1 + exp(a)) becomes max(a, 0) + log1p(exp(-|a|)), the softplus that neither overflows
    nor loses digits; exp(a)/(1 + exp(a)) becomes 1/(1 + exp(-a)), the sigmoid that does not
    overflow to inf/inf. The first holds on each side of a = 0 (sign_cases)."""
    expression = expression.replace(sympy.log(1 + sympy.exp(_A)),
                                    lambda a: sympy.Max(a, 0) + log1p(sympy.exp(-sympy.Abs(a))))
    return expression.replace(sympy.exp(_A) / (1 + sympy.exp(_A)), lambda a: 1 / (1 + sympy.exp(-a)))


def sign_cases(form: sympy.Expr, symbols) -> list[dict]:
    """Substitutions that split the reals by the sign of each argument that ``form`` takes the
    max or the absolute value of: one positive and one nonpositive symbol in its place, every
    combination. Together they cover every real value; [{}] when nothing is split."""
    split = sorted({s for node in sympy.preorder_traversal(form) if isinstance(node, (sympy.Max, sympy.Abs))
                    for s in node.free_symbols if s in symbols}, key=str)
    cases = [{}]
    for symbol in split:
        positive = sympy.Symbol(f"{symbol}_positive", positive=True)
        nonpositive = sympy.Symbol(f"{symbol}_nonpositive", nonpositive=True)
        cases = [{**case, symbol: side} for case in cases for side in (positive, nonpositive)]
    return cases


def elementwise(expression: sympy.Basic, index: sympy.Symbol, arguments: dict) -> tuple[sympy.Expr, dict, tuple]:
    """``expression == c * Sum(body, (index, lo, hi))``: the per-element term c * body with each
    ``family[index]`` replaced by a real symbol named after its argument. Also returns the
    symbol -> family map and the sum's limits. Raises ValueError when the expression has another shape."""
    factors = sympy.Mul.make_args(expression)
    sums = [f for f in factors if isinstance(f, sympy.Sum)]
    if len(sums) != 1 or len(sums[0].limits) != 1 or sums[0].limits[0][0] != index:
        raise ValueError(f"is not a constant times one sum over {index}")
    _, lower, upper = sums[0].limits[0]
    if lower != 1 or not isinstance(upper, sympy.Symbol):
        raise ValueError(f"sums over {index} = {lower} .. {upper}: a kernel adds every element of its arrays, so "
                         f"the sum must run from 1 to a dimension symbol")
    coefficient = sympy.Mul(*[f for f in factors if f is not sums[0]])
    if coefficient.free_symbols or coefficient.has(sympy.Indexed):
        raise ValueError(f"its factor {coefficient} outside the sum is not a number")
    symbols = {family: sympy.Symbol(name, real=True) for family, name in arguments.items()}
    term = coefficient * sums[0].function
    term = term.replace(lambda n: isinstance(n, sympy.Indexed) and n.base in symbols and n.indices == (index,),
                        lambda n: symbols[n.base])
    leftover = term.free_symbols - set(symbols.values())
    if leftover or term.has(sympy.Indexed):
        raise ValueError(f"its per-element term depends on {sympy.sstr(leftover or term)}, not only on the arguments")
    return term, {symbol: family for family, symbol in symbols.items()}, sums[0].limits[0]


def stable(expression: sympy.Expr) -> sympy.Expr:
    """The form to compute in floating point: among an Add's terms, c exp(a) - c - c a becomes
    c expm1mx(a) and c exp(a) - c becomes c expm1(a), which keep every digit near 0 (where a
    VAE's collapsed units live); softplus and sigmoid take their stable forms (_logistic)."""
    terms = list(sympy.Add.make_args(sympy.expand_mul(_logistic(expression))))
    for term in list(terms):
        coefficient, exponential = term.as_independent(sympy.exp, as_Add=False)
        if not isinstance(exponential, sympy.exp) or term not in terms:
            continue
        argument = exponential.args[0]
        linear = [-coefficient * a for a in sympy.Add.make_args(sympy.expand(argument))]
        for needed, function in (([-coefficient, *linear], expm1mx), ([-coefficient], expm1)):
            if all(n in terms for n in needed):
                for n in (term, *needed):
                    terms.remove(n)
                terms.append(coefficient * function(argument))
                break
    return sympy.factor_terms(sympy.Add(*terms))


def is_input(term: sympy.Expr) -> bool:
    """An input or a negated input: exact in floating point, before any rounding."""
    return term.is_Symbol or (-term).is_Symbol


def _adds_without_cancelling(terms: tuple[sympy.Expr, ...]) -> bool:
    """Whether floating point adds ``terms`` without losing digits: sympy finds them all
    nonnegative or all nonpositive, or they are inputs and numbers, which a sum adds with one
    rounding."""
    return (all(is_input(t) or t.is_Number for t in terms) or all(t.is_nonnegative for t in terms)
            or all(t.is_nonpositive for t in terms))


def cancelling_terms(expression: sympy.Expr) -> tuple[sympy.Expr, ...] | None:
    """(c t1, c t2, ...) when ``expression`` is c (t1 + t2 + ...), c a number, and the terms may
    cancel (``_adds_without_cancelling`` does not hold); else None.

    Such a sum loses to floating point as many ulps as its terms' magnitudes add up to times its
    own value, and more: -((mu1 - mu2)**2 exp(-logvar2) + expm1(logvar1 - logvar2))/2 nears 0
    where its terms balance. The generated code recomputes it in double-double arithmetic where
    that ratio is large (``_refined``)."""
    coefficient, rest = expression.as_coeff_Mul()
    if not isinstance(rest, sympy.Add) or _adds_without_cancelling(rest.args):
        return None
    return tuple(coefficient * term for term in rest.args)


def gradient(term: sympy.Expr, variable: sympy.Symbol) -> sympy.Expr:
    """The stable form of the term's derivative (not the derivative of its stable form, whose
    max and absolute value would differentiate to steps)."""
    return stable(sympy.diff(term, variable))


def series_coefficients(degree: int) -> tuple[sympy.Rational, ...]:
    """Taylor coefficients 1/n! of expm1mx at 0, n = degree down to 2: the order Horner uses."""
    return tuple(1 / sympy.factorial(n) for n in range(degree, 1, -1))


def taylor_polynomial(variable: sympy.Symbol, degree: int) -> sympy.Expr:
    """x**2/2! + ... + x**degree/degree!."""
    return sympy.Add(*[variable**n / sympy.factorial(n) for n in range(2, degree + 1)])


def horner(coefficients: tuple[sympy.Rational, ...], variable: sympy.Symbol) -> sympy.Expr:
    """x * x * (((c0 x + c1) x + c2) ...): what the generated ``_expm1mx`` computes, step for step."""
    series = coefficients[0]
    for coefficient in coefficients[1:]:
        series = sympy.Mul(series, variable, evaluate=False) + coefficient
    return variable * variable * series


def expm1_taylor_polynomial(variable: sympy.Symbol, degree: int) -> sympy.Expr:
    """x + x**2/2! + ... + x**degree/degree!."""
    return sympy.Add(*[variable**n / sympy.factorial(n) for n in range(1, degree + 1)])


def expm1_horner(variable: sympy.Symbol, degree: int) -> sympy.Expr:
    """x (1 + x (1/2! + x (1/3! + ... x/degree!))): what the generated ``_dd_expm1_series``
    computes, step for step."""
    series = 1 / sympy.factorial(degree)
    for n in range(degree - 1, 0, -1):
        series = sympy.Mul(series, variable, evaluate=False) + 1 / sympy.factorial(n)
    return sympy.Mul(variable, series, evaluate=False)

