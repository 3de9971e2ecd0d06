"""Rendering a Report: text for people, JSON for machines. Rendering never decides anything."""

from __future__ import annotations

import json
import os

import sympy

from . import __version__
from .checking import DerivationResult, Report, StepResult

_MARK = {"proved": "ok", "refuted": "FAIL", "unknown": "FAIL"}
_TEXT_LIMIT = 600


def _relative(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def _show(expr, limit: int | None = _TEXT_LIMIT) -> str:
    text = sympy.sstr(expr)
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."


def _failure_lines(result: StepResult) -> list[str]:
    v = result.verdict
    lines = [f"reason: {v.reason.value}: {v.detail}",
             f"previous: {_show(result.previous)}",
             f"stated:   {_show(result.step.stated)}"]
    if v.counterexample is not None:
        point = ", ".join(f"{k} = {val}" for k, val in v.counterexample.assignment.items())
        lines.append(f"counterexample: {point or '(any point)'}")
        lines.append(f"  previous = {v.counterexample.lhs_value}")
        lines.append(f"  stated   = {v.counterexample.rhs_value}")
    return lines


def render_text(report: Report) -> str:
    out: list[str] = []
    current_file = None
    for result in report.results:
        d = result.derivation
        file = _relative(d.location.file)
        if file != current_file:
            out.append(file)
            current_file = file
        role = "" if result.requested else " (dependency)"
        out.append(f"  {d.name}{role}: {d.title}")
        out.append(f"    scope: {d.scope}")
        if d.origin is not None:
            out.append(f"    starts from: {d.origin.name}")
        for s in result.steps:
            v = s.verdict
            out.append(f"    [{_MARK[v.status.value]:>4}] {s.step.label:<6} {s.step.description:<48.48} "
                       f"{s.step.rule.describe():<28.28} {v.status.value:<8} {v.seconds:6.2f}s")
            if not v.proved:
                out += [f"           {line}" for line in _failure_lines(s)]
        out.append(f"    => {result.theorem.status.value}: {result.theorem.detail}")
    counts = report.counts()
    total = sum(counts.values())
    verdict = "all steps proved" if report.ok else "NOT all steps proved"
    s = report.settings
    out.append(f"\nnumeric witness: {s.samples} seeded points (seed {s.seed}), at least {s.min_conclusive} "
               f"conclusive, {s.dps} digits, counterexamples re-checked at {s.recheck_dps}")
    out.append(f"{total} steps in {len(report.results)} derivations: {counts['proved']} proved, "
               f"{counts['refuted']} refuted, {counts['unknown']} unknown in {report.seconds:.1f}s: {verdict}")
    return "\n".join(out)


def _step_json(s: StepResult) -> dict:
    v = s.verdict
    return {
        "label": s.step.label,
        "description": s.step.description,
        "rule": s.step.rule.name,
        "reasoning": s.step.rule.reasoning.name.lower(),
        "lemmas": [lemma.name for lemma in s.step.rule.lemmas],
        "file": _relative(s.step.location.file),
        "line": s.step.location.line,
        "status": v.status.value,
        "reason": v.reason.value,
        "detail": v.detail,
        "strategy": v.strategy,
        "conclusive_points": v.conclusive_points,
        "seconds": round(v.seconds, 4),
        "numeric_seconds": round(v.numeric_seconds, 4),
        "previous": sympy.sstr(s.previous),
        "stated": sympy.sstr(s.step.stated),
        "counterexample": None if v.counterexample is None else {
            "assignment": v.counterexample.assignment,
            "previous": v.counterexample.lhs_value,
            "stated": v.counterexample.rhs_value,
        },
    }


def _derivation_json(result: DerivationResult) -> dict:
    d = result.derivation
    return {
        "name": d.name,
        "title": d.title,
        "scope": d.scope,
        "origin": None if d.origin is None else d.origin.name,
        "file": _relative(d.location.file),
        "line": d.location.line,
        "requested": result.requested,
        "status": result.theorem.status.value,
        "seconds": round(result.seconds, 4),
        "steps": [_step_json(s) for s in result.steps],
    }


def render_json(report: Report) -> str:
    s = report.settings
    document = {
        "derive_version": __version__,
        "sympy_version": sympy.__version__,
        "ok": report.ok,
        "settings": {"samples": s.samples, "min_conclusive": s.min_conclusive, "dps": s.dps,
                     "recheck_dps": s.recheck_dps, "seed": s.seed,
                     "seconds_per_strategy": s.seconds_per_strategy},
        "summary": {**report.counts(), "derivations": len(report.results), "seconds": round(report.seconds, 3)},
        "derivations": [_derivation_json(r) for r in report.results],
    }
    return json.dumps(document, indent=2)
