"""The operators and functions whose definitions the kernel trusts.

``expm1mx(x) = exp(x) - 1 - x`` (with sympy's ``expm1(x) = exp(x) - 1`` from
``sympy.codegen.cfunctions``) and ``GaussianExpectation``, the k-dimensional Gaussian expectation.
Their definitions are axioms of derive: a wrong ``doit`` or ``evalf`` here could mislead both
witnesses, so they live inside the kernel package and are as short as they can be.
"""

from __future__ import annotations

import mpmath
import sympy
from sympy.codegen.cfunctions import expm1

__all__ = ["GaussianExpectation", "expm1", "expm1mx"]


class expm1mx(sympy.Function):  # noqa: N801 - named like sympy's functions
    """exp(x) - 1 - x: >= 0 for real x, 0 only at x = 0, about x**2/2 near 0."""

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return sympy.S.Zero
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sympy.ArgumentIndexError(self, argindex)
        return expm1(self.args[0])

    def _eval_expand_func(self, **hints):
        return self._eval_rewrite_as_exp(self.args[0])

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return sympy.exp(arg) - 1 - arg

    def _eval_evalf(self, prec):
        arg = self.args[0]._eval_evalf(prec + 10)
        if arg is None or not arg.is_Float:
            return None
        with mpmath.workprec(prec + 10):
            x = mpmath.mpf(arg)
            if abs(x) >= 0.5:
                value = mpmath.expm1(x) - x  # loses at most a few bits here, within the 10 spare
            else:
                # exp(x) - 1 - x cancels near 0 whatever the precision: sum the series instead.
                value, term, n = mpmath.mpf(0), x, 1
                while True:
                    n += 1
                    term = term * x / n
                    value += term
                    if abs(term) <= abs(value) * mpmath.eps:
                        break
        return sympy.Float(value, precision=prec)

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_is_finite(self):
        return self.args[0].is_finite

    def _eval_is_extended_nonnegative(self):
        if self.args[0].is_extended_real:
            return True
        return None


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
