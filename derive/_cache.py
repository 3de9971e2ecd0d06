"""Where the kernel keeps the records of claims it proved, and the key that authenticates them.

This module stores, signs and verifies records (HMAC-SHA256 over their purpose, their digest and
their body); what a record is a proof of is the kernel's to say (``kernel.check_equal`` computes
the digest of a claim and believes a record only for exactly that claim). The key lives outside the repository (``DERIVE_CACHE_KEY``, or a file made once in
the user's cache folder), so an edited, corrupt or foreign record is simply not believed and the
claim is proved again: the cache can save time, never change a verdict.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path

from ._files import write_atomically

FOLDER_NAME = ".derive_cache"
KEY_VARIABLE = "DERIVE_CACHE_KEY"
# Where `derive` passes DERIVE_CACHE_KEY to itself after re-executing without it in its
# environment (cli.main): a pipe, so that /proc/<pid>/environ never shows the key to the proof
# files' process.
KEY_PIPE_VARIABLE = "DERIVE_CACHE_KEY_FD"
_from_pipe: list[bytes] = []
FOLDER_VARIABLE = "DERIVE_CACHE_DIR"  # e.g. a folder that CI keeps between runs
_KEY_BYTES = 32
_MIN_KEY_BYTES = 16  # a shorter DERIVE_CACHE_KEY could be guessed


class StepCache:
    """Records in ``folder/<2 hex>/<digest>.json``, authenticated with ``key``."""

    def __init__(self, folder: Path, key: bytes):
        self.folder = Path(folder)
        self.key = key

    def _path(self, digest: str) -> Path:
        return self.folder / digest[:2] / f"{digest}.json"

    def read(self, digest: str) -> bytes | None:
        try:
            return self._path(digest).read_bytes()
        except OSError:
            return None

    def _signature(self, purpose: str, digest: str, body: str) -> str:
        return hmac.new(self.key, f"{purpose}\x00{digest}\x00{body}".encode(), hashlib.sha256).hexdigest()

    def read_signed(self, purpose: str, digest: str) -> dict | None:
        """The fields of the record at ``digest`` when it was signed with this key for this
        purpose and this digest, else None (missing, corrupt, foreign or moved)."""
        raw = self.read(digest)
        if raw is None:
            return None
        try:
            record = json.loads(raw)
            body, signature = record["body"], record["signature"]
            if not hmac.compare_digest(signature, self._signature(purpose, digest, body)):
                return None
            fields = json.loads(body)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return fields if isinstance(fields, dict) else None

    def write_signed(self, purpose: str, digest: str, fields: dict) -> None:
        body = json.dumps(fields, sort_keys=True)
        self.write(digest, json.dumps({"body": body, "signature": self._signature(purpose, digest, body)}).encode())

    def write(self, digest: str, record: bytes) -> None:
        """Best effort: a cache that cannot be written only costs time later."""
        path = self._path(digest)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                write_atomically(ignore, "# derive's cache of proved steps: never commit it\n*\n")
            write_atomically(path, record)
        except OSError:
            pass


def hide_key_and_restart(argv: list[str]) -> None:
    """When DERIVE_CACHE_KEY is in this process's environment, run derive again in this process
    (exec) with the key in a pipe instead: what a process was started with stays readable in
    /proc/<pid>/environ, and the proof files' process must not find the key there. POSIX only."""
    key = os.environ.get(KEY_VARIABLE)
    if not key or os.name != "posix":
        return
    read, write = os.pipe()
    os.write(write, key.encode())
    os.close(write)
    os.set_inheritable(read, True)
    env = {name: value for name, value in os.environ.items() if name != KEY_VARIABLE}
    env[KEY_PIPE_VARIABLE] = str(read)
    os.execve(sys.executable, [sys.executable, "-m", "derive", *argv], env)


def _key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "derive" / "cache-key"


def load_key() -> bytes:
    """DERIVE_CACHE_KEY (a CI secret) if set, else the user's key file, made on first use.

    Raises OSError when there is no usable key and none can be made."""
    if os.environ.get(KEY_PIPE_VARIABLE, "").isdigit() and not _from_pipe:
        descriptor = int(os.environ.pop(KEY_PIPE_VARIABLE))
        with os.fdopen(descriptor, "rb") as pipe:
            _from_pipe.append(pipe.read())
    if _from_pipe:
        key = _from_pipe[0]
        if len(key) < _MIN_KEY_BYTES:
            raise OSError(f"{KEY_VARIABLE} is shorter than {_MIN_KEY_BYTES} bytes")
        return key
    if os.environ.get(KEY_VARIABLE):
        key = os.environ[KEY_VARIABLE].encode()
        if len(key) < _MIN_KEY_BYTES:
            raise OSError(f"{KEY_VARIABLE} is shorter than {_MIN_KEY_BYTES} bytes")
        return key
    path = _key_file()
    key = _read_key(path)
    if key is None:
        _make_key(path)
        key = _read_key(path)
    if key is None:
        raise OSError(f"{path} does not hold a key of {_KEY_BYTES} bytes in hex")
    return key


def _read_key(path: Path) -> bytes | None:
    try:
        key = bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return key if len(key) == _KEY_BYTES else None


def _make_key(path: Path) -> None:
    """Write a fresh key beside the path, then link it into place: a concurrent maker (an xdist
    worker) either wins or finds the whole key there, never half of one. A bad file is replaced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".cache-key.")
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(secrets.token_hex(_KEY_BYTES) + "\n")
        if path.exists() and _read_key(path) is None:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def open_cache(project: Path) -> StepCache:
    """DERIVE_CACHE_DIR if set, else the project folder's .derive_cache, else, where that cannot
    be written (a read-only checkout), a folder of the user's cache named after the project's
    path (``cache_folder``); raises OSError when no key can be had."""
    return StepCache(cache_folder(Path(project)), load_key())


def cache_folder(project: Path) -> Path:
    """Where the cache of ``project`` lives (see ``open_cache``)."""
    if os.environ.get(FOLDER_VARIABLE):
        return Path(os.environ[FOLDER_VARIABLE])
    folder = project / FOLDER_NAME
    if os.access(folder if folder.is_dir() else project, os.W_OK):
        return folder
    name = hashlib.sha256(str(project.resolve()).encode()).hexdigest()[:16]
    return _key_file().parent / "steps" / f"{project.resolve().name}-{name}"
