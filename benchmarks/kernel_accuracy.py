"""Error in ulps of the generated KL kernels, values and gradients, against a 60-digit reference.

    python benchmarks/kernel_accuracy.py [--points 20000] [--seed 0]

For float32 and float64 inputs in each regime (typical, near-collapse, tiny, wide; and near-equal
variances for kl_diagonal) it draws --points seeded inputs, rounds them to the dtype, and computes
every KL term and its gradients with mpmath at 60 digits from those rounded inputs exactly. Then
it compares, elementwise: the generated numpy kernels (`*_grad` for gradients), plain and precise,
the generated torch kernels (autograd through their proved backward), plain and precise, the hand-
written line VAE code uses and torch.distributions (both with autograd). Error in ulps is
|computed - reference| / spacing of the dtype at the reference; it also counts negative values
(the KL is never negative) and non-finite results where the reference is finite in the dtype.
Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import time

import mpmath
import numpy
import torch
from mpmath import mpf

from _regimes import (REGIMES, distributions, distributions_diagonal, draw, hand_written, hand_written_diagonal,
                      print_table)
from derive.kernels import numpy_kernels, numpy_precise_kernels, torch_kernels, torch_precise_kernels

# kernel: its arguments. A kernel's gradients are named d/d<argument>.
KERNELS = {
    "kl_standard_normal": ("mu", "logvar"),
    "kl_mean_term": ("mu",),
    "kl_variance_term": ("logvar",),
    "kl_diagonal": ("mu1", "logvar1", "mu2", "logvar2"),
}
# Kernels whose references come from one pass over the same inputs, and that pass's regimes.
FAMILIES = {
    "standard": (("kl_standard_normal", "kl_mean_term", "kl_variance_term"), tuple(REGIMES)),
    "diagonal": (("kl_diagonal",), (*REGIMES, "near-equal")),
}
DTYPES = (numpy.float32, numpy.float64)
TARGET_ULPS = 4
GENERATED = ("generated numpy", "generated numpy precise", "generated torch", "generated torch precise")


# ---- reference: mpmath at 60 digits, from the inputs exactly as rounded to the dtype ----

def expm1mx(x):
    """exp(x) - 1 - x with enough extra bits for its cancellation near 0."""
    if not x:
        return mpf(0)
    with mpmath.workprec(mpmath.mp.prec + 2 * max(0, -int(mpmath.mag(x))) + 16):
        return mpmath.expm1(x) - x


def standard_references(mu, logvar):
    """Per point: each quantity of kl_standard_normal, kl_mean_term and kl_variance_term."""
    for m, l in zip(map(mpf, mu.tolist()), map(mpf, logvar.tolist())):
        square, variance, slope = m * m, expm1mx(l), mpmath.expm1(l) / 2
        yield {("kl_standard_normal", "value"): (square + variance) / 2, ("kl_standard_normal", "d/dmu"): m,
               ("kl_standard_normal", "d/dlogvar"): slope,
               ("kl_mean_term", "value"): square / 2, ("kl_mean_term", "d/dmu"): m,
               ("kl_variance_term", "value"): variance / 2, ("kl_variance_term", "d/dlogvar"): slope}


def diagonal_references(mu1, logvar1, mu2, logvar2):
    columns = (map(mpf, array.tolist()) for array in (mu1, logvar1, mu2, logvar2))
    for m1, l1, m2, l2 in zip(*columns):
        dm, d = mpmath.fsub(m1, m2, exact=True), mpmath.fsub(l1, l2, exact=True)
        weight = mpmath.exp(-l2)
        mean, expm1_d = dm * dm * weight, mpmath.expm1(d)
        yield {("kl_diagonal", "value"): (mean + expm1mx(d)) / 2, ("kl_diagonal", "d/dmu1"): dm * weight,
               ("kl_diagonal", "d/dlogvar1"): expm1_d / 2, ("kl_diagonal", "d/dmu2"): -dm * weight,
               ("kl_diagonal", "d/dlogvar2"): -(mean + expm1_d) / 2}


def references(family, inputs):
    """{(kernel, quantity): (hi, lo)}: each reference as the float64 pair hi + lo."""
    points = standard_references if family == "standard" else diagonal_references
    hi, lo = {}, {}
    for point in points(*inputs.values()):
        for key, value in point.items():
            rounded = float(value)
            hi.setdefault(key, []).append(rounded)
            lo.setdefault(key, []).append(float(value - rounded))
    return {key: (numpy.array(hi[key]), numpy.array(lo[key])) for key in hi}


# ---- the methods compared: each gives (values, gradients) of one kernel, elementwise ----

def generated_numpy(module):
    def run(kernel, args):
        return (getattr(module, kernel)(*args, reduction="none"),
                getattr(module, kernel + "_grad")(*args, reduction="sum"))
    return run


def with_autograd(function):
    """values of function(*args) and the gradient of their sum, through torch's autograd."""
    def run(kernel, args):
        tensors = [torch.from_numpy(arg.copy()).requires_grad_() for arg in args]
        values = function(kernel, tensors)
        values.sum().backward()
        return values.detach().numpy(), [tensor.grad.numpy() for tensor in tensors]
    return run


def generated_torch(module, **options):
    def run(kernel, args):
        tensors = [torch.from_numpy(arg.copy()).requires_grad_() for arg in args]
        function = getattr(module, kernel)
        values = function(*tensors, reduction="none", **options).detach().numpy()
        function(*tensors, reduction="sum", **options).backward()
        return values, [tensor.grad.numpy() for tensor in tensors]
    return run


HAND_WRITTEN = {"kl_standard_normal": hand_written, "kl_diagonal": hand_written_diagonal}
DISTRIBUTIONS = {"kl_standard_normal": distributions, "kl_diagonal": distributions_diagonal}
METHODS = {
    "generated numpy": (generated_numpy(numpy_kernels), tuple(KERNELS)),
    "generated numpy precise": (generated_numpy(numpy_precise_kernels), tuple(KERNELS)),
    "generated torch": (generated_torch(torch_kernels), tuple(KERNELS)),
    "generated torch precise": (generated_torch(torch_precise_kernels), tuple(KERNELS)),
    "hand-written line": (with_autograd(lambda kernel, args: HAND_WRITTEN[kernel](*args)), tuple(HAND_WRITTEN)),
    "torch.distributions": (with_autograd(lambda kernel, args: DISTRIBUTIONS[kernel](*args)), tuple(DISTRIBUTIONS)),
}


# ---- errors ----

def ulp_errors(computed, hi, lo, dtype):
    """|computed - (hi + lo)| in ulps of dtype at the reference, and where the reference is finite
    in dtype. A non-finite result counts as an infinite error."""
    with numpy.errstate(over="ignore", invalid="ignore"):
        in_dtype = hi.astype(dtype)
        errors = numpy.abs((computed.astype(numpy.float64) - hi) - lo) / numpy.spacing(numpy.abs(in_dtype))
    errors[~numpy.isfinite(computed)] = numpy.inf
    return errors, numpy.isfinite(in_dtype)


def measure(computed, hi, lo, dtype, inputs):
    """Statistics of one quantity: max and median ulps, counts, and the worst point."""
    errors, representable = ulp_errors(computed, hi, lo, dtype)
    kept = errors[representable]
    worst = int(numpy.flatnonzero(representable)[numpy.argmax(kept)]) if kept.size else 0
    return {"max": kept.max(initial=0.0), "median": numpy.median(kept) if kept.size else 0.0,
            "negative": int((computed < 0).sum()), "non-finite": int((~numpy.isfinite(computed) & representable).sum()),
            "unrepresentable": int((~representable).sum()),
            "worst": ({name: array[worst] for name, array in inputs.items()}, computed[worst], hi[worst])}


def ulps(x):
    if not numpy.isfinite(x):
        return str(x)
    return "0" if x == 0 else f"{x:.2f}" if x < 1000 else f"{x:.3g}"


# ---- tables ----

def kernel_rows(results, kernel, quantities):
    """A row per regime, dtype and method that computes `kernel`: max and median ulps of each
    quantity, the negative values (of the value alone) and the non-finite results."""
    rows = []
    for (method, regime, dtype), by_quantity in results.items():
        if (kernel, "failed") in by_quantity:
            rows.append([regime, dtype, method, by_quantity[(kernel, "failed")]])
        elif (kernel, "value") in by_quantity:
            stats = [by_quantity[(kernel, quantity)] for quantity in quantities]
            negative = [str(stats[0]["negative"])] if quantities == ["value"] else []
            rows.append([regime, dtype, method] + [ulps(s[key]) for s in stats for key in ("max", "median")]
                        + negative + [str(sum(s["non-finite"] for s in stats))])
    return rows


def summary_rows(results):
    """Per kernel, method and dtype: the worst value and gradient error over all regimes."""
    worst = {}
    for (method, regime, dtype), by_quantity in results.items():
        for (kernel, quantity), stats in by_quantity.items():
            if quantity == "failed":
                continue
            entry = worst.setdefault((kernel, method, dtype), {"value": (-1.0, ""), "gradient": (-1.0, ""),
                                                               "negative": 0, "non-finite": 0})
            part = "value" if quantity == "value" else "gradient"
            where = regime if part == "value" else f"{quantity}, {regime}"
            if stats["max"] > entry[part][0]:
                entry[part] = (stats["max"], where)
            entry["negative"] += stats["negative"] if part == "value" else 0
            entry["non-finite"] += stats["non-finite"]
    return [[kernel, method, dtype, f"{ulps(e['value'][0])} ({e['value'][1]})",
             f"{ulps(e['gradient'][0])} ({e['gradient'][1]})", str(e["negative"]), str(e["non-finite"])]
            for (kernel, method, dtype), e in sorted(worst.items(), key=lambda item: list(KERNELS).index(item[0][0]))]


def print_anomalies(results):
    """The worst point of every generated kernel's quantity that misses a target."""
    print(f"\nGenerated kernels: every quantity above {TARGET_ULPS} ulp, negative or non-finite, with its worst input\n")
    found = False
    for (method, regime, dtype), by_quantity in results.items():
        if method not in GENERATED:
            continue
        for (kernel, quantity), stats in by_quantity.items():
            if quantity == "failed":
                continue
            negative = stats["negative"] if quantity == "value" else 0
            if stats["max"] > TARGET_ULPS or negative or stats["non-finite"]:
                found = True
                inputs, computed, reference = stats["worst"]
                shown = ", ".join(f"{name}={value!s}" for name, value in inputs.items())
                print(f"- {method}, {kernel} {quantity}, {dtype}, {regime}: max {ulps(stats['max'])} ulp, "
                      f"{negative} negative, {stats['non-finite']} non-finite; worst at {shown}: "
                      f"computed {computed!s}, reference {float(reference)!r}")
    if not found:
        print("- none")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20000, help="inputs per regime and dtype (default 20000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the inputs (default 0)")
    args = parser.parse_args()
    mpmath.mp.dps = 60
    methods = list(METHODS)

    results, reference_seconds = {}, 0.0
    for family_index, (family, (kernels, regimes)) in enumerate(FAMILIES.items()):
        names = tuple(dict.fromkeys(name for kernel in kernels for name in KERNELS[kernel]))
        for regime_index, regime in enumerate(regimes):
            drawn = draw(regime, names, args.points, numpy.random.default_rng([args.seed, family_index, regime_index]))
            for dtype in DTYPES:
                inputs = {name: values.astype(dtype) for name, values in drawn.items()}
                started = time.perf_counter()
                reference = references(family, inputs)
                reference_seconds += time.perf_counter() - started
                for method in methods:
                    found = results.setdefault((method, regime, numpy.dtype(dtype).name), {})
                    for kernel in set(kernels) & set(METHODS[method][1]):
                        arguments = [inputs[name] for name in KERNELS[kernel]]
                        try:
                            values, gradients = METHODS[method][0](kernel, arguments)
                        except Exception as error:  # torch.compile failing on this machine, say
                            found[(kernel, "failed")] = f"failed: {type(error).__name__}: {str(error).splitlines()[0][:120]}"
                            continue
                        quantities = ["value"] + ["d/d" + name for name in KERNELS[kernel]]
                        for quantity, computed in zip(quantities, [values, *gradients]):
                            found[(kernel, quantity)] = measure(computed, *reference[(kernel, quantity)],
                                                                       dtype, inputs)

    unrepresentable = sum(stats["unrepresentable"] for (method, _, _), by_quantity in results.items()
                          if method == "generated numpy" for stats in by_quantity.values())
    print(f"mpmath {mpmath.__version__} at {mpmath.mp.dps} digits, numpy {numpy.__version__}, torch {torch.__version__}; "
          f"{args.points} points per regime and dtype, seed {args.seed}; references took {reference_seconds:.0f} s; "
          f"{unrepresentable} reference values beyond the dtype's range, left out of the statistics")
    print_table(["kernel", "method", "dtype", "worst value ulp (regime)", "worst gradient ulp (gradient, regime)",
                 "negative values", "non-finite"], summary_rows(results),
                "Worst case over all regimes (values: reduction='none'; gradients of reduction='sum')")
    for kernel, names in KERNELS.items():
        for part, quantities in (("values", ["value"]), ("gradients", ["d/d" + name for name in names])):
            print_table(["regime", "dtype", "method"] + [f"{quantity} {key} ulp" for quantity in quantities
                                                         for key in ("max", "median")]
                        + ["negative"] * (part == "values") + ["non-finite"],
                        kernel_rows(results, kernel, quantities), f"{kernel}: {part}")
    print_anomalies(results)


if __name__ == "__main__":
    main()
