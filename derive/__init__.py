"""derive: a symbolic derivation verifier with a small trusted kernel.

The kernel (``derive._kernel``) is the only code that decides PROVED, REFUTED or UNKNOWN.
"""

__version__ = "0.1.0"

from ._kernel import Counterexample as Counterexample
from ._kernel import Reason as Reason
from ._kernel import Reasoning as Reasoning
from ._kernel import Settings as Settings
from ._kernel import Status as Status
from ._kernel import Verdict as Verdict
from ._kernel import chain as chain
from ._kernel import check_equal as check_equal
from ._kernel import instantiate as instantiate
from . import rules as rules
from .check import Report as Report
from .check import check as check
from .derivation import Derivation as Derivation
from .derivation import Instance as Instance
from .derivation import lemma as lemma
from .errors import DeriveError as DeriveError
from .errors import ProofFileError as ProofFileError
from .loader import load as load
