"""derive: a symbolic derivation verifier with a small trusted kernel.

The kernel (``derive.kernel``) is the only code that decides PROVED, REFUTED or UNKNOWN.

The names below load on first use, so that ``import derive.kernels.torch_kernels`` (the
generated kernels) never imports sympy.
"""

from __future__ import annotations

import importlib
import os

__version__ = "0.1.0"

# sympy sizes its memo caches from this variable when it is first imported; its default of 1000
# entries is too small for a derivation's worth of expressions (10000: a cold `derive check` of
# proofs/ about 6% faster, for 7 MB). A value the user set stands.
os.environ.setdefault("SYMPY_CACHE_SIZE", "10000")

_PUBLIC = {
    "Bound": ".kernel", "Counterexample": ".kernel", "Reason": ".kernel", "Reasoning": ".kernel",
    "Settings": ".kernel", "Status": ".kernel", "Verdict": ".kernel", "chain": ".kernel",
    "check_constant_bound": ".kernel", "check_equal": ".kernel", "check_series_bound": ".kernel",
    "instantiate": ".kernel", "trust_operator": ".kernel",
    "Report": ".checking", "check": ".checking",
    "Derivation": ".derivation", "Export": ".derivation", "Instance": ".derivation",
    "export": ".derivation", "lemma": ".derivation", "Postulate": ".derivation", "postulate": ".derivation",
    "DeriveError": ".errors", "ProofFileError": ".errors",
    "load": ".loader",
    "lemmas": None, "rules": None,  # modules of their own
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'derive' has no attribute {name!r}")
    module = _PUBLIC[name]
    value = importlib.import_module(f".{name}" if module is None else module, __name__)
    value = value if module is None else getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
