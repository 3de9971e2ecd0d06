"""Class 1: assumptions declared on a bound variable (of an integral, sum, product or
expectation) must not be used where the binder ranges outside them.

sympy applies a symbol's assumptions when the expression is built: with x positive,
``Abs(x)`` is already ``x`` inside ``Integral(Abs(x), (x, -1, 1))``. The claims below are what
their authors wrote; each is false for the binder's actual range, so none may be PROVED.
"""

import pytest
from sympy import (Abs, Integral, Piecewise, Product, Rational, Sum, Symbol, cos, pi, sign, sin, sqrt,
                   symbols)

from derive import check_equal
from derive.gaussian import GaussianExpectation, expectation, normal_pdf

from ._helpers import assert_not_proved, assert_not_refuted

xp = Symbol("x", positive=True)
kp = Symbol("k", integer=True, positive=True)


def test_expected_absolute_value_of_standard_normal_via_expectation():
    """E|X| = 0 for X ~ N(0, 1) with x declared positive: false, E|X| = sqrt(2/pi) ~ 0.798."""
    assert_not_proved(check_equal(expectation(Abs(xp), xp, normal_pdf(xp, 0, 1)), 0))


def test_expected_absolute_value_of_standard_normal_via_gaussian_expectation():
    """GaussianExpectation(|x|) = 0 with x positive: false, E|X| = sqrt(2/pi)."""
    assert_not_proved(check_equal(GaussianExpectation(Abs(xp), [xp], [0], [[1]]), 0))


def test_gaussian_expectation_of_positive_variable_with_mean():
    """E|X| for X ~ N(mu, 1), mu real, claimed mu (what x positive makes of it): false at mu = 0
    (E|X| = sqrt(2/pi))."""
    mu = Symbol("mu", real=True)
    assert_not_proved(check_equal(GaussianExpectation(Abs(xp), [xp], [mu], [[1]]), mu))


def test_integral_of_abs_over_symmetric_interval():
    """Integral(|x|, (x, -1, 1)) = 0 with x positive: false, the integral is 1."""
    assert_not_proved(check_equal(Integral(Abs(xp), (xp, -1, 1)), 0))


def test_sum_of_abs_over_symmetric_range():
    """Sum(|k|, (k, -3, 3)) = 0 with k a positive integer: false, the sum is 12."""
    assert_not_proved(check_equal(Sum(Abs(kp), (kp, -3, 3)), 0))


def test_negative_integration_variable_over_positive_range():
    """Integral(|x|, (x, 0, 1)) = -1/2 with x negative: false, the integral is 1/2."""
    xn = Symbol("x", negative=True)
    assert_not_proved(check_equal(Integral(Abs(xn), (xn, 0, 1)), Rational(-1, 2)))


def test_nonnegative_integration_variable_over_negative_range():
    """Integral(sqrt(x**2), (x, -1, 0)) = -1/2 with x nonnegative: false, the integral is 1/2."""
    xnn = Symbol("x", nonnegative=True)
    assert_not_proved(check_equal(Integral(sqrt(xnn**2), (xnn, -1, 0)), Rational(-1, 2)))


def test_integer_declared_integration_variable():
    """Integral(sin(pi x), (x, 0, 1)) = 0 with x declared integer: false, the integral is 2/pi
    (x ranges over the reals in [0, 1], not the integers 0 and 1)."""
    xi = Symbol("x", integer=True)
    assert_not_proved(check_equal(Integral(sin(pi * xi), (xi, 0, 1)), 0))


def test_even_declared_summation_variable():
    """Sum((-1)**k, (k, 1, 3)) = 3 with k declared even: false, the sum is -1 + 1 - 1 = -1."""
    ke = Symbol("k", integer=True, even=True)
    assert_not_proved(check_equal(Sum((-1) ** ke, (ke, 1, 3)), 3))


def test_odd_declared_summation_variable():
    """Sum(cos(pi k), (k, 0, 2)) = -3 with k declared odd: false, the sum is 1 - 1 + 1 = 1."""
    ko = Symbol("k", integer=True, odd=True)
    assert_not_proved(check_equal(Sum(cos(pi * ko), (ko, 0, 2)), -3))


def test_product_over_negative_range_with_positive_variable():
    """Product(|k|, (k, -3, -1)) = -6 with k positive: false, the product is 6."""
    assert_not_proved(check_equal(Product(Abs(kp), (kp, -3, -1)), -6))


def test_nested_binders_with_positive_variables():
    """Integral over [-1, 1]^2 of |x y| = 0 with x, y positive: false, the integral is 1."""
    x, y = symbols("x y", positive=True)
    assert_not_proved(check_equal(Integral(Integral(Abs(x * y), (x, -1, 1)), (y, -1, 1)), 0))


# Sum(|k|, (k, 0, -3)) with k nonnegative: sympy's convention makes a sum with upper < lower
# equal to -Sum(f, (k, upper + 1, lower - 1)) = -(|-2| + |-1|) = -3, so the bound k takes the
# negative values -2 and -1. Claimed 0 (what sympy computes with k nonnegative) and 3 (|k| = k
# read as k): both false, the sum is -3.
@pytest.mark.parametrize("claimed", [0, 3])
def test_reversed_sum_limits_leave_the_declared_range(claimed):
    kn = Symbol("k", integer=True, nonnegative=True)
    assert_not_proved(check_equal(Sum(Abs(kn), (kn, 0, -3)), claimed))


def test_bound_variable_also_used_free():
    """x + Integral(|x|, (x, -1, 1)) = x with x positive: the free x is positive, but the bound
    one ranges over [-1, 1]. False: the left side is x + 1."""
    assert_not_proved(check_equal(xp + Integral(Abs(xp), (xp, -1, 1)), xp))


def test_piecewise_side_condition_decided_by_bound_assumption():
    """Integral(Piecewise((1, x > 0), (-1, True)), (x, -1, 1)) = 2 with x positive: false, the
    integral is 0 (the condition x > 0 fails on half the range)."""
    assert_not_proved(check_equal(Integral(Piecewise((1, xp > 0), (-1, True)), (xp, -1, 1)), 2))


def test_sign_of_positive_summation_variable():
    """Sum(sign(k), (k, -2, 2)) = 5 with k positive: false, the sum is 0."""
    assert_not_proved(check_equal(Sum(sign(kp), (kp, -2, 2)), 5))


def test_gaussian_expectation_over_the_real_line_with_positive_variable_and_sqrt():
    """E[sqrt(x**2)] = 0 for x ~ N(0, s^2), x declared positive: false, it is s sqrt(2/pi)."""
    s = Symbol("s", positive=True)
    assert_not_proved(check_equal(expectation(sqrt(xp**2), xp, normal_pdf(xp, 0, s)), 0))


# Both ways: assumptions that the binder's range respects are harmless, and true claims with
# them must not be refuted.

def test_positive_variable_over_positive_range_is_fine():
    """Integral(sqrt(x**2), (x, 0, 1)) = 1/2 with x positive: true."""
    verdict = check_equal(Integral(sqrt(xp**2), (xp, 0, 1)), Rational(1, 2))
    assert_not_refuted(verdict)


def test_positive_summation_index_over_positive_range_is_fine():
    """Sum(|k|, (k, 1, n)) = n (n + 1) / 2 with k, n positive integers: true."""
    n = Symbol("n", integer=True, positive=True)
    assert_not_refuted(check_equal(Sum(Abs(kp), (kp, 1, n)), n * (n + 1) / 2))


def test_real_variable_gives_the_true_value():
    """E|X| = sqrt(2/pi) for X ~ N(0, 1) with a real x: true (never refuted)."""
    x = Symbol("x", real=True)
    verdict = check_equal(expectation(Abs(x), x, normal_pdf(x, 0, 1)), sqrt(2 / pi))
    assert_not_refuted(verdict)
