"""Time and peak memory of the generated KL kernel against the usual ways to write the VAE's KL term.

    python benchmarks/kernel_speed.py [--repeats 5] [--shapes 256x32,4096x256,65536x512] [--threads 2]

float32 inputs (mu ~ U[-3, 3], logvar ~ U[-6, 2], seeded) of each shape, with requires_grad.
torch: the median wall time of one forward + backward (the loss is the KL summed over every
element, then loss.backward()) for the generated kernels (the plain one eager and inside
torch.compile, the precise one eager), the hand-written line, torch.compile of
that line, and torch.distributions (Normal, and Independent Normal over the latent dimension; N(0,
1) is expanded to the shape, not allocated, and torch.distributions checks its arguments, as it
does by default). numpy: the median time of the forward alone, generated kernels (plain and
precise) against the same line in numpy. Every method is warmed up (compiled) at the shape before
any is timed; then the methods are timed in turns, one repeat of each per round, so that a slow
spell of a shared machine falls on all of them alike. torch.compile starts afresh at each shape,
so each shape gets its own static graph.

Peak extra memory: each method and shape in a fresh process (this script with --one): inputs,
one warm-up forward + backward (compiling there), then the peak RSS is reset to the current RSS
(/proc/self/clear_refs) and read (VmHWM), one forward + backward runs, the peak is read again.
The difference is the peak memory that one forward + backward adds, the two gradients it leaves
in mu.grad and logvar.grad included. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import statistics
import subprocess
import sys
import time

import numpy
import torch

from _regimes import distributions, distributions_independent, draw, hand_written, print_table
from derive.kernels import numpy_kernels, numpy_precise_kernels, torch_kernels, torch_precise_kernels

MIB = 1 << 20
MIN_REPEAT_SECONDS = 0.05  # a repeat of a fast method runs it this long, and reports the time of one call


def hand_written_sum(mu, logvar):
    return hand_written(mu, logvar).sum()


# torch methods: each builds its loss function (the KL summed over every element).
TORCH_METHODS = {
    "generated torch": lambda: lambda mu, logvar: torch_kernels.kl_standard_normal(mu, logvar, reduction="sum"),
    "generated torch precise": lambda: lambda mu, logvar: torch_precise_kernels.kl_standard_normal(
        mu, logvar, reduction="sum"),
    "generated torch, torch.compile": lambda: torch.compile(
        lambda mu, logvar: torch_kernels.kl_standard_normal(mu, logvar, reduction="sum")),
    "hand-written line": lambda: hand_written_sum,
    "hand-written line, torch.compile": lambda: torch.compile(hand_written_sum),
    "torch.distributions Normal": lambda: lambda mu, logvar: distributions(mu, logvar).sum(),
    "torch.distributions Independent": lambda: lambda mu, logvar: distributions_independent(mu, logvar).sum(),
}
NUMPY_METHODS = {
    "generated numpy": lambda mu, logvar: numpy_kernels.kl_standard_normal(mu, logvar, reduction="sum"),
    "generated numpy precise": lambda mu, logvar: numpy_precise_kernels.kl_standard_normal(mu, logvar,
                                                                                          reduction="sum"),
    "hand-written numpy line": lambda mu, logvar: hand_written(mu, logvar, numpy.exp).sum(),
}


def inputs(shape: tuple[int, int], seed: int = 0) -> tuple[numpy.ndarray, numpy.ndarray]:
    drawn = draw("typical", ("mu", "logvar"), shape[0] * shape[1], numpy.random.default_rng(seed))
    return drawn["mu"].astype(numpy.float32).reshape(shape), drawn["logvar"].astype(numpy.float32).reshape(shape)


def forward_backward(loss):
    def step(mu, logvar):
        mu.grad = logvar.grad = None
        loss(mu, logvar).backward()
    return step


def median_seconds(steps: dict, args, repeats: int) -> dict:
    """For each method in ``steps``, the median over ``repeats`` of the time of one call, after two
    warm-up calls (or why it failed). The methods are timed in turns, one repeat of each per round,
    so that a slow spell of a shared machine falls on all of them alike and their ratios hold."""
    calls, results = {}, {}
    for method, step in steps.items():
        try:
            step(*args)
            started = time.perf_counter()
            step(*args)
        except Exception as error:  # torch.compile failing on this machine, say
            results[method] = failure(error)
            continue
        calls[method] = max(1, int(MIN_REPEAT_SECONDS / (time.perf_counter() - started)))
    times = {method: [] for method in calls}
    for _ in range(repeats):
        for method, count in calls.items():
            started = time.perf_counter()
            for _ in range(count):
                steps[method](*args)
            times[method].append((time.perf_counter() - started) / count)
    results.update({method: statistics.median(measured) for method, measured in times.items()})
    return {method: results[method] for method in steps}


def failure(error: Exception) -> str:
    return f"failed: {type(error).__name__}: {(str(error).splitlines() or [''])[0][:120]}"


def one(method: str, shape: tuple[int, int]) -> dict:
    """Peak extra memory of one forward + backward of `method`, in this (fresh) process."""
    mu, logvar = (torch.from_numpy(array).requires_grad_() for array in inputs(shape))
    step = forward_backward(TORCH_METHODS[method]())
    try:
        step(mu, logvar)
    except Exception as error:
        return {"error": failure(error)}
    mu.grad = logvar.grad = None
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # peak RSS := current RSS
    except OSError as error:
        return {"error": f"n/a: cannot reset the peak RSS: {error}"}
    before = peak_rss_kib()
    step(mu, logvar)
    return {"extra_kib": peak_rss_kib() - before}


def peak_rss_kib() -> int:
    """VmHWM, the peak RSS of this process in KiB. Not ru_maxrss: Linux keeps there, past exec, the
    RSS this process had as a fork of its parent, so after the reset it can read the parent's size."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def peak_extra(method: str, shape: tuple[int, int], threads: int) -> dict:
    command = [sys.executable, __file__, "--one", method, f"{shape[0]}x{shape[1]}", "--threads", str(threads)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": f"failed: exit {done.returncode}: {(done.stderr.strip().splitlines() or [''])[-1][:120]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def cpu_model() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        return next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown")


def parse_shape(text: str) -> tuple[int, int]:
    rows, columns = text.lower().split("x")
    return int(rows), int(columns)


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1e3:.0f}" if seconds >= 0.1 else f"{seconds * 1e3:.3g}"


def ratio(numerator, denominator) -> str:
    return f"{numerator / denominator:.2f}" if isinstance(numerator, float) and isinstance(denominator, float) else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per method and shape (default 5)")
    parser.add_argument("--shapes", default="256x32,4096x256,65536x512",
                        help="comma-separated ROWSxCOLUMNS (default 256x32,4096x256,65536x512)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "SHAPE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.one:
        print(json.dumps(one(args.one[0], parse_shape(args.one[1]))))
        return
    shapes = [parse_shape(text) for text in args.shapes.split(",")]

    print(f"{cpu_model()}, {os.cpu_count()} cores; torch {torch.__version__} with {torch.get_num_threads()} threads, "
          f"numpy {numpy.__version__}; float32")
    torch_rows, numpy_rows, memory_rows = [], [], []
    for shape in shapes:
        arrays = inputs(shape)
        tensors = [torch.from_numpy(array).requires_grad_() for array in arrays]
        torch._dynamo.reset()
        times = median_seconds({method: forward_backward(build()) for method, build in TORCH_METHODS.items()},
                               tensors, args.repeats)
        for method, seconds in times.items():
            torch_rows.append([f"{shape[0]}x{shape[1]}", method,
                               milliseconds(seconds) if isinstance(seconds, float) else seconds,
                               ratio(times["hand-written line"], seconds),
                               ratio(times["torch.distributions Normal"], seconds),
                               ratio(seconds, times["hand-written line, torch.compile"])])
        numpy_times = median_seconds(NUMPY_METHODS, arrays, args.repeats)
        for method, seconds in numpy_times.items():
            numpy_rows.append([f"{shape[0]}x{shape[1]}", method, milliseconds(seconds),
                               ratio(numpy_times["hand-written numpy line"], seconds)])
        input_mib = shape[0] * shape[1] * 4 / MIB
        for method in TORCH_METHODS:
            measured = peak_extra(method, shape, args.threads)
            extra_mib = measured["extra_kib"] / 1024 if "extra_kib" in measured else None
            memory_rows.append([f"{shape[0]}x{shape[1]}", method,
                                f"{extra_mib:.1f}" if extra_mib is not None else measured["error"],
                                f"{extra_mib / input_mib:.2f}" if extra_mib is not None else "",
                                f"{input_mib:.1f}", f"{2 * input_mib:.1f}"])

    print_table(["shape", "method", "median ms, forward + backward", "hand-written line ÷ this",
                 "torch.distributions Normal ÷ this", "this ÷ hand-written line, torch.compile"], torch_rows,
                f"torch, float32, forward + backward of the summed KL, median of {args.repeats}")
    print_table(["shape", "method", "median ms, forward", "hand-written numpy line ÷ this"], numpy_rows,
                f"numpy, float32, forward only (sum), median of {args.repeats}")
    print_table(["shape", "method", "peak extra MiB, forward + backward", "× one input", "one input MiB",
                 "two gradients MiB"], memory_rows,
                "Peak extra memory (RSS) of one forward + backward after a warm-up, fresh process per row")


if __name__ == "__main__":
    main()
