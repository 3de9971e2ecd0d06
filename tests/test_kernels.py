"""The committed generated kernels, plain and precise: accuracy against mpmath, numpy and torch
agree, gradients, reductions, dtypes and one-line errors for bad input."""

import functools
import subprocess
import sys

import mpmath
import numpy
import pytest

from derive.kernels import numpy_kernels, numpy_precise_kernels

torch = pytest.importorskip("torch")
from derive.kernels import torch_kernels, torch_precise_kernels  # noqa: E402

# Each variant's (numpy module, torch module).
VARIANTS = {"plain": (numpy_kernels, torch_kernels), "precise": (numpy_precise_kernels, torch_precise_kernels)}
TORCH_MODULES = pytest.mark.parametrize("torch_module", [torch_kernels, torch_precise_kernels],
                                        ids=["plain", "precise"])

POINTS = 400
REGIMES = {  # (mu range, logvar range), as issue 3 names them
    "typical": ((-3, 3), (-6, 2)),
    "near-collapse": ((-1e-3, 1e-3), (-1e-3, 1e-3)),
    "tiny": ((-1e-6, 1e-6), (-1e-6, 1e-6)),
    "wide": ((-100, 100), (-30, 30)),
}
MAX_ULPS = 4


def draw(regime, dtype, seed):
    rng = numpy.random.default_rng(seed)
    mu_range, logvar_range = REGIMES[regime]
    mu1, mu2 = (rng.uniform(*mu_range, POINTS).astype(dtype) for _ in range(2))
    logvar1, logvar2 = (rng.uniform(*logvar_range, POINTS).astype(dtype) for _ in range(2))
    return mu1, logvar1, mu2, logvar2


def exact(x):
    return mpmath.mpf(float(x))


def reference(mu1, logvar1, mu2, logvar2):
    """KL per element and its gradient in (mu1, logvar1, mu2, logvar2), at 50 digits."""
    with mpmath.workdps(50):
        d, dm, w = exact(logvar1) - exact(logvar2), exact(mu1) - exact(mu2), mpmath.exp(-exact(logvar2))
        value = (mpmath.expm1(d) - d + dm**2 * w) / 2
        return value, (dm * w, mpmath.expm1(d) / 2, -dm * w, -(dm**2 * w + mpmath.expm1(d)) / 2)


def worst_ulps(computed, exact_values, dtype):
    worst = 0.0
    for value, truth in zip(numpy.ravel(computed), exact_values):
        rounded = dtype(float(truth))
        spacing = numpy.spacing(abs(rounded)) if rounded != 0 else numpy.finfo(dtype).smallest_subnormal
        worst = max(worst, float(abs(exact(value) - truth) / exact(spacing)))
    return worst


def d_dlogvar2_magnitudes(mu1, logvar1, mu2, logvar2):
    """The sum of the magnitudes of the two terms of kl_diagonal's d/dlogvar2, at 50 digits: the
    plain kernel's Accuracy bounds its error by 4 ulp of this, not of the value they cancel to."""
    with mpmath.workdps(50):
        d, dm = exact(logvar1) - exact(logvar2), exact(mu1) - exact(mu2)
        return (dm**2 * mpmath.exp(-exact(logvar2)) + abs(mpmath.expm1(d))) / 2


def worst_ulps_of(computed, exact_values, magnitudes, dtype):
    """Worst error in ulps of ``magnitudes`` rather than of the exact values."""
    return max(float(abs(exact(value) - truth) / exact(numpy.spacing(dtype(float(magnitude)))))
               for value, truth, magnitude in zip(numpy.ravel(computed), exact_values, magnitudes))


def measured(regime, dtype, variant, seed=0):
    """Worst ulps of values and gradients of both kernels, numpy and torch, at seeded points; the
    plain kl_diagonal's d/dlogvar2 in ulps of its terms' magnitudes (its docstring's bound)."""
    mu1, logvar1, mu2, logvar2 = draw(regime, dtype, seed)
    truth = [reference(*point) for point in zip(mu1, logvar1, mu2, logvar2)]
    prior = [reference(m, lv, 0, 0) for m, lv in zip(mu1, logvar1)]
    numpy_module, torch_module = VARIANTS[variant]
    worst = {}
    for name, args, truths in (("kl_diagonal", (mu1, logvar1, mu2, logvar2), truth),
                               ("kl_standard_normal", (mu1, logvar1), prior)):
        value = getattr(numpy_module, name)(*args, reduction="none")
        grads = getattr(numpy_module, f"{name}_grad")(*args, reduction="none")
        tensors = [torch.tensor(a, requires_grad=True) for a in args]
        getattr(torch_module, name)(*tensors, reduction="sum").backward()
        worst[name, "value"] = worst_ulps(value, [t[0] for t in truths], dtype)
        for n, (grad, tensor) in enumerate(zip(grads, tensors)):
            truths_n = [t[1][n] for t in truths]
            if variant == "plain" and name == "kl_diagonal" and n == 3:
                magnitudes = [d_dlogvar2_magnitudes(*point) for point in zip(*args)]
                worst[name, "gradient 3 in ulps of its terms"] = max(
                    worst_ulps_of(grad, truths_n, magnitudes, dtype),
                    worst_ulps_of(tensor.grad.numpy(), truths_n, magnitudes, dtype))
                continue
            worst[name, f"gradient {n}"] = max(worst_ulps(grad, truths_n, dtype),
                                                worst_ulps(tensor.grad.numpy(), truths_n, dtype))
        assert (value >= 0).all()
    return worst


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("regime", REGIMES)
def test_float32_values_and_gradients_within_4_ulp(regime, variant):
    worst = measured(regime, numpy.float32, variant)
    assert max(worst.values()) <= MAX_ULPS, worst


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("regime", REGIMES)
def test_float64_values_and_gradients_within_4_ulp(regime, variant):
    # logvar1 - logvar2 is split exactly by TwoSum before exp: rounded first, it cost 33 ulp (wide);
    # the precise d/dlogvar2 of kl_diagonal cancels near its zeros and is recomputed in
    # double-double there: 391 ulp (typical) without.
    worst = measured(regime, numpy.float64, variant)
    assert max(worst.values()) <= MAX_ULPS, worst


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_diagonal_with_near_equal_variances_within_target(dtype, variant):
    rng = numpy.random.default_rng(7)
    mu1, mu2 = (rng.uniform(-3, 3, POINTS).astype(dtype) for _ in range(2))
    logvar2 = rng.uniform(-6, 2, POINTS).astype(dtype)
    logvar1 = (logvar2 + rng.uniform(-1e-4, 1e-4, POINTS)).astype(dtype)
    args = (mu1, logvar1, mu2, logvar2)
    truths = [reference(*point) for point in zip(*args)]
    module = VARIANTS[variant][0]
    assert worst_ulps(module.kl_diagonal(*args, reduction="none"), [t[0] for t in truths], dtype) <= MAX_ULPS
    for n, grad in enumerate(module.kl_diagonal_grad(*args, reduction="none")):
        if variant == "plain" and n == 3:
            magnitudes = [d_dlogvar2_magnitudes(*point) for point in zip(*args)]
            assert worst_ulps_of(grad, [t[1][n] for t in truths], magnitudes, dtype) <= MAX_ULPS
        else:
            assert worst_ulps(grad, [t[1][n] for t in truths], dtype) <= MAX_ULPS, n


def next_to_a_zero_of_d_dlogvar2(dtype, gap):
    """Points where (mu1 - mu2)**2 is var2 - var1 to a relative ``gap``: the two terms of
    d/dlogvar2 = -((mu1 - mu2)**2 exp(-logvar2) + expm1(logvar1 - logvar2))/2 cancel by 1/gap."""
    rng = numpy.random.default_rng(8)
    logvar2 = rng.uniform(-2, 2, POINTS)
    logvar1 = logvar2 - rng.uniform(0.1, 3, POINTS)
    mu2 = rng.uniform(-3, 3, POINTS)
    mu1 = mu2 + numpy.sqrt((numpy.exp(logvar2) - numpy.exp(logvar1)) * (1 + rng.choice([-1, 1], POINTS) * gap))
    return tuple(a.astype(dtype) for a in (mu1, logvar1, mu2, logvar2))


def test_float64_d_dlogvar2_keeps_its_digits_where_its_terms_cancel():
    args = next_to_a_zero_of_d_dlogvar2(numpy.float64, gap=1e-6)
    truths = [reference(*point)[1][3] for point in zip(*args)]
    mu1, logvar1, mu2, logvar2 = args
    term_by_term = -((mu1 - mu2) ** 2 * numpy.exp(-logvar2) + numpy.expm1(logvar1 - logvar2)) / 2
    assert worst_ulps(term_by_term, truths, numpy.float64) > 1e4  # what the plain sum loses here
    assert worst_ulps(numpy_precise_kernels.kl_diagonal_grad(*args, reduction="none")[3], truths,
                      numpy.float64) <= MAX_ULPS
    tensors = [torch.tensor(a, requires_grad=True) for a in args]
    torch_precise_kernels.kl_diagonal(*tensors).backward()
    assert worst_ulps(tensors[3].grad.numpy(), truths, numpy.float64) <= MAX_ULPS


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_plain_d_dlogvar2_is_within_4_ulp_of_its_terms_where_they_cancel(dtype):
    """The plain kernel's stated bound, where it matters: next to the zeros of d/dlogvar2 it is
    within 4 ulp of the magnitudes of the terms that cancel, and loses digits of the value."""
    args = next_to_a_zero_of_d_dlogvar2(dtype, gap=1e-3)
    truths = [reference(*point)[1][3] for point in zip(*args)]
    magnitudes = [d_dlogvar2_magnitudes(*point) for point in zip(*args)]
    tensors = [torch.tensor(a, requires_grad=True) for a in args]
    torch_kernels.kl_diagonal(*tensors).backward()
    numpy_grad = numpy_kernels.kl_diagonal_grad(*args, reduction="none")[3]
    for grad in (numpy_grad, tensors[3].grad.numpy()):
        assert worst_ulps_of(grad, truths, magnitudes, dtype) <= MAX_ULPS
    # What the precise kernels recompute (numpy computes float32 in float64, which keeps them here).
    assert worst_ulps(tensors[3].grad.numpy(), truths, dtype) > MAX_ULPS
    assert (worst_ulps(numpy_grad, truths, dtype) > MAX_ULPS) == (dtype == numpy.float64)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32])
def test_narrow_d_dlogvar2_is_correctly_rounded_where_its_terms_cancel(dtype):
    # Computed in a wider dtype, and in double-double where that is not wide enough.
    gap = {torch.float16: 1e-2, torch.bfloat16: 1e-1, torch.float32: 1e-5}[dtype]
    args = [torch.tensor(a).to(dtype) for a in next_to_a_zero_of_d_dlogvar2(numpy.float64, gap)]
    tensors = [a.clone().requires_grad_() for a in args]
    torch_precise_kernels.kl_diagonal(*tensors).backward()
    for got, point in zip(tensors[3].grad, zip(*args)):
        truth = reference(*point)[1][3]
        assert abs(exact(got) - truth) <= float(torch.finfo(dtype).eps) / 2 * abs(truth) * (1 + 1e-9)


@pytest.mark.parametrize("low, high", [(-1e-9, 1e-9), (-1e-3, 1e-3), (-1, 1), (-30, 30), (-700, 700)])
def test_double_double_exp_and_expm1_are_good_to_about_2_to_the_minus_100(low, high):
    x = numpy.random.default_rng(9).uniform(low, high, POINTS)
    for module, array in ((numpy_precise_kernels, numpy.asarray), (torch_precise_kernels, torch.tensor)):
        with numpy.errstate(over="ignore", invalid="ignore"):  # as the kernels call them
            pairs = {"exp": module._dd_exp(module._dd(array(x))), "expm1": module._dd_expm1(module._dd(array(x)))}
        for name, (hi, lo) in pairs.items():
            truth = [getattr(mpmath, name)(exact(v)) for v in x]
            # exp(-700) is about 1e-304: its low part is subnormal and holds fewer bits.
            bound = mpmath.mpf(2) ** (-100 if name == "expm1" or low > -700 else -60)
            worst = max(abs(exact(h) + exact(l) - t) / abs(t) for h, l, t in zip(numpy.asarray(hi), numpy.asarray(lo), truth))
            assert worst <= bound, (module.__name__, name, worst)


@pytest.mark.parametrize("variant", VARIANTS)
def test_numpy_and_torch_agree_on_every_kernel_and_reduction(variant):
    numpy_kernels, torch_kernels = VARIANTS[variant]
    rng = numpy.random.default_rng(1)
    shapes = {"mu1": (5, 3), "logvar1": (5, 3), "mu2": (3,), "logvar2": (1, 3), "mu": (5, 3), "logvar": (5, 3)}
    for name, arguments in (("kl_standard_normal", ("mu", "logvar")), ("kl_mean_term", ("mu",)),
                            ("kl_variance_term", ("logvar",)),
                            ("kl_diagonal", ("mu1", "logvar1", "mu2", "logvar2"))):
        arrays = [rng.normal(size=shapes[a]) for a in arguments]
        for reduction in ("none", "sum", "mean", "batchmean"):
            expected = getattr(numpy_kernels, name)(*arrays, reduction=reduction)
            tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
            got = getattr(torch_kernels, name)(*tensors, reduction=reduction)
            numpy.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-15)
            got.sum().backward()
            grads = getattr(numpy_kernels, f"{name}_grad")(*arrays, reduction=reduction)
            for tensor, grad in zip(tensors, grads):
                assert tensor.grad.shape == tensor.shape
                numpy.testing.assert_allclose(tensor.grad.numpy(), grad, rtol=1e-15)


@pytest.mark.parametrize("numpy_kernels", [numpy_kernels, numpy_precise_kernels], ids=["plain", "precise"])
def test_reductions_relate_as_torch_losses_do(numpy_kernels):
    rng = numpy.random.default_rng(2)
    mu, logvar = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    terms = numpy_kernels.kl_standard_normal(mu, logvar, reduction="none")
    assert terms.shape == (4, 6)
    assert numpy.isclose(numpy_kernels.kl_standard_normal(mu, logvar), terms.sum(), rtol=1e-15)
    assert numpy.isclose(numpy_kernels.kl_standard_normal(mu, logvar, reduction="mean"), terms.mean(), rtol=1e-15)
    assert numpy.isclose(numpy_kernels.kl_standard_normal(mu, logvar, reduction="batchmean"), terms.sum() / 4,
                         rtol=1e-15)
    split = (numpy_kernels.kl_mean_term(mu, reduction="none") + numpy_kernels.kl_variance_term(logvar, reduction="none"))
    numpy.testing.assert_allclose(split, terms, rtol=1e-15)


@TORCH_MODULES
def test_the_prior_broadcasts_and_gets_its_gradient_summed(torch_module):
    torch_kernels = torch_module
    mu = torch.randn(8, 3, dtype=torch.float64, requires_grad=True)
    logvar = torch.randn(8, 3, dtype=torch.float64, requires_grad=True)
    prior_mu = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    prior_logvar = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    diagonal = torch_kernels.kl_diagonal(mu, logvar, prior_mu, prior_logvar)
    assert torch.allclose(diagonal, torch_kernels.kl_standard_normal(mu, logvar), rtol=1e-14)
    diagonal.backward()
    assert prior_mu.grad.shape == (3,)
    assert torch.allclose(prior_mu.grad, -mu.detach().sum(0), rtol=1e-14)


@TORCH_MODULES
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32])
def test_low_precision_in_and_out_computed_wider(dtype, torch_module):
    # Near collapse, where the hand-written line in these dtypes returns 0 or noise. float16 and
    # bfloat16 are computed in float32, and so correctly rounded; float32 in float32 by the plain
    # kernels (within 4 ulp), in float64 by the precise ones.
    mu, logvar = torch.full((4,), 0.01, dtype=dtype), torch.full((4,), -0.03, dtype=dtype)
    result = torch_module.kl_standard_normal(mu, logvar, reduction="none")
    assert result.dtype == dtype
    m, lv = exact(mu[0]), exact(logvar[0])
    truth = (m * m + mpmath.expm1(lv) - lv) / 2
    ulps = 4 if torch_module is torch_kernels and dtype == torch.float32 else 1 / 2
    assert abs(exact(result[0]) - truth) <= float(torch.finfo(dtype).eps) * ulps * truth


def test_more_rows_than_one_chunk_give_the_same_sum():
    rng = numpy.random.default_rng(4)
    mu, logvar = rng.normal(size=(3000, 64)), rng.normal(size=(3000, 64))  # about 3 chunks
    total = numpy_precise_kernels.kl_standard_normal(mu, logvar)
    assert numpy.isclose(total, numpy.sum(numpy_precise_kernels.kl_standard_normal(mu, logvar, reduction="none")),
                         rtol=1e-14)
    assert numpy.isclose(float(torch_precise_kernels.kl_standard_normal(torch.tensor(mu), torch.tensor(logvar))),
                         total, rtol=1e-15)


@pytest.mark.parametrize("variant", VARIANTS)
def test_an_eager_call_in_chunks_is_the_whole_arrays_computation(variant):
    """Past 2**16 elements an eager call computes chunk by chunk: the values and the gradients,
    a broadcast prior's summed over the rows, are those of autograd through the per-element
    form over the whole arrays, and of numpy's kernel."""
    numpy_module, torch_module = VARIANTS[variant]
    generator = torch.Generator().manual_seed(13)
    mu1, logvar1 = (torch.randn(600, 256, dtype=torch.float64, generator=generator, requires_grad=True)
                    for _ in range(2))
    mu2, logvar2 = (torch.randn(256, dtype=torch.float64, generator=generator, requires_grad=True) for _ in range(2))
    arguments = (mu1, logvar1, mu2, logvar2)
    chunked = torch_module.kl_diagonal(*arguments, reduction="none")
    chunked_grads = torch.autograd.grad(chunked.sum(), arguments)
    whole = torch_kernels._kl_diagonal_terms(*arguments)
    torch.testing.assert_close(chunked, whole, rtol=1e-15, atol=0)
    for got, expected in zip(chunked_grads, torch.autograd.grad(whole.sum(), arguments)):
        torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    arrays = [a.detach().numpy() for a in arguments]
    numpy.testing.assert_allclose(numpy_module.kl_diagonal(*arrays, reduction="none"), chunked.detach().numpy(),
                                  rtol=1e-15)
    for got, expected in zip(numpy_module.kl_diagonal_grad(*arrays, reduction="none"), chunked_grads):
        numpy.testing.assert_allclose(got, expected.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("variant", VARIANTS)
def test_float32_sums_of_a_million_terms_within_4_ulp(variant):
    """The reductions, not only the terms: a float32 sum and mean of 2**20 terms against the
    float64 terms (each within 4 ulp of float64) added exactly."""
    rng = numpy.random.default_rng(10)
    mu, logvar = (rng.uniform(-1e-3, 1e-3, (1024, 1024)).astype(numpy.float32) for _ in range(2))
    numpy_module, torch_module = VARIANTS[variant]
    import math

    truth = math.fsum(numpy_module.kl_standard_normal(mu.astype(numpy.float64), logvar.astype(numpy.float64),
                                                      reduction="none").ravel().tolist())
    spacing = numpy.spacing(numpy.float32(truth))
    for got in (numpy_module.kl_standard_normal(mu, logvar),
                torch_module.kl_standard_normal(torch.tensor(mu), torch.tensor(logvar)).item()):
        assert abs(float(got) - truth) <= MAX_ULPS * spacing


@pytest.mark.parametrize("call, message", [
    (lambda: torch_kernels.kl_standard_normal(torch.zeros(2, 3), torch.zeros(4, 3)),
     "kl_standard_normal: shapes do not broadcast: mu (2, 3), logvar (4, 3)"),
    (lambda: torch_kernels.kl_standard_normal(torch.zeros(2), torch.zeros(2), reduction="avg"),
     "kl_standard_normal: reduction must be one of none, sum, mean, batchmean, got 'avg'"),
    (lambda: torch_kernels.kl_standard_normal(torch.zeros(2, dtype=torch.int64), torch.zeros(2)),
     "kl_standard_normal: mu has dtype torch.int64; expected float16, bfloat16, float32 or float64"),
    (lambda: torch_kernels.kl_standard_normal(torch.zeros(2), [0.0, 0.0]),
     "kl_standard_normal: logvar must be a torch.Tensor or a Python number, got list"),
    (lambda: torch_kernels.kl_standard_normal(torch.zeros(2), torch.zeros(2, device="meta")),
     "kl_standard_normal: logvar is on meta but the first tensor argument is on cpu"),
    (lambda: torch_kernels.kl_diagonal(0.0, 0.0, 0.0, 0.0),
     "kl_diagonal: no argument is a torch.Tensor"),
    (lambda: torch_kernels.kl_standard_normal(torch.tensor(0.0), torch.tensor(0.0), reduction="batchmean"),
     "kl_standard_normal: reduction 'batchmean' needs a batch dimension, the inputs are scalars"),
    (lambda: numpy_kernels.kl_diagonal(numpy.zeros(3), numpy.zeros(3), numpy.zeros(3), numpy.arange(3)),
     "kl_diagonal: logvar2 has dtype int64; expected float16, float32 or float64"),
    (lambda: numpy_precise_kernels.kl_variance_term(numpy.array([0.0, numpy.nan]), reduction="none"),
     "kl_variance_term: logvar holds nan at index (1,); the result would be NaN"),
])
def test_bad_input_gets_one_line_naming_the_argument(call, message):
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    assert str(info.value) == message


def test_generated_kernels_import_without_sympy():
    code = ("import sys; import derive.kernels.torch_kernels, derive.kernels.numpy_kernels, "
            "derive.kernels.torch_precise_kernels, derive.kernels.numpy_precise_kernels; "
            "assert 'sympy' not in sys.modules, 'sympy imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


# torch.compile warns about torch.jit: torch's business, not ours.
compiling = pytest.mark.filterwarnings("ignore:.*torch.jit.script_method.*:DeprecationWarning")


@compiling
@TORCH_MODULES
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_inside_torch_compile_within_4_ulp_near_zero_and_beyond(dtype, torch_module):
    """Compiled by inductor, where torch.expm1 is exp(x) - 1 (pytorch/pytorch#189803): the series
    near 0 keeps the value's and the gradient's digits there."""
    regimes = [draw(regime, dtype, seed=12) for regime in ("tiny", "near-collapse", "typical")]
    mu, logvar = (numpy.concatenate([drawn[n] for drawn in regimes]) for n in (0, 1))
    tensors = [torch.tensor(a, requires_grad=True) for a in (mu, logvar)]
    compiled = torch.compile(functools.partial(torch_module.kl_standard_normal, reduction="none"), fullgraph=True)
    values = compiled(*tensors)
    values.sum().backward()
    truths = [reference(m, lv, 0, 0) for m, lv in zip(mu, logvar)]
    assert worst_ulps(values.detach().numpy(), [t[0] for t in truths], dtype) <= MAX_ULPS
    for n, tensor in enumerate(tensors):
        assert worst_ulps(tensor.grad.numpy(), [t[1][n] for t in truths], dtype) <= MAX_ULPS, n


# --- torch: composes like torch code ----------------------------------------------------------

KERNEL_ARITIES = {"kl_standard_normal": 2, "kl_diagonal": 4, "kl_mean_term": 1, "kl_variance_term": 1}


def torch_arguments(name, shape=(3, 4), dtype=torch.float64, seed=0, requires_grad=True):
    generator = torch.Generator().manual_seed(seed)
    return tuple((torch.rand(shape, generator=generator, dtype=dtype) * 4 - 2).requires_grad_(requires_grad)
                 for _ in range(KERNEL_ARITIES[name]))


@pytest.mark.parametrize("reduction", ["sum", "mean", "batchmean", "none"])
@pytest.mark.parametrize("name", sorted(KERNEL_ARITIES))
@TORCH_MODULES
def test_gradcheck_and_gradgradcheck(name, reduction, torch_module):
    """First and second derivatives against finite differences, float64, every kernel and
    reduction: with create_graph=True the backward is itself differentiable."""
    kernel = functools.partial(getattr(torch_module, name), reduction=reduction)
    arguments = torch_arguments(name)
    assert torch.autograd.gradcheck(kernel, arguments)
    assert torch.autograd.gradgradcheck(kernel, arguments)


@TORCH_MODULES
def test_hessian_and_create_graph_are_the_derivatives_of_the_proved_gradient(torch_module):
    """d/dlogvar kl_standard_normal = expm1(logvar)/2, so d2/dlogvar2 = exp(logvar)/2 on the
    diagonal; a gradient built with create_graph=True has a grad_fn (a gradient penalty works)."""
    mu, logvar = torch_arguments("kl_standard_normal", shape=(5,))
    hessian = torch.autograd.functional.hessian(torch_module.kl_standard_normal, (mu, logvar))
    torch.testing.assert_close(hessian[1][1], torch.diag(logvar.detach().exp() / 2))
    torch.testing.assert_close(hessian[0][0], torch.eye(5, dtype=torch.float64))
    (d_logvar,) = torch.autograd.grad(torch_module.kl_standard_normal(mu, logvar), logvar, create_graph=True)
    assert d_logvar.grad_fn is not None
    (penalty,) = torch.autograd.grad(d_logvar.pow(2).sum(), logvar)
    torch.testing.assert_close(penalty, (torch.expm1(logvar) * torch.exp(logvar) / 2).detach())


@pytest.mark.filterwarnings("ignore:.*torch.jit.script.*is deprecated:DeprecationWarning")  # torch.func's own import
@pytest.mark.parametrize("name", sorted(KERNEL_ARITIES))
@TORCH_MODULES
def test_torch_func_transforms_and_forward_mode_agree_with_autograd(name, torch_module):
    from torch.func import grad, hessian, jacfwd, jacrev, vmap

    kernel = getattr(torch_module, name)
    arguments = torch_arguments(name)
    expected = torch.autograd.grad(kernel(*arguments), arguments)
    detached = tuple(a.detach() for a in arguments)
    everything = tuple(range(len(arguments)))
    for got in (grad(kernel, argnums=everything)(*detached), jacrev(kernel, argnums=everything)(*detached),
                jacfwd(kernel, argnums=everything)(*detached)):
        for value, truth in zip(got, expected):
            torch.testing.assert_close(value, truth)
    assert hessian(kernel)(*detached).shape == (3, 4, 3, 4)
    per_row = vmap(functools.partial(kernel, reduction="sum"))(*detached)
    torch.testing.assert_close(per_row, kernel(*detached, reduction="none").sum(dim=1))
    tangents = tuple(torch.ones_like(a) for a in detached)
    with torch.autograd.forward_ad.dual_level():
        duals = [torch.autograd.forward_ad.make_dual(a, t) for a, t in zip(detached, tangents)]
        tangent = torch.autograd.forward_ad.unpack_dual(kernel(*duals)).tangent
    torch.testing.assert_close(tangent, sum(g.sum() for g in expected))


@compiling
@TORCH_MODULES
def test_compile_fullgraph_export_and_meta_tensors(torch_module):
    mu, logvar = torch_arguments("kl_standard_normal", dtype=torch.float32)

    def loss(mu, logvar):
        return torch_module.kl_standard_normal(mu, logvar, reduction="batchmean") + mu.square().mean()

    compiled = torch.compile(loss, fullgraph=True, backend="eager")
    torch.testing.assert_close(compiled(mu, logvar), loss(mu, logvar))
    with torch.no_grad():  # inference: the in-place series, traced too
        torch.testing.assert_close(compiled(mu, logvar), loss(mu, logvar))

    class Loss(torch.nn.Module):
        def forward(self, mu1, logvar1, mu2, logvar2):
            return torch_module.kl_diagonal(mu1, logvar1, mu2, logvar2, reduction="none")

    arguments = tuple(a.detach() for a in torch_arguments("kl_diagonal"))
    exported = torch.export.export(Loss(), arguments)
    torch.testing.assert_close(exported.module()(*arguments), Loss()(*arguments))
    on_meta = torch_module.kl_diagonal(*(torch.empty(8, 3, device="meta") for _ in range(4)), reduction="none")
    assert on_meta.device.type == "meta" and on_meta.shape == (8, 3)


@TORCH_MODULES
def test_nan_propagates_and_an_infinite_log_variance_gives_an_infinite_kl(torch_module):
    """As torch's losses: NaN in, NaN out, with no check and no host synchronisation;
    KL is +inf at logvar = +inf (the variance term exp(logvar) - 1 - logvar) and -inf."""
    nan, inf = float("nan"), float("inf")
    values = torch_module.kl_standard_normal(torch.tensor([nan, 0.0, 0.0, 1.0]), torch.tensor([0.0, inf, -inf, 0.0]),
                                              reduction="none")
    assert torch.isnan(values[0]) and values[1] == inf and values[2] == inf and values[3] == 0.5


def test_numpy_nan_propagates_and_an_infinite_log_variance_gives_an_infinite_kl():
    nan, inf = float("nan"), float("inf")
    values = numpy_kernels.kl_standard_normal(numpy.array([nan, 0.0, 0.0, 1.0]), numpy.array([0.0, inf, -inf, 0.0]),
                                              reduction="none")
    assert numpy.isnan(values[0]) and values[1] == inf and values[2] == inf and values[3] == 0.5


@TORCH_MODULES
def test_dtypes_promote_and_a_python_number_is_a_constant_prior(torch_module):
    mu, logvar = torch_arguments("kl_standard_normal", dtype=torch.float32, requires_grad=False)
    promoted = torch_module.kl_diagonal(mu, logvar.double(), 0, 0.0)
    assert promoted.dtype == torch.float64
    torch.testing.assert_close(promoted, torch_module.kl_standard_normal(mu.double(), logvar.double()))


def test_the_kernels_import_from_the_package():
    from derive.kernels import kl_diagonal, kl_standard_normal

    assert kl_standard_normal is torch_kernels.kl_standard_normal and kl_diagonal is torch_kernels.kl_diagonal


@pytest.fixture
def registered(monkeypatch):
    """derive.kernels.distributions.register() for one test: torch's registry as it was after."""
    from torch.distributions import kl

    from derive.kernels import distributions

    monkeypatch.setattr(kl, "_KL_REGISTRY", dict(kl._KL_REGISTRY))
    monkeypatch.setattr(kl, "_KL_MEMOIZE", {})
    distributions.register()
    return distributions


def test_registered_kl_divergence_is_the_proved_kernel_and_agrees_with_monte_carlo(registered):
    """As torch's own KL tests check a registered KL: against the Monte Carlo mean of
    log p(x) - log q(x) over samples of p (here 200000, seeded), and against kl_diagonal itself."""
    from torch.distributions import Independent, Normal, kl_divergence

    generator = torch.Generator().manual_seed(0)
    loc_p, loc_q = (torch.rand(3, 4, generator=generator, dtype=torch.float64) * 2 - 1 for _ in range(2))
    scale_p, scale_q = (torch.rand(3, 4, generator=generator, dtype=torch.float64) + 0.5 for _ in range(2))
    p, q = Normal(loc_p, scale_p), Normal(loc_q, scale_q)
    got = kl_divergence(p, q)
    torch.testing.assert_close(got, kl_diagonal_terms(loc_p, scale_p, loc_q, scale_q))
    torch.manual_seed(0)
    samples = p.sample((200000,))
    monte_carlo = (p.log_prob(samples) - q.log_prob(samples)).mean(0)
    torch.testing.assert_close(got, monte_carlo, atol=0.02, rtol=0.05)
    independent = kl_divergence(Independent(p, 1), Independent(q, 1))
    torch.testing.assert_close(independent, got.sum(-1))


def kl_diagonal_terms(loc_p, scale_p, loc_q, scale_q):
    return torch_kernels.kl_diagonal(loc_p, 2 * scale_p.log(), loc_q, 2 * scale_q.log(), reduction="none")


def test_registered_kl_keeps_a_collapsed_units_digits(registered):
    """At scale_q = scale_p (1 + 1e-9) torch's own formula cancels, r - 1 - log r with r near 1:
    it gives 1.0000001492e-18 (1.5e-8 off, about 10**8 ulp); the kernel is within 4 ulp of
    1.0000001638e-18."""
    from torch.distributions import Normal, kl_divergence

    scale = torch.tensor([1.0], dtype=torch.float64)
    p, q = Normal(torch.zeros(1, dtype=torch.float64), scale), Normal(torch.zeros(1, dtype=torch.float64),
                                                                       scale * (1 + 1e-9))
    with mpmath.workdps(40):
        d = -2 * mpmath.log(mpmath.mpf(float(q.scale[0])))  # logvar_p - logvar_q
        truth = (mpmath.expm1(d) - d) / 2
    assert abs(float(kl_divergence(p, q)[0]) - float(truth)) <= 4 * numpy.spacing(float(truth))
