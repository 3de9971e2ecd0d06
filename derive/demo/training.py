"""Train a Vae with Adam and record, every epoch, the loss and the paper's KL terms."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from derive.errors import DeriveError
from derive.kernels.torch_kernels import kl_standard_normal

from .vae import Vae, kl_per_dimension, loss

# Burda et al. (2016): a latent unit is active when its posterior mean varies over the data,
# Var_x(E_q[z_u | x]) > 0.01; a unit below that carries (almost) no information about x.
ACTIVITY_THRESHOLD = 0.01


class TrainingDiverged(DeriveError):
    """The loss became NaN or infinite: the learning rate is too high for this model and data."""


@dataclass(frozen=True)
class Hyperparameters:
    latent: int
    hidden: int
    epochs: int
    batch_size: int
    learning_rate: float
    beta: float
    seed: int


@dataclass
class History:
    """Per epoch: the training batches' averages and the test set's evaluation."""

    train: list[dict[str, float]] = field(default_factory=list)
    test: list[dict[str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Trained:
    model: Vae
    history: History


def train(train_images: np.ndarray, test_images: np.ndarray, hyper: Hyperparameters, device: torch.device,
          kl=kl_standard_normal, on_epoch: Callable[[int, dict, dict], None] | None = None,
          dtype: torch.dtype = torch.float32) -> Trained:
    """Adam on the beta-weighted negative ELBO; everything random is drawn from hyper.seed."""
    torch.manual_seed(hyper.seed)
    model = Vae(train_images.shape[1], hyper.hidden, hyper.latent).to(device=device, dtype=dtype)
    optimizer = torch.optim.Adam(model.parameters(), lr=hyper.learning_rate)
    x_train = torch.as_tensor(train_images, device=device, dtype=dtype)
    x_test = torch.as_tensor(test_images, device=device, dtype=dtype)
    shuffling = torch.Generator().manual_seed(hyper.seed)
    noise = torch.Generator(device=device).manual_seed(hyper.seed + 1)
    history = History()
    for epoch in range(1, hyper.epochs + 1):
        model.train()
        sums = {"total": 0.0, "reconstruction": 0.0, "kl": 0.0}
        for batch in torch.randperm(len(x_train), generator=shuffling).split(hyper.batch_size):
            x = x_train[batch.to(device)]
            logits, mu, logvar = model(x, noise)
            # A non-finite decoder output means non-finite codes too, which the kernel would reject.
            if not torch.isfinite(logits).all():
                raise _diverged(epoch, hyper)
            batch_loss = loss(x, logits, mu, logvar, hyper.beta, kl)
            values = {name: getattr(batch_loss, name).item() for name in sums}
            if not math.isfinite(values["total"]):
                raise _diverged(epoch, hyper)
            optimizer.zero_grad()
            batch_loss.total.backward()
            optimizer.step()
            for name, value in values.items():
                sums[name] += value * len(batch)
        history.train.append({name: value / len(x_train) for name, value in sums.items()})
        history.test.append(evaluate(model, x_test, hyper.beta, hyper.seed, kl))
        if on_epoch is not None:
            on_epoch(epoch, history.train[-1], history.test[-1])
    return Trained(model, history)


def _diverged(epoch: int, hyper: Hyperparameters) -> TrainingDiverged:
    return TrainingDiverged(f"training diverged in epoch {epoch}: the loss is not finite; "
                            f"lower the learning rate (now {hyper.learning_rate:g})")


@torch.no_grad()
def evaluate(model: Vae, x: torch.Tensor, beta: float, seed: int, kl=kl_standard_normal) -> dict[str, float]:
    """The test set's loss per example, with one z per example drawn from a fixed seed so that
    epochs compare; elbo is -(reconstruction + kl) whatever beta is."""
    model.eval()
    noise = torch.Generator(device=x.device).manual_seed(seed + 2)
    logits, mu, logvar = model(x, noise)
    result = loss(x, logits, mu, logvar, beta, kl)
    mean_term, variance_term = kl_per_dimension(mu, logvar)
    return {"total": result.total.item(), "reconstruction": result.reconstruction.item(), "kl": result.kl.item(),
            "kl_mean_term": mean_term.sum().item(), "kl_variance_term": variance_term.sum().item(),
            "elbo": -(result.reconstruction + result.kl).item()}


@torch.no_grad()
def latent_units(model: Vae, x: torch.Tensor) -> list[dict[str, float]]:
    """Per latent dimension over x: the two KL terms, their sum, the activity and whether it is active."""
    model.eval()
    mu, logvar = model.encode(x)
    mean_term, variance_term = kl_per_dimension(mu, logvar)
    activity = mu.var(dim=0)
    return [{"dimension": unit, "kl_mean_term": mean_term[unit].item(),
             "kl_variance_term": variance_term[unit].item(),
             "kl": (mean_term[unit] + variance_term[unit]).item(), "activity": activity[unit].item(),
             "active": bool(activity[unit] > ACTIVITY_THRESHOLD)} for unit in range(model.latent)]
