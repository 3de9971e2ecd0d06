"""Time per training epoch of pytorch/examples' VAE with its KL line against the same VAE with
the generated kl_standard_normal, paired and interleaved.

    python benchmarks/vae_epoch.py [--epochs 40] [--threads 2] [--batch-size 128]

The model, loss and optimiser are pytorch/examples' vae/main.py (784-400-20 MLPs, Bernoulli
decoder with binary cross-entropy summed, Adam at 1e-3, batch 128), on scikit-learn's 1,797
handwritten 8x8 digits (64 pixels in [0, 1], shipped with the package) in place of MNIST's 784:
the only change is the input size. Two models start from the same seeded weights and see the
same batches; one uses the KL line `-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())`,
the other `kl_standard_normal(mu, logvar, reduction="sum")`. Each round trains one epoch of each,
the order alternating between rounds, so that a slow spell of a shared machine falls on both;
the first round is a warm-up and is not counted. Prints the median epoch time of each, the
median of the per-round ratios, and the two losses after the first epoch (they agree to float32
rounding: the kernel computes the same KL).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.nn import functional

from derive.kernels import kl_standard_normal


class VAE(nn.Module):
    """pytorch/examples' vae/main.py, with ``pixels`` inputs."""

    def __init__(self, pixels: int):
        super().__init__()
        self.pixels = pixels
        self.fc1 = nn.Linear(pixels, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, pixels)

    def forward(self, x):
        h1 = functional.relu(self.fc1(x.view(-1, self.pixels)))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(functional.relu(self.fc3(z)))), mu, logvar


def kl_line(mu, logvar):
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def kl_kernel(mu, logvar):
    return kl_standard_normal(mu, logvar, reduction="sum")


def epoch(model, optimiser, kl, data, batch_size, seed):
    """One epoch over ``data`` in a seeded order; the summed loss."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the reparameterisation's noise
    total = 0.0
    for batch in data[torch.randperm(len(data), generator=generator)].split(batch_size):
        optimiser.zero_grad()
        recon, mu, logvar = model(batch)
        loss = functional.binary_cross_entropy(recon, batch, reduction="sum") + kl(mu, logvar)
        loss.backward()
        optimiser.step()
        total += loss.item()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40, help="timed rounds (default 40)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = torch.tensor(load_digits().data / 16.0, dtype=torch.float32)
    runs = {}
    for name, kl in (("KL line", kl_line), ("kl_standard_normal", kl_kernel)):
        torch.manual_seed(0)
        model = VAE(data.shape[1])
        runs[name] = (model, torch.optim.Adam(model.parameters(), lr=1e-3), kl)
    times = {name: [] for name in runs}
    first_losses = {}
    for round_ in range(args.epochs + 1):
        order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
        for name in order:
            model, optimiser, kl = runs[name]
            start = time.perf_counter()
            loss = epoch(model, optimiser, kl, data, args.batch_size, seed=round_)
            elapsed = time.perf_counter() - start
            if round_ == 0:
                first_losses[name] = loss / len(data)
            else:
                times[name].append(elapsed)
    line, kernel = times["KL line"], times["kl_standard_normal"]
    ratios = [k / l for k, l in zip(kernel, line)]
    print(f"torch {torch.__version__}, {args.threads} threads, {len(data)} digits, batch {args.batch_size}, "
          f"{args.epochs} paired epochs after one warm-up")
    print("| KL term | median ms per epoch | loss per digit after epoch 1 |")
    print("| --- | --- | --- |")
    for name in runs:
        print(f"| {name} | {statistics.median(times[name]) * 1e3:.2f} | {first_losses[name]:.6f} |")
    print(f"\nmedian of the per-epoch ratios, kl_standard_normal / KL line: {statistics.median(ratios):.3f} "
          f"(quartiles {statistics.quantiles(ratios, n=4)[0]:.3f} .. {statistics.quantiles(ratios, n=4)[2]:.3f})")


if __name__ == "__main__":
    main()
