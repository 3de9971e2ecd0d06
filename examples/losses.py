"""Reconstruction losses of a VAE's decoder as kernels: the Gaussian negative log-likelihood in
log-variances and the Bernoulli negative log-likelihood of logits (binary cross-entropy). Each
starts from the density it is the negative log of, is proved step by step, and is exported, so
that `derive codegen --target torch --out kernels/ examples/losses.py` generates it."""

from sympy import IndexedBase, Sum, Symbol, exp, log, pi, sqrt

from derive import Derivation, export, rules

i, k = Symbol("i", integer=True), Symbol("k", integer=True, positive=True)
x, mu, l, z = (IndexedBase(name, real=True) for name in ("x", "mu", "l", "z"))
scope = "all dimensions k >= 1 (symbolic k)"

# -log N(x_i; mu_i, exp(l_i)), summed over the dimensions.
density = exp(-(x[i] - mu[i]) ** 2 / (2 * exp(l[i]))) / sqrt(2 * pi * exp(l[i]))
gaussian_nll = Derivation("gaussian_nll", "-log N(x; mu, diag(exp(l))) in log-variances",
                          Sum(-log(density), (i, 1, k)), scope=scope)
gaussian_nll.step("log", "the log of the density: 1/2 (log(2 pi) + l_i + (x_i - mu_i)^2 exp(-l_i))", rules.algebra(),
                  Sum((log(2 * pi) + l[i] + (x[i] - mu[i]) ** 2 * exp(-l[i])) / 2, (i, 1, k)))

# The Bernoulli mass sigmoid(z)^x (1 - sigmoid(z))^(1 - x), sigmoid(z) = 1/(1 + exp(-z)), in its
# natural parameter z (the logit): exp(x z) / (1 + exp(z)). Written with 1 - sigmoid(z), the
# numeric witness meets 1 - 1 at z = 10^6 and cannot decide the step.
mass = exp(x[i] * z[i]) / (1 + exp(z[i]))
bernoulli_nll = Derivation("bernoulli_nll", "-log Bernoulli(x; sigmoid(z)), z the logits",
                           Sum(-log(mass), (i, 1, k)), scope=scope)
bernoulli_nll.step("softplus", "-log(exp(x z) / (1 + exp(z))) = log(1 + exp(z)) - x z", rules.algebra(),
                   Sum(log(1 + exp(z[i])) - x[i] * z[i], (i, 1, k)))

export("gaussian_nll", gaussian_nll, index=i, arguments={x: "x", mu: "mu", l: "logvar"},
       summary="-log N(x; mu, diag(exp(logvar))), the Gaussian decoder's loss")
export("bernoulli_nll", bernoulli_nll, index=i, arguments={x: "x", z: "logits"},
       summary="-log Bernoulli(x; sigmoid(logits)), binary cross-entropy of logits")
