"""Hypotheses (``check_equal(..., hypotheses=...)``, ``Derivation(..., assuming=...)``): a claim
true only outside the hypotheses is never proved, a claim stated under hypotheses is never
proved for more than they allow, and nothing that rests on hypotheses (a lemma, an origin, an
instance) is used where they do not follow."""

import pytest
from sympy import Abs, Derivative, Eq, Float, Function, Integral, Mul, Rational, Symbol, exp, log, oo, sign, sqrt

from derive import Derivation, Reason, Status, check, check_equal, chain, instantiate, rules

from ._helpers import assert_not_proved

x, a, b = Symbol("x", real=True), Symbol("a", real=True), Symbol("b", real=True)
p, q = Symbol("p", real=True), Symbol("q", real=True)
j, k = Symbol("j", integer=True), Symbol("k", integer=True)
positive = Symbol("s", positive=True)
x_any = Symbol("x")  # no assumptions: x < oo is not trivially true of it
UNIT = [p > 0, p < 1]


def proved(lhs, rhs, **kwargs):
    verdict = check_equal(lhs, rhs, **kwargs)
    assert verdict.status is Status.PROVED, f"expected a proof: {verdict!r}"
    return verdict


def test_a_claim_false_inside_the_hypotheses_is_refuted_there():
    """|x| = x fails at x = -1/2, inside x > -1: the counterexample satisfies the hypothesis."""
    verdict = check_equal(Abs(x), x, hypotheses=[x > -1])
    assert verdict.status is Status.REFUTED
    assert -1 < Rational(verdict.counterexample.assignment["x"]) < 0


def test_a_claim_true_only_under_the_hypotheses_needs_them():
    assert_not_proved(check_equal(Abs(x), x))
    proved(Abs(x), x, hypotheses=[x > 0])
    assert_not_proved(check_equal(Abs(x), x, hypotheses=[x > -Rational(1, 10**9)]))


@pytest.mark.parametrize("hypotheses", [[x > 1, x < 0], [x > 2, x < 2], [j >= 3, j <= 2], [positive < 0], [x > x + 1]])
def test_hypotheses_no_value_satisfies_prove_nothing(hypotheses):
    """Vacuous truth is no proof: 1 = 2 under x > 1, x < 0 is refused."""
    verdict = check_equal(x + 1, x + 2, hypotheses=hypotheses)
    assert verdict.status is Status.UNKNOWN and verdict.reason is Reason.INVALID_INPUT


@pytest.mark.parametrize("hypothesis", [Eq(p, Rational(1, 2)), p * q < 1, p < Float(0.5), Function("f")(p) > 0,
                                        p > Integral(x, (x, 0, 1)), p < Function("g")(q)])
def test_a_hypothesis_the_kernel_cannot_read_is_refused(hypothesis):
    verdict = check_equal(p, Rational(1, 2), hypotheses=[hypothesis])
    assert verdict.status is Status.UNKNOWN


def test_a_hypothesis_on_a_bound_variable_is_refused():
    """x is integrated over [0, 2]; a hypothesis x < 1 about a free x does not narrow it."""
    claim = (Integral(Abs(x - 1), (x, 0, 2)), Integral(1 - x, (x, 0, 2)))
    assert_not_proved(check_equal(*claim, hypotheses=[x < 1]))


def test_an_inexact_parameterisation_never_refutes():
    """s is declared positive; s > q is parameterised as s = q + t, which also reaches s < 0,
    where sqrt(s**2) written as s would differ: that is no counterexample to the claim."""
    verdict = check_equal(Abs(positive), positive, hypotheses=[positive > q])
    assert verdict.status is not Status.REFUTED


def test_an_integer_range_is_checked_at_every_value():
    product = (j - 1) * (j - 2) * (j - 3)
    proved(product, 0, hypotheses=[1 <= j, j <= 3])
    verdict = check_equal(product, 0, hypotheses=[1 <= j, j <= 4])
    assert verdict.status is Status.REFUTED and verdict.counterexample.assignment["j"] == "4"


def test_the_closed_ends_of_an_interval_are_cases_of_their_own():
    """sign(p) = 1 everywhere but at p = 0: proving it for the interior alone would be wrong."""
    proved(sign(p), 1, hypotheses=[p > 0, p <= 1])
    verdict = check_equal(sign(p), 1, hypotheses=[p >= 0, p <= 1])
    assert verdict.status is Status.REFUTED and verdict.counterexample.assignment["p"] == "0"


def test_a_lemma_under_hypotheses_is_used_only_where_they_follow():
    lemma = proved(log(1 - p), log(1 - p), hypotheses=UNIT)
    split = proved(log(p * (1 - p)), log(p) + log(1 - p), hypotheses=UNIT)
    assert check_equal(log(p * (1 - p)), log(p) + log(1 - p), using=[split]).reason is Reason.ASSUMPTION_MISSING
    assert check_equal(log(p * (1 - p)), log(p) + log(1 - p), using=[split],
                       hypotheses=[p > 0]).reason is Reason.ASSUMPTION_MISSING
    proved(log(p * (1 - p)), log(p) + log(1 - p), using=[split, lemma],
           hypotheses=[p > Rational(1, 4), p < Rational(1, 2)])


def test_chain_discharges_each_links_hypotheses():
    link = proved(log(p * (1 - p)), log(p) + log(1 - p), hypotheses=UNIT)
    assert chain([link]).status is Status.UNKNOWN
    assert chain([link], [p > 0]).status is Status.UNKNOWN
    assert chain([link], UNIT).proved
    assert chain([link], UNIT).hypotheses == link.hypotheses


def test_an_instance_carries_the_hypotheses_with_the_values_written_in():
    split = proved(log(p * (1 - p)), log(p) + log(1 - p), hypotheses=UNIT)
    assert instantiate(split, {p: Rational(1, 3)}).hypotheses == ()
    assert instantiate(split, {p: Rational(1, 3)}).proved
    assert instantiate(split, {p: Rational(3, 2)}).status is Status.UNKNOWN
    half = instantiate(split, {p: q / 2})
    assert half.proved and half.hypotheses
    assert chain([half]).status is Status.UNKNOWN
    assert chain([half], [q > 0, q < 2]).proved


def test_an_edited_verdict_is_no_verdict():
    verdict = proved(Abs(x), x, hypotheses=[x > 0])
    object.__setattr__(verdict, "hypotheses", ())
    assert chain([verdict]).status is Status.UNKNOWN
    assert instantiate(verdict, {x: Rational(-1)}).status is Status.UNKNOWN


def test_a_derivative_in_a_bounded_symbol_is_taken_before_the_parameterisation():
    """d/dp written in p = t/(1 + t) would be d/dp of an expression without p (0): the kernel
    differentiates first."""
    entropy = p * log(p) + (1 - p) * log(1 - p)
    proved(Derivative(entropy, p), log(p) - log(1 - p), hypotheses=UNIT)
    assert check_equal(Derivative(entropy, p), 0, hypotheses=UNIT).status is Status.REFUTED


def test_a_derivation_under_hypotheses_needs_its_origin_and_lemmas_to_follow(write_proof):
    from derive.loader import load

    path = write_proof("hyp.py", """
        from sympy import Rational, Symbol, log
        from derive import Derivation, lemma, rules

        p = Symbol("p", real=True)
        split = lemma("split", log(p * (1 - p)), log(p) + log(1 - p), rules.algebra(), assuming=[p > 0, p < 1])
        wide = Derivation("wide", "uses the lemma on p > 0 alone", log(p * (1 - p)), assuming=[p > 0])
        wide.step("1", "split", rules.use(split), log(p) + log(1 - p))
        narrow = Derivation("narrow", "uses it on 1/4 < p < 1/2", log(p * (1 - p)),
                            assuming=[p > Rational(1, 4), p < Rational(1, 2)])
        narrow.step("1", "split", rules.use(split), log(p) + log(1 - p))
        absolute = lemma("absolute", abs(p), p, rules.algebra(), assuming=[p > 0])
        anywhere = Derivation("anywhere", "starts from it with no hypotheses", origin=absolute)
        anywhere.step("1", "p = 2p/2", rules.algebra(), 2 * p / 2)
        above_one = Derivation("above_one", "starts from it for p > 1", origin=absolute, assuming=[p > 1])
        above_one.step("1", "p = 2p/2", rules.algebra(), 2 * p / 2)
    """)
    report = check(load([str(path)]).defined)
    status = {r.derivation.name: r.theorem.status for r in report.results}
    assert status == {"split": Status.PROVED, "wide": Status.UNKNOWN, "narrow": Status.PROVED,
                      "absolute": Status.PROVED, "anywhere": Status.UNKNOWN, "above_one": Status.PROVED}


def test_hypotheses_survive_a_certificate(write_proof):
    from derive.certificates import load_certified

    path = write_proof("cert.py", """
        from sympy import Abs, Symbol
        from derive import Derivation, rules

        x = Symbol("x", real=True)
        d = Derivation("abs", "|x| = x for x > 0", Abs(x), assuming=[x > 0])
        d.step("1", "x > 0", rules.algebra(), x)
    """)
    (derivation,) = load_certified([path]).defined
    assert [str(h) for h in derivation.hypotheses] == ["x > 0"]
    assert check([derivation]).ok


def test_a_derivation_states_its_hypotheses():
    d = Derivation("unit", "|x| = x", Abs(x), assuming=[x > 0])
    d.step("1", "", rules.algebra(), x)
    assert check([d]).ok
    unbounded = Derivation("any", "|x| = x", Abs(x))
    unbounded.step("1", "", rules.algebra(), x)
    assert not check([unbounded]).ok


def test_an_integer_end_sympy_cannot_recognise_is_still_in_the_range():
    """1 written as (1 + sqrt 2)(sqrt 2 - 1): j = 1 must be a case (found by an adversarial review)."""
    one = Mul(1 + sqrt(2), sqrt(2) - 1, evaluate=False)
    assert check_equal((j - 2) * (j - 3), 0, hypotheses=[one <= j, j <= 3]).status is Status.REFUTED
    assert check_equal((j - 1) * (j - 2), 0, hypotheses=[1 <= j, j <= 3 * one]).status is Status.REFUTED


@pytest.mark.parametrize("hypotheses", [[x_any < oo], [-oo < x_any], [x_any > 0, x_any < oo]])
def test_an_infinite_bound_is_refused(hypotheses):
    """exp(-x) = 0 only at x = oo, which x < oo must not make a case (an adversarial review)."""
    assert_not_proved(check_equal(exp(-x_any), 0, hypotheses=hypotheses))
    assert check_equal(sign(exp(-x_any)), 1, hypotheses=hypotheses).status is not Status.REFUTED


def test_a_lemma_is_not_carried_to_infinity():
    lemma = proved(Abs(x_any), x_any, hypotheses=[x_any > 5])
    assert chain([lemma], [x_any < oo]).status is Status.UNKNOWN
    assert instantiate(lemma, {x_any: oo}).status is Status.UNKNOWN


def test_hypotheses_no_value_satisfies_give_no_chain_and_no_instance():
    assert chain([proved(p, p)], [p > 1, p < 0]).status is Status.UNKNOWN
    between = proved(Abs(p) + Abs(q), p + q, hypotheses=[p > 0, p < 1, q > 2])
    assert instantiate(between, {p: q}).status is Status.UNKNOWN
    assert instantiate(between, {p: q - 2}).proved


def test_hypotheses_on_a_symbol_named_like_the_claims_but_with_other_assumptions_are_refused():
    """A real p < 1 said nothing about the claim's positive p: the kernel decided the claim under
    a substitution of the one and refuted the true log(p/(1-p)) + log((1-p)/p) = 0 at p = 1 - p_t."""
    p, real_p = Symbol("p", positive=True), Symbol("p", real=True)
    claim = log(p / (1 - p)) + log((1 - p) / p)
    verdict = check_equal(claim, 0, hypotheses=[real_p < 1])
    assert verdict.status is Status.UNKNOWN and verdict.reason is Reason.INVALID_INPUT
    assert "different symbols" in verdict.detail
    assert check_equal(claim, 0, hypotheses=[p < 1]).proved


def test_a_chain_under_hypotheses_on_a_symbol_named_like_its_own_is_refused_too():
    p, real_p = Symbol("p", positive=True), Symbol("p", real=True)
    link = check_equal(log(p / (1 - p)), log(p) - log(1 - p), hypotheses=[p < 1])
    assert link.proved
    verdict = chain([link], hypotheses=[real_p < 1])
    assert verdict.status is Status.UNKNOWN and verdict.reason is Reason.INVALID_INPUT
    assert "different symbols" in verdict.detail
    assert chain([link], hypotheses=[p < 1]).proved
