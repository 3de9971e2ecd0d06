"""The command line: reports, exit codes, and one-line errors that name the place."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from derive.cli import cli

GOOD = """
from sympy import Rational, Symbol, log
from derive import Derivation, rules

s = Symbol("s", positive=True)
d = Derivation("variance_term", "variance term", Rational(1, 2) * (s**2 - 1 - log(s**2)))
d.step("1", "log s^2 = 2 log s", rules.algebra(), Rational(1, 2) * (s**2 - 1) - log(s))
"""

BAD = GOOD.replace("- log(s))", "+ log(s))")


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_passing_proof_exits_0(write_proof):
    path = write_proof("good.py", GOOD)
    result = run("check", str(path))
    assert result.exit_code == 0, result.output
    assert "variance_term" in result.output
    assert "1 steps in 1 derivations: 1 proved, 0 refuted, 0 unknown" in result.output
    assert "all steps proved" in result.output


def test_refuted_step_exits_1_with_counterexample(write_proof):
    path = write_proof("bad.py", BAD)
    result = run("check", str(path))
    assert result.exit_code == 1
    assert "FAIL" in result.output and "refuted" in result.output
    assert "counterexample: s = " in result.output
    assert "NOT all steps proved" in result.output


def test_json_report(write_proof):
    path = write_proof("bad.py", BAD)
    result = run("check", "--format", "json", str(path))
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    assert report["summary"] == {**report["summary"], "proved": 0, "refuted": 1, "unknown": 0, "derivations": 1}
    step = report["derivations"][0]["steps"][0]
    assert {"label", "rule", "reasoning", "status", "reason", "file", "line", "previous", "stated",
            "counterexample"} <= set(step)
    assert step["status"] == "refuted" and step["reason"] == "NOT_EQUAL"
    assert step["line"] == 7
    assert set(step["counterexample"]["assignment"]) == {"s"}


def test_default_path_is_proofs_folder(tmp_path, monkeypatch):
    (tmp_path / "proofs").mkdir()
    (tmp_path / "proofs" / "good.py").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    assert run("check").exit_code == 0


def one_line_error(result, code: int) -> str:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("source, line, text", [
    ("x = (\n", 1, "SyntaxError"),
    ("import not_a_module_anywhere\n", 1, "ModuleNotFoundError"),
    ("\n\nvalue = 1 / 0\n", 3, "ZeroDivisionError"),
    (GOOD.replace('rules.algebra(), Rational(1, 2) * (s**2 - 1) - log(s))', 'rules.algebra(), "s")'), 7,
     "step 1 of 'variance_term' is a str, not a sympy expression"),
    ("\n".join(GOOD.splitlines()[:6]) + "\n", 6, "derivation 'variance_term' has no steps"),
    ("from sympy import Symbol\n", 1, "defines no derivation"),
])
def test_bad_proof_files_get_one_line_errors(write_proof, source, line, text):
    path = write_proof("broken.py", source)
    message = one_line_error(run("check", str(path)), 2)
    assert f"{path}:{line}:" in message
    assert text in message


def test_missing_path_and_missing_proofs_folder(tmp_path, monkeypatch):
    assert "no such file or folder" in one_line_error(run("check", str(tmp_path / "nope.py")), 2)
    monkeypatch.chdir(tmp_path)
    assert "no proofs/ folder here" in one_line_error(run("check"), 2)


def test_unknown_format_is_a_usage_error(write_proof):
    result = run("check", "--format", "yaml", str(write_proof("good.py", GOOD)))
    assert result.exit_code == 2


def test_python_dash_m_derive(write_proof):
    path = write_proof("good.py", GOOD)
    done = subprocess.run([sys.executable, "-m", "derive", "check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "all steps proved" in done.stdout
