"""Hypotheses: how they are read, parameterised and reported (the adversarial cases are in
tests/soundness/test_hypotheses.py)."""

import json

import pytest
from sympy import KroneckerDelta, Max, Min, Rational, Symbol, log

from derive import Derivation, Status, check, check_equal, rules
from derive.errors import ProofFileError
from derive.kernel import _hypotheses
from derive.report import render_json, render_markdown, render_text

p, q = Symbol("p", real=True), Symbol("q", real=True)
j, y = Symbol("j", integer=True), Symbol("y", integer=True)
k = Symbol("k", integer=True, positive=True)
UNIT = [p > 0, p < 1]


def cases(*hypotheses):
    return _hypotheses.cases(_hypotheses.normalised(hypotheses), set())


def test_a_unit_interval_is_one_exact_case():
    (case,) = cases(p > 0, p < 1)
    (symbol, value), = case.mapping
    t = case.fresh[0]
    assert symbol == p and t.is_positive and case.exact
    assert value.subs(t, Rational(1, 10**6)) < Rational(1, 10**5) and value.subs(t, 10**6) > 1 - Rational(1, 10**5)


def test_two_lower_bounds_split_into_cases_that_cover_both_orders():
    found = cases(1 <= j, j <= k, 1 <= y, y <= k)
    assert len(found) == 2 and all(case.exact for case in found)
    orders = {(dict(case.mapping)[j] <= dict(case.mapping)[y]) for case in found}
    assert len(orders) == 2  # one case has j <= y, the other j > y


def test_a_linear_bound_is_solved_for_a_symbol():
    (bound,) = _hypotheses.normalised([p + 2 * q < 1])
    assert bound.upper == p or bound.lower == p
    (bound,) = _hypotheses.normalised([1 - q > 3])
    assert bound.upper == -2 and bound.lower == q


def test_bounds_the_declared_assumptions_imply_are_dropped():
    positive = Symbol("s", positive=True)
    assert _hypotheses.normalised([positive > 0, positive >= -1]) == ()


@pytest.mark.parametrize("claim, hypotheses", [
    ((Max(p, 1 - Rational(1, 10**5)), 1 - Rational(1, 10**5)), UNIT),  # false only for p near 1
    ((Min(p, Rational(1, 10**5)), Rational(1, 10**5)), UNIT),  # false only for p near 0
    ((KroneckerDelta(j, k), 0), [1 <= j, j <= k]),  # false only at j = k
    ((KroneckerDelta(j, 1), 0), [1 <= j, j <= k]),  # false only at j = 1
])
def test_the_numeric_witness_samples_the_edges_of_the_hypotheses(claim, hypotheses):
    assert check_equal(*claim, hypotheses=hypotheses).status is Status.REFUTED


def test_a_derivation_reports_its_hypotheses_in_every_format():
    d = Derivation("kl", "Bernoulli KL", p * log(p / q) + (1 - p) * log((1 - p) / (1 - q)),
                   assuming=[p > 0, p < 1, q > 0, q < 1])
    d.step("split", "", rules.algebra(), p * log(p) + (1 - p) * log(1 - p) - p * log(q) - (1 - p) * log(1 - q))
    report = check([d])
    assert report.ok
    assert "assuming p > 0, p < 1, q > 0, q < 1" in render_text(report)
    assert "p = p_t/(p_t + 1)" in report.results[0].steps[0].verdict.detail
    assert json.loads(render_json(report))["derivations"][0]["hypotheses"] == ["p > 0", "p < 1", "q > 0", "q < 1"]
    assert "assuming p" in render_markdown(report)


def test_without_the_hypotheses_the_same_step_is_not_proved():
    d = Derivation("kl", "Bernoulli KL", (1 - p) * log((1 - p) / (1 - q)))
    d.step("split", "", rules.algebra(), (1 - p) * log(1 - p) - (1 - p) * log(1 - q))
    assert not check([d]).ok


@pytest.mark.parametrize("assuming, message", [
    ([p * q < 1], "linear in one symbol"),
    ([p > 1, p < 0], None),
    ("p > 0", "list of relations"),
])
def test_a_derivation_with_unreadable_hypotheses_is_a_one_line_error(assuming, message):
    if message is None:  # readable, but no value satisfies them: the kernel says so for each step
        d = Derivation("empty", "", p, assuming=assuming)
        d.step("1", "", rules.algebra(), p + 1)
        verdict = check([d]).results[0].steps[0].verdict
        assert verdict.status is Status.UNKNOWN and "no value satisfies" in verdict.detail
        return
    with pytest.raises(ProofFileError, match=message):
        Derivation("bad", "", p, assuming=assuming)
