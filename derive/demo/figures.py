"""The demo's pictures, drawn with matplotlib's object API (no pyplot state, no display needed).

Each function returns a Figure; the caller saves it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from .training import ACTIVITY_THRESHOLD, History

_TRAIN_STYLE = {"color": "tab:blue", "label": "train"}
_TEST_STYLE = {"color": "tab:orange", "label": "test"}


def training_curves(history: History, beta: float) -> Figure:
    figure = Figure(figsize=(13, 3.8), layout="constrained")
    panels = figure.subplots(1, 3)
    epochs = np.arange(1, len(history.train) + 1)
    titles = {"total": f"loss = reconstruction + {beta:g} KL", "reconstruction": "reconstruction  -E_q[log p(x|z)]",
              "kl": "KL(q(z|x) || N(0, I))"}
    for panel, (name, title) in zip(panels, titles.items()):
        panel.plot(epochs, [record[name] for record in history.train], **_TRAIN_STYLE)
        panel.plot(epochs, [record[name] for record in history.test], **_TEST_STYLE)
        panel.set(title=title, xlabel="epoch", ylabel="nats per example")
        panel.grid(alpha=0.3)
        panel.legend()
    figure.suptitle("Training curves (the KL term is the generated, verified kernel)")
    return figure


def kl_terms(history: History, units: list[dict]) -> Figure:
    figure = Figure(figsize=(13, 4.2), layout="constrained")
    over_time, per_unit = figure.subplots(1, 2, width_ratios=(1, 1.2))
    epochs = np.arange(1, len(history.test) + 1)
    mean_terms = [record["kl_mean_term"] for record in history.test]
    variance_terms = [record["kl_variance_term"] for record in history.test]
    over_time.stackplot(epochs, mean_terms, variance_terms, colors=("tab:green", "tab:purple"), alpha=0.8,
                        labels=(r"mean term $\frac{1}{2}\mu^2$ (pulls the codes to 0)",
                                r"variance term $\frac{1}{2}(\sigma^2 - 1 - \log\sigma^2)$ (pulls $\sigma^2$ to 1)"))
    over_time.set(title="The KL split into the paper's terms (test set)", xlabel="epoch", ylabel="nats per example")
    over_time.legend(loc="lower right", fontsize=8)
    over_time.grid(alpha=0.3)

    dimensions = np.arange(len(units))
    means = np.array([unit["kl_mean_term"] for unit in units])
    variances = np.array([unit["kl_variance_term"] for unit in units])
    per_unit.bar(dimensions, means, color="tab:green", label="mean term")
    per_unit.bar(dimensions, variances, bottom=means, color="tab:purple", label="variance term")
    for unit in units:
        per_unit.annotate("active" if unit["active"] else "collapsed", (unit["dimension"], unit["kl"]),
                          textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8,
                          color="black" if unit["active"] else "tab:red")
    per_unit.set(title=f"KL per latent dimension at the end (active: Var_x(mu) > {ACTIVITY_THRESHOLD})",
                 xlabel="latent dimension", ylabel="nats per example", xticks=dimensions)
    per_unit.legend(fontsize=8)
    per_unit.grid(alpha=0.3, axis="y")
    return figure


def _image_grid(images: np.ndarray, shape: tuple[int, int], columns: int) -> np.ndarray:
    """Tile rows of pixels into one picture, a one-pixel blank gap between the tiles."""
    rows = -(-len(images) // columns)
    height, width = shape
    grid = np.zeros((rows * (height + 1) - 1, columns * (width + 1) - 1))
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        grid[row * (height + 1):row * (height + 1) + height,
             column * (width + 1):column * (width + 1) + width] = image.reshape(shape)
    return grid


def _show_grid(panel, images: np.ndarray, shape: tuple[int, int], columns: int, title: str) -> None:
    panel.imshow(_image_grid(images, shape, columns), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    panel.set_title(title)
    panel.axis("off")


def reconstructions(originals: np.ndarray, reconstructed: np.ndarray, shape: tuple[int, int]) -> Figure:
    figure = Figure(figsize=(12, 3.4), layout="constrained")
    top, bottom = figure.subplots(2, 1)
    columns = len(originals)
    _show_grid(top, originals, shape, columns, "test images")
    _show_grid(bottom, reconstructed, shape, columns, "their reconstructions (decoder mean at z = mu)")
    return figure


def prior_samples(samples: np.ndarray, shape: tuple[int, int], columns: int) -> Figure:
    figure = Figure(figsize=(7, 7), layout="constrained")
    _show_grid(figure.subplots(), samples, shape, columns, "decoded from z ~ N(0, I)")
    return figure


def prior_versus_autoencoder(compared: list[dict], shape: tuple[int, int], columns: int) -> Figure:
    """Per compared model (a dict with beta, codes, labels and samples): its encoded test set in
    the 2-D latent space over the prior's 1 and 2 sigma circles, and images decoded from the prior."""
    figure = Figure(figsize=(6 * len(compared), 9.5), layout="constrained")
    panels = figure.subplots(2, len(compared), squeeze=False, height_ratios=(2.2, 1))
    for column, model in enumerate(compared):
        latent, decoded = panels[0, column], panels[1, column]
        codes = model["codes"]
        colours = {} if model["labels"] is None else {"c": model["labels"], "cmap": "tab10", "vmin": -0.5, "vmax": 9.5}
        scatter = latent.scatter(codes[:, 0], codes[:, 1], s=9, **colours)
        for radius in (1, 2):
            latent.add_patch(Circle((0, 0), radius, fill=False, linestyle="--", color="black", alpha=0.6))
        reach = max(2.5, float(np.abs(codes).max()) * 1.05)
        latent.set(xlim=(-reach, reach), ylim=(-reach, reach), aspect="equal", xlabel="z1 (mu)", ylabel="z2 (mu)",
                   title=f"beta = {model['beta']:g}: {model['name']}\nencoded test set; dashed: N(0, I) at 1 and 2 sigma")
        if model["labels"] is not None:
            figure.colorbar(scatter, ax=latent, ticks=range(10), label="digit", shrink=0.8)
        _show_grid(decoded, model["samples"], shape, columns, f"beta = {model['beta']:g}: decoded from z ~ N(0, I)")
    figure.suptitle("Why pull the codes towards N(0, I)? Without the KL term the codes spread far beyond it, and the\n"
                    "prior's samples reach only the digits encoded near 0; with it the codes fill N(0, I) and so do the samples")
    return figure
