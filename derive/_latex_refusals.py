"""What sympy's LaTeX grammar would read otherwise than the page shows, refused before or after
it reads a side, and what sympy's building of a side would remove while it may be undefined.

``check_text`` refuses notation the grammar misreads or a reader may take two ways (``2 x 3``,
``\\cos x \\cdot y``, ``|x|y|z|``, ``6 \\div 2 (1 + 2)``, an integral without its own differential);
``check_parsed`` what the grammar's tree shows it misread (``\\partial`` left as a symbol, an x it
dropped). ``evaluated`` builds the grammar's unevaluated tree as sympy does, and ``check_kept``
refuses a side whose building removes a part that may be undefined (``x/x`` is 1, ``e^{\\log x}`` is
x): the kernel could not see the x = 0 or x < 0 the page is undefined at.
"""

from __future__ import annotations

import re

import sympy
from sympy.core.function import AppliedUndef

from ._latex_source import GREEK, ParseError
from .gaussian import GaussianExpectation

# A name for what the layer read itself, in the text given to the grammar.
PLACEHOLDER = "DERIVEPLACEHOLDER"


def check_balance(text: str) -> None:
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


def group(text: str, start: int, open_: str = "{", close: str = "}") -> int:
    """The offset just after the group that opens at ``start``."""
    depth = 0
    for n in range(start, len(text)):
        depth += (text[n] == open_) - (text[n] == close)
        if depth == 0:
            return n + 1
    raise ParseError(f"unbalanced '{open_}'", start + 1)


_FUNCTIONS = r"\\(?:sin|cos|tan|sinh|cosh|tanh|arcsin|arccos|arctan|log|ln|exp)(?![a-zA-Z])"
_OPERATORS_WITHOUT_PARENTHESES = re.compile(
    _FUNCTIONS + r"|\\frac\s*\{\s*(?:d|\\partial)\s*\}\s*\{[^{}]*\}")


# Each pattern is a reading the page leaves open or the grammar takes otherwise: refused, with how to write it.
_AMBIGUOUS = [
    (re.compile(r"'"), "a prime ' is not read (the grammar drops it after a macro): name the symbol "
                       "\\sigma_{new} or write the derivative \\frac{d}{dx}"),
    (re.compile(r"\\(?:sin|cos|tan|sinh|cosh|tanh|arcsin|arccos|arctan|ln|exp)\s*_|\\exp\s*\^"),
     "a script on a function's name (\\exp_2, \\exp^{-1}, \\sin_1) is not read: write the function meant"),
    (re.compile(r"\^\s*\{\s*\(\s*(?:\\[a-zA-Z]+|\w+)\s*\)\s*\}"),
     "x^{(i)} is read as a power: write x_i, or (x)^{i} for a power"),
    (re.compile(r"\d\s*[eE]\s*[+-]?\s*\d"), "1e3 is read as 1 \\cdot e \\cdot 3: write 10^{3}"),
    (re.compile(r"\d\s*\{?\s*\\frac\s*(?:\{\s*\d+\s*\}|\d)\s*(?:\{\s*\d+\s*\}|\d)"),
     "a number before a numeric fraction (2\\frac{1}{2}) reads as a mixed number or a product: write "
     "2 + \\frac{1}{2} or 2 \\cdot \\frac{1}{2}"),
    (re.compile(r"\d\s*[xX]\s*\d"), "an x between numbers reads as a times sign: write 2 \\cdot x \\cdot 3"),
    (re.compile(r"\\(?:sin|cos|tan|sinh|cosh|tanh|arcsin|arccos|arctan|log|ln)\s*\^\s*\{?\s*-"),
     "a negative power on a function's name: \\sin^{-1} x is arcsin x or 1 / \\sin x: write \\arcsin(x) or "
     "\\frac{1}{\\sin x}"),
    (re.compile(r"([\^_])\s*(?:\{[^{}]*\}|\\[a-zA-Z]+|\w)\s*\1"),
     "a double superscript or subscript (2^{3}^{2}) is an error to LaTeX: write 2^{3^{2}} or (2^{3})^{2}"),
]
_OPERAND_START = re.compile(rf"[a-zA-Z0-9([|]|\\\{{|\\(?:{'|'.join(GREEK)}|frac|sqrt|log|ln|exp|sin|cos|tan|sinh|"
                            r"cosh|tanh|arcsin|arccos|arctan|mathbb|mathcal|mathit|bar|hat|tilde|overline|widehat|"
                            r"widetilde|sum|prod|int|binom|left|pi|infty|partial|det|max|min)(?![a-zA-Z])")

_OPERAND_END = re.compile(rf"(?:(?<![\\a-zA-Z])[a-zA-Z]+|[0-9}})\]|]|\\(?:{'|'.join(GREEK)}|pi|infty))$")


def _operand_end(text: str, start: int) -> int:
    """The end of the operand that starts at ``start`` (a number, a name or a macro with its
    arguments, a bracket), with its scripts."""
    m = re.match(r"\s*(?:\d+|\\[a-zA-Z]+|[a-zA-Z])", text[start:])
    if m is None:
        m = re.match(r"\s*", text[start:])
        position = start + m.end()
        if position < len(text) and text[position] in "({[":
            position = group(text, position, text[position], {"(": ")", "{": "}", "[": "]"}[text[position]])
        return position
    position = start + m.end()
    while (argument := re.match(r"\s*(?:\{|[\^_]\s*(?:\{|\\?[a-zA-Z]+|\d))", text[position:])) is not None:
        if argument.group(0).endswith("{"):
            position = group(text, position + argument.end() - 1)
        else:
            position += argument.end()
    return position


# What starts a factor after a function's bare operand; what begins an operand that is an operator
# itself (\log \det \Sigma, \log \sum_i x_i: it has its own operand, checked on its own).
_FACTOR_START = re.compile(rf"{_OPERAND_START.pattern}|\{{|\\(?:mathrm|mathit|mathsf|operatorname|text)(?![a-zA-Z])")
_INNER_OPERATOR = re.compile(rf"{_FUNCTIONS}|\\(?:det|sum|prod|int|operatorname|lim)(?![a-zA-Z])")
_SCRIPT = re.compile(r"\s*[\^_]\s*(?:\{|\\?[a-zA-Z]+|\d)")


def _factor_after_operand(text: str, position: int) -> bool:
    """Whether a function's operand written without parentheses, at ``position``, is followed by
    another factor. The grammar takes every factor up to + or - into the function; a reader of
    ``\\ln x y`` may take the first only. A number and one factor (``\\sin 2x``, ``\\log 2\\pi``) is one
    operand, and so is a name applied (``\\log p(x)``) and an integral's differential is no factor."""
    start = position + len(text[position:]) - len(text[position:].lstrip())
    signed = re.match(r"[-+]\s*", text[start:])
    if signed:  # \exp -x y: e^{-x} y or exp(-x y)
        start += signed.end()
    if _INNER_OPERATOR.match(text, start):
        return False
    if text.startswith("{", start):  # the page shows no braces: \sin {x + y} is sin x + y
        inner = text[start + 1:group(text, start) - 1]
        if re.search(r"[-+]|\\(?:cdot|times|div|[,;:! ])", inner) or _factor_after_operand(inner, 0):
            return True
    number = re.match(r"\d+(?:\.\d+)?\s*", text[start:])
    end = start + (number.end() if number else 0)
    scripted = number and _SCRIPT.match(text, end)
    if scripted:  # a number with a script (10^2) is a factor, no coefficient
        end = _factor_end(text, start)
    elif not number or (_FACTOR_START.match(text, end) and not text[end].isdigit()):
        end = _factor_end(text, end)
    after = text[end:].lstrip()
    differential = "\\int" in text and re.match(r"d\s*(?:\\[a-zA-Z]+|[a-zA-Z])(?![a-zA-Z])", after)
    function = _OPERATORS_WITHOUT_PARENTHESES.match(after)  # \sin x \cos x: refused below, with its own message
    # after a sign the check below stops at once: \exp -x \cdot y is refused here
    product = signed and re.match(r"[*/:]|\\(?:cdot|times|div)(?![a-zA-Z])", after)
    return bool(_FACTOR_START.match(after)) and not differential and not function or bool(product)


def _factor_end(text: str, start: int) -> int:
    """The end of one factor at ``start``: a bracketed group (``(...)``, ``\\left( ... \\right)``,
    ``\\{...\\}``, ``|...|``, ``{...}``) or a name or macro with its arguments (and the parentheses of a
    name applied, the brackets of ``\\mathbb{E}``), with its scripts."""
    position = start + len(text[start:]) - len(text[start:].lstrip())
    if text.startswith("\\left", position):
        depth = 0
        for m in re.finditer(r"\\(left|right)(?![a-zA-Z])", text[position:]):
            depth += 1 if m.group(1) == "left" else -1
            if depth == 0:
                position += m.end()
                position += len(re.match(r"\s*(?:\\[{}|]|\\[a-zA-Z]+|.)?", text[position:]).group(0))
                break
        else:
            return len(text)
    elif text.startswith("\\{", position):
        close = text.find("\\}", position)
        position = len(text) if close < 0 else close + 2
    elif text.startswith("|", position):
        close = text.find("|", position + 1)
        position = len(text) if close < 0 else close + 1
    elif text.startswith(("(", "[", "{"), position):
        position = _operand_end(text, position)
    else:
        position = _operand_end(text, position)
        if re.match(r"[a-zA-Z}]", text[position - 1:position]) and text.startswith(("(", "["), position):
            position = _operand_end(text, position)  # p(x), \mathbb{E}[x], \mathcal{N}(x; 0, 1)
        return position
    while script := _SCRIPT.match(text, position):
        position = group(text, script.end() - 1) if script.group(0).endswith("{") else script.end()
    return position


def _check_ambiguous(text: str) -> None:
    """Refuse notation a reader may take two ways, or the grammar otherwise than the page."""
    for pattern, why in _AMBIGUOUS:
        m = pattern.search(text)
        if m:
            raise ParseError(why, m.start() + 1)
    for m in re.finditer(r"(?<!\\)[/:]|\\div(?![a-zA-Z])", text):
        end = _operand_end(text, m.end())
        if _OPERAND_START.match(text[end:].lstrip()):  # 6 \div 2 (1 + 2): 9 left to right, 1 to the grammar
            raise ParseError("a product after / or \\div: write \\frac{a}{b c} or \\frac{a}{b} c", m.start() + 1)
    bar_pairs(text)
    for m in re.finditer(r"\)\s*!", text):
        start = _matching_open(text, m.start())
        if start is not None and _OPERAND_END.search(re.sub(r"\\left\s*$", "", text[:start].rstrip()).rstrip()):
            # n(n + 1)! is n \cdot (n + 1)! on the page, (n(n + 1))! to the grammar
            raise ParseError("a factorial after a name's or number's parentheses: write n \\cdot (n + 1)! or "
                             "(n (n + 1))!", m.start() + 1)
    _check_differentials(text)
    for m in re.finditer(r"\\prod(?![a-zA-Z])", text):
        body = _operand_end(text, m.start())  # \prod with its scripts
        depth = 0
        for n in range(body, len(text)):
            depth += (text[n] in "{([") - (text[n] in "})]")
            if depth < 0 or (depth == 0 and text[n] in "+-=,"):
                break
            if depth == 0 and text[body:n].strip() and re.match(r"\\(?:sum|prod|int)(?![a-zA-Z])", text[n:]):
                # \prod_i i \prod_j j: the second product inside the first (the grammar) or beside it
                raise ParseError("a sum, product or integral inside a product's body after a factor: put the "
                                 "product in parentheses, (\\prod_i a_i) \\prod_j b_j", m.start() + 1)


_DIFFERENTIAL = rf"(?<![\\a-zA-Z])d\s*(?:[a-zA-Z]|\\(?:{'|'.join(GREEK)}))(?![a-zA-Z])"


def _check_differentials(text: str) -> None:
    """Each integral needs its own differential, where the page puts it: the grammar ends an
    integral at the first differential it meets, or integrates over x when there is none."""
    for m in re.finditer(rf"\\frac\s*\{{\s*{_DIFFERENTIAL}\s*\}}\s*\{{(?!\s*d)", text):
        after = text[_operand_end(text, m.start()):].lstrip()
        if after and not re.match(r"[-+=)\]},&]|\\right", after):
            # \int_0^2 \frac{dx}{2} \cdot x^2 ends at dx for the grammar; the page integrates x^2 / 2
            raise ParseError("a factor after \\frac{dx}{...}: write \\int \\frac{x^2}{2} \\, dx", m.start() + 1)
    # d/dx and dy/dx are derivatives, not differentials
    operators = re.sub(r"\\frac\s*\{\s*(?:d|\\partial)[^{}]*\}\s*\{\s*(?:d|\\partial)[^{}]*\}",
                       lambda m: " " * len(m.group(0)), text)
    open_integrals = []
    for m in re.finditer(rf"\\int(?![a-zA-Z])|{_DIFFERENTIAL}", operators):
        if m.group(0).startswith("\\int"):
            open_integrals.append(m.start())
        elif open_integrals:
            open_integrals.pop()
            if re.match(r"\s*\^", operators[m.end():]):  # dx^2: the grammar squares the integral
                raise ParseError("a power on a differential (dx^2) is not read: write d(x^2) as 2x \\, dx",
                                 m.start() + 1)
    if open_integrals:  # \int_0^1 s \, dx + \int_0^1 t^2: the second has none
        raise ParseError("an integral without its own differential: write \\int_0^1 t^2 \\, dt", open_integrals[0] + 1)


def bar_pairs(text: str) -> list[tuple[int, int]]:
    """The offsets of each |...| pair, inner pairs first. A bar opens where none is open or
    where an operator is before it, and closes after an operand; between two operands it could
    do either (|x|y|z|: |x| y |z| or |x |y| z|), and is refused unless the bars left must close."""
    pairs, opened = [], []
    bars = list(re.finditer(r"(?<!\\)(?<!\\left)(?<!\\right)\|", text))
    for n, m in enumerate(bars):
        after_operand = _OPERAND_END.search(text[:m.start()].rstrip()) is not None
        before_operand = _OPERAND_START.match(text[m.end():].lstrip()) is not None
        must_close = len(opened) > len(bars) - n - 1
        if opened and after_operand and before_operand and not must_close:
            raise ParseError("a bar | between two operands opens or closes: write \\left| \\right| or a \\cdot",
                             m.start() + 1)
        if opened and after_operand:
            pairs.append((opened.pop(), m.start()))
        else:
            opened.append(m.start())
    if opened:
        raise ParseError("a bar | that is never closed", opened[-1] + 1)
    return pairs


def _matching_open(text: str, close: int) -> int | None:
    depth = 0
    for n in range(close, -1, -1):
        depth += (text[n] in ")]}") - (text[n] in "([{")
        if depth == 0:
            return n
    return None


# Macros whose braces after them are arguments (\sqrt{-x}), not a group standing alone.
_ARGUMENT_MACROS = ("frac|dfrac|tfrac|sqrt|binom|mathbb|mathcal|mathrm|mathit|mathsf|operatorname|text|bar|hat|tilde|"
                    "overline|widehat|widetilde|label|tag")


def check_text(text: str) -> None:
    """Refuse what the grammar would read otherwise than LaTeX shows, before it reads it."""
    _check_ambiguous(text)
    if "!!" in text:
        raise ParseError("n!! is read by the grammar as (n!)!: write the double factorial out", text.index("!!") + 1)
    bar = re.search(r"(?<!\\)\|\s*_", text)
    if bar:  # x^2 |_{2}: the grammar substitutes before the layer's parts are in, or not at all
        raise ParseError("an evaluation bar |_{x = a} is not read: substitute the value", bar.start() + 1)
    for braces in re.finditer(r"\d\s*\{\s*\d|(?<!\\)\{[^{}]*\}\s*[{\d]", text):
        if braces.group(0)[0] == "{" and re.search(r"(?:\\[a-zA-Z]+|[\^_}\]])\s*$", text[:braces.start()]):
            continue  # a macro's or a script's argument (\frac {1}{2}, x^{2})
        # {2}{3} and {2} 3 show 23 and 2 {3} shows 2 3, which the grammar multiplies
        raise ParseError("digits or groups in braces side by side: write 2 \\cdot 3 or 23", braces.start() + 1)
    for signed in re.finditer(r"(?<!\\)\{\s*[-+]", text):
        before = text[:signed.start()].rstrip()
        if before.endswith("}"):  # the second argument of \frac{1}{-2}, or a group after a whole \sqrt{4}
            opening = _matching_open(before, len(before) - 1)
            if opening is not None and re.search(r"\\(?:[dt]?frac|binom)\s*$", before[:opening]):
                continue
        if re.search(r"[a-zA-Z0-9)|}]$", before) and not re.search(rf"\\(?:{_ARGUMENT_MACROS})\*?$|[\^_]$", before):
            # 2 {-1} shows 2-1 (a group is an ordinary atom: no space, but the minus is there); the grammar multiplies
            raise ParseError("a sign inside braces after a factor shows as subtraction and reads as a product: write "
                             "2 - 1 or 2 \\cdot (-1)", signed.start() + 1)
    script = re.search(r"[\^_]\s*\d*\.\d", text)
    if script:  # x^1.5 shows x^{1}.5
        raise ParseError("a decimal in a script without braces: LaTeX raises its first digit only; write x^{1.5}",
                         script.start() + 1)
    for m in _OPERATORS_WITHOUT_PARENTHESES.finditer(text):
        position = m.end()
        while (power := re.match(r"\s*[\^_]\s*(?:\{[^{}]*\}|\\?[a-zA-Z]+|\d)", text[position:])) is not None:
            position += power.end()  # \log^2 x, \log_2 x
        derivative = m.group(0).startswith("\\frac")
        opening = re.match(r"\s*(?:\\left\s*)?(?:\(|\[|\\\{)", text[position:])
        if opening:
            bracket = text[position + opening.end() - 1]
            after = text[group(text, position + opening.end() - 1, bracket, {"(": ")", "[": "]", "{": "}"}[bracket]):]
            after = after.lstrip()
            if not derivative and after[:1] in ("^", "_", "!"):
                # \ln(x + 1)^2 and \ln(3)! are (ln(x + 1))^2 and (ln 3)! to the grammar, ln((x + 1)^2) to many readers
                raise ParseError(f"{after[0]} after a function's parentheses: write (\\ln(x + 1))^2 or \\ln((x + 1)^2), "
                                 "(\\ln 3)! or \\ln(3!)", m.start() + 1)
            if derivative and (_OPERAND_START.match(after) or re.match(
                    r"[*/:]|\\(?:cdot|times|div)(?![a-zA-Z])", after)) and not after.startswith("\\right"):
                # \frac{d}{dx}(x^2) x: the grammar differentiates the product; the page, x^2 alone
                raise ParseError("a factor after a derivative's parentheses: write \\frac{d}{dx}\\left(x^2 x\\right) "
                                 "or x \\frac{d}{dx}(x^2)", m.start() + 1)
            if derivative or bracket == "(":
                continue
            # a function's parentheses are ( only: \ln [x] y and \ln \{x\} y are log(x y) to the grammar
        # The operand has no parentheses: \cos x \cdot y is cos(x y) to the grammar, (cos x) y to a reader.
        if m.group(0)[1] != "f" and _factor_after_operand(text, position):
            # \ln x y, \ln{x} y, \ln |x| y, \sin x \bar{y}: the grammar takes both into the function, a reader may not
            raise ParseError("a function's operand without parentheses followed by a factor: write \\ln(x y) or "
                             "y \\ln x", m.start() + 1)
        depth = 0
        for n in range(position, len(text)):
            c = text[n]
            if c in "{([":
                depth += 1
            elif c in "})]":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and c in "+-=,":
                break
            elif depth == 0 and m.group(0)[1] != "f" and text[position:n].strip() \
                    and not re.search(r"\\(?:sum|prod|int)(?![a-zA-Z])", text[position:n]) \
                    and (_OPERATORS_WITHOUT_PARENTHESES.match(text, n) or re.match(r"\\(?:frac|sqrt)(?![a-zA-Z])",
                                                                                  text[n:])):
                # \log \frac{a}{b} \exp(c) is log(a/b) exp(c) to the grammar; the page may mean the log of both
                raise ParseError("an operand without parentheses followed by another function: write "
                                 "\\log\\left(\\frac{a}{b} \\exp(c)\\right) or \\sin(x) \\cos(x)", m.start() + 1)
            elif depth == 0 and (c in "/*:" or re.match(r"\\(?:cdot|times|div)(?![a-zA-Z])", text[n:])):
                raise ParseError("an operand without parentheses followed by \\cdot, \\times, /, * or :: write "
                                 "\\cos(x) \\cdot y or \\cos(x \\cdot y)", m.start() + 1)
    for m in re.finditer(rf"(?<![\\a-zA-Z])(?:[a-zA-Z]|\\(?:{'|'.join(GREEK)}))(?![a-zA-Z])"
                         r"(?:\s*_\s*(?:\{[^{}]*\}|\w))?\s*(?:\\left\s*)?\(", text):
        if text[:m.start()].rstrip().endswith(("^", "_")):
            continue  # \sum_{i=1}^n (x_i - a)^2: the n is a script, not a name applied
        end = group(text, m.end() - 1, "(", ")")
        if re.match(r"\s*\^", text[end:]):  # n(x - a)^2: n (x - a)^2 to a reader, (n(x - a))^2 to the grammar
            raise ParseError("a power after a name's parentheses: write n \\cdot (x - a)^2, or (f(x))^2 for a function",
                             m.start() + 1)
    differential_first = re.search(r"\\int\s*(?:[_^]\s*(?:\{[^{}]*\}|\\?[a-zA-Z]+|\d)\s*){0,2}"
                                   r"d\s*(?:\\[a-zA-Z]+|[a-zA-Z])\s*(?=[^\s+\-=)}])", text)
    if differential_first:  # \int dx f: the grammar integrates 1 and multiplies by f
        raise ParseError("the differential before the integrand: write \\int f(x) \\, dx", differential_first.start() + 1)


def check_parsed(parsed: sympy.Basic, text: str) -> None:
    """Refuse what the grammar read as something else than LaTeX shows."""
    if any(s.name == "partial" for s in parsed.free_symbols if isinstance(s, sympy.Symbol)):
        # \frac{\partial^2}{\partial x^2} f, or \partial of a vector: a product with a symbol partial
        raise ParseError("\\partial is read in \\frac{\\partial}{\\partial x} f and \\frac{\\partial f}{\\partial x}, "
                         "x a scalar: for a second derivative write \\frac{\\partial}{\\partial x}\\frac{\\partial}{\\partial x} f")
    # 2 x 3 is 2 times 3 to the grammar (an x between numbers is a times sign): count the x written
    written = [m for m in re.finditer(r"(?<![\\a-zA-Z])x(?![a-zA-Z]|\s*_)", text)
               if not re.search(r"(?:_\s*\{?|(?<![\\a-zA-Z])d|\\partial)\s*$", text[:m.start()])]
    if len(written) > _occurrences(parsed, sympy.Symbol("x")):
        raise ParseError("an x between numbers reads as a times sign: write 2 \\cdot x \\cdot 3")
    for integral in parsed.atoms(sympy.Integral):
        for limit in integral.limits:  # \int_0^1 t^2 with no dt is over x; \int \delta is d elta
            name = limit[0].name
            if not re.search(rf"(?<![\\a-zA-Z])d\s*\\?{re.escape(name)}(?![a-zA-Z])", text):
                if len(re.findall(r"\\int(?![a-zA-Z])", text)) > 1:  # the grammar's integrand runs to the last d
                    raise ParseError("the grammar reads an integral after + or - inside the integral before it: "
                                     "write each in parentheses, (\\int_0^1 f \\, dt) - (\\int_0^1 g \\, dt)")
                raise ParseError(f"an integral without its differential (d{name} is not written)")
    for s in parsed.free_symbols:
        if not isinstance(s, sympy.Symbol):
            continue
        # d x outside an integral is one symbol dx to the grammar (\frac{d^2}{dx^2} leaves d and dx,
        # d\log(2\pi) a symbol dlog): no other name the grammar makes starts with d and a letter
        differential = re.fullmatch(r"d([a-zA-Z]+)(_.*)?", s.name)
        if differential and s.name.partition("_")[0] not in GREEK:
            raise ParseError(f"d{differential.group(1)} outside an integral reads as one symbol: write d \\cdot "
                             f"{differential.group(1)} for a product, \\frac{{d}}{{dx}}\\frac{{d}}{{dx}} f for a second derivative")
    for node in parsed.atoms(sympy.Derivative):
        if isinstance(node.expr, sympy.Symbol) and node.expr not in node.variables \
                and not node.expr.name.startswith(PLACEHOLDER):
            # dy/dx: y is a symbol of its own, not a function of x
            raise ParseError(f"d{node.expr}/d{node.variables[0]}: {node.expr} is not a function of "
                             f"{node.variables[0]} here; write the expression it stands for")


def _occurrences(expr: sympy.Basic, symbol: sympy.Symbol) -> int:
    """How often ``symbol`` stands in ``expr`` as written: a binder's variable (the x of dx, of
    d/dx) is not counted, its ends and body are."""
    if expr == symbol:
        return 1
    if isinstance(expr, (sympy.Integral, sympy.Sum, sympy.Product)):
        return _occurrences(expr.function, symbol) + sum(_occurrences(end, symbol) for limit in expr.limits
                                                         for end in limit[1:])
    if isinstance(expr, sympy.Derivative):
        return _occurrences(expr.expr, symbol)
    return sum(_occurrences(arg, symbol) for arg in expr.args)


# Past it, a whole number is not built: 10^{10^{10}} would take the reader's time and memory, and
# a certificate holds numbers of up to 4300 digits (Python's limit on int to text). 1000! has 2568.
_LARGEST_DIGITS, _LARGEST_FACTORIAL = 4_000, 1_000


def _digits(n) -> int:
    return int(abs(int(n)).bit_length() * 0.30103) + 1


def _check_size(built: sympy.Basic) -> None:
    if built.is_Rational and max(_digits(built.p), _digits(built.q)) > _LARGEST_DIGITS:
        raise ParseError(f"a number of about {max(_digits(built.p), _digits(built.q))} digits: too large to read")


def evaluated(expr: sympy.Basic, defined, standing: frozenset = frozenset()) -> sympy.Basic:
    """The grammar's unevaluated tree (2*3, sqrt(2)*sqrt(pi) kept apart) rebuilt as sympy builds
    it; no operator is evaluated (an Integral stays one). Building must not cancel a part that may
    be undefined (``check_kept``)."""
    if not expr.args or isinstance(expr, (sympy.Symbol, sympy.Number)):
        return expr
    args = [evaluated(a, defined, standing) for a in expr.args]
    if isinstance(expr, sympy.Pow) and all(isinstance(a, sympy.Rational) for a in args):
        base, exponent = args
        size = abs(exponent) * max(_digits(base.p), _digits(base.q))
        if size > _LARGEST_DIGITS:
            raise ParseError(f"a number of about {size} digits: too large to read")
    if isinstance(expr, sympy.Pow) and args[1].is_Number and abs(args[1]) > _LARGEST_EXPONENT \
            and not args[0].is_Number:
        raise ParseError(f"an exponent of {_LARGEST_EXPONENT} or more on an expression is not read")
    if isinstance(expr, (sympy.factorial, sympy.factorial2, sympy.binomial)) \
            and any(isinstance(a, sympy.Integer) and abs(a) > _LARGEST_FACTORIAL for a in args):
        raise ParseError(f"{expr.func.__name__} of {max(args, key=lambda a: abs(a) if a.is_Integer else 0)} is too "
                         "large to read")
    built = expr.func(*args)
    # the node as written counts too: \\sqrt{-1} builds I, \\log(-1) builds I pi
    written = expr.func(*args, evaluate=False) if isinstance(expr, (sympy.Pow, sympy.Function)) else None
    check_kept([*args, *([written] if written is not None else [])], built, defined, standing=standing)
    _check_size(built)
    return built


_LARGEST_EXPONENT = 10_000
_BINDERS = (sympy.Integral, sympy.Sum, sympy.Product, sympy.Derivative, sympy.Limit, GaussianExpectation)


def partial_parts(expr: sympy.Basic, standing: frozenset = frozenset()) -> set[tuple[str, sympy.Basic]]:
    """The parts of ``expr`` that may leave it undefined: each factor a divisor (or a power of
    unknown sign) may be zero through, the base of a root, the argument and base of a log, a
    function with poles or a bounded domain, an operator (a sum may diverge), an infinity, a name
    applied (a function, a law's density or a product, told apart later), and a name ``standing``
    for a value derive puts in later (let a = 1/x; a placeholder for E[...])."""
    parts = set()
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Pow) and node.exp.is_Rational and not node.exp.is_integer:
            parts.add(("the root of", _without_coefficient(node.base)))
        if isinstance(node, sympy.Pow) and node.exp.is_nonnegative is not True:
            for factor in sympy.Mul.make_args(node.base):
                if not factor.is_Number or factor.is_zero:
                    parts.add(("the divisor", factor.base if isinstance(factor, sympy.Pow) and factor.exp.is_positive
                               else factor))
        elif isinstance(node, sympy.log):
            parts.add(("the log of", node.args[0]))
            if len(node.args) == 2:
                parts.add(("the log base", node.args[1]))
        elif isinstance(node, _PARTIAL_FUNCTIONS):
            parts.add((f"{node.func.__name__} of", node.args[0]))
        elif isinstance(node, AppliedUndef):  # \Gamma(x), p(x): what the name stands for is read later
            parts.add(("the function", node))
        elif isinstance(node, _BINDERS):
            parts.add(("", node))
        elif node in (sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
            parts.add(("", node))
        elif isinstance(node, sympy.Symbol) and node.name in standing:
            parts.add(("the value of", node))
    return parts


# Functions with poles or a domain smaller than the reals: a part wherever they appear.
_PARTIAL_FUNCTIONS = (sympy.asin, sympy.acos, sympy.tan, sympy.cot, sympy.sec, sympy.csc, sympy.acosh, sympy.atanh,
                      sympy.acoth, sympy.asec, sympy.acsc, sympy.factorial, sympy.factorial2, sympy.gamma,
                      sympy.binomial)


def _without_coefficient(expr: sympy.Basic) -> sympy.Basic:
    coefficient, rest = expr.as_coeff_Mul()
    return rest if coefficient.is_positive else expr


def check_kept(parts_of: list, built: sympy.Basic, defined, standing_for: dict | None = None,
                standing: frozenset = frozenset()) -> None:
    """Building cancels nothing that may be undefined: x/x is 1, e^{\\log x} is x, 0 \\cdot \\sum n is 0
    and E - E is 0 as sympy builds them, where the page is undefined at x = 0, at x < 0, or always.
    A name ``standing_for`` a value is that value in the parts (|A| / |A| divides by det A); a name
    ``standing`` for one put in later is a part itself (0 \\cdot a is 0 before a = 1/x is in)."""
    written = {(kind, part.xreplace(standing_for or {})) for a in parts_of
               for kind, part in partial_parts(a, standing)}
    for kind, part in written - partial_parts(built, standing):
        if not defined(kind, part):
            raise ParseError(f"{kind + ' ' if kind else ''}{sympy.sstr(part)} is removed as sympy builds the side, "
                             "and may be undefined: " + ("assume what makes it defined, or " if kind else "")
                             + "write the side without it")
