"""The command line: reports, exit codes, and one-line errors that name the place."""

import json
import re
import shlex
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from derive.cli import cli
from tests.conftest import ROOT

GOOD = """
from sympy import Rational, Symbol, log
from derive import Derivation, rules

s = Symbol("s", positive=True)
d = Derivation("variance_term", "variance term", Rational(1, 2) * (s**2 - 1 - log(s**2)))
d.step("1", "log s^2 = 2 log s", rules.algebra(), Rational(1, 2) * (s**2 - 1) - log(s))
"""

BAD = GOOD.replace("- log(s))", "+ log(s))")

UNKNOWN = """
from sympy import Symbol
from derive import Derivation, rules

x = Symbol("x", real=True)
d = Derivation("cancel", "a cancellation", (x**2 - 1) / (x - 1))
d.step("1", "cancel x - 1", rules.algebra(), x + 1)
"""


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


def test_a_folder_leaves_out_helpers_and_conftest(tmp_path):
    (tmp_path / "good.py").write_text(GOOD)
    for helper in ("_shared.py", "conftest.py"):
        (tmp_path / helper).write_text("raise RuntimeError('a helper is not a proof')\n")
    result = run("check", "--format", "json", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert [d["file"] for d in json.loads(result.output)["derivations"]] == [str(tmp_path / "good.py")]


def test_a_folder_takes_its_subfolders_but_not_private_hidden_or_cache_ones(tmp_path):
    (tmp_path / "stage" / "part").mkdir(parents=True)
    (tmp_path / "stage" / "part" / "good.py").write_text(GOOD)
    for hidden in ("_private", ".venv", "__pycache__"):
        (tmp_path / hidden).mkdir()
        (tmp_path / hidden / "x.py").write_text("raise RuntimeError('not a proof')\n")
    result = run("check", "--format", "json", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert [d["file"] for d in json.loads(result.output)["derivations"]] == [str(tmp_path / "stage" / "part" / "good.py")]


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


def test_the_console_script_skips_teardown_but_keeps_exit_codes_and_output(write_proof):
    # main() leaves through os._exit: what was printed into a pipe must still arrive.
    command = [sys.executable, "-c", "from derive.cli import main; main(prog_name='derive')"]
    refuted = subprocess.run([*command, "check", "--format", "json", str(write_proof("bad.py", BAD))],
                             capture_output=True, text=True)
    assert refuted.returncode == 1, refuted.stderr
    assert json.loads(refuted.stdout)["summary"]["refuted"] == 1
    usage = subprocess.run([*command, "check", "--format", "yaml", "x.py"], capture_output=True, text=True)
    assert usage.returncode == 2 and "yaml" in usage.stderr


# Report formats, --strict / --allow-unknown, $GITHUB_STEP_SUMMARY

@pytest.mark.parametrize("output_format", ["text", "json", "junit", "markdown", "github"])
def test_every_format_exits_as_text_does(write_proof, monkeypatch, output_format):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert run("check", "--format", output_format, str(write_proof("good.py", GOOD))).exit_code == 0
    assert run("check", "--format", output_format, str(write_proof("bad.py", BAD))).exit_code == 1


def test_strict_and_allow_unknown_exit_codes(write_proof):
    unknown, bad = str(write_proof("unknown.py", UNKNOWN)), str(write_proof("bad.py", BAD))
    assert run("check", unknown).exit_code == 1
    assert run("check", "--strict", unknown).exit_code == 1
    allowed = run("check", "--allow-unknown", unknown)
    assert allowed.exit_code == 0, allowed.output
    assert "not strict: 1 unknown steps pass unproved: cancel step 1" in allowed.output
    assert run("check", "--allow-unknown", bad).exit_code == 1  # refuted always fails
    assert run("check", "--allow-unknown", unknown, bad).exit_code == 1


def test_github_format_appends_a_summary_to_github_step_summary(write_proof, tmp_path, monkeypatch):
    summary = tmp_path / "step_summary.md"
    summary.write_text("# an earlier step's summary\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    path = str(write_proof("bad.py", BAD))
    result = run("check", "--format", "github", path)
    assert result.exit_code == 1
    assert "::error file=" in result.output
    text = summary.read_text()
    assert text.startswith("# an earlier step's summary\n## derive check ❌\n\n1 steps in 1 derivations")
    assert "| `variance_term` |" in text and "counterexample at `s = " in text
    assert run("check", "--format", "github", path).exit_code == 1
    assert summary.read_text().count("## derive check") == 2
    assert run("check", "--format", "text", path).exit_code == 1  # only the github format writes it
    assert summary.read_text().count("## derive check") == 2


def test_unwritable_github_step_summary_is_a_one_line_error(write_proof, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))  # a folder
    message = one_line_error(run("check", "--format", "github", str(write_proof("good.py", GOOD))), 2)
    assert message.startswith(f"derive: GITHUB_STEP_SUMMARY={tmp_path}: cannot append the summary")


# derive show

def test_show_prints_a_derivation_without_checking_it(write_proof):
    path = str(write_proof("bad.py", BAD))
    shown = run("show", "variance_term", path)
    assert shown.exit_code == 0, shown.output  # shown, not judged
    assert shown.output.startswith("variance_term: variance term\n")
    assert f"  1  log s^2 = 2 log s  [algebra]  {path}:7\n" in shown.output
    assert "refuted" not in shown.output and "log(s)" in shown.output
    checked = run("show", "variance_term", path, "--check")
    assert checked.exit_code == 1
    assert f"{path}:7  refuted" in checked.output and "counterexample: s = " in checked.output
    assert run("show", "variance_term", str(write_proof("good.py", GOOD)), "--check").exit_code == 0


def test_show_an_unknown_name_suggests_close_ones(write_proof):
    path = str(write_proof("good.py", GOOD))
    assert one_line_error(run("show", "varience_term", path), 2) == \
        "derive: no derivation named 'varience_term': did you mean variance_term?"
    assert one_line_error(run("show", "kl", path), 2) == \
        "derive: no derivation named 'kl': the derivations are variance_term"


# [tool.derive] in the project's pyproject.toml

PYPROJECT = """
[project]
name = "my-maths"
version = "0"

[tool.derive]
paths = ["maths"]
strict = false
samples = 12
seed = 5
"""


@pytest.fixture
def project(tmp_path):
    """A project of a user's own, outside this repository: pyproject.toml, maths/, src/."""
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    for folder in ("maths", "src"):
        (tmp_path / folder).mkdir()
    (tmp_path / "maths" / "cancel.py").write_text(UNKNOWN)
    return tmp_path


def test_tool_derive_config_is_found_from_a_subfolder(project, monkeypatch):
    monkeypatch.chdir(project / "src")
    result = run("check", "--format", "json")
    assert result.exit_code == 0, result.output  # strict = false lets the unknown step pass
    report = json.loads(result.output)
    assert (report["settings"]["samples"], report["strict"], report["summary"]["allowed_unknown"]) == (12, False, 1)
    assert report["settings"]["seed"] == 5
    assert report["derivations"][0]["file"] == str(project / "maths" / "cancel.py")


def test_command_line_options_override_the_config(project, monkeypatch):
    monkeypatch.chdir(project)
    result = run("check", "--format", "json", "--samples", "10", "--strict", "--seed", "0")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert (report["settings"]["samples"], report["strict"], report["settings"]["seed"]) == (10, True, 0)
    assert report["derivations"][0]["file"] == "maths/cancel.py"


def test_config_is_found_from_the_first_path_named(project, write_proof):
    # run from this repository, whose pyproject.toml has no [tool.derive]
    result = run("check", "--format", "json", str(project / "maths" / "cancel.py"), str(write_proof("g.py", GOOD)))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["settings"]["samples"] == 12


def test_check_a_users_project_outside_this_repository(project):
    done = subprocess.run([sys.executable, "-m", "derive", "check"], cwd=project, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("maths/cancel.py\n")
    assert "numeric witness: the edges of every domain and 12 seeded random points" in done.stdout
    assert done.stdout.rstrip().endswith("no step refuted, 1 unknown allowed (not strict)")


@pytest.mark.parametrize("toml, text", [
    ('[tool.derive]\npaths = "maths"\n',
     "[tool.derive] paths must be a non-empty list of proof files or folders, got 'maths'"),
    ("[tool.derive]\npaths = []\n", "[tool.derive] paths must be a non-empty list"),
    ("[tool.derive]\npaths = [1]\n", "[tool.derive] paths must be a non-empty list"),
    ('[tool.derive]\nstrict = "yes"\n', "[tool.derive] strict must be true or false, got 'yes'"),
    ("[tool.derive]\nsamples = 0\n", "[tool.derive] samples must be an integer from 8 to 1000, got 0"),
    ("[tool.derive]\nsamples = true\n", "[tool.derive] samples must be an integer from 8 to 1000, got True"),
    ("[tool.derive]\nsamples = 2.5\n", "[tool.derive] samples must be an integer from 8 to 1000, got 2.5"),
    ("[tool.derive]\nsample = 8\n", "[tool.derive] has unknown key 'sample' (known: paths, strict, samples, seed, documents)"),
    ("[tool.derive]\nseed = -1\n", "[tool.derive] seed must be a non-negative integer, got -1"),
    ("[tool]\nderive = 3\n", "[tool.derive] must be a table, got 3"),
    ("[tool.derive\n", "cannot read it as TOML: "),
])
def test_a_malformed_config_is_a_one_line_error_naming_file_and_key(tmp_path, monkeypatch, toml, text):
    (tmp_path / "pyproject.toml").write_text(toml)
    (tmp_path / "proofs").mkdir()
    (tmp_path / "proofs" / "good.py").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    for command in (["check"], ["show", "variance_term"], ["codegen", "--target", "numpy"]):
        message = one_line_error(run(*command), 2)
        assert message.startswith(f"derive: {tmp_path / 'pyproject.toml'}: {text}"), message


def test_config_paths_that_do_not_exist(project, monkeypatch):
    (project / "pyproject.toml").write_text('[tool.derive]\npaths = ["nowhere"]\n')
    monkeypatch.chdir(project)
    assert one_line_error(run("check"), 2) == f"derive: {project / 'nowhere'}: no such file or folder"


# pre-commit hooks

def accepted_by_the_cli(command: list[str]) -> None:
    """``derive SUBCOMMAND ...`` names a subcommand, options and values the CLI accepts."""
    assert command[0] == "derive"
    name, *args = command[1:]
    cli.commands[name].make_context(name, args)  # raises click.UsageError on a wrong option or value


def test_pre_commit_hooks_run_the_cli_once_per_commit():
    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"derive-check", "derive-codegen-check"}
    for hook in hooks.values():
        assert (hook["language"], hook["pass_filenames"]) == ("python", False)
        files = re.compile(hook["files"])
        for path in ("proofs/stage1_univariate.py", "pyproject.toml", "sub/pyproject.toml", "derive/kernels/x.py"):
            assert files.search(path), path
        # Documents (.tex, .md) are checked too: an edit to one runs derive check, not codegen.
        for path in ("docs/paper.tex", "notes/derivation.md"):
            assert bool(files.search(path)) is (hook["id"] == "derive-check"), path
        for path in ("notpyproject.toml", "x.pyc", "paper.texbak"):
            assert not files.search(path), path
        accepted_by_the_cli([*shlex.split(hook["entry"]), *hook.get("args", [])])
    assert hooks["derive-check"]["entry"] == "derive check"
    codegen = hooks["derive-codegen-check"]
    ci = next(line for line in (ROOT / ".ci" / "run").read_text().splitlines() if "derive codegen" in line)
    assert sorted([*shlex.split(codegen["entry"]), *codegen["args"]]) == \
        sorted(shlex.split(ci.replace(".venv/bin/", "")))


ORIGIN_BREAKS_AN_ASSUMPTION = """
from sympy import Symbol, sqrt
from derive import Derivation, rules

x = Symbol("x", positive=True)
y = Symbol("y", real=True)
base = Derivation("root_of_square", "sqrt(x^2) = x", sqrt(x**2))
base.step("1", "x > 0", rules.algebra(), x)
uses = Derivation("misused", "y only real", origin=base.instance({x: y}))
uses.step("1", "restate", rules.algebra(), y)
"""


def test_allow_unknown_never_lets_an_origin_that_breaks_an_assumption_pass(write_proof):
    path = write_proof("origin.py", ORIGIN_BREAKS_AN_ASSUMPTION)
    for options in ([], ["--allow-unknown"]):
        result = run("check", str(path), *options)
        assert result.exit_code == 1, (options, result.output)
        assert "misused" in result.output and "NOT all steps proved" in result.output
        assert "origin unknown: ASSUMPTION_MISSING: y is not known to be positive, as x is declared positive" in result.output


def test_what_the_command_names_without_importing_sympy_is_what_the_library_has():
    from derive import config
    from derive.cli import FORMATS
    from derive.kernel import Settings
    from derive.kernel._core import FLOORS
    from derive.report import FORMATS as RENDER

    assert FORMATS == tuple(RENDER)
    assert (config.DEFAULT_SAMPLES, config.DEFAULT_SEED) == (Settings.samples, Settings.seed)
    assert config.SAMPLES_RANGE[0] == FLOORS["samples"]


def test_the_command_starts_without_importing_sympy():
    done = subprocess.run([sys.executable, "-c", "import sys, derive.cli; print('sympy' in sys.modules)"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


SPLIT = """
from sympy import Integral, Symbol, exp
from derive import Derivation, rules

x = Symbol("x", real=True)
d = Derivation("split", "an integral of a sum", Integral(x * exp(-x**2) + x**2, (x, 0, 1)))
d.step("1", "split it", rules.algebra(), Integral(x * exp(-x**2), (x, 0, 1)) + Integral(x**2, (x, 0, 1)))
"""


def test_an_undecided_step_names_the_rule_that_proves_it(write_proof):
    """algebra leaves integrals opaque: the step is undecided under it, and the report says that
    linearity proves it (the verdict stays the rule's own: unknown)."""
    result = run("check", "--format", "json", "--no-cache", str(write_proof("split.py", SPLIT)))
    assert result.exit_code == 1
    (step,) = json.loads(result.output)["derivations"][0]["steps"]
    assert (step["status"], step["reason"]) == ("unknown", "UNDECIDED")
    assert step["hint"] == "undecided under algebra; proved by rules.linearity(): change the rule"
    text = run("check", "--no-cache", str(write_proof("split.py", SPLIT))).output
    assert "hint: undecided under algebra; proved by rules.linearity(): change the rule" in text
