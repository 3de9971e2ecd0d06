"""Whole-process time of `derive check` on every proof, cold and warm, and where the time goes.

    python benchmarks/check_time.py [--runs 5] [PATH ...]

Cold: runs `python -m derive check PATH --format json --no-cache` RUNS times as a fresh process
each time (Python start-up, imports, the proof files' own process writing their certificate,
and the kernel's worker processes included), prints the minimum, median and maximum wall time,
then the last run's work in the kernel's workers: the numeric witness (sampling and evaluation
by its own methods) and the symbolic witness (strategies), which run side by side over the
workers, and the slowest derivations.

Warm: with an empty cache in a temporary DERIVE_CACHE_DIR, one run fills it, then RUNS runs
of `python -m derive check PATH --format json` recall every step (each must report reason
CACHED for every step, or the script stops), timed the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["proofs"])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    command = [sys.executable, "-m", "derive", "check", *args.paths, "--format", "json"]
    walls, report = timed(command + ["--no-cache"], args.runs, os.environ)
    summary = report["summary"]
    print(f"cold: {' '.join(command[1:])} --no-cache")
    print(f"steps: {summary['proved']} proved of {summary['proved'] + summary['refuted'] + summary['unknown']}"
          f" in {summary['derivations']} derivations")
    print(f"whole process over {args.runs} runs: min {min(walls):.1f}s, median {statistics.median(walls):.1f}s, "
          f"max {max(walls):.1f}s")
    show_where_the_time_goes(report)

    with tempfile.TemporaryDirectory() as folder:
        environment = {**os.environ, "DERIVE_CACHE_DIR": folder}
        timed(command, 1, environment)
        walls, report = timed(command, args.runs, environment)
    reasons = {s["reason"] for d in report["derivations"] for s in d["steps"]}
    if reasons != {"CACHED"}:
        sys.exit(f"a warm run did not recall every step: reasons {sorted(reasons)}")
    print(f"\nwarm (every step recalled from the cache): {' '.join(command[1:])}")
    print(f"whole process over {args.runs} runs: min {min(walls):.2f}s, median {statistics.median(walls):.2f}s, "
          f"max {max(walls):.2f}s")


def timed(command: list[str], runs: int, environment) -> tuple[list[float], dict]:
    walls, report = [], None
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=environment)
        walls.append(time.perf_counter() - started)
        if done.returncode != 0:
            sys.exit(f"derive check failed (exit {done.returncode}): {done.stderr.strip()}")
        report = json.loads(done.stdout)
    return walls, report


def show_where_the_time_goes(report: dict) -> None:
    steps = [s for d in report["derivations"] for s in d["steps"]]
    numeric = sum(s["numeric_seconds"] for s in steps)
    symbolic = sum(s["symbolic_seconds"] for s in steps)
    print(f"work in the kernel's worker processes (last run): numeric witness {numeric:.1f}s, symbolic witness "
          f"{symbolic:.1f}s, over {report['summary']['seconds']:.1f}s of checking")
    print("most work (last run):")
    for d in sorted(report["derivations"], key=lambda d: -sum(s["numeric_seconds"] + s["symbolic_seconds"]
                                                             for s in d["steps"]))[:8]:
        numeric_d = sum(s["numeric_seconds"] for s in d["steps"])
        symbolic_d = sum(s["symbolic_seconds"] for s in d["steps"])
        print(f"  {d['name']:<32} numeric {numeric_d:5.2f}s  symbolic {symbolic_d:5.2f}s")


if __name__ == "__main__":
    main()
