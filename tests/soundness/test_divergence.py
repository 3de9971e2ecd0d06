"""Class 4: divergent integrals and series have no value; claiming one equal to a finite
expression (a principal value, an Abel or zeta-regularised value, or sympy's antiderivative
taken across a pole) is false and must never be PROVED."""

import pytest
from sympy import (Integral, Rational, Si, Sum, Symbol, cos, cot, coth, csc, digamma, exp, gamma, log, oo, pi, sec, sin,
                   sqrt, tan)

from derive import check_equal

from ._helpers import assert_not_proved

x = Symbol("x", real=True)
a = Symbol("a", positive=True)
b = Symbol("b", real=True)
c = Symbol("c", positive=True)
n = Symbol("n", integer=True, positive=True)


def test_pole_inside_the_range_sympy_antiderivative():
    """Integral(1/(x - a), (x, 0, 1)) = log(1 - a) - log(-a) for a > 0 (sympy's result): the
    integral diverges for 0 < a < 1 (a = 1/2), a pole inside [0, 1]."""
    assert_not_proved(check_equal(Integral(1 / (x - a), (x, 0, 1)), log(1 - a) - log(-a)))


def test_pole_inside_a_wider_range():
    """Integral(1/(x - a), (x, 0, 2)) = log(2 - a) - log(-a): diverges for 0 < a < 2 (a = 1)."""
    assert_not_proved(check_equal(Integral(1 / (x - a), (x, 0, 2)), log(2 - a) - log(-a)))


def test_pole_inside_the_range_real_parameter():
    """Integral(1/(x - b), (x, 0, 1)) = log(1 - b) - log(-b) for real b: diverges for
    0 < b < 1 (b = 1/2)."""
    assert_not_proved(check_equal(Integral(1 / (x - b), (x, 0, 1)), log(1 - b) - log(-b)))


def test_principal_value_with_a_below_one_via_exp():
    """a = exp(-c), c > 0, lies in (0, 1): Integral(1/(x - a), (x, 0, 1)) diverges for every c,
    so it is not its principal value log((1 - a)/a)."""
    pole = exp(-c)
    assert_not_proved(check_equal(Integral(1 / (x - pole), (x, 0, 1)), log((1 - pole) / pole)))


def test_principal_value_with_a_below_one_via_rational_function():
    """a = 1/(1 + b**2) lies in (0, 1] for real b: the integral diverges (b = 1: a = 1/2), it is
    not its principal value log((1 - a)/a)."""
    pole = 1 / (1 + b**2)
    assert_not_proved(check_equal(Integral(1 / (x - pole), (x, 0, 1)), log((1 - pole) / pole)))


@pytest.mark.parametrize("integrand", [1 / x, 1 / x**3])
def test_odd_pole_at_zero_is_not_its_principal_value(integrand):
    """Integral(1/x, (x, -1, 1)) = 0 and Integral(1/x**3, (x, -1, 1)) = 0: both diverge at x = 0
    (0 is only the principal value)."""
    assert_not_proved(check_equal(Integral(integrand, (x, -1, 1)), 0))


def test_tangent_across_its_pole():
    """Integral(tan(x), (x, 0, pi)) = 0: tan has a non-integrable pole at pi/2."""
    assert_not_proved(check_equal(Integral(tan(x), (x, 0, pi)), 0))


def test_double_pole_is_not_its_antiderivative():
    """Integral(1/(x - a)**2, (x, 0, 1)) = -1/(1 - a) - 1/a (sympy's antiderivative): the
    integral is +oo for 0 < a < 1 while the right side is negative (a = 1/2: -4)."""
    assert_not_proved(check_equal(Integral(1 / (x - a) ** 2, (x, 0, 1)), -1 / (1 - a) - 1 / a))


@pytest.mark.parametrize("integrand, claimed", [
    (x, 0),                        # odd, diverges at both ends: 0 is only the symmetric limit
    (x / (1 + x**2), 0),           # log growth at both ends
    (x**2 / (1 + x**2), pi),       # the integrand tends to 1: diverges
])
def test_divergent_integrals_over_the_real_line(integrand, claimed):
    """Integrals over the real line that diverge, claimed finite."""
    assert_not_proved(check_equal(Integral(integrand, (x, -oo, oo)), claimed))


def test_sine_over_the_half_line_is_not_its_abel_value():
    """Integral(sin(x), (x, 0, oo)) = 1: the integral oscillates and has no value (1 is its Abel
    value)."""
    assert_not_proved(check_equal(Integral(sin(x), (x, 0, oo)), 1))


@pytest.mark.parametrize("term, claimed", [
    (n, Rational(-1, 12)),           # zeta regularisation of 1 + 2 + 3 + ...
    ((-1) ** n, Rational(-1, 2)),    # Abel / Cesaro value of -1 + 1 - 1 + ...
    (1 / n, 0),                      # the harmonic series diverges
    (1 / n, log(2)),
])
def test_divergent_series_claimed_finite(term, claimed):
    """Divergent series claimed equal to a finite number."""
    assert_not_proved(check_equal(Sum(term, (n, 1, oo)), claimed))


@pytest.mark.parametrize("integral", [  # the ninth review: poles of tan and its kin where nothing divides
    Integral(tan(pi * x / 2), (x, -1, 1)),  # at both ends: the odd divergences cancel in quadrature
    Integral(sec(pi * x / 2), (x, -1, 1)),
    Integral(cot(pi * x), (x, 0, 1)),
    Integral(tan(pi * x / 2), (x, 0, 2)),  # inside, at x = 1
    Integral(csc(x), (x, -1, 2)),
    Integral(coth(x), (x, -1, 1)),
    Integral(gamma(x), (x, Rational(-1, 2), Rational(1, 2))),
    Integral(digamma(2 * x + 3), (x, -2, -1)),
])
def test_a_function_pole_in_the_range_is_no_value_even_where_linearity_holds(integral):
    assert_not_proved(check_equal(3 * integral, integral.func(3 * integral.function, *integral.limits)))
    assert_not_proved(check_equal(integral, 0))


@pytest.mark.parametrize("integral, value", [
    (Integral(tan(x), (x, 0, 1)), -log(cos(1))),
    (Integral(log(x), (x, 0, 1)), -1),
    (Integral(1 / sqrt(x), (x, 0, 1)), 2),
    (Integral(sin(x) / x, (x, 0, 1)), Si(1)),  # a divisor's zero at an end, cancelled
])
def test_integrable_functions_near_a_singular_point_are_still_proved(integral, value):
    assert check_equal(integral, value).proved
