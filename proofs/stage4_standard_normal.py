"""Stage 4: the standard normal prior q = N(0, I_k) of every VAE (docs/derivation.md 4.1, 4.2)."""

from sympy import Integer, Lambda, Rational, Sum, log

import stage2_multivariate as stage2
import stage3_diagonal as stage3
from derive import Derivation, rules
from derive.gaussian import determinant

for n in stage2.DIMENSIONS:
    parts = stage2.derivations[n]
    L2, mu2 = parts["L2"], parts["mu2"]
    prior = {L2[r, c]: Integer(1 if r == c else 0) for r in range(n) for c in range(r + 1)}
    prior.update({mu2[r]: Integer(0) for r in range(n)})
    S, mu = parts["S1"], parts["mu1"]
    d = Derivation(f"kl_standard_normal_full[k={n}]", "KL(N(mu, S) || N(0, I)), full covariance",
                   origin=parts["kl"].instance(prior), scope=f"k = {n}: all real means, all SPD S")
    d.step("4.1", "the paper's final formula: 1/2 (tr S + mu^T mu - k - log|S|)", rules.algebra(),
           Rational(1, 2) * (S.trace() + (mu.T * mu)[0, 0] - n - log(determinant(S))))

i, k, mu1, s1 = stage3.i, stage3.k, stage3.mu1, stage3.s1
kl_standard_normal = Derivation(
    "kl_standard_normal", "KL(N(mu, diag(s^2)) || N(0, I)), diagonal",
    origin=stage3.kl_diagonal.instance({stage3.mu2: Lambda(i, Integer(0)), stage3.s2: Lambda(i, Integer(1))}),
    scope="all dimensions k >= 1 (symbolic k)")
kl_standard_normal.step("4.2", "diagonal: 1/2 sum_i (s_i^2 + mu_i^2 - 1 - log s_i^2)", rules.algebra(),
                        Rational(1, 2) * Sum(s1[i] ** 2 + mu1[i] ** 2 - 1 - log(s1[i] ** 2), (i, 1, k)))
