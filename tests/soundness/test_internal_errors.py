"""Class 10: a crash is not a verdict. An exception inside sympy while a strategy runs (here
sympy 1.14's integrate raising IndexError on 2**(2 + 3x) 3**(5 + 7x)) gives that claim an
UNKNOWN verdict with reason INTERNAL_ERROR; an exception while evaluating a side at a point
(lambdify knows no DiracDelta) or a claim whose sides are booleans gives no verdict but
UNKNOWN (or REFUTED for a false claim), never an exception out of check_equal. Through the CLI
the other steps are still checked and the exit code is 1, not 123."""

import pytest
from sympy import DiracDelta, Eq, Gt, Integral, Rational, Symbol, log, true

from derive import Status, check_equal

from ._helpers import assert_not_proved, assert_not_refuted, claims_proved, reason, run_cli, write

x = Symbol("x", real=True)
a = Symbol("a", positive=True)

# True: 2**(2 + 3x) 3**(5 + 7x) = 972 * 17496**x, so the integral over [0, 1] is
# 972 (17496 - 1) / log(17496) = (2**5 3**12 - 2**2 3**5) / (3 log 2 + 7 log 3).
CRASHING = [
    ("over-0-1", Integral(2 ** (2 + 3 * x) * 3 ** (5 + 7 * x), (x, 0, 1)),
     (2**5 * 3**12 - 2**2 * 3**5) / (3 * log(2) + 7 * log(3))),
    ("without-constants", Integral(2 ** (3 * x) * 3 ** (7 * x), (x, 0, 1)),
     (2**3 * 3**7 - 1) / (3 * log(2) + 7 * log(3))),
    ("symbolic-limit", Integral(2 ** (2 + 3 * x) * 3 ** (5 + 7 * x), (x, 0, a)), 972 * (17496**a - 1) / log(17496)),
]


@pytest.mark.parametrize("name, lhs, rhs", CRASHING, ids=[c[0] for c in CRASHING])
def test_exception_inside_a_strategy_is_an_internal_error(name, lhs, rhs):
    verdict = check_equal(lhs, rhs)  # must not raise
    assert_not_refuted(verdict, name)
    if verdict.status is Status.UNKNOWN:
        assert verdict.reason is reason("INTERNAL_ERROR"), verdict


def test_exception_inside_a_strategy_for_a_false_claim():
    """The same crash under a false claim (the right side doubled): not PROVED, no exception."""
    lhs, rhs = CRASHING[0][1], 2 * CRASHING[0][2]
    verdict = check_equal(lhs, rhs)
    assert_not_proved(verdict)


def test_exception_while_evaluating_at_a_point():
    """Integral(DiracDelta(x - 1/2), (x, 0, 1)) = 2 is false (it is 1); the numeric witness's
    quadrature cannot evaluate DiracDelta: no exception, not PROVED."""
    verdict = check_equal(Integral(DiracDelta(x - Rational(1, 2)), (x, 0, 1)), 2)
    assert_not_proved(verdict)


def test_exception_while_evaluating_a_true_claim_at_a_point():
    """Integral(DiracDelta(x - 1/2), (x, 0, 1)) = 1 is true: no exception, not REFUTED."""
    assert_not_refuted(check_equal(Integral(DiracDelta(x - Rational(1, 2)), (x, 0, 1)), 1))


@pytest.mark.parametrize("lhs, rhs, true_claim", [
    (Eq(x, 1), true, False),                       # false at x = 2
    (Eq(x, x + 1), true, False),                   # Eq(x, x + 1) is False
    (Gt(a, 0), true, True),                        # a > 0 holds for positive a
], ids=["eq-x-1", "eq-x-x+1", "a-positive"])
def test_boolean_sides_give_a_verdict_not_an_exception(lhs, rhs, true_claim):
    verdict = check_equal(lhs, rhs)
    if true_claim:
        assert_not_refuted(verdict)
    else:
        assert_not_proved(verdict)


def test_matrix_symbols_do_not_crash_the_kernel():
    """A B = B A for 2 x 2 matrix symbols is false (A = [[0, 1], [0, 0]], B = [[0, 0], [1, 0]]);
    today sympy recurses without end inside check_equal."""
    from sympy import MatrixSymbol

    a, b = MatrixSymbol("A", 2, 2), MatrixSymbol("B", 2, 2)
    assert_not_proved(check_equal(a * b, b * a))


PROOF = """
from sympy import DiracDelta, Integral, Rational, Symbol, log
from derive import Derivation, rules

x = Symbol("x", real=True)
s = Symbol("s", positive=True)

before = Derivation("before", "log s^2 = 2 log s", log(s**2))
before.step("1", "s > 0", rules.algebra(), 2 * log(s))

crash = Derivation("crash", "an integral sympy cannot integrate without crashing",
                   Integral(2 ** (2 + 3 * x) * 3 ** (5 + 7 * x), (x, 0, 1)))
crash.step("1", "evaluate", rules.evaluate(), (2**5 * 3**12 - 2**2 * 3**5) / (3 * log(2) + 7 * log(3)))
crash.step("2", "a delta (false: it is 1)", rules.algebra(), Integral(DiracDelta(x - Rational(1, 2)), (x, 0, 1)))

after = Derivation("after", "log s^4 = 4 log s", log(s**4))
after.step("1", "s > 0", rules.algebra(), 4 * log(s))
"""


def test_cli_checks_the_other_steps_and_exits_1(tmp_path):
    path = write(tmp_path, "crash.py", PROOF)
    result = run_cli("check", str(path), cwd=tmp_path)
    assert result.returncode == 1, f"exit {result.returncode}:\n{result.stdout}\n{result.stderr}"
    assert claims_proved(result.stdout, "before"), result.stdout
    assert claims_proved(result.stdout, "after"), result.stdout
    assert not claims_proved(result.stdout, "crash"), result.stdout
