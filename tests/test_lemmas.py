"""derive.lemmas: the library's building blocks are proved, named apart from users' derivations,
and usable from a proof file of one's own (as a dependency, instanced at its own symbols)."""

import json

from click.testing import CliRunner

import derive
from derive import Derivation, lemmas
from derive.cli import cli

USER = """
from sympy import Symbol
from derive import Derivation, lemmas, rules
from derive.gaussian import expectation, normal_pdf

m, sigma, y = Symbol("m", real=True), Symbol("sigma", positive=True), Symbol("y", real=True)
second = lemmas.gaussian_second_moment.instance({lemmas.mu: m, lemmas.s: sigma})
d = Derivation("decoder_energy", "E[y^2] for y ~ N(m, sigma^2)", expectation(y**2, y, normal_pdf(y, m, sigma)))
d.step("moment", "the second moment, by the library's lemma", rules.use(second), m**2 + sigma**2)
wrong = Derivation("wrong_energy", "E[y^2] misremembered", expectation(y**2, y, normal_pdf(y, m, sigma)))
wrong.step("moment", "not the second moment", rules.use(second), m**2 + 2 * sigma**2)
"""


def test_every_lemma_of_the_library_is_proved_and_listed():
    defined = [value for value in vars(lemmas).values() if isinstance(value, Derivation)]
    assert {id(d) for d in defined} == {id(d) for d in lemmas.ALL}
    report = derive.check(list(lemmas.ALL))
    assert report.ok, [(r.derivation.name, r.steps[0].verdict.detail) for r in report.results if not r.theorem.proved]
    for d in lemmas.ALL:
        assert d.name.startswith("lemmas.") and d.title and d.scope != "all values the assumptions allow"


def test_a_proof_file_of_ones_own_uses_an_instance_of_a_lemma(write_proof):
    result = CliRunner().invoke(cli, ["check", "--format", "json", "--no-cache", str(write_proof("user.py", USER))])
    report = json.loads(result.output)
    statuses = {d["name"]: (d["requested"], d["status"]) for d in report["derivations"]}
    assert statuses == {"lemmas.gaussian_second_moment": (False, "proved"), "decoder_energy": (True, "proved"),
                        "wrong_energy": (True, "refuted")}
    assert result.exit_code == 1
