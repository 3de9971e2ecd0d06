"""The kernel: what it proves, what it refutes, and what it will not decide."""

import pytest
import sympy
from sympy import Function, Integral, Matrix, Rational, Sum, Symbol, exp, log, oo, pi, sqrt, symbols

from derive import Reason, Reasoning, Settings, Status, Verdict, chain, check_equal, instantiate
from derive.kernel import _core, _workers
from derive.kernel import _symbolic as _strategies
from derive.gaussian import GaussianExpectation, expectation, normal_pdf

x = Symbol("x", real=True)
mu1, mu2 = symbols("mu1 mu2", real=True)
s1, s2 = symbols("s1 s2", positive=True)
k = Symbol("k", integer=True, positive=True)
i = Symbol("i", integer=True, positive=True)
p = normal_pdf(x, mu1, s1)
KL = log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - Rational(1, 2)


def assert_refuted(verdict: Verdict) -> None:
    assert verdict.status is Status.REFUTED, verdict
    assert verdict.reason is Reason.NOT_EQUAL
    assert verdict.counterexample is not None
    assert verdict.counterexample.lhs_value != verdict.counterexample.rhs_value


@pytest.mark.parametrize("lhs, rhs", [
    (log(s1**2), 2 * log(s1)),
    (log(s2 / s1), log(s2) - log(s1)),
    ((x + mu1) ** 2, x**2 + 2 * x * mu1 + mu1**2),
    (KL, Rational(1, 2) * (log(s2**2 / s1**2) - 1 + s1**2 / s2**2 + (mu2 - mu1) ** 2 / s2**2)),
    (Matrix([[s1, x], [0, s2]]) * Matrix([[s1, 0], [x, s2]]), Matrix([[s1**2 + x**2, x * s2], [x * s2, s2**2]])),
])
def test_true_identities_are_proved(lhs, rhs):
    verdict = check_equal(lhs, rhs)
    assert verdict.status is Status.PROVED, verdict
    assert verdict.reason is Reason.SYMBOLIC_AND_NUMERIC
    assert verdict.conclusive_points >= Settings().min_conclusive


@pytest.mark.parametrize("wrong", [
    -KL,  # sign error
    log(s2**2 / s1**2) - 1 + s1**2 / s2**2 + (mu2 - mu1) ** 2 / s2**2,  # 3.2 with its 1/2 missing
    log(s1 / s2) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - Rational(1, 2),  # inverted log ratio
    log(s2 / s1) + (s1 + (mu1 - mu2) ** 2) / (2 * s2**2) - Rational(1, 2),  # sigma instead of sigma^2
    log(s2 / s1) + s1**2 / (2 * s2**2) - Rational(1, 2),  # dropped mean term
])
def test_wrong_closed_forms_are_refuted(wrong):
    assert_refuted(check_equal(KL, wrong))


def test_missing_minus_k_is_refuted():
    s = sympy.IndexedBase("s", positive=True)
    right = Rational(1, 2) * Sum(s[i] ** 2 - 1 - log(s[i] ** 2), (i, 1, k))
    wrong = Rational(1, 2) * (Sum(s[i] ** 2 - log(s[i] ** 2), (i, 1, k)))
    assert check_equal(right, Rational(1, 2) * (Sum(s[i] ** 2 - log(s[i] ** 2), (i, 1, k)) - k)).proved
    verdict = check_equal(right, wrong)
    assert_refuted(verdict)
    assert "k" in verdict.counterexample.assignment


def test_dropped_cross_term_is_refuted():
    with_cross = expectation((x - mu2) ** 2, x, p)
    assert check_equal(with_cross, s1**2 + (mu1 - mu2) ** 2).proved
    assert_refuted(check_equal(with_cross, s1**2 + (mu1 - mu2) ** 2 + 2 * (mu1 - mu2) * mu1))


def test_log_of_square_needs_a_positive_symbol():
    real = Symbol("r", real=True)
    verdict = check_equal(log(real**2), 2 * log(real))
    assert_refuted(verdict)
    assert sympy.Rational(verdict.counterexample.assignment["r"]) < 0


def test_integral_with_the_wrong_normaliser_is_refuted():
    wrong_density = exp(-(x - mu1) ** 2 / (2 * s1**2)) / sqrt(pi * s1**2)
    assert_refuted(check_equal(Integral(wrong_density, (x, -oo, oo)), 1))
    assert check_equal(Integral(p, (x, -oo, oo)), 1).proved


def test_narrow_gaussian_far_from_zero_integrates_correctly():
    narrow = normal_pdf(x, Rational(3717, 100), Rational(1, 300))
    verdict = check_equal(Integral(narrow, (x, -oo, oo)), 1)
    assert verdict.status is not Status.REFUTED
    assert verdict.conclusive_points == Settings().samples


def test_gaussian_integrals_are_proposed_in_closed_form_and_still_checked():
    def closed(body, limits=(x, -oo, oo)):
        return _strategies._gaussian_integral(Integral(_strategies._expanded(body), limits))

    assert sympy.simplify(closed(x**2 * p) - (s1**2 + mu1**2)) == 0
    assert sympy.simplify(closed((x - mu1) ** 4 * p) - 3 * s1**4) == 0
    a = Symbol("a", real=True)  # exp(-a x^2) decays only for a > 0, which a real a does not promise
    assert closed(exp(-a * x**2)) is None
    assert closed(sympy.sin(x) * p) is None
    assert closed(p, (x, 0, oo)) is None
    third = check_equal(Integral(x**3 * p, (x, -oo, oo)), mu1**3 + 3 * mu1 * s1**2)
    assert third.proved and third.strategy == "evaluate"
    assert_refuted(check_equal(Integral(x**3 * p, (x, -oo, oo)), mu1**3 + mu1 * s1**2))
    # Not Gaussian: sympy integrates it as before.
    assert check_equal(Integral(exp(-x), (x, 0, oo)), 1).proved


def test_constants_that_cancel_inside_an_integrand_keep_their_digits():
    # Folded one by one to floats, 10**13*pi and its integer part would leave c no digits at all.
    c = 10**13 * pi - int(sympy.floor(10**13 * pi))
    assert check_equal(Integral(exp(-x**2) * (x**2 + c), (x, -oo, oo)), sqrt(pi) * (Rational(1, 2) + c)).proved


def test_an_expectation_polynomial_only_once_expanded_is_taken():
    assert check_equal(GaussianExpectation(exp(x) * (exp(-x) + x**2 * exp(-x)), [x], Matrix([0]), Matrix([[1]])),
                       2).proved


def test_counterexample_gives_every_free_symbol_and_is_deterministic():
    first = check_equal(KL, -KL)
    second = check_equal(KL, -KL)
    assert set(first.counterexample.assignment) == {"mu1", "mu2", "s1", "s2"}
    assert first.counterexample == second.counterexample
    assert first.counterexample != check_equal(KL, -KL, settings=Settings(seed=7)).counterexample


def test_samples_cover_the_edges_and_leave_the_unit_interval():
    from derive.kernel import _numeric

    verdict = check_equal(log(s1), log(s1) + 1)
    assert float(sympy.Rational(verdict.counterexample.assignment["s1"])) > 0
    edges = {p.value_of(s1) for p in _numeric.sample_points([s1], 0, Settings().samples) if p.edge}
    assert {1, Rational(1, 10**6), 10**6} <= edges
    randoms = {float(p.value_of(s1)) for seed in range(6) for p in _numeric.sample_points([s1], seed, 8)
               if not p.edge}
    assert any(v > 1 for v in randoms) and any(v < 1 for v in randoms)


def test_divisor_that_may_vanish_is_not_proved():
    r = Symbol("r", real=True)
    verdict = check_equal((r**2 - 1) / (r - 1), r + 1)
    assert verdict.status is Status.UNKNOWN
    assert verdict.reason is Reason.ASSUMPTION_MISSING
    assert "r - 1" in verdict.detail


def test_convergence_condition_not_implied_is_not_proved():
    a = Symbol("a", real=True)
    verdict = check_equal(Integral(exp(-a * x**2), (x, -oo, oo)), sqrt(pi / a))
    assert verdict.status is not Status.PROVED
    a_pos = Symbol("a", positive=True)
    assert check_equal(Integral(exp(-a_pos * x**2), (x, -oo, oo)), sqrt(pi / a_pos)).proved


def test_invalid_input_is_unknown_not_an_exception():
    verdict = check_equal("x + 1", x + 1)
    assert verdict.status is Status.UNKNOWN and verdict.reason is Reason.INVALID_INPUT


def test_shape_mismatch_is_refuted():
    verdict = check_equal(Matrix([x, x]), Matrix([[x, x]]))
    assert verdict.status is Status.REFUTED and verdict.reason is Reason.SHAPE_MISMATCH


def test_verdicts_cannot_be_forged_or_edited():
    with pytest.raises(TypeError):
        Verdict(object(), status=Status.PROVED, reason=Reason.SYMBOLIC_AND_NUMERIC, lhs=x, rhs=x + 1)
    verdict = check_equal(x, x)
    with pytest.raises(AttributeError):
        verdict.status = Status.REFUTED


def test_reasoning_levels_limit_the_symbolic_witness():
    split = Integral(p * (x + 1), (x, -oo, oo))
    joined = Integral(p * x, (x, -oo, oo)) + Integral(p, (x, -oo, oo))
    algebra = check_equal(split, joined, reasoning=Reasoning.ALGEBRA)
    assert algebra.status is Status.UNKNOWN and algebra.reason is Reason.UNDECIDED
    assert check_equal(split, joined, reasoning=Reasoning.LINEARITY).proved
    assert not check_equal(joined, mu1 + 1, reasoning=Reasoning.LINEARITY).proved
    assert check_equal(joined, mu1 + 1, reasoning=Reasoning.EVALUATION).proved


def test_using_a_proved_lemma_and_refusing_an_unproved_one():
    second_moment = check_equal(expectation((x - mu1) ** 2, x, p), s1**2)
    assert second_moment.proved
    claim = (expectation((x - mu1) ** 2, x, p) + 1, s1**2 + 1)
    assert check_equal(*claim, using=[second_moment], reasoning=Reasoning.ALGEBRA).proved
    wrong_lemma = check_equal(expectation((x - mu1) ** 2, x, p), s1)
    verdict = check_equal(*claim, using=[wrong_lemma], reasoning=Reasoning.ALGEBRA)
    assert verdict.reason is Reason.DEPENDENCY_NOT_PROVED


def test_instantiate_checks_assumptions():
    theorem = check_equal(log(s1**2), 2 * log(s1))
    assert instantiate(theorem, {s1: s2 + 1}).proved
    real = Symbol("r", real=True)
    refused = instantiate(theorem, {s1: real})
    assert refused.status is Status.UNKNOWN and refused.reason is Reason.ASSUMPTION_MISSING
    f = Function("f", positive=True)
    positive_function = check_equal(log(f(x) ** 2), 2 * log(f(x)))
    assert instantiate(positive_function, {f: sympy.Lambda(x, exp(x))}).proved
    assert not instantiate(positive_function, {f: sympy.Lambda(x, x)}).proved


def test_chain_needs_links_that_meet():
    a = check_equal(log(s1 * s2), log(s1) + log(s2))
    b = check_equal(log(s1) + log(s2), log(s2) + log(s1))
    assert chain([a, b]).proved
    assert chain([a, check_equal(x, x)]).reason is Reason.INVALID_INPUT
    assert chain([a, check_equal(log(s1) + log(s2), log(s2))]).reason is Reason.DEPENDENCY_NOT_PROVED


def test_symbolic_claim_contradicted_numerically_is_a_witness_conflict():
    # The kernel decides from the witnesses' answers: a symbolic witness that says "zero" for
    # s1 == s1 + 1 loses to the numbers (a wrong sympy simplification caught).
    lying = _strategies.Answer("lying", (), (), ())
    numeric = _core._answers(_workers.run(_core._jobs(s1, s1 + 1, [], Reasoning.EVALUATION, Settings())))[1]
    verdict = _core._decide(s1, s1 + 1, lying, numeric, Reasoning.EVALUATION, Settings(), 0.0,
                            dict(strategy="lying"))
    assert verdict.status is Status.REFUTED
    assert verdict.reason is Reason.WITNESS_CONFLICT
    assert "one witness is wrong" in verdict.detail


def test_strategy_time_limit_gives_timeout():
    hard = sympy.exp(sympy.sin(x) ** 2) * sympy.sin(x) ** 30 - sympy.exp(sympy.cos(x)) * (1 - sympy.cos(x) ** 2) ** 15
    verdict = check_equal(hard + 1, hard + 1 + x - x, settings=Settings(seconds_per_strategy=0.001))
    assert verdict.proved  # identical after construction: no strategy needs time
    slow = check_equal(sympy.sin(x) ** 40, (1 - sympy.cos(x) ** 2) ** 20, settings=Settings(seconds_per_strategy=0.001))
    assert slow.status is Status.UNKNOWN
    assert slow.reason is Reason.TIMEOUT


def test_instantiate_refuses_a_substitution_that_a_binder_would_capture():
    t, x, y, m = symbols("t x y m", real=True)
    partial = check_equal(Integral(t * y, (t, 0, x)), x**2 * y / 2)
    assert partial.proved
    # t -> y inside the integral over t, or y -> t: either would change what the integral means.
    for mapping in ({x: t}, {y: t}):
        refused = instantiate(partial, mapping)
        assert refused.status is Status.UNKNOWN and refused.reason is Reason.INVALID_INPUT
        assert "bound inside" in refused.detail
    assert instantiate(partial, {y: m}).proved
    mean = check_equal(GaussianExpectation(x * y, [x], Matrix([m]), Matrix([[1]])), m * y)
    assert mean.proved
    assert instantiate(mean, {y: x}).reason is Reason.INVALID_INPUT  # E[x*x] is not m*x
    slope = check_equal(sympy.Derivative(x * y, x), y)
    assert instantiate(slope, {y: x}).reason is Reason.INVALID_INPUT  # d/dx (x*x) is not x


def test_a_claim_that_cannot_be_evaluated_at_a_point_is_unknown_not_a_crash():
    x = Symbol("x", positive=True)
    verdict = check_equal(Integral(x, (x, 0, x)), x**2 / 2)
    assert verdict.status is Status.UNKNOWN and verdict.conclusive_points == 0


def test_time_limits_work_in_any_thread_and_leave_the_callers_timer_and_precision_alone():
    import signal
    import threading

    import mpmath

    signal.setitimer(signal.ITIMER_REAL, 1000.0)  # the caller's own timer (pytest-timeout uses one)
    precision = mpmath.mp.prec
    found = {}
    slow = (sympy.sin(x) ** 40, (1 - sympy.cos(x) ** 2) ** 20)
    worker = threading.Thread(target=lambda: found.update(
        verdict=check_equal(*slow, settings=Settings(seconds_per_strategy=0.001))))
    try:
        worker.start()
        worker.join()
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    assert found["verdict"].reason is Reason.TIMEOUT
    assert 900 < remaining <= 1000
    assert mpmath.mp.prec == precision


def test_an_exception_while_deciding_one_step_is_that_steps_unknown_and_the_rest_are_checked(monkeypatch):
    """A bug in a witness or in sympy (here: a claim's key raising as a generator that met
    StopIteration does) is the step's unknown verdict with reason INTERNAL_ERROR and the
    exception's one line, whether it strikes while answering ahead (prefetch) or deciding; the
    other steps of the run are decided as ever."""
    import derive
    from derive.derivation import Derivation
    from derive import rules

    x = Symbol("x", real=True)
    fragile = Symbol("fragile", real=True)
    keyed = _core._answers_key

    def breaks_on_fragile(lhs, rhs, *rest):
        if fragile in lhs.free_symbols:
            raise RuntimeError("generator raised StopIteration")
        return keyed(lhs, rhs, *rest)

    monkeypatch.setattr(_core, "_answers_key", breaks_on_fragile)
    good = Derivation("good", "fine", x + x)
    good.step("1", "2x", rules.algebra(), 2 * x)
    bad = Derivation("bad", "breaks a witness", (fragile + 1) ** 2)
    bad.step("1", "expand", rules.algebra(), fragile**2 + 2 * fragile + 1)
    report = derive.check([bad, good])
    verdicts = {r.derivation.name: r.steps[0].verdict for r in report.results}
    assert verdicts["good"].proved
    assert (verdicts["bad"].status, verdicts["bad"].reason) == (Status.UNKNOWN, Reason.INTERNAL_ERROR)
    assert verdicts["bad"].detail == "RuntimeError: generator raised StopIteration"


# --- multi-dimensional integrals ----------------------------------------------------------------

y = Symbol("y", real=True)
standard_y = exp(-y**2 / 2) / sqrt(2 * pi)


def test_a_double_gaussian_integral_is_proved_and_a_wrong_one_is_unknown_saying_why_in_bounded_time():
    both = Integral(p * standard_y, (x, -oo, oo), (y, -oo, oo))
    proved = check_equal(both, 1)
    assert proved.proved, proved
    assert proved.numeric_seconds < 120
    # Confirming the difference needs a careful evaluation of the nested integral, more than the
    # witness may spend: never a refutation the careful method did not confirm. Where the points
    # finish within their time limit, the careful method runs out of its work budget (the same on
    # every machine) and the witness stops at the second such point instead of spending the time
    # limit at each of 15; on a slower machine the points reach the time limit first.
    square = Integral((x + y) ** 2 * p * standard_y, (x, -oo, oo), (y, -oo, oo))
    wrong = check_equal(square, mu1**2 + s1**2 + Rational(11, 10))
    assert wrong.status is Status.UNKNOWN, wrong
    too_costly = "the careful re-evaluation could not confirm it (too costly to evaluate numerically (a " \
                 "multi-dimensional integral by nested quadrature))" in wrong.detail
    assert too_costly and wrong.numeric_seconds < 90 or "took too long (stopped after 20.0 s, the limit per " \
                                                        "point)" in wrong.detail, wrong.detail


def test_a_spike_the_inner_standard_method_skips_is_not_refuted():
    """The inner integral's standard method skips segments whose three sampled values are tiny,
    and so misses the peak of sech(1000 (x - y)) at x = y: careful mode integrates every segment
    of an inner integral too, so the miss is never confirmed (it was, when the careful pass kept
    the inner integrals' standard method)."""
    spike = Integral(1 / sympy.cosh(1000 * (x - y)), (x, -oo, oo), (y, 0, 1))
    assert check_equal(spike, pi / 1000).status is not Status.REFUTED


def test_a_point_that_takes_too_long_is_named_in_the_unknown_verdict():
    # Not an integral another test evaluates: the workers keep the values they computed.
    square = Integral((x - y) ** 2 * p * standard_y, (x, -oo, oo), (y, -oo, oo))
    verdict = check_equal(square, mu1**2 + s1**2 + Rational(11, 10), settings=Settings(seconds_per_point=0.2))
    assert verdict.status is Status.UNKNOWN, verdict
    assert "the numeric witness could not decide 15 of 15 points, the first point 1 of 15 took too long " \
           "(stopped after 0.2 s, the limit per point)" in verdict.detail
