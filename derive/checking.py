"""Checking derivations: every step goes through the kernel, nothing else decides.

``check(derivations)`` returns a ``Report``. A derivation's lemmas (and the derivations they
instantiate) are checked first, once per report, wherever they are defined.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import sympy

from . import kernel as _kernel
from ._cache import StepCache
from .kernel import Reason, Settings, Status, Verdict
from .derivation import Derivation, Instance, Postulate, Step


# What each other rule may spend on a strategy while looking for a hint (Checker._other_rule).
HINT_SECONDS = 3.0


@dataclass(frozen=True)
class StepResult:
    step: Step
    verdict: Verdict
    previous: object
    # For a step undecided under its rule: the rule the kernel proves it with instead, if any.
    hint: str | None = None
    # The rule the verdict was decided under: the step's own, or for rules.weakest() the one that proved it.
    decided_by: object = None

    @property
    def rule(self):
        return self.decided_by or self.step.rule


@dataclass
class DerivationResult:
    derivation: Derivation
    steps: list[StepResult]
    theorem: Verdict
    seconds: float
    requested: bool = True
    origin: Verdict | None = None  # the first link of the chain, for a derivation with origin=

    @property
    def proved(self) -> bool:
        return self.theorem.proved


@dataclass
class Report:
    results: list[DerivationResult] = field(default_factory=list)
    settings: Settings = Settings()
    seconds: float = 0.0

    def step_results(self) -> list[StepResult]:
        return [s for r in self.results for s in r.steps]

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for s in self.step_results():
            counts[s.verdict.status.value] += 1
        return counts

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.proved for r in self.results)


class Checker:
    """Checks derivations once each, lemmas before the steps that use them."""

    def __init__(self, settings: Settings = Settings(), cache: StepCache | None = None):
        self.settings = settings
        self.cache = cache
        self.results: dict[int, DerivationResult] = {}
        self.order: list[DerivationResult] = []
        self._in_progress: set[int] = set()
        self._steps: dict[tuple[int, int], StepResult] = {}  # (id(step), id(previous)): result
        self._postulates: dict[int, tuple[Postulate, Verdict]] = {}  # the postulate stays alive with its id

    def theorem(self, source) -> Verdict:
        """The kernel's verdict on what a derivation, an instance or a postulate states."""
        if isinstance(source, Instance):
            return _kernel.instantiate(self.theorem(source.derivation), source.mapping)
        if isinstance(source, Postulate):
            if id(source) not in self._postulates:
                self._postulates[id(source)] = (source, _kernel.postulate(source.name, source.start, source.result,
                                                                          source.reason))
            return self._postulates[id(source)][1]
        return self.check(source, requested=False).theorem

    def check_step(self, derivation: Derivation, index: int) -> StepResult:
        """Check step ``index`` of ``derivation`` (previous == stated) through the kernel, using the
        theorems of the step's lemmas; each step once per Checker."""
        step = derivation.steps[index]
        previous = derivation.steps[index - 1].stated if index else derivation.start
        key = (id(step), id(previous))  # both stay alive in the stored result, so the ids stay unique
        if key not in self._steps:
            if step.unreadable:
                self._steps[key] = StepResult(step, _kernel.unreadable(previous, step.stated, step.unreadable),
                                              previous)
            elif step.rule.name == "weakest":
                self._steps[key] = self._weakest(derivation, previous, step)
            else:
                using = [self.theorem(lemma) for lemma in step.rule.lemmas]
                verdict = _kernel.check_equal(previous, step.stated, using=using, reasoning=step.rule.reasoning,
                                              settings=self.settings, cache=self.cache,
                                              hypotheses=derivation.hypotheses)
                hint = (self._other_rule(derivation, previous, step, verdict) if verdict.reason is Reason.UNDECIDED
                        else None)
                self._steps[key] = StepResult(step, verdict, previous, hint)
        return self._steps[key]

    def _weakest(self, derivation: Derivation, previous, step: Step) -> StepResult:
        """The first rule, least powerful first, under which the kernel decides the step (a
        counterexample refutes under any); else the most powerful rule's verdict."""
        from . import rules

        for make in rules.ORDER:
            rule = make()
            verdict = _kernel.check_equal(previous, step.stated, reasoning=rule.reasoning, settings=self.settings,
                                          cache=self.cache, hypotheses=derivation.hypotheses)
            if verdict.reason is not Reason.UNDECIDED:
                break
        return StepResult(step, verdict, previous, decided_by=rule)

    def _other_rule(self, derivation: Derivation, previous, step: Step, verdict: Verdict) -> str | None:
        """Which other rule the kernel proves an undecided step with, each tried within
        HINT_SECONDS a strategy: the step keeps its own verdict (its rule is what it claims),
        the report says what would prove it."""
        from . import rules

        if step.rule.lemmas:
            return None
        quick = replace(self.settings, seconds_per_strategy=HINT_SECONDS)
        for other in (make() for make in rules.ORDER):
            if other.reasoning is step.rule.reasoning:
                continue
            tried = _kernel.check_equal(previous, step.stated, reasoning=other.reasoning, settings=quick,
                                        cache=self.cache, hypotheses=derivation.hypotheses)
            if tried.proved:
                return f"undecided under {step.rule.name}; proved by rules.{other.name}(): change the rule"
        return None

    def statement(self, source) -> tuple | None:
        """The (lhs, rhs) that the kernel's verdict on a derivation, instance or postulate will
        state if it is proved, or None where that cannot be said ahead (for prefetch only)."""
        if isinstance(source, Postulate):
            return source.start, source.result
        if isinstance(source, Instance):
            inner = self.statement(source.derivation)
            if inner is None:
                return None
            try:
                mapping = {k: v if isinstance(v, sympy.Lambda) else sympy.sympify(v) for k, v in source.mapping.items()}
                return tuple(_kernel.substitute(side, mapping) for side in inner)
            except Exception:  # noqa: BLE001 - the kernel will say why; nothing to ask ahead
                return None
        if source.origin is None:
            return source.start, source.result
        origin = self.statement(source.origin)
        return None if origin is None else (origin[0], source.result)

    def _reachable(self, derivations) -> list[Derivation]:
        """The derivations and every derivation they rest on (origins, lemmas, instances)."""
        seen: dict[int, Derivation] = {}

        def visit(source) -> None:
            if isinstance(source, Instance):
                visit(source.derivation)
            elif isinstance(source, Derivation) and id(source) not in seen:
                seen[id(source)] = source
                if source.origin is not None:
                    visit(source.origin)
                for step in source.steps:
                    for lemma in step.rule.lemmas:
                        visit(lemma)

        for derivation in derivations:
            visit(derivation)
        return list(seen.values())

    def prefetch(self, derivations) -> None:
        """Have the kernel's witnesses answer every step these derivations rest on at once, over
        every worker process; checking them afterwards only decides (and stays in order)."""
        from . import rules

        claims = []
        for derivation in self._reachable(derivations):
            for index, step in enumerate(derivation.steps):
                if (id(step), id(derivation.steps[index - 1].stated if index else derivation.start)) in self._steps:
                    continue
                lemmas = [self.statement(lemma) for lemma in step.rule.lemmas]
                if step.unreadable or any(lemma is None for lemma in lemmas):
                    continue
                previous = derivation.steps[index - 1].stated if index else derivation.start
                # rules.weakest() asks the least powerful rule first.
                reasoning = rules.ORDER[0]().reasoning if step.rule.name == "weakest" else step.rule.reasoning
                claims.append((previous, step.stated, lemmas, reasoning, id(derivation), derivation.hypotheses))
        _kernel.prefetch(claims, self.settings, self.cache)

    def check(self, derivation: Derivation, *, requested: bool = True) -> DerivationResult:
        key = id(derivation)
        if key in self.results:
            self.results[key].requested |= requested
            return self.results[key]
        if key in self._in_progress:
            raise RecursionError(f"derivation '{derivation.name}' depends on itself")
        self._in_progress.add(key)
        started = time.perf_counter()
        results = [self.check_step(derivation, index) for index in range(len(derivation.steps))]
        origin = None if derivation.origin is None else self.theorem(derivation.origin)
        links = [r.verdict for r in results]
        theorem = _kernel.chain(links if origin is None else [origin, *links], derivation.hypotheses)
        result = DerivationResult(derivation, results, theorem, time.perf_counter() - started, requested, origin)
        self._in_progress.discard(key)
        self.results[key] = result
        self.order.append(result)
        return result


def check(derivations: list[Derivation], settings: Settings = Settings(), cache: StepCache | None = None) -> Report:
    """Check every derivation (and what it depends on) and report in dependency order; with a
    cache, the kernel recalls the claims it proved before (reason CACHED) and records new proofs."""
    started = time.perf_counter()
    checker = Checker(settings, cache)
    checker.prefetch(derivations)
    for derivation in derivations:
        checker.check(derivation)
    return Report(checker.order, settings, time.perf_counter() - started)
