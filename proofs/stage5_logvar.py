"""Stage 5: the log-variance form used in VAE code, its gradients, and the general kernel form
(docs/derivation.md 5.1 - 5.3). l_i = log s_i^2, so s_i = exp(l_i / 2) for every real l_i."""

from sympy import Derivative, ImmutableMatrix, IndexedBase, Integer, Lambda, Rational, Sum, Symbol, exp

import stage3_diagonal as stage3
import stage4_standard_normal as stage4
from derive import Derivation, export, rules

i, k = stage3.i, stage3.k
mu1, mu2 = stage3.mu1, stage3.mu2
l1, l2 = IndexedBase("l1", real=True), IndexedBase("l2", real=True)
scope = "all dimensions k >= 1 (symbolic k)"


def kl_logvar_sum(upper):
    """5.1: -1/2 sum_i (1 + l_i - mu_i^2 - exp(l_i))."""
    return -Rational(1, 2) * Sum(1 + l1[i] - mu1[i] ** 2 - exp(l1[i]), (i, 1, upper))


def g(d):
    """exp(d) - 1 - d: >= 0, and 0 only at d = 0."""
    return exp(d) - 1 - d


kl_logvar = Derivation(
    "kl_logvar", "KL(N(mu, diag(exp(l))) || N(0, I)) in log-variances",
    origin=stage4.kl_standard_normal.instance({stage3.s1: Lambda(i, exp(l1[i] / 2))}), scope=scope)
kl_logvar.step("5.1", "s_i^2 = exp(l_i): KL = -1/2 sum_i (1 + l_i - mu_i^2 - exp(l_i))", rules.linearity(),
               kl_logvar_sum(k))

kl_logvar_general = Derivation(
    "kl_logvar_general", "KL(N(mu1, diag(exp(l1))) || N(mu2, diag(exp(l2)))) in log-variances",
    origin=stage3.kl_diagonal.instance({stage3.s1: Lambda(i, exp(l1[i] / 2)),
                                        stage3.s2: Lambda(i, exp(l2[i] / 2))}), scope=scope)
kl_logvar_general.step(
    "5.3", "per dimension 1/2 [g(l1 - l2) + (mu1 - mu2)^2 exp(-l2)], g(d) = exp(d) - 1 - d", rules.algebra(),
    Rational(1, 2) * Sum(g(l1[i] - l2[i]) + (mu1[i] - mu2[i]) ** 2 * exp(-l2[i]), (i, 1, k)))

prior_case = Derivation(
    "kl_logvar_general_at_prior", "5.3 with mu2 = 0, l2 = 0 is 5.1 again",
    origin=kl_logvar_general.instance({mu2: Lambda(i, Integer(0)), l2: Lambda(i, Integer(0))}), scope=scope)
prior_case.step("5.3=5.1", "g(l) + mu^2 = exp(l) - 1 - l + mu^2, -1/2 out of the sum", rules.linearity(),
                kl_logvar_sum(k))

mu, l = Symbol("mu", real=True), Symbol("l", real=True)
term = -Rational(1, 2) * (1 + l - mu**2 - exp(l))
grad_mu = Derivation("kl_logvar_grad_mu", "dKL/dmu_i for one dimension's term", Derivative(term, mu),
                     scope="every dimension i (the sum is separable)")
grad_mu.step("5.2", "dKL/dmu_i = mu_i", rules.evaluate(), mu)
grad_l = Derivation("kl_logvar_grad_logvar", "dKL/dl_i for one dimension's term", Derivative(term, l),
                    scope="every dimension i (the sum is separable)")
grad_l.step("5.2", "dKL/dl_i = 1/2 (exp(l_i) - 1)", rules.evaluate(), (exp(l) - 1) / 2)

for n in (1, 2, 3):
    total = kl_logvar_sum(n)
    js = range(1, n + 1)
    gradient = Derivation(
        f"kl_logvar_gradient[k={n}]", "the whole gradient of 5.1 with respect to mu and l",
        ImmutableMatrix([Derivative(total, mu1[j]) for j in js] + [Derivative(total, l1[j]) for j in js]),
        scope=f"k = {n}")
    gradient.step("5.2", "(mu_1 .. mu_k, 1/2 (exp(l_1) - 1) .. 1/2 (exp(l_k) - 1))", rules.evaluate(),
                  ImmutableMatrix([mu1[j] for j in js] + [(exp(l1[j]) - 1) / 2 for j in js]))

mean_term, variance_term = Sum(mu1[i] ** 2 / 2, (i, 1, k)), Sum(g(l1[i]) / 2, (i, 1, k))
kl_logvar_terms = Derivation("kl_logvar_terms", "5.1 as the paper's mean term and variance term",
                             origin=kl_logvar, scope=scope)
kl_logvar_terms.step("terms", "KL = sum_i 1/2 mu_i^2 + sum_i 1/2 (exp(l_i) - 1 - l_i)", rules.linearity(),
                     mean_term + variance_term)

# The kernels that `derive codegen` generates from these proved results.
export("kl_standard_normal", kl_logvar, index=i, arguments={mu1: "mu", l1: "logvar"},
       summary="KL(N(mu, diag(exp(logvar))) || N(0, I)), the VAE's KL term (docs/derivation.md 5.1)")
export("kl_diagonal", kl_logvar_general, index=i,
       arguments={mu1: "mu1", l1: "logvar1", mu2: "mu2", l2: "logvar2"},
       summary="KL(N(mu1, diag(exp(logvar1))) || N(mu2, diag(exp(logvar2)))) (docs/derivation.md 5.3)")
export("kl_mean_term", kl_logvar_terms, index=i, arguments={mu1: "mu"}, term=mean_term,
       summary="the mean term of 5.1, 1/2 mu^2: pulls every posterior mean to 0")
export("kl_variance_term", kl_logvar_terms, index=i, arguments={l1: "logvar"}, term=variance_term,
       summary="the variance term of 5.1, 1/2 (exp(logvar) - 1 - logvar): >= 0, 0 only at variance 1")
