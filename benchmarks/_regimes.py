"""What kernel_accuracy.py and kernel_speed.py share: the input regimes, the KL terms the
generated kernels are compared with, and the Markdown output."""

from __future__ import annotations

import shlex
import sys

import numpy
import torch
from torch.distributions import Independent, Normal, kl_divergence

# Each regime draws every input uniformly from its range: (mu range, logvar range).
REGIMES = {
    "typical": ((-3.0, 3.0), (-6.0, 2.0)),
    "near-collapse": ((-1e-3, 1e-3), (-1e-3, 1e-3)),
    "tiny": ((-1e-6, 1e-6), (-1e-6, 1e-6)),
    "wide": ((-100.0, 100.0), (-30.0, 30.0)),
}
# kl_diagonal only: mu1, mu2, logvar2 typical and logvar1 = logvar2 + U[-NEAR_EQUAL, NEAR_EQUAL].
NEAR_EQUAL = 1e-4


def draw(regime: str, names: tuple[str, ...], n: int, rng: numpy.random.Generator) -> dict[str, numpy.ndarray]:
    """float64 draws of the inputs ``names`` (mu*, logvar*) for ``regime``."""
    if regime == "near-equal":
        values = draw("typical", names, n, rng)
        values["logvar1"] = values["logvar2"] + rng.uniform(-NEAR_EQUAL, NEAR_EQUAL, n)
        return values
    mu_range, logvar_range = REGIMES[regime]
    return {name: rng.uniform(*(mu_range if name.startswith("mu") else logvar_range), n) for name in names}


# The KL terms the generated kernels are compared with, elementwise. `exp` is torch.exp or
# numpy.exp: the same line in either library.
def hand_written(mu, logvar, exp=torch.exp):
    """The line VAE code writes: -1/2 (1 + logvar - mu^2 - exp(logvar))."""
    return -0.5 * (1 + logvar - mu**2 - exp(logvar))


def hand_written_diagonal(mu1, logvar1, mu2, logvar2):
    """The textbook form 1/2 (exp(lv1 - lv2) + (mu1 - mu2)^2 exp(-lv2) - 1 - (lv1 - lv2))."""
    return 0.5 * (torch.exp(logvar1 - logvar2) + (mu1 - mu2) ** 2 * torch.exp(-logvar2) - 1 - (logvar1 - logvar2))


def standard_normal_like(mu):
    """N(0, 1) broadcast to mu's shape without allocating it."""
    return Normal(torch.zeros((), dtype=mu.dtype), torch.ones((), dtype=mu.dtype)).expand(mu.shape)


def distributions(mu, logvar):
    """torch.distributions: KL(Normal(mu, exp(logvar/2)) || Normal(0, 1)), elementwise."""
    return kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), standard_normal_like(mu))


def distributions_independent(mu, logvar):
    """torch.distributions with the latent dimension as the event: one KL per row."""
    return kl_divergence(Independent(Normal(mu, torch.exp(0.5 * logvar)), 1), Independent(standard_normal_like(mu), 1))


def distributions_diagonal(mu1, logvar1, mu2, logvar2):
    return kl_divergence(Normal(mu1, torch.exp(0.5 * logvar1)), Normal(mu2, torch.exp(0.5 * logvar2)))


def command() -> str:
    """The command line that runs this script, as typed from the repository root."""
    return "python " + " ".join(shlex.quote(arg) for arg in sys.argv)


def print_table(headers: list[str], rows: list[list[str]], title: str = "") -> None:
    """A Markdown table, preceded by its title and the command that produced it."""
    if title:
        print(f"\n{title}\n")
    print(f"```bash\n{command()}\n```\n")
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join(" --- " for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(row + [""] * (len(headers) - len(row))) + " |")
    sys.stdout.flush()
