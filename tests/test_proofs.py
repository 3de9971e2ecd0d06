"""The paper's derivation in proofs/: all of it proved, and any change to the math caught."""

import re
import shutil

import pytest
from sympy import Integral

from derive import Status, check, load
from tests.conftest import PROOFS

# Every numbered step of docs/derivation.md, stages 0-5 (finer steps carry a letter suffix).
MATH_STEPS = ["0.1", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6",
              "3.1", "3.2", "3.3", "4.1", "4.2", "5.1", "5.2", "5.3"]


def test_the_documented_steps_are_the_ones_checked():
    """docs/derivation.md, which the README and the proofs link, numbers exactly these steps."""
    text = (PROOFS.parent / "docs" / "derivation.md").read_text()
    assert re.findall(r"^(\d\.\d)  ", text, flags=re.MULTILINE) == MATH_STEPS


@pytest.fixture(scope="module")
def report():
    derivations = load([PROOFS]).defined
    return check(derivations)


def test_every_step_of_the_paper_is_proved(report):
    failed = [(r.derivation.name, s.step.label, s.verdict.reason.value)
              for r in report.results for s in r.steps if s.verdict.status is not Status.PROVED]
    assert failed == []
    assert report.ok


def test_every_math_step_is_encoded(report):
    labels = {s.step.label for r in report.results for s in r.steps}
    for number in MATH_STEPS:
        assert any(label == number or label.rstrip("abc*") == number for label in labels), number


def test_scopes_name_the_dimensions(report):
    scopes = {r.derivation.name: r.derivation.scope for r in report.results}
    for k in (1, 2, 3):
        assert scopes[f"kl_multivariate[k={k}]"].startswith(f"k = {k}")
    assert "symbolic k" in scopes["kl_diagonal"]
    assert "symbolic k" in scopes["kl_standard_normal"]
    assert "symbolic k" in scopes["kl_logvar"]


def test_final_theorems_start_from_the_definitions(report):
    by_name = {r.derivation.name: r for r in report.results}
    for name in ("kl_univariate", "kl_diagonal", "kl_standard_normal", "kl_logvar", "kl_logvar_general"):
        theorem = by_name[name].theorem
        assert theorem.proved, name
        assert theorem.lhs.has(Integral), f"{name} should be proved from the integral definition"


# (file, text as written, mutated text, derivation that must then fail)
MUTATIONS = [
    ("stage0_definition.py", "log(p(x)) - log(q(x))", "log(p(x)) + log(q(x))", "kl_definition"),
    ("stage1_univariate.py", '"closed form", rules.algebra(),\n    log(s2 / s1)',
     '"closed form", rules.algebra(),\n    log(s1 / s2)', "kl_univariate"),
    ("stage1_univariate.py", "+ (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2))\nclosed_form",
     "+ (s1 + (mu1 - mu2) ** 2) / (2 * s2**2))\nclosed_form", "kl_univariate"),
    ("stage1_univariate.py", '"1.4", "E_p[1] = 1 and E_p[(x - mu1)^2] = s1^2", rules.use(*moments_under_p)',
     '"1.4", "E_p[1] = 1 and E_p[(x - mu1)^2] = s1^2", rules.linearity()', "kl_univariate"),
    ("stage2_multivariate.py", "half * log(det2 / det1) - Rational(k, 2) + half * (S2inv",
     "half * log(det2 / det1) - Rational(k, 1) + half * (S2inv", "kl_multivariate[k=1]"),
    ("stage2_multivariate.py", "+ (S2inv * S1).trace() + quadratic_form(mu2 - mu1, S2inv))",
     "+ (S2inv * S1).trace() - quadratic_form(mu2 - mu1, S2inv))", "kl_multivariate[k=2]"),
    ("stage3_diagonal.py", "+ (mu2[i] - mu1[i]) ** 2 / s2[i] ** 2, (i, 1, upper))",
     "+ (mu2[i] - mu1[i]) ** 2 / s1[i] ** 2, (i, 1, upper))", "kl_diagonal_matrix[k=1]"),
    ("stage4_standard_normal.py", "(mu.T * mu)[0, 0] - n - log(determinant(S))",
     "(mu.T * mu)[0, 0] - log(determinant(S))", "kl_standard_normal_full[k=2]"),
    ("stage5_logvar.py", 'rules.evaluate(), mu)', 'rules.evaluate(), 2 * mu)', "kl_logvar_grad_mu"),
    ("stage5_logvar.py", "(exp(l) - 1) / 2)", "(exp(l) + 1) / 2)", "kl_logvar_grad_logvar"),
    ("stage5_logvar.py", "[(exp(l1[j]) - 1) / 2 for j in js]", "[exp(l1[j]) / 2 for j in js]",
     "kl_logvar_gradient[k=2]"),
]


@pytest.mark.parametrize("file, before, after, name", MUTATIONS, ids=[m[3] + ":" + m[2][:24] for m in MUTATIONS])
def test_changing_the_math_makes_the_check_fail(tmp_path, file, before, after, name):
    folder = tmp_path / "proofs"
    shutil.copytree(PROOFS, folder)
    source = (folder / file).read_text()
    assert source.count(before) == 1, f"mutation anchor not unique in {file}: {before!r}"
    (folder / file).write_text(source.replace(before, after))
    created = load([folder]).created
    target = next(d for d in created if d.name == name)
    result = check([target]).results[-1]
    assert not result.proved
    assert any(s.verdict.status is not Status.PROVED for s in result.steps)


def test_every_example_beyond_the_paper_is_proved():
    """examples/: the derivations that show how to write one's own (CI checks them too)."""
    examples = PROOFS.parent / "examples"
    result = check(load([examples]).defined)
    assert result.ok, [(r.derivation.name, s.step.label, s.verdict.reason.value)
                       for r in result.results for s in r.steps if not s.verdict.proved]
    assert len({r.derivation.name for r in result.results}) >= 10
