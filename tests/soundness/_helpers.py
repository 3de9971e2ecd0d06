"""Shared helpers of the adversarial soundness suite.

The suite asserts outcomes only: a false claim is never PROVED, a true claim is never REFUTED,
a forged or crashing input never turns into a proof. Details that may legitimately change
(which strategy proved a step, the wording of a detail, UNKNOWN versus REFUTED for a false
claim) are not asserted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import mpmath
import pytest
import sympy

from derive import Status

ROOT = Path(__file__).resolve().parents[2]  # the worktree whose derive is under test


def reason(name: str):
    """``Reason[name]``, failing the calling test clearly when the kernel has no such member."""
    from derive import Reason

    try:
        return Reason(name)
    except ValueError:
        pytest.fail(f"derive.Reason has no member {name!r}: the fixed kernel is expected to name it")


def assert_not_proved(verdict, why: str = "") -> None:
    """A false claim: anything but PROVED (UNKNOWN or REFUTED)."""
    assert verdict.status is not Status.PROVED, f"a false claim was PROVED ({why}): {verdict!r}"


def assert_not_refuted(verdict, why: str = "") -> None:
    """A true claim: anything but REFUTED (PROVED or UNKNOWN)."""
    assert verdict.status is not Status.REFUTED, (
        f"a true claim was REFUTED ({why}): {verdict!r}, counterexample {verdict.counterexample}")


def assert_no_forged_proof(make) -> None:
    """``make()`` builds a verdict from forged input: raising is acceptable, PROVED is not."""
    try:
        verdict = make()
    except (TypeError, ValueError, AttributeError):  # refused outright: fine
        return
    assert getattr(verdict, "status", None) is not Status.PROVED, f"a forged verdict was accepted: {verdict!r}"
    assert getattr(verdict, "proved", False) is not True, f"a forged verdict was accepted: {verdict!r}"


def differ(lhs, rhs, point: dict, digits: int = 30) -> bool:
    """Whether the two sides differ at ``point``, evaluated by mpmath through sympy at ``digits``
    digits (a side that is undefined there counts as differing)."""
    with mpmath.workdps(digits):
        try:
            a, b = (_value(side, point, digits) for side in (lhs, rhs))
        except (ZeroDivisionError, ValueError, TypeError):
            return True
        if a.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo) or b.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
            return True
        if not (a.is_number and b.is_number):
            return True
        x, y = complex(a), complex(b)
        return abs(x - y) > 1e-9 * max(1.0, abs(x), abs(y))


def _value(side, point: dict, digits: int):
    """A side at a point: sympy's evalf first (integrals by mpmath quadrature, finite sums
    term by term), doit only when that leaves something unevaluated."""
    expr = sympy.sympify(side).xreplace(point)
    value = sympy.N(expr, digits)
    if not value.is_number or value.has(sympy.Integral, sympy.Sum):
        value = sympy.N(expr.doit(), digits)
    return value


def run_cli(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m derive ARGS`` in a fresh process that imports this worktree's derive, with the
    private cache settings of the calling test (the autouse fixture sets them in os.environ)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("GITHUB_STEP_SUMMARY", None)
    return subprocess.run([sys.executable, "-m", "derive", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


PROVED_LINE = re.compile(r"^\s*=>\s*proved\b", re.MULTILINE)


def claims_proved(output: str, derivation: str) -> bool:
    """Whether a text report says ``derivation`` is proved: its block ends with '=> proved'."""
    blocks = re.split(r"(?m)^  (?=\S)", output)
    for block in blocks:
        if block.startswith(f"{derivation}:") or block.startswith(f"{derivation} (dependency):"):
            if PROVED_LINE.search(block):
                return True
    return False


def write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path
