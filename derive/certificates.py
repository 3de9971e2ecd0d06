"""Proof files checked without importing them: certificates.

A proof file is Python code, and Python code can do anything in its own process: build an
object that looks like a verdict, patch the kernel, define a class whose methods lie. So the
commands (``derive check``, ``show``, ``codegen`` and ``pytest --derive``) never import a proof
file in the process that checks it. ``load_certified`` runs a child process
(``python -m derive.certificates``) that loads the files and writes a certificate: every
derivation, step, postulate, instance and export as plain data (JSON), every expression as a
table of nodes (``kernel._certificate``). The checking process rebuilds all of it from sympy
alone, so what it proves is exactly what it rebuilt and every report shows that. A class the
child names that is neither sympy's nor the kernel's is refused unless the proof declared it
with ``derive.trust_operator``: then (and only then) its file is imported here, and every
verdict that rests on it lists it as an axiom.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ._files import proof_files
from .errors import DeriveError, ProofFileError, UsageError

_VERSION = 2


# -- the child: loads the proof files and writes what they built ---------------------------------


def _write(paths: list[str]) -> dict:
    from . import kernel
    from .derivation import Instance, Location, Postulate
    from .kernel._certificate import encode
    from .loader import load

    loaded = load(paths)
    nodes: list = []
    index: dict = {}
    objects: list = []
    numbers: dict[int, int] = {}

    def rows(*expressions) -> list[int]:
        return encode(list(expressions), nodes, index)

    def where(location: Location) -> dict:
        return {"file": str(location.file), "line": int(location.line)}

    def number(source) -> int:
        if id(source) in numbers:
            return numbers[id(source)]
        if isinstance(source, Instance):
            inner = number(source.derivation)
            keys = rows(*source.mapping)
            values = rows(*source.mapping.values())
            entry = {"kind": "instance", "of": inner, "mapping": [list(pair) for pair in zip(keys, values)]}
        elif isinstance(source, Postulate):
            lhs, rhs = rows(source.start, source.result)
            entry = {"kind": "postulate", "name": source.name, "lhs": lhs, "rhs": rhs, "reason": source.reason,
                     **where(source.location)}
        else:
            origin = None if source.origin is None else number(source.origin)
            steps = [{"label": step.label, "description": step.description, "rule": step.rule.name,
                      "lemmas": [number(lemma) for lemma in step.rule.lemmas], "stated": rows(step.stated)[0],
                      "unreadable": step.unreadable, **where(step.location)} for step in source.steps]
            # A start that is where the origin ends is left to the checker to work out from the origin.
            start = None if source.origin is not None and source.start == source.origin.result else rows(source.start)[0]
            entry = {"kind": "derivation", "name": source.name, "title": source.title, "scope": source.scope,
                     "dimensions": source.dimensions, "start": start, "origin": origin, "steps": steps, "assuming": rows(*source.hypotheses),
                     **where(source.location),
                     "defined": any(source is d for d in loaded.defined)}
        numbers[id(source)] = len(objects)
        objects.append(entry)
        return numbers[id(source)]

    for derivation in loaded.created:
        number(derivation)
    exports = [{"name": e.name, "derivation": number(e.derivation), "index": rows(e.index)[0],
                "arguments": [[rows(family)[0], name] for family, name in e.arguments.items()],
                "summary": e.summary, "term": None if e.term is None else rows(e.term)[0], **where(e.location)}
               for e in loaded.exports]
    trusted = [{"module": cls.__module__, "qualname": cls.__qualname__, "file": _source_file(cls, paths), "reason": reason}
               for cls, reason in kernel._core._TRUSTED_OPERATORS.items()]
    return {"version": _VERSION, "nodes": nodes, "objects": objects, "exports": exports, "trusted": trusted,
            "imported": _imported_files()}


def _imported_files() -> list[str]:
    """The files of every module loaded from outside the Python installation (the proof files'
    siblings, a project's own helpers): a recorded certificate holds only while they are unchanged."""
    installed = {os.path.realpath(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}}
    home = os.path.realpath(Path(__file__).resolve().parent)
    files = set()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if not file:
            continue
        real = os.path.realpath(file)
        if real.startswith(home + os.sep) or any(real.startswith(root + os.sep) for root in installed):
            continue
        files.add(real)
    return sorted(files)


def _source_file(cls, files: list[str]) -> str:
    """Where a class was defined: its module's file, else its methods', else the proof file of
    its module's name (the loader forgets proof modules once they are loaded)."""
    module = sys.modules.get(cls.__module__)
    if getattr(module, "__file__", None):
        return str(module.__file__)
    for value in vars(cls).values():
        code = getattr(getattr(value, "__func__", value), "__code__", None)
        if code is not None:
            return code.co_filename
    return next((str(f) for f in files if Path(f).stem == cls.__module__), "")


def main(argv: list[str]) -> int:
    """``python -m derive.certificates OUT FILE...``: write the certificate of the files to OUT."""
    out, paths = argv[0], argv[1:]
    try:
        data = _write(paths)
    except ProofFileError as exc:
        data = {"error": {"file": str(exc.location.file), "line": exc.location.line, "message": exc.message}}
    except DeriveError as exc:
        data = {"error": {"file": "", "line": 0, "message": str(exc)}}
    except Exception as exc:  # noqa: BLE001 - whatever stops the certificate is one line for the checker
        data = {"error": {"file": "", "line": 0, "message": f"cannot write the certificate: {type(exc).__name__}: {exc}"}}
    Path(out).write_text(json.dumps(data))
    return 0


# -- the checker: runs the child (or recalls what it wrote), rebuilds it ------------------------------


def _sha256(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


@functools.lru_cache(maxsize=1)
def _environment() -> str:
    """What else a certificate depends on: the Python, sympy and mpmath versions and derive's own
    source (a proof file builds its expressions with derive.gaussian and the like)."""
    import importlib.metadata

    home = Path(__file__).resolve().parent
    digest = hashlib.sha256(sys.version.encode())
    for package in ("sympy", "mpmath"):
        digest.update(f"{package} {importlib.metadata.version(package)}".encode())
    for source in sorted(home.rglob("*.py")):
        digest.update(str(source.relative_to(home)).encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def _record_key(files: list[Path]) -> str:
    return hashlib.sha256("\0".join(["certificate", *map(str, files)]).encode()).hexdigest()


def _recall(cache, files: list[Path]):
    """The certificate recorded for exactly these files, when its record's signature verifies and
    neither they, nor any file they imported from outside the installed packages, nor the
    environment changed since; else None."""
    fields = cache.read_signed("certificate", _record_key(files))
    try:
        if fields is None or fields["environment"] != _environment():
            return None
        if any(_sha256(path) != sha for path, sha in fields["files"].items()):
            return None
        return fields["certificate"]
    except (KeyError, TypeError, AttributeError):
        return None


def _remember(cache, files: list[Path], hashes: dict, data: dict) -> None:
    imported = {path: _sha256(path) for path in data.get("imported", []) if path not in hashes}
    cache.write_signed("certificate", _record_key(files),
                       {"environment": _environment(), "files": {**hashes, **imported}, "certificate": data})


def _keep_from_children() -> None:
    """On Linux, make this process's /proc entries (environ, mem) readable by root only, as
    ssh-agent does: the proof files' process runs as the same user and must not read
    DERIVE_CACHE_KEY from this process's environment. A no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass


class Pending:
    """The certificate of some proof files on its way: recalled from the cache, or being written
    by a child process that started at once (so that it loads the files while this process
    imports what it needs)."""

    def __init__(self, files: list[Path], cache):
        self.files, self.cache = files, cache
        self.data = None if cache is None else _recall(cache, files)
        self.recalled = self.data is not None
        if self.recalled:
            return
        _keep_from_children()
        # Hashed before the child reads them: a file edited meanwhile is not recorded as checked.
        self.hashes = {str(path): _sha256(str(path)) for path in files}
        self.folder = tempfile.TemporaryDirectory(prefix="derive-certificate-")
        self.out = Path(self.folder.name) / "certificate.json"
        home = str(Path(__file__).resolve().parents[1])
        env = {name: value for name, value in os.environ.items() if name not in ("DERIVE_CACHE_KEY", "DERIVE_CACHE_KEY_FD")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [home, os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen([sys.executable, "-m", "derive.certificates", str(self.out),
                                         *map(str, files)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=env)

    def loaded(self):
        """The derivations, built here from the certificate (a ``loader.Loaded``)."""
        if not self.recalled:
            self.data = self._wait()
        loaded = rebuild(self.data)
        if not self.recalled and self.cache is not None:
            _remember(self.cache, self.files, self.hashes, self.data)
        return loaded

    def _wait(self) -> dict:
        try:
            printed, complained = self.process.communicate()
            # What the proof files print goes to stderr, apart from the report.
            sys.stderr.write(printed + complained)
            if not self.out.is_file():
                raise DeriveError(f"loading the proof files failed: their process exited with "
                                  f"{self.process.returncode} and wrote no certificate")
            try:
                return json.loads(self.out.read_text())
            except ValueError as exc:
                raise DeriveError(f"the proof files' certificate is not JSON: {exc}") from None
        finally:
            self.folder.cleanup()


def start(paths: list[str | os.PathLike], cache=None, documents: bool = True) -> Pending:
    """Begin loading the proof files the paths name, without importing them here; ``cache`` (a
    StepCache) recalls a signed certificate of exactly these unchanged files, and records one."""
    return Pending(proof_files(paths, documents), cache)


def load_certified(paths: list[str | os.PathLike], cache=None):
    """The derivations of the proof files, as ``loader.load`` gives them, but built here from a
    certificate the files' own process wrote: no proof file is imported in this process."""
    return start(paths, cache).loaded()


def rebuild(data):
    """The derivations, postulates, instances and exports of a certificate, built from sympy
    (a ``loader.Loaded``)."""
    from .kernel._certificate import CertificateError

    if not isinstance(data, dict):
        raise DeriveError("the certificate is not an object")
    if "error" in data:
        error = data["error"]
        if error.get("file"):
            from .derivation import Location

            raise ProofFileError(Location(_clean(error["file"]), int(error.get("line", 0))), _clean(error["message"]))
        raise UsageError(_clean(error.get("message", "the proof files could not be loaded")))
    if data.get("version") != _VERSION:
        raise DeriveError(f"the certificate is of version {data.get('version')!r}, this derive reads {_VERSION}")
    try:
        return _Rebuilder(data).loaded()
    except (CertificateError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise DeriveError(f"the proof files' certificate cannot be read: {type(exc).__name__}: {exc}") from None


def _clean(text) -> str:
    """Text from the certificate as shown in reports: printable characters only, so that a
    label cannot move the terminal's cursor or fake a line of the report."""
    if not isinstance(text, str):
        raise ValueError(f"expected text, got {type(text).__name__}")
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in text)


class _Rebuilder:
    def __init__(self, data: dict):
        from .kernel._certificate import Decoder

        self.data = data
        # Declared operators stay opaque here: their code runs only in workers of their own.
        trusted = {(_clean(e["module"]), _clean(e["qualname"])): (_clean(e["file"]), _clean(e["reason"]))
                   for e in data.get("trusted", [])}
        self.expression = Decoder(data["nodes"], trusted)
        self.objects: list = []

    def _where(self, entry: dict):
        from .derivation import Location

        return Location(_clean(entry["file"]), int(entry["line"]))

    def _earlier(self, number) -> object:
        if not (isinstance(number, int) and 0 <= number < len(self.objects)):
            raise ValueError(f"object {number!r} refers to one not yet defined")
        return self.objects[number]

    def _object(self, entry: dict):
        from . import rules
        from .derivation import Derivation, Instance, Postulate, Step

        kind = entry["kind"]
        if kind == "instance":
            mapping = {self.expression(key): self.expression(value) for key, value in entry["mapping"]}
            return Instance(self._earlier(entry["of"]), mapping)
        if kind == "postulate":
            return Postulate(_clean(entry["name"]), self.expression(entry["lhs"]), self.expression(entry["rhs"]),
                             _clean(entry["reason"]), self._where(entry))
        if kind != "derivation":
            raise ValueError(f"unknown object kind {kind!r}")
        steps = []
        for step in entry["steps"]:
            lemmas = tuple(self._earlier(n) for n in step["lemmas"])
            unreadable = step.get("unreadable")
            steps.append(Step(_clean(step["label"]), _clean(step["description"]), rules.named(step["rule"], lemmas),
                              self.expression(step["stated"]), self._where(step),
                              None if unreadable is None else _clean(unreadable)))
        origin = None if entry["origin"] is None else self._earlier(entry["origin"])
        # Without a start of its own, a derivation starts where its origin, as rebuilt here, ends.
        start = None if entry["start"] is None else self.expression(entry["start"])
        return Derivation.rebuilt(_clean(entry["name"]), _clean(entry["title"]), start,
                                  origin=origin, scope=_clean(entry["scope"]), location=self._where(entry),
                                  steps=steps, assuming=[self.expression(n) for n in entry["assuming"]],
                                  dimensions=_clean(entry.get("dimensions", "")))

    def loaded(self):
        from .derivation import Derivation, Export
        from .loader import Loaded, validate

        defined = []
        for entry in self.data["objects"]:
            self.objects.append(self._object(entry))
            if entry["kind"] == "derivation" and entry["defined"]:
                defined.append(self.objects[-1])
        exports = []
        for entry in self.data["exports"]:
            derivation = self._earlier(entry["derivation"])
            arguments = {self.expression(family): _clean(name) for family, name in entry["arguments"]}
            term = None if entry["term"] is None else self.expression(entry["term"])
            exports.append(Export(_clean(entry["name"]), derivation, self.expression(entry["index"]), arguments,
                                  _clean(entry["summary"]), term, self._where(entry)))
        created = [o for o in self.objects if isinstance(o, Derivation)]
        validate(created, exports)
        return Loaded(defined, created, exports)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
