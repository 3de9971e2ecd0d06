"""The product of two Gaussian densities and the KL between two Bernoulli distributions given by
their logits: what a Gaussian posterior update and a binary latent's KL compute."""

from sympy import Symbol, exp, log, pi, sqrt

from derive import Derivation, lemma, rules
from derive.gaussian import normal_pdf

x = Symbol("x", real=True)

# N(x; a, A) N(x; b, B) = N(a; b, A + B) N(x; c, C), C = AB/(A + B), c = (aB + bA)/(A + B), with the
# variances A, B: the product of two Gaussian likelihoods is a Gaussian in x times a constant.
a, b = Symbol("a", real=True), Symbol("b", real=True)
A, B = Symbol("A", positive=True), Symbol("B", positive=True)
C, c = A * B / (A + B), (a * B + b * A) / (A + B)
product = Derivation("gaussian_product", "the product of two Gaussian densities in x",
                     normal_pdf(x, a, sqrt(A)) * normal_pdf(x, b, sqrt(B)))
product.step("one exponent", "exp(p) exp(q) = exp(p + q)", rules.algebra(),
             exp(-(x - a) ** 2 / (2 * A) - (x - b) ** 2 / (2 * B)) / (2 * pi * sqrt(A * B)))
# Completing the square is an identity of rational functions, which algebra proves outside exp;
# the step inside exp then uses it as a lemma.
square = lemma("completing_the_square", -(x - a) ** 2 / (2 * A) - (x - b) ** 2 / (2 * B),
               -(a - b) ** 2 / (2 * (A + B)) - (x - c) ** 2 / (2 * C), rules.algebra(),
               title="-(x-a)^2/2A - (x-b)^2/2B = -(a-b)^2/2(A+B) - (x-c)^2/2C")
product.step("complete the square", "the exponent, by the lemma", rules.use(square),
             exp(-(a - b) ** 2 / (2 * (A + B)) - (x - c) ** 2 / (2 * C)) / (2 * pi * sqrt(A * B)))
product.step("two densities", "a Gaussian in x around c with variance C, times N(a; b, A + B)",
             rules.algebra(), normal_pdf(a, b, sqrt(A + B)) * normal_pdf(x, c, sqrt(C)))

# KL(Bernoulli(sigmoid(u)) || Bernoulli(sigmoid(v))) in the logits u, v. The probabilities are
# sigmoid(u) and sigmoid(-u) = 1 - sigmoid(u), written so (the numeric witness would meet 1 - 1 at
# u = 10^6 in 1 - sigmoid(u)).
u, v = Symbol("u", real=True), Symbol("v", real=True)


def sigmoid(t):
    return 1 / (1 + exp(-t))


kl = Derivation("bernoulli_kl_logits", "KL between Bernoulli distributions given by logits",
                sigmoid(u) * log(sigmoid(u) / sigmoid(v)) + sigmoid(-u) * log(sigmoid(-u) / sigmoid(-v)))
kl.step("softplus form", "softplus(v) - softplus(u) + sigmoid(u) (u - v)", rules.algebra(),
        log(1 + exp(v)) - log(1 + exp(u)) + sigmoid(u) * (u - v))
