"""What a worker process runs (``serve``, started by ``_workers``): the witnesses, stage by stage.

Each task is a generator of stages ``(name, run)``; the worker announces a stage, runs it and
sends its payload back (``_workers`` holds the other end and the time limits), then sends the
payload into the generator, which may stop early (at the first residual that is zero, the
first confirmed difference). After a stage timed out the kernel restarts the task in a fresh
worker from the next stage. Payloads are small records, never the expressions worked on.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import mpmath
import sympy

from . import _certificate, _interval, _numeric, _symbolic
from ._workers import USER_CODE_VARIABLE, read_frame, write_frame


@dataclass(frozen=True)
class PointOutcome:
    """What the numeric witness says at one point: 'agree', 'differ' (confirmed by a careful
    re-evaluation), 'unconfirmed' (a difference the careful re-evaluation did not confirm),
    'uncheckable' (a difference the careful re-evaluation could not evaluate),
    'undefined', 'inconclusive' or 'error' (an exception, in ``why``)."""

    kind: str
    edge: bool
    assignment: dict
    why: str = ""
    values: tuple[str, str] | None = None  # both sides, for a counterexample


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text[:300]}"


def _mp(value: sympy.Expr) -> mpmath.mpc:
    """A sympy number as an mpmath complex at full precision (never through a Python float)."""
    real, imag = value.as_real_imag()
    return mpmath.mpc(mpmath.mpmathify(real), mpmath.mpmathify(imag))


def differ(a, b, tolerance) -> bool:
    pairs = zip(a, b) if isinstance(a, sympy.MatrixBase) else [(a, b)]
    with mpmath.workdps(max(mpmath.mp.dps, 60)):
        for x, y in pairs:
            x, y = _mp(x), _mp(y)
            if abs(x - y) > tolerance * max(1, abs(x), abs(y)):
                return True
    return False


def _values(lhs, rhs, point, dps: int, careful: bool):
    """('values', (lhs, rhs)) at ``point``, or (kind, why) when that is not to be had."""
    values = []
    try:
        for side, expr in (("left", lhs), ("right", rhs)):
            try:
                values.append(_numeric.evaluate(expr, point, dps, careful=careful))
            except _numeric.Undefined as exc:
                return "undefined", f"the {side} side has no finite value: {exc}"
    except _numeric.Inconclusive as exc:
        return "inconclusive", str(exc)
    except Exception as exc:  # noqa: BLE001 - sympy or mpmath failing at a point is no verdict
        return "error", _one_line(exc)
    return "values", tuple(values)


def at_point(lhs, rhs, point, settings) -> PointOutcome:
    def outcome(kind: str, why: str = "", values=None) -> PointOutcome:
        shown = None if values is None else tuple(str(v.evalf(20)) for v in values)
        return PointOutcome(kind, point.edge, point.assignment(), why, shown)

    kind, found = _values(lhs, rhs, point, settings.dps, careful=False)
    if kind != "values":
        return outcome(kind, found)
    if not differ(*found, settings.tolerance):
        return outcome("agree")
    # A difference counts only if a careful evaluation (higher precision, another method) confirms it.
    kind, careful = _values(lhs, rhs, point, settings.recheck_dps, careful=True)
    if kind == "undefined":
        return outcome(kind, careful)
    if kind != "values":
        return outcome("uncheckable", f"the sides differ at {settings.dps} digits, and the careful "
                                      f"re-evaluation could not confirm it ({careful})")
    if not differ(*careful, settings.tolerance):
        return outcome("unconfirmed", f"the sides differ at {settings.dps} digits but agree when evaluated "
                                      f"carefully at {settings.recheck_dps}")
    return outcome("differ", values=careful)


def numeric_stages(lhs, rhs, settings):
    """Every edge point, then the random points, one stage each, stopping at a confirmed difference,
    or at the second difference the careful re-evaluation could not evaluate: no proof is left to
    find, and the same expression costs as much at the other points (minutes for nested integrals)."""
    points = _numeric.sample_points([lhs, rhs], settings.seed, settings.samples)
    uncheckable = 0
    for n, point in enumerate(points):
        found = yield f"point {n + 1} of {len(points)}", (lambda point=point: at_point(lhs, rhs, point, settings))
        uncheckable += found is not None and found.kind == "uncheckable"
        if found is not None and found.kind == "differ" or uncheckable == 2:
            return


def series_bound_stages(f, variable, coefficients, radius, pieces):
    from ._bounds import series_remainder  # _bounds imports this module
    from ._core import Reason, Status

    def run():
        try:
            return series_remainder(f, variable, coefficients, radius, pieces)
        except _interval.Unenclosable as exc:
            return Status.UNKNOWN, Reason.UNSUPPORTED_DOMAIN, str(exc), None

    yield "remainder bound", run


TASKS = {"symbolic": _symbolic.stages, "numeric": numeric_stages, "series_bound": series_bound_stages}


def serve() -> None:
    """Answer requests (task, args, first stage) from the kernel until it closes the stream."""
    _certificate.RUN_TRUSTED_CODE = os.environ.get(USER_CODE_VARIABLE) == "1"
    output = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # whatever prints must not corrupt the frames
    requests = sys.stdin.buffer
    while True:
        request = read_frame(requests)
        if request is None:
            return
        task, args, first = request
        try:
            stages = TASKS[task](*args)
            index, found = 0, None
            while True:
                try:
                    name, run = stages.send(found) if index else next(stages)
                except StopIteration:
                    break
                found = None
                if index >= first:
                    write_frame(output, ("begin", index, name))
                    found = run()
                    write_frame(output, ("end", index, name, found))
                index += 1
            write_frame(output, ("done",))
        except Exception as exc:  # noqa: BLE001 - the kernel learns of it and decides unknown
            write_frame(output, ("failed", _one_line(exc)))
