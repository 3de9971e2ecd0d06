"""``[tool.derive]`` in the nearest pyproject.toml: a project's proof paths, strictness, samples and seed.

    [tool.derive]
    paths = ["proofs"]   # proof files or folders (and their subfolders), relative to the pyproject.toml
    strict = true        # false: unknown steps pass (refuted ones never do)
    samples = 8          # random numeric sample points per claim (at least 8), besides the edge points
    seed = 0             # seed of those points
    documents = true     # folders' .tex and .md files are checked too (false: only .py proof files)

The file is the first pyproject.toml found walking up from the first path named on the command
line (or from the current folder). Options on the command line override it. A file that is not
valid TOML, a key derive does not know or a value of the wrong type is a one-line UsageError
naming the file and the key.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# The kernel's Settings defaults, named here so that reading options imports no sympy (a test
# keeps them equal).
DEFAULT_SAMPLES, DEFAULT_SEED = 8, 0
# Shared with the --samples option. The lower end is the kernel's floor (kernel FLOORS["samples"]):
# a project may ask for more random points, never for fewer than a proof needs.
SAMPLES_RANGE = (8, 1000)


@dataclass(frozen=True)
class Config:
    """What the project's pyproject.toml says; None where it says nothing."""

    file: Path | None = None
    paths: tuple[str, ...] | None = None  # resolved against the pyproject.toml's folder
    strict: bool | None = None
    samples: int | None = None
    seed: int | None = None
    documents: bool | None = None

    def settings(self, samples: int | None = None, seed: int | None = None):
        """The kernel's Settings: ``samples`` and ``seed`` (command-line options) over the file's,
        over the defaults."""
        from .kernel import Settings  # here: reading the configuration never imports sympy

        samples = samples or self.samples or Settings.samples
        seed = seed if seed is not None else self.seed if self.seed is not None else Settings.seed
        return Settings(samples=samples, seed=seed)


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml in ``start`` (a folder, or a file's folder) or above it."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate / "pyproject.toml"
    return None


def _paths(value, where: str, root: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(p, str) and p for p in value):
        raise UsageError(f"{where}paths must be a non-empty list of proof files or folders, got {value!r}")
    return tuple(str(root / p) for p in value)


def _strict(value, where: str, root: Path) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"{where}strict must be true or false, got {value!r}")
    return value


def _documents(value, where: str, root: Path) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"{where}documents must be true or false, got {value!r}")
    return value


def _samples(value, where: str, root: Path) -> int:
    low, high = SAMPLES_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UsageError(f"{where}samples must be an integer from {low} to {high}, got {value!r}")
    return value


def _seed(value, where: str, root: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError(f"{where}seed must be a non-negative integer, got {value!r}")
    return value


_KEYS = {"paths": _paths, "strict": _strict, "samples": _samples, "seed": _seed, "documents": _documents}


def read_config(file: Path) -> Config:
    """The ``[tool.derive]`` table of ``file``, checked; an empty Config when it has none."""
    try:
        document = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{file}: cannot read it as TOML: {exc}") from None
    table = document.get("tool", {}).get("derive") if isinstance(document.get("tool"), dict) else None
    if table is None:
        return Config(file)
    if not isinstance(table, dict):
        raise UsageError(f"{file}: [tool.derive] must be a table, got {table!r}")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise UsageError(f"{file}: [tool.derive] has unknown key '{unknown[0]}' "
                         f"(known: {', '.join(_KEYS)})")
    where = f"{file}: [tool.derive] "
    values = {key: _KEYS[key](value, where, file.parent) for key, value in table.items()}
    return Config(file, **values)


def project_config(paths: tuple[str, ...] | list[str]) -> Config:
    """The configuration that applies to a run on ``paths`` (from the current folder when none)."""
    file = find_pyproject(Path(paths[0]) if paths else Path.cwd())
    return Config() if file is None else read_config(file)
