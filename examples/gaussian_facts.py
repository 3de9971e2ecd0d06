"""Facts about one Gaussian that ML code leans on, each from the integral definition of the
expectation (derive.gaussian.expectation: the integral of the density times f over the real line):
the entropy, the moment generating function, the reparameterisation z = mu + s e, and the second
moment of a sum of two independent Gaussians."""

from sympy import E, Integral, Rational, Symbol, exp, log, oo, pi, sqrt
from sympy.stats import E as expected, Normal

from derive import Derivation, rules
from derive.gaussian import expectation, normal_pdf

x = Symbol("x", real=True)
mu, t = Symbol("mu", real=True), Symbol("t", real=True)
s = Symbol("s", positive=True)  # a standard deviation: log(s**2) = 2 log(s) needs s > 0
p = normal_pdf(x, mu, s)

# H[N(mu, s^2)] = -E[log p(x)] = 1/2 log(2 pi e s^2): the log of the density is a polynomial in x
# once split (algebra), and its expectation is two moments (evaluate).
entropy = Derivation("gaussian_entropy", "the entropy of N(mu, s^2)", expectation(-log(p), x, p))
entropy.step("log", "-log p(x) = 1/2 log(2 pi s^2) + (x - mu)^2 / (2 s^2)", rules.algebra(),
             expectation(log(2 * pi * s**2) / 2 + (x - mu) ** 2 / (2 * s**2), x, p))
entropy.step("moments", "E[1] = 1 and E[(x - mu)^2] = s^2", rules.evaluate(), log(2 * pi * s**2) / 2 + Rational(1, 2))
entropy.step("closed form", "1/2 log(2 pi e s^2)", rules.algebra(), log(2 * pi * E * s**2) / 2)

# M(t) = E[exp(t x)] = exp(mu t + s^2 t^2 / 2), the moment generating function.
mgf = Derivation("gaussian_mgf", "the moment generating function of N(mu, s^2)", expectation(exp(t * x), x, p))
mgf.step("evaluate", "complete the square in the exponent", rules.evaluate(), exp(mu * t + s**2 * t**2 / 2))

# The reparameterisation trick: z = mu + s e with e ~ N(0, 1) has the moments of N(mu, s^2). Written
# with sympy.stats (unevaluated E of a Normal is derive's expectation).
z, e = Normal("z", mu, s), Normal("e", 0, 1)
reparameterised = Derivation("reparameterisation", "E[z^2] for z ~ N(mu, s^2) through z = mu + s e",
                             expected(z**2, evaluate=False))
reparameterised.step("moments of z", "mu^2 + s^2", rules.evaluate(), mu**2 + s**2)
reparameterised.step("as e", "the same moments from e ~ N(0, 1), z = mu + s e", rules.evaluate(),
                     expected((mu + s * e) ** 2, evaluate=False))

# Independent x ~ N(mu, s^2) and y ~ N(0, 1): E[(x + y)^2] = mu^2 + s^2 + 1. The expectation over
# both is a double integral of the joint density; the numeric witness evaluates it by nested
# quadrature (the inner integral at each node of the outer one).
y = Symbol("y", real=True)
two = Derivation("sum_of_independent_gaussians", "E[(x + y)^2] for independent x ~ N(mu, s^2) and y ~ N(0, 1)",
                 Integral((x + y) ** 2 * p * normal_pdf(y, 0, 1), (x, -oo, oo), (y, -oo, oo)))
two.step("moments", "E[x^2] + 2 E[x] E[y] + E[y^2], with E[y] = 0", rules.evaluate(), mu**2 + s**2 + 1)
