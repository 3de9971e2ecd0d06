import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROOFS = ROOT / "proofs"


@pytest.fixture(autouse=True)
def private_step_cache(tmp_path_factory, monkeypatch):
    """Each test gets an empty cache of proved steps and a key of its own, so that no test sees
    another's proofs (or the user's) and none writes into the repository or the home folder."""
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path_factory.mktemp("derive_cache")))
    monkeypatch.setenv("DERIVE_CACHE_KEY", "the key of derive's own tests")


@pytest.fixture
def write_proof(tmp_path):
    """Write a proof file into a fresh folder and return its path."""

    def write(name: str, source: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(source))
        return path

    return write
