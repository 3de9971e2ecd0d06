"""Whether a report passes: ``--strict`` (the default) or ``--allow-unknown``.

Strict: every step of every derivation is proved (``Report.ok``). Allowing unknown: no step is
refuted, and a derivation not proved is unproved only because a step or a derivation it rests
on is unknown. Allowed unknown steps are never hidden: every report format lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .kernel import Reason, Status
from .checking import DerivationResult, Report, StepResult


def _passes_allowing_unknown(result: DerivationResult) -> bool:
    if any(s.verdict.status is Status.REFUTED for s in result.steps):
        return False
    # The origin link is no step: an instance that breaks an assumption is never "allowed".
    origin = result.origin
    if origin is not None and not origin.proved and origin.reason is not Reason.DEPENDENCY_NOT_PROVED:
        return False
    return result.theorem.proved or result.theorem.reason is Reason.DEPENDENCY_NOT_PROVED


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
        return self.allow_unknown and step.verdict.status is Status.UNKNOWN

    @property
    def allowed_steps(self) -> list[StepResult]:
        return [s for s in self.report.step_results() if self.allowed(s)]
