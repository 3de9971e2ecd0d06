"""Rendering a Report: text for people, JSON for machines, JUnit XML and GitHub annotations for
CI, Markdown with LaTeX for reading a derivation; and one derivation for the terminal (``derive
show``). Rendering never decides anything: whether a report passes is ``Outcome``'s answer.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import sympy

from . import __version__
from ._files import DOCUMENT_SUFFIXES
from .kernel import Reason
from .checking import DerivationResult, Report, StepResult
from .derivation import Derivation
from .outcome import Outcome

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


def hypotheses_of(d: Derivation) -> list[str]:
    return [sympy.sstr(h) for h in d.hypotheses]


def scope_of(d: Derivation) -> str:
    """The derivation's scope with the hypotheses it holds under."""
    hypotheses = hypotheses_of(d)
    return f"{d.scope}; assuming {', '.join(hypotheses)}" if hypotheses else d.scope


def derivation_status(result) -> tuple[str, str]:
    """(status, detail) of a derivation as reported: refuted when a step (or the origin) is
    refuted, since the derivation as written then states something false, whatever its theorem
    (start = result, which a refuted link leaves unknown); else the kernel's theorem."""
    theorem = result.theorem
    refuted = [f"step {s.step.label}" for s in result.steps if s.verdict.status.value == "refuted"]
    if result.origin is not None and result.origin.status.value == "refuted":
        refuted.insert(0, "its origin")
    if refuted and theorem.status.value != "refuted":
        return "refuted", (f"{', '.join(refuted)} {'is' if len(refuted) == 1 else 'are'} refuted "
                           f"(start = result itself is {theorem.status.value}: {theorem.detail})")
    return theorem.status.value, theorem.detail


def _latex(expr) -> str:
    """A step of a .tex or .md document shown as it was written: in LaTeX (a side that could not
    be read is a symbol named by its text, shown as that text)."""
    if isinstance(expr, sympy.Symbol) and not re.fullmatch(r"[A-Za-z]+(_\w+)?", expr.name):
        return expr.name
    latex = sympy.latex(expr)
    if len(latex) > LONG_LATEX:  # a matrix chain at k = 3 expands to pages
        return f"{latex[:LONG_LATEX // 2]} \\dots ({len(latex)} characters of LaTeX; --format markdown shows all)"
    return latex


def _failure_lines(result: StepResult) -> list[str]:
    v = result.verdict
    written = Path(result.step.location.file).suffix in DOCUMENT_SUFFIXES
    show = _latex if written else _show
    lines = [f"reason: {v.reason.value}: {v.detail}",
             f"previous: {show(result.previous)}",
             f"stated:   {show(result.step.stated)}"]
    if v.counterexample is not None:
        point = ", ".join(f"{_latex(sympy.Symbol(k)) if written else k} = {val}"
                          for k, val in v.counterexample.assignment.items())
        lines.append(f"counterexample: {point or '(any point)'}")
        lines.append(f"  previous = {v.counterexample.lhs_value}")
        lines.append(f"  stated   = {v.counterexample.rhs_value}")
    if result.hint:
        lines.append(f"hint: {result.hint}")
    return lines


def _name(result: DerivationResult, s: StepResult) -> str:
    return f"{result.derivation.name} step {s.step.label}"


def _verdict_words(outcome: Outcome) -> str:
    if outcome.report.ok:
        return "all steps proved"
    if outcome.ok:
        return f"no step refuted, {len(outcome.allowed_steps)} unknown allowed (not strict)"
    return "NOT all steps proved"


def _summary(outcome: Outcome) -> str:
    """The last line of every report: the counts and what they mean."""
    report = outcome.report
    counts = report.counts()
    return (f"{sum(counts.values())} steps in {len(report.results)} derivations: {counts['proved']} proved, "
            f"{counts['refuted']} refuted, {counts['unknown']} unknown in {report.seconds:.1f}s: "
            f"{_verdict_words(outcome)}")


def _notes(outcome: Outcome) -> list[str]:
    """What the summary's words do not say: which unknown steps passed only because the check is
    not strict, and at which dimensions alone claims about vectors and matrices were checked."""
    notes = []
    names = [_name(r, s) for r in outcome.report.results for s in r.steps if outcome.allowed(s)]
    if names:
        notes.append(f"not strict: {len(names)} unknown steps pass unproved: {', '.join(names)}")
    read_at = [r.derivation.dimensions for r in outcome.report.results if r.derivation.dimensions]
    if read_at:
        notes.append(f"checked at chosen dimensions only: {len(read_at)} derivations of vectors and matrices were read "
                     f"at {'; '.join(dict.fromkeys(read_at))} and are proved there, not for every dimension "
                     "(% derive: assume k \\in \\{2, 4\\} chooses others)")
    return notes


def render_text(report: Report, *, allow_unknown: bool = False, list_axioms: bool = False) -> str:
    """The report for a terminal; ``list_axioms`` adds what each derivation rests on (none, or
    postulates, declared operators, allowed-unknown steps)."""
    outcome = Outcome(report, allow_unknown)
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
        out.append(f"    scope: {scope_of(d)}")
        if d.origin is not None:
            out.append(f"    starts from: {d.origin.name}")
            if result.origin is not None and not result.origin.proved:
                out.append(f"           origin {result.origin.status.value}: {result.origin.reason.value}: "
                           f"{result.origin.detail}")
        for s in result.steps:
            v = s.verdict
            mark = "warn" if outcome.allowed(s) else _MARK[v.status.value]
            out.append(f"    [{mark:>4}] {s.step.label:<6} {s.step.description:<48.48} "
                       f"{s.rule.describe():<28.28} {_status_shown(v):<8} {v.seconds:6.2f}s")
            if not v.proved:
                out += [f"           {line}" for line in _failure_lines(s)]
        out.append("    => {}: {}".format(*derivation_status(result)))
        axioms = outcome.axioms(result)
        if axioms and not list_axioms:
            out.append(f"    rests on {len(axioms)} axiom(s): derive check --axioms lists them")
    if list_axioms:
        out.append("\naxioms (what each derivation rests on besides derive's kernel, sympy and mpmath):")
        for result in report.results:
            axioms = outcome.axioms(result)
            out.append(f"  {result.derivation.name}: {'none' if not axioms else axioms[0]}")
            out += [f"  {'':{len(result.derivation.name)}}  {axiom}" for axiom in axioms[1:]]
    s = report.settings
    out.append(f"\nnumeric witness: the edges of every domain and {s.samples} seeded random points (seed {s.seed}), "
               f"at least {s.min_conclusive} conclusive, {s.dps} digits, counterexamples confirmed at {s.recheck_dps}")
    cached = sum(r.verdict.reason is Reason.CACHED for r in report.step_results())
    if cached:
        out.append(f"recalled from the cache: {cached} proved step(s), from records this kernel signed when it "
                   "proved them (.derive_cache); --no-cache proves every step afresh")
    out += _notes(outcome)
    out.append(_summary(outcome))
    return "\n".join(out)


def _status_shown(verdict) -> str:
    return "cached" if verdict.reason is Reason.CACHED else verdict.status.value


def _step_json(s: StepResult, outcome: Outcome) -> dict:
    v = s.verdict
    return {
        "label": s.step.label,
        "description": s.step.description,
        "rule": s.rule.name,
        "reasoning": s.rule.reasoning.name.lower(),
        "lemmas": [lemma.name for lemma in s.step.rule.lemmas],
        "file": _relative(s.step.location.file),
        "line": s.step.location.line,
        "status": v.status.value,
        "allowed_unknown": outcome.allowed(s),
        "reason": v.reason.value,
        "detail": v.detail,
        "strategy": v.strategy,
        "conclusive_points": v.conclusive_points,
        "seconds": round(v.seconds, 4),
        "symbolic_seconds": round(v.symbolic_seconds, 4),
        "numeric_seconds": round(v.numeric_seconds, 4),
        "previous": sympy.sstr(s.previous),
        "stated": sympy.sstr(s.step.stated),
        "counterexample": None if v.counterexample is None else {
            "assignment": v.counterexample.assignment,
            "previous": v.counterexample.lhs_value,
            "stated": v.counterexample.rhs_value,
        },
        "hint": s.hint,
    }


def _derivation_json(result: DerivationResult, outcome: Outcome) -> dict:
    d = result.derivation
    return {
        "name": d.name,
        "title": d.title,
        "scope": d.scope,
        "hypotheses": hypotheses_of(d),
        "origin": None if d.origin is None else d.origin.name,
        "file": _relative(d.location.file),
        "line": d.location.line,
        "requested": result.requested,
        "status": derivation_status(result)[0],
        "theorem": result.theorem.status.value,
        "axioms": outcome.axioms(result),
        "seconds": round(result.seconds, 4),
        "steps": [_step_json(s, outcome) for s in result.steps],
    }


def render_json(report: Report, *, allow_unknown: bool = False) -> str:
    """The report as JSON, valid against ``derive/report_schema.json``."""
    outcome = Outcome(report, allow_unknown)
    s = report.settings
    document = {
        "derive_version": __version__,
        "sympy_version": sympy.__version__,
        "ok": outcome.ok,
        "all_proved": report.ok,
        "strict": not allow_unknown,
        "settings": {"samples": s.samples, "min_conclusive": s.min_conclusive, "dps": s.dps,
                     "recheck_dps": s.recheck_dps, "seed": s.seed,
                     "seconds_per_strategy": s.seconds_per_strategy},
        "summary": {**report.counts(), "allowed_unknown": len(outcome.allowed_steps),
                    "derivations": len(report.results), "seconds": round(report.seconds, 3)},
        "derivations": [_derivation_json(r, outcome) for r in report.results],
    }
    return json.dumps(document, indent=2)


# JUnit XML (the xunit2 layout pytest writes): one testsuite per proof file, one testcase per step.

_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # what XML 1.0 cannot hold


def _xml(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


def _classname(file: str) -> str:
    """A proof file as a dotted name (proofs/stage1.py -> proofs.stage1), as pytest names test classes."""
    stem = file[:-3] if file.endswith(".py") else file
    return ".".join(part for part in re.split(r"[\\/]", stem) if part not in ("", ".", ".."))


def _where(location) -> str:
    return f"{_relative(location.file)}:{location.line}"


def _by_file(report: Report) -> dict[str, list[tuple[DerivationResult, StepResult]]]:
    files: dict[str, list[tuple[DerivationResult, StepResult]]] = {}
    for r in report.results:
        files.setdefault(_relative(r.derivation.location.file), []).extend((r, s) for s in r.steps)
    return files


def _junit_case(suite: ET.Element, file: str, r: DerivationResult, s: StepResult, outcome: Outcome) -> str | None:
    """Add the step's testcase; returns 'failures', 'skipped' or None (passed)."""
    v, where = s.verdict, _where(s.step.location)
    case = ET.SubElement(suite, "testcase", classname=_classname(file), name=_name(r, s), time=f"{v.seconds:.3f}")
    kind = None
    if outcome.allowed(s):
        kind = "skipped"
        ET.SubElement(case, "skipped", message=_xml(f"unknown, allowed (not strict): {v.reason.value}: "
                                                    f"{v.detail}"))
    elif not v.proved:
        kind = "failures"
        failure = ET.SubElement(case, "failure", message=_xml(f"{v.status.value}: {v.reason.value}: {v.detail}"),
                                type=v.reason.value)
        failure.text = _xml("\n".join([f"{where}: {_name(r, s)}: {s.step.description}", *_failure_lines(s)]))
    ET.SubElement(case, "system-out").text = _xml(
        f"{where}: {s.step.description} [{s.rule.describe()}]: {v.status.value}: {v.detail}")
    return kind


def render_junit(report: Report, *, allow_unknown: bool = False) -> str:
    outcome = Outcome(report, allow_unknown)
    settings = report.settings
    properties = {"derive_version": __version__, "sympy_version": sympy.__version__,
                  "strict": str(not allow_unknown).lower(), "samples": settings.samples, "seed": settings.seed}
    root = ET.Element("testsuites", name="derive check")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for file, pairs in _by_file(report).items():
        suite = ET.SubElement(root, "testsuite", name=file)
        listed = ET.SubElement(suite, "properties")
        for key, value in properties.items():
            ET.SubElement(listed, "property", name=key, value=str(value))
        counts = dict.fromkeys(totals, 0)
        counts["tests"] = len(pairs)
        for r, s in pairs:
            kind = _junit_case(suite, file, r, s, outcome)
            if kind:
                counts[kind] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", f"{sum(s.verdict.seconds for _, s in pairs):.3f}")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{report.seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# GitHub Actions: workflow commands, escaped as actions/toolkit's command.ts escapes them.

def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, message: str, **properties) -> str:
    shown = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
    return f"::{kind} {shown}::{_escape_data(message)}"


def render_github(report: Report, *, allow_unknown: bool = False) -> str:
    """The text report in a collapsed log group, an ``::error`` on the line of each failing step
    (``::warning`` for an unknown step that passes, the check not being strict) and a ``::notice``
    summary."""
    outcome = Outcome(report, allow_unknown)
    out = ["::group::derive check report", render_text(report, allow_unknown=allow_unknown), "::endgroup::"]
    for r in report.results:
        for s in r.steps:
            if s.verdict.proved:
                continue
            allowed = outcome.allowed(s)
            status = "unknown, allowed (not strict)" if allowed else s.verdict.status.value
            out.append(_command("warning" if allowed else "error",
                                "\n".join([s.step.description, *_failure_lines(s)]),
                                file=_relative(s.step.location.file), line=s.step.location.line,
                                title=f"derive: {_name(r, s)} {status}"))
    out.append(_command("notice", "\n".join([_summary(outcome), *_notes(outcome)]), title="derive check"))
    return "\n".join(out)


# Markdown with LaTeX math blocks ($$ ... $$), which GitHub renders.

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|$~])")
_ICON = {"proved": "✅", "refuted": "❌", "unknown": "❓"}


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _code(text: str) -> str:
    return f"`` {text} ``" if "`" in text else f"`{text}`"


# Beyond this many characters of LaTeX a math block is shortened, its full form folded below it.
LONG_LATEX = 400


def _math(expr, prefix: str = "") -> list[str]:
    """A math block; a long one as its first and last terms around an ellipsis, with the whole
    in a <details> block (GitHub renders both; a reader of a large expression sees its shape)."""
    latex = sympy.latex(expr)
    if len(latex) <= LONG_LATEX:
        return ["$$", prefix + latex, "$$", ""]
    terms = sympy.Add.make_args(expr)
    if len(terms) > 2:
        short = f"{sympy.latex(terms[0])} + \\dots + {sympy.latex(terms[-1])}"
        what = f"{len(terms)} terms"
    else:
        short, what = latex[:LONG_LATEX // 2] + " \\dots", f"{len(latex)} characters of LaTeX"
    if len(short) > LONG_LATEX:
        short, what = f"\\text{{{type(expr).__name__} of {len(latex)} characters}}", f"{len(latex)} characters of LaTeX"
    return ["$$", prefix + short, "$$", "", f"<details><summary>in full ({what})</summary>", "", "$$", prefix + latex,
            "$$", "", "</details>", ""]


def _md_step(s: StepResult, outcome: Outcome) -> list[str]:
    v = s.verdict
    if outcome.allowed(s):
        verdict = f"⚠️ unknown ({v.reason.value}), allowed (not strict)"
    else:
        verdict = f"{_ICON[v.status.value]} {v.status.value}" + ("" if v.proved else f" ({v.reason.value})")
    out = [f"**{_md(s.step.label)}** {_md(s.step.description)} · rule {_code(s.rule.describe())} · "
           f"{verdict} · {v.seconds:.2f} s · {_code(_where(s.step.location))}", ""]
    if v.proved:
        return out + _math(s.step.stated, "= ")
    out += [f"> {_md(v.detail)}", "", *([f"> 💡 {_md(s.hint)}", ""] if s.hint else []),
            "previous (left side):", "", *_math(s.previous),
            "stated (right side):", "", *_math(s.step.stated)]
    if v.counterexample is not None:
        c = v.counterexample
        point = ", ".join(f"{k} = {value}" for k, value in c.assignment.items()) or "(any point)"
        out += [f"counterexample at {_code(point)}: previous = {_code(c.lhs_value)}, "
                f"stated = {_code(c.rhs_value)}", ""]
    return out


def _md_derivation(r: DerivationResult, outcome: Outcome) -> list[str]:
    d = r.derivation
    role = " (dependency)" if not r.requested else ""
    where = f"{_code(_where(d.location))} · scope: {_md(scope_of(d))}"
    if d.origin is not None:
        where += f" · starts from {_code(d.origin.name)}"
    out = [f"## {_code(d.name)}: {_md(d.title)}{role}", "", where, "", *_math(d.start)]
    for s in r.steps:
        out += _md_step(s, outcome)
    status, detail = derivation_status(r)
    return out + [f"**⇒ {status}**: {_md(detail)}", ""]


def _md_head(outcome: Outcome, title: str) -> list[str]:
    out = [f"{title} {'✅' if outcome.ok else '❌'}", "", _md(_summary(outcome)), ""]
    return out + [line for note in _notes(outcome) for line in (f"> ⚠️ {_md(note)}", "")]


def render_markdown(report: Report, *, allow_unknown: bool = False) -> str:
    """Every derivation in full: its start and each step's stated expression as LaTeX, with the
    rule and verdict; a step not proved shows both sides and the counterexample."""
    outcome = Outcome(report, allow_unknown)
    out = _md_head(outcome, "# derive check")
    for r in report.results:
        out += _md_derivation(r, outcome)
    return "\n".join(out)


def render_step_summary(report: Report, *, allow_unknown: bool = False) -> str:
    """What ``--format github`` appends to $GITHUB_STEP_SUMMARY: a table of the derivations and
    the steps not proved, in full."""
    outcome = Outcome(report, allow_unknown)
    out = _md_head(outcome, "## derive check")
    out += ["| derivation | file | proved | refuted | unknown | result |", "| --- | --- | --- | --- | --- | --- |"]
    for r in report.results:
        counts = {status: sum(s.verdict.status.value == status for s in r.steps) for status in _ICON}
        status = derivation_status(r)[0]
        out.append(f"| {_code(r.derivation.name)} | {_code(_relative(r.derivation.location.file))} | "
                   f"{counts['proved']} | {counts['refuted']} | {counts['unknown']} | {_ICON[status]} {status} |")
    out.append("")
    for r in report.results:
        failing = [s for s in r.steps if not s.verdict.proved]
        if failing:
            out += [f"### {_code(r.derivation.name)}: {_md(r.derivation.title)}", ""]
            for s in failing:
                out += _md_step(s, outcome)
    return "\n".join(out)


FORMATS = {"text": render_text, "json": render_json, "junit": render_junit, "markdown": render_markdown,
           "github": render_github}


# One derivation for the terminal (derive show).

def render_derivation(derivation: Derivation, result: DerivationResult | None = None, *,
                      unicode: bool = True, width: int = 100) -> str:
    """The start and each step's stated expression pretty-printed, with label, description, rule
    and place; with ``result`` (derive show --check), each step's verdict too."""
    d = derivation

    def pretty(expr) -> list[str]:
        text = sympy.pretty(expr, use_unicode=unicode, num_columns=max(width - 6, 20))
        return ["", *(f"      {line}".rstrip() for line in text.splitlines()), ""]

    out = [f"{d.name}: {d.title}", f"  {_where(d.location)}", f"  scope: {scope_of(d)}"]
    if d.origin is not None:
        out.append(f"  starts from: {d.origin.name}")
    out += pretty(d.start)
    checked = result.steps if result is not None else [None] * len(d.steps)
    for step, s in zip(d.steps, checked):
        head = f"  {step.label}  {step.description}  [{step.rule.describe()}]  {_where(step.location)}"
        out.append(head if s is None else f"{head}  {s.verdict.status.value} {s.verdict.seconds:.2f}s")
        out += pretty(step.stated)
        if s is not None and not s.verdict.proved:
            out += [*(f"      {line}" for line in _failure_lines(s)), ""]
    if result is not None:
        out.append("  => {}: {}".format(*derivation_status(result)))
    return "\n".join(out).rstrip()
