"""The trusted kernel: the only code that can make a PROVED verdict.

Everything outside this package proposes (rules, loaders, code generation, reports). Inside it:
``_core`` decides verdicts and holds the inference rules; ``_bounds`` answers about
approximations (series, constants, generated code); ``_domains`` says where a claim means
something (bound variables' ranges, poles); ``_symbolic`` and ``_numeric`` are the two
witnesses it asks; ``_interval`` encloses values rigorously; ``_operators`` defines the
operators whose meaning the kernel trusts.
"""

from ._bounds import Bound as Bound
from ._bounds import check_constant_bound as check_constant_bound
from ._bounds import check_implementation as check_implementation
from ._bounds import check_series_bound as check_series_bound
from ._core import Counterexample as Counterexample
from ._core import Reason as Reason
from ._core import Settings as Settings
from ._core import Status as Status
from ._core import Verdict as Verdict
from ._core import chain as chain
from ._core import hypotheses_error as hypotheses_error
from ._core import check_equal as check_equal
from ._core import instantiate as instantiate
from ._core import made_by_kernel as made_by_kernel
from ._core import postulate as postulate
from ._core import prefetch as prefetch
from ._core import substitute as substitute
from ._core import unreadable as unreadable
from ._core import trust_operator as trust_operator
from ._symbolic import Reasoning as Reasoning
from ._workers import warm as warm_workers
