"""Derivations: a start expression and a sequence of steps, each with a rule and a stated result.

    d = Derivation("kl_univariate", "KL between two univariate Gaussians", start)
    d.step("1.2", "log p - log q", rules.algebra(), stated)

Each step claims ``previous == stated`` and is checked by the kernel with exactly the
reasoning its rule names. A derivation proves ``start == last stated`` by chaining its steps.
A lemma is a derivation of one step; ``Instance`` specialises a proved derivation; a
``Postulate`` is an equality taken without proof, an axiom every report lists.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field

import sympy
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from .kernel import substitute
from .errors import ProofFileError

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_collectors: list[list] = []


@dataclass(frozen=True)
class Location:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def _caller_location() -> Location:
    """The first frame outside derive itself: where the author wrote the call."""
    frame, inside = sys._getframe(1), None
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR + os.sep):
        frame, inside = frame.f_back, frame
    if frame is not None and frame.f_code.co_filename.startswith("<frozen") and inside is not None:
        frame = inside  # a module of derive's own being imported (derive.lemmas): the place is its line
    if frame is None:
        return Location("<unknown>", 0)
    return Location(frame.f_code.co_filename, frame.f_lineno)


def _require_expression(value, what: str, where: Location):
    if isinstance(value, sympy.MatrixBase):
        return sympy.ImmutableMatrix(value)
    if isinstance(value, (sympy.Rel, BooleanFunction, BooleanAtom)):
        raise ProofFileError(where, f"{what} is a {type(value).__name__}: state the expression, "
                                    "not an equation or a condition")
    if isinstance(value, sympy.Basic):
        if any(_from_sympy_stats(node) for node in sympy.preorder_traversal(value)):
            return _stats_expectations(value, what, where)
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return sympy.Integer(value)
    raise ProofFileError(where, f"{what} is a {type(value).__name__}, not a sympy expression")


def _stats_expectations(value: sympy.Basic, what: str, where: Location) -> sympy.Basic:
    """sympy.stats written the way derive reads it: each ``E(f(X), evaluate=False)`` (an
    ``Expectation``) of a univariate ``Normal('X', mu, s)`` becomes derive's expectation, the
    integral of the normal density times f over the real line, which the kernel then decides. A
    random symbol anywhere else, or of another distribution, is refused with what to write."""
    from sympy.stats.crv_types import NormalDistribution
    from sympy.stats.rv import RandomSymbol
    from sympy.stats.symbolic_probability import Expectation

    from .gaussian import expectation, normal_pdf

    advice = ("write E(f(X), evaluate=False) of a Normal, or derive.gaussian.expectation(f(x), x, density) "
              "(an integral of the density times f)")

    def translated(node: Expectation) -> sympy.Expr:
        if len(node.args) != 1:  # E(f(X), condition): a conditional expectation is another integral
            raise ProofFileError(where, f"{what}: {node} is a conditional expectation; derive translates E(f(X)) "
                                        f"without a condition: {advice}")
        variables = sorted(node.args[0].atoms(RandomSymbol), key=str)
        laws = [getattr(getattr(v, "pspace", None), "distribution", None) for v in variables]
        if len(variables) != 1 or not isinstance(laws[0], NormalDistribution):
            shown = ", ".join(f"{v} ~ {type(law).__name__}" for v, law in zip(variables, laws))
            raise ProofFileError(where, f"{what}: {node} is over {shown}; derive translates the expectation of one "
                                        f"Normal random variable: {advice}")
        variable = variables[0]
        mean, std = variable.pspace.distribution.args
        # The variable of integration captures nothing: no symbol anywhere in the claim has its name,
        # free or bound, a distribution's parameter included (inside a random variable, free_symbols
        # shows only the variable itself), nor any symbol of this expectation (an inner one's variable).
        taken = names | {str(n) for n in sympy.preorder_traversal(node) if isinstance(n, sympy.Symbol)}
        name = str(variable.symbol)
        while name in taken:
            name += "_"
        x = sympy.Symbol(name, real=True)
        return expectation(node.args[0].xreplace({variable: x}), x, normal_pdf(x, mean, std))

    names = {str(n) for n in sympy.preorder_traversal(value) if isinstance(n, sympy.Symbol)}

    def inside_out(node):
        """Inner expectations first, so that an outer one's variable is named apart from theirs."""
        if not node.args or isinstance(node, RandomSymbol):
            return node
        args = [inside_out(argument) for argument in node.args]
        # Rebuilt only where an expectation changed below: rebuilding (1/2)*(a + b) would distribute the 1/2.
        rebuilt = node.func(*args) if args != list(node.args) else node
        return translated(rebuilt) if isinstance(rebuilt, Expectation) else rebuilt

    result = inside_out(value)
    left = _stats_nodes(result)
    randoms = [node for node in left if isinstance(node, RandomSymbol)]
    if randoms:
        raise ProofFileError(where, f"{what} holds the random variable {randoms[0]} outside an expectation "
                                    f"(sympy.stats' E(...) evaluates itself unless told not to): {advice}")
    if left:  # a random matrix, a probability, ...: nothing derive reads
        raise ProofFileError(where, f"{what} holds {left[0]} ({type(left[0]).__name__}) of sympy.stats, which derive "
                                    f"does not translate: {advice}")
    return result


def _require_hypotheses(assuming, what: str, where: Location) -> tuple:
    """The hypotheses as the kernel reads them (it reads them again: this only says early and
    where what it would refuse)."""
    from .kernel import hypotheses_error

    if isinstance(assuming, (sympy.Basic, bool)):
        assuming = (assuming,)
    if isinstance(assuming, (str, bytes)):
        raise ProofFileError(where, f"{what}: assuming= takes a list of relations (p > 0), not text")
    try:
        assuming = tuple(assuming)
    except TypeError:
        raise ProofFileError(where, f"{what}: assuming= takes a list of relations, got {type(assuming).__name__}")
    why = hypotheses_error(assuming)
    if why:
        raise ProofFileError(where, f"{what}: {why}")
    return assuming


def _from_sympy_stats(node) -> bool:
    return (type(node).__module__ or "").startswith("sympy.stats")


def _stats_nodes(expression) -> list:
    """The outermost nodes of sympy.stats in ``expression`` (not what they hold), in order."""
    if _from_sympy_stats(expression):
        return [expression]
    return [node for argument in expression.args for node in _stats_nodes(argument)]


@dataclass(frozen=True)
class Step:
    label: str
    description: str
    rule: object
    stated: sympy.Basic
    location: Location
    # Why the step's text could not be read (a .tex or .md claim): the kernel says PARSE_ERROR.
    unreadable: str | None = None


class Derivation:
    """A chain start == e1 == e2 == ... == en, each link a checked step."""

    def __init__(self, name: str, title: str, start=None, *, origin=None,
                 scope: str = "all values the assumptions allow", assuming=()):
        """``origin``: a proved derivation or Instance whose result this derivation starts from;
        the derivation then proves ``origin's start == last stated``, by chaining.
        ``assuming``: relations every step holds under (``[p > 0, p < 1]``, ``[1 <= j, j <= k]``);
        the origin's and the lemmas' hypotheses must follow from them."""
        self.location = _caller_location()
        if not isinstance(name, str) or not name:
            raise ProofFileError(self.location, "a derivation needs a non-empty name")
        if origin is not None and not isinstance(origin, (Derivation, Instance, Postulate)):
            raise ProofFileError(self.location, f"origin of '{name}' must be a Derivation, an Instance or a "
                                                f"Postulate, got {type(origin).__name__}")
        if start is None and origin is None:
            raise ProofFileError(self.location, f"derivation '{name}' needs a start expression or an origin")
        self.name, self.title, self.scope, self.origin = name, title, scope, origin
        self.dimensions = ""
        self.hypotheses = _require_hypotheses(assuming, f"derivation '{name}'", self.location)
        self.start = _require_expression(origin.result if start is None else start,
                                         f"start of derivation '{name}'", self.location)
        self.steps: list[Step] = []
        if _collectors:
            _collectors[-1].append(self)

    @classmethod
    def rebuilt(cls, name: str, title: str, start, *, origin, scope: str, location: Location,
                steps: list[Step], assuming=(), dimensions: str = "") -> Derivation:
        """A derivation as a certificate describes it (``derive.certificates``), with the places
        its proof file gave; ``dimensions`` (``k = 2``): the one choice of the sizes of vectors and
        matrices its claims were read at."""
        derivation = cls.__new__(cls)
        if not name:
            raise ProofFileError(location, "a derivation needs a non-empty name")
        derivation.location, derivation.name, derivation.title, derivation.scope = location, name, title, scope
        derivation.origin, derivation.steps, derivation.dimensions = origin, list(steps), dimensions
        derivation.hypotheses = _require_hypotheses(assuming, f"derivation '{name}'", location)
        derivation.start = _require_expression(origin.result if start is None else start,
                                               f"start of derivation '{name}'", location)
        for step in steps:
            _require_expression(step.stated, f"step {step.label} of '{name}'", step.location)
        return derivation

    def step(self, label: str, description: str, rule, stated) -> sympy.Basic:
        """Add a step; returns the stated expression so the next step can build on it."""
        from .rules import Rule

        where = _caller_location()
        if not isinstance(rule, Rule):
            raise ProofFileError(where, f"step {label} of '{self.name}': rule is a {type(rule).__name__}, "
                                        "not a derive.rules rule")
        for lemma in rule.lemmas:
            if not isinstance(lemma, (Derivation, Instance, Postulate)):
                raise ProofFileError(where, f"step {label} of '{self.name}': a lemma must be a Derivation, an "
                                            f"Instance or a Postulate, got {type(lemma).__name__}")
        stated = _require_expression(stated, f"step {label} of '{self.name}'", where)
        # A label names the step in every report and is its pytest item's id: one step each.
        same = next((s for s in self.steps if s.label == str(label)), None)
        if same is not None:
            raise ProofFileError(where, f"step label '{label}' of '{self.name}' is already used at {same.location}")
        self.steps.append(Step(str(label), description, rule, stated, where))
        return stated

    @property
    def result(self) -> sympy.Basic:
        """The last stated expression (the start while there are no steps)."""
        return self.steps[-1].stated if self.steps else self.start

    def instance(self, mapping: dict) -> Instance:
        return Instance(self, mapping)

    def __repr__(self) -> str:
        return f"Derivation({self.name!r}, {len(self.steps)} steps)"


def lemma(name: str, lhs, rhs, rule, *, title: str = "", scope: str = "all values the assumptions allow",
          assuming=()) -> Derivation:
    """A derivation of one step: ``lhs == rhs`` by ``rule``, under the hypotheses ``assuming``."""
    d = Derivation(name, title or f"lemma {name}", lhs, scope=scope, assuming=assuming)
    d.steps.append(Step("lemma", title or name, rule,
                        _require_expression(rhs, f"right side of lemma '{name}'", d.location), d.location))
    return d


@dataclass(frozen=True, eq=False)
class Postulate:
    """An equality taken without proof: usable as a lemma (``rules.use``) or an ``origin=``,
    PROVED with reason AXIOM, and listed by ``derive check --axioms`` under every derivation
    that rests on it."""

    name: str
    start: sympy.Basic
    result: sympy.Basic
    reason: str
    location: Location

    def instance(self, mapping: dict) -> Instance:
        return Instance(self, mapping)

    def __repr__(self) -> str:
        return f"Postulate({self.name!r})"


def postulate(name: str, lhs, rhs, *, reason: str) -> Postulate:
    """Take ``lhs == rhs`` without proof, because ``reason`` (say where it is proved)."""
    where = _caller_location()
    if not isinstance(name, str) or not name:
        raise ProofFileError(where, "a postulate needs a non-empty name")
    if not isinstance(reason, str) or not reason.strip():
        raise ProofFileError(where, f"postulate '{name}' needs a reason: say why it may be taken without proof")
    declared = Postulate(name, _require_expression(lhs, f"left side of postulate '{name}'", where),
                         _require_expression(rhs, f"right side of postulate '{name}'", where), reason.strip(), where)
    if _collectors:
        _collectors[-1].append(declared)
    return declared


@dataclass(frozen=True)
class Instance:
    """A proved derivation (or a postulate) with its free symbols (or functions, or indexed
    families) specialised."""

    derivation: Derivation | Postulate
    mapping: dict = field(hash=False)

    def __post_init__(self):
        # Python numbers as sympy's (8 as Integer(8)), so that an instance means the same in
        # every process; a float stays a Float, which the kernel refuses as inexact.
        numbers = {k: sympy.sympify(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                   for k, v in self.mapping.items()}
        object.__setattr__(self, "mapping", numbers)

    @property
    def start(self) -> sympy.Basic:
        return substitute(self.derivation.start, self.mapping)

    @property
    def result(self) -> sympy.Basic:
        return substitute(self.derivation.result, self.mapping)

    @property
    def hypotheses(self) -> tuple:
        """The hypotheses of what it instantiates, with the values written in."""
        plain = {k: v for k, v in self.mapping.items() if isinstance(k, sympy.Symbol)}
        return tuple(sympy.sympify(h).xreplace(plain) for h in getattr(self.derivation, "hypotheses", ()))

    @property
    def name(self) -> str:
        shown = ", ".join(f"{sympy.sstr(k)}={sympy.sstr(v)}" for k, v in self.mapping.items())
        return f"{self.derivation.name}[{shown}]"


@dataclass(frozen=True, eq=False)
class Export:
    """A proved result that ``derive codegen`` turns into a kernel.

    The result (or ``term``, one addend of it) must be a sum over ``index`` of a per-element
    expression: the kernel computes that expression elementwise over arrays, one per indexed
    family in ``arguments`` (family -> argument name, in the kernel's argument order).
    """

    name: str
    derivation: Derivation
    index: sympy.Symbol
    arguments: dict
    summary: str
    term: sympy.Basic | None
    location: Location

    @property
    def expression(self) -> sympy.Basic:
        return self.derivation.result if self.term is None else self.term


def export(name: str, derivation: Derivation, *, index: sympy.Symbol, arguments: dict, summary: str,
           term=None) -> Export:
    """Declare that ``derivation``'s result becomes the kernel ``name`` (see ``Export``)."""
    where = _caller_location()
    if not name.isidentifier():
        raise ProofFileError(where, f"export name '{name}' is not a Python identifier")
    if not isinstance(derivation, Derivation):
        raise ProofFileError(where, f"export '{name}': {type(derivation).__name__} is not a Derivation")
    if not isinstance(index, sympy.Symbol):
        raise ProofFileError(where, f"export '{name}': the index must be a sympy Symbol")
    if not arguments or not all(isinstance(f, sympy.IndexedBase) and isinstance(a, str) and a.isidentifier()
                                for f, a in arguments.items()):
        raise ProofFileError(where, f"export '{name}': arguments map indexed families to argument names")
    if term is not None and term not in sympy.Add.make_args(derivation.result):
        raise ProofFileError(where, f"export '{name}': {sympy.sstr(term)} is not a term of the result of "
                                    f"'{derivation.name}'")
    declared = Export(name, derivation, index, dict(arguments), summary, term, where)
    if _collectors:
        _collectors[-1].append(declared)
    return declared


@contextlib.contextmanager
def collecting():
    """Collect every Derivation and Export created inside the block (used by the proof-file loader)."""
    found: list[Derivation] = []
    _collectors.append(found)
    try:
        yield found
    finally:
        _collectors.pop()
