"""Stage 1: KL(N(mu1, s1^2) || N(mu2, s2^2)) in closed form (docs/derivation.md 1.1 - 1.6)."""

from sympy import Integer, Lambda, Rational, Symbol, log, pi, symbols

import gaussian_moments as moments
import stage0_definition as stage0
from derive import Derivation, rules
from derive.gaussian import expectation, normal_pdf

x = Symbol("x", real=True)
mu1, mu2 = symbols("mu1 mu2", real=True)
s1, s2 = symbols("s1 s2", positive=True)
p = normal_pdf(x, mu1, s1)
q = normal_pdf(x, mu2, s2)


def E(f):
    """E_p[f] for p = N(mu1, s1^2)."""
    return expectation(f, x, p)


densities = stage0.kl_definition.instance({stage0.p: Lambda(x, p), stage0.q: Lambda(x, q)})
moments_under_p = [lemma.instance({moments.mu: mu1, moments.s: s1}) for lemma in
                   (moments.normalisation, moments.first_central_moment, moments.second_central_moment)]
scope = "all real mu1, mu2 and positive s1, s2"

# Starts from 0.1 with the two Gaussian densities substituted: proves definition == closed form.
kl_univariate = Derivation("kl_univariate", "KL(N(mu1, s1^2) || N(mu2, s2^2))", origin=densities, scope=scope)
kl = kl_univariate.step(
    "1.1", "log of each density: -1/2 log(2 pi s^2) - (x - mu)^2 / (2 s^2)", rules.algebra(),
    E((-log(2 * pi * s1**2) / 2 - (x - mu1) ** 2 / (2 * s1**2))
      - (-log(2 * pi * s2**2) / 2 - (x - mu2) ** 2 / (2 * s2**2))))
kl = kl_univariate.step(
    "1.2", "log p - log q = log(s2/s1) - (x-mu1)^2/(2 s1^2) + (x-mu2)^2/(2 s2^2)", rules.algebra(),
    E(log(s2 / s1) - (x - mu1) ** 2 / (2 * s1**2) + (x - mu2) ** 2 / (2 * s2**2)))
kl = kl_univariate.step(
    "1.3", "linearity of expectation", rules.linearity(),
    log(s2 / s1) * E(Integer(1)) - E((x - mu1) ** 2) / (2 * s1**2) + E((x - mu2) ** 2) / (2 * s2**2))
kl = kl_univariate.step(
    "1.4", "E_p[1] = 1 and E_p[(x - mu1)^2] = s1^2", rules.use(*moments_under_p),
    log(s2 / s1) - Rational(1, 2) + E((x - mu2) ** 2) / (2 * s2**2))
kl = kl_univariate.step(
    "1.5a", "x - mu2 = (x - mu1) + (mu1 - mu2), square expanded", rules.algebra(),
    log(s2 / s1) - Rational(1, 2)
    + E((x - mu1) ** 2 + 2 * (mu1 - mu2) * (x - mu1) + (mu1 - mu2) ** 2) / (2 * s2**2))
kl = kl_univariate.step(
    "1.5b", "linearity of expectation", rules.linearity(),
    log(s2 / s1) - Rational(1, 2)
    + (E((x - mu1) ** 2) + 2 * (mu1 - mu2) * E(x - mu1) + (mu1 - mu2) ** 2 * E(Integer(1))) / (2 * s2**2))
kl = kl_univariate.step(
    "1.5c", "moments under p: the cross term vanishes, E_p[(x-mu2)^2] = s1^2 + (mu1-mu2)^2",
    rules.use(*moments_under_p),
    log(s2 / s1) - Rational(1, 2) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2))
closed_form = kl_univariate.step(
    "1.6", "closed form", rules.algebra(),
    log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - Rational(1, 2))

kl_univariate_direct = Derivation(
    "kl_univariate_direct", "the closed form equals the direct integral of the definition",
    densities.start, scope=scope)
kl_univariate_direct.step("1.6*", "integrate p log(p/q) over the real line outright", rules.evaluate(),
                          closed_form)
