"""Writing output files so that a reader never sees half of one."""

from __future__ import annotations

from pathlib import Path


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write beside the target, then rename over it (an interrupted run leaves the old file or none)."""
    temporary = path.with_name(f".{path.name}.tmp")
    if isinstance(content, bytes):
        temporary.write_bytes(content)
    else:
        temporary.write_text(content)
    temporary.replace(path)
