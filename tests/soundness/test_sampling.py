"""Class 2: blind spots of the numeric witness. Integers are drawn from 1..6 (signed), reals
from magnitudes 10^-1.5 .. 10^1.5, so a claim false only at 0, at 1, at a tiny or a huge
magnitude, or only beyond the sampled integers can slip through when a symbolic strategy
(sympy's closed form of a sum or integral, valid only for part of the domain) reduces it to 0.
Fewer samples must never let through what more samples catch.
"""

import pytest
from sympy import Integral, Rational, Sum, Symbol, binomial, log

from derive import Settings, check_equal

from ._helpers import assert_not_proved, run_cli, write

x = Symbol("x", real=True)
k = Symbol("k", integer=True, nonnegative=True)
n0 = Symbol("n", integer=True, nonnegative=True)
n1 = Symbol("n", integer=True, positive=True)


def test_alternating_binomial_sum_is_not_zero_at_n_0():
    """Sum((-1)**k binomial(n, k), (k, 0, n)) = 0 for integer n >= 0: false at n = 0 (the sum is 1)."""
    assert_not_proved(check_equal(Sum((-1) ** k * binomial(n0, k), (k, 0, n0)), 0))


def test_alternating_k_binomial_sum_is_not_zero_at_n_1():
    """Sum((-1)**k k binomial(n, k), (k, 0, n)) = 0 for n >= 1: false at n = 1 (the sum is -1)."""
    assert_not_proved(check_equal(Sum((-1) ** k * k * binomial(n1, k), (k, 0, n1)), 0))


def test_alternating_k_squared_binomial_sum_is_not_zero_at_n_1_and_2():
    """Sum((-1)**k k^2 binomial(n, k), (k, 0, n)) = 0 for n >= 1: false at n = 1 (-1) and n = 2 (2)."""
    assert_not_proved(check_equal(Sum((-1) ** k * k**2 * binomial(n1, k), (k, 0, n1)), 0))


def test_alternating_shifted_binomial_sum_is_not_zero_at_n_0_and_1():
    """Sum((-1)**k (k + 1) binomial(n, k), (k, 0, n)) = 0 for n >= 0: false at n = 0 (1) and n = 1 (-1)."""
    assert_not_proved(check_equal(Sum((-1) ** k * (k + 1) * binomial(n0, k), (k, 0, n0)), 0))


def test_half_alternating_central_binomial_sum_at_n_0():
    """Sum((-1)**k binomial(2n, k), (k, 0, n)) = (-1)**n binomial(2n, n) / 2 for n >= 0: false at
    n = 0 (the sum is 1, the right side 1/2)."""
    lhs = Sum((-1) ** k * binomial(2 * n0, k), (k, 0, n0))
    assert_not_proved(check_equal(lhs, (-1) ** n0 * binomial(2 * n0, n0) / 2))


def test_alternating_binomial_sum_for_an_integer_of_either_sign():
    """Sum((-1)**k binomial(n, k), (k, 0, n)) = 0 for any integer n: false at n = 0 (the sum is 1),
    which a draw of +-1..6 never hits."""
    n = Symbol("n", integer=True)
    assert_not_proved(check_equal(Sum((-1) ** k * binomial(n, k), (k, 0, n)), 0))


def test_false_only_at_tiny_magnitudes():
    """Integral(1/(x - a), (x, 0, 1/1000)) = log(1/1000 - a) - log(-a) for a > 0: sympy's
    antiderivative, right for a > 1/1000 (every sampled a), but for 0 < a < 1/1000 (a = 1/2000)
    the integral diverges (a pole inside the range)."""
    a = Symbol("a", positive=True)
    claim = (Integral(1 / (x - a), (x, 0, Rational(1, 1000))), log(Rational(1, 1000) - a) - log(-a))
    assert_not_proved(check_equal(*claim))


def test_false_only_at_huge_magnitudes():
    """Integral(1/(x - a + 100), (x, 0, 1)) = log(101 - a) - log(100 - a) for a > 0: right for
    every sampled a (at most 31.6), but for 100 < a < 101 (a = 201/2) the integrand has a pole
    inside [0, 1] and the integral diverges."""
    a = Symbol("a", positive=True)
    claim = (Integral(1 / (x - a + 100), (x, 0, 1)), log(101 - a) - log(100 - a))
    assert_not_proved(check_equal(*claim))


def test_false_only_beyond_the_sampled_integers():
    """Integral(1/(x - n + 1/2), (x, 7, 8)) = log(17 - 2n) - log(15 - 2n) for integer n >= 1:
    right for n = 1..6 (all that is drawn), but at n = 8 the pole x = 15/2 lies inside [7, 8]
    and the integral diverges."""
    claim = (Integral(1 / (x - n1 + Rational(1, 2)), (x, 7, 8)), log(17 - 2 * n1) - log(15 - 2 * n1))
    assert_not_proved(check_equal(*claim))


# Sum((-1)**k k^3 binomial(n, k), (k, 0, n)) = 0 for n >= 1 is false at n = 1, 2, 3 (the sums are
# -1, 6, -6); the default 8 points catch it (n = 3 is drawn), one or two points do not. Fewer
# samples than a proof needs are refused outright (FLOORS); any number allowed must not prove it.
CUBIC = (Sum((-1) ** k * k**3 * binomial(n1, k), (k, 0, n1)), 0)


@pytest.mark.parametrize("samples", [1, 2, 3, 8, 9])
def test_fewer_samples_do_not_prove_what_more_samples_refute(samples):
    from derive.kernel._core import FLOORS

    if samples < FLOORS["samples"]:
        with pytest.raises(ValueError, match="samples must be an int of at least"):
            Settings(samples=samples, min_conclusive=min(Settings.min_conclusive, samples))
        return
    settings = Settings(samples=samples)
    assert_not_proved(check_equal(*CUBIC, settings=settings), f"samples={samples}")


def test_one_sample_is_refused_as_a_setting():
    """Settings(samples=1) asks for fewer points than a proof needs: refused, never a proof on one point."""
    with pytest.raises(ValueError):
        Settings(samples=1)


def test_cli_with_one_sample_does_not_pass_a_false_step(tmp_path):
    """`derive check --samples 1` on a step that claims the cubic alternating sum is 0: false at
    n = 1 (the sum is -1); the check must fail."""
    path = write(tmp_path, "cubic.py", """
        from sympy import Sum, Symbol, binomial
        from derive import Derivation, rules

        k = Symbol("k", integer=True, nonnegative=True)
        n = Symbol("n", integer=True, positive=True)
        d = Derivation("cubic_alternating", "sum (-1)^k k^3 C(n, k)", Sum((-1)**k * k**3 * binomial(n, k), (k, 0, n)))
        d.step("1", "claimed zero (false at n = 1, 2, 3)", rules.evaluate(), 0)
    """)
    result = run_cli("check", "--samples", "1", str(path), cwd=tmp_path)
    assert result.returncode != 0, result.stdout + result.stderr


def test_seed_shopping_does_not_prove_a_false_claim():
    """With seed 353 today's sampler draws n only from {4, 5, 6} at all 8 points, where the cubic
    alternating sum is 0; it is still false at n = 1, 2, 3. No seed may prove it."""
    assert_not_proved(check_equal(*CUBIC, settings=Settings(seed=353)))


def test_cli_seed_shopping(tmp_path):
    """`derive check --seed 353` on the false cubic step: the check fails."""
    path = write(tmp_path, "cubic_seed.py", """
        from sympy import Sum, Symbol, binomial
        from derive import Derivation, rules

        k = Symbol("k", integer=True, nonnegative=True)
        n = Symbol("n", integer=True, positive=True)
        d = Derivation("cubic_seed", "sum (-1)^k k^3 C(n, k)", Sum((-1)**k * k**3 * binomial(n, k), (k, 0, n)))
        d.step("1", "claimed zero (false at n = 1, 2, 3)", rules.evaluate(), 0)
    """)
    result = run_cli("check", "--seed", "353", str(path), cwd=tmp_path)
    assert result.returncode != 0, result.stdout + result.stderr


@pytest.mark.parametrize("options", [dict(samples=0, min_conclusive=0), dict(min_conclusive=0),
                                     dict(samples=-1, min_conclusive=-1)],
                         ids=["no-samples", "no-conclusive-point-needed", "negative"])
def test_no_numeric_witness_is_no_proof(options):
    """Integral(1/(x - exp(-c)), (x, 0, 1)) = log(exp(c) - 1) - i pi (sympy's antiderivative across
    the pole x = exp(-c) in (0, 1)): divergent for every c > 0; every sample point is inconclusive.
    Settings that need no conclusive point are refused, so they cannot turn the lone symbolic
    witness into a proof; and with the default settings the claim is not proved either."""
    from sympy import I, exp, pi

    with pytest.raises(ValueError):
        Settings(**options)
    c = Symbol("c", positive=True)
    claim = (Integral(1 / (x - exp(-c)), (x, 0, 1)), log(exp(c) - 1) - I * pi)
    assert_not_proved(check_equal(*claim))
