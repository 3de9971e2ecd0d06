"""The VAE demo: train with the torch kernel that ``derive codegen`` generated from the verified
derivation, and draw what each KL term does to the latent space.

From Python::

    from pathlib import Path
    from derive.demo import VaeSettings, run_vae, render_summary
    run = run_vae(VaeSettings(epochs=5, out=Path("vae_demo")))
    print(render_summary(run))

From the shell: ``derive demo vae --help``. Needs the ``demo`` extra (torch, scikit-learn,
matplotlib); the names that need it load on first use, so the CLI starts without them.
"""

from __future__ import annotations

import importlib

from .settings import VaeSettings

_NEED_THE_EXTRA = {"DataError": ".data", "VaeRun": ".vae_demo", "render_summary": ".vae_demo",
                   "run_vae": ".vae_demo"}
__all__ = sorted(["VaeSettings", *_NEED_THE_EXTRA])


def __getattr__(name: str):
    if name not in _NEED_THE_EXTRA:
        raise AttributeError(f"module 'derive.demo' has no attribute {name!r}")
    value = getattr(importlib.import_module(_NEED_THE_EXTRA[name], __name__), name)
    globals()[name] = value
    return value
