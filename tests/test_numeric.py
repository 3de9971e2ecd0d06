"""Sample points honour declared domains; evaluation is exact about what it cannot do."""

import pytest
import sympy
from sympy import Function, Integral, IndexedBase, Rational, Sum, Symbol, exp, oo

from derive.kernel import _numeric
from derive.gaussian import normal_pdf

x = Symbol("x", real=True)


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


def test_complex_symbols_get_complex_values():
    t = Symbol("t")
    values = [p.value_of(t) for p in _numeric.sample_points([t], seed=0, count=10)]
    assert any(not v.is_real for v in values)


def test_points_are_deterministic_and_per_symbol():
    a, b = sympy.symbols("a b", positive=True)
    first = _numeric.sample_points([a + b], seed=1, count=4)
    again = _numeric.sample_points([a], seed=1, count=4)
    assert [p.value_of(a) for p in first] == [p.value_of(a) for p in again]


def test_indexed_elements_and_sum_bounds_get_values():
    s = IndexedBase("s", positive=True)
    i, k = Symbol("i", integer=True, positive=True), Symbol("k", integer=True, positive=True)
    expr = Sum(s[i], (i, 1, k))
    for point in _numeric.sample_points([expr], seed=0, count=5):
        value = _numeric.evaluate(expr, point, 20)
        expected = sum(point.value_of(s[j]) for j in range(1, point.value_of(k) + 1))
        assert abs(value - expected) < 1e-15
        assert "s" not in point.assignment()  # the family's label is not a value


def test_undefined_positive_functions_get_positive_stand_ins():
    f = Function("f", positive=True)
    point = _numeric.sample_points([f(x)], seed=0, count=1)[0]
    instance = point.function_instance(f(x))
    assert instance(x).is_positive
    assert _numeric.evaluate(Integral(f(x), (x, -oo, oo)), point, 20) > 0


def test_divergent_integral_is_inconclusive():
    point = _numeric.sample_points([x], seed=0, count=1)[0]
    with pytest.raises(_numeric.Inconclusive):
        _numeric.evaluate(Integral(exp(x**2 / 7), (x, -oo, oo)), point, 20)


def test_narrow_peak_far_out_is_found():
    point = _numeric.sample_points([x], seed=0, count=1)[0]
    value = _numeric.evaluate(Integral(normal_pdf(x, Rational(-8113, 100), Rational(1, 1000)), (x, -oo, oo)),
                              point, 24)
    assert abs(value - 1) < 1e-15


def test_assumptions_that_cannot_be_sampled_are_reported():
    with pytest.raises(_numeric.UnsupportedDomain):
        _numeric.draw_value(Symbol("t", transcendental=True), "key")
    assert _numeric.draw_value(Symbol("t", prime=True, even=True), "key") == 2
