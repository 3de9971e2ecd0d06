"""Class 6: a rule proves no more than its reasoning allows. ALGEBRA treats integrals, sums,
products, expectations, derivatives, limits and substitutions as opaque; LINEARITY may split,
merge and pull constants out of them but evaluates nothing; EVALUATION evaluates. Each boundary
is tested both ways: the weaker reasoning must not prove the evaluation, the right one must not
refute it (and proves the basic ones). A lemma not named cannot be used."""

import pytest
from sympy import Derivative, Integral, Limit, Product, Rational, Subs, Sum, Symbol, cos, exp, oo, pi, sin, sqrt

from derive import Derivation, Reasoning, Status, check, check_equal, lemma, rules
from derive.gaussian import GaussianExpectation, expectation, normal_pdf

from ._helpers import assert_not_proved, assert_not_refuted

x = Symbol("x", real=True)
mu = Symbol("mu", real=True)
s = Symbol("s", positive=True)
k = Symbol("k", integer=True, positive=True)
n = Symbol("n", integer=True, positive=True)

# (id, lhs, rhs): true equalities that need evaluating some operator.
EVALUATIONS = [
    ("derivative-x2", Derivative(x**2, x), 2 * x),
    ("derivative-sin", Derivative(sin(x), x), cos(x)),
    ("derivative-exp", Derivative(exp(mu * x), x), mu * exp(mu * x)),
    ("leibniz-under-integral", Derivative(Integral(mu * x, (x, 0, 1)), mu), Integral(x, (x, 0, 1))),
    ("subs", Subs(x**2 + mu, x, 2), 4 + mu),
    ("limit", Limit(x**2 + mu, x, 2), 4 + mu),
    ("integral", Integral(x, (x, 0, 1)), Rational(1, 2)),
    ("gaussian-integral", Integral(exp(-x**2), (x, -oo, oo)), sqrt(pi)),
    ("sum", Sum(k, (k, 1, n)), n * (n + 1) / 2),
    ("finite-sum", Sum(k**2, (k, 1, 3)), 14),
    ("product", Product(k, (k, 1, 4)), 24),
    ("expectation", expectation(x, x, normal_pdf(x, mu, s)), mu),
    ("gaussian-expectation", GaussianExpectation(x**2, [x], [mu], [[s]]), mu**2 + s**2),
]
IDS = [case[0] for case in EVALUATIONS]


@pytest.mark.parametrize("name, lhs, rhs", EVALUATIONS, ids=IDS)
def test_algebra_does_not_evaluate(name, lhs, rhs):
    """ALGEBRA must leave the operator opaque: the equality is true, but not by algebra."""
    assert_not_proved(check_equal(lhs, rhs, reasoning=Reasoning.ALGEBRA), f"{name} by algebra")


@pytest.mark.parametrize("name, lhs, rhs", EVALUATIONS, ids=IDS)
def test_linearity_does_not_evaluate(name, lhs, rhs):
    """LINEARITY may split and merge operators, not evaluate them."""
    assert_not_proved(check_equal(lhs, rhs, reasoning=Reasoning.LINEARITY), f"{name} by linearity")


@pytest.mark.parametrize("name, lhs, rhs", EVALUATIONS, ids=IDS)
def test_evaluation_does_not_refute_a_true_evaluation(name, lhs, rhs):
    assert_not_refuted(check_equal(lhs, rhs, reasoning=Reasoning.EVALUATION), f"{name} by evaluation")


@pytest.mark.parametrize("lhs, rhs", [(Derivative(x**2, x), 2 * x), (Integral(x, (x, 0, 1)), Rational(1, 2)),
                                      (Sum(k, (k, 1, n)), n * (n + 1) / 2)], ids=["derivative", "integral", "sum"])
def test_evaluation_proves_the_basic_evaluations(lhs, rhs):
    """The right rule proves what the README promises it evaluates."""
    verdict = check_equal(lhs, rhs, reasoning=Reasoning.EVALUATION)
    assert verdict.status is Status.PROVED, verdict


def test_linearity_splits_but_algebra_does_not():
    """Integral(x + x**2) = Integral(x) + Integral(x**2): linearity, not algebra."""
    lhs = Integral(x + x**2, (x, 0, 1))
    rhs = Integral(x, (x, 0, 1)) + Integral(x**2, (x, 0, 1))
    assert_not_proved(check_equal(lhs, rhs, reasoning=Reasoning.ALGEBRA), "split by algebra")
    assert check_equal(lhs, rhs, reasoning=Reasoning.LINEARITY).status is Status.PROVED


def test_a_lemma_that_is_not_named_is_not_used():
    """3 * Integral(x**2, (x, 0, 1)) = 1 needs the lemma Integral(x**2) = 1/3; naming only
    Integral(x) = 1/2 must not prove it (algebra cannot evaluate the integral)."""
    named = check_equal(Integral(x, (x, 0, 1)), Rational(1, 2))
    needed = check_equal(Integral(x**2, (x, 0, 1)), Rational(1, 3))
    assert named.proved and needed.proved
    claim = (3 * Integral(x**2, (x, 0, 1)), 1)
    assert_not_proved(check_equal(*claim, using=[named], reasoning=Reasoning.ALGEBRA), "unnamed lemma")
    assert check_equal(*claim, using=[needed], reasoning=Reasoning.ALGEBRA).status is Status.PROVED


def test_derivation_step_by_algebra_that_differentiates_fails():
    """A proof file's step 'algebra' that takes a derivative: the report is not ok, and the same
    step with 'evaluate' is."""
    def build(rule):
        d = Derivation("derivative_by_" + rule.name, "d/dx x^2", Derivative(x**2, x))
        d.step("1", "differentiate", rule, 2 * x)
        return d

    assert not check([build(rules.algebra())]).ok
    assert not check([build(rules.linearity())]).ok
    assert check([build(rules.evaluate())]).ok


def test_derivation_step_using_an_unnamed_lemma_fails():
    """rules.use(A) where the step needs lemma B (defined, proved, but not named)."""
    a = lemma("int_x", Integral(x, (x, 0, 1)), Rational(1, 2), rules.evaluate())
    b = lemma("int_x2", Integral(x**2, (x, 0, 1)), Rational(1, 3), rules.evaluate())
    d = Derivation("uses_the_wrong_lemma", "3 int x^2 = 1", 3 * Integral(x**2, (x, 0, 1)))
    d.step("1", "by int_x (wrong lemma)", rules.use(a), 1)
    report = check([d, b])
    assert not next(r for r in report.results if r.derivation is d).proved
