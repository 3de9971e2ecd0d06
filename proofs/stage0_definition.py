"""Stage 0: the definition. KL(p || q) = integral of p log(p/q) = E_p[log p - log q] (docs/derivation.md 0.1).

p and q are any positive densities: undefined functions declared positive, so the result can
be instantiated with any positive densities (stage 1 does, with two Gaussians).
"""

from sympy import Function, Integral, Symbol, log, oo

from derive import Derivation, rules
from derive.gaussian import expectation

x = Symbol("x", real=True)
p = Function("p", positive=True)
q = Function("q", positive=True)

kl_definition = Derivation(
    "kl_definition", "KL(p || q) for positive densities p, q",
    Integral(p(x) * log(p(x) / q(x)), (x, -oo, oo)),
    scope="all positive functions p, q",
)
kl_definition.step("0.1", "log of a quotient: KL = E_p[log p(x) - log q(x)]", rules.algebra(),
                   expectation(log(p(x)) - log(q(x)), x, p(x)))
