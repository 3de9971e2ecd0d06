"""Proved building blocks for derivations of your own: Gaussian normalisation, moments, moment
generating function and entropy, the expectation of a linear function, the Bernoulli
negative log-likelihood and KL in logits, and the identities of sigmoid, softplus, softmax and
log-sum-exp that classification and VAE code relies on.

Each is a one-step derivation (``derive.lemma``) that derive's kernel proves whenever a
derivation that uses it is checked, and recalls from the proof cache after the first time: use
one with ``rules.use(lemmas.gaussian_second_moment)``, or an instance of it at your own symbols,
``rules.use(lemmas.gaussian_second_moment.instance({lemmas.mu: m, lemmas.s: exp(l / 2)}))``,
or start from it with ``origin=``. Their names start with ``lemmas.``, so that none collides
with a derivation of yours. Each one's title states it, and its scope what it holds for.

The symbols they are stated in: ``x`` (the variable of integration), ``mu``, ``t``, ``a``, ``b``,
``c``, ``z`` real; ``s`` positive (a standard deviation); ``p``, ``q`` real probabilities,
stated under the hypotheses 0 < p, q < 1; ``i``, ``j``, ``y`` integer indices running to ``k``,
and ``v`` an indexed family (``v[i]``) of reals. A lemma under hypotheses is usable where yours
imply them (``Derivation(..., assuming=[...])``).
"""

from __future__ import annotations

from sympy import Derivative, E, IndexedBase, Integer, KroneckerDelta, Sum, Symbol, exp, log, pi

from . import rules
from .derivation import lemma
from .gaussian import expectation, normal_pdf

x, mu, t = Symbol("x", real=True), Symbol("mu", real=True), Symbol("t", real=True)
a, b, c, z = (Symbol(name, real=True) for name in "abcz")
s = Symbol("s", positive=True)
i, k = Symbol("i", integer=True), Symbol("k", integer=True, positive=True)
v = IndexedBase("v", real=True)
density = normal_pdf(x, mu, s)  # N(x; mu, s^2)
GAUSSIAN = "every real mu and s > 0: x ~ N(mu, s^2), E the integral against its density"


def _gaussian(name: str, f, result, title: str):
    return lemma(f"lemmas.{name}", expectation(f, x, density), result, rules.evaluate(), title=title,
                 scope=GAUSSIAN)


gaussian_normalisation = _gaussian("gaussian_normalisation", Integer(1), Integer(1), "E[1] = 1: the density integrates to one")
gaussian_mean = _gaussian("gaussian_mean", x, mu, "E[x] = mu")
gaussian_second_central_moment = _gaussian("gaussian_second_central_moment", (x - mu) ** 2, s**2,
                                           "E[(x - mu)^2] = s^2")
gaussian_second_moment = _gaussian("gaussian_second_moment", x**2, mu**2 + s**2, "E[x^2] = mu^2 + s^2")
gaussian_third_moment = _gaussian("gaussian_third_moment", x**3, mu**3 + 3 * mu * s**2, "E[x^3] = mu^3 + 3 mu s^2")
gaussian_fourth_moment = _gaussian("gaussian_fourth_moment", x**4, mu**4 + 6 * mu**2 * s**2 + 3 * s**4,
                                   "E[x^4] = mu^4 + 6 mu^2 s^2 + 3 s^4")
gaussian_linear_expectation = _gaussian("gaussian_linear_expectation", a * x + b, a * mu + b,
                                        "E[a x + b] = a mu + b")
gaussian_mgf = _gaussian("gaussian_mgf", exp(t * x), exp(mu * t + s**2 * t**2 / 2),
                         "E[exp(t x)] = exp(mu t + s^2 t^2 / 2), the moment generating function")
gaussian_entropy = _gaussian("gaussian_entropy", -log(density), log(2 * pi * E * s**2) / 2,
                             "E[-log p(x)] = 1/2 log(2 pi e s^2), the entropy")

ANY = "every real value of its symbols"
sigmoid_symmetry = lemma("lemmas.sigmoid_symmetry", 1 - 1 / (1 + exp(-z)), 1 / (1 + exp(z)), rules.algebra(),
                         title="1 - sigmoid(z) = sigmoid(-z)", scope=ANY)
softplus_symmetry = lemma("lemmas.softplus_symmetry", log(1 + exp(z)) - log(1 + exp(-z)), z, rules.algebra(),
                          title="softplus(z) - softplus(-z) = z", scope=ANY)
softplus_derivative = lemma("lemmas.softplus_derivative", Derivative(log(1 + exp(z)), z), 1 / (1 + exp(-z)),
                            rules.evaluate(), title="d/dz softplus(z) = sigmoid(z)", scope=ANY)
log_sigmoid = lemma("lemmas.log_sigmoid", log(1 / (1 + exp(-z))), -log(1 + exp(-z)), rules.algebra(),
                    title="log sigmoid(z) = -softplus(-z)", scope=ANY)
log_sum_exp_shift = lemma("lemmas.log_sum_exp_shift", log(Sum(exp(v[i]), (i, 1, k))),
                          c + log(Sum(exp(v[i] - c), (i, 1, k))), rules.linearity(),
                          title="log sum_i exp(v_i) = c + log sum_i exp(v_i - c) for every c (c = max v keeps exp finite)",
                          scope="every k >= 1, real v_i and c")

j = Symbol("j", integer=True)
bernoulli_nll_logits = lemma("lemmas.bernoulli_nll_logits", -log(exp(a * z) / (1 + exp(z))), log(1 + exp(z)) - a * z,
                             rules.algebra(), title="-log Bernoulli(a; sigmoid(z)) = softplus(z) - a z, the target a "
                                                    "in {0, 1} (the mass in its logit: exp(a z)/(1 + exp(z)))",
                             scope=ANY)
bernoulli_kl_logits = lemma(
    "lemmas.bernoulli_kl_logits",
    log((1 + exp(-b)) / (1 + exp(-a))) / (1 + exp(-a)) + log((1 + exp(b)) / (1 + exp(a))) / (1 + exp(a)),
    log(1 + exp(b)) - log(1 + exp(a)) + (a - b) / (1 + exp(-a)), rules.algebra(),
    title="KL(Bernoulli(sigmoid(a)) || Bernoulli(sigmoid(b))) = softplus(b) - softplus(a) + sigmoid(a) (a - b)",
    scope=ANY)
p, q = Symbol("p", real=True), Symbol("q", real=True)
UNIT = "0 < p < 1 and 0 < q < 1 (hypotheses)"
bernoulli_kl = lemma("lemmas.bernoulli_kl", p * log(p / q) + (1 - p) * log((1 - p) / (1 - q)),
                     p * log(p) + (1 - p) * log(1 - p) - p * log(q) - (1 - p) * log(1 - q), rules.algebra(),
                     title="KL(Bernoulli(p) || Bernoulli(q)) = negative entropy minus cross-entropy terms",
                     scope=UNIT, assuming=[p > 0, p < 1, q > 0, q < 1])
bernoulli_nll_gradient = lemma("lemmas.bernoulli_nll_gradient", Derivative(-a * log(p) - (1 - a) * log(1 - p), p),
                               (p - a) / (p * (1 - p)), rules.evaluate(),
                               title="d/dp of -log Bernoulli(a; p) = (p - a)/(p (1 - p))",
                               scope="every real a, and 0 < p < 1 (hypotheses)",
                               assuming=[p > 0, p < 1])
y = Symbol("y", integer=True)
softmax_cross_entropy_gradient = lemma(
    "lemmas.softmax_cross_entropy_gradient", Derivative(-log(exp(v[y]) / Sum(exp(v[i]), (i, 1, k))), v[j]),
    exp(v[j]) / Sum(exp(v[i]), (i, 1, k)) - KroneckerDelta(j, y), rules.evaluate(),
    title="d/dv_j of -log softmax(v)_y = softmax(v)_j - [j = y]",
    scope="every k >= 1, real v_i, and 1 <= j, y <= k (hypotheses)", assuming=[1 <= j, j <= k, 1 <= y, y <= k])
softmax_normalisation = lemma("lemmas.softmax_normalisation",
                              Sum(exp(v[i]) / Sum(exp(v[j]), (j, 1, k)), (i, 1, k)), Integer(1), rules.linearity(),
                              title="sum_i softmax(v)_i = 1", scope="every k >= 1 and real v_i")

ALL = (gaussian_normalisation, gaussian_mean, gaussian_second_central_moment, gaussian_second_moment,
       gaussian_third_moment, gaussian_fourth_moment, gaussian_linear_expectation, gaussian_mgf, gaussian_entropy,
       sigmoid_symmetry, softplus_symmetry, softplus_derivative, log_sigmoid, log_sum_exp_shift, bernoulli_nll_logits,
       bernoulli_kl_logits, bernoulli_kl, bernoulli_nll_gradient, softmax_cross_entropy_gradient, softmax_normalisation)

