"""derive codegen: kernels only from proved results, every rewrite proved, deterministic output,
--check for drift, and refusal with one line when anything is not proved."""

import importlib.util

import mpmath
import numpy
import pytest
from click.testing import CliRunner

from derive import ProofFileError, load
from derive.cli import cli
from derive.codegen import Refused, generate, plan

from .conftest import PROOFS, ROOT

PRIOR = """
from sympy import IndexedBase, Rational, Sum, Symbol, exp
from derive import Derivation, export, rules

i = Symbol("i", integer=True, positive=True)
k = Symbol("k", integer=True, positive=True)
mu, l = IndexedBase("mu", real=True), IndexedBase("l", real=True)
kl = Derivation("kl", "KL to the standard normal prior",
                -Rational(1, 2) * Sum(1 + l[i] - mu[i] ** 2 - exp(l[i]), (i, 1, k)))
kl.step("1", "move the sign inside", rules.linearity(),
        Rational(1, 2) * Sum(mu[i] ** 2 + exp(l[i]) - 1 - l[i], (i, 1, k)))
export("kl_prior", kl, index=i, arguments={mu: "mu", l: "logvar"}, summary="KL to the prior")
"""
BROKEN = PRIOR.replace("exp(l[i]) - 1 - l[i]", "exp(l[i]) - 1 + l[i]")


def run(*args):
    return CliRunner().invoke(cli, list(args))


def import_file(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def derive_plan():
    return plan(load([PROOFS]).exports)


def test_every_claim_behind_the_shipped_kernels_is_proved(derive_plan):
    assert derive_plan.proved
    names = [k.name for k in derive_plan.kernels]
    assert names == ["kl_standard_normal", "kl_diagonal", "kl_mean_term", "kl_variance_term"]
    for series in derive_plan.series:
        assert series.bound.proved and series.expm1_bound.proved and series.radius == 1
    bounds = {s.dtype: max(s.bound.relative_error, s.expm1_bound.relative_error) for s in derive_plan.series}
    # float64 results: below a quarter of their unit roundoff; float32 results, computed in
    # float64 and rounded once: a 64th of a float32 ulp at most.
    assert bounds["float64"] <= 2.0**-55 and bounds["float32"] <= 2.0**-30


def test_committed_kernels_are_what_the_proofs_generate(derive_plan):
    from derive.codegen import _templates

    texts = generate(load([PROOFS]).exports, ["numpy", "torch"])
    assert set(texts) == {"numpy_kernels", "numpy_precise_kernels", "torch_kernels", "torch_precise_kernels"}
    for target in ("numpy", "torch"):
        for render in (_templates.render, _templates.render_plain):
            assert render(derive_plan, target) == render(derive_plan, target)  # deterministic
    for module, text in texts.items():
        assert (ROOT / "derive" / "kernels" / f"{module}.py").read_text() == text


def test_generated_header_traces_kernel_to_proof_and_hash(derive_plan):
    from derive.codegen import _templates

    for render in (_templates.render, _templates.render_plain):
        text = render(derive_plan, "numpy")
        assert "kl_logvar (proofs/stage5_logvar.py:" in text
        assert "from kl_diagonal (proofs/stage3_diagonal.py:" in text
        assert f"sha256 of the verified expression {derive_plan.kernels[0].digest[:16]}" in text
        assert "[proved] _expm1mx: float64: |series - expm1mx(x)|" in text
        imports = {line for line in text.splitlines() if line.startswith(("import ", "from "))}
        assert imports == {"import numpy"}
    compiled_only = "[proved] _expm1: x + expm1mx(x) is expm1(x), as compiled precise code computes it near 0"
    assert compiled_only in _templates.render(derive_plan, "numpy")
    # The plain module lists the claims its own code rests on: no double-double, no precise expm1.
    plain = _templates.render_plain(derive_plan, "torch")
    assert compiled_only not in plain and "_dd_" not in plain and "double-double" not in plain
    assert "_expm1mx_of_sum(t0, logvar1)" in plain and "_square_of_sum(mu1, -mu2)" in plain


def test_plain_modules_are_short_and_show_the_formula():
    """The plain default modules: under 250 non-blank lines below their docstring (the header
    that traces them to their proofs), each kernel's per-element form in one line."""
    for target in ("numpy", "torch"):
        text = (ROOT / "derive" / "kernels" / f"{target}_kernels.py").read_text()
        code = text.split('"""', 2)[2]
        assert len([line for line in code.splitlines() if line.strip()]) < 250, target
        series = ", series" if target == "numpy" else ""  # numpy's float32 computes in float64
        assert f"    return (1/2)*(mu**2 + _expm1mx(logvar{series}))\n" in code


def test_sums_split_by_two_sum_are_proved(derive_plan):
    from derive.codegen import _templates

    claims = {(c.subject, c.what.split(",")[0]): c.proved for c in derive_plan.claims}
    assert claims["_expm1mx_of_sum", "expm1mx(a + b) = expm1mx(a) + expm1(a)*b + exp(a)*expm1mx(b)"]
    assert claims["_expm1_of_sum", "expm1(a + b) = expm1(a) + exp(a)*expm1(b)"]
    assert claims["_square_of_sum", "(s + e)**2 = s**2 + (2*s + e)*e"]
    torch_text = _templates.render(derive_plan, "torch")
    assert "_expm1mx_of_sum(logvar1, -logvar2, precision)" in torch_text
    assert "_square_of_sum(mu1, -mu2)" in torch_text  # never (mu1 - mu2) rounded, then squared


def test_a_sum_whose_terms_may_cancel_is_refined_in_double_double(derive_plan):
    from derive.codegen import _templates

    diagonal = next(k for k in derive_plan.kernels if k.name == "kl_diagonal")
    assert diagonal.stable_terms is None  # its terms are nonnegative
    assert [terms is not None for terms in diagonal.gradient_terms] == [False, False, False, True]
    assert not any(k.cancels for k in derive_plan.kernels if k.name != "kl_diagonal")
    claims = {c.what: c for c in derive_plan.claims if c.subject in ("kl_diagonal", "_dd_expm1_series",
                                                                      "_dd_reduced", "_dd_exp", "_dd_expm1")}
    assert all(c.proved for c in claims.values()), claims
    assert any(what.startswith("d/dlogvar2 is the sum of") for what in claims)
    plan_dd = derive_plan.double_double
    assert plan_dd.bound.relative_error <= 2.0**-104 and plan_dd.radius > numpy.log(2) / 128
    assert plan_dd.log2_bound.relative_error <= 2.0**-140 and plan_dd.powers_bound.relative_error <= 2.0**-105
    with mpmath.workdps(60):
        assert all(hi == float(mpmath.mpf(2) ** (mpmath.mpf(j) / 64)) for j, (hi, _) in enumerate(plan_dd.powers))
    first = plan_dd.log2_64[0]
    assert first * 2.0**(36 - numpy.frexp(first)[1]) % 1 == 0  # 36 significant bits: m * first is exact
    torch_text = _templates.render(derive_plan, "torch")
    assert "_refined((-1/2*t1*_square_of_sum(mu1, t2), -t4), precision, _kl_diagonal_d_logvar2_double_double" in torch_text


def test_pairs_are_the_nearest_doubles_and_what_remains():
    from fractions import Fraction

    from sympy import Rational, factorial

    from derive.codegen import _templates

    for n in range(1, 12):
        hi, lo = eval(_templates._pairs(1 / factorial(n)))  # noqa: S307 - our own printed literals
        assert hi == float(Fraction(1, int(factorial(n))))
        assert abs(Fraction(hi) + Fraction(lo) - Fraction(1, int(factorial(n)))) <= Fraction(1, int(factorial(n))) / 2**106
    assert _templates._pairs(Rational(1, 2)) == "(0.5, 0.0)"


CANCELLING = """
from sympy import IndexedBase, Sum, Symbol, log
from derive import Derivation, export, rules

i = Symbol("i", integer=True, positive=True)
k = Symbol("k", integer=True, positive=True)
x = IndexedBase("x", real=True)
f = Derivation("f", "a sum whose terms cancel", Sum(x[i] ** 2 - log(1 + x[i] ** 2), (i, 1, k)))
f.step("1", "the same, written again", rules.algebra(), Sum(x[i] ** 2 - log(x[i] ** 2 + 1), (i, 1, k)))
export("f", f, index=i, arguments={x: "x"}, summary="x^2 - log(1 + x^2)")
"""


def test_a_cancelling_sum_without_double_double_arithmetic_is_only_plain(write_proof, tmp_path):
    """The plain module has it (its docstring states its bound); the precise one, asked for
    alone, is refused with one line, and nothing is written."""
    proof = write_proof("cancelling.py", CANCELLING)
    plain = tmp_path / "plain.py"
    assert run("codegen", str(proof), "--target", "numpy", "--out", str(plain)).exit_code == 0
    assert "within 4 ulp of the sum of its terms'" in " ".join(import_file(plain).f.__doc__.split())
    out = tmp_path / "f.py"
    result = run("codegen", str(proof), "--target", "numpy", "--precise", "--out", str(out))
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "cancelling.py:" in result.output
    assert "export 'f': the stable form is a sum that may cancel, and no double-double arithmetic for log" in result.output
    assert result.output.endswith(": only the plain module has it\n")
    assert not out.exists()


def test_a_module_without_cancelling_sums_has_no_double_double_helpers(write_proof, tmp_path):
    out = tmp_path / "prior_kernels.py"
    assert run("codegen", str(write_proof("prior.py", PRIOR)), "--target", "torch", "--out", str(out)).exit_code == 0
    text = out.read_text()
    assert "_dd_" not in text and "def _refined" not in text and "_uncompiled_by_dynamo" not in text



def test_codegen_writes_a_working_module(write_proof, tmp_path):
    proof = write_proof("prior.py", PRIOR)
    out = tmp_path / "prior_kernels.py"
    result = run("codegen", str(proof), "--target", "numpy", "--out", str(out))
    assert result.exit_code == 0, result.output
    module = import_file(out)
    mu, logvar = numpy.array([[0.5, -1e-8]]), numpy.array([[1e-9, -2.0]])
    expected = [0.5 * (0.25 + 1e-18 / 2), 0.5 * (1e-16 + numpy.expm1(-2.0) + 2.0)]
    numpy.testing.assert_allclose(module.kl_prior(mu, logvar, reduction="none")[0], expected, rtol=1e-15)
    grad_mu, grad_logvar = module.kl_prior_grad(mu, logvar)
    numpy.testing.assert_allclose(grad_mu, mu, rtol=0)
    numpy.testing.assert_allclose(grad_logvar, numpy.expm1(logvar) / 2, rtol=1e-15)


def test_check_passes_when_fresh_and_catches_a_hand_edit(write_proof, tmp_path):
    proof = write_proof("prior.py", PRIOR)
    out = tmp_path / "prior_kernels.py"
    assert run("codegen", str(proof), "--target", "torch", "--out", str(out)).exit_code == 0
    fresh = run("codegen", str(proof), "--target", "torch", "--out", str(out), "--check")
    assert fresh.exit_code == 0, fresh.output
    edited = out.read_text().replace("return torch.where(", "return 0.5 * torch.where(")
    out.write_text(edited)
    stale = run("codegen", str(proof), "--target", "torch", "--out", str(out), "--check")
    assert stale.exit_code == 1
    lines = stale.output.strip().splitlines()
    assert len(lines) == 1 and "differs from what the proofs generate (line" in lines[0]
    assert out.read_text() == edited  # --check writes nothing


def test_refuses_when_a_step_is_not_proved_and_writes_nothing(write_proof, tmp_path):
    proof = write_proof("broken.py", BROKEN)
    out = tmp_path / "broken_kernels.py"
    result = run("codegen", str(proof), "--target", "numpy", "--out", str(out))
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "kl_prior: not generating, because 'step 1 of 'kl'" in result.output
    assert "refuted" in result.output
    assert not out.exists()
    with pytest.raises(Refused):
        generate(load([proof]).exports, ["numpy"])


@pytest.mark.parametrize("args, message", [
    (["--target", "jax"], "unknown target 'jax': choose from numpy, torch"),
    (["--target", "numpy", "--check"], "--check and several targets need --out"),
])
def test_usage_errors_are_one_line_exit_2(write_proof, args, message):
    proof = write_proof("prior.py", PRIOR)
    result = run("codegen", str(proof), *args)
    assert result.exit_code == 2
    assert result.output.strip() == f"derive: {message}"


def test_no_exports_is_refused(write_proof):
    proof = write_proof("plain.py", PRIOR.split("export(")[0])
    result = run("codegen", str(proof), "--target", "numpy")
    assert result.exit_code == 1
    assert "declare no exports" in result.output


@pytest.mark.parametrize("declaration, message", [
    ('export("kl prior", kl, index=i, arguments={mu: "mu"}, summary="")', "is not a Python identifier"),
    ('export("kl_prior", kl, index=i, arguments={mu: 3}, summary="")', "map indexed families"),
    ('export("kl_prior", kl, index=i, arguments={mu: "mu"}, summary="", term=mu[i])', "is not a term of"),
])
def test_malformed_exports_name_the_line(write_proof, declaration, message):
    proof = write_proof("bad_export.py", PRIOR.split("export(")[0] + declaration + "\n")
    with pytest.raises(ProofFileError) as info:
        load([proof])
    assert message in str(info.value) and "bad_export.py:" in str(info.value)


SUM_FROM_TWO = """
from sympy import IndexedBase, Sum, Symbol
from derive import Derivation, export, rules

i = Symbol("i", integer=True, positive=True)
k = Symbol("k", integer=True, positive=True)
mu = IndexedBase("mu", real=True)
d = Derivation("half_squares", "1/2 sum_{i=2}^k mu_i^2", Sum(mu[i]**2, (i, 2, k)) / 2)
d.step("1", "1/2 inside", rules.linearity(), Sum(mu[i]**2 / 2, (i, 2, k)))
export("half_squares", d, index=i, arguments={mu: "mu"}, summary="from 2")
"""


def test_a_sum_that_does_not_run_over_every_element_is_refused(write_proof):
    from derive.certificates import load_certified

    exports = load_certified([write_proof("from_two.py", SUM_FROM_TWO)]).exports
    with pytest.raises(Refused, match=r"sums over i = 2 \.\. k: a kernel adds every element"):
        generate(exports, ["numpy"])


@pytest.mark.parametrize("slip", [("(1/2)*mu**2", "(1/2)*mu**3"), ("numpy.sum(", "1 + numpy.sum(")])
def test_a_printer_slip_is_caught_by_the_kernels_implementation_check(monkeypatch, slip):
    from derive.codegen import _templates

    exports = [e for e in load(["proofs"]).exports if e.name == "kl_mean_term"]
    render = _templates.render
    monkeypatch.setattr(_templates, "render", lambda made, target: render(made, target).replace(*slip))
    with pytest.raises(Refused, match="the generated numpy code computes the verified result' is refuted"):
        generate(exports, ["numpy"])


def test_out_makes_its_folder(write_proof, tmp_path):
    proof = write_proof("prior.py", PRIOR)
    out = tmp_path / "made" / "here"
    result = run("codegen", str(proof), "--target", "numpy", "--target", "torch", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in out.iterdir()) == [
        "numpy_kernels.py", "numpy_precise_kernels.py", "torch_kernels.py", "torch_precise_kernels.py"]


def test_a_second_plan_recalls_its_claims_from_the_proof_cache(write_proof, tmp_path):
    """What the kernel proved once (the derivations, the stable forms, the gradients), a later
    codegen or codegen --check recalls from the signed cache instead of proving it again."""
    from derive._cache import StepCache
    from derive.kernel import Reason

    exports = load([write_proof("prior.py", PRIOR)]).exports
    cache = StepCache(tmp_path / "cache", b"a key outside the repository")
    first = plan(exports, cache=cache)
    second = plan(exports, cache=cache)
    assert first.proved and second.proved
    for before, after in zip(first.claims, second.claims):
        if before.verdict.reason is Reason.SYMBOLIC_AND_NUMERIC:
            assert after.verdict.reason is Reason.CACHED, after.what


# --- any proved result: the decoder losses of examples/losses.py --------------------------------

@pytest.fixture(scope="module")
def loss_modules(tmp_path_factory):
    """The four modules generated from examples/losses.py, imported from a temporary folder."""
    folder = tmp_path_factory.mktemp("losses")
    texts = generate(load([ROOT / "examples" / "losses.py"]).exports, ["numpy", "torch"])
    modules = {}
    for name, text in texts.items():
        (folder / f"{name}.py").write_text(text)
        modules[name] = import_file(folder / f"{name}.py")
    return modules


def test_gaussian_nll_is_torchs_and_its_gradients_are_autograds(loss_modules):
    torch = pytest.importorskip("torch")
    generator = torch.Generator().manual_seed(11)
    x, mu = (torch.randn(16, 5, dtype=torch.float64, generator=generator) for _ in range(2))
    logvar = (torch.rand(16, 5, dtype=torch.float64, generator=generator) * 6 - 3).requires_grad_()
    mu.requires_grad_()
    ours = loss_modules["torch_kernels"].gaussian_nll(x, mu, logvar, reduction="mean")
    theirs = torch.nn.functional.gaussian_nll_loss(mu, x, logvar.exp(), full=True, reduction="mean")
    torch.testing.assert_close(ours, theirs, rtol=1e-13, atol=0)
    for got, expected in zip(torch.autograd.grad(ours, (mu, logvar)), torch.autograd.grad(theirs, (mu, logvar))):
        torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-15)
    arrays = [a.detach().numpy() for a in (x, mu, logvar)]
    numpy.testing.assert_allclose(loss_modules["numpy_kernels"].gaussian_nll(*arrays, reduction="mean"),
                                  ours.item(), rtol=1e-15)


def test_bernoulli_nll_of_logits_is_binary_cross_entropy_and_stable_far_out(loss_modules):
    torch = pytest.importorskip("torch")
    module = loss_modules["torch_kernels"]
    logits = torch.tensor([-1000.0, -100.0, -30.0, -1.0, 0.0, 1e-8, 2.0, 30.0, 100.0, 1000.0],
                          dtype=torch.float64, requires_grad=True)
    for target in (0.0, 1.0, 0.3):
        x = torch.full_like(logits, target)
        ours = module.bernoulli_nll(x, logits, reduction="none")
        # torch's own loses digits it could keep (0 for log1p(exp(-100)) at x = 0): mpmath judges below.
        theirs = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none")
        torch.testing.assert_close(ours, theirs, rtol=1e-13, atol=1e-14)
        (gradient,) = torch.autograd.grad(ours.sum(), logits)
        torch.testing.assert_close(gradient, torch.sigmoid(logits.detach()) - x, rtol=1e-15, atol=1e-300)
        with mpmath.workdps(50):
            for value, z in zip(ours.tolist(), logits.tolist()):
                exact = mpmath.log1p(mpmath.exp(z)) - target * mpmath.mpf(z)
                magnitude = mpmath.log1p(mpmath.exp(z)) + abs(target * z)  # the bound the docstring states
                assert abs(value - exact) <= 4 * numpy.spacing(float(magnitude)), (z, target)
    float32 = module.bernoulli_nll(torch.ones(3), torch.tensor([-200.0, 0.0, 200.0]), reduction="none")
    assert torch.isfinite(float32).all() and float32[0] == 200.0


def test_a_kernel_double_double_cannot_recompute_is_only_in_the_plain_module(loss_modules):
    for target in ("numpy", "torch"):
        precise = loss_modules[f"{target}_precise_kernels"]
        assert not hasattr(precise, "gaussian_nll") and not hasattr(precise, "bernoulli_nll")
        assert f"gaussian_nll is only in {target}_kernels.py: the stable form is a sum that may cancel" in precise.__doc__
        plain = loss_modules[f"{target}_kernels"]
        assert "-log N(x; mu, diag(exp(logvar)))" in plain.gaussian_nll.__doc__
        accuracy = " ".join(plain.bernoulli_nll.__doc__.split())
        assert "within 4 ulp of the sum of its terms' magnitudes" in accuracy and "no precise kernel" in accuracy


def test_the_softplus_form_is_proved_on_each_side_of_zero():
    made = plan(load([ROOT / "examples" / "losses.py"]).exports)
    sides = [c for c in made.claims if c.subject == "bernoulli_nll" and c.what.startswith("stable form")]
    assert [c.what.rsplit(" where ", 1)[1] for c in sides] == ["logits > 0", "logits <= 0"]
    assert all(c.proved for c in sides)
