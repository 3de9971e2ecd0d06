"""The demo's settings, importable without torch (the CLI reads its defaults from here)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from derive.errors import UsageError

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class VaeSettings:
    epochs: int = 100
    latent: int = 8
    hidden: int = 256
    batch_size: int = 64
    learning_rate: float = 2e-3
    beta: float = 1.0
    seed: int = 0
    device: str = "auto"
    # The default model's matrices are small (64 x 256): more CPU threads only add
    # synchronisation, and on a busy machine OpenMP's spin-waiting makes them many times slower.
    threads: int = 1
    data: Path | None = None
    out: Path = Path("vae_demo")
    compare: bool = True  # also train the 2-D beta = 0 and beta = 1 models of the comparison

    def __post_init__(self):
        for name in ("epochs", "latent", "hidden", "batch_size", "threads"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise UsageError(f"{name} must be a positive integer, got {value!r}")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise UsageError(f"learning_rate must be a positive number, got {self.learning_rate!r}")
        if not (math.isfinite(self.beta) and self.beta >= 0):
            raise UsageError(f"beta must be a number >= 0, got {self.beta!r}")
        if self.device not in DEVICES:
            raise UsageError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
