"""Time of the generated kl_diagonal, forward + backward, against the hand-written diagonal line
and torch.distributions, and what its double-double refinement costs.

    python benchmarks/diagonal_speed.py [--repeats 5] [--shape 65536x512] [--threads 2]

For float32 and float64 inputs of each regime (typical, wide, near-collapse; benchmarks/_regimes.py),
seeded, with requires_grad: the median wall time of one forward + backward of the KL summed over
every element. "generated precise, no refinement" is the precise kernel with the recomputation in
double-double turned off (its cancellation limit made infinite, in this process only): the
difference is what the refinement of d/dlogvar2 costs. Also the share of elements whose
d/dlogvar2 terms cancel by more than the float64 limit, those that float64 recomputes. Methods are
timed in turns (kernel_speed.py's median_seconds). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os

import numpy
import torch

from _regimes import distributions_diagonal, draw, hand_written_diagonal, print_table
from derive.codegen import SAME_PRECISION_CANCELLATION
from derive.kernels import torch_kernels, torch_precise_kernels
from kernel_speed import cpu_model, median_seconds, milliseconds, parse_shape

NAMES = ("mu1", "logvar1", "mu2", "logvar2")
REGIMES = ("typical", "wide", "near-collapse")


def generated(*tensors):
    return torch_kernels.kl_diagonal(*tensors, reduction="sum")


def generated_precise(*tensors):
    return torch_precise_kernels.kl_diagonal(*tensors, reduction="sum")


METHODS = {
    "generated (plain)": generated,
    "generated precise": generated_precise,
    "generated precise, no refinement": generated_precise,  # timed with refinement off: see forward_backward
    "hand-written diagonal line": lambda *tensors: hand_written_diagonal(*tensors).sum(),
    "torch.distributions Normal": lambda *tensors: distributions_diagonal(*tensors).sum(),
}


def forward_backward(loss, refine: bool = True):
    def step(*tensors):
        precision = torch_precise_kernels._PRECISIONS[tensors[0].dtype][1]
        kept = precision.cancellation
        if not refine:
            precision.cancellation = float("inf")  # no sum is ever taken for cancelling
        try:
            for tensor in tensors:
                tensor.grad = None
            loss(*tensors).backward()
        finally:
            precision.cancellation = kept
    return step


def cancelling_share(arrays: dict) -> float:
    """Share of elements whose d/dlogvar2 terms' magnitudes exceed the float64 limit times their sum."""
    mean_term = (arrays["mu1"] - arrays["mu2"]) ** 2 * numpy.exp(-arrays["logvar2"])
    variance_term = numpy.expm1(arrays["logvar1"] - arrays["logvar2"])
    magnitude = numpy.abs(mean_term) + numpy.abs(variance_term)
    return float(numpy.mean(magnitude > SAME_PRECISION_CANCELLATION * numpy.abs(mean_term + variance_term)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per method (default 5)")
    parser.add_argument("--shape", default="65536x512", help="ROWSxCOLUMNS (default 65536x512)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    shape = parse_shape(args.shape)
    print(f"{cpu_model()}, {os.cpu_count()} cores; torch {torch.__version__} with {torch.get_num_threads()} threads")
    rows = []
    for regime in REGIMES:
        drawn = draw(regime, NAMES, shape[0] * shape[1], numpy.random.default_rng(0))
        share = cancelling_share(drawn)
        for dtype in (torch.float32, torch.float64):
            tensors = [torch.from_numpy(drawn[name].reshape(shape)).to(dtype).requires_grad_() for name in NAMES]
            steps = {method: forward_backward(loss, refine=method != "generated precise, no refinement")
                     for method, loss in METHODS.items()}
            times = median_seconds(steps, tensors, args.repeats)
            for method, seconds in times.items():
                rows.append([regime, str(dtype).removeprefix("torch."), method,
                             milliseconds(seconds) if isinstance(seconds, float) else seconds,
                             f"{seconds / times['hand-written diagonal line']:.2f}",
                             f"{100 * share:.1f}%" if method == "generated precise" and dtype == torch.float64 else ""])
    print_table(["regime", "dtype", "method", "median ms, forward + backward", "this ÷ hand-written line",
                 "elements refined"], rows,
                f"kl_diagonal at {shape[0]}x{shape[1]}, forward + backward of the summed KL, median of {args.repeats}")


if __name__ == "__main__":
    main()
