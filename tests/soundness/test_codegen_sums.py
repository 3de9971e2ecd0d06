"""Class 9: generated code computes exactly what was proved. An exported Sum over i from 2 to
k (or to k - 1, or to a fixed 3) must either be refused or computed over exactly those
elements; the array's element j (0-based) stands for i = j + 1 and k is the array's length, as in
proofs/ (Sum over i from 1 to k is the whole array)."""

import importlib.util

import numpy as np
import pytest

from derive import DeriveError, load

from ._helpers import run_cli, write

PROOF = """
from sympy import IndexedBase, Rational, Sum, Symbol
from derive import Derivation, export, rules

i = Symbol("i", integer=True, positive=True)
k = Symbol("k", integer=True, positive=True)
mu = IndexedBase("mu", real=True)
d = Derivation("{name}", "1/2 sum of mu_i^2 over {what}", Sum(mu[i] ** 2 / 2, (i, {lower}, {upper})))
d.step("1", "pull out 1/2", rules.linearity(), Rational(1, 2) * Sum(mu[i] ** 2, (i, {lower}, {upper})))
export("{name}", d, index=i, arguments={{mu: "mu"}}, summary="half squares over {what}")
"""

MU = np.array([1.0, 2.0, 3.0, 5.0, 7.0])  # i = 1 .. 5, k = 5

CASES = {
    # name: (lower, upper, the proved value for MU)
    "from_two": ("2", "k", (4 + 9 + 25 + 49) / 2),        # generated today as the sum from 1: 44.0, not 43.5
    "to_k_minus_one": ("1", "k - 1", (1 + 4 + 9 + 25) / 2),  # drops i = k
    "to_three": ("1", "3", (1 + 4 + 9) / 2),              # a fixed upper limit on a longer array
}


def _generated(tmp_path, name, module="numpy_kernels"):
    lower, upper, _ = CASES[name] if name in CASES else ("1", "k", None)
    path = write(tmp_path, f"proofs/{name}.py", PROOF.format(name=name, what=f"i = {lower} .. {upper}",
                                                              lower=lower, upper=upper))
    from derive.codegen import generate

    return generate(load([path]).exports, ["numpy"])[module]


def _function(text, name, tmp_path):
    module_path = tmp_path / f"generated_{name}.py"
    module_path.write_text(text)
    spec = importlib.util.spec_from_file_location(f"generated_{name}", module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


@pytest.mark.parametrize("module", ["numpy_kernels", "numpy_precise_kernels"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_sum_is_the_proved_sum_or_refused(name, module, tmp_path):
    try:
        text = _generated(tmp_path, name, module)
    except DeriveError:
        return  # refused: fine
    value = float(_function(text, name, tmp_path)(MU, reduction="sum"))
    assert value == pytest.approx(CASES[name][2], rel=1e-12), (
        f"the kernel computes {value}, the proved sum is {CASES[name][2]}")


def test_the_whole_array_sum_is_still_generated(tmp_path):
    """Both ways: Sum over i from 1 to k is generated and computes the whole array's sum."""
    text = _generated(tmp_path, "from_one")
    assert float(_function(text, "from_one", tmp_path)(MU, reduction="sum")) == pytest.approx(44.0, rel=1e-12)


def test_cli_codegen_of_a_sum_from_two(tmp_path):
    """`derive codegen --target numpy --out out.py PROOFS`: refused (non-zero exit, nothing
    written) or a module that computes the sum from i = 2."""
    lower, upper, expected = CASES["from_two"]
    write(tmp_path, "proofs/from_two.py", PROOF.format(name="from_two", what="i = 2 .. k", lower=lower, upper=upper))
    out = tmp_path / "out.py"
    result = run_cli("codegen", "--target", "numpy", "--out", str(out), str(tmp_path / "proofs"), cwd=tmp_path)
    if result.returncode != 0:
        assert result.returncode != 123, result.stderr
        return
    value = float(_function(out.read_text(), "from_two", tmp_path)(MU, reduction="sum"))
    assert value == pytest.approx(expected, rel=1e-12), f"the generated kernel computes {value}, proved {expected}"
