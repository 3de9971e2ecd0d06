"""Class 7: only the kernel decides. A verdict made, copied, subclassed or edited outside the
kernel is never trusted, in-process (chain, instantiate, using=) or through a proof file run by
the CLI, which may monkeypatch anything it imports. For a proof file the contract is on the
command's outcome: a false derivation is never reported proved and the exit code is not 0."""

import copy
import pickle
from types import SimpleNamespace

import pytest
from sympy import Integer, Integral, Rational, Symbol

from derive import Reason, Reasoning, Status, Verdict, chain, check_equal, instantiate

from ._helpers import assert_no_forged_proof, claims_proved, run_cli, write

x = Symbol("x", real=True)


def _fields(**overrides):
    fields = dict(status=Status.PROVED, reason=Reason.SYMBOLIC_AND_NUMERIC, lhs=Integer(1), rhs=Integer(2),
                  strategy="forged", counterexample=None, detail="forged", conclusive_points=8, seconds=0.0,
                  numeric_seconds=0.0)
    fields.update(overrides)
    return fields


def forged_verdict(cls=Verdict, **overrides):
    """A Verdict that no kernel function made: object.__new__ and object.__setattr__."""
    verdict = object.__new__(cls)
    for name, value in _fields(**overrides).items():
        object.__setattr__(verdict, name, value)
    return verdict


# In-process ------------------------------------------------------------------------------------

def test_chain_of_a_duck_typed_namespace():
    """chain([SimpleNamespace(proved=True, lhs=1, rhs=2)]) would prove 1 = 2."""
    fake = SimpleNamespace(**_fields(), proved=True)
    assert_no_forged_proof(lambda: chain([fake]))


def test_chain_of_an_object_new_verdict():
    """A Verdict built with object.__new__, fields set by object.__setattr__: 1 = 2."""
    assert_no_forged_proof(lambda: chain([forged_verdict()]))


def test_instantiate_of_an_object_new_verdict():
    """instantiate of a forged x = x + 1 at x = 0 would prove 0 = 1."""
    forged = forged_verdict(lhs=x, rhs=x + 1)
    assert_no_forged_proof(lambda: instantiate(forged, {x: Integer(0)}))


def test_forged_lemma_in_using():
    """2 Integral(x, (x, 0, 1)) = 1 by algebra needs the lemma Integral(x) = 1/2. A forged copy
    of that (true) lemma must not stand in for a proved one: the claim is not PROVED."""
    real = check_equal(Integral(x, (x, 0, 1)), Rational(1, 2))
    forged = forged_verdict(**{name: getattr(real, name) for name in Verdict.__slots__ if name != "__weakref__"})
    assert_no_forged_proof(lambda: check_equal(2 * Integral(x, (x, 0, 1)), 1, using=[forged],
                                               reasoning=Reasoning.ALGEBRA))


def test_duck_typed_lemma_in_using():
    fake = SimpleNamespace(**_fields(lhs=Integral(x, (x, 0, 1)), rhs=Rational(1, 2)), proved=True)
    assert_no_forged_proof(lambda: check_equal(2 * Integral(x, (x, 0, 1)), 1, using=[fake],
                                               reasoning=Reasoning.ALGEBRA))


class _AlwaysProved(Verdict):
    __slots__ = ()

    @property
    def proved(self):
        return True


def test_subclass_of_verdict_in_chain():
    """A subclass whose .proved is always True, holding a REFUTED x = x + 1."""
    liar = forged_verdict(_AlwaysProved, status=Status.REFUTED, reason=Reason.NOT_EQUAL, lhs=x, rhs=x + 1)
    assert_no_forged_proof(lambda: chain([liar]))


def test_subclass_of_verdict_in_using():
    liar = forged_verdict(_AlwaysProved, status=Status.REFUTED, reason=Reason.NOT_EQUAL,
                          lhs=Integral(x, (x, 0, 1)), rhs=Rational(1, 2))
    assert_no_forged_proof(lambda: check_equal(2 * Integral(x, (x, 0, 1)), 1, using=[liar],
                                               reasoning=Reasoning.ALGEBRA))


def test_refuted_verdict_with_its_status_edited():
    """A genuine REFUTED verdict of x = x + 1 whose status is flipped with object.__setattr__."""
    verdict = check_equal(x, x + 1)
    assert verdict.status is Status.REFUTED
    object.__setattr__(verdict, "status", Status.PROVED)
    assert_no_forged_proof(lambda: chain([verdict]))
    assert_no_forged_proof(lambda: instantiate(verdict, {}))


def test_proved_verdict_with_its_right_side_edited():
    """A genuine proof of x + x = 2x whose rhs is edited to 3x: chaining it would prove 2x = 3x."""
    verdict = check_equal(x + x, 2 * x)
    assert verdict.proved
    object.__setattr__(verdict, "rhs", 3 * x)
    assert_no_forged_proof(lambda: chain([verdict]))


@pytest.mark.parametrize("duplicate", [copy.copy, copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))],
                         ids=["copy", "deepcopy", "pickle"])
def test_copied_verdict_cannot_be_edited_into_a_proof(duplicate):
    """A copy (or unpickled copy) of a REFUTED x = x + 1, then its status set to PROVED: either
    copying is refused or the edited copy is not trusted."""
    original = check_equal(x, x + 1)
    try:
        twin = duplicate(original)
    except (TypeError, AttributeError, pickle.PicklingError):
        return
    object.__setattr__(twin, "status", Status.PROVED)
    assert_no_forged_proof(lambda: chain([twin]))


# Through the CLI: proof files that forge ----------------------------------------------------

HEADER = """
from sympy import Symbol
from derive import Derivation, rules

x = Symbol("x", real=True)
"""

LIE = """
d = Derivation("{name}", "x = x + 1 (false for every x)", x)
d.step("1", "lie", rules.algebra(), x + 1)
"""

FORGERIES = {
    "patched_check_equal": """
import derive.kernel as K
import derive.kernel._core as core

def fake(lhs, rhs, **kwargs):
    return core._verdict(core.Status.PROVED, core.Reason.SYMBOLIC_AND_NUMERIC, lhs, rhs, 0.0, detail="forged")

K.check_equal = fake
core.check_equal = fake
""",
    "patched_proved_property": """
from derive.kernel._core import Verdict
Verdict.proved = property(lambda self: True)
""",
    "patched_checker": """
import derive.checking as checking
import derive.kernel._core as core
original = checking.Checker.check_step

def check_step(self, derivation, index):
    result = original(self, derivation, index)
    verdict = core._verdict(core.Status.PROVED, core.Reason.SYMBOLIC_AND_NUMERIC, result.previous,
                            result.step.stated, 0.0)
    return checking.StepResult(result.step, verdict, result.previous)

checking.Checker.check_step = check_step
""",
    "patched_witnesses": """
import sympy
import derive.kernel._core as core
import derive.kernel._symbolic as strategies
strategies._ALGEBRA.insert(0, ("forged", lambda d: sympy.S.Zero))
core._numeric_witness = lambda lhs, rhs, settings: (settings.samples, None, "")
""",
    "patched_chain_with_private_token": """
import derive.checking as checking
import derive.kernel._core as core
forged = core.Verdict(core._TOKEN, status=core.Status.PROVED, reason=core.Reason.INFERENCE, lhs=x, rhs=x + 1)
checking._kernel.chain = lambda verdicts: forged
""",
    "patched_outcome": """
import derive.outcome
derive.outcome.Outcome.ok = property(lambda self: True)
""",
    "patched_status_enum": """
import enum
import derive.kernel._core as core

class Status(str, enum.Enum):
    PROVED = "proved"
    REFUTED = "proved"
    UNKNOWN = "proved"

core.Status = Status
""",
    "exits_0_on_import": """
import sys
{lie}
sys.exit(0)
""",
    "os_exit_0_on_import": """
import os
{lie}
os._exit(0)
""",
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_proof_file_that_forges_is_not_proved(name, tmp_path):
    """x = x + 1 is false; whatever the proof file patches, the CLI must not report it proved
    and must exit non-zero."""
    lie = LIE.format(name=name)
    body = FORGERIES[name]
    source = HEADER + (body.format(lie=lie) if "{lie}" in body else body + lie)
    path = write(tmp_path, f"{name}.py", source)
    result = run_cli("check", str(path), cwd=tmp_path)
    assert result.returncode != 0, f"exit 0 for a forged proof:\n{result.stdout}\n{result.stderr}"
    assert not claims_proved(result.stdout, name), result.stdout


def test_user_defined_operator_that_lies(tmp_path):
    """A sympy class defined in the proof file, printed as an Integral, whose doit and evalf both
    say 0: 'Integral(x**2, (x, 0, 1)) = 0' is false (the integral is 1/3)."""
    path = write(tmp_path, "liar_operator.py", HEADER + """
import sympy

class Integral(sympy.Function):
    nargs = 3

    def doit(self, **hints):
        return sympy.S.Zero

    def _eval_evalf(self, prec):
        return sympy.Float(0, precision=prec)

    def _sympystr(self, printer):
        body, lower, upper = self.args
        return f"Integral({printer._print(body)}, (x, {lower}, {upper}))"

d = Derivation("liar_operator", "integral of x^2 over [0, 1] is 0", Integral(x**2, 0, 1))
d.step("1", "evaluate", rules.evaluate(), sympy.S.Zero)
""")
    result = run_cli("check", str(path), cwd=tmp_path)
    assert result.returncode != 0, result.stdout + result.stderr
    assert not claims_proved(result.stdout, "liar_operator"), result.stdout


def test_cache_poisoned_by_a_forging_proof_file(tmp_path):
    """A proof file patches the witnesses and 'proves' x = x + 1 with the cache on; a later,
    honest run of the same false claim must not recall that record."""
    poison = write(tmp_path, "poison/poison.py", HEADER + FORGERIES["patched_witnesses"] + LIE.format(name="poison"))
    honest = write(tmp_path, "honest/honest.py", HEADER + LIE.format(name="honest"))
    run_cli("check", str(poison), cwd=tmp_path)  # whatever it reports (tested above)
    result = run_cli("check", str(honest), cwd=tmp_path)
    assert result.returncode != 0, result.stdout + result.stderr
    assert not claims_proved(result.stdout, "honest"), result.stdout
