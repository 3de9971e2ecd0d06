"""Expressions as plain data, and back, without running any code but sympy's constructors.

A certificate (``derive.certificates``) carries every expression of a proof file as a table of
nodes: each node is a list naming what it is and the nodes it is built from. ``encode`` runs
where the proof file ran; ``Decoder`` runs in the checking process, which never imports the
proof file. Decoding rebuilds each node from sympy itself: atoms from their data (a Symbol from
its name and declared assumptions), everything else by calling a class's constructor with the
rebuilt arguments, as written (``as_written``: what the proof built, not what sympy's
evaluation would make of it again). A class is accepted only from sympy or the kernel's own operators; a node of any other class is
rebuilt as an opaque ``Unrebuilt`` application, which the kernel refuses to decide
(UNTRUSTED_OPERATOR) unless the proof declared the class trusted, and even then the class's
code never runs in the checking process. No string is ever evaluated.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys

import sympy
from sympy.core.function import AppliedUndef, UndefinedFunction
from sympy.core.singleton import Singleton

_KERNEL_OPERATORS = "derive.kernel._operators"


class CertificateError(ValueError):
    """A node that cannot be encoded or rebuilt; the message names it."""


class Unrebuilt(sympy.Function):
    """A node of a class that is neither sympy's nor the kernel's, kept opaque in the checking
    process: the class it stands for is ``source`` (module.qualname), defined in ``file``. It
    never evaluates. ``trusted`` is the reason the user gave (trust_operator), else empty: a claim
    holding an untrusted one is not decided; one holding a trusted one is decided by witnesses in
    a worker of its own that revives the real class (the user's code runs only there)."""

    source = ""
    file = ""
    trusted = ""

    @classmethod
    def eval(cls, *args):
        return None

    def __reduce_ex__(self, protocol):  # sympy's Basic would pickle the class by a name it lacks
        return revive, (self.source, self.file, self.trusted, self.args)


_UNREBUILT: dict[tuple, type] = {}


def opaque(module: str, qualname: str, file: str = "", trusted: str = "") -> type:
    """The opaque stand-in class for module.qualname (one per class and trust)."""
    key = (module, qualname, file, trusted)
    if key not in _UNREBUILT:
        _UNREBUILT[key] = type(qualname.rsplit(".", 1)[-1], (Unrebuilt,),
                               {"source": f"{module}.{qualname}", "file": file, "trusted": trusted, "__module__": __name__})
    return _UNREBUILT[key]


# Set in a worker started to run a trusted operator's code (_workers, tainted jobs): only there
# does revive import the user's file.
RUN_TRUSTED_CODE = False
# The trusted classes revive gave back: the numeric witness asks their own evalf for a value.
REVIVED: set = set()


def revive(source: str, file: str, trusted: str, args: tuple):
    """What an opaque node becomes where it is unpickled: the real class, in a worker allowed to
    run the user's code and for a trusted class only; the opaque stand-in everywhere else."""
    module, _, qualname = source.rpartition(".")
    if not (RUN_TRUSTED_CODE and trusted and file):
        return opaque(module, qualname, file, trusted)(*args)
    # Under a name of its own: the file may be a script (__main__) or share a name with another.
    name = "_derive_trusted_" + hashlib.sha256(file.encode()).hexdigest()[:16]
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, file)
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[name] = loaded
        sys.path.insert(0, os.path.dirname(file))
        spec.loader.exec_module(loaded)
    target = sys.modules[name]
    for part in qualname.split("."):
        target = getattr(target, part)
    REVIVED.add(target)
    return target(*args)


def as_written(cls, args: list) -> sympy.Basic:
    """A node of ``cls`` with these arguments, with nothing evaluated that they would set off:
    sums, products, powers and functions keep them as they are (Mod(8*Mod(n, 4), 64) stays that,
    where sympy 1.14's Mod.eval makes it 8*Mod(Mod(n, 4)**2, 8)); other nodes (integrals,
    tuples, matrices) are built as usual."""
    if issubclass(cls, (sympy.Add, sympy.Mul, sympy.Pow)) or isinstance(cls, sympy.FunctionClass):
        return cls(*args, evaluate=False)
    return cls(*args)


def _class_path(cls) -> tuple[str, str]:
    return cls.__module__ or "", cls.__qualname__


def encode(expressions: list, nodes: list, index: dict) -> list[int]:
    """Add the expressions to ``nodes`` (a table shared by a whole certificate; ``index`` maps
    what is already in it to its row) and return their rows."""

    def add(key, node) -> int:
        index[key] = len(nodes)
        nodes.append(node)
        return index[key]

    def visit(expr) -> int:
        key = (type(expr), expr) if not isinstance(expr, UndefinedFunction) else ("function", expr)
        if key in index:
            return index[key]
        if isinstance(expr, UndefinedFunction):
            return add(key, ["function", expr.__name__, {f: bool(v) for f, v in sorted(expr._kwargs.items())}])
        if isinstance(expr, sympy.MatrixBase):
            cells = [visit(cell) for cell in expr]
            return add(key, ["matrix", *_class_path(type(expr)), expr.rows, expr.cols, cells])
        if not isinstance(expr, sympy.Basic):
            raise CertificateError(f"{type(expr).__name__} {expr!r:.60} is not a sympy object")
        cls = type(expr)
        if isinstance(cls, Singleton):
            return add(key, ["singleton", *_class_path(cls)])
        if cls is sympy.Integer or isinstance(expr, sympy.Integer):
            return add(key, ["integer", str(int(expr))])
        if isinstance(expr, sympy.Rational):
            return add(key, ["rational", str(expr.p), str(expr.q)])
        if isinstance(expr, sympy.Float):
            sign, mantissa, exponent, bits = expr._mpf_
            return add(key, ["float", sign, str(mantissa), exponent, bits, expr._prec])
        if cls is sympy.Dummy:
            return add(key, ["dummy", expr.name, expr.dummy_index, dict(expr._assumptions_orig)])
        if cls is sympy.Symbol:
            return add(key, ["symbol", expr.name, dict(expr._assumptions_orig)])
        if cls is sympy.core.symbol.Str:
            return add(key, ["str", expr.name])
        if isinstance(expr, sympy.Symbol):
            raise CertificateError(f"{expr} is a {cls.__name__}: only Symbol and Dummy can be certified")
        if isinstance(expr, AppliedUndef):
            return add(key, ["apply", visit(expr.func), [visit(arg) for arg in expr.args]])
        if not expr.args:
            raise CertificateError(f"{sympy.sstr(expr)[:60]} (a {cls.__name__}) is an atom derive cannot certify")
        return add(key, ["node", *_class_path(cls), [visit(arg) for arg in expr.args]])

    return [visit(expr) for expr in expressions]


class Decoder:
    """Rebuilds the expressions of a certificate's node table, each row once."""

    def __init__(self, nodes: list, trusted: dict | None = None):
        """``trusted``: (module, qualname) -> (file, reason) of the classes declared trusted."""
        self.nodes = nodes
        self.trusted = trusted or {}
        self.built: dict[int, object] = {}

    def _class(self, module: str, qualname: str, *, stand_in: bool = False):
        if not (module == "sympy" or module.startswith("sympy.") or module == _KERNEL_OPERATORS):
            if stand_in:
                return opaque(module, qualname, *self.trusted.get((module, qualname), ("", "")))
            raise CertificateError(f"{module}.{qualname} is neither sympy's nor derive's")
        try:
            target = importlib.import_module(module)
            for part in qualname.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError, KeyError):
            raise CertificateError(f"no class {module}.{qualname}") from None
        if not (isinstance(target, type) and (issubclass(target, sympy.Basic) or issubclass(target, sympy.MatrixBase))):
            raise CertificateError(f"{module}.{qualname} is not a sympy class")
        return target

    def __call__(self, row: int):
        if row in self.built:
            return self.built[row]
        if not (isinstance(row, int) and 0 <= row < len(self.nodes)):
            raise CertificateError(f"no node {row!r}")
        # Rows refer only to earlier rows (encode adds a node after its arguments), so the
        # recursion is bounded by the table and cannot cycle.
        self.built[row] = self._build(self.nodes[row], row)
        return self.built[row]

    def _earlier(self, refs, row: int) -> list:
        if not isinstance(refs, list) or not all(isinstance(r, int) and 0 <= r < row for r in refs):
            raise CertificateError(f"node {row} refers to rows that are not earlier ones")
        return [self(r) for r in refs]

    def _build(self, node, row: int):
        if not (isinstance(node, list) and node and isinstance(node[0], str)):
            raise CertificateError(f"node {row} is malformed")
        kind, *data = node
        try:
            return self._make(kind, data, row)
        except CertificateError:
            raise
        except Exception as exc:  # noqa: BLE001 - a constructor refusing its arguments is malformed input
            raise CertificateError(f"node {row} ({kind}) cannot be rebuilt: {type(exc).__name__}: {exc}") from None

    def _make(self, kind: str, data: list, row: int):
        if kind == "integer":
            return sympy.Integer(int(data[0]))
        if kind == "rational":
            return sympy.Rational(int(data[0]), int(data[1]))
        if kind == "float":
            sign, mantissa, exponent, bits, precision = data
            return sympy.Float._new((int(sign), int(mantissa), int(exponent), int(bits)), int(precision))
        if kind == "symbol":
            return sympy.Symbol(_text(data[0]), **_facts(data[1]))
        if kind == "dummy":
            return sympy.Dummy(_text(data[0]), dummy_index=int(data[1]), **_facts(data[2]))
        if kind == "str":
            return sympy.core.symbol.Str(_text(data[0]))
        if kind == "function":
            return sympy.Function(_text(data[0]), **_facts(data[1]))
        if kind == "singleton":
            cls = self._class(*data)
            if not isinstance(cls, Singleton):
                raise CertificateError(f"node {row}: {cls.__name__} is not a singleton")
            return cls()
        if kind == "apply":
            function = self._earlier([data[0]], row)[0]
            if not isinstance(function, UndefinedFunction):
                raise CertificateError(f"node {row} applies something that is not an undefined function")
            return as_written(function, self._earlier(data[1], row))
        if kind == "matrix":
            module, qualname, rows, cols, cells = data
            return self._class(module, qualname)(int(rows), int(cols), self._earlier(cells, row))
        if kind == "node":
            module, qualname, args = data
            return as_written(self._class(_text(module), _text(qualname), stand_in=True), self._earlier(args, row))
        raise CertificateError(f"node {row} is of an unknown kind {kind!r}")


def _text(value) -> str:
    if not isinstance(value, str):
        raise CertificateError(f"expected a name, got {value!r:.40}")
    return value


def _facts(value) -> dict:
    from ._domains import FACTS

    if not (isinstance(value, dict) and all(k in FACTS and isinstance(v, bool) for k, v in value.items())):
        raise CertificateError(f"assumptions must map fact names to booleans, got {value!r:.60}")
    return value
