"""Run the VAE demo: train, evaluate, draw, write the pictures and metrics.json."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from derive._files import write_atomically
from derive.errors import DeriveError, UsageError

from . import figures
from .data import Images, load_images
from .settings import VaeSettings
from .training import ACTIVITY_THRESHOLD, Hyperparameters, evaluate, latent_units, train

# The practitioner's question (why pull the codes towards N(0, I)?) is answered by a plain
# autoencoder beside a VAE, both with a latent space of two dimensions so that it can be drawn.
COMPARED = ((0.0, "a plain autoencoder"), (1.0, "a VAE"))
COMPARED_LATENT = 2
RECONSTRUCTED_EXAMPLES = 12
SAMPLE_GRID_COLUMNS = 10


@dataclass(frozen=True)
class VaeRun:
    metrics: dict
    files: list[Path] = field(default_factory=list)


# progress(label, epochs) gives a context whose value is called after every epoch with
# (epoch, train averages, test evaluation), or is None.
Progress = Callable[[str, int], AbstractContextManager]


def _no_progress(label: str, epochs: int) -> AbstractContextManager:
    return nullcontext(None)


def run_vae(settings: VaeSettings = VaeSettings(), progress: Progress = _no_progress) -> VaeRun:
    """Train, evaluate, draw; write the pictures and metrics.json into settings.out."""
    threads = torch.get_num_threads()
    torch.set_num_threads(settings.threads)
    try:
        return _run(settings, progress)
    finally:
        torch.set_num_threads(threads)


def _run(settings: VaeSettings, progress: Progress) -> VaeRun:
    started = time.perf_counter()
    out = Path(settings.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder")
    images = load_images(settings.data, settings.seed)
    device = _device(settings.device)
    x_test = torch.as_tensor(images.test, device=device)
    hyper = Hyperparameters(settings.latent, settings.hidden, settings.epochs, settings.batch_size,
                            settings.learning_rate, settings.beta, settings.seed)

    with progress(f"VAE, latent {settings.latent}, beta {settings.beta:g}", settings.epochs) as on_epoch:
        main = train(images.train, images.test, hyper, device, on_epoch=on_epoch)
    units = latent_units(main.model, x_test)
    drawn = {
        "training_curves.png": figures.training_curves(main.history, settings.beta),
        "kl_terms.png": figures.kl_terms(main.history, units),
        "reconstructions.png": figures.reconstructions(
            images.test[:RECONSTRUCTED_EXAMPLES], _reconstruct(main.model, x_test[:RECONSTRUCTED_EXAMPLES]),
            images.shape),
        "prior_samples.png": figures.prior_samples(_decode_prior(main.model, SAMPLE_GRID_COLUMNS ** 2, settings.seed),
                                                   images.shape, SAMPLE_GRID_COLUMNS),
    }
    compared = []
    if settings.compare:
        for beta, name in COMPARED:
            with progress(f"comparison: latent {COMPARED_LATENT}, beta {beta:g}", settings.epochs) as on_epoch:
                model = train(images.train, images.test, replace(hyper, latent=COMPARED_LATENT, beta=beta), device,
                              on_epoch=on_epoch).model
            compared.append(_compared(model, beta, name, x_test, images, settings.seed))
        drawn["prior_vs_autoencoder.png"] = figures.prior_versus_autoencoder(compared, images.shape,
                                                                             SAMPLE_GRID_COLUMNS)

    files = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, figure in drawn.items():
            files.append(out / name)
            write_atomically(files[-1], _png(figure))
    except OSError as exc:
        raise DeriveError(f"{out}: cannot write the pictures there: {exc.strerror or exc}") from None
    metrics = {
        "settings": {**asdict(settings), "data": None if settings.data is None else str(settings.data),
                     "out": str(out), "device": str(device)},
        "data": {"source": images.source, "image_shape": list(images.shape), "train_examples": len(images.train),
                 "test_examples": len(images.test)},
        "test": main.history.test[-1],
        "train": main.history.train[-1],
        "active_units": sum(unit["active"] for unit in units),
        "activity_threshold": ACTIVITY_THRESHOLD,
        "latent_units": units,
        "comparison": [{key: model[key] for key in ("beta", "name", "test")} for model in compared],
        "history": {"train": main.history.train, "test": main.history.test},
        "pictures": [str(file) for file in files],
        "seconds": round(time.perf_counter() - started, 2),
    }
    files.append(out / "metrics.json")
    try:
        write_atomically(files[-1], json.dumps(metrics, indent=2) + "\n")
    except OSError as exc:
        raise DeriveError(f"{files[-1]}: cannot write: {exc.strerror or exc}") from None
    return VaeRun(metrics, files)


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("device cuda: this torch has no CUDA device; use --device cpu")
    return torch.device(name)


@torch.no_grad()
def _reconstruct(model, x: torch.Tensor) -> np.ndarray:
    model.eval()
    mu, _ = model.encode(x)
    return torch.sigmoid(model.decode(mu)).cpu().numpy()


@torch.no_grad()
def _decode_prior(model, count: int, seed: int) -> np.ndarray:
    model.eval()
    generator = torch.Generator().manual_seed(seed + 3)
    z = torch.randn(count, model.latent, generator=generator)
    device = next(model.parameters()).device
    return torch.sigmoid(model.decode(z.to(device))).cpu().numpy()


@torch.no_grad()
def _compared(model, beta: float, name: str, x_test: torch.Tensor, images: Images, seed: int) -> dict:
    model.eval()
    codes, _ = model.encode(x_test)
    return {"beta": beta, "name": name, "codes": codes.cpu().numpy(), "labels": images.test_labels,
            "samples": _decode_prior(model, SAMPLE_GRID_COLUMNS * 4, seed),
            "test": evaluate(model, x_test, beta, seed)}


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def render_summary(run: VaeRun) -> str:
    """One screen: the final test numbers, the latent units, the comparison and the files."""
    metrics = run.metrics
    test = metrics["test"]
    lines = [f"VAE on {metrics['data']['source']} ({metrics['data']['train_examples']} train, "
             f"{metrics['data']['test_examples']} test images of {'x'.join(map(str, metrics['data']['image_shape']))}), "
             f"{metrics['settings']['epochs']} epochs on {metrics['settings']['device']} in {metrics['seconds']:.1f} s",
             f"  test ELBO per example  {test['elbo']:10.3f} nats",
             f"  reconstruction         {test['reconstruction']:10.3f}",
             f"  KL                     {test['kl']:10.3f}  = mean term {test['kl_mean_term']:.3f}"
             f" + variance term {test['kl_variance_term']:.3f}",
             f"  active latent units    {metrics['active_units']} of {len(metrics['latent_units'])}"
             f" (Var_x(mu) > {metrics['activity_threshold']})",
             "  KL per unit            " + " ".join(f"{unit['kl']:.2f}" + ("" if unit["active"] else "*")
                                                    for unit in metrics["latent_units"]) + "   (* collapsed)"]
    for model in metrics["comparison"]:
        lines.append(f"  2-D, beta = {model['beta']:g} ({model['name']}): test ELBO {model['test']['elbo']:.3f}, "
                     f"KL {model['test']['kl']:.3f}")
    lines += ["wrote:"] + [f"  {file}" for file in run.files]
    return "\n".join(lines)
