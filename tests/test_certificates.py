"""Certificates: the checking process rebuilds a proof file's derivations from data, never from its code."""

import json
import subprocess
import sys

import pytest
import sympy
from sympy import (Derivative, Function, Idx, ImmutableMatrix, IndexedBase, Integral, Lambda, Limit, Piecewise,
                   Rational, Sum, Symbol, exp, log, oo, pi, sqrt)

from derive.certificates import load_certified, rebuild
from derive.errors import DeriveError, ProofFileError
from derive.gaussian import GaussianExpectation, normal_pdf
from derive.kernel._certificate import CertificateError, Decoder, Unrebuilt, encode
from derive.kernel._operators import expm1, expm1mx
from derive.loader import load

from .conftest import PROOFS

x = Symbol("x", real=True)
s = Symbol("s", positive=True)
i = Symbol("i", integer=True, positive=True)
k = Symbol("k", integer=True, positive=True)
mu = IndexedBase("mu", real=True)


def round_trip(*expressions):
    nodes, index = [], {}
    rows = encode(list(expressions), nodes, index)
    nodes = json.loads(json.dumps(nodes))  # as the checker reads it
    decode = Decoder(nodes)
    return [decode(row) for row in rows]


@pytest.mark.parametrize("expr", [
    Integral(normal_pdf(x, 0, s) * log(s), (x, -oo, oo)),
    Sum(mu[i] ** 2 - exp(mu[i]), (i, 1, k)) / 2,
    Derivative(x**3 * s, x),
    Limit(sympy.sin(x) / x, x, 0),
    Piecewise((x, x > 1), (Rational(-1, 3), True)),
    Lambda(x, x**2 + pi),
    ImmutableMatrix([[s, x], [0, sqrt(2)]]),
    GaussianExpectation(x**2, [x], [s], [[s]]),
    expm1mx(x) + expm1(x),
    Function("p", positive=True)(x) * log(Function("q")(x, s)),
    sympy.Dummy("d", positive=True) + sympy.I * sympy.E + sympy.Float("0.5"),
    Sum(mu[Idx("j", k)], (Idx("j", k), 0, k - 1)),
])
def test_expressions_come_back_equal(expr):
    (again,) = round_trip(expr)
    assert again == expr
    assert again.free_symbols == expr.free_symbols


def test_assumptions_come_back_with_their_symbols():
    f = Function("f", positive=True)
    again_s, again_f = round_trip(s, f(x))
    assert again_s.is_positive and again_f.is_positive and again_f.func == f


@pytest.mark.parametrize("node, message", [
    (["symbol", "x", {"positive": "yes"}], "assumptions must map fact names to booleans"),
    (["symbol", "x", {"__class__": True}], "assumptions must map fact names to booleans"),
    (["node", "sympy.core.add", "Add", [5]], "refers to rows that are not earlier ones"),
    (["matrix", "sympy", "lambdify", 1, 1, []], "not a sympy class"),
    (["gadget"], "unknown kind 'gadget'"),
    ("Add(x, 1)", "malformed"),
])
def test_malformed_or_foreign_nodes_are_refused(node, message):
    with pytest.raises(CertificateError, match=message):
        Decoder([node], frozenset())(0)


def test_a_class_of_the_proof_files_own_is_kept_opaque_and_never_called():
    decode = Decoder([["symbol", "x", {"real": True}], ["node", "my_proof", "Liar", [0]], ["node", "os", "system", [0]]])
    liar, system = decode(1), decode(2)
    assert isinstance(liar, Unrebuilt) and liar.source == "my_proof.Liar" and liar.doit() == liar
    assert isinstance(system, Unrebuilt) and system.source == "os.system"


def test_the_proofs_rebuild_as_they_load():
    direct = {d.name: d for d in load([PROOFS]).created}
    certified = {d.name: d for d in load_certified([PROOFS]).created}
    assert certified.keys() == direct.keys()
    for name, d in direct.items():
        again = certified[name]
        assert again.start == d.start and [s.stated for s in again.steps] == [s.stated for s in d.steps]
        assert [s.rule.describe() for s in again.steps] == [s.rule.describe() for s in d.steps]
        assert again.location == d.location


def test_a_proof_file_error_keeps_its_place(write_proof):
    path = write_proof("broken.py", "from derive import Derivation\nx = 1 / 0\n")
    with pytest.raises(ProofFileError, match=r"broken.py:2: ZeroDivisionError"):
        load_certified([path])


@pytest.mark.parametrize("data, message", [
    ([], "not an object"),
    ({"version": 99}, "version 99"),
    ({"version": 2, "nodes": [], "objects": [{"kind": "derivation"}], "exports": []}, "cannot be read"),
    ({"version": 2, "nodes": [["integer", "1"]], "exports": [],
      "objects": [{"kind": "instance", "of": 3, "mapping": []}]}, "refers to one not yet defined"),
])
def test_a_damaged_certificate_is_one_line(data, message):
    with pytest.raises(DeriveError, match=message):
        rebuild(data)


def test_text_from_the_certificate_cannot_fake_a_line_of_the_report(write_proof, tmp_path):
    path = write_proof("label.py", """
        from sympy import Integer
        from derive import Derivation, rules
        d = Derivation("lie", "one is two", Integer(1))
        d.step("1\\r    [  ok] 1 proved", "fine\\x1b[2K", rules.algebra(), Integer(2))
    """)
    (derivation,) = load_certified([path]).defined
    assert "\r" not in derivation.steps[0].label and "\x1b" not in derivation.steps[0].description


FORGERIES = {
    "patched_kernel.py": """
        import derive.checking
        import derive.kernel._core as core
        from sympy import Integer
        from derive import Derivation, rules

        def proved(lhs, rhs, **options):
            return core._verdict(core.Status.PROVED, core.Reason.SYMBOLIC_AND_NUMERIC, lhs, rhs, 0.0)

        core.check_equal = derive.checking._kernel.check_equal = proved
        d = Derivation("one_is_two", "1 = 2", Integer(1))
        d.step("1", "by the patched kernel", rules.algebra(), Integer(2))
    """,
    "lying_class.py": """
        import sympy
        from sympy import Integer, Symbol
        from derive import Derivation, rules

        class Liar(sympy.Function):
            def doit(self, **hints):
                return Integer(0)

        x = Symbol("x", real=True)
        d = Derivation("liar", "Liar(x) = 0", Liar(x))
        d.step("1", "by its doit", rules.evaluate(), Integer(0))
    """,
    "patched_outcome.py": """
        import derive.outcome
        from sympy import Integer
        from derive import Derivation, rules

        derive.outcome.Outcome.ok = property(lambda self: True)
        d = Derivation("one_is_two", "1 = 2", Integer(1))
        d.step("1", "by the patched outcome", rules.algebra(), Integer(2))
    """,
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_proof_file_cannot_forge_a_proof_through_the_command(write_proof, name):
    path = write_proof(name, FORGERIES[name])
    done = subprocess.run([sys.executable, "-m", "derive", "check", "--no-cache", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "0 proved" in done.stdout and "NOT all steps proved" in done.stdout


def test_an_instance_at_a_python_number_means_the_same_when_certified(write_proof):
    path = write_proof("at_eight.py", """
        from sympy import Symbol
        from derive import Derivation, rules

        a = Symbol("a", positive=True)
        square = Derivation("square", "(a + 1)^2", (a + 1) ** 2)
        square.step("1", "expand", rules.algebra(), a**2 + 2 * a + 1)
        at_eight = Derivation("at_eight", "at a = 8", origin=square.instance({a: 8}))
        at_eight.step("1", "81", rules.algebra(), 81)
    """)
    (at_eight,) = [d for d in load_certified([path]).defined if d.name == "at_eight"]
    assert at_eight.origin.mapping == {Symbol("a", positive=True): sympy.Integer(8)}
    assert at_eight.start == sympy.Integer(81) or at_eight.start.equals(81)


def test_a_trusted_operator_is_evaluated_by_its_own_evalf_and_listed_as_an_axiom(write_proof):
    """A declared operator's claims are checked with its own doit and evalf, in a worker of its
    own: its definition proves, a step it does not support is refuted, and both list the axiom."""
    path = write_proof("twice.py", """
        import sympy
        from sympy import Symbol
        from derive import Derivation, rules, trust_operator

        class Twice(sympy.Function):
            def doit(self, **hints):
                return 2 * self.args[0]

            def _eval_evalf(self, prec):
                return (2 * self.args[0])._eval_evalf(prec)

        trust_operator(Twice, "twice its argument, by definition")
        x = Symbol("x", real=True)
        d = Derivation("twice", "Twice(x) = 2x", Twice(x))
        d.step("1", "its doit", rules.evaluate(), 2 * x)
        e = Derivation("thrice", "Twice(x) = 3x", Twice(x))
        e.step("1", "not its doit", rules.evaluate(), 3 * x)
    """)
    done = subprocess.run([sys.executable, "-m", "derive", "check", "--no-cache", "--axioms", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    report, axioms = done.stdout.split("axioms (")
    twice, thrice = report.split("thrice:")
    assert "=> proved" in twice and "[  ok] 1      its doit" in twice, done.stdout
    assert "[FAIL] 1      not its doit" in thrice and "refuted" in thrice, done.stdout
    assert "twice: operator twice.Twice: twice its argument, by definition" in axioms, done.stdout
    assert "thrice: operator twice.Twice" in axioms, done.stdout
