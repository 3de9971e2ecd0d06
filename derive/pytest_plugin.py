"""``pytest --derive``: every step of the derivations in the proof files is a pytest item.

Registered as a ``pytest11`` entry point and opt-in: without ``--derive`` it adds the option
and nothing else (it imports neither sympy nor the rest of derive). With it, each proof file
(what ``derive check`` would load from the ``derive_paths`` ini option, else the ``paths`` of
``[tool.derive]`` in the rootdir's pyproject.toml, else ``proofs``; ``samples`` and ``seed`` are
read there too, and unknown steps always fail; and what the command line names outside those:
``pytest --derive other/proof.py``) is a
collected file, each derivation in it a collector, and each step an item with the ``derive``
marker: ``proofs/stage1_univariate.py::kl_univariate::1.2``. A derivation with ``origin=`` also
gets an ``origin`` item, the first link of its chain: the kernel's theorem of the origin (its
whole chain, and the assumption check of an instance) ending where the derivation starts.

Every item is decided by derive's kernel through ``Checker``. Each process (an xdist worker
too) loads the proof files once and keeps one ``Checker``, so the lemmas and origins its items
use are checked once per process; the kernel's cache of proved steps in the rootdir
(``.derive_cache``, off with ``--derive-no-cache``) lets workers reuse each other's proofs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_PROOFS = pytest.StashKey["_Proofs"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("derive").addoption(
        "--derive", action="store_true", default=False,
        help="check every step of the derivations in the proof files (derive_paths) as test items")
    parser.getgroup("derive").addoption(
        "--derive-no-cache", action="store_true", default=False,
        help="prove every step afresh: neither read nor write .derive_cache in the rootdir")
    parser.addini("derive_paths", "proof files and folders for --derive (default: proofs)", type="paths",
                  default=[])


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("derive"):
        return
    from .config import project_config
    from .errors import DeriveError
    from ._files import proof_files

    config.addinivalue_line("markers", "derive: a step of a derivation, checked by derive's kernel")
    try:
        project = project_config([config.rootpath])
        files = proof_files(config.getini("derive_paths") or project.paths or [config.rootpath / "proofs"],
                            project.documents is not False)
        files += _named_proof_files(config, set(files))
    except DeriveError as exc:
        raise pytest.UsageError(f"--derive: {exc} (set derive_paths in the pytest configuration)") from None
    cache = None if config.getoption("derive_no_cache") else _step_cache(config)
    config.stash[_PROOFS] = _Proofs(files, project.settings(), cache)


def _named_proof_files(config: pytest.Config, configured: set[Path]) -> list[Path]:
    """Proof files named on the command line outside the configured paths: a named .py file that
    is not a test module (``python_files``), or such files in a named folder that holds none of
    the configured ones (a folder that does, ``.`` say, collects those as it is)."""
    from ._files import DOCUMENT_SUFFIXES, proof_files

    def test_module(path: Path) -> bool:
        return path.suffix == ".py" and any(path.match(pattern) for pattern in config.getini("python_files"))

    named = []
    for argument in config.args:
        path = Path(argument.split("::")[0]).resolve()
        if path.is_file() and path.suffix in (".py", *DOCUMENT_SUFFIXES) and not test_module(path):
            named.append(path)
        elif path.is_dir() and not any(file.is_relative_to(path) for file in configured):
            named += [file for file in proof_files([path]) if not test_module(file)]
    return [file for file in dict.fromkeys(named) if file not in configured]


def _step_cache(config: pytest.Config):
    """The rootdir's cache, shared by xdist workers; None (every step proved afresh) without a key."""
    from ._cache import open_cache

    try:
        return open_cache(config.rootpath)
    except OSError:
        return None


def pytest_collection_finish(session: pytest.Session) -> None:
    """The derivations of the selected items, for the kernel to ask its witnesses about at once
    when the first item runs. Not under xdist, whose workers each run only some of the items."""
    proofs = session.config.stash.get(_PROOFS, None)
    if proofs is None or hasattr(session.config, "workerinput"):
        return
    selected = {id(item.derivation): item.derivation for item in session.items if isinstance(item, _DeriveItem)}
    proofs.ahead = list(selected.values())


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    proofs = parent.config.stash.get(_PROOFS, None)
    if proofs is not None and file_path.resolve() in proofs.file_set:
        return ProofFile.from_parent(parent, path=file_path)
    return None


class _Proofs:
    """One process's proof files, loaded together once, and the Checker all its items share."""

    def __init__(self, files: list[Path], settings, cache):
        from .checking import Checker

        self.files = files
        self.file_set = set(files)
        self.checker = Checker(settings, cache)
        self._loaded = None  # a Loaded, or the ProofFileError that stopped loading every file at once
        self.ahead: list = []  # derivations whose steps the witnesses answer before the first item runs

    def prefetch_once(self) -> None:
        ahead, self.ahead = self.ahead, []
        if ahead:
            self.checker.prefetch(ahead)

    def defined_in(self, file: Path) -> list:
        """The derivations ``file`` defines, or the ProofFileError that stops it from loading."""
        from .certificates import load_certified
        from .errors import ProofFileError

        if self._loaded is None:
            try:
                self._loaded = load_certified(self.files)
            except ProofFileError as exc:
                self._loaded = exc
        loaded = self._loaded
        if isinstance(loaded, ProofFileError):
            # The whole load failed: the file it names reports it, every other file loads alone.
            if os.path.abspath(loaded.location.file) == str(file):
                raise loaded
            loaded = load_certified([file])
        return [d for d in loaded.defined if os.path.abspath(d.location.file) == str(file)]


class ProofFile(pytest.File):
    def collect(self):
        from .errors import ProofFileError

        try:
            derivations = self.config.stash[_PROOFS].defined_in(self.path.resolve())
        except ProofFileError as exc:
            raise self.CollectError(str(exc)) from None
        for derivation in derivations:
            yield ProofDerivation.from_parent(self, name=derivation.name, derivation=derivation)


class ProofDerivation(pytest.Collector):
    def __init__(self, *, derivation, **kwargs):
        super().__init__(**kwargs)
        self.derivation = derivation

    def collect(self):
        if self.derivation.origin is not None:
            yield OriginLink.from_parent(self, name="origin")
        for index, step in enumerate(self.derivation.steps):
            yield ProofStep.from_parent(self, name=step.label, index=index)

    def reportinfo(self):
        return Path(self.derivation.location.file), self.derivation.location.line - 1, self.derivation.name


class NotProved(Exception):
    """An item whose claim the kernel did not prove; ``lines`` say what and why."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


class _DeriveItem(pytest.Item):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.derivation = self.parent.derivation
        self.add_marker("derive")
        self.extra_keyword_matches.add(f"{self.derivation.name}::{self.name}")

    @property
    def checker(self):
        proofs = self.config.stash[_PROOFS]
        proofs.prefetch_once()
        return proofs.checker

    def reportinfo(self):
        where = self.derivation.location
        return Path(where.file), where.line - 1, f"{self.derivation.name}::{self.name}"

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, NotProved):
            file, line, _ = self.location
            return "\n".join([f"{file}:{line + 1}: {excinfo.value.lines[0]}", *excinfo.value.lines[1:]])
        return super().repr_failure(excinfo, style)


class ProofStep(_DeriveItem):
    """One step of a derivation: previous == stated, by its rule."""

    def __init__(self, *, index: int, **kwargs):
        super().__init__(**kwargs)
        self.step = self.derivation.steps[index]
        self.index = index

    def runtest(self) -> None:
        from .report import _failure_lines

        result = self.checker.check_step(self.derivation, self.index)
        if not result.verdict.proved:
            raise NotProved([f"step {self.step.label} of '{self.derivation.name}' is "
                             f"{result.verdict.status.value}: {self.step.description}",
                             f"rule: {result.rule.describe()}", *_failure_lines(result)])

    def reportinfo(self):
        _, _, name = super().reportinfo()
        return Path(self.step.location.file), self.step.location.line - 1, name


class OriginLink(_DeriveItem):
    """The first link of a derivation with ``origin=``: the origin's theorem, ending at the start."""

    def runtest(self) -> None:
        from .report import _show

        d = self.derivation
        verdict = self.checker.theorem(d.origin)
        if verdict.proved and verdict.rhs == d.start:
            return
        if not verdict.proved:
            raise NotProved([f"the origin of '{d.name}' is {verdict.status.value}: {d.origin.name}",
                             f"reason: {verdict.reason.value}: {verdict.detail}"])
        raise NotProved([f"'{d.name}' does not start where its origin ends: {d.origin.name}",
                         f"origin ends at: {_show(verdict.rhs)}", f"start:          {_show(d.start)}"])
