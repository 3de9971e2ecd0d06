"""Derivations where they are written: the equality chains of a .tex or .md file as derivations.

A chain ``a = b = c`` (``a &= b \\\\ &= c`` in an ``align``) is a derivation from ``a`` whose
steps state ``b`` and ``c``, each at the line of its ``=``. What is read:

- ``.tex``: ``align``, ``align*``, ``gather``, ``gather*``, ``equation``, ``equation*`` (an
  ``aligned`` inside them included), ``\\[ \\]`` and ``$$ $$``;
- ``.md``: ``$$ $$`` blocks and fenced ``math`` blocks.

Directives, in a comment before an environment (``% derive: ...`` or ``<!-- derive: ... -->``):
``assume \\sigma > 0, 0 < p < 1`` and ``let l = \\log\\sigma^2`` hold for the rest of the file;
``rule linearity`` for the next environment only. Without a rule, each step is checked with the
least powerful rule that proves it (``rules.weakest``), and the report names that rule.

Parsing is sympy's ``parse_latex`` (the ANTLR grammar; ``pip install derive[latex]``) behind a
strict layer: a macro outside ``KNOWN_MACROS``, an unbalanced brace, bracket or ``\\left``, or
anything the grammar would misread (digits apart, a name both applied and a symbol) is an error,
never a guess. A claim that
cannot be read is a step with the kernel's PARSE_ERROR verdict; the rest of the file is checked.
Nothing in a file is executed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import sympy
from sympy.core.function import AppliedUndef
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from . import rules
from .derivation import Derivation, Location, Step
from .errors import ProofFileError
from .gaussian import expectation, normal_pdf

_GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi "
          "rho varrho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Sigma Upsilon "
          "Phi Psi Omega").split()
# What the layer reads: sympy's grammar for these, the layer itself for \mathbb{E}, \mathcal{N}
# and the annotations it removes. \pi is the constant, as in sympy's grammar.
KNOWN_MACROS = frozenset(_GREEK + """frac dfrac tfrac sqrt log ln exp sum prod int infty partial left right
    cdot times div pi mathbb mathcal sim mid sin cos tan sinh cosh tanh arcsin arccos arctan binom max
    min""".split())
_SPACING = (r"(?<!\\)\\[,;:! ]|\\displaystyle|\\[bB]igg?[lr]?(?![a-zA-Z])|\\nonumber|\\notag")
_ANNOTATIONS = re.compile(r"\\(?:label|tag)\{[^{}]*\}")
# Words and wide spaces: they end an equation's math (a = b \quad \text{and} \quad c = d is two).
_SEPARATORS = re.compile(r"\\text\{[^{}]*\}|\\q?quad(?![a-zA-Z])")
_SEPARATOR = "\x00"
_ENVIRONMENTS = "align|align\\*|gather|gather\\*|equation|equation\\*"
_UPRIGHT = re.compile(r"\\(?:mathrm|operatorname)\s*\{\s*(d|e|KL)\s*\}")
_PLACEHOLDER = "DERIVEPLACEHOLDER"


class ParseError(ValueError):
    """A claim the layer will not read: ``column`` counts from 1 in the claim's line."""

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


@dataclass
class _Block:
    """One math environment: its text, where it starts in the file, the file's line of an offset,
    and the directives before it."""

    text: str
    start: int
    line_of: object
    directives: list[tuple[int, str]] = field(default_factory=list)

    def line(self, offset: int) -> int:
        """The file's line of the text's ``offset`` (its last character's, past the end)."""
        return self.line_of(self.start + min(offset, max(len(self.text) - 1, 0)))


# --- finding the math ---------------------------------------------------------------------------


def _blank(text: str) -> str:
    """``text`` as spaces, newlines kept (offsets and lines stay)."""
    return re.sub(r"[^\n]", " ", text)


def _line_of(text: str):
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(offset: int) -> int:
        lo, hi = 0, len(starts)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if starts[mid] <= offset else (lo, mid)
        return lo + 1

    return line


def _blocks(text: str, suffix: str) -> list[_Block]:
    """The math environments of a file, in order, each with the directives just before it."""
    line = _line_of(text)
    if suffix == ".tex":
        # A comment starts at a % after an even run of backslashes (\\% is a line break, then one).
        comment = r"(?<!\\)((?:\\\\)*)(%[^\n]*)"
        directives = [(m.start(2), line(m.start(2)), d.group(1).strip()) for m in re.finditer(comment, text)
                      if (d := re.match(r"%\s*derive:(.*)", m.group(2)))]
        text = re.sub(comment, lambda m: m.group(1) + _blank(m.group(2)), text)  # comments are not math
        pattern = re.compile(r"\\begin\{(" + _ENVIRONMENTS + r")\}(.*?)\\end\{\1\}|\\\[(.*?)\\\]|\$\$(.*?)\$\$", re.S)
    else:
        text = _without_code(text)
        directives = [(m.start(), line(m.start()), m.group(1).strip())
                      for m in re.finditer(r"<!--\s*derive:(.*?)-->", text, re.S)]
        text = re.sub(r"<!--.*?-->", lambda m: _blank(m.group(0)), text, flags=re.S)
        pattern = re.compile(r"\$\$(.*?)\$\$|^```math[ \t]*\n(.*?)^```", re.S | re.M)
    blocks, used = [], 0
    for m in pattern.finditer(text):
        group = next(g for g in range(2 if suffix == ".tex" else 1, (pattern.groups or 0) + 1) if m.group(g) is not None)
        body, start = m.group(group), m.start(group)
        inside = next((n for offset, n, _ in directives if m.start() <= offset < m.end()), None)
        if inside is not None:
            raise ParseError(f"line {inside}: a derive: directive inside a math environment applies to nothing: "
                             "put it before the environment")
        before = [(n, d) for offset, n, d in directives if used <= offset < m.start()]
        used = m.end()
        blocks.append(_Block(body, start, line, before))
    return blocks


def _without_code(text: str) -> str:
    """Markdown with its code blanked (fenced blocks other than math, inline code spans): code shows
    text, and holds no math or directive."""
    out, fence, math = [], None, False
    for line in text.splitlines(keepends=True):
        opening = re.match(r"\s*(```+|~~~+)\s*(\w*)", line)
        if fence is None and opening:
            fence, math = opening.group(1), opening.group(2) == "math"
            out.append(line)
        elif fence is not None and line.strip().startswith(fence) and not line.strip().strip(fence[0]):
            fence = None
            out.append(line)
        elif fence is not None:
            out.append(line if math else _blank(line))
        else:
            out.append(re.sub(r"`[^`\n]*`", lambda m: " " * len(m.group(0)), line))
    return "".join(out)


@dataclass(frozen=True)
class _Claim:
    """``lhs = rhs`` as written, at the line of its ``=``."""

    lhs: str
    rhs: str
    line: int
    continues: bool  # the lhs is the previous claim's rhs
    error: str | None = None  # why the row cannot be read as claims


def _rows(block: _Block):
    """(text, line of its first character) of each ``\\``-separated row (``\\[2pt]`` too), labels
    and spacing removed, words and wide spaces marked as separators."""
    text = block.text
    text = re.sub(r"\\(?:begin|end)\{(?:aligned|split|gathered)\}", lambda m: " " * len(m.group(0)), text)
    text = _ANNOTATIONS.sub(lambda m: " " * len(m.group(0)), text)
    start = 0
    for m in list(re.finditer(r"\\\\(?:\s*\[[^\]\n]*\])?", text)) + [None]:
        end = m.start() if m else len(text)
        row = text[start:end]
        # An annotation after && (a row's comment column) is not math.
        row = row.split("&&")[0]
        row = _SEPARATORS.sub(lambda m: _SEPARATOR * len(m.group(0)), row)
        row = re.sub(_SPACING, lambda m: " " * len(m.group(0)), row)
        offset = start + len(row) - len(row.lstrip())
        if row.replace(_SEPARATOR, " ").strip():
            yield row, start, block.line(offset)
        start = m.end() if m else end


def _row_error(row: str) -> str | None:
    """Why a row is not one equation chain: several alignment columns, or words or wide spaces
    between two equations (a = b \\quad \\text{and} \\quad c = d)."""
    if row.count("&") > 1:
        return "several alignment columns in one row: write one equation chain per row"
    for m in re.finditer(f"{_SEPARATOR}+", row):
        if "=" in row[:m.start()] and "=" in row[m.end():]:
            return "two equations on one row, apart by words or a wide space: write one per row"
    return None


def _claims(block: _Block) -> list[_Claim]:
    claims: list[_Claim] = []
    chain_open = False
    pending = ""  # a left side on rows of its own, before the row whose = it belongs to
    for raw, start, first_line in _rows(block):
        error = _row_error(raw)
        row = raw.replace("&", " ").replace(_SEPARATOR, " ")
        parts = _split_equals(row)
        if len(parts) == 1:
            if chain_open and claims:  # a long right side broken over rows (+ c, \times e^{...})
                last = claims[-1]
                claims[-1] = _Claim(last.lhs, f"{last.rhs} {row.strip()}", last.line, last.continues,
                                    last.error or error)
            else:
                pending = f"{pending} {row.strip()}"
            continue
        offsets = [start + m.start() for m in re.finditer(r"(?<![<>\\!])=", block.text[start:start + len(row)])]
        lines = [block.line(o) for o in offsets] or [first_line] * (len(parts) - 1)
        head = f"{pending} {parts[0]}".strip().rstrip(",.;")
        continues = not head
        pending = ""
        if continues and not (chain_open and claims):
            raise ParseError("a row starts with = but nothing is before it")
        for n, rhs in enumerate(parts[1:]):
            lhs = (claims[-1].rhs if continues else head) if n == 0 else parts[n].strip()
            claims.append(_Claim(lhs, rhs.strip().rstrip(",.;").strip(), lines[min(n, len(lines) - 1)],
                                 continues or n > 0, error))
        chain_open = True
    return claims


def _split_equals(row: str) -> list[str]:
    """The row split at each = outside braces (not <=, >=, \\neq)."""
    if sum((c in "{([") - (c in "})]") for c in row):
        return re.split(r"(?<![<>!\\])=", row)  # unbalanced: split anyway, each side says what is wrong
    return _split_top(row, "=", not_after="<>!\\")


# --- reading one expression -----------------------------------------------------------------------


def _check_balance(text: str) -> None:
    stack = []
    pairs = {"}": "{", ")": "(", "]": "["}
    for n, c in enumerate(text):
        if c in "{([":
            stack.append((c, n))
        elif c in "})]":
            if not stack or stack[-1][0] != pairs[c]:
                raise ParseError(f"unbalanced '{c}'", n + 1)
            stack.pop()
    if stack:
        raise ParseError(f"unbalanced '{stack[-1][0]}' (never closed)", stack[-1][1] + 1)
    lefts, rights = len(re.findall(r"\\left\b", text)), len(re.findall(r"\\right\b", text))
    if lefts != rights:
        raise ParseError(f"{lefts} \\left but {rights} \\right")


def _group(text: str, start: int, open_: str = "{", close: str = "}") -> int:
    """The offset just after the group that opens at ``start``."""
    depth = 0
    for n in range(start, len(text)):
        depth += (text[n] == open_) - (text[n] == close)
        if depth == 0:
            return n + 1
    raise ParseError(f"unbalanced '{open_}'", start + 1)


class _Reader:
    """Reads claims' sides into sympy, with the file's assumptions and definitions."""

    def __init__(self):
        self.facts: dict[str, dict] = {}
        self.hypotheses: list = []
        self.definitions: dict[sympy.Symbol, sympy.Expr] = {}
        self.laws: dict[str, tuple] = {}  # a name given to N(mu, sigma^2) by let: (mean, standard deviation)
        self.assumed: list[str] = []  # the assume and let directives read so far, as written

    @property
    def scope(self) -> str:
        said = "; ".join(self.assumed)
        return f"{said}; every other symbol real" if said else "every symbol real"

    # Placeholders stand for what the layer reads itself (an expectation, a density): a name no
    # reader can write, since the layer refuses the macro it would take.
    def expression(self, text: str) -> sympy.Expr:
        _check_balance(text)
        if _PLACEHOLDER in text:
            raise ParseError(f"{_PLACEHOLDER} is a name derive keeps for itself", text.index(_PLACEHOLDER) + 1)
        # Upright d, e and KL are the only upright names read (\mathrm{d}x, D_{\mathrm{KL}}).
        upright = re.sub(_UPRIGHT, lambda m: " " * len(m.group(0)), text)
        for m in re.finditer(r"\\([a-zA-Z]+)", upright):
            if m.group(1) not in KNOWN_MACROS:
                raise ParseError(f"unknown macro \\{m.group(1)}", m.start() + 1)
        text = re.sub(_UPRIGHT, lambda m: m.group(0) if m.group(1) == "KL" else f" {m.group(1)}", text)
        # x^{2}_{1} is x_{1}^{2}: the grammar drops a subscript after a superscript.
        script = r"(\{[^{}]*\}|\\[a-zA-Z]+|\w)"
        text = re.sub(rf"\^\s*{script}\s*_\s*{script}", r"_\2^\1", text)
        # A decimal is exact: 0.1 is 1/10 (the grammar would make a float).
        text = re.sub(r"(\d+)\.(\d+)", lambda m: f"\\frac{{{int(m.group(1) + m.group(2))}}}{{1{'0' * len(m.group(2))}}}",
                      text)
        placeholders: dict[str, sympy.Expr] = {}
        text = self._divergences(text, placeholders)
        text = self._expectations(text, placeholders)
        text = self._densities(text, placeholders)
        # The grammar reads digits apart as one number (x^2 3 as x^23, \int_0^1 2x up to 12), and x^23
        # as x^{23} where LaTeX shows x^{2}3.
        apart = re.search(r"\d\s*,?\s+\d|\d,\d|[\^_]\s*\d\d", text)
        if apart:
            raise ParseError("digits apart, or two digits in a script without braces: write \\frac{1}{2}, "
                             "2 \\cdot 3, x^{23} or x^{2} 3", apart.start() + 1)
        # \left( \right), [ ] and \{ \} that group are parentheses to the grammar (in strict mode it
        # refuses \left( x \right) that begins an expression).
        text = re.sub(r"\\left\s*(?:\(|\[|\\\{)", " (", text)
        text = re.sub(r"\\right\s*(?:\)|\]|\\\})", ") ", text)
        if re.search(r"\\(mathbb|mathcal|sim|mid)\b", text):
            raise ParseError("\\mathbb, \\mathcal and \\sim are read only as \\mathbb{E}_{x \\sim \\mathcal{N}(\\mu, "
                             "\\sigma^2)}[...] and \\mathcal{N}(x; \\mu, \\sigma^2)")
        return self._sympy(text, placeholders)

    def _sympy(self, text: str, placeholders: dict) -> sympy.Expr:
        from sympy.parsing.latex import parse_latex
        from sympy.parsing.latex.errors import LaTeXParsingError

        try:
            parsed = parse_latex(text)
        except LaTeXParsingError as exc:
            message = str(exc).splitlines()[0]
            marker = next((line for line in str(exc).splitlines() if line.strip().startswith("~") or "^" in line),
                          "")
            raise ParseError(message, marker.find("^") + 1 if "^" in marker else None) from None
        except ImportError as exc:
            raise ParseError(f"reading LaTeX needs the latex extra: pip install 'derive[latex]' ({exc})") from None
        try:
            parse_latex(text, strict=True)  # the grammar must read all of it, else "x +" is read as x
        except LaTeXParsingError:
            raise ParseError("the grammar stops before the end: an operator without its operand, or a "
                             "construct it does not know") from None
        if isinstance(parsed, (sympy.Rel, BooleanFunction, BooleanAtom)):
            raise ParseError(f"{sympy.sstr(parsed)} is a relation, not an expression")
        return self._normalised(parsed, placeholders)

    def _normalised(self, expr: sympy.Basic, placeholders: dict) -> sympy.Expr:
        expr = _evaluated(expr)
        expr = expr.replace(lambda e: isinstance(e, sympy.log) and len(e.args) == 2 and e.args[1] == sympy.E,
                            lambda e: sympy.log(e.args[0]))
        # n(n + 1) is n applied to n + 1 to the grammar: a name both applied and used as a symbol is
        # ambiguous, and refused.
        symbols = {_name(s.name) for s in expr.free_symbols if isinstance(s, sympy.Symbol)}
        for applied in expr.atoms(AppliedUndef):
            if _name(applied.func.__name__) in symbols and applied.func.__name__ not in self.laws:
                raise ParseError(f"{applied.func.__name__}(...) reads as a function {applied.func.__name__} applied, "
                                 f"and {applied.func.__name__} is also a symbol here: write "
                                 f"{applied.func.__name__} \\cdot (...) for a product")
        # What the layer read itself first, so that a sum's index reaches into it.
        expr = expr.xreplace({s: placeholders[s.name] for s in expr.free_symbols
                              if isinstance(s, sympy.Symbol) and s.name in placeholders})
        # Indexed symbols: mu_{i} inside a sum over i is the i-th mu.
        expr = expr.replace(lambda e: isinstance(e, (sympy.Sum, sympy.Product)), self._indexed)
        mapping = {}
        labels = {node.label for node in expr.atoms(sympy.Indexed) for node in [node.base]}
        for s in expr.free_symbols:
            if type(s) is not sympy.Symbol or s in labels:  # an Indexed, or the name of its base
                continue
            if s.name == "pi":
                mapping[s] = sympy.pi
            elif s.name == "e":
                mapping[s] = sympy.E
            else:
                mapping[s] = self.symbol(s.name)
        expr = expr.xreplace(mapping)
        expr = expr.replace(lambda e: isinstance(e, (sympy.Integral, sympy.Sum, sympy.Product, sympy.Derivative)),
                            self._bound_variables)
        # p(x) of a law p named by let is its density at x.
        expr = expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func.__name__ in self.laws and len(e.args) == 1,
                            lambda e: normal_pdf(e.args[0], *self.laws[e.func.__name__]))
        return expr.xreplace(self.definitions) if self.definitions else expr

    def _bound_variables(self, node):
        """A binder's variable is real (an index an integer), whatever an assume says of its name."""
        if isinstance(node, sympy.Derivative):
            variables = {v: self.symbol(v.name) for v, _ in node.variable_count}
            return node.xreplace(variables)
        facts = {"real": True} if isinstance(node, sympy.Integral) else {"integer": True}
        for limit in node.limits:
            self.unassumed(limit[0].name)
            ends = [s for end in limit[1:] for s in end.free_symbols if not isinstance(node, sympy.Integral)]
            loose = next((s for s in ends if isinstance(s, sympy.Symbol) and not s.is_integer), None)
            if loose is not None:
                raise ParseError(f"{loose}, an end of a sum or product, is not declared an integer: add "
                                 f"% derive: assume {loose} \\in \\mathbb{{N}}")
        return node.xreplace({limit[0]: sympy.Symbol(limit[0].name, **facts) for limit in node.limits})

    def unassumed(self, name: str) -> None:
        """Refuse a bound variable whose name an assume gave facts: the facts (x > 0) would already
        have simplified its body (|x| to x) when it was read."""
        if set(self.facts.get(_name(name), {"real": True})) - {"real"}:
            raise ParseError(f"{_name(name)} is assumed {', '.join(self.facts[_name(name)])} for the file and also "
                             f"integrated or summed over here: give the bound variable another name")

    @staticmethod
    def _indexed(node):
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

        mapping = {s: sympy.IndexedBase(base_of(s), real=True)[index]
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
                subscript_end = _group(text, m.end())
                subscript = text[m.end() + 1:subscript_end - 1]
            else:
                subscript_end, subscript = m.end() + 1, text[m.end()]
            rest = text[subscript_end:].lstrip()
            skipped = len(text) - subscript_end - len(rest)
            opener = re.match(r"\\left\s*\[|\[", rest)
            if opener is None:
                raise ParseError("an expectation's argument goes in [ ]", subscript_end + 1)
            body_start = subscript_end + skipped + opener.end()
            body_end = _group(text, body_start - 1, "[", "]")
            body = re.sub(r"\\right\s*$", "", text[body_start:body_end - 1].rstrip())
            law = re.fullmatch(r"\s*([a-zA-Z](?:_\{?\w+\}?)?)\s*\\sim(.*)", subscript, re.S)
            if law is not None:
                variable, written = law.group(1), law.group(2)
            elif subscript.strip() in self.laws:
                written = subscript.strip()
                points = set(re.findall(rf"(?<![\\a-zA-Z]){re.escape(written)}\s*\(\s*([a-zA-Z](?:_\{{?\w+\}}?)?)\s*\)",
                                        body))
                if len(points) != 1:
                    raise ParseError(f"which variable \\mathbb{{E}}_{{{written}}} integrates over is not clear: write "
                                     f"\\mathbb{{E}}_{{x \\sim {written}}}[...]", m.start() + 1)
                variable = points.pop()
            else:
                raise ParseError("read: \\mathbb{E}_{x \\sim \\mathcal{N}(\\mu, \\sigma^2)}[f(x)], or \\mathbb{E}_{p}[f] "
                                 "of a law p named by let", m.start() + 1)
            self.unassumed(variable)
            point = self.symbol(variable)
            value = expectation(self.expression(body), point, normal_pdf(point, *self._law(written)))
            name = _placeholder(placeholders, value)
            text = text[:m.start()] + f" \\mathit{{{name}}} " + text[body_end:]
        return text

    def _law(self, text: str) -> tuple[sympy.Expr, sympy.Expr]:
        """(mean, standard deviation) of a law written \\mathcal{N}(\\mu, \\sigma^2) or named by let."""
        text = text.strip()
        if text in self.laws:
            return self.laws[text]
        law = re.fullmatch(r"\\mathcal\s*\{\s*N\s*\}\s*(?:\\left)?\s*\((.*)\)\s*(?:\\right)?", text, re.S)
        if law is None or ";" in law.group(1):
            raise ParseError(f"a law is \\mathcal{{N}}(\\mu, \\sigma^2) or a name given by let: {_shorten(text)}")
        inside = re.sub(r"\\right\s*$", "", law.group(1).rstrip())
        mean, variance = _two_arguments(inside, ",")
        return self.expression(mean), sympy.sqrt(self.expression(variance))

    def _divergences(self, text: str, placeholders: dict) -> str:
        """D_{KL}(p || q) between Gaussian laws: its definition, the integral of p log(p / q)."""
        pattern = re.compile(r"(?:D\s*_\s*\{\s*(?:\\mathrm\s*\{\s*KL\s*\}|KL)\s*\}|D\s*_\s*\{?\s*KL\s*\}?"
                             r"|\\(?:mathrm|operatorname)\s*\{\s*KL\s*\})\s*(\\left)?\s*\(")
        while (m := pattern.search(text)) is not None:
            end = _group(text, m.end() - 1, "(", ")")
            inside = re.sub(r"\\right\s*$", "", text[m.end():end - 1].rstrip())
            parts = re.split(r"\\(?:,|;|!|\s)*\\\||\\\||\|\||\\parallel|\\Vert", inside)
            if len(parts) != 2:
                raise ParseError("a divergence is D_{\\mathrm{KL}}(p \\,\\|\\, q)", m.start() + 1)
            first, second = (self._law(re.sub(r"\\[,;!]", " ", part)) for part in parts)
            x = sympy.Symbol(self._fresh_variable(text), real=True)
            p, q = normal_pdf(x, *first), normal_pdf(x, *second)
            name = _placeholder(placeholders, sympy.Integral(p * sympy.log(p / q), (x, -sympy.oo, sympy.oo)))
            text = text[:m.start()] + f" \\mathit{{{name}}} " + text[end:]
        return text

    @staticmethod
    def _fresh_variable(text: str) -> str:
        name = "x"
        while re.search(rf"(?<![\\a-zA-Z]){name}(?![a-zA-Z])", text):
            name += "_"
        return name

    def _densities(self, text: str, placeholders: dict) -> str:
        pattern = re.compile(r"\\mathcal\s*\{\s*N\s*\}\s*(\\left)?\s*\(")
        while (m := pattern.search(text)) is not None:
            end = _group(text, m.end() - 1, "(", ")")
            inside = re.sub(r"\\right\s*$", "", text[m.end():end - 1].rstrip())
            if ";" not in inside:
                raise ParseError("a density is \\mathcal{N}(x; \\mu, \\sigma^2)", m.start() + 1)
            point, law = inside.split(";", 1)
            mean, variance = _two_arguments(law, ",")
            value = normal_pdf(self.expression(point), self.expression(mean), sympy.sqrt(self.expression(variance)))
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
            for relation in _split_top(rest, ","):
                self._assume(relation.strip())
            self.assumed.append(" ".join(rest.split()))
            return None
        if word == "let":
            name, equals, definition = rest.partition("=")
            if not equals or not re.fullmatch(r"\s*\\?[a-zA-Z]+(_\{?\w+\}?)?\s*", name):
                raise ParseError("write: let NAME = expression")
            if re.match(r"\s*\\mathcal\s*\{\s*N\s*\}", definition) and ";" not in definition:
                self.laws[name.strip()] = self._law(definition)
            else:
                self.definitions[self.symbol(name.strip().lstrip("\\"))] = self.expression(definition)
            self.assumed.append(" ".join(text.split()))
            return None
        raise ParseError(f"unknown directive '{word}': assume, let or rule")

    def _assume(self, relation: str) -> None:
        member = re.fullmatch(r"(.+?)\\in\s*\\mathbb\s*\{\s*([NZR])\s*\}", relation)
        if member:
            facts = {"N": {"integer": True, "positive": True}, "Z": {"integer": True}, "R": {"real": True}}
            for name in _split_top(member.group(1), ","):
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

    def _declare(self, name: str, facts: dict) -> None:
        name = _name(re.sub(r"^\\", "", name.strip()))
        if not re.fullmatch(r"[a-zA-Z]+(_\w+)?", name):
            raise ParseError(f"assumptions name symbols: {name}")
        known = dict(self.facts.get(name, {"real": True}))
        known.update(facts)
        self.facts[name] = known
        # Hypotheses already read name the symbol with its old facts: rewrite them.
        old = {s: self.symbol(name) for h in [*self.hypotheses, *self.definitions.values()]
               for s in h.free_symbols if s.name == name}
        self.hypotheses = [h.xreplace(old) for h in self.hypotheses]
        self.definitions = {k: v.xreplace(old) for k, v in self.definitions.items()}


_OPERATORS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "le": "le", "leq": "le", "ge": "ge", "geq": "ge",
              "ne": "ne", "neq": "ne"}
_RELATIONS = {"lt": sympy.StrictLessThan, "le": sympy.LessThan, "gt": sympy.StrictGreaterThan,
              "ge": sympy.GreaterThan}


def _evaluated(expr: sympy.Basic) -> sympy.Basic:
    """The grammar's unevaluated tree (2*3, sqrt(2)*sqrt(pi) kept apart) rebuilt as sympy builds
    it; no operator is evaluated (an Integral stays one)."""
    if not expr.args or isinstance(expr, (sympy.Symbol, sympy.Number)):
        return expr
    return expr.func(*(_evaluated(a) for a in expr.args))


def _placeholder(placeholders: dict, value: sympy.Expr) -> str:
    """A name for ``value`` in the text given to the grammar (letters only: it reads digits apart)."""
    n, letters = len(placeholders), ""
    while True:
        letters = chr(ord("A") + n % 26) + letters
        n //= 26
        if not n:
            break
    name = f"{_PLACEHOLDER}{letters}"
    placeholders[name] = value
    return name


def _name(name: str) -> str:
    """One name for \\sigma_1, \\sigma_{1} and the grammar's sigma_{1}: sigma_1, which sympy prints
    in LaTeX as \\sigma_{1}."""
    name = name.strip().lstrip("\\")
    m = re.fullmatch(r"([a-zA-Z]+)_\{?(\w+)\}?", name)
    return f"{m.group(1)}_{m.group(2)}" if m else name


def _split_top(text: str, separator: str, not_after: str = "") -> list[str]:
    """``text`` split at each ``separator`` outside brackets, except one right after a character
    of ``not_after``."""
    parts, depth, current = [], 0, []
    for n, c in enumerate(text):
        depth += (c in "{([") - (c in "})]")
        if c == separator and depth == 0 and not (n and text[n - 1] in not_after):
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
    parts.append("".join(current))
    return parts


def _two_arguments(text: str, separator: str) -> tuple[str, str]:
    parts = _split_top(text, separator)
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
    reader = _Reader()
    derivations: list[Derivation] = []
    try:
        blocks = _blocks(text, path.suffix)
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
        try:
            claims = _claims(block)
        except ParseError as exc:
            raise ProofFileError(Location(str(path), block.line(0)), str(exc)) from None
        derivations += _derivations(path, claims, reader, rule or rules.weakest())
    return derivations


def _derivations(path: Path, claims: list[_Claim], reader: _Reader, rule) -> list[Derivation]:
    derivations, current = [], None
    for claim in claims:
        where = Location(str(path), claim.line)
        if not claim.continues or current is None:
            start = claim.error or _read_side(reader, claim.lhs)
            current = Derivation.rebuilt(f"{path.stem}_{path.suffix[1:]}_line{claim.line}", _shorten(f"{claim.lhs} = ..."),
                                         start if isinstance(start, sympy.Basic) else _unreadable(claim.lhs),
                                         origin=None, scope=reader.scope, location=where,
                                         steps=[], assuming=reader.hypotheses)
            derivations.append(current)
            if not isinstance(start, sympy.Basic):
                current.steps.append(Step(f"line {claim.line}", _shorten(claim.rhs), rule,
                                          _unreadable(claim.rhs), where, unreadable=start))
                continue
        stated = claim.error or _read_side(reader, claim.rhs)
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
    return derivations


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
