"""``torch.distributions.kl_divergence`` through the proved kernel: ``register()``.

Written by hand (not generated): it only routes torch.distributions' KL of two diagonal
Gaussians to the generated ``kl_diagonal``, which is proved and accurate where torch's own formula,
0.5 (r + t - 1 - log r) with r = (scale_p / scale_q)**2, cancels (r near 1: a collapsed unit).
"""

import torch
from torch.distributions import Independent, Normal, kl

from .torch_kernels import kl_diagonal


def _normal_normal(p, q):
    """KL(p || q) per element, for Normal p and q: kl_diagonal with log-variances 2 log(scale)."""
    return kl_diagonal(p.loc, 2 * torch.log(p.scale), q.loc, 2 * torch.log(q.scale), reduction="none")


def _independent_normal(p, q):
    """KL(p || q) of Independent Normals over their rightmost dimensions; anything else as torch does it."""
    if (not isinstance(p.base_dist, Normal) or not isinstance(q.base_dist, Normal)
            or p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims):
        return _TORCH_INDEPENDENT(p, q)
    terms = _normal_normal(p.base_dist, q.base_dist)
    return terms.sum(dim=tuple(range(-p.reinterpreted_batch_ndims, 0))) if p.reinterpreted_batch_ndims else terms


_TORCH_INDEPENDENT = kl._KL_REGISTRY[(Independent, Independent)]


def register() -> None:
    """Make ``torch.distributions.kl_divergence(q, p)`` use the proved ``kl_diagonal`` for
    (Normal, Normal) and (Independent Normal, Independent Normal), in this process, from now on:
    code that calls kl_divergence gets the accurate kernel without changes."""
    kl.register_kl(Normal, Normal)(_normal_normal)
    kl.register_kl(Independent, Independent)(_independent_normal)
