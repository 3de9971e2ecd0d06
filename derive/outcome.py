"""Whether a report passes: ``--strict`` (the default) or ``--allow-unknown``.

Strict: every step of every derivation is proved (``Report.ok``). Allowing unknown: no step is
refuted, every unknown step is unknown for its own reasons, and a derivation not proved is
unproved only because some of its own steps are. What a step or a derivation rests on (a lemma
of ``rules.use``, an instance, an ``origin=``) must be proved all the same: allowing unknown
steps never lets a dependency on an unproved or refuted result pass. Allowed unknown steps are
never hidden: every report format lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .kernel import Reason, Status
from .checking import DerivationResult, Report, StepResult


def _allowable(step: StepResult) -> bool:
    """Unknown for its own reasons: not because a lemma it uses is unproved."""
    verdict = step.verdict
    return verdict.status is Status.UNKNOWN and verdict.reason is not Reason.DEPENDENCY_NOT_PROVED


def _passes_allowing_unknown(result: DerivationResult) -> bool:
    if not all(s.verdict.proved or _allowable(s) for s in result.steps):
        return False
    # The origin is no step of this derivation but a result it rests on: it must be proved.
    return result.origin is None or result.origin.proved


@dataclass(frozen=True)
class Outcome:
    report: Report
    allow_unknown: bool = False

    @property
    def ok(self) -> bool:
        if not self.allow_unknown:
            return self.report.ok
        return bool(self.report.results) and all(_passes_allowing_unknown(r) for r in self.report.results)

    def allowed(self, step: StepResult) -> bool:
        """Whether ``step`` is unknown and passes only because unknown steps are allowed."""
        return self.allow_unknown and _allowable(step)

    @property
    def allowed_steps(self) -> list[StepResult]:
        return [s for s in self.report.step_results() if self.allowed(s)]

    def axioms(self, result: DerivationResult) -> list[str]:
        """Everything a derivation rests on besides the kernel, sympy and mpmath: the axioms of
        its steps' and its origin's verdicts (postulates, declared operators), and the unknown
        steps this check lets pass unproved."""
        found = set() if result.origin is None else set(result.origin.axioms)
        for s in result.steps:
            found |= s.verdict.axioms
        unproved = [f"step {s.step.label} unproved (unknown, allowed because the check is not strict)"
                    for s in result.steps if self.allowed(s)]
        return sorted(found) + unproved
