"""Property-based: proved identities of the proofs/ kind, perturbed at random (a constant, an
exponent, a sign, a limit of a sum or integral, a dropped assumption) into claims that are
false, which the kernel must never prove. Every perturbed claim is first checked to be false by
evaluating both sides with mpmath (through sympy's evalf) at a concrete point; a perturbation
that happens to keep the claim true is discarded (hypothesis.assume)."""

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
import mpmath
from sympy import Integer, Integral, Rational, Sum, Symbol, binomial, exp, lambdify, log, oo, pi, sqrt

from derive import check_equal
from derive.gaussian import expectation, normal_pdf

from ._helpers import assert_not_proved, differ

SETTINGS = dict(derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

rationals = st.builds(Rational, st.integers(-7, 7), st.integers(1, 5))


def false_somewhere(lhs, rhs, points) -> bool:
    return any(differ(lhs, rhs, point) for point in points)


# log(s**2) = 2 log(s) for s > 0 -------------------------------------------------------------

s = Symbol("s", positive=True)
r = Symbol("s", real=True)


@settings(max_examples=12, **SETTINGS)
@given(kind=st.sampled_from(["coefficient", "exponent", "sign", "drop-assumption", "argument"]),
       c=rationals, e=st.integers(-4, 5))
def test_log_of_square(kind, c, e):
    lhs, rhs = log(s**2), 2 * log(s)
    if kind == "coefficient":
        rhs = c * log(s)
    elif kind == "exponent":
        lhs = log(s**e)
    elif kind == "sign":
        rhs = -rhs
    elif kind == "drop-assumption":                  # s real: false at s = -3/2 (imaginary part 2 pi)
        lhs, rhs = lhs.xreplace({s: r}), rhs.xreplace({s: r})
    elif kind == "argument":
        lhs = log(s**2 + c)
    variable = r if kind == "drop-assumption" else s
    points = [{variable: Rational(3, 2)}, {variable: Rational(-3, 2)}] if kind == "drop-assumption" else \
        [{s: Rational(3, 2)}, {s: Rational(7, 3)}]
    assume(false_somewhere(lhs, rhs, points))
    assert_not_proved(check_equal(lhs, rhs), f"{kind}: {lhs} = {rhs}")


# The univariate KL closed form in two algebraic forms (tests/test_kernel.py) ----------------

mu1, mu2 = Symbol("mu1", real=True), Symbol("mu2", real=True)
s1, s2 = Symbol("s1", positive=True), Symbol("s2", positive=True)
s1_real = Symbol("s1", real=True)
KL = log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - Rational(1, 2)
KL_EXPANDED = Rational(1, 2) * (log(s2**2 / s1**2) - 1 + s1**2 / s2**2 + (mu2 - mu1) ** 2 / s2**2)
KL_POINTS = [{mu1: Rational(1, 3), mu2: Rational(-2), s1: Rational(3, 2), s2: Rational(5, 7)},
             {mu1: Rational(-5, 2), mu2: Rational(1, 4), s1: Rational(2, 9), s2: Rational(7, 2)}]


@settings(max_examples=12, **SETTINGS)
@given(kind=st.sampled_from(["constant", "exponent", "sign", "mean-sign", "factor", "drop-assumption"]),
       c=rationals, e=st.integers(1, 4))
def test_kl_closed_form(kind, c, e):
    lhs, rhs, points = KL, KL_EXPANDED, KL_POINTS
    if kind == "constant":
        rhs = rhs + Rational(1, 2) + c / 2            # -1/2 becomes c/2
    elif kind == "exponent":
        rhs = rhs.xreplace({s1**2: s1**e})
    elif kind == "sign":
        rhs = rhs.xreplace({log(s2**2 / s1**2): -log(s2**2 / s1**2)})
    elif kind == "mean-sign":
        rhs = rhs.xreplace({mu1: -mu1})
    elif kind == "factor":
        rhs = rhs * (1 + c)
    elif kind == "drop-assumption":                   # s1 real: log(s2/s1) is complex for s1 < 0
        lhs, rhs = lhs.xreplace({s1: s1_real}), rhs.xreplace({s1: s1_real})
        points = [{mu1: Rational(1, 3), mu2: Rational(-2), s1_real: Rational(-3, 2), s2: Rational(5, 7)}]
    assume(false_somewhere(lhs, rhs, points))
    assert_not_proved(check_equal(lhs, rhs), f"{kind}: {rhs}")


# Gaussian moments E[x**p] for x ~ N(mu, s**2) ------------------------------------------------

x = Symbol("x", real=True)
mu = Symbol("mu", real=True)
sd = Symbol("sd", positive=True)
MOMENTS = {1: mu, 2: mu**2 + sd**2, 3: mu**3 + 3 * mu * sd**2, 4: mu**4 + 6 * mu**2 * sd**2 + 3 * sd**4}
MOMENT_POINTS = [{mu: Rational(1, 2), sd: Rational(3, 2)}, {mu: Rational(-2), sd: Rational(1, 3)}]


@settings(max_examples=8, **SETTINGS)
@given(p=st.sampled_from(sorted(MOMENTS)), kind=st.sampled_from(["power", "shift", "scale", "variance"]),
       c=rationals, j=st.integers(0, 4))
def test_gaussian_moments(p, kind, c, j):
    lhs, rhs = expectation(x**p, x, normal_pdf(x, mu, sd)), MOMENTS[p]
    if kind == "power":
        lhs = expectation(x ** (p + 1), x, normal_pdf(x, mu, sd))
    elif kind == "shift":
        rhs = rhs + c * sd**j
    elif kind == "scale":
        rhs = rhs * (1 + c)
    elif kind == "variance":                           # the density's std squared
        lhs = expectation(x**p, x, normal_pdf(x, mu, sd**2))
    assume(any(_moment_differs(lhs, rhs, point) for point in MOMENT_POINTS))
    assert_not_proved(check_equal(lhs, rhs), f"{kind}: E[x^{p}] = {rhs}")


def _moment_differs(expectation_integral, rhs, point) -> bool:
    """The expectation by mpmath quadrature (split at the mean), against rhs, at ``point``."""
    integrand = lambdify(x, expectation_integral.function.xreplace(point), modules="mpmath")
    with mpmath.workdps(30):
        value = mpmath.quad(integrand, [-mpmath.inf, mpmath.mpf(point[mu]), mpmath.inf])
        expected = mpmath.mpf(rhs.xreplace(point).evalf(30))
        return abs(value - expected) > mpmath.mpf(10) ** -12 * max(1, abs(expected))


# Binomial sums --------------------------------------------------------------------------------

n = Symbol("n", integer=True, positive=True)
m = Symbol("m", integer=True, nonnegative=True)
k = Symbol("k", integer=True, nonnegative=True)


@settings(max_examples=10, **SETTINGS)
@given(kind=st.sampled_from(["upper", "lower", "base", "exponent"]), j=st.integers(1, 3))
def test_binomial_row_sum(kind, j):
    """Sum(binomial(n, k), (k, 0, n)) = 2**n, perturbed."""
    lower, upper, rhs = Integer(0), n, 2**n
    if kind == "upper":
        upper = n - j
    elif kind == "lower":
        lower = Integer(j)
    elif kind == "base":
        rhs = (2 + j) ** n
    elif kind == "exponent":
        rhs = 2 ** (n + j)
    lhs = Sum(binomial(n, k), (k, lower, upper))
    assume(false_somewhere(lhs, rhs, [{n: Integer(v)} for v in range(1, 6)]))
    assert_not_proved(check_equal(lhs, rhs), f"{kind}: {lhs} = {rhs}")


@settings(max_examples=8, **SETTINGS)
@given(power=st.integers(0, 3), offset=st.integers(0, 3))
def test_alternating_binomial_moment_with_its_range_perturbed(power, offset):
    """Sum((-1)**k k**p binomial(N, k), (k, 0, N)) = 0 holds for N > p, so with
    N = m + p + 1 (m >= 0) it is proved; the perturbation N = m + offset with offset <= p makes
    it false at m = 0 (the sum is (-1)**p p! when N = p, and other nonzero values below)."""
    assume(offset <= power)
    big_n = m + offset
    lhs = Sum((-1) ** k * k**power * binomial(big_n, k), (k, 0, big_n))
    assume(false_somewhere(lhs, 0, [{m: Integer(v)} for v in range(0, 3)]))
    assert_not_proved(check_equal(lhs, 0), f"N = m + {offset}, p = {power}")


# The Gaussian integral over the real line ----------------------------------------------------

@settings(max_examples=8, **SETTINGS)
@given(kind=st.sampled_from(["lower", "upper", "width", "normaliser"]), c=rationals)
def test_gaussian_integral(kind, c):
    """Integral(exp(-x**2), (x, -oo, oo)) = sqrt(pi), perturbed."""
    lower, upper, integrand, rhs = -oo, oo, exp(-x**2), sqrt(pi)
    if kind == "lower":
        lower = c
    elif kind == "upper":
        upper = c
    elif kind == "width":
        integrand = exp(-x**2 / (1 + c**2))
    elif kind == "normaliser":
        rhs = sqrt(pi) * (2 + c**2)
    lhs = Integral(integrand, (x, lower, upper))
    assume(false_somewhere(lhs, rhs, [{}]))
    assert_not_proved(check_equal(lhs, rhs), f"{kind}: {lhs} = {rhs}")
