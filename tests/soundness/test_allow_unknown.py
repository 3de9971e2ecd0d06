"""Class 8: --allow-unknown lets a step pass when the kernel could not decide it, never when it
rests on something invalid: an instance that breaks an assumption of what it instantiates, or
an instance of a lemma that is refuted or unknown. Such a check exits 1."""

import pytest

from ._helpers import claims_proved, run_cli, write

LEMMA = """
from sympy import Integral, Symbol, log, oo
from derive import Derivation, lemma, rules

s = Symbol("s", positive=True)
r = Symbol("r", real=True)
t = Symbol("t", real=True)
"""

CASES = {
    # log(r**2) = 2 log(r) for real r: false at r = -1 (0 vs 2 pi i).
    "instance_breaking_positivity": """
log_square = lemma("log_square", log(s**2), 2 * log(s), rules.algebra())
d = Derivation("uses_bad_instance", "log(r^2) = 2 log(r) for real r", log(r**2))
d.step("1", "by the lemma at s = r", rules.use(log_square.instance({s: r})), 2 * log(r))
""",
    # s -> -s: log(s**2) = 2 log(-s), false for every s > 0 (imaginary part 2 pi).
    "instance_at_a_negative_value": """
log_square = lemma("log_square", log(s**2), 2 * log(s), rules.algebra())
d = Derivation("uses_negated_instance", "log(s^2) = 2 log(-s)", log(s**2))
d.step("1", "by the lemma at s = -s", rules.use(log_square.instance({s: -s})), 2 * log(-s))
""",
    # The lemma log(r**2) = 2 log(r) is refuted (r = -1); its instance at r = t + 1 is used.
    "instance_of_a_refuted_lemma": """
wrong = lemma("wrong_log_square", log(r**2), 2 * log(r), rules.algebra())
d = Derivation("uses_instance_of_refuted", "log((t+1)^2) = 2 log(t+1)", log((t + 1)**2))
d.step("1", "by the refuted lemma at r = t + 1", rules.use(wrong.instance({r: t + 1})), 2 * log(t + 1))
""",
    # The lemma (r**2 - 1)/(r - 1) = r + 1 is unknown (undefined at r = 1); an instance of it at
    # r = t is used to claim (t**2 - 1)/(t - 1) + 1 = t + 2, undefined at t = 1.
    "instance_of_an_unknown_lemma": """
cancel = lemma("cancel", (r**2 - 1) / (r - 1), r + 1, rules.algebra())
d = Derivation("uses_instance_of_unknown", "(t^2 - 1)/(t - 1) + 1 = t + 2", (t**2 - 1) / (t - 1) + 1)
d.step("1", "by the unknown lemma at r = t", rules.use(cancel.instance({r: t})), t + 2)
""",
    # Regressions that fail today and must keep failing.
    "refuted_lemma_used_directly": """
wrong = lemma("wrong_log_square", log(r**2), 2 * log(r), rules.algebra())
d = Derivation("uses_refuted_lemma", "log(r^2) + 1 = 2 log(r) + 1", log(r**2) + 1)
d.step("1", "by the refuted lemma", rules.use(wrong), 2 * log(r) + 1)
""",
    "origin_instance_breaking_positivity": """
base = Derivation("log_square_d", "log s^2 = 2 log s", log(s**2))
base.step("1", "s > 0", rules.algebra(), 2 * log(s))
d = Derivation("origin_bad_instance", "from an instance breaking s > 0", origin=base.instance({s: r}))
d.step("2", "restate", rules.algebra(), 2 * log(r))
""",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_allow_unknown_still_fails_an_invalid_dependency(name, tmp_path):
    path = write(tmp_path, f"{name}.py", LEMMA + CASES[name])
    result = run_cli("check", "--allow-unknown", str(path), cwd=tmp_path)
    assert result.returncode == 1, f"exit {result.returncode}:\n{result.stdout}\n{result.stderr}"


def test_allow_unknown_still_lets_a_merely_undecided_step_pass(tmp_path):
    """Both ways: a step the kernel only fails to decide ((t**2 - 1)/(t - 1) = t + 1 without
    t != 1) is unknown and, under --allow-unknown, passes (exit 0); strict, it fails."""
    path = write(tmp_path, "undecided.py", LEMMA + """
d = Derivation("undecided", "cancel t - 1", (t**2 - 1) / (t - 1))
d.step("1", "cancel", rules.algebra(), t + 1)
""")
    assert run_cli("check", "--allow-unknown", str(path), cwd=tmp_path).returncode == 0
    strict = run_cli("check", str(path), cwd=tmp_path)
    assert strict.returncode == 1
    assert not claims_proved(strict.stdout, "undecided")
