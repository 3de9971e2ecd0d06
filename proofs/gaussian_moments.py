"""Moments of a Gaussian, from the integral definition of expectation.

docs/derivation.md 1.4: E_p[1] = 1 (normalisation), E_p[x - mu] = 0, E_p[(x - mu)^2] = s^2; the standard
normal moments E[z^n] = (n-1)!! that define the k-dimensional expectation operator; and a check
that this operator agrees with the integral definition in one dimension.
"""

from sympy import Integer, Symbol, factorial2, symbols

from derive import lemma, rules
from derive.gaussian import GaussianExpectation, expectation, normal_pdf

x = Symbol("x", real=True)
mu = Symbol("mu", real=True)
s = Symbol("s", positive=True)
p = normal_pdf(x, mu, s)

normalisation = lemma("gaussian_normalisation", expectation(Integer(1), x, p), Integer(1),
                      rules.evaluate(), title="1.4 E_p[1] = 1: the density integrates to one")
first_central_moment = lemma("gaussian_first_central_moment", expectation(x - mu, x, p), Integer(0),
                             rules.evaluate(), title="1.4 E_p[x - mu] = 0")
second_central_moment = lemma("gaussian_second_central_moment", expectation((x - mu) ** 2, x, p), s**2,
                              rules.evaluate(), title="1.4 E_p[(x - mu)^2] = s^2")

z = Symbol("z", real=True)
standard_normal = normal_pdf(z, 0, 1)
for n in range(1, 7):
    lemma(f"standard_normal_moment_{n}", expectation(z**n, z, standard_normal),
          factorial2(n - 1) if n % 2 == 0 else Integer(0), rules.evaluate(),
          title=f"E[z^{n}] = {'(n-1)!!' if n % 2 == 0 else '0'} for z ~ N(0, 1)")

coefficients = symbols("a0:5", real=True)
polynomial = sum(a * x**n for n, a in enumerate(coefficients))
lemma("expectation_operator_agrees", GaussianExpectation(polynomial, [x], [mu], [[s]]),
      expectation(polynomial, x, p), rules.evaluate(),
      title="E over N(mu, s^2) by x = mu + s z equals the integral, for every polynomial of degree <= 4")
