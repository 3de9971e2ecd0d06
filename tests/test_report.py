"""Report formats: JUnit XML read by a real XML parser, JSON checked against its schema, GitHub
workflow commands line by line, Markdown with LaTeX, and one derivation for the terminal."""

import json
import textwrap
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest
import sympy

import derive
from derive import Reason, Status
from derive.outcome import Outcome
from derive.report import (render_derivation, render_github, render_json, render_junit, render_markdown,
                           render_step_summary, render_text)
from tests.test_cli import BAD, GOOD, UNKNOWN

# A label and a description with every character GitHub's workflow commands escape, and some
# that XML must escape or cannot hold at all.
ODD = """
from sympy import Symbol
from derive import Derivation, rules

x = Symbol("x", real=True)
d = Derivation("odd", "odd names", x + 1)
d.step("1,a:b%", "100% sure: a, b\\r\\nnext <&> *x* \\x01", rules.algebra(), x + 2)
"""

SOURCES = {"good.py": GOOD, "bad.py": BAD, "unknown.py": UNKNOWN, "we,ird.py": ODD}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("proofs")
    for name, source in SOURCES.items():
        (folder / name).write_text(textwrap.dedent(source))
    return folder


@pytest.fixture(scope="module")
def reports(folder):
    """One checked report per proof file, by file name."""
    return {name: derive.check(derive.load([folder / name]).defined) for name in SOURCES}


@pytest.fixture
def here(folder, monkeypatch):
    """Run in the proofs' folder, so that reports name the files as bad.py, good.py, ..."""
    monkeypatch.chdir(folder)


def only_step(report):
    (result,) = report.results
    (step,) = result.steps
    return step


# Outcome: what passes, strict or not.

def test_outcome_strict_and_allowing_unknown(reports):
    good, bad, unknown = reports["good.py"], reports["bad.py"], reports["unknown.py"]
    assert only_step(unknown).verdict.status is Status.UNKNOWN
    assert (Outcome(good).ok, Outcome(bad).ok, Outcome(unknown).ok) == (True, False, False)
    allowing = [Outcome(r, allow_unknown=True) for r in (good, bad, unknown)]
    assert [o.ok for o in allowing] == [True, False, True]
    assert [len(o.allowed_steps) for o in allowing] == [0, 0, 1]
    assert Outcome(unknown).allowed_steps == []


# JUnit

def parse_junit(report, **options):
    root = ET.fromstring(render_junit(report, **options))
    assert root.tag == "testsuites"
    return root


def test_junit_one_testcase_per_step_with_the_failure_in_full(reports, here):
    report = reports["bad.py"]
    root = parse_junit(report)
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == \
        {"tests": "1", "failures": "1", "errors": "0", "skipped": "0"}
    (suite,) = root
    assert suite.tag == "testsuite" and suite.get("name") == "bad.py"
    assert [child.tag for child in suite] == ["properties", "testcase"]
    properties = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert properties["strict"] == "true" and properties["samples"] == "8"
    case = suite.find("testcase")
    assert case.get("classname") == "bad" and case.get("name") == "variance_term step 1"
    assert float(case.get("time")) == pytest.approx(only_step(report).verdict.seconds, abs=1e-3)
    failure = case.find("failure")
    assert failure.get("type") == "NOT_EQUAL"
    assert failure.get("message") == "refuted: NOT_EQUAL: the sides differ at a sample point"
    counterexample = only_step(report).verdict.counterexample
    assert failure.text.splitlines() == [
        "bad.py:7: variance_term step 1: log s^2 = 2 log s",
        "reason: NOT_EQUAL: the sides differ at a sample point",
        "previous: s**2/2 - log(s**2)/2 - 1/2",
        "stated:   s**2/2 + log(s) - 1/2",
        f"counterexample: s = {counterexample.assignment['s']}",
        f"  previous = {counterexample.lhs_value}",
        f"  stated   = {counterexample.rhs_value}",
    ]
    assert case.find("system-out").text.startswith("bad.py:7: log s^2 = 2 log s [algebra]: refuted")


def test_junit_passing_and_allowed_unknown_steps(reports, here):
    case = parse_junit(reports["good.py"]).find("testsuite/testcase")
    assert case.find("failure") is None and case.find("skipped") is None
    strict = parse_junit(reports["unknown.py"]).find("testsuite/testcase")
    assert strict.find("failure").get("type") == "ASSUMPTION_MISSING"
    root = parse_junit(reports["unknown.py"], allow_unknown=True)
    assert (root.get("failures"), root.get("skipped")) == ("0", "1")
    skipped = root.find("testsuite/testcase/skipped")
    assert skipped.get("message").startswith("unknown, allowed (not strict): ASSUMPTION_MISSING")
    assert {p.get("name"): p.get("value") for p in root.find("testsuite/properties")}["strict"] == "false"


def test_junit_escapes_markup_and_replaces_characters_xml_cannot_hold(reports, here):
    case = parse_junit(reports["we,ird.py"]).find("testsuite/testcase")
    assert case.get("name") == "odd step 1,a:b%" and case.get("classname") == "we,ird"
    assert "100% sure: a, b\n" in case.find("failure").text  # XML normalises \r\n to \n
    assert "next <&> *x* \ufffd" in case.find("failure").text


# JSON

SCHEMA = json.loads(resources.files("derive").joinpath("report_schema.json").read_text())


@pytest.mark.parametrize("name", SOURCES)
@pytest.mark.parametrize("allow_unknown", [False, True])
def test_json_report_is_valid_against_the_schema(reports, name, allow_unknown):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    document = json.loads(render_json(reports[name], allow_unknown=allow_unknown))
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert document["strict"] is not allow_unknown
    assert document["ok"] is Outcome(reports[name], allow_unknown).ok


def test_json_allowed_unknown_and_the_schema_rejects_what_it_should(reports):
    document = json.loads(render_json(reports["unknown.py"], allow_unknown=True))
    assert (document["ok"], document["all_proved"], document["summary"]["allowed_unknown"]) == (True, False, 1)
    assert document["derivations"][0]["steps"][0]["allowed_unknown"] is True
    validator = jsonschema.Draft202012Validator(SCHEMA)
    step = document["derivations"][0]["steps"][0]
    for broken in ({**step, "status": "proved"}, {**step, "reason": "PROBABLY"},
                   {k: v for k, v in step.items() if k != "stated"}, {**step, "extra": 1}):
        document["derivations"][0]["steps"][0] = broken
        assert not validator.is_valid(document), broken


def test_schema_names_exactly_the_kernels_statuses_and_reasons():
    step = SCHEMA["$defs"]["step"]["properties"]
    assert set(SCHEMA["$defs"]["status"]["enum"]) == {s.value for s in Status}
    assert set(step["reason"]["enum"]) == {r.value for r in Reason}


# GitHub workflow commands

def annotations(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("::") and "group::" not in line]


def test_github_error_annotation_on_the_failing_steps_line(reports, here):
    report = reports["bad.py"]
    c = only_step(report).verdict.counterexample
    assert annotations(render_github(report)) == [
        "::error file=bad.py,line=7,title=derive%3A variance_term step 1 refuted::log s^2 = 2 log s"
        "%0Areason: NOT_EQUAL: the sides differ at a sample point"
        "%0Aprevious: s**2/2 - log(s**2)/2 - 1/2%0Astated:   s**2/2 + log(s) - 1/2"
        f"%0Acounterexample: s = {c.assignment['s']}%0A  previous = {c.lhs_value}%0A  stated   = {c.rhs_value}",
        "::notice title=derive check::1 steps in 1 derivations: 0 proved, 1 refuted, 0 unknown in "
        f"{report.seconds:.1f}s: NOT all steps proved",
    ]


def test_github_escapes_data_and_properties(reports, here):
    report = reports["we,ird.py"]
    c = only_step(report).verdict.counterexample
    error, _ = annotations(render_github(report))
    assert error == (
        "::error file=we%2Cird.py,line=7,title=derive%3A odd step 1%2Ca%3Ab%25 refuted::"
        "100%25 sure: a, b%0D%0Anext <&> *x* \x01%0Areason: NOT_EQUAL: the sides differ at a sample point"
        f"%0Aprevious: x + 1%0Astated:   x + 2%0Acounterexample: x = {c.assignment['x']}"
        f"%0A  previous = {c.lhs_value}%0A  stated   = {c.rhs_value}")


def test_github_passing_report_has_the_notice_and_the_text_report_in_a_group(reports, here):
    text = render_github(reports["good.py"])
    lines = text.splitlines()
    assert lines[0] == "::group::derive check report" and "::endgroup::" in lines
    assert render_text(reports["good.py"]) in text
    assert annotations(text) == [f"::notice title=derive check::1 steps in 1 derivations: 1 proved, 0 refuted, "
                                 f"0 unknown in {reports['good.py'].seconds:.1f}s: all steps proved"]


def test_github_allowed_unknown_is_a_warning_and_the_notice_says_so(reports, here):
    warning, notice = annotations(render_github(reports["unknown.py"], allow_unknown=True))
    assert warning.startswith("::warning file=unknown.py,line=7,title=derive%3A cancel step 1 unknown%2C "
                              "allowed (not strict)::cancel x - 1%0Areason: ASSUMPTION_MISSING")
    assert notice.endswith("no step refuted, 1 unknown allowed (not strict)"
                           "%0Anot strict: 1 unknown steps pass unproved: cancel step 1")


def test_step_summary_has_the_table_and_the_failing_step(reports, here):
    summary = render_step_summary(reports["bad.py"])
    assert summary.startswith("## derive check ❌\n")
    assert "| `variance_term` | `bad.py` | 0 | 1 | 0 | ❌ refuted |" in summary
    assert "### `variance_term`: variance term" in summary
    assert f"$$\n{sympy.latex(only_step(reports['bad.py']).step.stated)}\n$$" in summary


# Markdown

def math_blocks(text: str) -> list[str]:
    parts = text.split("$$\n")
    return [block.rstrip("\n") for block in parts[1::2]]


def test_markdown_refuted_step_shows_both_sides_in_latex_and_the_counterexample(reports, here):
    report = reports["bad.py"]
    step = only_step(report)
    text = render_markdown(report)
    blocks = math_blocks(text)
    assert blocks == [sympy.latex(report.results[0].derivation.start), sympy.latex(step.previous),
                      sympy.latex(step.step.stated)]
    assert sympy.latex(step.previous) != sympy.latex(step.step.stated)
    c = step.verdict.counterexample
    assert (f"counterexample at `s = {c.assignment['s']}`: previous = `{c.lhs_value}`, "
            f"stated = `{c.rhs_value}`") in text
    assert "**1** log s^2 = 2 log s · rule `algebra` · ❌ refuted (NOT_EQUAL) ·" in text
    assert "`bad.py:7`" in text and text.startswith("# derive check ❌\n")


def test_markdown_proved_steps_read_as_a_chain(reports, here):
    report = reports["good.py"]
    assert math_blocks(render_markdown(report)) == [
        sympy.latex(report.results[0].derivation.start), "= " + sympy.latex(only_step(report).step.stated)]
    assert "**⇒ proved**: transitivity over 1 proved links" in render_markdown(report)


def test_markdown_escapes_the_authors_text_and_marks_allowed_unknown(reports, here):
    assert r"100% sure: a, b" in render_markdown(reports["we,ird.py"])
    assert r"next <&> \*x\*" not in render_markdown(reports["we,ird.py"])  # < and > are escaped too
    assert r"next \<&\> \*x\*" in render_markdown(reports["we,ird.py"])
    text = render_markdown(reports["unknown.py"], allow_unknown=True)
    assert "⚠️ unknown (ASSUMPTION_MISSING), allowed (not strict)" in text
    assert "> ⚠️ not strict: 1 unknown steps pass unproved: cancel step 1" in text


# Text

def test_text_marks_allowed_unknown_steps(reports, here):
    text = render_text(reports["unknown.py"], allow_unknown=True)
    assert "[warn] 1      cancel x - 1" in text
    assert text.splitlines()[-2:] == [
        "not strict: 1 unknown steps pass unproved: cancel step 1",
        f"1 steps in 1 derivations: 0 proved, 0 refuted, 1 unknown in {reports['unknown.py'].seconds:.1f}s: "
        "no step refuted, 1 unknown allowed (not strict)"]
    assert "[FAIL] 1      cancel x - 1" in render_text(reports["unknown.py"])


# derive show

def test_render_derivation_pretty_prints_each_step(reports, here):
    result = reports["good.py"].results[0]
    text = render_derivation(result.derivation, unicode=False, width=80)
    assert text.splitlines()[:3] == ["variance_term: variance term", "  good.py:6",
                                     "  scope: all values the assumptions allow"]
    assert "  1  log s^2 = 2 log s  [algebra]  good.py:7" in text.splitlines()
    for line in sympy.pretty(result.steps[0].step.stated, use_unicode=False).splitlines():
        assert f"      {line}".rstrip() in text.splitlines()
    assert "proved" not in text and text.isascii()
    checked = render_derivation(result.derivation, result)
    assert "  1  log s^2 = 2 log s  [algebra]  good.py:7  proved" in checked
    assert checked.splitlines()[-1] == "  => proved: transitivity over 1 proved links"


def test_render_derivation_with_a_failing_step_shows_why(reports, here):
    result = reports["bad.py"].results[0]
    text = render_derivation(result.derivation, result)
    assert "      reason: NOT_EQUAL: the sides differ at a sample point" in text
    assert "counterexample: s = " in text


def test_a_refuted_step_makes_its_derivation_refuted_in_every_format(reports, here):
    """bad.py's step is refuted: the derivation as written is false, and every format says
    refuted (its theorem, start = result, stays unknown: a refuted link proves nothing)."""
    report = reports["bad.py"]
    assert "=> refuted: step 1 is refuted (start = result itself is unknown:" in render_text(report)
    (derivation,) = json.loads(render_json(report))["derivations"]
    assert (derivation["status"], derivation["theorem"]) == ("refuted", "unknown")
    assert "**⇒ refuted**: step 1 is refuted" in render_markdown(report)
    assert "❌ refuted |" in render_step_summary(report)
    assert "=> refuted: step 1 is refuted" in render_github(report)
    case = ET.fromstring(render_junit(report)).find(".//testcase/failure")
    assert case.get("message").startswith("refuted: NOT_EQUAL")
    assert json.loads(render_json(reports["unknown.py"]))["derivations"][0]["status"] == "unknown"


def test_markdown_shortens_a_large_expression_and_folds_its_full_form():
    from derive.report import LONG_LATEX, _math

    x = sympy.Symbol("x")
    large = sum(sympy.Symbol(f"a_{n}") * x**n for n in range(80))
    lines = _math(large, "= ")
    assert len(lines[1]) < LONG_LATEX and "\\dots" in lines[1]
    assert lines[4] == "<details><summary>in full (80 terms)</summary>" and lines[7] == "= " + sympy.latex(large)
    assert _math(x + 1) == ["$$", "x + 1", "$$", ""]
