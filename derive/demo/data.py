"""Images for the demo: scikit-learn's digits (they ship inside the package), or a local file.

A local file is MNIST in its standard forms: an IDX images file (``train-images-idx3-ubyte``,
gzipped or not; labels are read from the ``labels-idx1`` file beside it when it is there), or
an ``.npz`` with ``x_train``/``x_test`` (and ``y_train``/``y_test``), as Keras ships it, or with
``images`` (and ``labels``). Nothing is ever downloaded.
"""

from __future__ import annotations

import gzip
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from derive.errors import DeriveError

TEST_FRACTION = 0.2
_IDX_UNSIGNED_BYTE = 0x08


class DataError(DeriveError):
    """A data file the demo cannot use: the message starts with the file's path."""


@dataclass(frozen=True)
class Images:
    """Images flattened to rows of pixel intensities in [0, 1]; labels only colour the plots."""

    train: np.ndarray
    test: np.ndarray
    train_labels: np.ndarray | None
    test_labels: np.ndarray | None
    shape: tuple[int, int]
    source: str

    @property
    def pixels(self) -> int:
        return self.shape[0] * self.shape[1]


def load_images(path: Path | None, seed: int) -> Images:
    """The digits when path is None, else the file; a split that the data lacks is drawn with seed."""
    if path is None:
        from sklearn.datasets import load_digits

        digits = load_digits()
        return _split(digits.images / 16.0, digits.target, seed, "scikit-learn digits")
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder; name the IDX images file or the .npz in it")
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.suffix == ".npz":
        return _from_npz(path, seed)
    return _from_idx(path, seed)


def _split(images: np.ndarray, labels: np.ndarray | None, seed: int, source: str) -> Images:
    order = np.random.default_rng(seed).permutation(len(images))
    cut = len(images) - max(1, round(TEST_FRACTION * len(images)))
    train, test = order[:cut], order[cut:]
    return _images(images[train], images[test], None if labels is None else labels[train],
                   None if labels is None else labels[test], source, source)


def _images(train, test, train_labels, test_labels, source: str, where: str) -> Images:
    for part in (train, test):
        if part.ndim != 3 or part.shape[0] == 0:
            raise DataError(f"{where}: expected a stack of images (count, height, width), got shape {part.shape}")
    if train.shape[1:] != test.shape[1:]:
        raise DataError(f"{where}: train images are {train.shape[1:]} but test images are {test.shape[1:]}")
    for labels, part in ((train_labels, train), (test_labels, test)):
        if labels is not None and labels.shape != (len(part),):
            raise DataError(f"{where}: {len(part)} images but labels of shape {labels.shape}")
    return Images(_intensities(train, where), _intensities(test, where), train_labels, test_labels,
                  tuple(train.shape[1:]), source)


def _intensities(images: np.ndarray, where: str) -> np.ndarray:
    """Rows of float32 pixels in [0, 1]: bytes are divided by 255, floats must lie there already."""
    if images.dtype == np.uint8:
        scaled = images / 255.0
    elif np.issubdtype(images.dtype, np.floating):
        scaled = images.astype(np.float64)
        if not np.isfinite(scaled).all():
            raise DataError(f"{where}: the images hold NaN or infinite values")
        if scaled.min() < 0 or scaled.max() > 1:
            raise DataError(f"{where}: float pixels must lie in [0, 1], found "
                            f"[{scaled.min():g}, {scaled.max():g}]")
    else:
        raise DataError(f"{where}: pixels must be uint8 or floats in [0, 1], got {images.dtype}")
    return scaled.reshape(len(images), -1).astype(np.float32)


def _from_npz(path: Path, seed: int) -> Images:
    try:
        # Opened here, not by np.load, which leaves the file open when the archive is broken.
        with open(path, "rb") as stream, np.load(stream, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise DataError(f"{path}: not a readable .npz archive ({exc})") from None
    if {"x_train", "x_test"} <= arrays.keys():
        return _images(arrays["x_train"], arrays["x_test"], arrays.get("y_train"), arrays.get("y_test"),
                       path.name, str(path))
    if "images" in arrays:
        images = arrays["images"]
        labels = arrays.get("labels")
        if images.ndim != 3 or (labels is not None and labels.shape != (len(images),)):
            raise DataError(f"{path}: expected images (count, height, width) and labels (count,), got "
                            f"{images.shape} and {None if labels is None else labels.shape}")
        return _split(images, labels, seed, str(path))
    raise DataError(f"{path}: expected arrays x_train and x_test, or images; found {', '.join(sorted(arrays)) or 'none'}")


def _read_idx(path: Path, dimensions: int) -> np.ndarray:
    """An IDX array of unsigned bytes (the MNIST format: magic 0x0000 08 <dimensions>, big-endian sizes)."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as stream:
            content = stream.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    if len(content) < 4 or content[:2] != b"\x00\x00" or content[2] != _IDX_UNSIGNED_BYTE or content[3] != dimensions:
        raise DataError(f"{path}: not an IDX file of unsigned bytes with {dimensions} dimension(s) "
                        f"(MNIST's train-images-idx3-ubyte, or a .npz)")
    header = 4 + 4 * dimensions
    if len(content) < header:
        raise DataError(f"{path}: the IDX header is cut short")
    sizes = struct.unpack(f">{dimensions}I", content[4:header])
    expected = int(np.prod(sizes))
    if len(content) - header != expected:
        raise DataError(f"{path}: the header announces {expected} bytes of data for shape {sizes}, "
                        f"the file holds {len(content) - header}")
    return np.frombuffer(content, dtype=np.uint8, offset=header).reshape(sizes)


def _from_idx(path: Path, seed: int) -> Images:
    images = _read_idx(path, dimensions=3)
    labels_path = path.with_name(path.name.replace("images-idx3", "labels-idx1"))
    labels = _read_idx(labels_path, dimensions=1) if labels_path != path and labels_path.is_file() else None
    if labels is not None and len(labels) != len(images):
        raise DataError(f"{labels_path}: {len(labels)} labels for {len(images)} images in {path.name}")
    return _split(images, labels, seed, str(path))
