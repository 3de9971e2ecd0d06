"""The numeric witness: points cover every domain's edges, values are right, independent of
sympy's symbolic evaluation, and never reported as reliable when they are not."""

import mpmath
import pytest
import sympy
from sympy import (Derivative, Function, I, IndexedBase, Integral, Piecewise, Product, Rational, Sum, Symbol,
                   binomial, exp, log, oo, pi, sin, sqrt, symbols)

from derive.gaussian import GaussianExpectation, expectation, normal_pdf
from derive.kernel import Reason, Status, check_equal
from derive.kernel import _numeric

x = Symbol("x", real=True)
TINY, HUGE = Rational(1, 10**6), sympy.Integer(10**6)


def values_at(expr, seed=0, count=8, dps=24, careful=False):
    """(point, value or the exception) at every sample point."""
    out = []
    for point in _numeric.sample_points([expr], seed, count):
        try:
            out.append((point, _numeric.evaluate(expr, point, dps, careful=careful)))
        except _numeric.Inconclusive as exc:
            out.append((point, exc))
    return out


def close(value, expected, digits=12):
    expected = mpmath.mpmathify(sympy.N(expected, 30))
    return abs(mpmath.mpmathify(value) - expected) <= mpmath.mpf(10) ** -digits * max(1, abs(expected))


# --- points ---------------------------------------------------------------------------------


@pytest.mark.parametrize("assumptions, check", [
    ({"positive": True}, lambda v: v.is_positive),
    ({"negative": True}, lambda v: v.is_negative),
    ({"real": True}, lambda v: v.is_real),
    ({"integer": True, "positive": True}, lambda v: v.is_integer and v > 0),
    ({"even": True}, lambda v: v.is_even),
    ({}, lambda v: v.is_complex),
])
def test_values_satisfy_the_declared_domain(assumptions, check):
    symbol = Symbol("t", **assumptions)
    points = _numeric.sample_points([symbol], seed=3, count=20)
    values = [point.value_of(symbol) for point in points]
    assert all(check(v) for v in values)
    assert len(set(values)) >= 3


@pytest.mark.parametrize("assumptions, edges", [
    ({"integer": True, "nonnegative": True}, [0, 1, 2, 3]),
    ({"integer": True, "positive": True}, [1, 2, 3, 4]),
    ({"integer": True, "negative": True}, [-1, -2, -3, -4]),
    ({"integer": True}, [0, 1, -1, 2, -2]),
    ({"even": True, "nonnegative": True}, [0, 2, 4, 6]),
    ({"odd": True, "positive": True}, [1, 3, 5, 7]),
    ({"prime": True}, [2, 3, 5, 7]),
    ({"positive": True}, [TINY, 1, HUGE]),
    ({"nonnegative": True, "real": True}, [0, TINY, 1, HUGE]),
    ({"negative": True}, [-TINY, -1, -HUGE]),
    ({"real": True}, [0, 1, -1, TINY, -TINY, HUGE, -HUGE]),
    ({"real": True, "nonzero": True}, [1, -1, TINY, -TINY, HUGE, -HUGE]),
])
def test_edge_values_start_at_each_domains_lower_bound(assumptions, edges):
    symbol = Symbol("t", **assumptions)
    assert list(_numeric.edge_values(symbol)) == edges
    points = _numeric.sample_points([symbol], seed=0, count=3)
    edge_points = [p for p in points if p.edge]
    assert [p.value_of(symbol) for p in edge_points] == edges
    assert points[:len(edges)] == edge_points and not any(p.edge for p in points[len(edges):])
    assert len(points) == len(edges) + 3


def test_complex_edges_and_complex_random_values():
    t = Symbol("t")
    assert list(_numeric.edge_values(t))[:4] == [0, 1, I, 1 + I]
    values = [p.value_of(t) for p in _numeric.sample_points([t], seed=0, count=10) if not p.edge]
    assert any(not v.is_real for v in values)


def test_edge_point_j_gives_every_symbol_and_element_its_jth_edge_value():
    n = Symbol("n", integer=True, nonnegative=True)
    r, s = Symbol("r", real=True), Symbol("s", positive=True)
    family = IndexedBase("w", positive=True)
    points = _numeric.sample_points([n + r + s + family[1]], seed=0, count=2)
    first = points[0]
    assert first.edge and (first.value_of(n), first.value_of(r), first.value_of(s)) == (0, 0, TINY)
    assert first.value_of(family[1]) == TINY and first.value_of(family[7]) == TINY  # on demand
    assert first.value_of(Symbol("m", integer=True, positive=True)) == 1  # a bound met on demand
    sixth = points[5]
    assert (sixth.value_of(n), sixth.value_of(r), sixth.value_of(s)) == (1, HUGE, HUGE)  # lists cycle
    assert sum(p.edge for p in points) == 7


def test_random_integers_are_spread_wider_but_sum_bounds_stay_evaluable():
    n = Symbol("n", integer=True, positive=True)
    k = Symbol("k", integer=True, positive=True)
    i = Symbol("i", integer=True)
    s = IndexedBase("s", real=True)
    plain = [p.value_of(n) for p in _numeric.sample_points([n], 0, 8) if not p.edge]
    # One per magnitude band: small, a few dozen, up to 1000, and half of them past 1000.
    assert min(plain) <= 6 and any(7 <= v <= 40 for v in plain) and any(41 <= v <= 1000 for v in plain)
    assert sum(int(v) >= 1000 for v in plain) == 4 and max(plain) > 10**5
    bounds = [p.value_of(k) for seed in range(5)
              for p in _numeric.sample_points([Sum(s[i], (i, 1, k))], seed, 8) if not p.edge]
    assert max(bounds) <= 60 and max(bounds) > 6


def test_points_are_deterministic_and_per_symbol():
    a, b = symbols("a b", positive=True)
    first = _numeric.sample_points([a + b], seed=1, count=4)
    again = _numeric.sample_points([a], seed=1, count=4)
    assert [p.value_of(a) for p in first] == [p.value_of(a) for p in again]
    assert first == _numeric.sample_points([a + b], seed=1, count=4)
    assert first != _numeric.sample_points([a + b], seed=2, count=4)
    expr = Integral(normal_pdf(x, a, b), (x, -oo, oo)) * log(a)
    assert [v for _, v in values_at(expr, seed=1, count=3)] == [v for _, v in values_at(expr, seed=1, count=3)]


def test_assumptions_that_cannot_be_sampled_are_reported():
    with pytest.raises(_numeric.UnsupportedDomain):
        _numeric.draw_value(Symbol("t", transcendental=True), "key")
    with pytest.raises(_numeric.UnsupportedDomain):
        _numeric.sample_points([Symbol("t", transcendental=True)], 0, 2)
    assert _numeric.draw_value(Symbol("t", prime=True, even=True), "key") == 2


# --- sums, and claims false only at an edge -----------------------------------------------------


def test_indexed_elements_and_sum_bounds_get_values():
    s = IndexedBase("s", positive=True)
    i, k = Symbol("i", integer=True, positive=True), Symbol("k", integer=True, positive=True)
    expr = Sum(s[i], (i, 1, k))
    for point, value in values_at(expr, count=5):
        expected = sum(point.value_of(s[j]) for j in range(1, point.value_of(k) + 1))
        assert abs(value - expected) < 1e-15
        assert "s" not in point.assignment()  # the family's label is not a value


def test_sums_follow_karr_and_products_multiply():
    i = Symbol("i", integer=True)
    k = Symbol("k", integer=True, positive=True)
    point = _numeric.sample_points([k], 0, 0)[2]  # k = 3
    assert close(_numeric.evaluate(Sum(i, (i, 5, 2)), point, 24), -7)  # -(3 + 4), as sympy
    assert close(_numeric.evaluate(Sum(i, (i, 3, 2)), point, 24), 0)
    assert close(_numeric.evaluate(Product(i + 1, (i, 1, k)), point, 24), 24)
    with pytest.raises(_numeric.Inconclusive, match="more than"):
        _numeric.evaluate(Sum(i, (i, 1, 10**6)), point, 24)


@pytest.mark.parametrize("claim, counterexample", [
    (Sum((-1) ** Symbol("k", integer=True) * binomial(Symbol("n", integer=True, nonnegative=True),
                                                      Symbol("k", integer=True)),
         (Symbol("k", integer=True), 0, Symbol("n", integer=True, nonnegative=True))), "0"),
    (Sum((-1) ** Symbol("k", integer=True) * Symbol("k", integer=True)
         * binomial(Symbol("n", integer=True, positive=True), Symbol("k", integer=True)),
         (Symbol("k", integer=True), 0, Symbol("n", integer=True, positive=True))), "1"),
])
def test_identities_false_only_at_the_lower_bound_are_refuted(claim, counterexample):
    verdict = check_equal(claim, 0)
    assert verdict.status is Status.REFUTED, verdict
    assert verdict.counterexample.assignment["n"] == counterexample


def test_wide_integers_are_summed_exactly():
    n = Symbol("n", integer=True, positive=True)
    k = Symbol("k", integer=True)
    point = _numeric.Point(seed="wide", values=((n, sympy.Integer(900)),))
    # Terms up to 2**900 cancel to 0: the precision rises until the value is certain.
    assert close(_numeric.evaluate(Sum((-1) ** k * binomial(n, k), (k, 0, n)), point, 24), 0)


# --- independence ------------------------------------------------------------------------------


def test_no_operator_is_evaluated_by_sympy(monkeypatch):
    mu, l = Symbol("mu_indep", real=True), Symbol("l_indep", real=True)
    s = Symbol("s_indep", positive=True)
    j = Symbol("j", integer=True)
    m = IndexedBase("m_indep", real=True)
    n = Symbol("n", integer=True, positive=True)
    checks = [
        (Integral(normal_pdf(x, mu, s) * x**2, (x, -oo, oo)), mu**2 + s**2),
        (Sum(m[j] ** 2, (j, 1, 3)), m[1] ** 2 + m[2] ** 2 + m[3] ** 2),
        (Sum(1 / n**2, (n, 1, oo)), pi**2 / 6),
        (Product(1 + 1 / (j + s), (j, 1, 4)), (5 + s) / (1 + s)),
        (Derivative(exp(l) * mu**2, mu), 2 * mu * exp(l)),
        (Derivative(Sum(m[j] ** 2 * exp(l), (j, 1, 3)), m[2]), 2 * m[2] * exp(l)),
        (GaussianExpectation(x**2, [x], [mu], [[s]]), mu**2 + s**2),
    ]

    def refuse(*args, **kwargs):
        raise AssertionError("the numeric witness called sympy's symbolic evaluation")

    for owner, name in [(sympy.Sum, "doit"), (sympy.Product, "doit"), (sympy.Integral, "doit"),
                        (sympy.Derivative, "doit"), (GaussianExpectation, "doit"), (sympy, "integrate"),
                        (sympy, "summation"), (sympy, "diff"), (sympy.Expr, "diff")]:
        monkeypatch.setattr(owner, name, refuse)
    for expr, expected in checks:
        for point, value in values_at(expr, count=3):
            assert not isinstance(value, Exception), value
            reference = expected.xreplace({e: point.value_of(e) for e in expected.atoms(sympy.Indexed)})
            reference = reference.xreplace({sym: point.value_of(sym) for sym in _numeric.scalar_symbols(expected)})
            assert close(value, reference), (expr, point.values)


# --- quadrature ---------------------------------------------------------------------------------


def test_a_gaussian_whose_peak_is_far_from_where_it_looks_is_integrated():
    a = Symbol("a", real=True)
    far = Integral(exp(-x**2 + 2 * a**3 * x - a**6), (x, -oo, oo))  # peak at x = a**3
    for seed in range(3):
        for point, value in values_at(far, seed=seed, count=4):
            assert not isinstance(value, Exception), (point.values, value)
            assert close(value, sqrt(pi)), point.values
    assert check_equal(far, sqrt(pi)).status is not Status.REFUTED


def test_a_peak_of_a_power_times_an_exponential_is_found():
    """x**n exp(-x) peaks at x = n with width sqrt(n): at n = 113817 nothing in the exponent
    -x shows where (Gamma(n + 1) = n!)."""
    n = Symbol("n", integer=True, nonnegative=True)
    for at in (50, 113817):
        point = _numeric.Point(seed="gamma", values=((n, sympy.Integer(at)),))
        value = _numeric.evaluate(Integral(x**n * exp(-x), (x, 0, oo)), point, 24)
        assert close(value, sympy.factorial(at), 12), at


def test_narrow_peak_far_out_is_found():
    point = _numeric.sample_points([x], seed=0, count=1)[-1]
    value = _numeric.evaluate(Integral(normal_pdf(x, Rational(-8113, 100), Rational(1, 1000)), (x, -oo, oo)),
                              point, 24)
    assert close(value, 1, 15)


@pytest.mark.parametrize("seed", range(6))
def test_expectations_written_as_integrals_are_right(seed):
    mu, s = Symbol("mu", real=True), Symbol("s", positive=True)
    eps = Symbol("eps", real=True)
    standard = normal_pdf(eps, 0, 1)
    for f, closed in [((mu + s * eps) ** 2, mu**2 + s**2), (exp(mu + s * eps), exp(mu + s**2 / 2))]:
        for point, value in values_at(expectation(f, eps, standard), seed=seed, count=8):
            assert not isinstance(value, Exception), (point.values, value)
            assert close(value, closed.subs(dict(point.values))), (f, point.values)


def test_integrable_singularities_and_the_usual_integrals():
    a = Symbol("a", positive=True)
    point = _numeric.sample_points([a], 0, 1)[-1]
    for integral, expected in [(Integral(log(x), (x, 0, 1)), -1), (Integral(1 / sqrt(x), (x, 0, 1)), 2),
                               (Integral(1 / x**2, (x, 1, oo)), 1),
                               (Integral(exp(-a * x), (x, 0, oo)), 1 / a),
                               (Integral(x, (x, 1, 0)), -Rational(1, 2))]:
        assert close(_numeric.evaluate(integral, point, 24), sympy.sympify(expected).subs(dict(point.values))), integral


@pytest.mark.parametrize("integral", [
    Integral(exp(x**2 / 7), (x, -oo, oo)),
    Integral(1 / x, (x, 1, oo)),
    Integral(1 / x, (x, 0, 1)),
    Integral(1 / x**2, (x, -1, 1)),
    Integral(1 / (1 + x**2) ** Rational(1, 4), (x, 0, oo)),
])
def test_divergent_integrals_are_undefined(integral):
    for point, value in values_at(integral, count=1):
        assert isinstance(value, _numeric.Undefined), (integral, value)
        assert "diverges" in str(value)


def test_a_pole_inside_the_range_is_undefined_not_a_principal_value():
    a = Symbol("a", real=True)
    claim = Integral(1 / (x - a), (x, 0, 1))
    inside = _numeric.Point(seed="pole", values=((a, Rational(37, 100)),))
    with pytest.raises(_numeric.Undefined, match="not integrable at x = 0.37"):
        _numeric.evaluate(claim, inside, 24)
    outside = _numeric.Point(seed="pole", values=((a, -1),))
    assert close(_numeric.evaluate(claim, outside, 24), log(2))


def test_careful_mode_agrees_with_normal_mode_on_well_behaved_integrals():
    mu, s = Symbol("mu", real=True), Symbol("s", positive=True)
    for integral in [Integral(normal_pdf(x, mu, s) * (x - mu) ** 2, (x, -oo, oo)),
                     Integral(log(x) * exp(-x), (x, 0, oo)),
                     Integral(1 / (1 + (x - mu) ** 2), (x, -oo, oo)),
                     Integral(sqrt(x) * exp(-x), (x, 0, s))]:
        for point in _numeric.sample_points([integral], 0, 2):
            normal = _numeric.evaluate(integral, point, 24)
            careful = _numeric.evaluate(integral, point, 40, careful=True)
            assert close(careful, normal, 12), (integral, point.values)


def test_nested_integrals_are_evaluated_by_nested_quadrature():
    y = Symbol("y", real=True)
    point = _numeric.Point(seed="nested", values=())
    assert close(_numeric.evaluate(Integral(x * y, (x, 0, 1), (y, 0, 2)), point, 24), 1)
    assert close(_numeric.evaluate(Integral(exp(-x**2 - y**2), (x, -oo, oo), (y, -oo, oo)), point, 24), pi)
    # Careful mode changes the outer integral's method; the inner one keeps the standard method.
    shifted = Integral(exp(-(x - y) ** 2 - y**2), (x, -oo, oo), (y, -oo, oo))
    assert close(_numeric.evaluate(shifted, point, 16, careful=True), pi, 8)


def test_undefined_functions_get_positive_stand_ins():
    f = Function("f", positive=True)
    point = _numeric.sample_points([f(x)], seed=0, count=1)[-1]
    instance = point.function_instance(f(x))
    assert instance(x).is_positive
    assert _numeric.evaluate(Integral(f(x), (x, -oo, oo)), point, 20) > 0


@pytest.mark.parametrize("facts, holds", [
    ({}, lambda v: True),
    (dict(real=True), lambda v: v.is_real),
    (dict(nonzero=True), lambda v: v.is_real and v != 0),
    (dict(nonnegative=True), lambda v: v >= 0),
    (dict(nonpositive=True), lambda v: v <= 0),
    (dict(negative=True), lambda v: v < 0),
    (dict(zero=True), lambda v: v == 0),
])
def test_a_functions_stand_in_has_every_fact_it_declares_and_no_more(facts, holds):
    """Most general first: a plain function is complex-valued, a nonnegative one takes 0 as well."""
    f = Function("f", **facts)
    for point in _numeric.sample_points([f(x)], seed=0, count=4):
        instance = point.function_instance(f(x))
        values = [_numeric.evaluate(instance(v), point, 20) for v in (Rational(-3, 2), 0, Rational(1, 3), 2)]
        assert all(holds(v) for v in values), (facts, values)
        if not facts:
            assert any(not v.is_real for v in values)


def test_a_function_no_smooth_stand_in_can_be_is_inconclusive():
    f = Function("f", integer=True)
    point = _numeric.sample_points([f(x)], seed=0, count=1)[-1]
    with pytest.raises(_numeric.Inconclusive, match="no smooth stand-in"):
        point.function_instance(f(x))


# --- series -------------------------------------------------------------------------------------


def test_an_oscillating_series_is_right_or_inconclusive_never_wrong():
    n = Symbol("n", integer=True, positive=True)
    for point, value in values_at(Sum(sin(n) / n, (n, 1, oo)), count=1):
        assert isinstance(value, _numeric.Inconclusive) or close(value, (pi - 1) / 2), value
    for point, value in values_at(Sum(sin(n) / n, (n, 1, oo)), count=1, dps=40, careful=True):
        assert isinstance(value, _numeric.Inconclusive) or close(value, (pi - 1) / 2), value


@pytest.mark.parametrize("series, expected", [
    (Sum(1 / Symbol("n", integer=True) ** 2, (Symbol("n", integer=True), 1, oo)), pi**2 / 6),
    (Sum((-1) ** Symbol("n", integer=True) / Symbol("n", integer=True), (Symbol("n", integer=True), 1, oo)),
     -log(2)),
    (Sum(Rational(1, 2) ** sympy.Abs(Symbol("n", integer=True)), (Symbol("n", integer=True), -oo, oo)), 3),
])
def test_convergent_series_are_summed(series, expected):
    for _, value in values_at(series, count=1):
        assert close(value, expected), value


@pytest.mark.parametrize("series", [
    Sum(1 / Symbol("n", integer=True, positive=True), (Symbol("n", integer=True, positive=True), 1, oo)),
    Sum(Symbol("n", integer=True), (Symbol("n", integer=True), 1, oo)),
    Sum(sin(Symbol("n", integer=True)), (Symbol("n", integer=True), 1, oo)),
])
def test_divergent_series_are_undefined(series):
    for _, value in values_at(series, count=1):
        assert isinstance(value, _numeric.Undefined) and "diverges" in str(value), value


# --- values that do not exist, values that are not reliable ---------------------------------------


@pytest.mark.parametrize("expr, message", [
    (1 / x, "1/x is undefined (division by zero) at x = 0"),
    (log(x**2), "log(x**2) is undefined (is -inf) at x = 0"),
    (sympy.gamma(x) + 1, "gamma(x) is undefined"),
    (x * sympy.zoo, "zoo"),
])
def test_poles_and_infinities_are_undefined_with_where(expr, message):
    point = _numeric.sample_points([x], 0, 0)[0]
    assert point.value_of(x) == 0
    with pytest.raises(_numeric.Undefined) as caught:
        _numeric.evaluate(expr, point, 24)
    assert message in str(caught.value)
    again = pytest.raises(_numeric.Undefined, _numeric.evaluate, expr, point, 24)  # cached failures too
    assert str(again.value) == str(caught.value)


def test_a_cancellation_beyond_every_precision_is_inconclusive_not_zero():
    mu, l = Symbol("mu", real=True), Symbol("l", real=True)
    expr = exp(l) * (1 + mu * exp(-l)) - exp(l)  # = mu, through terms of size exp(l)
    point = _numeric.Point(seed="huge", values=((l, HUGE), (mu, Rational(3, 2))))
    with pytest.raises(_numeric.Inconclusive, match="not determined"):
        _numeric.evaluate(expr, point, 24)
    moderate = _numeric.Point(seed="moderate", values=((l, 60), (mu, Rational(3, 2))))
    assert close(_numeric.evaluate(expr, moderate, 24), Rational(3, 2))  # more digits cure it


def test_a_value_sensitive_to_an_integrals_error_is_inconclusive():
    point = _numeric.Point(seed="sensitive", values=())
    big = Integral(exp(-x**2), (x, -oo, oo)) * 10**20
    with pytest.raises(_numeric.Inconclusive):
        _numeric.evaluate(big - 10**20 * sqrt(pi), point, 24)


def test_piecewise_values_are_checked_without_intervals():
    point = _numeric.Point(seed="pw", values=((x, Rational(-3, 2)),))
    assert close(_numeric.evaluate(Piecewise((x**2, x > 0), (-x, True)), point, 24), Rational(3, 2))


# --- derivatives and expectations -----------------------------------------------------------------


def test_derivatives_with_respect_to_indexed_elements():
    i, j = Symbol("i", integer=True, positive=True), Symbol("j", integer=True, positive=True)
    k = Symbol("k", integer=True, positive=True)
    mu, l = IndexedBase("mu1", real=True), IndexedBase("l1", real=True)
    total = -Sum(1 + l[i] - mu[i] ** 2 - exp(l[i]), (i, 1, 3)) / 2
    gradient = sympy.ImmutableMatrix([Derivative(total, mu[2]), Derivative(total, l[3])])
    for point, value in values_at(gradient, count=4):
        assert close(value[0], point.value_of(mu[2])) and close(value[1], (exp(point.value_of(l[3])) - 1) / 2)
    symbolic = Derivative(Sum(mu[i] ** 2, (i, 1, k)), mu[j]) - Piecewise((2 * mu[j], j <= k), (0, True))
    assert all(close(v, 0) for _, v in values_at(symbolic, count=8))


def test_derivatives_of_terms_swamped_by_a_huge_one_are_exact():
    mu, l = Symbol("mu", real=True), Symbol("l", real=True)
    term = -(1 + l - mu**2 - exp(l)) / 2  # exp(10**6) dwarfs mu**2: no difference quotient survives
    point = _numeric.Point(seed="swamped", values=((l, HUGE), (mu, Rational(7, 3))))
    assert close(_numeric.evaluate(Derivative(term, mu), point, 24), Rational(7, 3))
    assert close(_numeric.evaluate(Derivative(term, mu), point, 40, careful=True), Rational(7, 3))


def test_higher_and_mixed_derivatives():
    y = Symbol("y", real=True)
    at = {x: Rational(3, 2), y: Rational(-1, 3)}
    point = _numeric.Point(seed="mixed", values=tuple(at.items()))
    assert close(_numeric.evaluate(Derivative(x**3 * y**2, (x, 2), y), point, 24), (12 * x * y).subs(at))
    assert close(_numeric.evaluate(Derivative(sin(x) * exp(y), x, y), point, 24), (sympy.cos(x) * exp(y)).subs(at))
    assert close(_numeric.evaluate(Derivative(sin(x), x, 3), point, 40, careful=True), -sympy.cos(at[x]))


def test_gauss_hermite_expectations():
    m1, m2 = symbols("m1 m2", real=True)
    a11, a22 = symbols("a11 a22", positive=True)
    a21 = Symbol("a21", real=True)
    x1, x2 = symbols("x1 x2", real=True)
    mean, factor = sympy.Matrix([m1, m2]), sympy.Matrix([[a11, 0], [a21, a22]])
    quartic = GaussianExpectation((x1 - m1) ** 4 * (x2 - m2) ** 2, [x1, x2], mean, factor)
    for point, value in values_at(quartic, count=3):
        v = dict(point.values)
        s11, s12, s22 = v[a11] ** 2, v[a11] * v[a21], v[a21] ** 2 + v[a22] ** 2
        assert close(value, 3 * s11**2 * s22 + 12 * s11 * s12**2, 10), point.values  # Isserlis
    lognormal = GaussianExpectation(exp(x1), [x1], [m1], [[a11]])
    conclusive = 0
    for point, value in values_at(lognormal, count=8):
        v = dict(point.values)
        if isinstance(value, _numeric.Inconclusive):  # Gauss-Hermite does not converge for wide ones
            assert v[a11] > 2 and "does not converge" in str(value), (point.values, value)
        else:
            assert close(value, exp(v[m1] + v[a11] ** 2 / 2), 10), point.values
            conclusive += 1
    assert conclusive >= 6


def test_the_kernel_blocks_a_proof_where_a_side_is_undefined():
    r = Symbol("r", real=True)
    # Identical sides, yet the integral diverges for r >= 0 (the edge point r = 0 among them):
    # no pole, only a tail that does not decay, which only the numeric witness can tell.
    diverges = Integral(exp(r * x**2), (x, -oo, oo))
    verdict = check_equal(diverges + 1, 1 + diverges)
    assert verdict.status is Status.UNKNOWN and verdict.reason is Reason.UNDEFINED, verdict
    assert "r = 0" in verdict.detail and "no finite value" in verdict.detail
    # A divisor or log argument not known to be nonzero is found before any point is evaluated.
    static = check_equal(log(r**2) + 1, 1 + log(r**2))
    assert static.status is Status.UNKNOWN and static.reason is Reason.ASSUMPTION_MISSING
