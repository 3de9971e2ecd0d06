"""Class 3: instantiate (and Derivation.instance) must only specialise a proved equality to
values that satisfy everything its symbols were declared with, by keys that are symbols,
functions or indexed families, and never onto a point where a side is undefined."""

import pytest
from sympy import (Float, Function, IndexedBase, Integer, Lambda, Rational, Symbol, cot, log, pi, sqrt, tan)

from derive import Status, check_equal, chain, instantiate

from ._helpers import assert_not_proved

xpos = Symbol("x", positive=True)
ypos = Symbol("y", positive=True)
LOG_SQUARE = (log(xpos**2), 2 * log(xpos))


def proved(lhs, rhs, **kwargs):
    verdict = check_equal(lhs, rhs, **kwargs)
    assert verdict.status is Status.PROVED, f"the lemma itself should be proved: {verdict!r}"
    return verdict


def test_non_symbol_key_power():
    """{x**2: y} on log(x**2) = 2 log(x) gives log(y) = 2 log(x), false at x = 2, y = 1
    (0 vs 2 log 2)."""
    assert_not_proved(instantiate(proved(*LOG_SQUARE), {xpos**2: ypos}))


def test_non_symbol_key_function_application():
    """{log(x): y} gives log(x**2) = 2 y, false at x = 1, y = 1 (0 vs 2)."""
    assert_not_proved(instantiate(proved(*LOG_SQUARE), {log(xpos): ypos}))


def test_number_as_key():
    """{2: 3} on t**2 - 2 t + 1 = (t - 1)**2 gives t**3 - 2 t + 1 = (t - 1)**3 (sympy's -2 is a
    number of its own), false at t = 0 (1 vs -1)."""
    t = Symbol("t", real=True)
    assert_not_proved(instantiate(proved(t**2 - 2 * t + 1, (t - 1) ** 2), {Integer(2): Integer(3)}))


def test_even_lemma_at_an_odd_value():
    """(-1)**n = 1 for even n, instantiated at n = 3: (-1)**3 = -1, not 1."""
    n = Symbol("n", integer=True, even=True)
    assert_not_proved(instantiate(proved((-1) ** n, 1), {n: Integer(3)}))


def test_even_lemma_at_an_odd_symbol():
    """(-1)**n = 1 for even n, instantiated at an odd symbol m: false for every m ((-1)**m = -1)."""
    n = Symbol("n", integer=True, even=True)
    m = Symbol("m", integer=True, odd=True)
    assert_not_proved(instantiate(proved((-1) ** n, 1), {n: m}))


def test_even_lemma_at_an_integer_symbol():
    """(-1)**n = 1 for even n, instantiated at an integer m: false at m = 1."""
    n = Symbol("n", integer=True, even=True)
    m = Symbol("m", integer=True)
    assert_not_proved(instantiate(proved((-1) ** n, 1), {n: m}))


def test_odd_lemma_at_an_even_value():
    """(-1)**n = -1 for odd n, instantiated at n = 2: (-1)**2 = 1, not -1."""
    n = Symbol("n", integer=True, odd=True)
    assert_not_proved(instantiate(proved((-1) ** n, -1), {n: Integer(2)}))


def test_instance_on_a_pole():
    """cot(x) tan(x) = 1 instantiated at x = pi/2: tan(pi/2) is undefined (sympy: 0 * zoo = nan),
    so the instance claims nan = 1."""
    x = Symbol("x", real=True)
    verdict = check_equal(cot(x) * tan(x), 1)
    assert_not_proved(instantiate(verdict, {x: pi / 2}))


def test_instance_of_finite_symbol_at_infinity():
    """(f + 1)**2 - f**2 - 2 f = 1 for finite f, instantiated at f = oo: oo - oo is undefined
    (nan), not 1."""
    from sympy import oo

    f = Symbol("f", finite=True)
    assert_not_proved(instantiate(proved((f + 1) ** 2 - f**2 - 2 * f, 1), {f: oo}))


def test_instance_of_finite_symbol_at_complex_infinity():
    """The same lemma at f = zoo: undefined, not 1."""
    from sympy import zoo

    f = Symbol("f", finite=True)
    assert_not_proved(instantiate(proved((f + 1) ** 2 - f**2 - 2 * f, 1), {f: zoo}))


def test_positive_function_replaced_by_lambda_positive_only_on_its_own_variable():
    """log(g(x)**2) = 2 log(g(x)) for g positive and x real, with g := Lambda(p, p + p**2), p
    positive. The body is positive for positive p, but g is applied to a real x: the instance is
    log((x**2 + x)**2) = 2 log(x**2 + x), false at x = -1/2 (x**2 + x = -1/4: log(1/16) vs
    2 log(-1/4) = log(1/16) + 2 pi i)."""
    g = Function("g", positive=True)
    x = Symbol("x", real=True)
    p = Symbol("p", positive=True)
    assert_not_proved(instantiate(proved(log(g(x) ** 2), 2 * log(g(x))), {g: Lambda(p, p + p**2)}))


def test_positive_family_replaced_by_lambda_positive_only_on_its_own_index():
    """log(s[i]**2) = 2 log(s[i]) for s positive and i any integer, with s := Lambda(j, j**3), j a
    positive integer: the instance is log(i**6) = 2 log(i**3), false at i = -1 (0 vs 2 pi i)."""
    s = IndexedBase("s", positive=True)
    i = Symbol("i", integer=True)
    j = Symbol("j", integer=True, positive=True)
    assert_not_proved(instantiate(proved(log(s[i] ** 2), 2 * log(s[i])), {s: Lambda(j, j**3)}))


def test_float_values_make_the_sides_differ():
    """(a + b)(a - b) = a**2 - b**2 at a = 1e8 + 1, b = 1e8 as Floats: sympy rounds the right side
    in 53 bits, so the instance claims 200000001.0 = 200000000.0."""
    a, b = Symbol("a", real=True), Symbol("b", real=True)
    verdict = instantiate(proved((a + b) * (a - b), a**2 - b**2), {a: Float(1e8 + 1), b: Float(1e8)})
    assert_not_proved(verdict)
    assert_not_proved(chain([verdict]))


# Regressions: facts the kernel checks today must stay checked.

@pytest.mark.parametrize("value", [Rational(1, 2), sqrt(2)])
def test_integer_lemma_at_a_non_integer(value):
    """cos(2 pi i) = 1 for integer i, at i = 1/2 (cos(pi) = -1) or sqrt(2)."""
    from sympy import cos

    i = Symbol("i", integer=True)
    assert_not_proved(instantiate(proved(cos(2 * pi * i), 1), {i: value}))


def test_positive_lemma_at_a_real_symbol():
    """log(x**2) = 2 log(x) at x = r, r real: false at r = -1."""
    r = Symbol("r", real=True)
    assert_not_proved(instantiate(proved(*LOG_SQUARE), {xpos: r}))


def test_nonzero_lemma_at_zero():
    """z / z**2 * z = 1 for nonzero z, at z = 0: undefined."""
    z = Symbol("z", nonzero=True, real=True)
    assert_not_proved(instantiate(proved(z * z / z**2, 1), {z: Integer(0)}))
