"""A small variational autoencoder whose KL term is the kernel derive generated and verified.

Read top to bottom: the model (encode, reparameterize, decode), then the loss. Sizes come
from the data and the caller; nothing here is specific to one dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional

from derive.kernels.torch_kernels import kl_mean_term, kl_standard_normal, kl_variance_term


class Vae(nn.Module):
    """MLP encoder x -> (mu, logvar) of q(z|x) = N(mu, diag(exp(logvar))); MLP decoder z -> the
    logits of independent Bernoulli pixels p(x|z); prior p(z) = N(0, I)."""

    def __init__(self, pixels: int, hidden: int, latent: int):
        super().__init__()
        self.latent = latent
        self.encoder = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.to_mu = nn.Linear(hidden, latent)
        self.to_logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                     nn.Linear(hidden, pixels))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.encoder(x)
        return self.to_mu(features), self.to_logvar(features)

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None):
        # z = mu + sigma * eps with eps ~ N(0, I): the sample is differentiable in mu and logvar.
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
        return mu + torch.exp(0.5 * logvar) * eps

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Logits of the pixels; torch.sigmoid of them is the mean image."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar, generator)), mu, logvar


@dataclass(frozen=True)
class Loss:
    """One batch's loss, each part averaged over the batch's examples (nats per example)."""

    total: torch.Tensor  # reconstruction + beta * kl: what the optimizer minimizes
    reconstruction: torch.Tensor  # -E_q[log p(x|z)], one sample of z
    kl: torch.Tensor  # KL(q(z|x) || N(0, I))


def loss(x, logits, mu, logvar, beta: float, kl=kl_standard_normal) -> Loss:
    """The negative ELBO with the KL weighted by beta (beta = 0: a plain autoencoder).

    kl is the verified kernel (docs/derivation.md 5.1: -1/2 sum(1 + logvar - mu^2 - exp(logvar)));
    it is a parameter only so that the tests can put the hand-written line beside it.
    """
    reconstruction = functional.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
    divergence = kl(mu, logvar, reduction="batchmean")
    return Loss(reconstruction + beta * divergence, reconstruction, divergence)


def kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The paper's two terms of the KL per latent dimension, averaged over the examples:
    the mean term 1/2 mu^2 and the variance term 1/2 (sigma^2 - 1 - log sigma^2)."""
    examples = mu.shape[0]
    return (kl_mean_term(mu, reduction="none").sum(0) / examples,
            kl_variance_term(logvar, reduction="none").sum(0) / examples)
