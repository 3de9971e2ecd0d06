"""The pytest plugin: ``pytest --derive`` makes each step of the proofs a test item."""

import textwrap

import pytest

import derive.report  # noqa: F401 - pytester restores sys.modules after each in-process run:
import derive.rules  # noqa: F401 - importing these here keeps one copy of their classes
from derive.loader import load

pytest_plugins = ["pytester"]

# In-process runs import derive before pytest marks the entry point for assertion rewriting.
QUIET = ("-W", "ignore::pytest.PytestAssertRewriteWarning")

VARIANCE = """
from sympy import Rational, Symbol, log
from derive import Derivation, lemma, rules

s = Symbol("s", positive=True)
log_square = lemma("log_square", log(s**2), 2 * log(s), rules.algebra())
term = Derivation("variance_term", "the KL variance term", Rational(1, 2) * (s**2 - 1 - log(s**2)))
term.step("1", "log s^2 = 2 log s", rules.use(log_square), Rational(1, 2) * (s**2 - 1) - log(s))
term.step("2", "expand", rules.algebra(), s**2 / 2 - Rational(1, 2) - log(s))
"""

LOGVAR = """
from sympy import Rational, Symbol, exp
from derive import Derivation, rules
from variance import s, term

l = Symbol("l", real=True)
g = Derivation("variance_term_logvar", "the term in l = log s^2", origin=term.instance({s: exp(l / 2)}))
g.step("3", "1/2 (exp(l) - 1 - l)", rules.algebra(), Rational(1, 2) * (exp(l) - 1 - l))
"""

WRONG = """
from sympy import Symbol
from derive import Derivation, rules

x = Symbol("x", positive=True)
d = Derivation("square", "a wrong step", x**2)
d.step("1", "x^2 = x^3", rules.algebra(), x**3)
"""


def write(pytester, files: dict, folder: str = "proofs"):
    root = pytester.path / folder
    root.mkdir()
    for name, source in files.items():
        (root / name).write_text(textwrap.dedent(source))
    return root


def item_count(folder) -> int:
    """One item per step, and one more for each derivation that starts from an origin."""
    return sum(len(d.steps) + (d.origin is not None) for d in load([folder]).defined)


def test_passing_proof_folder(pytester):
    folder = write(pytester, {"variance.py": VARIANCE, "logvar.py": LOGVAR})
    result = pytester.runpytest(*QUIET, "--derive", "proofs", "-v")
    assert item_count(folder) == 5  # 4 steps, 1 origin
    result.assert_outcomes(passed=5, warnings=0)
    result.stdout.fnmatch_lines(["proofs/logvar.py::variance_term_logvar::origin PASSED*",
                                 "proofs/logvar.py::variance_term_logvar::3 PASSED*",
                                 "proofs/variance.py::log_square::lemma PASSED*",
                                 "proofs/variance.py::variance_term::1 PASSED*",
                                 "proofs/variance.py::variance_term::2 PASSED*"])


def test_failing_step_shows_both_sides_and_the_counterexample(pytester):
    write(pytester, {"variance.py": VARIANCE, "wrong.py": WRONG})
    result = pytester.runpytest(*QUIET, "--derive", "proofs")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*_ square::1 _*",
                                 "proofs/wrong.py:7: step 1 of 'square' is refuted: x^2 = x^3",
                                 "rule: algebra",
                                 "reason: NOT_EQUAL: *",
                                 "previous: x**2",
                                 "stated:   x**3",
                                 "counterexample: x = *",
                                 "  previous = *",
                                 "  stated   = *"])
    assert "Traceback" not in result.stdout.str()


def test_items_point_at_the_step(pytester):
    write(pytester, {"wrong.py": WRONG})
    reports = pytester.inline_run(*QUIET, "--derive", "proofs").getreports("pytest_runtest_logreport")
    assert {r.location for r in reports} == {("proofs/wrong.py", 6, "square::1")}


def test_a_wrongly_instantiated_origin_fails_its_origin_item(pytester):
    source = LOGVAR.replace("{s: exp(l / 2)}", "{s: l}").replace("(exp(l) - 1 - l)", "(l**2 - 1) - log(l)")
    write(pytester, {"variance.py": VARIANCE, "logvar.py": source.replace("exp\n", "exp, log\n")})
    result = pytester.runpytest(*QUIET, "--derive", "proofs", "-v")
    # s = l is not known to be positive, and log(l) is not known to be defined for every real l.
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(["proofs/logvar.py::variance_term_logvar::origin FAILED*",
                                 "proofs/logvar.py::variance_term_logvar::3 FAILED*",
                                 "proofs/logvar.py:7: the origin of 'variance_term_logvar' is unknown: "
                                 "variance_term[s=l]",
                                 "reason: ASSUMPTION_MISSING: l is not known to be positive, as s is declared positive*",
                                 "*reason: ASSUMPTION_MISSING: log argument l is not known to be nonzero*"])


def test_a_derivation_that_does_not_start_where_its_origin_ends_fails_its_origin_item(pytester):
    source = VARIANCE + '''
moved = Derivation("moved", "starts elsewhere", s**2 / 2 - log(s), origin=term)
moved.step("3", "the same", rules.algebra(), s**2 / 2 - log(s))
'''
    write(pytester, {"variance.py": source})
    result = pytester.runpytest(*QUIET, "--derive", "proofs")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*_ moved::origin _*",
                                 "proofs/variance.py:11: 'moved' does not start where its origin ends: "
                                 "variance_term",
                                 "origin ends at: s**2/2 - log(s) - 1/2",
                                 "start:          s**2/2 - log(s)"])


def test_k_selects_one_step(pytester):
    write(pytester, {"variance.py": VARIANCE, "logvar.py": LOGVAR})
    pytester.runpytest(*QUIET, "--derive", "proofs", "-k", "variance_term::2").assert_outcomes(passed=1, deselected=4)
    pytester.runpytest(*QUIET, "--derive", "proofs", "-k", "log_square").assert_outcomes(passed=1, deselected=4)
    pytester.runpytest(*QUIET, "--derive", "proofs/variance.py::variance_term::1").assert_outcomes(passed=1)


def test_m_derive_selects_every_item(pytester):
    write(pytester, {"variance.py": VARIANCE, "logvar.py": LOGVAR})
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    selected = pytester.runpytest(*QUIET, "--derive", "--strict-markers", "-m", "derive", "proofs", "test_plain.py")
    selected.assert_outcomes(passed=5, deselected=1)
    others = pytester.runpytest(*QUIET, "--derive", "-m", "not derive", "proofs", "test_plain.py")
    others.assert_outcomes(passed=1, deselected=5)


def test_without_the_flag_nothing_is_collected_and_sympy_is_not_imported(pytester):
    write(pytester, {"variance.py": VARIANCE})
    pytester.makepyfile(test_probe="""
        import sys

        def test_probe(request):
            assert request.config.pluginmanager.has_plugin("derive")
            assert "sympy" not in sys.modules
            assert "derive.loader" not in sys.modules
    """)
    result = pytester.runpytest_subprocess("proofs", "test_probe.py", "-v")
    result.assert_outcomes(passed=1)
    assert "variance_term" not in result.stdout.str()


def test_a_proof_file_that_fails_to_load_is_one_collection_error(pytester):
    write(pytester, {"variance.py": VARIANCE, "broken.py": "\n\nvalue = 1 / 0\n"})
    result = pytester.runpytest(*QUIET, "--derive", "proofs", "--continue-on-collection-errors")
    # The other file still loads (alone) and its steps pass.
    result.assert_outcomes(passed=3, errors=1)
    output = result.stdout.str()
    result.stdout.fnmatch_lines(["*ERROR collecting proofs/broken.py*",
                                 "*/proofs/broken.py:3: ZeroDivisionError: division by zero"])
    assert output.count("ZeroDivisionError") == 1
    assert "Traceback" not in output and "loader.py" not in output


def test_derive_paths_and_a_missing_proofs_folder(pytester):
    write(pytester, {"wrong.py": WRONG}, folder="my_proofs")
    result = pytester.runpytest(*QUIET, "--derive")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--derive: *proofs: no such file or folder (set derive_paths*"])
    pytester.makeini("[pytest]\nderive_paths = my_proofs\n")
    pytester.runpytest(*QUIET, "--derive", ".").assert_outcomes(failed=1)


def test_xdist_spreads_the_items_with_the_same_outcome(pytester):
    write(pytester, {"variance.py": VARIANCE, "logvar.py": LOGVAR, "wrong.py": WRONG})
    alone = pytester.runpytest(*QUIET, "--derive", "proofs")
    spread = pytester.runpytest_subprocess("-p", "xdist", "-n", "2", "--derive", "proofs", "-v")
    alone.assert_outcomes(passed=5, failed=1)
    spread.assert_outcomes(passed=5, failed=1)
    output = spread.stdout.str()
    assert "[gw0]" in output and "[gw1]" in output
    spread.stdout.fnmatch_lines(["proofs/wrong.py:7: step 1 of 'square' is refuted: x^2 = x^3",
                                 "stated:   x**3", "counterexample: x = *"])


def test_items_record_their_proofs_in_the_cache_unless_told_not_to(pytester, monkeypatch):
    write(pytester, {"variance.py": VARIANCE})
    for option, expected in ((None, 3), ("--derive-no-cache", 0)):
        folder = pytester.path / f"cache_{option}"
        monkeypatch.setenv("DERIVE_CACHE_DIR", str(folder))
        pytester.runpytest(*QUIET, "--derive", "proofs", *([option] if option else [])).assert_outcomes(passed=3)
        assert len(list(folder.glob("*/*.json"))) == expected


def test_tool_derive_in_the_rootdirs_pyproject_names_the_paths_and_samples(pytester):
    write(pytester, {"variance.py": VARIANCE}, folder="maths")
    pytester.makefile(".toml", pyproject='[tool.derive]\npaths = ["maths"]\nsamples = 10\n')
    result = pytester.runpytest(*QUIET, "--derive", "maths")
    result.assert_outcomes(passed=3)
    from derive.pytest_plugin import _PROOFS  # noqa: PLC0415 - the stash key, read back from the run below

    reprec = pytester.inline_run(*QUIET, "--derive", "maths")
    session = reprec.getcalls("pytest_collection_finish")[0].session
    assert session.config.stash[_PROOFS].checker.settings.samples == 10
    broken = pytester.makefile(".toml", pyproject='[tool.derive]\nsamples = "many"\n')
    result = pytester.runpytest(*QUIET, "--derive")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{broken}: [[]tool.derive[]] samples must be an integer*"])


def test_a_proof_file_named_outside_the_proof_paths_is_collected(pytester):
    """pytest --derive other/variance.py: the named file's steps are items as well as those of
    proofs/; a named test module is collected as tests are, not loaded as proofs."""
    write(pytester, {"wrong.py": WRONG})
    other = write(pytester, {"variance.py": VARIANCE}, folder="other")
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = pytester.runpytest(*QUIET, "--derive", str(other / "variance.py"), "test_plain.py")
    result.assert_outcomes(passed=item_count(other) + 1)
    result = pytester.runpytest(*QUIET, "--derive", "other")
    result.assert_outcomes(passed=item_count(other))


def test_the_seed_of_tool_derive_is_the_items_seed(pytester):
    write(pytester, {"variance.py": VARIANCE}, folder="maths")
    pytester.makefile(".toml", pyproject='[tool.derive]\npaths = ["maths"]\nseed = 7\n')
    from derive.pytest_plugin import _PROOFS  # noqa: PLC0415 - the stash key, read back from the run below

    reprec = pytester.inline_run(*QUIET, "--derive", "maths")
    session = reprec.getcalls("pytest_collection_finish")[0].session
    assert session.config.stash[_PROOFS].checker.settings.seed == 7


def test_documents_are_collected_step_by_step(pytester):
    """A .tex or .md document, in the configured folder or named, gives an item per = (at its line)."""
    write(pytester, {"notes.md": "$$\n(a + 1)^2 = a^2 + 2a + 1\n$$\n",
                     "paper.tex": "\\begin{align}\n2 + 2 &= 4 \\\\\n&= 5\n\\end{align}\n"})
    result = pytester.runpytest(*QUIET, "--derive", "proofs", "-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["proofs/notes.md::notes_md_line2::line 2 PASSED*",
                                 "proofs/paper.tex::paper_tex_line2::line 3 FAILED*"])
    result.stdout.fnmatch_lines(["rule: algebra"])
