"""Vectors and matrices in documents: shapes an ``assume`` declares, arrays at explicit dimensions.

Matrix identities with a symbolic dimension are beyond sympy, so a chain that names a declared
vector or matrix is read once per dimension (k = 1, 2, 3 unless ``assume k \\in \\{...\\}`` says
otherwise), each vector and matrix an explicit array of symbols; a positive-definite matrix is
``L L^T`` for a symbolic Cholesky factor ``L``, which covers every one of its size.

The shape of each part is worked out from the declarations (rows and columns are 1 or a
dimension's name), not from the arrays: at k = 1 every array is 1 x 1, yet ``a^T b`` is a scalar,
``|\\Sigma|`` a determinant and ``a \\Sigma`` a shape error there as at every other k.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy

from .gaussian import cholesky_factor, determinant as _factored_determinant

DEFAULT_DIMENSIONS = (1, 2, 3)
# Symbolic entries grow fast: a general 7 x 7 determinant, or A^{12} at k = 3, takes minutes to build.
LARGEST_DIMENSION, LARGEST_POWER = 5, 8


class NeedsDimension(Exception):
    """A vector or matrix was named while no dimension is chosen: read the chain per dimension.
    (Not a ValueError: the readers that turn errors into unreadable steps must let it through.)"""


class ShapeError(ValueError):
    """Shapes that do not fit (a k x 1 vector times a k x k matrix)."""


@dataclass(frozen=True)
class Shaped:
    """An explicit array and its shape in the declarations' terms: ``(rows, cols)``, each 1 or a
    dimension's name."""

    value: sympy.ImmutableMatrix
    shape: tuple

    @property
    def square(self) -> bool:
        return self.shape[0] == self.shape[1]


def _shape_text(shape: tuple) -> str:
    return f"{shape[0]} x {shape[1]}"


class Declarations:
    """The vectors, matrices and dimensions of one file, and the dimensions being read now."""

    def __init__(self):
        self.shapes: dict[str, tuple] = {}
        self.positive_definite: set[str] = set()
        self.dimensions: dict[str, tuple[int, ...]] = {}
        self.active: dict[str, int] | None = None

    def declare(self, name: str, shape: tuple) -> None:
        if name in self.dimensions:
            raise ShapeError(f"{name} is a dimension, not a vector or matrix")
        if self.shapes.get(name, shape) != shape:
            raise ShapeError(f"{name} is already declared {_shape_text(self.shapes[name])}")
        for size in shape:
            if isinstance(size, str):
                self.dimensions.setdefault(size, DEFAULT_DIMENSIONS)
        self.shapes[name] = shape

    def declare_positive_definite(self, name: str) -> None:
        shape = self.shapes.get(name)
        if shape is None:
            named = [d for d in self.dimensions]
            if len(named) != 1:
                raise ShapeError(f"declare {name}'s size first: {name} \\in \\mathbb{{R}}^{{k \\times k}}")
            shape = (named[0], named[0])
            self.declare(name, shape)
        if shape[0] != shape[1]:
            raise ShapeError(f"{name} is {_shape_text(shape)}: only a square matrix is positive definite")
        self.positive_definite.add(name)

    def choose(self, dimension: str, values: tuple[int, ...]) -> None:
        if dimension in self.shapes:
            raise ShapeError(f"{dimension} is a vector or matrix, not a dimension")
        if not values or any(v < 1 or v > LARGEST_DIMENSION for v in values):
            raise ShapeError(f"dimensions from 1 to {LARGEST_DIMENSION} are read")
        self.dimensions[dimension] = tuple(values)

    def assignments(self) -> list[dict[str, int]]:
        """Every choice of the dimensions' values, each a chain is read at."""
        names = sorted(self.dimensions)
        return [dict(zip(names, values)) for values in itertools.product(*(self.dimensions[n] for n in names))]

    def size(self, size) -> int:
        if isinstance(size, int):
            return size
        if self.active is None:
            raise NeedsDimension(size)
        return self.active[size]

    def value(self, name: str):
        """``name`` as an array of symbols at the active dimensions (entries named ``name[i,j]``,
        a name no reader can write, so they never meet a symbol of the text)."""
        shape = self.shapes[name]
        rows, cols = (self.size(s) for s in shape)
        if name in self.positive_definite:
            factor = self.factor(name)
            return Shaped(sympy.ImmutableMatrix(factor * factor.T), shape)
        if shape[1] == 1:
            return scalar(Shaped(sympy.ImmutableMatrix(
                rows, 1, lambda i, _: sympy.Symbol(f"{name}[{i + 1}]", real=True)), shape))
        return scalar(Shaped(sympy.ImmutableMatrix(
            rows, cols, lambda i, j: sympy.Symbol(f"{name}[{i + 1},{j + 1}]", real=True)), shape))

    def factor(self, name: str) -> sympy.ImmutableMatrix:
        """The Cholesky factor of a positive-definite ``name``: positive diagonal, real below."""
        return cholesky_factor(f"L_{name}", self.size(self.shapes[name][0]),
                               lambda factor, i, j: f"{factor}[{i},{j}]")

    def identity(self, dimension: str) -> Shaped:
        return Shaped(sympy.ImmutableMatrix(sympy.eye(self.size(dimension))), (dimension, dimension))


def is_entry(symbol: sympy.Symbol) -> bool:
    """An array's entry (``Sigma_1[1,2]``): not a name of the text."""
    return "[" in symbol.name


def scalar(x):
    """A 1 x 1 result is the scalar it holds (a^T b)."""
    if isinstance(x, Shaped) and x.shape == (1, 1):
        return x.value[0, 0]
    return x


def product(a, b):
    if not isinstance(a, Shaped) and not isinstance(b, Shaped):
        return a * b
    if not isinstance(a, Shaped) or not isinstance(b, Shaped):
        if isinstance(a, Shaped):
            a, b = b, a
        return Shaped(sympy.ImmutableMatrix(a * b.value), b.shape)
    if a.shape[1] != b.shape[0]:
        raise ShapeError(f"a {_shape_text(a.shape)} times a {_shape_text(b.shape)}: the shapes do not fit")
    return scalar(Shaped(sympy.ImmutableMatrix(a.value * b.value), (a.shape[0], b.shape[1])))


def total(terms: list):
    shaped = [t for t in terms if isinstance(t, Shaped)]
    if len(shaped) != len(terms):
        raise ShapeError("a scalar added to a vector or matrix")
    if len({t.shape for t in shaped}) != 1:
        raise ShapeError("a sum of a " + " and a ".join(sorted({_shape_text(t.shape) for t in shaped})))
    value = shaped[0].value
    for t in shaped[1:]:
        value = value + t.value
    return Shaped(sympy.ImmutableMatrix(value), shaped[0].shape)


def transpose(x):
    if not isinstance(x, Shaped):
        raise ShapeError("the transpose of a scalar: ^T, ^\\top apply to declared vectors and matrices "
                         "(for a power T write ^{T} in a file that declares none)")
    return scalar(Shaped(sympy.ImmutableMatrix(x.value.T), (x.shape[1], x.shape[0])))


def power(base, exponent):
    if isinstance(exponent, Shaped):
        raise ShapeError("a vector or matrix as an exponent")
    if not isinstance(base, Shaped):
        return base**exponent
    if not base.square:
        raise ShapeError(f"a power of a {_shape_text(base.shape)}, not a square matrix")
    if exponent == -1:
        if _factored_determinant(base.value).is_zero is not False:  # A^{-1} A = I would hide a singular A
            raise ShapeError("the inverse of a matrix not known to be invertible: declare it positive definite "
                             "(\\Sigma \\succ 0), or a product of such")
        return Shaped(sympy.ImmutableMatrix(base.value.inv()), base.shape)
    if isinstance(exponent, sympy.Integer) and 0 < exponent <= LARGEST_POWER:
        return Shaped(sympy.ImmutableMatrix(base.value ** int(exponent)), base.shape)
    raise ShapeError(f"a matrix to the power {exponent}: only ^{{-1}} and integer powers 1 to {LARGEST_POWER} are read")


def trace(x):
    if not isinstance(x, Shaped) or not x.square:
        raise ShapeError("the trace of " + ("a scalar" if not isinstance(x, Shaped) else
                                            f"a {_shape_text(x.shape)}") + ": only a square matrix has one")
    return x.value.trace()


def det(x):
    if not isinstance(x, Shaped) or not x.square:
        raise ShapeError("the determinant of " + ("a scalar" if not isinstance(x, Shaped) else
                                                  f"a {_shape_text(x.shape)}") + ": only a square matrix has one")
    return _factored_determinant(x.value)
