"""Stage 2: KL(N(mu1, S1) || N(mu2, S2)) for full covariances (docs/derivation.md 2.1 - 2.6).

Matrix identities with a symbolic dimension are beyond sympy, so the derivation is built and
proved for each explicit k in DIMENSIONS, with S1 = L1 L1^T and S2 = L2 L2^T for symbolic
Cholesky factors: every symmetric positive-definite matrix of that size, not only diagonal ones.
"""

from sympy import Rational, log, pi, zeros

from derive import Derivation, lemma, rules
from derive.gaussian import (GaussianExpectation, cholesky_factor, determinant, expect_matrix,
                             mvn_pdf, quadratic_form, vector)

DIMENSIONS = (1, 2, 3)


def build(k: int) -> dict:
    x = vector("x", k, real=True)
    mu1, mu2 = vector("m", k, real=True), vector("n", k, real=True)
    L1, L2 = cholesky_factor("a", k), cholesky_factor("b", k)
    S1, S2 = L1 * L1.T, L2 * L2.T
    S1inv, S2inv = S1.inv(), S2.inv()
    det1, det2 = determinant(S1), determinant(S2)
    d, delta = x - mu1, mu1 - mu2

    def E(f):
        """E_p[f] for p = N(mu1, S1)."""
        return GaussianExpectation(f, x, mu1, L1)

    def EM(m):
        return expect_matrix(m, x, mu1, L1)

    scope = f"k = {k}: all real means and all symmetric positive-definite S1, S2"
    mean = lemma(f"mvn_mean[k={k}]", EM(d), zeros(k, 1), rules.evaluate(), scope=scope,
                 title="E_p[x - mu1] = 0")
    covariance = lemma(f"mvn_covariance[k={k}]", EM(d * d.T), S1, rules.evaluate(), scope=scope,
                       title="2.4 E_p[(x - mu1)(x - mu1)^T] = S1")

    half = Rational(1, 2)
    kl = Derivation(f"kl_multivariate[k={k}]", "KL(N(mu1, S1) || N(mu2, S2)), full covariance",
                    E(log(mvn_pdf(x, mu1, S1)) - log(mvn_pdf(x, mu2, S2))), scope=scope)
    kl.step("2.1", "log of each density: -k/2 log 2pi - 1/2 log|S| - 1/2 (x-mu)^T S^-1 (x-mu)",
            rules.algebra(),
            E((-k * log(2 * pi) / 2 - log(det1) / 2 - quadratic_form(x - mu1, S1inv) / 2)
              - (-k * log(2 * pi) / 2 - log(det2) / 2 - quadratic_form(x - mu2, S2inv) / 2)))
    kl.step("2.2", "linearity: 1/2 log(|S2|/|S1|) - 1/2 E[Q1] + 1/2 E[Q2]", rules.linearity(),
            half * log(det2 / det1) - half * E(quadratic_form(d, S1inv))
            + half * E(quadratic_form(x - mu2, S2inv)))
    kl.step("2.3a", "quadratic form as a trace: a^T A a = tr(A a a^T)", rules.algebra(),
            half * log(det2 / det1) - half * E((S1inv * d * d.T).trace())
            + half * E((S2inv * (x - mu2) * (x - mu2).T).trace()))
    kl.step("2.3b", "E and tr commute (linearity)", rules.linearity(),
            half * log(det2 / det1) - half * (S1inv * EM(d * d.T)).trace()
            + half * (S2inv * EM((x - mu2) * (x - mu2).T)).trace())
    kl.step("2.4", "E[(x-mu1)(x-mu1)^T] = S1, so tr(S1^-1 S1) = tr(I_k) = k", rules.use(covariance),
            half * log(det2 / det1) - Rational(k, 2) + half * (S2inv * EM((x - mu2) * (x - mu2).T)).trace())
    kl.step("2.5a", "x - mu2 = (x - mu1) + (mu1 - mu2), outer product expanded", rules.algebra(),
            half * log(det2 / det1) - Rational(k, 2)
            + half * (S2inv * EM(d * d.T + d * delta.T + delta * d.T + delta * delta.T)).trace())
    kl.step("2.5b", "linearity of expectation", rules.linearity(),
            half * log(det2 / det1) - Rational(k, 2)
            + half * (S2inv * (EM(d * d.T) + EM(d) * delta.T + delta * EM(d).T + delta * delta.T)).trace())
    kl.step("2.5c", "E[x - mu1] = 0 (cross terms vanish), E[(x-mu1)(x-mu1)^T] = S1",
            rules.use(mean, covariance),
            half * log(det2 / det1) - Rational(k, 2)
            + half * ((S2inv * S1).trace() + quadratic_form(delta, S2inv)))
    closed = kl.step("2.6", "log-determinant ratio, trace term, Mahalanobis term", rules.algebra(),
                     half * (log(det2 / det1) - k + (S2inv * S1).trace() + quadratic_form(mu2 - mu1, S2inv)))

    direct = Derivation(f"kl_multivariate_direct[k={k}]", "2.6 equals the expectation taken outright",
                        kl.start, scope=scope)
    direct.step("2.6*", "take E_p[log p - log q] outright by the Gaussian moments", rules.evaluate(), closed)
    return {"kl": kl, "x": x, "mu1": mu1, "mu2": mu2, "L1": L1, "L2": L2, "S1": S1, "S2": S2}


derivations = {k: build(k) for k in DIMENSIONS}
