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


def normal_pdf(x: sympy.Expr, mean: sympy.Expr, std: sympy.Expr) -> sympy.Expr:
    """Density of N(mean, std^2) at x."""
    return sympy.exp(-(x - mean) ** 2 / (2 * std**2)) / sympy.sqrt(2 * sympy.pi * std**2)


def expectation(f: sympy.Expr, x: sympy.Symbol, density: sympy.Expr) -> sympy.Integral:
    """E_p[f(x)] = integral of p(x) f(x) dx over the real line (an unevaluated Integral)."""
    return sympy.Integral(density * f, (x, -sympy.oo, sympy.oo))


def vector(name: str, k: int, **assumptions) -> sympy.ImmutableMatrix:
    """A k x 1 column of symbols name_1 .. name_k."""
    return sympy.ImmutableMatrix(k, 1, sympy.symbols(f"{name}_1:{k + 1}", **assumptions))


def cholesky_factor(name: str, k: int) -> sympy.ImmutableMatrix:
    """A symbolic k x k Cholesky factor: positive diagonal, real entries below, zeros above."""

    def entry(i: int, j: int) -> sympy.Expr:
        if i < j:
            return sympy.S.Zero
        return sympy.Symbol(f"{name}_{i + 1}{j + 1}", positive=(i == j), real=True)

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


class GaussianExpectation(sympy.Expr):
    """E[f(x)] for x ~ N(mean, L L^T) at an explicit dimension; unevaluated until ``doit``.

    ``doit`` evaluates polynomial ``f`` exactly by x = mean + L z and the moments of z.
    The expectation of a quantity that does not depend on x is that quantity (normalisation),
    applied on construction.
    """

    is_derive_operator = True
    is_linear_operator = True

    def __new__(cls, f, x, mean, factor):
        f = sympy.sympify(f)
        x = sympy.Tuple(*x)
        mean, factor = sympy.ImmutableMatrix(mean), sympy.ImmutableMatrix(factor)
        if not (mean.shape == (len(x), 1) and factor.shape == (len(x), len(x))):
            raise ValueError(
                f"GaussianExpectation: x has {len(x)} components, mean is {mean.shape}, factor is {factor.shape}"
            )
        if not f.has(*x):
            return f
        return super().__new__(cls, f, x, mean, factor)

    @property
    def function(self) -> sympy.Expr:
        return self.args[0]

    @property
    def variables(self) -> tuple[sympy.Symbol, ...]:
        return tuple(self.args[1])

    @property
    def bound_symbols(self) -> set[sympy.Symbol]:
        return set(self.variables)

    @property
    def free_symbols(self) -> set[sympy.Basic]:
        inner = self.function.free_symbols - self.bound_symbols
        return inner | self.args[2].free_symbols | self.args[3].free_symbols

    def _eval_is_real(self):
        return self.function.is_real

    def doit(self, **hints):
        f = self.function.doit(**hints) if hints.get("deep", True) else self.function
        x, mean, factor = self.variables, self.args[2], self.args[3]
        z = [sympy.Dummy(f"z{i}", real=True) for i in range(len(x))]
        shifted = mean + factor * sympy.Matrix(z)
        # log of a density is polynomial in x once logs are split, which the assumptions allow.
        g = sympy.expand_log(f.xreplace(dict(zip(x, shifted))), force=False)
        if not g.is_polynomial(*z):
            g = sympy.expand(g)  # exp(x) (exp(-x) + x**2 exp(-x)) is a polynomial only once expanded
            if not g.is_polynomial(*z):
                return self.func(f, x, mean, factor)
        total = sympy.S.Zero
        for powers, coefficient in sympy.Poly(g, *z).terms():  # Poly expands g itself
            moment = sympy.S.One
            for n in powers:
                moment *= 0 if n % 2 else sympy.factorial2(n - 1)
            total += coefficient * moment
        return total

    def _sympystr(self, printer) -> str:
        x, mean, factor = self.variables, self.args[2], self.args[3]
        return (f"E[{printer._print(self.function)}; ({', '.join(map(str, x))}) ~ "
                f"N({printer._print(list(mean))}, L L^T, L={printer._print(factor.tolist())})]")


def expect_matrix(m: sympy.MatrixBase, x, mean, factor) -> sympy.ImmutableMatrix:
    """Entrywise expectation of a matrix-valued function of x."""
    return sympy.ImmutableMatrix(m.shape[0], m.shape[1],
                                 lambda i, j: GaussianExpectation(m[i, j], x, mean, factor))
