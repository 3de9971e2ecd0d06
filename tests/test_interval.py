"""Interval enclosures and the kernel's series rule: sound, tight enough, and refusing what they cannot bound."""

import re

import mpmath
import pytest
import sympy
from mpmath import iv
from sympy import Rational, Symbol, exp, factorial, log, sqrt
from sympy.codegen.cfunctions import expm1

from derive import Bound, Reason, Settings, Status, check_constant_bound, check_series_bound
from derive.kernel._interval import Unenclosable, enclose, enclose_on_pieces

x = Symbol("x", real=True)
EXP_TAIL = exp(x) - 1 - x  # its Taylor series starts at x**2 / 2: m = 2


def taylor_of_exp_tail(degree: int) -> sympy.Expr:
    return sum(x**n / factorial(n) for n in range(2, degree + 1))


def endpoints(enclosure) -> tuple[mpmath.mpf, mpmath.mpf]:
    # 50 digits hold iv's 113-bit endpoints exactly.
    with mpmath.workdps(50):
        return mpmath.mpf(enclosure.a), mpmath.mpf(enclosure.b)


def grid_max_relative_error(function, approximation, radius: int, points: int = 2001) -> mpmath.mpf:
    """max |f - p| / |f| at 50 digits on an even grid of [-radius, radius], skipping f = 0 at x = 0."""
    with mpmath.workdps(50):
        f, p = sympy.lambdify(x, function, "mpmath"), sympy.lambdify(x, approximation, "mpmath")
        grid = [mpmath.mpf(radius) * (2 * k - (points - 1)) / (points - 1) for k in range(points)]
        return max(abs(f(t) - p(t)) / abs(f(t)) for t in grid if t != 0)


def test_exp_enclosure_contains_its_range_tightly():
    lo, hi = endpoints(enclose(exp(x), x, Rational(-1), Rational(1)))
    with mpmath.workdps(50):
        assert lo <= mpmath.exp(-1) and mpmath.e <= hi
        assert (hi - lo) - (mpmath.e - mpmath.exp(-1)) < mpmath.mpf(10) ** -30


def test_rationals_enter_exactly_not_as_floats():
    lo, hi = endpoints(enclose(Rational(1, 3) * x, x, Rational(1), Rational(1)))
    with mpmath.workdps(50):
        assert 3 * lo <= 1 <= 3 * hi
        assert hi - lo < mpmath.mpf(2) ** -110


def test_even_power_of_an_interval_straddling_zero_is_never_negative():
    assert endpoints(enclose(x**2, x, Rational(-1), Rational(2))) == (0, 4)
    assert endpoints(enclose(x**4, x, Rational(-3), Rational(2))) == (0, 81)
    assert endpoints(enclose(x**3, x, Rational(-2), Rational(-1))) == (-8, -1)


def test_sqrt_and_expm1_are_enclosed():
    assert endpoints(enclose(sqrt(x), x, Rational(1), Rational(4))) == (1, 2)
    lo, hi = endpoints(enclose(expm1(x), x, Rational(-1), Rational(1)))
    with mpmath.workdps(50):
        assert lo <= mpmath.expm1(-1) and mpmath.expm1(1) <= hi


def test_precision_is_restored():
    before = iv.prec
    enclose(exp(x), x, Rational(0), Rational(1))
    assert iv.prec == before


@pytest.mark.parametrize("expr, lo, hi, named", [
    (log(x), 0, 1, "log(x)"),  # iv.log would say [-inf, 0] here instead of failing
    (log(x), -1, 1, "log(x)"),
    (sqrt(x), -1, 1, "sqrt(x)"),
    (sympy.gamma(x), 1, 2, "gamma"),
    (x**-2, -1, 1, "x**(-2)"),
    (exp(-1 / x**2), -1, 1, "x**(-2)"),  # iv's exp would turn the pole into a finite [0, 1/e]
    (x + Symbol("y"), 0, 1, "Symbol"),
])
def test_what_cannot_be_enclosed_is_named(expr, lo, hi, named):
    with pytest.raises(Unenclosable, match=re.escape(named)):
        enclose(expr, x, Rational(lo), Rational(hi))


def test_pieces_cover_the_interval_and_are_tighter():
    cosh2 = exp(x) + exp(-x)  # over [-1, 1] the whole interval gives [2/e, 2e] for a range [2, 3.09]
    whole = endpoints(enclose(cosh2, x, Rational(-1), Rational(1)))
    pieces = [endpoints(piece) for piece in enclose_on_pieces(cosh2, x, Rational(-1), Rational(1), 4)]
    assert len(pieces) == 4
    with mpmath.workdps(50):
        for k, (lo, hi) in enumerate(pieces):
            left = mpmath.mpf(k - 2) / 2
            assert all(lo <= 2 * mpmath.cosh(left + step) <= hi for step in (0, 0.25, 0.5))
    assert whole[0] < min(lo for lo, _ in pieces) and max(hi for _, hi in pieces) < whole[1]


@pytest.mark.parametrize("function", [EXP_TAIL, expm1(x) - x])
def test_exp_tail_bound_is_proved_sound_and_tight(function):
    approximation = taylor_of_exp_tail(16)
    bound = check_series_bound(function, x, approximation, Rational(1))
    assert bound.status is Status.PROVED and bound.reason is Reason.INTERVAL_BOUND, bound
    assert "|f - T_16| <= 4.2e-14 |f| for |x| <= 1" in bound.detail
    true_max = grid_max_relative_error(EXP_TAIL, approximation, 1)
    # Lagrange with M = e, L = 1/e, m = 2 gives 2 e^2 / 17!; the worst point, x = -1, gives about 7e-15.
    assert true_max <= bound.relative_error <= 10 * true_max
    assert bound.relative_error >= 2 * mpmath.e**2 / mpmath.factorial(17)


def test_degree_twenty_is_good_to_double_precision():
    bound = check_series_bound(EXP_TAIL, x, taylor_of_exp_tail(20), Rational(1))
    assert bound.proved
    assert bound.relative_error <= mpmath.mpf(2) ** -55


def test_smaller_radius_gives_a_smaller_bound():
    errors = [check_series_bound(EXP_TAIL, x, taylor_of_exp_tail(10), Rational(1, d)).relative_error
              for d in (1, 2, 16)]
    assert errors[0] > errors[1] > errors[2] > 0
    assert errors[2] < mpmath.mpf(10) ** -18


def test_more_pieces_never_give_a_larger_bound():
    sinh2 = exp(x) - exp(-x)  # exp(x) + exp(-x) overestimates on a wide piece: pieces help here
    approximation = sum(2 * x**n / factorial(n) for n in range(1, 12, 2))
    errors = [check_series_bound(sinh2, x, approximation, Rational(1), pieces=k).relative_error
              for k in (1, 4, 16, 64)]
    assert errors == sorted(errors, reverse=True)
    assert errors[-1] < errors[0] / 2


def test_polynomial_that_is_its_own_series_has_zero_remainder():
    bound = check_series_bound(x**2 + x**3 / 10, x, x**2 + x**3 / 10, Rational(1))
    assert bound.proved and bound.relative_error == 0


def test_wrong_coefficient_is_refuted():
    bound = check_series_bound(EXP_TAIL, x, x**2 / 2 + x**3 / 5, Rational(1))
    assert bound.status is Status.REFUTED and bound.reason is Reason.NOT_EQUAL
    assert "1/5" in bound.detail and "1/6" in bound.detail
    assert bound.relative_error is None


@pytest.mark.parametrize("function, approximation, says", [
    (EXP_TAIL, sympy.S.Zero, "T_0 = 0"),  # degree below m = 2: no term to compare |f| with
    (x**2 - 4 * x**3, x**2 - 4 * x**3, "f^(2) may vanish"),  # f'' = 2 - 24 x is 0 at x = 1/12
    (exp(x + 1), sympy.S.Zero, "E is not a known rational"),
])
def test_undecided_bounds_say_why(function, approximation, says):
    bound = check_series_bound(function, x, approximation, Rational(1))
    assert bound.status is Status.UNKNOWN and bound.reason is Reason.UNDECIDED
    assert says in bound.detail


def test_singular_function_is_unsupported():
    bound = check_series_bound(log(x), x, x, Rational(1, 2))
    assert bound.status is Status.UNKNOWN and bound.reason is Reason.UNSUPPORTED_DOMAIN
    assert "log(x)" in bound.detail


@pytest.mark.parametrize("variable, approximation, radius, pieces", [
    (x, x**2 / 2, 0, 64),
    (x, x**2 / 2, -1, 64),
    (x, x**2 / 2, 0.5, 64),
    (Symbol("x"), x**2 / 2, 1, 64),  # not declared real
    (x, exp(x), 1, 64),
    (x, x**2 / 2 + Symbol("y"), 1, 64),
    (x, sympy.Float(0.5) * x**2, 1, 64),
    (x, x**2 / 2, 1, 0),
])
def test_invalid_input_is_unknown_not_an_exception(variable, approximation, radius, pieces):
    bound = check_series_bound(EXP_TAIL, variable, approximation, radius, pieces=pieces)
    assert bound.status is Status.UNKNOWN and bound.reason is Reason.INVALID_INPUT, bound


def test_time_limit_gives_timeout_and_restores_precision():
    before = iv.prec
    bound = check_series_bound(EXP_TAIL, x, taylor_of_exp_tail(16), Rational(1),
                               settings=Settings(seconds_per_strategy=0.001))
    assert bound.status is Status.UNKNOWN and bound.reason is Reason.TIMEOUT
    assert iv.prec == before


def test_bounds_cannot_be_forged_or_edited():
    with pytest.raises(TypeError):
        Bound(object(), status=Status.PROVED, reason=Reason.INTERVAL_BOUND, function=EXP_TAIL,
              approximation=0, variable=x, radius=1, relative_error=0, detail="", seconds=0.0)
    bound = check_series_bound(EXP_TAIL, x, taylor_of_exp_tail(4), Rational(1, 2))
    with pytest.raises(AttributeError):
        bound.relative_error = mpmath.mpf(0)


def test_a_rational_power_is_enclosed():
    lo, hi = endpoints(enclose(2 ** Rational(5, 64) * x, x, Rational(1), Rational(1)))
    with mpmath.workdps(50):
        assert lo <= mpmath.mpf(2) ** (mpmath.mpf(5) / 64) <= hi and hi - lo < mpmath.mpf(10) ** -30


@pytest.mark.parametrize("value", [log(2) / 64, 2 ** Rational(37, 64), exp(Rational(-1, 3))])
def test_constant_bound_is_proved_and_sound(value):
    with mpmath.workdps(60):
        approximation = Rational(float(value))  # the nearest double
        truth = abs(mpmath.mpf(sympy.N(approximation, 60)) - mpmath.mpf(sympy.N(value, 60))) / mpmath.mpf(
            sympy.N(value, 60))
    bound = check_constant_bound(value, approximation)
    assert bound.proved and bound.reason is Reason.INTERVAL_BOUND
    # The bound is rounded up to a double: tight to that.
    with mpmath.workdps(60):
        assert truth <= bound.relative_error <= truth * (1 + mpmath.mpf(2) ** -50)


@pytest.mark.parametrize("value, approximation, reason", [
    (x + 1, Rational(1), Reason.INVALID_INPUT),
    (log(2), 0.6931471805599453, Reason.INVALID_INPUT),  # a float, not a Rational
    (sympy.gamma(Rational(1, 3)), Rational(2), Reason.UNSUPPORTED_DOMAIN),
    (log(3) - log(2) - log(Rational(3, 2)), Rational(0), Reason.UNDECIDED),  # 0, enclosed around 0
])
def test_constant_bound_says_why_it_is_unknown(value, approximation, reason):
    bound = check_constant_bound(value, approximation)
    assert bound.status is Status.UNKNOWN and bound.reason is reason, bound
