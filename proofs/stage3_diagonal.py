"""Stage 3: diagonal covariances (docs/derivation.md 3.1 - 3.3).

Two routes meet at the sum form 3.2:
* for each explicit k: stage 2's full-covariance result with diagonal Cholesky factors (3.1, 3.2);
* for a symbolic dimension k: the sum of k univariate KLs (stage 1, one per dimension) is 3.2 (3.3).
"""

from sympy import Integer, IndexedBase, Mul, Rational, Sum, Symbol, log

import stage1_univariate as stage1
import stage2_multivariate as stage2
from derive import Derivation, rules

i = Symbol("i", integer=True, positive=True)
k = Symbol("k", integer=True, positive=True)
mu1, mu2 = IndexedBase("mu1", real=True), IndexedBase("mu2", real=True)
s1, s2 = IndexedBase("s1", positive=True), IndexedBase("s2", positive=True)


def diagonal_kl(upper):
    """3.2: 1/2 sum_i [log(s2_i^2/s1_i^2) - 1 + s1_i^2/s2_i^2 + (mu2_i - mu1_i)^2/s2_i^2]."""
    return Rational(1, 2) * Sum(log(s2[i] ** 2 / s1[i] ** 2) - 1 + s1[i] ** 2 / s2[i] ** 2
                                + (mu2[i] - mu1[i]) ** 2 / s2[i] ** 2, (i, 1, upper))


def diagonal_instance(k_explicit: int):
    """Stage 2 at dimension k with S1 = diag(s1_i^2), S2 = diag(s2_i^2)."""
    parts = stage2.derivations[k_explicit]
    mapping = {}
    for factor, scale in ((parts["L1"], s1), (parts["L2"], s2)):
        for r in range(k_explicit):
            for c in range(r + 1):
                mapping[factor[r, c]] = scale[r + 1] if r == c else Integer(0)
    for vec, base in ((parts["mu1"], mu1), (parts["mu2"], mu2)):
        mapping.update({vec[r]: base[r + 1] for r in range(k_explicit)})
    return parts["kl"].instance(mapping)


for n in stage2.DIMENSIONS:
    js = range(1, n + 1)
    d = Derivation(f"kl_diagonal_matrix[k={n}]", "KL between diagonal Gaussians from the full-covariance result",
                   origin=diagonal_instance(n), scope=f"k = {n}: all real means, positive scales")
    d.step("3.1", "|S| = prod s_i^2, tr(S2^-1 S1) = sum s1_i^2/s2_i^2, Mahalanobis = sum (mu2_i-mu1_i)^2/s2_i^2",
           rules.algebra(),
           Rational(1, 2) * (log(Mul(*(s2[j] ** 2 for j in js)) / Mul(*(s1[j] ** 2 for j in js))) - n
                             + sum(s1[j] ** 2 / s2[j] ** 2 for j in js)
                             + sum((mu2[j] - mu1[j]) ** 2 / s2[j] ** 2 for j in js)))
    d.step("3.2", "one sum over the dimensions", rules.evaluate(), diagonal_kl(n))

per_dimension = stage1.kl_univariate.instance({stage1.mu1: mu1[i], stage1.mu2: mu2[i],
                                               stage1.s1: s1[i], stage1.s2: s2[i]})
kl_diagonal = Derivation("kl_diagonal", "sum of k univariate KLs between N(mu1_i, s1_i^2) and N(mu2_i, s2_i^2)",
                         Sum(per_dimension.start, (i, 1, k)), scope="all dimensions k >= 1 (symbolic k)")
kl_diagonal.step("3.3a", "each dimension's KL in closed form (stage 1)", rules.use(per_dimension),
                 Sum(per_dimension.result, (i, 1, k)))
kl_diagonal.step("3.3b", "= 3.2: KL of a product of independent Gaussians is the sum (1/2 out of the sum)",
                 rules.linearity(),
                 diagonal_kl(k))
