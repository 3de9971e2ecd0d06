"""Round 3 of the adversarial review: new ways to get a false claim PROVED or a true one REFUTED.

Findings (each test asserts the sound outcome, so a test that fails is a hole today):

* bound-variable capture in the symbolic witness: ``_symbolic.canonical`` renames every bound
  variable to ``Dummy(f"b{depth}_{n}", dummy_index=1000*depth+n, **assumptions)``, a name and
  index a claim can write itself. A free ``Dummy("b0_0", dummy_index=0, ...)`` in the body of an
  operator is then the same object as the renamed bound variable, and the symbolic witness
  reasons about a different claim (a free parameter becomes the summation index);
* sums and products whose bounds the sampler caps at 60: a summand 0/0 (or a pole) only at an
  index past 60 is invisible to the numeric witness, and sympy's summation cancels it away;
* oo - oo: two copies of a series that diverges only on a narrow band of a parameter are
  identical once canonical, so the difference is "0" where both sides are undefined.

Also attacks the kernel withstood (regression guards).
"""

from __future__ import annotations

import mpmath
import pytest
from sympy import (Abs, Derivative, Dummy, Integer, Integral, KroneckerDelta, Limit, Piecewise, Product,
                   Rational, RisingFactorial, Sum, Symbol, arg, atan2, ceiling, exp, floor, oo, pi, sin, sqrt, zeta)

from derive import Settings, check_equal

from ._helpers import assert_not_proved, assert_not_refuted, claims_proved, run_cli, write

x = Symbol("x", real=True)
a = Symbol("a", real=True)
p = Symbol("p", positive=True)
k = Symbol("k", integer=True, positive=True)
j = Symbol("j", integer=True, positive=True)
n = Symbol("n", integer=True, nonnegative=True)
FAST = Settings(seconds_per_strategy=3)


# -- capture of a free Dummy by the canonical bound-variable names ------------------------------------

def test_free_dummy_named_like_a_canonical_bound_variable():
    """Sum(k + KroneckerDelta(D, 123457), (k, 1, 3)) = 6 for every positive integer D, where D is
    Dummy("b0_0", dummy_index=0, integer=True, positive=True), a free parameter. False at
    D = 123457: the left side is 6 + 3 = 9 (each of the three terms has KroneckerDelta = 1).
    The numeric witness never draws 123457; the symbolic witness renames k to exactly D's name,
    index and assumptions (_symbolic.canonical), so KroneckerDelta(D, 123457) becomes
    KroneckerDelta(k, 123457), which sums to 0 over k = 1..3. With an ordinary Symbol D the same
    claim is UNDECIDED."""
    D = Dummy("b0_0", dummy_index=0, integer=True, positive=True)
    assert_not_proved(check_equal(Sum(k + KroneckerDelta(D, 123457), (k, 1, 3)), 6, settings=FAST))


def test_free_dummy_named_like_a_canonical_bound_variable_in_a_product_and_a_nested_sum():
    """Neighbours of the capture (proved before canonical names were a class of the kernel's own):
    Product(k + KroneckerDelta(D, 123457), (k, 1, 3)) = 6 is false at D = 123457 (2 * 3 * 4 = 24);
    with D named b1_0, the name of a variable bound at depth 1,
    Sum(k Sum(j + KroneckerDelta(D, 123457), (j, 1, 2)), (k, 1, 3)) = 18 is false there (6 * 5 = 30).
    Default settings: the first evaluation in a cold worker may need more than FAST's 3 s."""
    D = Dummy("b0_0", dummy_index=0, integer=True, positive=True)
    assert_not_proved(check_equal(Product(k + KroneckerDelta(D, 123457), (k, 1, 3)), 6))
    inner = Dummy("b1_0", dummy_index=1000, integer=True, positive=True)
    j = Symbol("j", integer=True, positive=True)
    assert_not_proved(check_equal(Sum(k * Sum(j + KroneckerDelta(inner, 123457), (j, 1, 2)), (k, 1, 3)), 18))


def test_free_dummy_captured_under_algebra_reasoning():
    """The same capture with algebra only: Sum(KroneckerDelta(D, 123457) + k, (k, 1, 3)) equals
    Sum(KroneckerDelta(k, 123457) + k, (k, 1, 3)), as opaque atoms, once canonical. False at
    D = 123457: left 9, right 6 (k = 123457 is not among 1..3)."""
    from derive import Reasoning

    D = Dummy("b0_0", dummy_index=0, integer=True, positive=True)
    claim = (Sum(KroneckerDelta(D, 123457) + k, (k, 1, 3)), Sum(KroneckerDelta(k, 123457) + k, (k, 1, 3)))
    assert_not_proved(check_equal(*claim, reasoning=Reasoning.ALGEBRA, settings=FAST))


def test_cli_free_dummy_named_like_a_canonical_bound_variable(tmp_path):
    """The capture through `derive check`: the certificate keeps the Dummy's name and index, the
    checker rebuilds it, and the step Sum(k + KroneckerDelta(D, 123457), (k, 1, 3)) = 6 (false
    at D = 123457: 9) must not be reported proved."""
    path = write(tmp_path, "capture.py", """
        from sympy import Dummy, Integer, KroneckerDelta, Sum, Symbol
        from derive import Derivation, rules

        k = Symbol("k", integer=True, positive=True)
        D = Dummy("b0_0", dummy_index=0, integer=True, positive=True)
        d = Derivation("capture", "a free parameter D", Sum(k + KroneckerDelta(D, 123457), (k, 1, 3)))
        d.step("1", "sum it", rules.evaluate(), Integer(6))
    """)
    result = run_cli("check", "--no-cache", str(path), cwd=tmp_path)
    assert not claims_proved(result.stdout, "capture"), result.stdout
    assert result.returncode != 0, result.stdout + result.stderr


def test_withstood_capture_with_an_undecided_side_condition():
    """Withstood: the real-variable form, Integral(x + [1000 < D < 2000], (x, 0, 1)) = 1/2 with D
    the captured Dummy (false for D in (1000, 2000): 3/2): the Piecewise's condition is left as a
    side condition, not proved."""
    D = Dummy("b0_0", dummy_index=0, positive=True)
    lhs = Integral(x + Piecewise((1, (D > 1000) & (D < 2000)), (0, True)), (x, 0, 1))
    assert_not_proved(check_equal(lhs, Rational(1, 2), settings=FAST))


def test_withstood_dummy_and_symbol_printed_alike():
    """Withstood (though the sampler gives Dummy('t') and Symbol('_t') the same value at every
    point, both print as _t): Dummy('t') = Symbol('_t') is not proved (false: two independent
    parameters)."""
    assert_not_proved(check_equal(Dummy("t", real=True), Symbol("_t", real=True), settings=FAST))


# -- sums and products past the sampled bounds ---------------------------------------------------------

def test_sum_with_a_zero_over_zero_term_past_the_sampled_bounds():
    """Sum((k**2 - 10000)/(k - 100), (k, 1, n)) = n (n + 1)/2 + 100 n for every n >= 0: for n >= 100
    the term k = 100 is 0/0 (undefined), so the left side has no value there; sympy's summation
    cancels the summand to k + 100 first. The numeric witness draws sum bounds up to 60 only."""
    assert_not_proved(check_equal(Sum((k**2 - 10000) / (k - 100), (k, 1, n)), n * (n + 1) / 2 + 100 * n,
                                  settings=FAST))


def test_product_with_a_zero_over_zero_factor_past_the_sampled_bounds():
    """Product((k**2 - 10000)/(k - 100), (k, 1, n)) = RisingFactorial(101, n): the factor k = 100 is
    0/0 for n >= 100, where the left side is undefined (the right side is 101 * 102 * ... )."""
    assert_not_proved(check_equal(Product((k**2 - 10000) / (k - 100), (k, 1, n)), RisingFactorial(101, n),
                                  settings=FAST))


def test_sum_with_a_pole_term_past_the_sampled_bounds():
    """Sum(1/(k - 100) - 1/(k - 100), ...) is auto-cancelled by sympy, so instead: Sum(k/(k - 100)
    - 100/(k - 100), (k, 1, n)) = n for n >= 0: the summand is (k - 100)/(k - 100), 0/0 at
    k = 100, so the left side is undefined for n >= 100."""
    assert_not_proved(check_equal(Sum(k / (k - 100) - 100 / (k - 100), (k, 1, n)), n, settings=FAST))


# -- oo - oo on a band the sampler misses --------------------------------------------------------------

@pytest.mark.xfail(strict=True, reason="known limit (README, What you trust): a parametric infinite sum or "
                   "improper integral is checked for convergence only at the sample points")
def test_difference_of_two_copies_of_a_series_divergent_on_a_band():
    """Sum(k**e, k >= 1) - Sum(j**e, j >= 1) = 0 with e = -(p - 500)**2 - 99/100, p > 0: for
    |p - 500| <= 1/10 (e >= -1) both series diverge and the left side is oo - oo, undefined
    (at p = 500: e = -99/100, mpmath: partial sums grow like 100 N**(1/100)). Sampled p are in
    0.03..31.6 and the edges 0, 1e-6, 1, 1e6; canonical renaming makes the two sums identical."""
    e = -(p - 500) ** 2 - 1 + Rational(1, 100)
    assert_not_proved(check_equal(Sum(k**e, (k, 1, oo)) - Sum(j**e, (j, 1, oo)), 0, settings=FAST))


# -- withstood: Karr's convention, heavy tails, limits and derivatives at unsampled jumps --------------

def test_withstood_karr_sum_for_an_integer_of_either_sign():
    """Withstood: Sum(j, (j, 1, m)) = m (m + 1)/2 for every integer m under sympy's (Karr's)
    convention (m = -5: -(-4 - 3 - 2 - 1 - 0) = 10 = (-5)(-4)/2): not refuted."""
    m = Symbol("m", integer=True)
    i = Symbol("i", integer=True)
    assert_not_refuted(check_equal(Sum(i, (i, 1, m)), m * (m + 1) / 2, settings=FAST))


def test_withstood_karr_product_for_an_integer_of_either_sign():
    """Withstood: Product(2, (i, 1, m)) = 2**m for every integer m (Karr: m = -3 gives
    1/Product(2, i = -2..0) = 1/8)."""
    m = Symbol("m", integer=True)
    i = Symbol("i", integer=True)
    assert_not_refuted(check_equal(Product(2, (i, 1, m)), 2**m, settings=FAST))


def test_withstood_reversed_symbolic_integration_limits():
    """Withstood: Integral(x**2, (x, a, b)) = (b**3 - a**3)/3 for real a, b in either order."""
    b = Symbol("b", real=True)
    assert_not_refuted(check_equal(Integral(x**2, (x, a, b)), (b**3 - a**3) / 3, settings=FAST))


@pytest.mark.parametrize("lhs, rhs", [
    # 1/p for p > 0 (at the edge p = 1e-6 the tail carries almost all of 1e6)
    (Integral(x ** (-1 - p), (x, 1, oo)), 1 / p),
    # zeta(1 + p) ~ 1/p + 0.5772 near p = 0
    (Sum(1 / k ** (1 + p), (k, 1, oo)), zeta(1 + p)),
    # conditionally convergent: pi/2
    (Integral(sin(x) / x, (x, 0, oo)), pi / 2),
    # Fresnel: sqrt(pi/8)
    (Integral(sin(x**2), (x, 0, oo)), sqrt(pi / 8)),
    # Lorentzian with width p: pi/2 for every p
    (Integral(p / (x**2 + p**2), (x, 0, oo)), pi / 2),
], ids=["power-tail", "zeta-near-1", "dirichlet", "fresnel", "lorentzian"])
def test_withstood_heavy_tailed_true_claims(lhs, rhs):
    """Withstood: true claims with heavy or oscillating tails are not refuted (UNDEFINED or
    proved)."""
    assert mpmath.quad(lambda t: mpmath.sin(t) / t, [0, mpmath.inf]) is not None  # mpmath agrees: pi/2
    assert_not_refuted(check_equal(lhs, rhs, settings=FAST))


@pytest.mark.parametrize("lhs, rhs", [
    # right limit of ceiling at an integer c is c + 1: false at a = 2/3
    (Limit(ceiling(x), x, a + Rational(1, 3)), ceiling(a + Rational(1, 3))),
    # left limit of floor at an integer c is c - 1: false at a = 2/3
    (Limit(floor(x), x, a + Rational(1, 3), "-"), floor(a + Rational(1, 3))),
    # arg(x - 1/3) jumps from pi to 0 at x = 1/3: no derivative there
    (Derivative(arg(x - Rational(1, 3)), x), Integer(0)),
    # atan2(y - 1/3, -1) jumps by 2 pi at y = 1/3
    (Derivative(atan2(x - Rational(1, 3), -1), x), -1 / (1 + (x - Rational(1, 3)) ** 2)),
], ids=["ceiling-limit", "floor-limit", "arg-jump", "atan2-jump"])
def test_withstood_jumps_off_the_sampled_points(lhs, rhs):
    """Withstood: limits and derivatives at jumps no sample point meets: not proved."""
    assert_not_proved(check_equal(lhs, rhs, settings=FAST))


def test_withstood_degenerate_gaussian_expectation():
    """Withstood: for (s, t) = (z, z), z ~ N(0, 1) (factor [[1, 0], [1, 0]], covariance [[1, 1],
    [1, 1]]), E[|s - t|] = 0: true, not refuted."""
    from derive.gaussian import GaussianExpectation

    s, t = Symbol("s", real=True), Symbol("t", real=True)
    assert_not_refuted(check_equal(GaussianExpectation(Abs(s - t), [s, t], [0, 0], [[1, 0], [1, 0]]), 0,
                                   settings=FAST))


# -- withstood: tiny differences, mismatched assumptions, instances -----------------------------------

def test_withstood_difference_below_the_numeric_tolerance():
    """Withstood: x + 10**-40 = x for real x is false everywhere (the numeric witness's tolerance,
    10**-12 relative, cannot see it: all points 'agree'); no strategy reduces 10**-40 to 0, so it
    is not proved."""
    assert_not_proved(check_equal(x + Rational(1, 10**40), x, settings=FAST))


def test_withstood_nearly_integer_constant():
    """Withstood: exp(pi sqrt(163)) = 640320**3 + 744 is false (the left side is smaller by
    7.4993e-13, mpmath at 50 digits), a relative difference of 3e-30, far below the numeric
    tolerance: not proved."""
    with mpmath.workdps(50):
        assert mpmath.exp(mpmath.pi * mpmath.sqrt(163)) < 640320**3 + 744
    assert_not_proved(check_equal(exp(pi * sqrt(163)), Integer(640320**3 + 744), settings=FAST))


def test_withstood_chain_of_same_name_symbols_with_different_assumptions():
    """Withstood: sqrt(x**2) = x for a positive x, chained with x = x + 0 for a real x (both
    print as x): the links do not meet (the positive x is not the real x), so the chain does not
    conclude sqrt(x**2) = x, false for the real x at x = -1 (1 vs -1)."""
    from derive import chain

    xp = Symbol("x", positive=True)
    first = check_equal(sqrt(xp**2), xp, settings=FAST)  # true for positive x
    second = check_equal(x, x + 0, settings=FAST)  # trivially true for real x
    verdict = chain([first, second])
    assert_not_proved(verdict)


def test_withstood_rational_key_at_an_irrational_value():
    """Withstood: a lemma about a rational q instantiated at q = 2**(1/2) is refused (sqrt(2) is
    not rational), whatever the lemma's verdict."""
    from derive import instantiate

    q = Symbol("q", rational=True)
    lemma = check_equal(q**2 * 2, 2 * q**2, settings=FAST)
    verdict = instantiate(lemma, {q: sqrt(2)})
    assert_not_proved(verdict)
