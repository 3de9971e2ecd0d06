"""Identities of logits that classification and VAE code relies on: the log-sum-exp shift that
keeps exp from overflowing, the gradient of softmax cross-entropy, the softplus and sigmoid
symmetries, and the KL between two categorical distributions as cross-entropy minus entropy."""

from sympy import Derivative, IndexedBase, Matrix, Sum, Symbol, exp, log

from derive import Derivation, rules

i, k = Symbol("i", integer=True), Symbol("k", integer=True, positive=True)
a = IndexedBase("a", real=True)
c, z = Symbol("c", real=True), Symbol("z", real=True)

# log sum_i exp(a_i) = c + log sum_i exp(a_i - c) for every c: code takes c = max_i a_i, so that no
# exp overflows.
lse = Derivation("log_sum_exp_shift", "log-sum-exp is unchanged by a shift c", log(Sum(exp(a[i]), (i, 1, k))))
lse.step("factor", "exp(a_i) = exp(c) exp(a_i - c), and exp(c) leaves the sum", rules.linearity(),
         log(exp(c) * Sum(exp(a[i] - c), (i, 1, k))))
lse.step("log", "log(exp(c) S) = c + log S", rules.algebra(), c + log(Sum(exp(a[i] - c), (i, 1, k))))

# softplus(z) = log(1 + exp(z)) and sigmoid(z) = 1/(1 + exp(-z)).
softplus_symmetry = Derivation("softplus_symmetry", "softplus(z) - softplus(-z) = z",
                               log(1 + exp(z)) - log(1 + exp(-z)))
softplus_symmetry.step("1", "log((1 + e^z)/(1 + e^-z)) = log(e^z)", rules.algebra(), z)
sigmoid_derivative = Derivation("softplus_derivative", "d/dz softplus(z) = sigmoid(z)",
                                Derivative(log(1 + exp(z)), z))
sigmoid_derivative.step("1", "e^z/(1 + e^z) = 1/(1 + e^-z)", rules.evaluate(), 1 / (1 + exp(-z)))
sigmoid_symmetry = Derivation("sigmoid_symmetry", "1 - sigmoid(z) = sigmoid(-z)", 1 - 1 / (1 + exp(-z)))
sigmoid_symmetry.step("1", "e^-z/(1 + e^-z) = 1/(1 + e^z)", rules.algebra(), 1 / (1 + exp(z)))

# Cross-entropy of softmax(l) against the class y of 3, and its gradient: softmax(l) - onehot(y).
l1, l2, l3 = (Symbol(f"l{n}", real=True) for n in (1, 2, 3))
total = exp(l1) + exp(l2) + exp(l3)
cross_entropy = -log(exp(l1) / total)  # the class y = 1
gradient = Derivation("softmax_cross_entropy_gradient", "d/dl of -log softmax(l)_1, three classes",
                      Matrix([Derivative(cross_entropy, l) for l in (l1, l2, l3)]))
gradient.step("1", "softmax(l) - onehot(1)", rules.evaluate(),
              Matrix([exp(l1) / total - 1, exp(l2) / total, exp(l3) / total]))

# KL(p || q) between categorical distributions of 3 classes (probabilities p_j, q_j > 0 that sum to
# one: the KL's algebra does not need that they do) is cross-entropy minus entropy.
p = [Symbol(f"p{n}", positive=True) for n in (1, 2, 3)]
q = [Symbol(f"q{n}", positive=True) for n in (1, 2, 3)]
kl = Derivation("categorical_kl", "KL(p || q) of categorical distributions, 3 classes",
                sum(pj * log(pj / qj) for pj, qj in zip(p, q)))
kl.step("split", "log(p/q) = log p - log q", rules.algebra(),
        -sum(pj * log(qj) for pj, qj in zip(p, q)) - (-sum(pj * log(pj) for pj in p)))
