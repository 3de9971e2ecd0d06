"""Steps are checked with exactly the reasoning their rule names; derivations chain them."""

import pytest
from sympy import Integer, Symbol, log

from derive import Derivation, Instance, Reason, Status, check, lemma, rules
from derive.errors import ProofFileError
from derive.gaussian import expectation, normal_pdf

x = Symbol("x", real=True)
mu = Symbol("mu", real=True)
s = Symbol("s", positive=True)
p = normal_pdf(x, mu, s)


def E(f):
    return expectation(f, x, p)


second_moment = lemma("second_moment", E((x - mu) ** 2), s**2, rules.evaluate())
normalisation = lemma("normalisation", E(Integer(1)), Integer(1), rules.evaluate())


def one_step(rule, start, stated):
    d = Derivation("under_test", "one step", start)
    d.step("1", "the step", rule, stated)
    return check([d]).results[-1]


def test_right_justification_proves_the_step():
    result = one_step(rules.linearity(), E((x - mu) ** 2 + 3), E((x - mu) ** 2) + 3 * E(Integer(1)))
    assert result.proved
    result = one_step(rules.use(second_moment, normalisation), E((x - mu) ** 2) + 3 * E(Integer(1)), s**2 + 3)
    assert result.proved


@pytest.mark.parametrize("rule", [rules.algebra(), rules.linearity(), rules.use(normalisation)])
def test_wrong_justification_with_a_right_result_is_not_proved(rule):
    # The result needs the second moment; none of these rules may use it.
    result = one_step(rule, E((x - mu) ** 2) + 3 * E(Integer(1)), s**2 + 3)
    assert result.steps[0].verdict.status is Status.UNKNOWN
    assert result.steps[0].verdict.reason is Reason.UNDECIDED
    assert not result.proved


def test_algebra_cannot_split_an_integral():
    result = one_step(rules.algebra(), E((x - mu) ** 2 + 3), E((x - mu) ** 2) + 3 * E(Integer(1)))
    assert not result.proved


def test_wrong_statement_is_refuted_at_its_step():
    d = Derivation("chain", "two steps", E((x - mu) ** 2 + 3))
    d.step("1", "linearity", rules.linearity(), E((x - mu) ** 2) + 3 * E(Integer(1)))
    d.step("2", "moments", rules.use(second_moment, normalisation), s + 3)
    result = check([d]).results[-1]
    assert [r.verdict.status for r in result.steps] == [Status.PROVED, Status.REFUTED]
    assert result.steps[1].verdict.counterexample is not None
    assert result.theorem.status is Status.UNKNOWN


def test_lemmas_are_checked_before_use_and_reported_as_dependencies():
    d = Derivation("uses_lemma", "one step", E((x - mu) ** 2))
    d.step("1", "moment", rules.use(second_moment), s**2)
    report = check([d])
    names = [(r.derivation.name, r.requested) for r in report.results]
    assert names == [("second_moment", False), ("uses_lemma", True)]
    assert report.ok


def test_a_wrong_lemma_makes_its_users_fail():
    bad = lemma("bad_moment", E((x - mu) ** 2), s, rules.evaluate())
    d = Derivation("uses_bad", "one step", E((x - mu) ** 2))
    d.step("1", "moment", rules.use(bad), s)
    result = check([d]).results[-1]
    assert result.steps[0].verdict.reason is Reason.DEPENDENCY_NOT_PROVED


def test_origin_chains_an_instance_into_the_theorem():
    m = Symbol("m", real=True)
    d = Derivation("from_instance", "the second moment plus one", origin=Instance(second_moment, {mu: m}))
    d.step("1", "add nothing", rules.algebra(), s**2 + 0)
    result = check([d]).results[-1]
    assert result.proved
    assert result.theorem.lhs == E((x - m) ** 2).subs(mu, m)
    assert result.theorem.rhs == s**2


def test_instance_that_breaks_an_assumption_is_not_proved():
    r = Symbol("r", real=True)
    d = Derivation("bad_instance", "s replaced by a real", origin=Instance(second_moment, {s: r}))
    d.step("1", "same", rules.algebra(), r**2)
    result = check([d]).results[-1]
    assert result.theorem.reason is Reason.DEPENDENCY_NOT_PROVED


def _twice_labelled():
    d = Derivation("a", "t", x)
    d.step("1", "d", rules.algebra(), x)
    d.step("1", "d", rules.algebra(), x)


@pytest.mark.parametrize("build, message", [
    (lambda: Derivation("", "t", x), "non-empty name"),
    (lambda: Derivation("a", "t", "x + 1"), "not a sympy expression"),
    (lambda: Derivation("a", "t", x).step("1", "d", "algebra", x), "not a derive.rules rule"),
    (lambda: Derivation("a", "t", x).step("1", "d", rules.algebra(), x > 1), "not an equation or a condition"),
    (lambda: Derivation("a", "t", x).step("1", "d", rules.use(object()), x), "must be a Derivation"),
    (lambda: Derivation("a", "t"), "needs a start expression or an origin"),
    (lambda: _twice_labelled(), "step label '1' of 'a' is already used at"),
])
def test_malformed_derivations_name_the_line(build, message):
    with pytest.raises(ProofFileError) as error:
        build()
    assert message in str(error.value)
    assert "test_derivation.py:" in str(error.value)


def test_scope_is_reported():
    d = Derivation("scoped", "t", log(s**2), scope="for k in {1,2,3}")
    d.step("1", "log rule", rules.algebra(), 2 * log(s))
    assert check([d]).results[0].derivation.scope == "for k in {1,2,3}"


def test_a_sympy_stats_expectation_of_a_normal_is_derives_expectation():
    """E(f(X), evaluate=False) with X = Normal('X', mu, s) is the integral of the density times
    f, which the kernel then decides: the second moment proves, a wrong one is refuted."""
    from sympy import Symbol
    from sympy.stats import E, Normal

    import derive
    from derive import Derivation, rules

    mu, s = Symbol("mu", real=True), Symbol("s", positive=True)
    X = Normal("X", mu, s)
    moment = Derivation("second_moment", "E[X^2] of a normal", E(X**2, evaluate=False))
    moment.step("1", "mu^2 + s^2", rules.evaluate(), mu**2 + s**2)
    wrong = Derivation("wrong_moment", "E[X^2] of a normal, wrong", E(X**2, evaluate=False))
    wrong.step("1", "mu^2", rules.evaluate(), mu**2)
    verdicts = {r.derivation.name: r.steps[0].verdict.status.value for r in derive.check([moment, wrong]).results}
    assert verdicts == {"second_moment": "proved", "wrong_moment": "refuted"}


@pytest.mark.parametrize("write, message", [
    (lambda X, Y: X + 1, "holds the random variable X outside an expectation"),
    (lambda X, Y: __import__("sympy.stats", fromlist=["E"]).E(X**2, X > 0, evaluate=False),
     "is a conditional expectation; derive translates E\\(f\\(X\\)\\) without a condition"),
    (lambda X, Y: __import__("sympy.stats", fromlist=["E"]).E(X * Y, evaluate=False),
     "is over X ~ NormalDistribution, Y ~ BernoulliDistribution; derive translates the expectation of one Normal"),
])
def test_other_sympy_stats_is_refused_saying_what_to_write(write, message):
    from sympy import Symbol
    from sympy.stats import Bernoulli, Normal

    from derive import Derivation, ProofFileError

    X, Y = Normal("X", 0, 1), Bernoulli("Y", Symbol("p", positive=True))
    with pytest.raises(ProofFileError, match=message) as info:
        Derivation("stats", "sympy.stats", write(X, Y))
    assert "derive.gaussian.expectation" in str(info.value)
