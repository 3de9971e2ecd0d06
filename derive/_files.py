"""Files: the proof files a path names, and writing output files so that a reader never sees half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import UsageError


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write a temporary file of its own beside the target, then rename it over the target: a
    reader (or a concurrent writer) sees the old file or the new one, never half of one; a
    failed write leaves no temporary file behind."""
    data = content.encode() if isinstance(content, str) else content
    descriptor, temporary = tempfile.mkstemp(dir=Path(path).parent, prefix=f".{Path(path).name}.")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


# Files read for their math where it is written (derive.latex), besides proof files.
DOCUMENT_SUFFIXES = (".tex", ".md")


def proof_files(paths: list[str | os.PathLike], documents: bool = True) -> list[Path]:
    """The proof files (.py) and documents (.tex, .md) the paths name, a folder's subfolders
    included (its documents only with ``documents``, ``[tool.derive] documents``)."""
    suffixes = (".py", *DOCUMENT_SUFFIXES) if documents else (".py",)
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            # Subfolders too, but not what is private, hidden or a cache (_x, .venv, __pycache__).
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in suffixes
                           and p.name != "conftest.py"
                           and not any(part.startswith(("_", ".")) for part in p.relative_to(path).parts))
            if not found:
                raise UsageError(f"{path}: no proof files (*.py) or documents (*.tex, *.md) in this folder")
            files += found
        elif path.is_file():
            if path.suffix not in (".py", *DOCUMENT_SUFFIXES):
                raise UsageError(f"{path}: a proof file must be a .py file (or a .tex or .md document)")
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    return list(dict.fromkeys(p.resolve() for p in files))
