"""Whole-process time of `derive demo vae` with its defaults, and the numbers it ends with.

    python benchmarks/demo_time.py [--runs 3]

Runs `python -m derive demo vae --device cpu --out TMP` RUNS times as a fresh process (Python
start-up, the imports of torch, scikit-learn and matplotlib, the three trainings and the
pictures all included), prints the minimum, median and maximum wall
time and the final test numbers of the last run (all runs are seeded alike, so they agree).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    walls, metrics = [], None
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "derive", "demo", "vae", "--device", "cpu", "--out", folder]
        for _ in range(args.runs):
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            walls.append(time.perf_counter() - started)
            if done.returncode != 0:
                sys.exit(f"derive demo vae failed (exit {done.returncode}): {done.stderr.strip()}")
            metrics = json.loads((Path(folder) / "metrics.json").read_text())

    test = metrics["test"]
    print(f"command: derive demo vae --device cpu --out TMP   ({args.runs} runs)")
    print(f"wall time, whole process: min {min(walls):.1f} s, median {statistics.median(walls):.1f} s, "
          f"max {max(walls):.1f} s")
    print(f"final test ELBO per example: {test['elbo']:.3f} nats (reconstruction {test['reconstruction']:.3f}, "
          f"KL {test['kl']:.3f} = mean term {test['kl_mean_term']:.3f} + variance term {test['kl_variance_term']:.3f})")
    print(f"active latent units: {metrics['active_units']} of {len(metrics['latent_units'])}")
    for model in metrics["comparison"]:
        print(f"2-D comparison, beta = {model['beta']:g} ({model['name']}): test ELBO {model['test']['elbo']:.3f}, "
              f"KL {model['test']['kl']:.3f}")


if __name__ == "__main__":
    main()
