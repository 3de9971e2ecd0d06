"""Code generation: numpy and torch kernels from proved results, every rewrite proved.

``plan(exports)`` turns each declared export into claims for the kernel:

* the derivation it comes from is proved (with everything it depends on);
* the per-element term, summed over the index, is the verified expression;
* the stable form that floating point computes equals the per-element term;
* each gradient is the derivative of the per-element term;
* the series that ``_expm1mx`` uses near 0 has a proved relative remainder bound, and so has
  ``x`` plus the series against ``expm1(x)`` (the fused path's ``expm1`` near 0); its Horner form
  is the series; ``expm1(x) - x`` is ``expm1mx`` elsewhere and ``x + expm1mx(x)`` is ``expm1(x)``;
* ``expm1mx`` and ``expm1`` of a sum a + b split as the generated ``_of_sum`` helpers compute
  them, after TwoSum has made a + b exactly s + e in floating point.

``generate`` renders a module only when every claim is proved; otherwise it raises ``Refused``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import sympy

from .. import _kernel
from .._kernel import Bound, Reasoning, Settings, Verdict
from ..checking import Checker
from ..derivation import Export
from ..errors import DeriveError, UsageError
from ..functions import expm1, expm1mx
from . import _forms, _templates

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
class Plan:
    kernels: tuple[Kernel, ...]
    series: tuple[Series, ...]
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


def _series(dtype: str, settings: Settings, claims: list[Claim]) -> Series:
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
                                            reasoning=Reasoning.ALGEBRA, settings=settings)))
    return Series(dtype, SERIES_RADIUS, coefficients, bound, expm1_bound)


def _kernel_for(export: Export, settings: Settings, claims: list[Claim]) -> Kernel:
    name = export.name
    try:
        term, families, limits = _forms.elementwise(export.expression, export.index, export.arguments)
    except ValueError as exc:
        raise Refused(f"{export.location}: export '{name}': the exported expression {exc}") from None
    symbols = tuple(families)
    as_sum = sympy.Sum(term.subs({s: f[export.index] for s, f in families.items()}, simultaneous=True), limits)
    claims.append(Claim(name, "summed over the index, the per-element term is the verified result",
                        _kernel.check_equal(as_sum, export.expression, reasoning=Reasoning.LINEARITY,
                                            settings=settings)))
    stable = _forms.stable(term)
    claims.append(Claim(name, f"stable form {sympy.sstr(stable)}",
                        _kernel.check_equal(term, stable, reasoning=Reasoning.ALGEBRA, settings=settings)))
    gradients = []
    for symbol in symbols:
        gradient = _forms.gradient(stable, symbol)
        claims.append(Claim(name, f"d/d{symbol} = {sympy.sstr(gradient)}",
                            _kernel.check_equal(sympy.Derivative(term, symbol), gradient, settings=settings)))
        gradients.append(gradient)
    return Kernel(export, symbols, term, stable, tuple(gradients))


def plan(exports: list[Export], settings: Settings = Settings()) -> Plan:
    """Every claim the generated kernels rest on, each decided by the kernel."""
    if not exports:
        raise Refused("the proofs declare no exports (derive.export): nothing to generate")
    claims: list[Claim] = []
    checker = Checker(settings)
    for export in exports:
        result = checker.check(export.derivation)
        # The first step that is not proved, wherever it is, comes first: that is what to fix.
        claims += [Claim(export.name, f"step {s.step.label} of '{r.derivation.name}' ({s.step.location})",
                         s.verdict)
                   for r in checker.order for s in r.steps if not s.verdict.proved][:1]
        claims.append(Claim(export.name, f"derivation '{export.derivation.name}' is proved", result.theorem))
    kernels = tuple(_kernel_for(export, settings, claims) for export in exports)
    series = tuple(_series(dtype, settings, claims) for dtype in SERIES_TARGETS)
    claims.append(Claim("_expm1mx", "expm1(x) - x is expm1mx(x)",
                        _kernel.check_equal(expm1mx(X), expm1(X) - X, reasoning=Reasoning.ALGEBRA,
                                            settings=settings)))
    claims.append(Claim("_expm1", "x + expm1mx(x) is expm1(x), as the fused path computes it near 0",
                        _kernel.check_equal(expm1(X), X + expm1mx(X), reasoning=Reasoning.ALGEBRA,
                                            settings=settings)))
    a, b = sympy.symbols("a b", real=True)
    claims.append(Claim("_expm1mx_of_sum", "expm1mx(a + b) = expm1mx(a) + expm1(a)*b + exp(a)*expm1mx(b), "
                                           "with a + b split exactly by TwoSum",
                        _kernel.check_equal(expm1mx(a + b), expm1mx(a) + expm1(a) * b + sympy.exp(a) * expm1mx(b),
                                            reasoning=Reasoning.ALGEBRA, settings=settings)))
    claims.append(Claim("_expm1_of_sum", "expm1(a + b) = expm1(a) + exp(a)*expm1(b), with a + b split exactly "
                                         "by TwoSum",
                        _kernel.check_equal(expm1(a + b), expm1(a) + sympy.exp(a) * expm1(b),
                                            reasoning=Reasoning.ALGEBRA, settings=settings)))
    return Plan(kernels, series, tuple(claims))


def require_targets(targets) -> None:
    for target in targets:
        if target not in TARGETS:
            raise UsageError(f"unknown target '{target}': choose from {', '.join(TARGETS)}")


def module_file(out: Path, target: str, *, several: bool) -> Path:
    """Where ``--out`` puts the module of ``target``: the path itself when it names one .py file,
    else ``<target>_kernels.py`` inside it."""
    if not several and out.suffix == ".py":
        return out
    return out / f"{target}_kernels.py"


def generate(exports: list[Export], targets: list[str], settings: Settings = Settings()) -> dict[str, str]:
    """The module text for each target; raises ``Refused`` unless every claim is proved."""
    require_targets(targets)
    made = plan(exports, settings)
    for claim in made.claims:
        if not claim.proved:
            verdict = claim.verdict
            raise Refused(f"{claim.subject}: not generating, because '{claim.what}' is "
                          f"{verdict.status.value} ({verdict.reason.value}: {verdict.detail})")
    return {target: _templates.render(made, target) for target in targets}
