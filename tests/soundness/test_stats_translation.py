"""Adversarial cases against the translation of sympy.stats' E(f(X), evaluate=False) into
derive's expectation (derive/derivation.py): the variable of integration must capture no symbol
of the claim. Each of these false claims was PROVED while the variable took the random variable's
name without looking at the Normal's parameters or at bound variables around the expectation."""

from sympy import Integer, Integral, Symbol, exp, sqrt
from sympy.stats import E, Normal

from derive import Derivation, Status, check, rules

x = Symbol("x", real=True)


def verdict(start, stated):
    d = Derivation("stats", "a claim about an expectation", start)
    d.step("1", "claimed", rules.evaluate(), stated)
    return check([d]).results[0].steps[0].verdict


def test_a_random_variable_named_like_its_own_mean_is_not_captured():
    """E[exp(-X^2)] for X ~ N(x, 1) is exp(-x^2/3)/sqrt(3), not 1/sqrt(2) (the density would have
    become a constant had the variable been named x)."""
    start = E(exp(-Normal("x", x, 1) ** 2), evaluate=False)
    assert verdict(start, 1 / sqrt(2)).status is not Status.PROVED
    assert verdict(start, sqrt(3) * exp(-x**2 / 3) / 3).status is Status.PROVED


def test_a_variable_bound_around_the_expectation_is_not_captured():
    """The integral over x in [0, 1] of E[X + x], X ~ N(0, 1) named x, is 1/2; with x captured it
    was 0, and PROVED. Checked on the translation itself (the kernel's nested quadrature of this
    claim takes minutes): the inner variable of integration is not x, and the x of X + x is still
    the outer integral's."""
    start = Derivation("stats", "an expectation inside an integral",
                       Integral(E(Normal("x", 0, 1) + x, evaluate=False), (x, 0, 1))).start
    inner, outer = start.variables  # sympy writes the nested integrals as one, innermost limit first
    assert outer == x and inner != x and {inner, x} <= start.function.free_symbols


def test_an_inner_expectations_parameter_is_not_captured_by_the_outer_variable():
    """E[X E[Y]], X ~ N(0, 1) named x, Y ~ N(x, 1) with the symbol x as its mean, is E[X] x = 0."""
    start = E(Normal("x", 0, 1) * E(Normal("Y", x, 1), evaluate=False), evaluate=False)
    assert verdict(start, Integer(1)).status is not Status.PROVED
    assert verdict(start, Integer(0)).status is Status.PROVED
