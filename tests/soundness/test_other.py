"""Holes found beyond the eleven classes: divisors hidden in tan, cot and sec; symbols that may
be infinite; false claims about Subs and Lambda."""

import pytest
from sympy import Integer, Lambda, Subs, Symbol, cos, cot, oo, sec, tan

from derive import check_equal

from ._helpers import assert_not_proved

x = Symbol("x", real=True)


@pytest.mark.parametrize("lhs, rhs", [
    (cot(x) * tan(x), 1),     # cot(0) and tan(pi/2) are undefined: false at x = 0 and x = pi/2
    (sec(x) * cos(x), 1),     # sec(pi/2) is undefined: false at x = pi/2
], ids=["cot-tan", "sec-cos"])
def test_divisor_hidden_in_a_trigonometric_function(lhs, rhs):
    """tan(x) = sin(x)/cos(x) is left unknown (divisor cos(x) not known to be nonzero), but the
    same division written as tan, cot or sec must not be proved for every real x: the left side
    is undefined at a pole (nan at x = pi/2), the right side is 1."""
    assert_not_proved(check_equal(lhs, rhs))


@pytest.mark.parametrize("assumption", ["extended_real", "extended_positive"])
def test_symbol_that_may_be_infinite(assumption):
    """(t + 1)**2 - t**2 - 2 t = 1 for t declared {assumption}: t = oo is allowed, and there the
    left side is oo - oo, undefined."""
    t = Symbol("t", **{assumption: True})
    assert_not_proved(check_equal((t + 1) ** 2 - t**2 - 2 * t, 1))


def test_instance_at_infinity_of_an_extended_real_symbol():
    """Whatever the kernel says about the extended-real claim, its instance at t = oo is nan = 1."""
    from derive import instantiate

    t = Symbol("t", extended_real=True)
    verdict = check_equal((t + 1) ** 2 - t**2 - 2 * t, 1)
    assert_not_proved(instantiate(verdict, {t: oo}))


@pytest.mark.parametrize("lhs, rhs", [
    # Subs(x**2, x, 2) is 4, not 5
    (Subs(x**2, x, 2), Integer(5)),
    # x -> x**2 and x -> x**3 differ at x = 2
    (Lambda(x, x**2), Lambda(x, x**3)),
    # applied: Lambda(x, x**2)(y) = y**3 is false at y = 2
    (Lambda(x, x**2)(Symbol("y", real=True)), Symbol("y", real=True) ** 3),
], ids=["subs", "lambda", "lambda-applied"])
def test_false_claims_about_substitutions_and_lambdas(lhs, rhs):
    assert_not_proved(check_equal(lhs, rhs))


def test_a_cholesky_factor_covers_every_positive_definite_matrix():
    """Below the diagonal a Cholesky factor's entries are any real numbers: declared not positive,
    they would be at most 0, and [[1, 1/2], [1/2, 1]] would be no covariance derive samples."""
    from sympy import Abs

    from derive.gaussian import cholesky_factor

    factor = cholesky_factor("L", 2)
    covariance = factor * factor.T
    assert_not_proved(check_equal(Abs(covariance[0, 1]), -covariance[0, 1]))
