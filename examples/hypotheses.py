"""Derivations under hypotheses: relations sympy's symbol assumptions cannot say (0 < p < 1,
1 <= j <= k). ``Derivation(..., assuming=[...])`` states them; the kernel checks every step
for every value they allow (it substitutes a parameterisation that covers exactly those values,
p = t/(1 + t) with t > 0, and says which in the report), and a lemma or origin with hypotheses
of its own is used only where the derivation's imply them."""

from sympy import Derivative, IndexedBase, KroneckerDelta, Rational, Sum, Symbol, exp, log

from derive import Derivation, lemmas, rules

p, q, a = Symbol("p", real=True), Symbol("q", real=True), Symbol("a", real=True)

# KL(Bernoulli(p) || Bernoulli(q)) in probabilities. Splitting log((1 - p)/(1 - q)) needs 1 - p
# and 1 - q positive, which only the hypotheses p, q < 1 say.
kl = Derivation("bernoulli_kl", "KL(Bernoulli(p) || Bernoulli(q)), 0 < p, q < 1",
                p * log(p / q) + (1 - p) * log((1 - p) / (1 - q)), assuming=[p > 0, p < 1, q > 0, q < 1])
kl.step("split", "log(u/v) = log u - log v, each argument positive", rules.algebra(),
        p * log(p) + (1 - p) * log(1 - p) - p * log(q) - (1 - p) * log(1 - q))
kl.step("cross_entropy", "negative entropy minus cross-entropy", rules.algebra(),
        (p * log(p) + (1 - p) * log(1 - p)) - (p * log(q) + (1 - p) * log(1 - q)))

# The gradient of the Bernoulli negative log-likelihood in p, through the library's lemma (stated
# in the same symbols a and p, proved under 0 < p < 1): here p is narrower, 1/100 < p < 99/100,
# which implies the lemma's hypotheses.
nll = -a * log(p) - (1 - a) * log(1 - p)
gradient = Derivation("bernoulli_nll_gradient", "d/dp of -log Bernoulli(a; p), 1/100 < p < 99/100",
                      Derivative(nll, p), assuming=[p > Rational(1, 100), p < Rational(99, 100)])
gradient.step("lemma", "the library's gradient at a and p",
              rules.use(lemmas.bernoulli_nll_gradient),
              (p - a) / (p * (1 - p)))
gradient.step("partial_fractions", "(p - a)/(p (1 - p)) = (1 - a)/(1 - p) - a/p", rules.algebra(),
              (1 - a) / (1 - p) - a / p)

# The softmax cross-entropy gradient for any number of classes k and any classes 1 <= j, y <= k.
# The derivative of the sum over i in l_j is the sum of [i = j] exp(l_i), which is exp(l_j) only
# because j lies in 1..k: without the hypotheses the step is unknown.
i, j, y = (Symbol(name, integer=True) for name in "ijy")
k = Symbol("k", integer=True, positive=True)
l = IndexedBase("l", real=True)
total = Sum(exp(l[i]), (i, 1, k))
softmax_gradient = Derivation("softmax_cross_entropy_gradient_any_k",
                              "d/dl_j of -log softmax(l)_y, any k and 1 <= j, y <= k",
                              Derivative(-log(exp(l[y]) / total), l[j]), assuming=[1 <= j, j <= k, 1 <= y, y <= k])
softmax_gradient.step("1", "softmax(l)_j - [j = y]", rules.evaluate(), exp(l[j]) / total - KroneckerDelta(j, y))
