"""Code generation: numpy and torch kernels from proved results, every rewrite proved.

``plan(exports)`` turns each declared export into claims for the kernel:

* the derivation it comes from is proved (with everything it depends on);
* the per-element term, summed over the index, is the verified expression;
* the stable form that floating point computes equals the per-element term;
* each gradient is the derivative of the per-element term;
* the series that ``_expm1mx`` uses near 0 has a proved relative remainder bound, and so has
  ``x`` plus the series against ``expm1(x)`` (the precise module's ``expm1`` near 0 under torch.compile); its Horner form
  is the series; ``expm1(x) - x`` is ``expm1mx`` elsewhere and ``x + expm1mx(x)`` is ``expm1(x)``;
* ``expm1mx`` and ``expm1`` of a sum a + b split as the generated ``_of_sum`` helpers compute
  them, after TwoSum has made a + b exactly s + e in floating point;
* where a kernel's value or gradient is a sum whose terms may cancel, the terms add up to it, and
  the double-double ``_dd_expm1`` and ``_dd_exp`` that recompute it where they cancel rest on a
  series with a proved remainder bound, its Horner form, constants with proved rounding bounds
  (log(2)/64, 2^(j/64)) and the identities of the reduction by multiples of log(2)/64.

``generate`` renders a module only when every claim is proved; otherwise it raises ``Refused``.
"""

from __future__ import annotations

import fractions
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import mpmath
import sympy

from .. import kernel as _kernel
from ..kernel import Bound, Reasoning, Settings, Verdict
from .._cache import StepCache
from ..checking import Checker
from ..derivation import Export
from ..errors import DeriveError, UsageError
from ..kernel._operators import expm1, expm1mx
from . import _forms, _printing, _templates

TARGETS = ("numpy", "torch")


class Refused(DeriveError):
    """A kernel would rest on a claim the kernel did not prove: nothing is generated."""


@dataclass(frozen=True)
class Claim:
    subject: str  # the kernel or helper the claim is about
    what: str
    verdict: Verdict | Bound

    @property
    def proved(self) -> bool:
        return self.verdict.status is _kernel.Status.PROVED


@dataclass(frozen=True)
class Kernel:
    export: Export
    symbols: tuple[sympy.Symbol, ...]  # in argument order
    term: sympy.Expr  # the verified per-element term
    stable: sympy.Expr
    gradients: tuple[sympy.Expr, ...]
    # For the stable form and each gradient: the terms of its sum when they may cancel, else None.
    stable_terms: tuple[sympy.Expr, ...] | None
    gradient_terms: tuple[tuple[sympy.Expr, ...] | None, ...]
    # Why the precise module leaves this kernel out (a cancelling sum double-double cannot print).
    not_precise: str | None = None

    @property
    def cancels(self) -> bool:
        return self.stable_terms is not None or any(t is not None for t in self.gradient_terms)

    @property
    def name(self) -> str:
        return self.export.name

    @property
    def digest(self) -> str:
        """sha256 of the verified expression, as sympy writes it out in full."""
        return hashlib.sha256(sympy.srepr(self.export.expression).encode()).hexdigest()


@dataclass(frozen=True)
class Series:
    """``_expm1mx`` near 0 for results of one dtype: a Taylor series for |x| < radius."""

    dtype: str
    radius: sympy.Rational
    coefficients: tuple[sympy.Rational, ...]  # highest degree first
    bound: Bound  # of the series against expm1mx(x)
    expm1_bound: Bound  # of x + the series against expm1(x)


@dataclass(frozen=True)
class DoubleDouble:
    """The double-double ``_dd_exp`` and ``_dd_expm1``: y = n log(2) + j log(2)/64 + t, with
    log(2)/64 in three doubles and 2^(j/64) from a table of pairs, and expm1's Taylor series for
    |t| <= radius, its coefficients 1/n! for n >= split in doubles and the rest in pairs (Horner
    order: highest n first)."""

    radius: sympy.Rational
    degree: int
    split: int
    bound: Bound  # of the series against expm1(t)
    log2_64: tuple[float, float, float]  # log(2)/64 = the sum, the first of 36 significant bits
    log2_bound: Bound
    powers: tuple[tuple[float, float], ...]  # 2^(j/64) = hi + lo for j = 0 .. 63
    powers_bound: Bound  # the worst of the 64

    @property
    def tail(self) -> tuple[sympy.Rational, ...]:
        return tuple(1 / sympy.factorial(n) for n in range(self.degree, self.split - 1, -1))

    @property
    def head(self) -> tuple[sympy.Rational, ...]:
        return tuple(1 / sympy.factorial(n) for n in range(self.split - 1, 0, -1))


@dataclass(frozen=True)
class Plan:
    kernels: tuple[Kernel, ...]
    series: tuple[Series, ...]
    double_double: DoubleDouble | None  # None when no kernel has a sum that cancels
    # By _of_sum helper: the bound of what it takes for the TwoSum error e's expm1mx(e) or expm1(e).
    corrections: dict[str, Bound]
    claims: tuple[Claim, ...]

    @property
    def proved(self) -> bool:
        return all(c.proved for c in self.claims)


X = sympy.Symbol("x", real=True)
# Relative truncation error allowed for a result of each dtype. A float64 result is computed in
# float64: a quarter of its unit roundoff keeps the series below the rounding of its own last
# operation. A float32 result is computed in float64, whose rounding is negligible to it, and then
# rounded once: the truncation is all the error it adds to that rounding's half ulp, and 2^-30 of
# the value is at most a 64th of a float32 ulp (an ulp is at least 2^-24 of the value).
SERIES_TARGETS = {"float64": sympy.Rational(1, 2**55), "float32": sympy.Rational(1, 2**30)}
# Outside |x| < 1, expm1(x) - x loses at most 2 bits to cancellation (worst at x = -1).
SERIES_RADIUS = sympy.Integer(1)
MAX_SERIES_DEGREE = 30
# Beyond TwoSum's error of any sum s whose exp(s) is finite and not 0: 2^-53 * 745 in float64 and
# 2^-24 * 104 in float32 (where float16 and bfloat16 are computed) are below it.
SMALL_ERROR = sympy.Rational(1, 2**16)
# Double-double results are good to about 2^-104: where a sum cancels by 2^40, still 2^-64.
DOUBLE_DOUBLE_TARGET = sympy.Rational(1, 2**104)
# Beyond log(2)/128, the largest |t| that the reduction by multiples of log(2)/64 leaves.
DOUBLE_DOUBLE_RADIUS = sympy.Rational(1, 128)
# Significant bits of each dtype, and the dtype each is computed in.
BITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}
COMPUTED_IN = {"float16": "float32", "bfloat16": "float32", "float32": "float64", "float64": "float64"}
# A sum computed in float64 for a float64 result is recomputed in double-double where its terms'
# magnitudes add up to more than this many times its value: each term is within a few ulp, so at
# this ratio the plain sum stays within 4 ulp (benchmarks/kernel_accuracy.py measures it).
SAME_PRECISION_CANCELLATION = 2.0


def cancellation_limit(dtype: str) -> float:
    """The ratio of a sum's terms' magnitudes to its value above which a result of ``dtype`` is
    recomputed in double-double. A sum computed with e extra bits over its result, of terms each
    within 4 ulp of the dtype computed in, stays within a quarter ulp of the result below 2^(e - 4)."""
    extra = BITS[COMPUTED_IN[dtype]] - BITS[dtype]
    return float(2 ** (extra - 4)) if extra > 4 else SAME_PRECISION_CANCELLATION


def _series(dtype: str, settings: Settings, cache, claims: list[Claim]) -> Series:
    """The shortest series whose remainder is within the target of ``dtype`` both against
    expm1mx(x) and, added to x, against expm1(x)."""
    target = SERIES_TARGETS[dtype]
    for degree in range(3, MAX_SERIES_DEGREE + 1):
        polynomial = _forms.taylor_polynomial(X, degree)
        bounds = (_kernel.check_series_bound(expm1mx(X), X, polynomial, SERIES_RADIUS, settings=settings),
                  _kernel.check_series_bound(expm1(X), X, X + polynomial, SERIES_RADIUS, settings=settings))
        if any(not b.proved for b in bounds) or all(b.relative_error <= target for b in bounds):
            break
    bound, expm1_bound = bounds
    within = f"{float(target):.3g}"
    claims.append(Claim("_expm1mx", f"{dtype}: |series - expm1mx(x)| <= {within} |expm1mx(x)| "
                                    f"for |x| <= {SERIES_RADIUS}", bound))
    claims.append(Claim("_expm1", f"{dtype}: |x + series - expm1(x)| <= {within} |expm1(x)| "
                                  f"for |x| <= {SERIES_RADIUS}", expm1_bound))
    coefficients = _forms.series_coefficients(degree)
    claims.append(Claim("_expm1mx", f"{dtype}: Horner's evaluation of the coefficients is the series",
                        _kernel.check_equal(polynomial, _forms.horner(coefficients, X),
                                            reasoning=Reasoning.ALGEBRA, settings=settings, cache=cache)))
    return Series(dtype, SERIES_RADIUS, coefficients, bound, expm1_bound)


def _nearest_doubles(value: mpmath.mpf, count: int, first_bits: int = 53) -> tuple[float, ...]:
    """``count`` doubles whose sum is ``value`` to about 2^-53 of the last: each the double nearest
    what the ones before leave (the first rounded to ``first_bits`` significant bits)."""
    mantissa, exponent = value.man_exp
    remainder, parts = fractions.Fraction(mantissa) * fractions.Fraction(2) ** exponent, []
    for n in range(count):
        magnitude = abs(remainder)
        if not magnitude:
            parts.append(0.0)
            continue
        exponent = magnitude.numerator.bit_length() - magnitude.denominator.bit_length()
        if fractions.Fraction(2) ** exponent > magnitude:
            exponent -= 1  # now 2^exponent <= magnitude < 2^(exponent + 1)
        unit = fractions.Fraction(2) ** (exponent + 1 - (first_bits if n == 0 else 53))
        part = float(round(remainder / unit) * unit)
        parts.append(part)
        remainder -= fractions.Fraction(part)
    return tuple(parts)


def _double_double(settings: Settings, cache, claims: list[Claim]) -> DoubleDouble:
    """The shortest expm1 series within DOUBLE_DOUBLE_TARGET, where its doubles start (the terms
    from 1/split! on add less than 2^-50 of the value, so the few roundings of their double
    Horner steps stay below the target), and the constants of the reduction, each bound proved."""
    radius = DOUBLE_DOUBLE_RADIUS
    for degree in range(2, MAX_SERIES_DEGREE + 1):
        bound = _kernel.check_series_bound(expm1(X), X, _forms.expm1_taylor_polynomial(X, degree), radius,
                                           settings=settings)
        if not bound.proved or bound.relative_error <= DOUBLE_DOUBLE_TARGET:
            break
    split = next((n for n in range(2, degree + 1)
                  if radius ** (n - 1) / sympy.factorial(n) <= DOUBLE_DOUBLE_TARGET * 2**50), degree)
    claims.append(Claim("_dd_expm1_series", f"|series - expm1(t)| <= {float(DOUBLE_DOUBLE_TARGET):.3g} "
                                            f"|expm1(t)| for |t| <= {radius}", bound))
    claims.append(Claim("_dd_expm1_series", "Horner's evaluation of the coefficients is the series",
                        _kernel.check_equal(_forms.expm1_taylor_polynomial(X, degree), _forms.expm1_horner(X, degree),
                                            reasoning=Reasoning.ALGEBRA, settings=settings, cache=cache)))
    with mpmath.workprec(400):  # proposals: the kernel bounds each below
        log2_64 = _nearest_doubles(mpmath.log(2) / 64, 3, first_bits=36)
        powers = tuple(_nearest_doubles(mpmath.mpf(2) ** (mpmath.mpf(j) / 64), 2) for j in range(64))
    log2_bound = _kernel.check_constant_bound(sympy.log(2) / 64, sum(map(sympy.Rational, log2_64)))
    claims.append(Claim("_dd_reduced", f"log(2)/64 = {' + '.join(map(repr, log2_64))} to a relative "
                                       f"{float(log2_bound.relative_error or 0):.3g}", log2_bound))
    bounds = [_kernel.check_constant_bound(2 ** sympy.Rational(j, 64), sympy.Rational(hi) + sympy.Rational(lo))
              for j, (hi, lo) in enumerate(powers)]
    powers_bound = next((b for b in bounds if not b.proved), None) or max(bounds, key=lambda b: b.relative_error)
    claims.append(Claim("_dd_reduced", f"2**(j/64) = hi + lo for j = 0 .. 63, each to a relative "
                                       f"{float(powers_bound.relative_error or 0):.3g}", powers_bound))
    n, j, t = sympy.Symbol("n", integer=True), sympy.Symbol("j", integer=True), sympy.Symbol("t", real=True)
    y = n * sympy.log(2) + j * sympy.log(2) / 64 + t
    power = sympy.exp(n * sympy.log(2)) * sympy.exp(j * sympy.log(2) / 64)  # 2**n 2**(j/64)
    for subject, what, lhs, rhs in (
            ("_dd_exp", "exp(n log(2) + j log(2)/64 + t) = 2**n 2**(j/64) (expm1(t) + 1)", sympy.exp(y),
             power * (expm1(t) + 1)),
            ("_dd_expm1", "expm1(n log(2) + j log(2)/64 + t) = (2**n 2**(j/64) - 1) + 2**n 2**(j/64) expm1(t)",
             expm1(y), (power - 1) + power * expm1(t))):
        claims.append(Claim(subject, what, _kernel.check_equal(lhs, rhs, reasoning=Reasoning.ALGEBRA,
                                                               settings=settings, cache=cache)))
    return DoubleDouble(radius, degree, split, bound, log2_64, log2_bound, powers, powers_bound)


def _cancelling(name: str, what: str, expression: sympy.Expr, settings: Settings, cache,
                claims: list[Claim], omitted: list[str]) -> tuple[sympy.Expr, ...] | None:
    """The terms of ``expression`` when they may cancel, proved to add up to it; None otherwise.
    Where double-double arithmetic cannot recompute them, why goes into ``omitted``: the precise
    module leaves the kernel out (the plain one states its bound)."""
    terms = _forms.cancelling_terms(expression)
    if terms is None:
        return None
    try:
        _printing.print_double_double(expression)
    except _printing.Unsupported as exc:
        omitted.append(f"{what} is a sum that may cancel, and {exc}")
    claims.append(Claim(name, f"{what} is the sum of {', '.join(sympy.sstr(t) for t in terms)} (recomputed in "
                              "double-double where they cancel)",
                        _kernel.check_equal(expression, sympy.Add(*terms), reasoning=Reasoning.ALGEBRA,
                                            settings=settings, cache=cache)))
    return terms


def _kernel_for(export: Export, settings: Settings, cache, claims: list[Claim]) -> Kernel:
    name = export.name
    try:
        term, families, limits = _forms.elementwise(export.expression, export.index, export.arguments)
    except ValueError as exc:
        raise Refused(f"{export.location}: export '{name}': the exported expression {exc}") from None
    symbols = tuple(families)
    as_sum = sympy.Sum(term.subs({s: f[export.index] for s, f in families.items()}, simultaneous=True), limits)
    claims.append(Claim(name, "summed over the index, the per-element term is the verified result",
                        _kernel.check_equal(as_sum, export.expression, reasoning=Reasoning.LINEARITY,
                                            settings=settings, cache=cache)))
    stable = _forms.stable(term)
    cases = _forms.sign_cases(stable, symbols)
    # Split by sign, each side's max and absolute value resolve, and its logs need evaluating.
    reasoning = Reasoning.ALGEBRA if cases == [{}] else Reasoning.EVALUATION
    for case in cases:
        where = ", ".join(f"{s} {'> 0' if side.is_positive else '<= 0'}" for s, side in case.items())
        claims.append(Claim(name, f"stable form {sympy.sstr(stable)}" + (f" where {where}" if where else ""),
                            _kernel.check_equal(term.xreplace(case), stable.xreplace(case), reasoning=reasoning,
                                                settings=settings, cache=cache)))
    gradients = []
    for symbol in symbols:
        gradient = _forms.gradient(term, symbol)
        claims.append(Claim(name, f"d/d{symbol} = {sympy.sstr(gradient)}",
                            _kernel.check_equal(sympy.Derivative(term, symbol), gradient, settings=settings, cache=cache)))
        gradients.append(gradient)
    omitted: list[str] = []
    stable_terms = _cancelling(name, "the stable form", stable, settings, cache, claims, omitted)
    gradient_terms = tuple(_cancelling(name, f"d/d{symbol}", gradient, settings, cache, claims, omitted)
                           for symbol, gradient in zip(symbols, gradients))
    return Kernel(export, symbols, term, stable, tuple(gradients), stable_terms, gradient_terms,
                  omitted[0] if omitted else None)


def plan(exports: list[Export], settings: Settings = Settings(), cache: StepCache | None = None) -> Plan:
    """Every claim the generated kernels rest on, each decided by the kernel (recalled from
    ``cache``, the proof cache of ``derive check``, where it proved them before)."""
    if not exports:
        raise Refused("the proofs declare no exports (derive.export): nothing to generate")
    claims: list[Claim] = []
    checker = Checker(settings, cache)
    for export in exports:
        result = checker.check(export.derivation)
        # The first step that is not proved, wherever it is, comes first: that is what to fix.
        claims += [Claim(export.name, f"step {s.step.label} of '{r.derivation.name}' ({s.step.location})",
                         s.verdict)
                   for r in checker.order for s in r.steps if not s.verdict.proved][:1]
        claims.append(Claim(export.name, f"derivation '{export.derivation.name}' is proved", result.theorem))
    kernels = tuple(_kernel_for(export, settings, cache, claims) for export in exports)
    series = tuple(_series(dtype, settings, cache, claims) for dtype in SERIES_TARGETS)
    claims.append(Claim("_expm1mx", "expm1(x) - x is expm1mx(x)",
                        _kernel.check_equal(expm1mx(X), expm1(X) - X, reasoning=Reasoning.ALGEBRA,
                                            settings=settings, cache=cache)))
    claims.append(Claim("_expm1", "x + expm1mx(x) is expm1(x), as compiled precise code computes it near 0",
                        _kernel.check_equal(expm1(X), X + expm1mx(X), reasoning=Reasoning.ALGEBRA,
                                            settings=settings, cache=cache)))
    a, b = sympy.symbols("a b", real=True)
    claims.append(Claim("_expm1mx_of_sum", "expm1mx(a + b) = expm1mx(a) + expm1(a)*b + exp(a)*expm1mx(b), "
                                           "with a + b split exactly by TwoSum",
                        _kernel.check_equal(expm1mx(a + b), expm1mx(a) + expm1(a) * b + sympy.exp(a) * expm1mx(b),
                                            reasoning=Reasoning.ALGEBRA, settings=settings, cache=cache)))
    claims.append(Claim("_expm1_of_sum", "expm1(a + b) = expm1(a) + exp(a)*expm1(b), with a + b split exactly "
                                         "by TwoSum",
                        _kernel.check_equal(expm1(a + b), expm1(a) + sympy.exp(a) * expm1(b),
                                            reasoning=Reasoning.ALGEBRA, settings=settings, cache=cache)))
    # TwoSum's error e of a sum s is below 2^-53 |s| (2^-24 in float32); wherever exp(s) is finite
    # and not 0 that is below SMALL_ERROR, and there the _of_sum helpers take e**2/2 for expm1mx(e)
    # and e for expm1(e).
    corrections = {}
    for subject, function, approximation in (("_expm1mx_of_sum", expm1mx(X), X**2 / 2),
                                             ("_expm1_of_sum", expm1(X), X)):
        small = corrections[subject] = _kernel.check_series_bound(function, X, approximation, SMALL_ERROR,
                                                                  settings=settings)
        e = sympy.Symbol("e", real=True)
        near, exact = (sympy.sstr(side.subs(X, e)) for side in (approximation, function))
        claims.append(Claim(subject, f"|{near} - {exact}| <= {float(small.relative_error or 0):.3g} |{exact}| for "
                                     f"|e| <= {SMALL_ERROR}, TwoSum's error where exp(s) is finite and not 0", small))
    s, e = sympy.symbols("s e", real=True)
    claims.append(Claim("_square_of_sum", "(s + e)**2 = s**2 + (2*s + e)*e, with a + b = s + e split exactly by TwoSum",
                        _kernel.check_equal((s + e) ** 2, s**2 + (2 * s + e) * e, reasoning=Reasoning.ALGEBRA,
                                            settings=settings, cache=cache)))
    double_double = _double_double(settings, cache, claims) if any(k.cancels for k in kernels) else None
    return Plan(kernels, series, double_double, corrections, tuple(claims))


def require_targets(targets) -> None:
    for target in targets:
        if target not in TARGETS:
            raise UsageError(f"unknown target '{target}': choose from {', '.join(TARGETS)}")


def module_name(target: str, precise: bool = False) -> str:
    """The generated module of ``target``: plain by default, or the precise one (correctly
    rounded where the plain kernels lose digits)."""
    return f"{target}_precise_kernels" if precise else f"{target}_kernels"


def module_files(out: Path, target: str, *, several: bool, precise: bool) -> dict[str, Path]:
    """Where ``--out`` puts the modules of ``target``, by module name: a .py file gets the one
    module asked for (plain unless ``precise``); a folder gets both, <target>_kernels.py and
    <target>_precise_kernels.py."""
    if not several and out.suffix == ".py":
        return {module_name(target, precise): out}
    return {module_name(target, variant): out / f"{module_name(target, variant)}.py" for variant in (False, True)}


def _refuse_unproved(claims) -> None:
    for claim in claims:
        if not claim.proved:
            verdict = claim.verdict
            raise Refused(f"{claim.subject}: not generating, because '{claim.what}' is "
                          f"{verdict.status.value} ({verdict.reason.value}: {verdict.detail})")


def _run_with(target: str, module):
    """How the implementation check calls a generated kernel: 1-D float64 arrays, summed."""
    if target == "torch":
        import torch

        return lambda name: lambda **arrays: getattr(module, name)(
            **{k: torch.tensor(v, dtype=torch.float64) for k, v in arrays.items()}, reduction="sum").item()
    import numpy

    return lambda name: lambda **arrays: float(getattr(module, name)(
        **{k: numpy.array(v, dtype=numpy.float64) for k, v in arrays.items()}, reduction="sum"))


def _implementation_claims(kernels, target: str, text: str, settings: Settings) -> list[Claim]:
    """For each kernel of the rendered module: the kernel's check that it computes the verified
    expression (a printer slip, such as a sum's limits, is caught here, not by luck)."""
    module = type(sympy)(f"derive_generated_{target}")
    exec(compile(text, f"<generated {target} kernels>", "exec"), module.__dict__)  # noqa: S102 - our own printout
    call = _run_with(target, module)
    claims = []
    for kernel in kernels:
        export = kernel.export
        bound = _kernel.check_implementation(export.expression, export.index, export.arguments,
                                             call(kernel.name), settings=settings)
        claims.append(Claim(kernel.name, f"the generated {target} code computes the verified result "
                                         f"({bound.detail})" if bound.proved else
                            f"the generated {target} code computes the verified result", bound))
    return claims


def generate(exports: list[Export], targets: list[str], settings: Settings = Settings(),
             cache: StepCache | None = None, require_precise: bool = False) -> dict[str, str]:
    """The text of each target's modules, plain and precise, by module name (``module_name``);
    raises ``Refused`` unless every claim is proved, the last of them that the rendered code
    computes what was proved, and, with ``require_precise``, when a kernel is not in the
    precise module."""
    require_targets(targets)
    made = plan(exports, settings, cache)
    _refuse_unproved(made.claims)
    for kernel in made.kernels:
        if require_precise and kernel.not_precise:
            raise Refused(f"{kernel.export.location}: export '{kernel.name}': {kernel.not_precise}: "
                          "only the plain module has it")
    texts = {}
    for target in targets:
        for precise, render in ((False, _templates.render_plain), (True, _templates.render)):
            kernels = [k for k in made.kernels if not (precise and k.not_precise)]
            checked = _implementation_claims(kernels, target, render(made, target), settings)
            _refuse_unproved(checked)
            texts[module_name(target, precise)] = render(replace(made, claims=(*made.claims, *checked)), target)
    return texts
