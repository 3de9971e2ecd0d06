"""Gaussian building blocks for writing derivations: densities, expectations, SPD matrices.

Univariate expectations are written as what they are by definition, an integral against the
density. A k-dimensional expectation is the operator ``GaussianExpectation``: for
``x ~ N(mu, L L^T)`` it is *defined* through ``x = mu + L z`` with ``z ~ N(0, I_k)`` and the
standard normal moments ``E[z^n] = (n-1)!!`` (n even), 0 (n odd), components independent.
``proofs/gaussian_moments.py`` proves those moments from the integral and proves that the
operator agrees with the integral in one dimension.

Symmetric positive-definite matrices are parameterised by their Cholesky factor ``L`` (lower
triangular, positive diagonal, real below): every SPD matrix has exactly one, so a claim
proved for symbolic ``L`` holds for every SPD matrix of that size.
"""

from __future__ import annotations

import sympy

from .kernel._operators import GaussianExpectation

__all__ = ["GaussianExpectation", "cholesky_factor", "determinant", "expect_matrix", "expectation",
           "mvn_pdf", "normal_pdf", "quadratic_form", "vector"]


def normal_pdf(x: sympy.Expr, mean: sympy.Expr, std: sympy.Expr) -> sympy.Expr:
    """Density of N(mean, std^2) at x."""
    return sympy.exp(-(x - mean) ** 2 / (2 * std**2)) / sympy.sqrt(2 * sympy.pi * std**2)


def expectation(f: sympy.Expr, x: sympy.Symbol, density: sympy.Expr) -> sympy.Integral:
    """E_p[f(x)] = integral of p(x) f(x) dx over the real line (an unevaluated Integral)."""
    return sympy.Integral(density * f, (x, -sympy.oo, sympy.oo))


def vector(name: str, k: int, **assumptions) -> sympy.ImmutableMatrix:
    """A k x 1 column of symbols name_1 .. name_k."""
    return sympy.ImmutableMatrix(k, 1, sympy.symbols(f"{name}_1:{k + 1}", **assumptions))


def cholesky_factor(name: str, k: int, entry_name=lambda name, i, j: f"{name}_{i}{j}") -> sympy.ImmutableMatrix:
    """A symbolic k x k Cholesky factor: positive diagonal, real entries below, zeros above; entry
    (i, j), counted from 1, is named ``entry_name(name, i, j)``."""

    def entry(i: int, j: int) -> sympy.Expr:
        if i < j:
            return sympy.S.Zero
        # below the diagonal any real number: positive=False would mean at most 0 to sympy
        symbol = entry_name(name, i + 1, j + 1)
        return sympy.Symbol(symbol, positive=True) if i == j else sympy.Symbol(symbol, real=True)

    return sympy.ImmutableMatrix(k, k, entry)


def quadratic_form(a: sympy.MatrixBase, matrix: sympy.MatrixBase) -> sympy.Expr:
    """a^T A a as a scalar expression."""
    return (a.T * matrix * a)[0, 0]


def mvn_pdf(x: sympy.MatrixBase, mean: sympy.MatrixBase, cov: sympy.MatrixBase) -> sympy.Expr:
    """Density of N(mean, cov) at x (explicit dimension)."""
    k = x.shape[0]
    return sympy.exp(-quadratic_form(x - mean, cov.inv()) / 2) / sympy.sqrt(
        (2 * sympy.pi) ** k * determinant(cov)
    )


def determinant(m: sympy.MatrixBase) -> sympy.Expr:
    """|m|, factored: for m = L L^T it is the product of squared diagonals, visibly positive."""
    return sympy.factor(m.det())


def expect_matrix(m: sympy.MatrixBase, x, mean, factor) -> sympy.ImmutableMatrix:
    """Entrywise expectation of a matrix-valued function of x."""
    return sympy.ImmutableMatrix(m.shape[0], m.shape[1],
                                 lambda i, j: GaussianExpectation(m[i, j], x, mean, factor))
