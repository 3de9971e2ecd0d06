"""Round 2 of the adversarial review: new ways to get a false claim PROVED or a true one REFUTED.

Findings (each test below asserts the sound outcome, so a test that fails is a hole today):

* instantiate re-runs sympy's constructors: xreplace rebuilds every node through its ``eval``,
  so a sympy evaluation bug (sympy issue #28744, ``Mod(8*Mod(n, 4), 64)`` becomes
  ``8*Mod(Mod(n, 4)**2, 8)``) turns a true lemma into a false instance, and instantiate asks no
  witness about the result;
* the same sympy bug inside the symbolic ``evaluate`` strategy (``Subs.doit``), while the
  numeric witness never draws an integer above 1000, where the claim is false;
* a non-integrable pole of a non-linear denominator inside the range of integration, only for
  parameters the sampler never draws (``_domains._pole_inside`` looks at linear factors only);
* derivatives at a kink: the numeric witness takes a symmetric difference, which exists where
  the derivative does not (``d/dx max(x, 0)`` at 0, ``d/dx |x**3 - 2|`` at 2**(1/3));
* an infinite series whose mass lies far from its start: the series accelerations (and the
  careful re-evaluation) extrapolate from the first terms and confirm a wrong value;
* a Gaussian expectation over an indexed element: the numeric witness does not bind the element;
* undefined functions declared nonnegative (or negative, integer, ...): their numeric stand-ins
  keep only ``positive`` and ``real``;
* ``derive check``: a ``trust_operator`` declaration makes the checking process import the
  operator's file, whose code then decides every step (no axiom is listed for them);
* ``derive check``: the proof file's process can read the cache key (the checker's environment
  in /proc, or the user's key file) and sign a record for a false claim.

Also attacks the kernel withstood, next to the known classes (regression guards).
"""

from __future__ import annotations

import pytest
from sympy import (Abs, Derivative, Function, Heaviside, IndexedBase, Integer, Integral, Max, Mod, Subs, Sum,
                   Symbol, exp, floor, oo, sign, sqrt)

from derive import Settings, Status, check_equal, instantiate
from derive.gaussian import GaussianExpectation

from ._helpers import assert_not_proved, assert_not_refuted, claims_proved, run_cli, write

x = Symbol("x", real=True)
FAST = Settings(seconds_per_strategy=3)  # a strategy that times out is UNKNOWN: fine for these tests


# -- instantiate and sympy's constructors ---------------------------------------------------------

def _mod_lemma():
    """Mod(a Mod(n, 4), 64) = Subs(Mod(b Mod(n, 4), 64), b, a) for real a, integer n: true (the
    right side is the left side by definition of Subs); proved by the kernel."""
    n = Symbol("n", integer=True)
    a, b = Symbol("a", real=True), Symbol("b", real=True)
    lemma = check_equal(Mod(a * Mod(n, 4), 64), Subs(Mod(b * Mod(n, 4), 64), b, a))
    return lemma, a, n


def test_instance_rebuilt_by_a_buggy_sympy_constructor():
    """The instance a = 8 of the true lemma above. Substitution that rebuilds Mod(8 Mod(n, 4), 64)
    through sympy's constructors gets 8 Mod(Mod(n, 4)**2, 8) (sympy 1.14, issue #28744), and the
    instance would claim 8 Mod(Mod(n, 4)**2, 8) = Subs(Mod(b Mod(n, 4), 64), b, 8): false at n = 2
    (left 8 * (4 mod 8) = 32, right 16 mod 64 = 16) and n = 3 (8 vs 24). Whatever instantiate
    proves must hold: both sides, as the verdict states them, agree at n = 0 .. 7."""
    import sympy

    def literal(side):  # a Subs written out without sympy's evaluation (which has the bug)
        if isinstance(side, Subs):
            with sympy.evaluate(False):
                return side.expr.xreplace(dict(zip(side.variables, side.point)))
        return side

    lemma, a, n = _mod_lemma()
    verdict = instantiate(lemma, {a: Integer(8)})
    if verdict.status is Status.PROVED:
        sides = [sympy.lambdify(n, literal(side), modules="mpmath") for side in (verdict.lhs, verdict.rhs)]
        assert all(sides[0](v) == sides[1](v) for v in range(8)), verdict


def test_cli_origin_instance_rebuilt_by_a_buggy_sympy_constructor(tmp_path):
    """The same through `derive check`: a derivation whose origin is the instance a = 8 claims
    Mod(8 Mod(n, 4), 64) = 8 Mod(Mod(n, 4)**2, 8), what sympy's constructor makes of it: false at
    n = 2 (16 vs 32)."""
    path = write(tmp_path, "mod_instance.py", """
        from sympy import Integer, Mod, Subs, Symbol
        from derive import Derivation, rules

        n = Symbol("n", integer=True)
        a, b = Symbol("a", real=True), Symbol("b", real=True)
        lemma = Derivation("mod_lemma", "Mod(a Mod(n, 4), 64) as a substitution", Mod(a * Mod(n, 4), 64))
        lemma.step("1", "b = a", rules.evaluate(), Subs(Mod(b * Mod(n, 4), 64), b, a))
        d = Derivation("mod_instance", "8 Mod(Mod(n, 4)**2, 8) = Mod(8 Mod(n, 4), 64)", origin=lemma.instance({a: Integer(8)}))
        d.step("1", "sympy's form of it", rules.algebra(), 8 * Mod(Mod(n, 4)**2, 8))
    """)
    result = run_cli("check", "--no-cache", str(path), cwd=tmp_path)
    assert "certificate" not in result.stderr, result.stderr  # the proof file itself loads
    assert not claims_proved(result.stdout, "mod_instance"), result.stdout
    assert result.returncode != 0, result.stdout + result.stderr


@pytest.mark.parametrize("scale", [10, 100, 1000])
def test_substitution_evaluated_by_a_buggy_sympy_constructor_away_from_the_edges(scale):
    """Subs(Mod(a Mod(k, 4), 64), a, 8) = 8 Mod(Mod(k, 4)**2, 8) with k = floor(n/scale), n >= 0:
    the left side is Mod(8 (k mod 4), 64) = 8 (k mod 4). 'evaluate' opens the Subs into sympy's
    wrong 8 Mod(Mod(k, 4)**2, 8) (issue #28744), and the edge points n = 0 .. 3 give k = 0, where
    both agree. False at n = 2 scale (k = 2: 16 vs 32) and n = 3 scale (24 vs 8): the random
    integers must reach past the edges, through every decade up to 10**9. (A claim false only
    where no point falls, such as n in [2 * 10**12, 3 * 10**12), is beyond any sampler: README,
    What you trust.)"""
    n = Symbol("n", integer=True, nonnegative=True)
    a = Symbol("a", real=True)
    k = floor(n / scale)
    claim = (Subs(Mod(a * Mod(k, 4), 64), a, 8), 8 * Mod(Mod(k, 4) ** 2, 8))
    assert_not_proved(check_equal(*claim))


# -- poles of non-linear denominators ----------------------------------------------------------------

def test_quadratic_pole_inside_the_range_for_unsampled_parameters():
    """Integral(x/(x**2 - (b - 500)**2 - 1), (x, -300, 300)) = 0 for real b (the integrand is odd):
    for 200 < b < 800 (never drawn: random |b| <= 31.6, edges 0, +-1e-6, +-1, +-1e6) the poles
    x = +-sqrt((b - 500)**2 + 1) lie inside (-300, 300) and the integral diverges; at b = 500 the
    integrand is x/(x**2 - 1) (mpmath: the integral from 1 + 10**-k to 2 grows like k log 10)."""
    b = Symbol("b", real=True)
    assert_not_proved(check_equal(Integral(x / (x**2 - (b - 500) ** 2 - 1), (x, -300, 300)), 0))


def test_quadratic_poles_inside_two_ranges_between_the_sampled_magnitudes():
    """Integral(x/(x**2 - a), (x, 100, 300)) + Integral(x/(x**2 - a), (x, -300, -100)) = 0 for
    a > 0: both diverge for 10**4 < a < 9 * 10**4 (a = 2 * 10**4: pole at x = 141.4), a range
    between the largest random draw (31.6) and the edge 10**6."""
    a = Symbol("a", positive=True)
    lhs = Integral(x / (x**2 - a), (x, 100, 300)) + Integral(x / (x**2 - a), (x, -300, -100))
    assert_not_proved(check_equal(lhs, 0))


# -- derivatives at kinks ------------------------------------------------------------------------------

def test_derivative_of_max_at_its_kink():
    """d/dx max(x, 0) = Heaviside(x) for every real x: at x = 0 max(x, 0) has no derivative (left
    0, right 1); sympy's Heaviside(0) = 1/2 agrees with the symmetric difference quotient the
    numeric witness takes there, which exists where the derivative does not."""
    assert_not_proved(check_equal(Derivative(Max(x, 0), x), Heaviside(x)))


def test_derivative_of_abs_at_an_irrational_kink():
    """d/dx |x**3 - 2| = 3 x**2 sign(x**3 - 2) for every real x: at x = 2**(1/3) (never sampled)
    the left side has no value (one-sided derivatives -4.7622 and +4.7622, mpmath), the right
    side is 0."""
    assert_not_proved(check_equal(Derivative(Abs(x**3 - 2), x), 3 * x**2 * sign(x**3 - 2)))


def test_withstood_derivative_of_abs_at_a_sampled_kink():
    """Withstood: d/dx |x| = sign(x), kink at the edge point 0: not proved."""
    assert_not_proved(check_equal(Derivative(Abs(x), x), sign(x)))


# -- series whose terms matter late ---------------------------------------------------------------------

def test_shifted_theta_series_is_not_refuted():
    """Sum(exp(-(n - 5000)**2), n in Z) = Sum(exp(-n**2), n in Z): true (n -> n + 5000), both are
    theta_3(0, 1/e) = 1.7726372048266521530 (mpmath.jtheta). The witness sums from n = 0 and n = -1
    outwards, where the terms are below 10**-10**7: the accelerations extrapolate that to ~0,
    and the careful re-evaluation does the same."""
    n = Symbol("n", integer=True)
    claim = (Sum(exp(-(n - 5000) ** 2), (n, -oo, oo)), Sum(exp(-n**2), (n, -oo, oo)))
    assert_not_refuted(check_equal(*claim, settings=FAST))


def test_shifted_wide_gaussian_series_is_not_refuted():
    """The same with width 10: Sum(exp(-(n - 5000)**2/100)) = Sum(exp(-n**2/100)) over Z, both
    17.724538509055160273 (= 10 sqrt(pi) to 40 digits)."""
    n = Symbol("n", integer=True)
    claim = (Sum(exp(-(n - 5000) ** 2 / 100), (n, -oo, oo)), Sum(exp(-n**2 / 100), (n, -oo, oo)))
    assert_not_refuted(check_equal(*claim, settings=FAST))


# -- bound variables that are indexed elements ---------------------------------------------------------

def test_gaussian_expectation_over_an_indexed_element_is_not_refuted():
    """E[s[1]**2] = 1 for s[1] ~ N(0, 1): true. The numeric witness evaluates s[1]**2 at the
    point's own value of s[1] (0 at the first edge point) instead of at the quadrature nodes."""
    s = IndexedBase("s", real=True)
    assert_not_refuted(check_equal(GaussianExpectation(s[1] ** 2, [s[1]], [0], [[1]]), 1))


# -- undefined functions with assumptions ----------------------------------------------------------------

@pytest.mark.parametrize("facts, lhs_of, rhs_of", [
    # h >= 0: |h + |h|| = |2 h| = 2 h
    (dict(nonnegative=True), lambda h: Abs(h + Abs(h)), lambda h: 2 * h),
    # h <= 0: |h - |h|| = |2 h| = -2 h
    (dict(nonpositive=True), lambda h: Abs(h - Abs(h)), lambda h: -2 * h),
], ids=["nonnegative", "nonpositive"])
def test_function_declared_with_a_sign_is_not_refuted(facts, lhs_of, rhs_of):
    """True for every function of the declared sign; the numeric stand-in of a function that is
    declared neither positive nor merely real has either sign (today a negative one at x = 0
    for 'nonnegative': left 0, right -1.72)."""
    h = Function("h", **facts)(x)
    assert_not_refuted(check_equal(lhs_of(h), rhs_of(h)))


# -- derive check: code that the checking process runs -------------------------------------------------

def test_cli_trusted_operator_file_cannot_decide_other_steps(tmp_path):
    """A proof file declares trust in an operator it never uses; the operator's module (outside the
    proof folder, as trust_operator needs) patches the Checker when imported. `derive check` imports
    it in the checking process, and the false step x = x + 1 is reported proved with exit 0 and
    'axioms: none'. Whatever the declared operator's module does, a claim that does not hold the
    operator must not be proved by it (nor without an axiom naming it)."""
    write(tmp_path, "lib/round2_evil_operator.py", """
        import sympy
        import derive.checking as checking
        import derive.kernel._core as core

        class Harmless(sympy.Function):
            nargs = 1

        _original = checking.Checker.check_step

        def _check_step(self, derivation, index):
            result = _original(self, derivation, index)
            verdict = core._verdict(core.Status.PROVED, core.Reason.SYMBOLIC_AND_NUMERIC, result.previous,
                                    result.step.stated, 0.0)
            return checking.StepResult(result.step, verdict, result.previous)

        checking.Checker.check_step = _check_step
    """)
    path = write(tmp_path, "proofs/trusted_elsewhere.py", """
        import os, sys
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
        from sympy import Symbol
        from derive import Derivation, rules, trust_operator
        from round2_evil_operator import Harmless

        trust_operator(Harmless, "a function no claim uses")
        x = Symbol("x", real=True)
        d = Derivation("trusted_elsewhere", "x = x + 1 (false for every x)", x)
        d.step("1", "lie", rules.algebra(), x + 1)
    """)
    result = run_cli("check", "--no-cache", "--axioms", str(path), cwd=tmp_path)
    assert result.returncode != 0, result.stdout + result.stderr
    assert not claims_proved(result.stdout, "trusted_elsewhere"), result.stdout


FORGE_CACHE = """
    import os, types
    from pathlib import Path
    from sympy import Symbol
    from derive import Derivation, rules
    from derive._cache import FOLDER_VARIABLE, StepCache, load_key
    from derive.kernel import _core

    x = Symbol("x", real=True)
    d = Derivation("forged_record", "x = x + 1 (false for every x)", x)
    d.step("1", "lie", rules.algebra(), x + 1)

    def key():
        # DERIVE_CACHE_KEY is kept from this process, not from its parent's environment
        try:
            for item in Path(f"/proc/{os.getppid()}/environ").read_bytes().split(b"\\0"):
                if item.startswith(b"DERIVE_CACHE_KEY="):
                    return item.split(b"=", 1)[1]
        except OSError:
            pass
        return load_key()  # the user's key file (made here if the checker has not made it yet)

    cache = StepCache(Path(os.environ.get(FOLDER_VARIABLE) or Path.cwd() / ".derive_cache"), key())
    digest = _core._claim_digest(x, x + 1, [], _core.Reasoning.ALGEBRA, _core.Settings())
    _core._remember(cache, digest, types.SimpleNamespace(strategy="expand", conclusive_points=8, detail="forged"))
"""


def test_cli_cache_record_signed_with_the_checkers_environment(tmp_path):
    """The proof file's own process tries to sign a cache record for x = x + 1 with the key in
    the checking process's environment (/proc/PPID/environ: DERIVE_CACHE_KEY, as CI sets it). The
    checking process makes its /proc entries unreadable to its children (PR_SET_DUMPABLE), so no
    record it believes can be signed: the false step is not proved."""
    path = write(tmp_path, "forged_record.py", FORGE_CACHE.replace(
        "return load_key()  # the user's key file (made here if the checker has not made it yet)",
        "raise SystemExit('no key to steal')"))
    result = run_cli("check", str(path), cwd=tmp_path)
    assert result.returncode != 0, result.stdout + result.stderr
    assert not claims_proved(result.stdout, "forged_record"), result.stdout


def test_cli_cache_record_signed_with_the_users_key_file_is_defeated_by_no_cache(tmp_path, monkeypatch):
    """A proof file runs as you and can read your key file (~/.cache/derive/cache-key): it can
    sign a record for x = x + 1, and a check with the cache would recall it (README, threat model:
    check a proof file you do not trust with --no-cache, or in CI with the key only in
    DERIVE_CACHE_KEY). With --no-cache nothing recalled counts: the false step is not proved."""
    monkeypatch.delenv("DERIVE_CACHE_KEY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = write(tmp_path, "forged_record.py", FORGE_CACHE)
    result = run_cli("check", "--no-cache", str(path), cwd=tmp_path)
    assert result.returncode != 0, result.stdout + result.stderr
    assert not claims_proved(result.stdout, "forged_record"), result.stdout


# -- withstood ------------------------------------------------------------------------------------------

def test_withstood_linear_pole_between_the_sampled_magnitudes():
    """Withstood (the linear neighbour of the quadratic-pole finding): Integral(1/(x - a), (x, 100,
    300)) = log(300 - a) - log(100 - a) for a > 0 diverges for 100 < a < 300: not proved."""
    from sympy import log

    a = Symbol("a", positive=True)
    assert_not_proved(check_equal(Integral(1 / (x - a), (x, 100, 300)), log(300 - a) - log(100 - a)))


def test_withstood_class_pretending_to_be_sympys():
    """Withstood: a class of this file with __module__ set to sympy's, printed as an Integral,
    whose doit and evalf say 0 (Integral(x**2, (x, 0, 1)) = 0 is false, it is 1/3): the worker
    processes cannot rebuild it, so it is not proved."""
    import sympy

    class Integral(sympy.Function):  # noqa: N801 - it pretends to be sympy's
        nargs = 3
        __module__ = "sympy.integrals.integrals"

        def doit(self, **hints):
            return sympy.S.Zero

        def _eval_evalf(self, prec):
            return sympy.Float(0, precision=prec)

    assert_not_proved(check_equal(Integral(x**2, 0, 1), 0))


def test_withstood_mod_bug_within_the_sampled_integers():
    """Withstood: the Subs/Mod claim above with k = n itself (n an integer): false at n = 2, an
    edge point, so the witnesses conflict and it is not proved."""
    n = Symbol("n", integer=True)
    a = Symbol("a", real=True)
    assert_not_proved(check_equal(Subs(Mod(a * Mod(n, 4), 64), a, 8), 8 * Mod(Mod(n, 4) ** 2, 8)))


def test_withstood_positive_function_stand_in():
    """Withstood: a positive function keeps its sign in the stand-in: |h + |h|| = 2 h for h > 0
    is not refuted."""
    h = Function("h", positive=True)(x)
    assert_not_refuted(check_equal(Abs(h + Abs(h)), 2 * h))


def test_withstood_sqrt_of_square_for_a_real_parameter():
    """Withstood: sqrt((b - 500)**2) = b - 500 for real b is false for b < 500 (every sampled b):
    not proved."""
    b = Symbol("b", real=True)
    assert_not_proved(check_equal(sqrt((b - 500) ** 2), b - 500))


def test_withstood_rational_in_the_sampled_range():
    """Withstood: Integral(x/(x**2 - a), (x, -1, 1)) = 0 for a > 0 diverges for 0 < a < 1, which
    the sampler draws: not proved."""
    a = Symbol("a", positive=True)
    assert_not_proved(check_equal(Integral(x / (x**2 - a), (x, -1, 1)), 0))

