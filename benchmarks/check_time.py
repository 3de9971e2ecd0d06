"""Whole-process time of `derive check` on every proof, and where that time goes.

    python benchmarks/check_time.py [--runs 5] [PATH ...]

Runs `python -m derive check PATH --format json` RUNS times as a fresh process each time (Python
start-up, imports and loading the proofs included), prints the minimum, median and maximum
wall time, then splits the last run's kernel time into its numeric witness (sampling and
high-precision evaluation, quadrature included) and symbolic witness (strategies), and lists
the slowest derivations.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["proofs"])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    command = [sys.executable, "-m", "derive", "check", *args.paths, "--format", "json"]
    walls, report = [], None
    for _ in range(args.runs):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        walls.append(time.perf_counter() - started)
        if done.returncode != 0:
            sys.exit(f"derive check failed (exit {done.returncode}): {done.stderr.strip()}")
        report = json.loads(done.stdout)

    summary = report["summary"]
    print(f"command: {' '.join(command[1:])}")
    print(f"steps: {summary['proved']} proved of {summary['proved'] + summary['refuted'] + summary['unknown']}"
          f" in {summary['derivations']} derivations")
    print(f"whole process over {args.runs} runs: min {min(walls):.1f}s, median {statistics.median(walls):.1f}s, "
          f"max {max(walls):.1f}s")

    steps = [s for d in report["derivations"] for s in d["steps"]]
    kernel = sum(s["seconds"] for s in steps)
    numeric = sum(s["numeric_seconds"] for s in steps)
    print(f"kernel time (last run): {kernel:.1f}s = numeric witness {numeric:.1f}s "
          f"+ symbolic witness {kernel - numeric:.1f}s")
    print("slowest derivations (last run):")
    for d in sorted(report["derivations"], key=lambda d: -d["seconds"])[:8]:
        numeric_d = sum(s["numeric_seconds"] for s in d["steps"])
        print(f"  {d['seconds']:6.2f}s  {d['name']:<32} numeric {numeric_d:5.2f}s")


if __name__ == "__main__":
    main()
