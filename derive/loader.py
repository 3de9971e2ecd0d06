"""Loading proof files: Python modules that build Derivation objects.

A path is a ``.py`` file or a folder of them (files starting with ``_`` are helpers, and a
``conftest.py`` belongs to pytest: neither is a proof).
Files of one load may import each other by module name (``from stage1_univariate import kl``),
the way modules of one folder do. Anything that stops a file from loading becomes a one-line
``ProofFileError`` that names the file and line.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import sympy

from .derivation import Derivation, Export, Location, collecting
from . import latex
from ._files import DOCUMENT_SUFFIXES, proof_files
from .errors import ProofFileError


def _error_location(exc: BaseException, folders: list[str]) -> Location:
    if isinstance(exc, SyntaxError) and exc.filename:
        return Location(exc.filename, exc.lineno or 0)
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.dirname(os.path.abspath(f.filename)) in folders]
    if frames:
        return Location(frames[-1].filename, frames[-1].lineno or 0)
    return Location("<unknown>", 0)


@dataclass(frozen=True)
class Loaded:
    defined: list[Derivation]  # derivations defined in the named files
    created: list[Derivation]  # every derivation the load created, wherever its file
    exports: list[Export]  # kernels declared for code generation, in the named files


def load(paths: list[str | os.PathLike]) -> Loaded:
    found = proof_files(paths)
    documents = [f for f in found if f.suffix in DOCUMENT_SUFFIXES]
    files = [f for f in found if f not in documents]
    names = {str(f) for f in files}
    folders = list(dict.fromkeys(str(f.parent) for f in files))
    saved_path = list(sys.path)
    saved_modules = {n: m for n, m in sys.modules.items() if _defined_in(m, folders)}
    sys.path[:0] = folders
    try:
        with collecting() as collected:
            for file in files:
                _load_file(file, folders)
    finally:
        # Proof modules live only for one load, so a later load of other files with the same
        # names (or of edited files) starts clean.
        sys.path[:] = saved_path
        for name in [n for n, m in sys.modules.items() if _defined_in(m, folders)]:
            del sys.modules[name]
        sys.modules.update({n: m for n, m in saved_modules.items() if _defined_in(m, folders)})
    created = [d for d in collected if isinstance(d, Derivation)]
    exports = [e for e in collected if isinstance(e, Export) and os.path.abspath(e.location.file) in names]
    defined = [d for d in created if os.path.abspath(d.location.file) in names]
    for file in files:
        if not any(os.path.abspath(d.location.file) == str(file) for d in defined):
            raise ProofFileError(Location(str(file), 1), "defines no derivation")
    for document in documents:
        read = latex.read(document)
        created += read
        defined += read
    # A document without equality chains (a folder's README.md) is no error, unless nothing else is found.
    if documents and not defined:
        raise ProofFileError(Location(str(documents[0]), 1), "holds no equality chain in a math environment")
    validate(created, exports)
    return Loaded(defined, created, exports)


def validate(created: list[Derivation], exports: list[Export]) -> None:
    """What every load must hold, whether here or rebuilt from a certificate: derivations with
    steps, unique names, and exports that name what they export."""
    for d in created:
        if not d.steps:
            raise ProofFileError(d.location, f"derivation '{d.name}' has no steps")
        same = {}
        for step in d.steps:
            if step.label in same:
                raise ProofFileError(step.location, f"step label '{step.label}' of '{d.name}' is already used at "
                                                    f"{same[step.label]}")
            same[step.label] = step.location
    _require_unique_names(created, "derivation")
    _require_unique_names(exports, "export")
    for e in exports:
        _validate_export(e)


def _validate_export(e: Export) -> None:
    if not e.name.isidentifier():
        raise ProofFileError(e.location, f"export name '{e.name}' is not a Python identifier")
    if not isinstance(e.index, sympy.Symbol):
        raise ProofFileError(e.location, f"export '{e.name}': the index must be a sympy Symbol")
    if not e.arguments or not all(isinstance(f, sympy.IndexedBase) and isinstance(a, str) and a.isidentifier()
                                  for f, a in e.arguments.items()):
        raise ProofFileError(e.location, f"export '{e.name}': arguments map indexed families to argument names")
    if e.term is not None and e.term not in sympy.Add.make_args(e.derivation.result):
        raise ProofFileError(e.location, f"export '{e.name}': {sympy.sstr(e.term)} is not a term of the result "
                                         f"of '{e.derivation.name}'")


def _require_unique_names(items: list, kind: str) -> None:
    seen: dict[str, object] = {}
    for item in items:
        if item.name in seen and seen[item.name] is not item:
            raise ProofFileError(item.location, f"{kind} name '{item.name}' is already used at "
                                                f"{seen[item.name].location}")
        seen[item.name] = item


def _defined_in(module, folders: list[str]) -> bool:
    file = getattr(module, "__file__", None)
    return bool(file) and os.path.dirname(os.path.abspath(file)) in folders


def _load_file(file: Path, folders: list[str]) -> None:
    if file.stem in sys.modules and getattr(sys.modules[file.stem], "__file__", None) == str(file):
        return  # already imported by a sibling in this load
    spec = importlib.util.spec_from_file_location(file.stem, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[file.stem] = module
    try:
        spec.loader.exec_module(module)
    except ProofFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of user code becomes a one-line error
        where = _error_location(exc, folders)
        message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        raise ProofFileError(where, f"{type(exc).__name__}: {message}") from None
