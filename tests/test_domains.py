"""Where a claim means something: bound variables' ranges, facts of substituted values, poles."""

import pytest
import sympy
from sympy import (Abs, Derivative, Dummy, Function, IndexedBase, Integral, Limit, Max, Piecewise, Product, Rational,
                   Subs, Sum, Symbol, cot, gamma, log, oo, sqrt, tan)

from derive.kernel._domains import fact_violation, range_violation, singular_conditions

real = Symbol("x", real=True)
positive = Symbol("x", positive=True)
negative = Symbol("x", negative=True)
nonnegative = Symbol("x", nonnegative=True)
a = Symbol("a", positive=True)
n = Symbol("n", integer=True, nonnegative=True)
m = Symbol("m", integer=True, positive=True)
k_any = Symbol("k", integer=True)
k_positive = Symbol("k", integer=True, positive=True)
k_nonnegative = Symbol("k", integer=True, nonnegative=True)
k_even = Symbol("k", integer=True, even=True)


@pytest.mark.parametrize("expr", [
    Integral(positive, (positive, 0, 1)),
    Integral(positive, (positive, 0, oo)),
    Integral(positive, (positive, a, 2 * a)),
    Integral(negative, (negative, -oo, 0)),
    Integral(real, (real, -oo, oo)),
    Integral(nonnegative, (nonnegative, 0, a)),
    Sum(k_positive, (k_positive, 1, m)),
    Sum(k_nonnegative, (k_nonnegative, 0, n)),
    Sum(k_positive, (k_positive, 1, oo)),
    Sum(k_any, (k_any, -3, 3)),
    Product(k_positive, (k_positive, 1, m)),
    Integral(Integral(positive * real, (positive, 0, a)), (real, -1, 1)),
    Limit(1 / positive, positive, 0, "+"),
])
def test_bound_variables_may_carry_what_their_range_implies(expr):
    assert range_violation(expr) is None


@pytest.mark.parametrize("expr, variable, shown", [
    (Integral(positive, (positive, -1, 1)), "x", "(-1, 1)"),
    (Integral(positive, (positive, -oo, oo)), "x", "(-oo, oo)"),
    (Integral(negative, (negative, 0, 1)), "x", "(0, 1)"),
    (Integral(Symbol("x", integer=True), (Symbol("x", integer=True), 0, 1)), "x", "(0, 1)"),
    (Sum(k_positive, (k_positive, -3, 3)), "k", "-3, ..., 3"),
    (Sum(k_positive, (k_positive, 0, m)), "k", "0, ..., m"),
    (Sum(k_nonnegative, (k_nonnegative, -1, n)), "k", "-1, ..., n"),
    (Sum(k_even, (k_even, 0, n)), "k", "0, ..., n"),
    # Karr's convention: sympy sums an empty-looking range backwards, over -4 .. -1 here.
    (Sum(k_positive, (k_positive, 1, -5)), "k", "1, ..., -5"),
    (Product(k_positive, (k_positive, 0, m)), "k", "0, ..., m"),
    (Integral(Integral(positive, (positive, -a, a)), (real, 0, 1)), "x", "(-a, a)"),
    (Limit(1 / positive, positive, 0, "-"), "x", "values near 0 (-)"),
])
def test_a_bound_variable_declared_more_than_its_range_implies_is_named(expr, variable, shown):
    why = range_violation(expr)
    assert why is not None and f"bound variable {variable} is declared" in why and shown in why


def test_sympy_uses_the_assumption_silently_which_is_why_it_is_refused():
    # |x| with x positive is x before derive sees it: the integral of |x| over (-1, 1) reads as 0.
    assert Integral(Abs(positive), (positive, -1, 1)) == Integral(positive, (positive, -1, 1))
    assert range_violation(Integral(Abs(positive), (positive, -1, 1))) is not None


def test_a_bound_variable_must_be_a_symbol():
    element = IndexedBase("s", real=True)[1]
    assert "the bound variable s[1] (over (-oo, oo)) is not a symbol" in range_violation(
        Integral(element**2, (element, -oo, oo)))


def test_a_substitution_point_must_have_the_variables_facts():
    assert range_violation(Subs(sqrt(positive**2), positive, 2)) is None
    assert "Subs puts -2 for x" in range_violation(Subs(positive, positive, -2))


@pytest.mark.parametrize("declared, value, missing", [
    (positive, -a, "positive"),
    (positive, real, "positive"),
    (Symbol("n", integer=True, even=True), Symbol("j", integer=True, odd=True), "even"),
    (Symbol("n", integer=True, odd=True), Symbol("j", integer=True, even=True), "odd"),
    (Symbol("q", rational=True), sqrt(2), "rational"),
    (Symbol("z", nonzero=True), real, "nonzero"),
    (Symbol("f", finite=True), Symbol("w"), "finite"),
])
def test_every_fact_of_a_key_must_be_known_of_its_value(declared, value, missing):
    assert fact_violation(declared, value) == missing


def test_a_value_with_every_fact_passes():
    assert fact_violation(Symbol("n", integer=True, even=True), 2 * Symbol("j", integer=True)) is None
    assert fact_violation(positive, a**2 + 1) is None
    assert fact_violation(Symbol("t", real=True), Dummy(positive=True)) is None


@pytest.mark.parametrize("expr, shown", [
    (1 / real, "divisor x is not known to be nonzero"),
    (log(real**2), "log argument x**2 is not known to be nonzero"),
    (tan(real), "cos of the argument of tan cos(x) is not known to be nonzero"),
    (cot(real), "sin of the argument of cot sin(x) is not known to be nonzero"),
    (gamma(-n), "gamma(-n), whose argument may be a nonpositive integer 0 is not known to be nonzero"),
    (gamma(real), "gamma(x), whose argument may be a nonpositive integer 0 is not known to be nonzero"),
    # A pole of the integrand inside the range: the integral diverges (1/(x - a) is not integrable there).
    (Integral(1 / (real - a), (real, 0, 1)), "the integrand's pole x = a (of 1/(-a + x)) may lie inside (0, 1)"),
    (Integral(1 / (real - m + Rational(1, 2)) ** 2, (real, 7, 8)), "the integrand's pole x = m - 1/2"),
    (Integral(real / (real**2 - a), (real, 100, 300)), "the integrand's 1/(-a + x**2) may have a pole inside"),
    # A derivative meets a kink or a jump that the assumptions do not keep away.
    (Derivative(Max(real, 0), real), "the derivative may not exist: Max(0, x) has a kink where"),
    (Derivative(Abs(real**3 - 2), real), "the derivative may not exist: Abs(x**3 - 2) has a kink"),
    (Derivative(sympy.floor(real), real), "the derivative may not exist: floor(x) jumps at integers"),
    (Derivative(Piecewise((real, real > 1), (0, True)), real), "the derivative may not exist: Piecewise"),
])
def test_poles_and_divisors_not_known_nonzero_are_found(expr, shown):
    assert any(found.startswith(shown) for found in singular_conditions(expr)), singular_conditions(expr)


@pytest.mark.parametrize("expr", [1 / positive, log(a), tan(Symbol("y", zero=True)), gamma(m),
                                  Integral(1 / real, (real, 1, 2)), log(Function("p", positive=True)(real)),
                                  Integral(1 / (real + a), (real, 0, oo)), Integral(1 / sqrt(real), (real, 0, 1)),
                                  Integral(1 / (real - a - 1), (real, -oo, a)), Integral(1 / (real**2 + a), (real, -oo, oo)),
                                  Derivative(Abs(real**2 + 1), real), Derivative(Max(real**2 + 1, 0), real),
                                  Derivative(Abs(a) * real, real)])
def test_defined_expressions_have_no_open_condition(expr):
    assert singular_conditions(expr) == ()


_real_a = Symbol("a", real=True)
_negative_a = Symbol("a", negative=True)


@pytest.mark.parametrize("expr, shown", [
    (Sum(1 / (k_positive - 100), (k_positive, 1, n)), "is 0 at k = 100"),
    (Product(1 / (k_positive**2 - 49), (k_positive, 1, m)), "is 0 at k = 7"),
    (Sum(log(k_nonnegative), (k_nonnegative, 0, n)), "is 0 at k = 0"),
    (Sum(1 / (k_positive - _real_a), (k_positive, 1, m)), "not known to be nonzero"),
    (Sum(Sum(1 / (k_positive - 3), (k_positive, 1, m)), (k_nonnegative, 0, n)), "is 0 at k = 3"),
])
def test_a_term_undefined_at_some_index_of_its_range_is_found(expr, shown):
    """Sampled sums end at 60: a term's divisor or log argument must not vanish at any index."""
    assert any(shown in condition for condition in singular_conditions(expr)), singular_conditions(expr)


@pytest.mark.parametrize("expr", [
    Sum(1 / (k_positive + 100), (k_positive, 1, n)),
    Sum(1 / (2 * k_positive - 1), (k_positive, 1, n)),
    Sum(1 / (k_positive - Rational(1, 2)), (k_positive, 1, n)),
    Sum(1 / (k_positive - 100), (k_positive, 1, 60)),
    Sum(1 / (k_positive - _negative_a), (k_positive, 1, m)),
    Product(1 + 1 / k_positive, (k_positive, 1, n)),
])
def test_a_term_defined_at_every_index_has_no_open_condition(expr):
    assert singular_conditions(expr) == ()
