"""Derivations where they are written: the equality chains of a .tex or .md file as derivations.

A chain ``a = b = c`` (``a &= b \\\\ &= c`` in an ``align``) is a derivation from ``a`` whose
steps state ``b`` and ``c``, each at the line of its ``=``, in the displays ``_latex_source`` finds
(``align`` and its kin, ``\\[ \\]``, ``$$ $$``; in Markdown ``$$ $$`` and fenced ``math`` blocks).

Directives, in a comment before an environment (``% derive: ...`` or ``<!-- derive: ... -->``):
``assume \\sigma > 0, 0 < p < 1`` and ``let l = \\log\\sigma^2`` hold for the rest of the file;
``rule linearity`` for the next environment only. Without a rule, each step is checked with the
least powerful rule that proves it (``rules.weakest``), and the report names that rule.

Parsing is sympy's ``parse_latex`` (the ANTLR grammar; ``pip install derive[latex]``) behind a
strict layer: a macro outside ``KNOWN_MACROS``, an unbalanced brace, bracket or ``\\left``, or
anything the grammar would read otherwise than the page shows, or sympy's building would remove
while it may be undefined (``_latex_refusals``: ``2 x 3``, ``\\cos x \\cdot y``, ``n(x - a)^2``, ``x/x``)
is an error, never a guess. Vectors and matrices are read at explicit dimensions (``_matrix_notation``).
A claim that cannot be read is a step with the kernel's PARSE_ERROR verdict; the rest of the file is checked.
Nothing in a file is executed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import sympy
from sympy.core.function import AppliedUndef
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from . import rules
from ._latex_source import GREEK, KNOWN_MACROS, Claim, ParseError, claims_of, displays, split_top
from ._latex_refusals import (PLACEHOLDER, bar_pairs, check_balance, check_kept, check_parsed, check_text,
                              evaluated, group, partial_parts)
from ._matrix_notation import Declarations, NeedsDimension, Shaped, ShapeError, is_entry
from . import _matrix_notation as matrices
from .derivation import Derivation, Location, Step
from .errors import ProofFileError
from .gaussian import GaussianExpectation, expect_matrix, expectation, mvn_pdf, normal_pdf

_UPRIGHT = re.compile(r"\\(?:mathrm|operatorname)\s*\{\s*(d|e|KL|tr|Tr|trace)\s*\}")
# ^T is a transpose only in a file that declares vectors or matrices; ^\top and its kin always.
_TRANSPOSE_ALWAYS = r"\\top|\\intercal|\\mathsf\s*\{\s*T\s*\}"
_TRANSPOSED = f"{PLACEHOLDER}transpose"  # lower case: no placeholder _placeholder makes


@dataclass(frozen=True)
class _Law:
    """N(mean, std^2), or over vectors N(mean, L L^T) for the Cholesky factor L (``factor``)."""

    mean: sympy.Basic
    std: sympy.Expr | None = None
    factor: sympy.ImmutableMatrix | None = None
    shape: tuple | None = None  # a vector's shape in the declarations' terms

    def _point(self, point):
        if (self.factor is None) != (not isinstance(point, Shaped)) or getattr(point, "shape", None) != self.shape:
            over = "scalars" if self.factor is None else f"vectors of {self.shape[0]} entries"
            raise ParseError(f"a normal law over {over}, at a point that is not one")
        return point.value if isinstance(point, Shaped) else point

    def density(self, point) -> sympy.Expr:
        point = self._point(point)
        if self.factor is None:
            return normal_pdf(point, self.mean, self.std)
        return mvn_pdf(point, self.mean, self.factor * self.factor.T)

    def expectation(self, body, point):
        """E[body] over ``point`` drawn from this law (a Shaped body: entrywise)."""
        variable = self._point(point)
        if self.factor is None:
            if isinstance(body, Shaped):
                raise ParseError("the expectation of a vector or matrix over a scalar")
            return expectation(body, variable, self.density(variable))
        if isinstance(body, Shaped):
            return Shaped(expect_matrix(body.value, variable, self.mean, self.factor), body.shape)
        return GaussianExpectation(body, variable, self.mean, self.factor)


# --- reading one expression -----------------------------------------------------------------------


class _Reader:
    """Reads claims' sides into sympy, with the file's assumptions and definitions."""

    def __init__(self):
        self.facts: dict[str, dict] = {}
        self.hypotheses: list = []
        self.definitions: dict[sympy.Symbol, sympy.Expr] = {}
        self.laws: dict[str, str] = {}  # a name given to a normal law by let: the law as written
        self.functions: set[str] = set()  # names a function directive declared: f(x) is f applied
        self._depth = 0  # how deep reads nest (an expectation's body is read inside its side)
        self.matrices = Declarations()
        self.assumed: list[str] = []  # the assume and let directives read so far, as written

    @property
    def scope(self) -> str:
        said = "; ".join(self.assumed)
        return f"{said}; every other symbol real" if said else "every symbol real"

    # Placeholders stand for what the layer reads itself (an expectation, a density, a trace): a
    # name no reader can write, since the layer refuses the macro it would take.
    def expression(self, text: str) -> sympy.Expr:
        """``text`` read: a scalar expression, or an explicit matrix at the dimensions being read."""
        value = self._read(text)
        return value.value if isinstance(value, Shaped) else value

    def _read(self, text: str, placeholders: dict | None = None):
        """``text`` read into sympy, a vector or matrix as ``Shaped``. A part the layer read itself
        reads what it holds with the same ``placeholders``, so that parts nest."""
        self._depth += 1
        try:
            return self._read_text(text, placeholders)
        finally:
            self._depth -= 1

    def _read_text(self, text: str, placeholders: dict | None):
        check_balance(text)
        nested = placeholders is not None
        if not nested and PLACEHOLDER in text:
            raise ParseError(f"{PLACEHOLDER} is a name derive keeps for itself", text.index(PLACEHOLDER) + 1)
        placeholders = {} if placeholders is None else placeholders
        # Upright d, e, KL and tr are the only upright names read (\mathrm{d}x, D_{\mathrm{KL}}).
        upright = re.sub(_UPRIGHT, lambda m: " " * len(m.group(0)), text)
        upright = re.sub(_TRANSPOSE_ALWAYS, lambda m: " " * len(m.group(0)), upright)
        if nested:
            upright = re.sub(rf"\\mathit\{{{PLACEHOLDER}[a-zA-Z]+\}}", lambda m: " " * len(m.group(0)), upright)
        for m in re.finditer(r"\\([a-zA-Z]+)", upright):
            if m.group(1) not in KNOWN_MACROS:
                raise ParseError(f"unknown macro \\{m.group(1)}", m.start() + 1)
        text = re.sub(_UPRIGHT, lambda m: {"d": " d", "e": " e", "KL": m.group(0)}.get(m.group(1), " \\operatorname{tr}"),
                      text)
        # x^{2}_{1} is x_{1}^{2}: the grammar drops a subscript after a superscript (\Sigma^\top_1 too).
        script = r"(\{[^{}]*\}|\\[a-zA-Z]+|\w)"
        text = re.sub(rf"\^\s*{script}\s*_\s*{script}", r"_\2^\1", text)
        marks = _TRANSPOSE_ALWAYS + ("|T" if self.matrices.shapes else "")
        text = re.sub(rf"\^\s*(?:\{{\s*(?:{marks})\s*\}}|(?:{marks}))", self._transposed, text)
        text = re.sub(r"\\[dt]frac(?![a-zA-Z])", r"\\frac ", text)  # the grammar reads all three alike
        check_text(text)
        # A decimal is exact: 0.1 is 1/10 (the grammar would make a float).
        text = re.sub(r"(\d+)\.(\d+)", lambda m: f"\\frac{{{int(m.group(1) + m.group(2))}}}{{1{'0' * len(m.group(2))}}}",
                      text)
        text = self._divergences(text, placeholders)
        text = self._expectations(text, placeholders)
        text = self._densities(text, placeholders)
        self._check_fraction_bars(text, placeholders)
        text = self._matrix_functions(text, placeholders)
        text = self._absolute_values(text, placeholders)
        # The grammar reads digits apart as one number (x^2 3 as x^23, \int_0^1 2x up to 12), and x^23
        # as x^{23} where LaTeX shows x^{2}3.
        apart = re.search(r"\d\s*,?\s+\d|\d,\d|[\^_]\s*\d\d", text)
        if apart:
            raise ParseError("digits apart, or two digits in a script without braces: write \\frac{1}{2}, "
                             "2 \\cdot 3, x^{23} or x^{2} 3", apart.start() + 1)
        # A one-letter script is braced, as LaTeX reads it: \sum_{k=1}^d w_k is not a differential d w.
        text = re.sub(r"([\^_])\s*([a-zA-Z]|\d(?!\d))", r"\1{\2}", text)
        if re.search(r"\\mathit\{[^{}]*\}\s*(?:\^\s*(?:\{[^{}]*\}|\w)\s*)?_", text):
            raise ParseError("a subscript after an expectation, density, trace or determinant (the grammar drops it)")
        text, renamed = self._renamed(text)
        # \left( \right), [ ] and \{ \} that group are parentheses to the grammar (in strict mode it
        # refuses \left( x \right) that begins an expression).
        text = re.sub(r"\\left\s*(?:\(|\[|\\\{)", " (", text)
        text = re.sub(r"\\right\s*(?:\)|\]|\\\})", ") ", text)
        if re.search(r"\\(mathbb|mathcal|sim|mid)\b", text):
            raise ParseError("\\mathbb, \\mathcal and \\sim are read only as \\mathbb{E}_{x \\sim \\mathcal{N}(\\mu, "
                             "\\sigma^2)}[...] and \\mathcal{N}(x; \\mu, \\sigma^2)")
        return self._sympy(text, placeholders, renamed)

    @staticmethod
    def _transposed(m: re.Match) -> str:
        """^\\top as the transpose; ^T too, except as the end of \\int_0^T, \\sum_{t=1}^T or after a digit."""
        before = m.string[:m.start()]
        if "T" in m.group(0) and (re.search(r"\d\s*$", before) or re.search(
                r"\\(?:int|sum|prod)\s*_\s*(?:\{[^{}]*\}|\\?\w+)\s*$", before)):
            return m.group(0)
        return f"^{{\\mathit{{{_TRANSPOSED}}}}}"

    def _renamed(self, text: str) -> tuple[str, dict[str, str]]:
        """Names the grammar misreads, as spare Greek letters while it reads them: the variable of
        \\partial w_j (it reads \\partial only before one letter, else a product to divide by) and
        \\bar{x}, \\hat\\sigma_1 (the grammar knows no accents). Returns the text and each letter's name."""
        named = {*self.facts, *self.functions, *self.laws, *(_name(d.name) for d in self.definitions)}
        spare = (name for name in _SPARE_LETTERS  # function varpi would make \bar x(t) an application
                 if not re.search(rf"\\{name}(?![a-zA-Z])", text) and name not in named)
        renamed: dict[str, str] = {}

        def letter(name: str) -> str:
            given = next((k for k, v in renamed.items() if v == name), None)
            if given is None:
                given = next(spare, None)
                if given is None:
                    raise ParseError("too many subscripted derivative variables and accents in one side")
                renamed[given] = name
            return f" \\{given} "

        text = _ACCENT.sub(lambda m: letter(_name(m.group(2) or m.group(3)) + _ACCENTS[m.group(1)]), text)
        left = re.search(r"\\(?:bar|overline|hat|widehat|tilde|widetilde)(?![a-zA-Z])", text)
        if left:  # \bar{x^2} is a mean of squares, \overline a conjugate: only a name under an accent is read
            raise ParseError("an accent over more than a name (\\bar{x^2}) is not read", left.start() + 1)
        for variable in set(re.findall(r"(?:\\partial|(?<![\\a-zA-Z])d)\s*(\\?[a-zA-Z]+\s*_\s*\{[^{}]*\})", text)):
            name = _name(re.sub(r"\s+", "", variable).lstrip("\\"))
            if name in self.matrices.shapes:
                continue  # a derivative by a vector or matrix is not read: \partial stays, and is refused
            base, subscript = re.fullmatch(r"(\\?[a-zA-Z]+)\s*_\s*\{([^{}]*)\}", variable).groups()
            pattern = rf"(?<![\\a-zA-Z]){re.escape(base)}(?![a-zA-Z])\s*_\s*\{{\s*{re.escape(subscript.strip())}\s*\}}"
            # \partial \bar{x}_1: the accent's letter already stands for xbar
            text = re.sub(pattern, lambda _: letter(_renaming(name, renamed)), text)
        return text, renamed

    def _sympy(self, text: str, placeholders: dict, renamed: dict[str, str]):
        from sympy.parsing.latex import parse_latex
        from sympy.parsing.latex.errors import LaTeXParsingError

        parsed = _GRAMMAR_READ.get(text)
        if parsed is None:
            try:
                parsed = parse_latex(text, strict=True)  # the grammar must read all of it, else "x +" is read as x
            except LaTeXParsingError:
                try:
                    parse_latex(text)
                except LaTeXParsingError as exc:
                    message = str(exc).splitlines()[0]
                    marker = next((line for line in str(exc).splitlines()
                                   if line.strip().startswith("~") or "^" in line), "")
                    raise ParseError(message, marker.find("^") + 1 if "^" in marker else None) from None
                raise ParseError("the grammar stops before the end: an operator without its operand, or a "
                                 "construct it does not know") from None
            except ImportError as exc:
                raise ParseError(f"reading LaTeX needs the latex extra: pip install 'derive[latex]' ({exc})") from None
            if len(_GRAMMAR_READ) > 10_000:
                _GRAMMAR_READ.clear()
            _GRAMMAR_READ[text] = parsed
        if isinstance(parsed, (sympy.Rel, BooleanFunction, BooleanAtom)):
            raise ParseError(f"{sympy.sstr(parsed)} is a relation, not an expression")
        check_parsed(parsed, text)
        for node in sympy.preorder_traversal(parsed):
            name = node.name if isinstance(node, sympy.Symbol) else \
                node.func.__name__ if isinstance(node, AppliedUndef) else None
            if name is None or name in placeholders or name == _TRANSPOSED:
                continue
            base, _, subscript = _name(name).partition("_")
            if PLACEHOLDER in name or any(re.search(rf"(?<![a-zA-Z]){spare}(?![a-zA-Z])", subscript)
                                           for spare in renamed):
                # \sigma_{\bar x}: what the layer read for the grammar, inside a name it would not give back
                raise ParseError(f"{_renaming(name, renamed)}: a subscript holds notation derive reads itself (an accent, "
                                 "\\mathbb{E}, \\mathcal{N}, D_{\\mathrm{KL}}): name it with letters and digits")
        try:
            parsed = self._arrays(parsed, placeholders, renamed)
        except ShapeError as exc:
            raise ParseError(str(exc)) from None
        total = re.search(r"\\frac\s*\{\s*d", text) is not None
        if isinstance(parsed, Shaped):
            return Shaped(parsed.value.applyfunc(lambda entry: self._normalised(entry, placeholders, total)),
                          parsed.shape)
        return self._normalised(parsed, placeholders, total)

    def _arrays(self, node: sympy.Basic, placeholders: dict, renamed: dict[str, str]):
        """The grammar's tree with the declared vectors and matrices as arrays at the dimensions
        being read, multiplied in the order written (the tree keeps it; sympy's products do not)."""
        if isinstance(node, sympy.Symbol):
            # a spare letter back to its name, here at the leaf: rebuilding the tree would sort products
            if _renaming(node.name, renamed) != node.name:
                node = sympy.Symbol(_renaming(node.name, renamed))
            if any(re.search(rf"(?<![a-zA-Z]){spare}(?![a-zA-Z])", node.name) for spare in renamed):
                raise ParseError(f"{node.name}: a name derive lent a letter to while the grammar read it is still "
                                 "in it: write the name without accents or scripts in scripts")
            name = _name(node.name)
            base = name.partition("_")[0]
            if name not in self.matrices.shapes and base in self.matrices.shapes:
                raise ShapeError(f"{name}: an entry of {base}, a declared vector or matrix, is not read; write it "
                                 "with the vector (e_1^\\top x) or name the entry another way")
            if isinstance(placeholders.get(node.name), Shaped):
                return placeholders[node.name]
            if name in self.matrices.shapes:
                return self.matrices.value(name)
            identity = re.fullmatch(r"I_(\w+)", name)
            if identity and identity.group(1) in self.matrices.dimensions:
                return self.matrices.identity(identity.group(1))
            if name in self.matrices.dimensions and self.matrices.active is not None:
                return sympy.Integer(self.matrices.active[name])
            return node
        if not node.args:
            return node
        if isinstance(node, sympy.Pow) and node.args[1] == sympy.Symbol(_TRANSPOSED):
            return matrices.transpose(self._arrays(node.args[0], placeholders, renamed))
        children = [self._arrays(a, placeholders, renamed) for a in node.args]
        built = self._arrays_built(node, children)
        check_kept([c.value if isinstance(c, Shaped) else c for c in children],
                    built.value if isinstance(built, Shaped) else built, self._known_defined)  # x^T x / x^T x
        return built

    def _arrays_built(self, node: sympy.Basic, children: list):
        if not any(isinstance(c, Shaped) for c in children):
            return node if all(c is a for c, a in zip(children, node.args)) else node.func(*children)
        if isinstance(node, sympy.Mul):
            value = children[0]
            for child in children[1:]:
                value = matrices.product(value, child)
            return value
        if isinstance(node, sympy.Add):
            return matrices.total(children)
        if isinstance(node, sympy.Pow):
            return matrices.power(*children)
        if isinstance(node, sympy.Abs):  # |\Sigma|; |a^T b| is a scalar's absolute value by now
            return matrices.det(children[0])
        if isinstance(node, AppliedUndef) and node.func.__name__ in self.laws and len(children) == 1:
            return self._law(node.func.__name__).density(children[0])
        raise ShapeError(f"{type(node).__name__} of a vector or matrix is not read")

    def _known_defined(self, kind: str, part: sympy.Basic, placeholders: dict | None = None) -> bool:
        """Whether the file's assumptions make ``part`` (``partial_parts``) defined."""
        if kind == "the value of":  # a name for a value put in later: defined where all its parts are
            value = (placeholders or {}).get(part.name, self.definitions.get(self.symbol(part.name)))
            return value is not None and all(self._known_defined(k, p, placeholders) for k, p in partial_parts(
                value.value if isinstance(value, Shaped) else value))
        if kind == "the function":  # a declared function is defined everywhere, a law where its density is
            if not isinstance(part, AppliedUndef):  # what it stood for is in (\eta(g) is the product \eta g)
                return all(self._known_defined(k, p, placeholders) for k, p in partial_parts(part))
            name = part.func.__name__
            if name in self.laws:
                law = self._law(name)
                return law.factor is None and len(part.args) == 1 and all(
                    self._known_defined(k, p, placeholders) for k, p in partial_parts(law.density(part.args[0])))
            return _name(name) in self.functions or _name(name) in self.facts  # f(x), or \eta(g) a product
        part = part.xreplace({s: {"pi": sympy.pi, "e": sympy.E}.get(s.name) or self.symbol(s.name)
                              for s in part.free_symbols if type(s) is sympy.Symbol and s.is_real is None})
        if isinstance(part, (sympy.Sum, sympy.Product, sympy.Integral)):
            # over finite ends it has a value wherever its body has one (the body's parts are checked apart)
            return all(len(limit) == 3 and limit[1].is_finite and limit[2].is_finite for limit in part.limits)
        known = {"the divisor": lambda: self.holds("nonzero", part), "the root of": lambda: self.holds("nonnegative", part),
                 "the log of": lambda: self.holds("positive", part),
                 "the log base": lambda: self.holds("positive", part) and self.holds("nonzero", part - 1),
                 "factorial of": lambda: part.is_integer is True and self.holds("nonnegative", part),
                 "factorial2 of": lambda: part.is_integer is True and self.holds("nonnegative", part),
                 "binomial of": lambda: part.is_integer is True and self.holds("nonnegative", part),
                 "gamma of": lambda: self.holds("positive", part),
                 "acosh of": lambda: self.holds("nonnegative", part - 1)}
        return kind in known and known[kind]()

    def holds(self, predicate: str, expr: sympy.Basic, ranges: tuple = ()) -> bool:
        """Whether ``expr`` is known ``nonzero``, ``nonnegative`` or ``positive`` from its symbols'
        facts, or else from the file's relations (0 < p < 1 makes 1 - p positive) and ``ranges``
        (what binders say of their variables)."""
        if getattr(expr, f"is_{predicate}") is True:
            return True
        facts = [{sympy.StrictLessThan: sympy.Q.lt, sympy.LessThan: sympy.Q.le, sympy.StrictGreaterThan: sympy.Q.gt,
                  sympy.GreaterThan: sympy.Q.ge}[type(h)](*h.args) for h in self.hypotheses if type(h) in (
                      sympy.StrictLessThan, sympy.LessThan, sympy.StrictGreaterThan, sympy.GreaterThan)]
        facts += [fact for fact in ranges if fact is not sympy.true]
        # sympy's ask reads relations of real symbols only: an integer index is asked about as a real
        claim = getattr(sympy.Q, predicate)(expr)
        as_real = {s: sympy.Dummy(s.name, real=True, positive=s.is_positive, nonnegative=s.is_nonnegative)
                   for s in sympy.And(claim, *facts).atoms(sympy.Symbol) if s.is_integer}
        claim, facts = claim.xreplace(as_real), [fact.xreplace(as_real) for fact in facts]
        try:
            return bool(facts) and sympy.ask(claim, sympy.And(*facts)) is True
        except ValueError:  # inconsistent facts: nothing is known from them
            return False

    def _normalised(self, expr: sympy.Basic, placeholders: dict, total_derivative: bool = False) -> sympy.Expr:
        standing = frozenset([*placeholders, *(name.name for name in self.definitions)])

        defined = partial(self._known_defined, placeholders=placeholders)

        def rebuilt(before, after, mapping, standing):  # each rewrite below builds the side again: it may remove parts
            check_kept([before], after, defined, mapping, standing)
            return after

        expr = evaluated(expr, defined, standing)
        expr = expr.replace(lambda e: isinstance(e, sympy.log) and len(e.args) == 2 and e.args[1] == sympy.E,
                            lambda e: sympy.log(e.args[0]))
        # a(b + c) is a applied to b + c to the grammar: a name applied is a function only where the
        # file says so (a law named by let, or a function directive), else ambiguous and refused.
        # A name an assume made a number (\eta > 0, n \in \mathbb{N}), or one the side also uses as a
        # symbol (2\epsilon(\mu + \sigma\epsilon)), is a number: \eta(g + \lambda w) is a product.
        symbols = {_name(s.name) for s in expr.free_symbols if isinstance(s, sympy.Symbol)}
        numbers = {applied for applied in expr.atoms(AppliedUndef)
                   if _name(applied.func.__name__) in {*self.facts, *symbols} and len(applied.args) == 1
                   and applied.func.__name__ not in self.laws and _name(applied.func.__name__) not in self.functions}
        products = {applied: self.symbol(applied.func.__name__) * applied.args[0] for applied in numbers}
        expr = rebuilt(expr, expr.xreplace(products), products, standing)
        for applied in expr.atoms(AppliedUndef):
            name = applied.func.__name__
            if name not in self.laws and _name(name) not in self.functions:
                raise ParseError(f"{name}(...) reads as a function {name} applied: write {name} \\cdot (...) for a "
                                 f"product, assume {name}'s sign if it is a number, or declare % derive: function {name}")
        # What the layer read itself first, so that a sum's index reaches into it.
        read_apart = {s: placeholders[s.name] for s in expr.free_symbols
                      if isinstance(s, sympy.Symbol) and s.name in placeholders}
        expr, written = expr.xreplace(read_apart), expr
        check_kept([written, *read_apart.values()], expr, self._known_defined, read_apart)  # E - E is 0
        standing = frozenset(name.name for name in self.definitions)  # the placeholders are in now
        # Indexed symbols: mu_{i} inside a sum over i is the i-th mu.
        expr = expr.replace(lambda e: isinstance(e, (sympy.Sum, sympy.Product)), self._indexed)
        mapping = {}
        labels = {node.label for node in expr.atoms(sympy.Indexed) for node in [node.base]}
        for s in expr.free_symbols:
            if type(s) is not sympy.Symbol or s in labels or is_entry(s):  # an Indexed, its base, an array's entry
                continue
            if s.name == "pi":
                mapping[s] = sympy.pi
            elif s.name == "e":
                mapping[s] = sympy.E
            else:
                mapping[s] = self.symbol(s.name)
        expr = rebuilt(expr, expr.xreplace(mapping), mapping, standing)  # e^{\\log y} is y once e is Euler's number
        binders = (sympy.Integral, sympy.Sum, sympy.Product, sympy.Derivative)
        expr = rebuilt(expr, expr.replace(lambda e: isinstance(e, binders), self._bound_variables),
                       self._bound_mapping(expr), standing)
        if total_derivative:
            for node in expr.atoms(sympy.Derivative):  # \frac{d}{dx}|y|: y may be a function of x
                if node.expr.free_symbols and not set(node.variables) & node.expr.free_symbols:
                    raise ParseError(f"d/d{node.variables[0]} of {node.expr}, which has no {node.variables[0]} in it: "
                                     "write \\frac{\\partial}{\\partial x} if the others are held constant")
        # p(x) of a law p named by let is its density at x.
        expr = expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func.__name__ in self.laws and len(e.args) == 1,
                            lambda e: self._law(e.func.__name__).density(e.args[0]))
        _check_real(expr, self.holds)
        # A part read inside another gets the definitions with the whole, where its binders are seen.
        return self._defined(expr) if self._depth == 1 else expr

    def _defined(self, expr):
        """``expr`` with let's definitions in place, none under a binder of a variable it names: with
        let m = x, \\mathbb{E}_{x \\sim p}[m] would otherwise become E[x] (a definition is not a macro)."""
        if not self.definitions:
            return expr
        for node in expr.atoms(sympy.Integral, sympy.Sum, sympy.Product, GaussianExpectation):
            bound = {s.name for s in (node.variables if isinstance(node, GaussianExpectation)
                                      else [limit[0] for limit in node.limits])}
            for name, value in self.definitions.items():
                if name.name in bound:
                    raise ParseError(f"{name}, defined by let, is also integrated or summed over here: give the bound "
                                     "variable another name")
                captured = bound & {s.name for s in value.free_symbols}
                if name in node.free_symbols and captured:
                    raise ParseError(f"{name}, defined by let as {value}, is used where {captured.pop()} is integrated "
                                     "or summed over: give the bound variable another name")
        defined = expr.xreplace(self.definitions)
        check_kept([expr, *(v for k, v in self.definitions.items() if k in expr.free_symbols)], defined,
                    self._known_defined, self.definitions)  # let a = 1/x: a x is 1 once a is in
        return defined

    def _bound_variables(self, node):
        """A binder's variable is real (an index an integer), whatever an assume says of its name."""
        # Every symbol of the variable's name is it: a part the layer read apart (|i|, E over N(i, 1))
        # holds its own symbol i, real where the binder's is an integer.
        if isinstance(node, sympy.Derivative):
            names = {v.name: self.symbol(v.name) for v, _ in node.variable_count}
            return node.xreplace({s: names[s.name] for s in node.atoms(sympy.Symbol) if s.name in names})
        facts = {"real": True} if isinstance(node, sympy.Integral) else {"integer": True}
        for limit in node.limits:
            self.unassumed(limit[0].name)
            ends = [s for end in limit[1:] for s in end.free_symbols if not isinstance(node, sympy.Integral)]
            loose = next((s for s in ends if isinstance(s, sympy.Symbol) and not s.is_integer), None)
            if loose is not None:
                raise ParseError(f"{loose}, an end of a sum or product, is not declared an integer: add "
                                 f"% derive: assume {loose} \\in \\mathbb{{N}}")
            # sympy's sum from a to b < a - 1 is minus the sum from b + 1 to a - 1 (Karr), not the
            # empty sum 0 a reader sees: the ends must be known in order.
            if not isinstance(node, sympy.Integral) and len(limit) == 3 \
                    and (limit[2] - limit[1] + 1).is_extended_nonnegative is not True:
                raise ParseError(f"the sum or product from {limit[1]} to {limit[2]} may end before it starts, which "
                                 "sympy does not read as empty: assume what orders its ends (n \\in \\mathbb{N})")
        names = {limit[0].name: sympy.Symbol(limit[0].name, **facts) for limit in node.limits}
        return node.xreplace({s: names[s.name] for s in node.atoms(sympy.Symbol) if s.name in names})

    def _bound_mapping(self, expr) -> dict:
        """The symbols ``_bound_variables`` gives the binders of ``expr``, by name."""
        names = {}
        for node in expr.atoms(sympy.Integral, sympy.Sum, sympy.Product, sympy.Derivative):
            if isinstance(node, sympy.Derivative):
                names.update({v.name: self.symbol(v.name) for v, _ in node.variable_count})
            else:
                facts = {"real": True} if isinstance(node, sympy.Integral) else {"integer": True}
                names.update({limit[0].name: sympy.Symbol(limit[0].name, **facts) for limit in node.limits})
        return {s: names[s.name] for s in expr.atoms(sympy.Symbol) if s.name in names}

    def unassumed(self, name: str) -> None:
        """Refuse a bound variable whose name an assume gave facts: the facts (x > 0) would already
        have simplified its body (|x| to x) when it was read."""
        if set(self.facts.get(_name(name), {"real": True})) - {"real"}:
            raise ParseError(f"{_name(name)} is assumed {', '.join(self.facts[_name(name)])} for the file and also "
                             f"integrated or summed over here: give the bound variable another name")

    def _indexed(self, node):
        index = node.limits[0][0]
        names = {f"_{{{index.name}}}", f"_{index.name}"}

        def base_of(s):
            for suffix in names:
                if s.name.endswith(suffix) and len(s.name) > len(suffix):
                    return s.name[: -len(suffix)]
            # x_{i+1} or a_{ij}: a subscript the index is part of is not read (it would be a constant).
            subscript = re.search(r"_\{(.*)\}$", s.name)
            if subscript and re.search(rf"(?<![a-zA-Z]){re.escape(index.name)}(?![a-zA-Z])", subscript.group(1)):
                raise ParseError(f"{s.name}: only a subscript that is the index itself ({index.name}) is read "
                                 "inside a sum or product")
            return None

        # assume \sigma_i > 0 holds for each \sigma_i of a sum over i
        defined = {key.name for key in self.definitions}
        for s in node.function.free_symbols:
            if isinstance(s, sympy.Symbol) and base_of(s) and _name(base_of(s)) in defined:
                raise ParseError(f"{_name(base_of(s))} is defined by let, and {s.name} in a sum would be its entries: "
                                 "give one of them another name")
        mapping = {s: sympy.IndexedBase(base_of(s), **self.facts.get(_name(s.name), {"real": True}))[index]
                   for s in node.function.free_symbols if isinstance(s, sympy.Symbol) and base_of(s)}
        return node.func(node.function.xreplace(mapping), *node.limits) if mapping else node

    def symbol(self, name: str) -> sympy.Symbol:
        name = _name(name)
        return sympy.Symbol(name, **self.facts.get(name, {"real": True}))

    # --- the paper notation the grammar lacks ---

    def _expectations(self, text: str, placeholders: dict) -> str:
        """E_{x ~ law}[f], or E_p[f] under a law p named by let, over the one point p is applied to
        in f (E_p[log p(x) - log q(x)] is over x)."""
        pattern = re.compile(r"\\mathbb\s*\{\s*E\s*\}\s*_\s*(?=[{a-zA-Z])")
        while (m := pattern.search(text)) is not None:
            if text[m.end()] == "{":
                subscript_end = group(text, m.end())
                subscript = text[m.end() + 1:subscript_end - 1]
            else:
                subscript_end, subscript = m.end() + 1, text[m.end()]
            rest = text[subscript_end:].lstrip()
            skipped = len(text) - subscript_end - len(rest)
            opener = re.match(r"\\left\s*\[|\[", rest)
            if opener is None:
                raise ParseError("an expectation's argument goes in [ ]", subscript_end + 1)
            body_start = subscript_end + skipped + opener.end()
            body_end = group(text, body_start - 1, "[", "]")
            body = re.sub(r"\\right\s*$", "", text[body_start:body_end - 1].rstrip())
            law = re.fullmatch(r"\s*((?:\\[a-zA-Z]+|[a-zA-Z])(?:_\{?\w+\}?)?)\s*\\sim(.*)", subscript, re.S)
            if law is not None:
                variable, written = law.group(1), law.group(2)
            elif subscript.strip() in self.laws:
                written = subscript.strip()
                points = set(re.findall(rf"(?<![\\a-zA-Z]){re.escape(written)}\s*\(\s*((?:\\[a-zA-Z]+|[a-zA-Z])(?:_\{{?\w+\}}?)?)\s*\)",
                                        body))
                if len(points) != 1:
                    raise ParseError(f"which variable \\mathbb{{E}}_{{{written}}} integrates over is not clear: write "
                                     f"\\mathbb{{E}}_{{x \\sim {written}}}[...]", m.start() + 1)
                variable = points.pop()
            else:
                raise ParseError("read: \\mathbb{E}_{x \\sim \\mathcal{N}(\\mu, \\sigma^2)}[f(x)], or \\mathbb{E}_{p}[f] "
                                 "of a law p named by let", m.start() + 1)
            if _name(variable) in ("e", "pi"):
                raise ParseError(f"{variable} is a constant, not a variable to integrate over", m.start() + 1)
            self.unassumed(variable)
            law = self._law(written, placeholders)
            parameters = {s.name for part in (law.mean, law.std) if part is not None for s in part.free_symbols}
            if _name(variable) in parameters:
                raise ParseError(f"{variable} is both the variable of the expectation and a parameter of its law",
                                 m.start() + 1)
            if (law.factor is None) == (_name(variable) in self.matrices.shapes):
                raise ParseError(f"{variable} and its law are not both over scalars or both over vectors", m.start() + 1)
            point = self._read(variable, placeholders) if law.factor is not None else self.symbol(variable)
            name = _placeholder(placeholders, law.expectation(self._read(body, placeholders), point))
            text = text[:m.start()] + f" \\mathit{{{name}}} " + text[body_end:]
        return text

    def _law(self, text: str, placeholders: dict | None = None) -> _Law:
        """A law written \\mathcal{N}(\\mu, \\sigma^2) or \\mathcal{N}(\\mu, \\Sigma), or named by let."""
        text = text.strip()
        if text in self.laws:
            return self._law(self.laws[text])
        law = re.fullmatch(r"\\mathcal\s*\{\s*N\s*\}\s*(?:\\left)?\s*\((.*)\)\s*(?:\\right)?", text, re.S)
        if law is None or ";" in law.group(1):
            raise ParseError(f"a law is \\mathcal{{N}}(\\mu, \\sigma^2) or a name given by let: {_shorten(text)}")
        inside = re.sub(r"\\right\s*$", "", law.group(1).rstrip())
        return self._normal(*_two_arguments(inside, ","), placeholders)

    def _normal(self, mean: str, variance: str, placeholders: dict | None) -> _Law:
        """N(mean, variance); over vectors when the variance is a matrix assumed \\succ 0, or I_k."""
        covariance = self._read(variance, placeholders)
        if not isinstance(covariance, Shaped):
            if covariance.is_positive is False:  # the layer takes its root: N(0, -1) would be complex
                raise ParseError(f"a normal law's variance is positive: {_shorten(variance)}")
            return _Law(self.expression(mean), sympy.sqrt(covariance))
        name = _name(variance)
        identity = re.fullmatch(r"I_(\w+)", name)
        if name in self.matrices.positive_definite:
            factor = self.matrices.factor(name)
        elif identity and identity.group(1) in self.matrices.dimensions:
            factor = covariance.value
        else:
            raise ParseError(f"a covariance matrix is a name assumed \\succ 0, or I_k: {_shorten(variance)}")
        center = self._read(mean, placeholders)
        if not isinstance(center, Shaped) or center.shape != (covariance.shape[0], 1):
            raise ParseError(f"the mean of a law over vectors of {covariance.shape[0]} entries is such a vector: "
                             f"{_shorten(mean)}")
        return _Law(center.value, factor=factor, shape=center.shape)

    def _divergences(self, text: str, placeholders: dict) -> str:
        """D_{KL}(p || q) between Gaussian laws: its definition, the integral of p log(p / q)."""
        pattern = re.compile(r"(?:D\s*_\s*\{\s*(?:\\mathrm\s*\{\s*KL\s*\}|KL)\s*\}|D\s*_\s*\{?\s*KL\s*\}?"
                             r"|D\s*_\s*\\(?:mathrm|operatorname)\s*\{\s*KL\s*\}"
                             r"|\\(?:mathrm|operatorname)\s*\{\s*KL\s*\})\s*(\\left)?\s*\(")
        while (m := pattern.search(text)) is not None:
            end = group(text, m.end() - 1, "(", ")")
            inside = re.sub(r"\\right\s*$", "", text[m.end():end - 1].rstrip())
            parts = re.split(r"\\(?:,|;|!|\s)*\\\||\\\||\|\||\\parallel|\\Vert", inside)
            if len(parts) != 2:
                raise ParseError("a divergence is D_{\\mathrm{KL}}(p \\,\\|\\, q)", m.start() + 1)
            first, second = (self._law(re.sub(r"\\[,;!]", " ", part), placeholders) for part in parts)
            if first.shape != second.shape:
                raise ParseError("a divergence between laws over different spaces", m.start() + 1)
            if first.factor is None:
                x = sympy.Symbol(self._fresh_variable(text, first, second), real=True)
                p, q = first.density(x), second.density(x)
                value = sympy.Integral(p * sympy.log(p / q), (x, -sympy.oo, sympy.oo))
                # KL(p || p) builds log(p / p) = 0, where N(mu, sigma^2) has no density at sigma = 0
                check_kept([p, q], value, partial(self._known_defined, placeholders=placeholders))
            else:  # E_p[log p(x) - log q(x)], x a vector of entries no text can name
                x = Shaped(sympy.ImmutableMatrix(first.mean.rows, 1, lambda i, _: sympy.Symbol(f"x'[{i + 1}]", real=True)),
                           first.shape)
                value = first.expectation(sympy.log(first.density(x)) - sympy.log(second.density(x)), x)
            name = _placeholder(placeholders, value)
            text = text[:m.start()] + f" \\mathit{{{name}}} " + text[end:]
        return text

    def _matrix_functions(self, text: str, placeholders: dict) -> str:
        """\\operatorname{tr}(A) and \\det(A) (or \\det A, \\det \\Sigma_1): the argument is read
        here, so that tr(A) B is not tr(A B) to the grammar."""
        pattern = re.compile(r"\\operatorname\{tr\}|\\det(?![a-zA-Z])")
        while (m := pattern.search(text)) is not None:
            rest = text[m.end():]
            skipped = len(rest) - len(rest.lstrip())
            start = m.end() + skipped
            opener = re.match(r"\\left\s*\(|\(", text[start:])
            if opener is not None:
                end = group(text, start + opener.end() - 1, "(", ")")
                inside = re.sub(r"\\right\s*$", "", text[start + opener.end():end - 1].rstrip())
            else:
                name = re.match(r"\\?[a-zA-Z]+(?:\s*_\s*(?:\{[^{}]*\}|\w))?", text[start:])
                if name is None or re.match(r"\s*\^", text[start + name.end():]):
                    raise ParseError("write the argument of tr or det in parentheses: \\det(\\Sigma^{-1})",
                                     m.start() + 1)
                end, inside = start + name.end(), name.group(0)
                if not re.match(r"\s*(?:$|[+\-=)\]},]|\\(?:cdot|times|right)(?![a-zA-Z]))", text[end:]):
                    raise ParseError("tr A B may be tr(A) B or tr(A B): write the parentheses", m.start() + 1)
            try:
                argument = self._read(inside, placeholders)
                value = matrices.trace(argument) if "tr" in m.group(0) else matrices.det(argument)
            except ShapeError as exc:
                raise ParseError(str(exc), m.start() + 1) from None
            # the determinant is factored: (x^2 - 1)/(x - 1) A loses its divisor
            check_kept([argument.value if isinstance(argument, Shaped) else argument], value,
                       partial(self._known_defined, placeholders=placeholders))
            text = text[:m.start()] + f" \\mathit{{{_placeholder(placeholders, value)}}} " + text[end:]
        return text

    def _check_fraction_bars(self, text: str, placeholders: dict) -> None:
        """\\frac{A}{B} of matrices is A B^{-1} to the grammar, and may as well be B^{-1} A: refused."""
        if not self.matrices.shapes:
            return
        for m in re.finditer(r"\\frac\s*\{", text):
            denominator = group(text, m.end() - 1)
            opening = re.match(r"\s*\{(?!\s*(?:\\partial|d(?![a-zA-Z]{2})))", text[denominator:])  # not d/dx
            if opening and isinstance(self._read(text[denominator + opening.end():group(
                    text, denominator + opening.end() - 1) - 1], placeholders), Shaped):
                raise ParseError("a vector or matrix below a fraction bar: write A B^{-1} or B^{-1} A", m.start() + 1)

    def _absolute_values(self, text: str, placeholders: dict) -> str:
        """|x| and |\\Sigma| (a determinant), each read here: the grammar pairs bars its own way
        (|b| + \\lambda |w| as |b w |\\lambda||)."""
        while pairs := bar_pairs(text):
            start, end = pairs[0]
            try:
                argument = self._read(text[start + 1:end], placeholders)
                value = matrices.det(argument) if isinstance(argument, Shaped) else sympy.Abs(argument)
            except ShapeError as exc:
                raise ParseError(str(exc), start + 1) from None
            check_kept([argument.value if isinstance(argument, Shaped) else argument], value,
                       partial(self._known_defined, placeholders=placeholders))
            text = text[:start] + f" \\mathit{{{_placeholder(placeholders, value)}}} " + text[end + 1:]
        return text

    def _fresh_variable(self, text: str, *laws: _Law) -> str:
        """A name for a divergence's variable that neither the text, the laws' parameters nor a
        definition holds (a law named by let may hold an x the text does not show)."""
        taken = {s.name for law in laws for part in (law.mean, law.std) if part is not None for s in part.free_symbols}
        taken |= {s.name for key, value in self.definitions.items() for s in {key, *value.free_symbols}}
        name = "x"
        while name in taken or re.search(rf"(?<![\\a-zA-Z]){name}(?![a-zA-Z])", text):
            name += "_"
        return name

    def _densities(self, text: str, placeholders: dict) -> str:
        pattern = re.compile(r"\\mathcal\s*\{\s*N\s*\}\s*(\\left)?\s*\(")
        while (m := pattern.search(text)) is not None:
            end = group(text, m.end() - 1, "(", ")")
            inside = re.sub(r"\\right\s*$", "", text[m.end():end - 1].rstrip())
            if ";" not in inside:
                raise ParseError("a density is \\mathcal{N}(x; \\mu, \\sigma^2)", m.start() + 1)
            point, law = inside.split(";", 1)
            value = self._normal(*_two_arguments(law, ","), placeholders).density(self._read(point, placeholders))
            name = _placeholder(placeholders, value)
            text = text[:m.start()] + f" \\mathit{{{name}}} " + text[end:]
        return text

    # --- directives ---

    def directive(self, text: str) -> rules.Rule | None:
        """Apply ``assume`` or ``let``; return the rule of ``rule NAME``."""
        word, _, rest = text.strip().partition(" ")
        if word == "rule":
            try:
                return rules.named(rest.strip())
            except ValueError:
                raise ParseError(f"unknown rule '{rest.strip()}': algebra, linearity or evaluate") from None
        if word == "assume":
            for relation in _relations(rest):
                try:
                    self._assume(relation.strip())
                except ShapeError as exc:
                    raise ParseError(str(exc)) from None
            self.assumed.append(" ".join(rest.split()))
            return None
        if word == "let":
            name, equals, definition = rest.partition("=")
            accent = _ACCENT.fullmatch(name.strip())
            if accent:  # \bar x is the symbol xbar, as the grammar's side reads it
                name = _name(accent.group(2) or accent.group(3)) + _ACCENTS[accent.group(1)]
            if not equals or not re.fullmatch(r"\s*\\?[a-zA-Z]+(_\{?\w+\}?)?\s*", name):
                raise ParseError("write: let NAME = expression")
            if _name(name.strip().lstrip("\\")) in _CONSTANTS:
                raise ParseError(_CONSTANTS[_name(name.strip().lstrip("\\"))])
            if _name(name.strip().lstrip("\\")) in self.matrices.dimensions:
                raise ParseError(_DIMENSION_FIXED.format(_name(name.strip().lstrip("\\"))))
            if self._assumed(_name(name.strip().lstrip("\\"))):  # assume n \in \mathbb{N}, let n = 1/2
                raise ParseError(f"{name.strip()} is named in an assume: a let of it would not be checked against it")
            if re.match(r"\s*\\mathcal\s*\{\s*N\s*\}", definition) and ";" not in definition:
                try:
                    self._law(definition)
                except NeedsDimension:
                    pass  # a law over vectors, read at each dimension where it is used
                self.laws[name.strip()] = definition
            else:
                self.definitions[self.symbol(name.strip().lstrip("\\"))] = self.expression(definition)
            self.assumed.append(" ".join(text.split()))
            return None
        if word == "function":
            for name in split_top(rest, ","):
                if not re.fullmatch(r"\s*\\?[a-zA-Z]+\s*", name):
                    raise ParseError(f"a function is named with a letter or a macro: {name.strip()}")
                self.functions.add(_name(name))
            self.assumed.append(" ".join(text.split()))
            return None
        raise ParseError(f"unknown directive '{word}': assume, let, function or rule")

    def _assume(self, relation: str) -> None:
        space = re.fullmatch(r"(.+?)\\in\s*\\mathbb\s*\{\s*R\s*\}\s*\^\s*(\{[^{}]*\}|\w)", relation)
        if space:  # \mu \in \mathbb{R}^k, \Sigma \in \mathbb{R}^{k \times k}
            sizes = [size.strip() for size in space.group(2).strip("{}").split("\\times")]
            if len(sizes) > 2 or not all(re.fullmatch(r"[1-9]\d*|[a-zA-Z](_\{?\w+\}?)?", size) for size in sizes):
                raise ParseError(f"read: \\mathbb{{R}}^{{k}} or \\mathbb{{R}}^{{k \\times k}}, sizes a name or a number: "
                                 f"{relation}")
            shape = tuple(int(size) if size.isdigit() else _name(size) for size in sizes) + (1,) * (2 - len(sizes))
            for size in shape:
                if isinstance(size, str):
                    self._dimension(size)
            for name in split_top(space.group(1), ","):
                self.matrices.declare(self._shaped_name(name), shape)
            return
        choice = re.fullmatch(r"(.+?)\\in\s*\\\{([\d\s,]+)\\\}", relation)
        if choice:  # k \in \{1, 2, 3, 4\}: the dimensions a chain is read at
            values = tuple(int(v) for v in choice.group(2).split(",") if v.strip())
            self._dimension(_name(choice.group(1).strip().lstrip("\\")))
            self.matrices.choose(_name(choice.group(1).strip().lstrip("\\")), values)
            return
        definite = re.fullmatch(r"(.+?)\\succ\s*0", relation)
        if definite:
            for name in split_top(definite.group(1), ","):
                self.matrices.declare_positive_definite(self._shaped_name(name))
            return
        member = re.fullmatch(r"(.+?)\\in\s*\\mathbb\s*\{\s*([NZR])\s*\}", relation)
        if member:
            facts = {"N": {"integer": True, "positive": True}, "Z": {"integer": True}, "R": {"real": True}}
            for name in split_top(member.group(1), ","):
                self._declare(name.strip(), facts[member.group(2)])
            return
        word = re.search(r"(?<![\\a-zA-Z])[a-zA-Z]{2,}", relation)
        if word:  # "x > 0 and y > 0" would be read with a product a n d y
            raise ParseError(f"'{word.group(0)}' in a relation: separate relations with commas, and name symbols "
                             "with one letter or a macro (\\sigma, x_{1})")
        parts = re.split(r"(<=|>=|\\leq?|\\geq?|<|>|\\neq|\\ne)", relation)
        if len(parts) < 3:
            raise ParseError(f"read: a relation such as \\sigma > 0 or 0 < p < 1, not '{relation}'")
        sides = [self.expression(p) for p in parts[::2]]
        dimension = next((s.name for side in sides for s in side.free_symbols if s.name in self.matrices.dimensions), None)
        if dimension:
            raise ParseError(_DIMENSION_FIXED.format(dimension))
        operators = [_OPERATORS[p.strip("\\")] for p in parts[1::2]]
        for (left, right), operator in zip(zip(sides, sides[1:]), operators):
            if operator == "ne" and right == 0 and isinstance(left, sympy.Symbol):
                self._declare(left.name, {"nonzero": True})
            elif right == 0 and isinstance(left, sympy.Symbol) and operator in ("gt", "ge"):
                self._declare(left.name, {"positive": True} if operator == "gt" else {"nonnegative": True})
            elif left == 0 and isinstance(right, sympy.Symbol) and operator in ("lt", "le"):
                self._declare(right.name, {"positive": True} if operator == "lt" else {"nonnegative": True})
            elif operator == "ne":
                raise ParseError(f"only x \\neq 0 is read: {relation}")
            else:
                self.hypotheses.append(_RELATIONS[operator](left, right))
        # A symbol declared by one relation of the directive is named with its facts in the others.
        self.hypotheses = [h.xreplace({s: self.symbol(s.name) for s in h.free_symbols if type(s) is sympy.Symbol})
                           for h in self.hypotheses]

    def _shaped_name(self, name: str) -> str:
        accent = _ACCENT.fullmatch(name.strip())
        # \hat\Sigma is the symbol Sigmahat, as a side reads it
        name = _name(accent.group(2) or accent.group(3)) + _ACCENTS[accent.group(1)] if accent else _name(name)
        if not re.fullmatch(r"[a-zA-Z]+(_\w+)?", name):
            raise ParseError(f"vectors and matrices are named with a letter or a macro: {name}")
        if re.fullmatch(r"I(_\w+)?", name):
            raise ParseError(f"{name} is the identity matrix: name a vector or matrix another way")
        if name in self.facts or any(s.name == name for h in self.hypotheses for s in h.free_symbols):
            raise ParseError(f"{name} is already a scalar in an assume: declare its shape first")
        return name

    def _assumed(self, name: str) -> bool:
        return set(self.facts.get(name, {"real": True})) - {"real"} != set() \
            or any(s.name == name for h in self.hypotheses for s in h.free_symbols)

    def _dimension(self, name: str) -> None:
        """``name`` as a dimension: a positive integer whose values are chosen, not constrained."""
        constrained = name in self.facts and set(self.facts[name]) - {"real", "integer", "positive"} \
            or any(s.name == name for h in self.hypotheses for s in h.free_symbols) \
            or any(s.name == name for s in self.definitions)
        if constrained:  # assume k > 5 would not stop the reading at k = 1, 2, 3
            raise ParseError(_DIMENSION_FIXED.format(name))
        self._declare(name, {"integer": True, "positive": True})

    def _declare(self, name: str, facts: dict) -> None:
        name = _name(re.sub(r"^\\", "", name.strip()))
        if not re.fullmatch(r"[a-zA-Z]+(_\w+)?", name):
            raise ParseError(f"assumptions name symbols: {name}")
        if name in _CONSTANTS:
            raise ParseError(_CONSTANTS[name])
        if any(_name(d.name) == name for d in self.definitions):  # let n = 1/2, assume n \in \mathbb{N}
            raise ParseError(f"{name} is defined by let: an assumption on it would not be checked against the definition")
        known = dict(self.facts.get(name, {"real": True}))
        known.update(facts)
        self.facts[name] = known
        # Hypotheses already read name the symbol with its old facts: rewrite them.
        old = {s: self.symbol(name) for h in [*self.hypotheses, *self.definitions.values()]
               for s in h.free_symbols if s.name == name}
        self.hypotheses = [h.xreplace(old) for h in self.hypotheses]
        self.definitions = {k: v.xreplace(old) for k, v in self.definitions.items()}


_CONSTANTS = {"e": "e is Euler's number and \\pi the constant: name the symbol another way",
              "pi": "e is Euler's number and \\pi the constant: name the symbol another way"}
_DIMENSION_FIXED = ("{0} is a dimension of vectors or matrices, read at the values chosen: choose them with "
                    "assume {0} \\in \\{{2, 4\\}}; a relation or a let of {0} is not read")
# The grammar's reading of a text (the same each time; its parser is slow, and papers repeat a side
# or a directive): sympy's trees are immutable.
_GRAMMAR_READ: dict[str, sympy.Basic] = {}
_OPERATORS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "le": "le", "leq": "le", "ge": "ge", "geq": "ge",
              "ne": "ne", "neq": "ne"}
_RELATIONS = {"lt": sympy.StrictLessThan, "le": sympy.LessThan, "gt": sympy.StrictGreaterThan,
              "ge": sympy.GreaterThan}


# Letters the grammar reads as symbols, lent to names it misreads while it reads a side.
_SPARE_LETTERS = ("varpi varsigma varkappa vartheta varrho varphi upsilon Upsilon iota Xi xi Psi psi Omega omega "
                  "chi zeta eta nu kappa").split()
# A letter or a Greek letter under an accent: \bar\bar x is not a name, and is refused.
_ACCENTED_NAME = rf"\\(?:{'|'.join(GREEK)})(?![a-zA-Z])|[a-zA-Z]"
_ACCENT = re.compile(rf"\\(bar|overline|hat|widehat|tilde|widetilde)\s*(?:\{{\s*({_ACCENTED_NAME})\s*\}}|({_ACCENTED_NAME}))")
_ACCENTS = {"bar": "bar", "overline": "bar", "hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde"}


def _check_real(expr: sympy.Basic, holds, ranges: tuple = ()) -> None:
    """Roots and logs as a real page means them. Of a negative number sympy takes the principal
    complex value: \\sqrt[3]{-8} is 1 + i\\sqrt{3}, not -2, and identities of complex logs and roots
    would be proved of numbers a real page leaves undefined. So a root's base must be known not
    negative, and a log's argument not known negative; under a sum, product or integral, both known
    over the range of its variable (``ranges``: what the enclosing binders say of theirs)."""
    if isinstance(expr, (sympy.Integral, sympy.Sum, sympy.Product)):
        strict = isinstance(expr, sympy.Integral)  # an integral's ends are a null set
        inner = list(ranges)
        for limit in expr.limits:
            # \int_i^2 with i up to 3 runs from 2 to 3 at i = 3: the ends say where the variable is only
            # when they are known in order (a sum's reversed ends are refused before)
            if len(limit) == 3 and (not strict or holds("nonnegative", limit[2] - limit[1], tuple(inner))):
                variable, low, high = limit
                inner += [(sympy.Q.gt if strict else sympy.Q.ge)(variable, low)] if low.is_finite else []
                inner += [(sympy.Q.lt if strict else sympy.Q.le)(variable, high)] if high.is_finite else []
        for end in (end for limit in expr.limits for end in limit[1:]):
            _check_real(end, holds, ranges)
        _check_real(expr.function, holds, tuple(inner) or (sympy.true,))
        return
    under_binder = bool(ranges)
    if isinstance(expr, sympy.Pow) and expr.exp.is_integer is not True and not holds("nonnegative", expr.base, ranges):
        raise ParseError(f"{sympy.sstr(expr)}: a root or power of {sympy.sstr(expr.base)}, which may be negative"
                         + (" over the range summed or integrated" if under_binder else "")
                         + ": assume it is not (x \\geq 0), or write the power as an integer one")
    if isinstance(expr, sympy.log) and (not holds("positive", expr.args[0], ranges) if under_binder
                                        else expr.args[0].is_positive is False):
        raise ParseError(f"{sympy.sstr(expr)}: the log of a number that is not positive"
                         + (" over the range summed or integrated" if under_binder else ""))
    if isinstance(expr, (sympy.factorial, sympy.factorial2, sympy.binomial)) and not all(
            a.is_integer and holds("nonnegative", a, ranges) for a in expr.args):
        # sympy's (1/2)! is Gamma(3/2); a page's n! and binomial are of natural numbers
        raise ParseError(f"{sympy.sstr(expr)}: a factorial or binomial of what is not known to be a natural number "
                         "(assume n \\in \\mathbb{N}, or write \\Gamma)")
    for arg in expr.args:
        _check_real(arg, holds, ranges)


def _renaming(name: str, renamed: dict[str, str]) -> str:
    """The name a spare letter stands for (its subscript kept: \\bar{x}_i is xbar_i)."""
    base, _, subscript = _name(name).partition("_")
    if base not in renamed:
        return name
    return renamed[base] + (f"_{subscript}" if subscript else "")


def _placeholder(placeholders: dict, value: sympy.Expr) -> str:
    """A name for ``value`` in the text given to the grammar (letters only: it reads digits apart)."""
    n, letters = len(placeholders), ""
    while True:
        letters = chr(ord("A") + n % 26) + letters
        n //= 26
        if not n:
            break
    name = f"{PLACEHOLDER}{letters}"
    placeholders[name] = value
    return name


def _name(name: str) -> str:
    """One name for \\sigma_1, \\sigma_{1} and the grammar's sigma_{1}: sigma_1, which sympy prints
    in LaTeX as \\sigma_{1}."""
    name = name.strip().lstrip("\\")
    m = re.fullmatch(r"([a-zA-Z]+)_\{?(\w+)\}?", name)
    return f"{m.group(1)}_{m.group(2)}" if m else name


def _relations(text: str) -> list[str]:
    """The relations of an assume, apart at commas; names before a relation belong to it
    (``\\mu_1, \\mu_2 \\in \\mathbb{R}^k``, ``n, k \\in \\mathbb{N}``)."""
    relations, names = [], []
    for part in split_top(text, ","):
        if re.search(r"<|>|\\(?:in|succ|le|ge|leq|geq|ne|neq)(?![a-zA-Z])|=", part):
            relations.append(",".join(names + [part]))
            names = []
        else:
            names.append(part)
    if names:
        raise ParseError(f"read: a relation such as \\sigma > 0 or 0 < p < 1, not '{','.join(names).strip()}'")
    return relations


def _two_arguments(text: str, separator: str) -> tuple[str, str]:
    parts = split_top(text, separator)
    if len(parts) != 2:
        raise ParseError(f"a normal law has a mean and a variance: {text.strip()}")
    return parts[0], parts[1]


# --- derivations ------------------------------------------------------------------------------


def read(path: str | Path) -> list[Derivation]:
    """The derivations of one .tex or .md file: each equality chain is one, each claim a step at
    its line. A file derive cannot read at all (not UTF-8) is a ProofFileError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProofFileError(Location(str(path), 1), f"cannot read: {exc}") from None
    if path.suffix == ".tex":
        _check_local_packages(path, text)
    reader = _Reader()
    derivations: list[Derivation] = []
    try:
        blocks = displays(text, path.suffix)
    except ParseError as exc:
        line = re.match(r"line (\d+): ", str(exc))
        raise ProofFileError(Location(str(path), int(line.group(1)) if line else 1),
                             str(exc)[line.end():] if line else str(exc)) from None
    for block in blocks:
        rule = None
        for line, directive in block.directives:
            try:
                rule = reader.directive(directive) or rule
            except ParseError as exc:
                raise ProofFileError(Location(str(path), line), f"derive: {directive}: {exc}") from None
            except NeedsDimension:
                raise ProofFileError(Location(str(path), line), f"derive: {directive}: a relation or a let of "
                                     "vectors or matrices is not read") from None
            except (TypeError, ValueError, ArithmeticError) as exc:  # sympy's: x > \sqrt{-1} compares with I
                raise ProofFileError(Location(str(path), line),
                                     f"derive: {directive}: {' '.join(str(exc).split())[:200]}") from None
        try:
            claims = claims_of(block)
        except ParseError as exc:
            raise ProofFileError(Location(str(path), block.line(0)), str(exc)) from None
        derivations += _derivations(path, claims, reader, rule or rules.weakest())
    starting: dict[str, int] = {}
    for derivation in derivations:  # \[ a = b \] \[ c = d \] on one line: line1 and line1.2
        starting[derivation.name] = starting.get(derivation.name, 0) + 1
        if starting[derivation.name] > 1:
            derivation.name = re.sub(r"_line(\d+)", rf"_line\1.{starting[derivation.name]}", derivation.name, count=1)
    return derivations


_PACKAGE = re.compile(r"\\(?:usepackage|RequirePackage)\s*(?:\[[^\]]*\])?\s*\{([^{}]*)\}")
_OPENS_MATH = re.compile(r"\\begin\s*\{\s*(?:equation|align|gather|multline|flalign|alignat|eqnarray|displaymath|dmath)"
                         r"\*?\s*\}|\\\[|\\\]|\\\(|\\\)|\$\$")


def _check_local_packages(path: Path, text: str) -> None:
    """A package of the document's own folder may define a macro that opens a display
    (\\newcommand{\\be}{\\begin{equation}}): derive does not read packages, so the displays it
    opens would not be checked. Such a package is a one-line error at its \\usepackage."""
    for m in _PACKAGE.finditer(text):
        for name in m.group(1).split(","):
            package = path.parent / f"{name.strip()}.sty"
            if not name.strip() or not package.is_file():
                continue
            source = package.read_text(encoding="utf-8", errors="replace")
            math = _OPENS_MATH.search(source)
            if math:
                raise ProofFileError(Location(str(path), text.count("\n", 0, m.start()) + 1),
                                     f"{package.name} line {source.count(chr(10), 0, math.start()) + 1} opens math "
                                     f"({math.group(0)}): derive does not read packages, so displays its macros "
                                     "open would not be checked; define them in the document")


def _derivations(path: Path, claims: list[Claim], reader: _Reader, rule) -> list[Derivation]:
    """One derivation per chain; a chain that names a declared vector or matrix, one per choice
    of the dimensions (``name[k=2]``)."""
    chains: list[list[Claim]] = []
    for claim in claims:
        if claim.continues and chains:
            chains[-1].append(claim)
        else:
            chains.append([claim])
    derivations = []
    for chain in chains:
        try:
            derivations.append(_chain(path, chain, reader, rule))
        except NeedsDimension:
            for values in reader.matrices.assignments():
                reader.matrices.active = values
                try:
                    derivations.append(_chain(path, chain, reader, rule, values))
                finally:
                    reader.matrices.active = None
    return derivations


def _chain(path: Path, chain: list[Claim], reader: _Reader, rule, dimensions: dict | None = None) -> Derivation:
    first = chain[0]
    where = Location(str(path), first.line)
    chosen = ", ".join(f"{name} = {value}" for name, value in (dimensions or {}).items())
    name = f"{path.stem}_{path.suffix[1:]}_line{first.line}" + (f"[{chosen}]" if chosen else "")
    scope = f"{chosen}; {reader.scope}" if chosen else reader.scope
    sides = _as_entries(reader, [first.error or _read_side(reader, first.lhs)]
                        + [claim.error or _read_side(reader, claim.rhs) for claim in chain])
    start = sides[0]
    current = Derivation.rebuilt(name, _shorten(f"{first.lhs} = ..."),
                                 start if isinstance(start, sympy.Basic) else _unreadable(first.lhs),
                                 origin=None, scope=scope, location=where, steps=[], assuming=reader.hypotheses,
                                 dimensions=chosen)
    stated_sides = sides[1:]
    if not isinstance(start, sympy.Basic):
        current.steps.append(Step(f"line {first.line}", _shorten(first.rhs), rule, _unreadable(first.rhs), where,
                                  unreadable=start))
        chain, stated_sides = chain[1:], stated_sides[1:]
    for claim, stated in zip(chain, stated_sides):
        where = Location(str(path), claim.line)
        previous_unreadable = current.steps and current.steps[-1].unreadable
        label = f"line {claim.line}"
        if any(s.label == label for s in current.steps):
            label = f"line {claim.line}.{sum(s.label.startswith(label) for s in current.steps) + 1}"
        if not isinstance(stated, sympy.Basic):
            current.steps.append(Step(label, _shorten(claim.rhs), rule, _unreadable(claim.rhs), where,
                                      unreadable=stated))
        elif previous_unreadable:
            current.steps.append(Step(label, _shorten(claim.rhs), rule, stated, where,
                                      unreadable=f"the side before it could not be read ({previous_unreadable})"))
        else:
            current.steps.append(Step(label, _shorten(claim.rhs), rule, stated, where))
    return current


def _as_entries(reader: _Reader, sides: list) -> list:
    """x_1 and w_j in a chain that sums over x_i and w_k are entries x[1] and w[j] of what is summed
    (\\sum_{i=1}^{2} x_i = x_1 + x_2), in every side of the chain alike."""
    bases: dict[str, set] = {}
    for side in sides:
        if isinstance(side, sympy.Basic):
            for node in side.atoms(sympy.Indexed):
                bases.setdefault(node.base.label.name, set()).add(node.base)
    summed = {name: next(iter(found)) for name, found in bases.items() if len(found) == 1}
    if not summed:
        return sides

    def entry(symbol):
        m = re.fullmatch(r"(.+)_(\d+|[a-zA-Z])", symbol.name)
        if m is None or m.group(1) not in summed:
            return None
        index = m.group(2)
        if index.isdigit():
            return summed[m.group(1)][sympy.Integer(index)]
        # an index the file declared (assume j \in \mathbb{N}, j \leq n) is that symbol
        return summed[m.group(1)][reader.symbol(index) if index in reader.facts else sympy.Symbol(index, integer=True)]

    # a derivative's variable too: d/dx_1 of a sum over x_i holds x_1 bound only
    names = {s for side in sides if isinstance(side, sympy.Basic)
             for s in [*side.free_symbols, *(v for d in side.atoms(sympy.Derivative) for v in d.variables)]}
    mapping = {s: entry(s) for s in names if type(s) is sympy.Symbol and entry(s) is not None}
    return [side.xreplace(mapping) if isinstance(side, sympy.Basic) and mapping else side for side in sides]


def _read_side(reader: _Reader, text: str) -> sympy.Basic | str:
    """The expression, or why it cannot be read (with the column in the side as written)."""
    try:
        return reader.expression(text)
    except ParseError as exc:
        column = f" (column {exc.column} of '{_shorten(text.strip())}')" if exc.column else ""
        return f"{exc}{column}"
    except (RecursionError, ValueError, TypeError, AttributeError, sympy.SympifyError) as exc:
        return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def _unreadable(text: str) -> sympy.Symbol:
    """What a step that could not be read shows for its side: the text as written."""
    return sympy.Symbol(" ".join(text.split()) or "(empty)")


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."
