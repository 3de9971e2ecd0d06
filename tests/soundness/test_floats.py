"""Class 5: a Float is an exact binary number that sympy rounds as it builds expressions
(10**20 + 1 becomes 1e20), so a claim with floats can be "reduced to 0" by rounding. No claim
that is false for the exact values the literals denote may be PROVED."""

import pytest
from sympy import Float, Integer, Integral, Rational, Symbol

from derive import chain, check_equal

from ._helpers import assert_not_proved

x = Symbol("x", real=True)
y = Symbol("y", positive=True)


@pytest.mark.parametrize("lhs, rhs", [
    (Integer(10) ** 20 + 1, Float(1e20)),           # 1e20 is exactly 10**20: differs by 1
    (Integer(10) ** 20 + 1, 1e20),                  # the same with a Python float
    (Integer(2) ** 53 + 1, Float(2.0**53)),         # 2**53 + 1 is not a double: differs by 1
    (Float(1e20) * x + x, Float(1e20) * x),         # differs by x (x = 1)
    (Rational(3, 10), Float(0.3)),                  # 0.3 is 0.29999999999999998889...
    (Float(0.1) * 10 * x, x),                       # 0.1 is 0.10000000000000000555...: differs at x = 1
    (Float(1) / 3, Rational(1, 3)),                 # 0.333333333333333314829... != 1/3
    (Float(0.1) + Float(0.2), Float(0.3)),          # 0.3000000000000000166 vs 0.2999999999999999889
], ids=["1e20+1", "python-1e20+1", "2**53+1", "1e20*x+x", "3/10", "0.1*10", "1/3", "0.1+0.2"])
def test_float_literals(lhs, rhs):
    """Each pair differs for the exact values its literals denote (see the comments)."""
    assert_not_proved(check_equal(lhs, rhs))


def test_float_exponent_that_is_not_exact():
    """y**0.1 * y**0.9 = y: in binary 0.1 + 0.9 is not 1 (0.1000000000000000055511 +
    0.9000000000000000222045 = 1.0000000000000000277556), so the left side is y**1.000...0278;
    false at y = 10**30 by a factor of about 1 + 2e-15."""
    assert_not_proved(check_equal(y ** Float(0.1) * y ** Float(0.9), y))


def test_float_lemma_chained_into_an_exact_falsehood():
    """10**20 + 1 = 1e20 and 1e20 = 10**20 chain to 10**20 + 1 = 10**20, with no float left on
    either end: false by 1."""
    first = check_equal(Integer(10) ** 20 + 1, Float(1e20))
    second = check_equal(Float(1e20), Integer(10) ** 20)
    assert_not_proved(chain([first, second]))


def test_float_integration_limit():
    """Integral(x, (x, 0, 0.1)) = 1/200: the limit 0.1 is 0.1000000000000000055511, so the
    integral is 0.005000000000000000555..., not 1/200."""
    assert_not_proved(check_equal(Integral(x, (x, 0, Float(0.1))), Rational(1, 200)))


def test_float_lemma_used_as_a_rewrite():
    """A lemma 0.1 * 10 * t = t (false: 0.1 is not 1/10) used to rewrite Integral(0.1*10*t) into
    Integral(t): the claim Integral(0.1*10*t, (t, 0, 1)) = 1/2 is false (it is
    0.50000000000000002776)."""
    from derive import Reasoning

    t = Symbol("t", real=True)
    lemma = check_equal(Float(0.1) * 10 * t, t)
    verdict = check_equal(Integral(Float(0.1) * 10 * t, (t, 0, 1)), Rational(1, 2), using=[lemma],
                          reasoning=Reasoning.EVALUATION)
    assert_not_proved(verdict)
