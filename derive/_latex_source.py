"""Where the math is in a .tex or .md file: its displays, their rows and the claims in them.

A display is an ``align``-like environment, ``displaymath``, ``\\[ \\]`` or ``$$ $$`` in LaTeX; a
``$$ $$`` block, a fenced ``math`` block, or MathJax's ``\\[ \\]`` or bare ``align``-like environment in
Markdown. Each format is read by one left-to-right
scan that follows its renderer: TeX's ``$``/``$$`` pairing (``$a$$b$`` is two inline formulas),
comments, ``\\verb``-like code, ``verbatim``-like environments and ``\\iffalse`` in LaTeX;
CommonMark's blocks (fences, indented code, lists, quotes), code spans, escapes, HTML comments and
code elements in Markdown. What the page shows as text or code is blanked (offsets and lines stay),
so a display hidden in it is not read and one hidden by it is not missed; a directive is read only
from a real comment. Where the scan cannot tell what the page shows (a display never closed, a
macro redefined, a ``$`` that could pair two ways) it is a ParseError naming the line, never a
guess. A row is split at its top-level ``=``; each ``=`` is a claim at its own line. ``derive.latex``
reads the claims.
"""

from __future__ import annotations

import bisect
import re
import string
from dataclasses import dataclass, field

GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi "
         "rho varrho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Sigma Upsilon "
         "Phi Psi Omega").split()
# What the layer reads: sympy's grammar for these, the layer itself for \mathbb{E}, \mathcal{N}
# and the annotations it removes. \pi is the constant, as in sympy's grammar.
KNOWN_MACROS = frozenset(GREEK + """frac dfrac tfrac sqrt log ln exp sum prod int infty partial left right
    cdot times div pi mathbb mathcal sim mid sin cos tan sinh cosh tanh arcsin arccos arctan binom max
    min det top intercal bar overline hat widehat tilde widetilde""".split())
_SPACING = (r"(?<!\\)\\[,;:! ]|\\displaystyle|\\[bB]igg?[lr]?(?![a-zA-Z])|\\nonumber|\\notag")
_ANNOTATIONS = re.compile(r"\\(?:label|tag)\{[^{}]*\}")
# Words and wide spaces: they end an equation's math (a = b \quad \text{and} \quad c = d is two).
_SEPARATORS = re.compile(r"\\text\{[^{}]*\}|\\q?quad(?![a-zA-Z])")
_SEPARATOR = "\x00"
# Macros the layer reads or removes itself, besides KNOWN_MACROS: a file may not redefine them.
_LAYER_MACROS = frozenset("""mathrm operatorname mathit mathsf text quad qquad label tag nonumber notag begin end
    displaystyle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr verb""".split())

# --- what the LaTeX scan interprets -----------------------------------------------------------------

_STARRED = "align gather equation multline flalign alignat eqnarray dmath xalignat xxalignat".split()
# Environments whose body is a display derive reads.
_DISPLAY_ENVIRONMENTS = frozenset([*_STARRED, *(f"{name}*" for name in _STARRED), "displaymath"])
_COLUMN_COUNT = re.compile(r"\s*\{\s*\d+\s*\}")  # \begin{alignat}{2}: how many columns, not math
_COUNTED_ENVIRONMENTS = frozenset(name for name in _DISPLAY_ENVIRONMENTS if "alignat" in name)
# Math displays derive does not read: an error, so that their math is not skipped unseen.
_UNREAD_ENVIRONMENTS = frozenset("IEEEeqnarray IEEEeqnarray* IEEEeqnarraybox empheq mathpar darray darray* "
                                 "dseries dseries* dgroup dgroup* numcases subnumcases DispWithArrows "
                                 "DispWithArrows*".split())
# An environment's options that make it a display (tcolorbox's ams equation, ams align, ...).
_DISPLAY_OPTIONS = re.compile(r"\s*\[[^\]]*\bams\s+(?:equation|align|gather|multline|flalign|alignat)")
# Environments LaTeX shows as code or does not show: skipped up to their literal \end{name}, as LaTeX does.
_HIDDEN_ENVIRONMENTS = frozenset("verbatim verbatim* Verbatim Verbatim* BVerbatim LVerbatim lstlisting minted "
                                 "comment filecontents filecontents*".split())
_INTERPRETED_ENVIRONMENTS = _DISPLAY_ENVIRONMENTS | _UNREAD_ENVIRONMENTS | _HIDDEN_ENVIRONMENTS | {"math"}
# \equation ... \endequation is a display too: derive reads only \begin and \end.
_ENVIRONMENT_WORDS = frozenset(word for name in _DISPLAY_ENVIRONMENTS if "*" not in name
                               for word in (name, f"end{name}"))
# Macros whose argument is code, delimited by a character (\verb|x|) or braces (\url{x}; \href's first).
_CODE_MACROS = frozenset("verb Verb lstinline mintinline mint url nolinkurl path href".split())
# Boxes whose content is text even in a paragraph: $$ there is an empty formula, not a display.
_TEXT_BOXES = frozenset("mbox hbox fbox makebox framebox text".split())
# In math these hold text, where $ opens math again (\text{if $x > 0$}).
_TEXT_IN_MATH = _TEXT_BOXES | frozenset("textrm textit textbf textsf texttt textup textmd textnormal textsl textsc "
                                        "emph intertext shortintertext tag".split())
# In a box or math these hold paragraphs again, where a display may open.
_PARAGRAPH_BOXES = frozenset("parbox vbox vtop footnote marginpar".split())
_BOX_OPENING = re.compile(r"\*?\s*(?:\[[^\]]*\]\s*)*\{")
# The conditionals TeX counts while \iffalse skips to its \fi (besides those a \newif makes).
_CONDITIONALS = frozenset("""if ifcat ifnum ifdim ifodd ifvmode ifhmode ifmmode ifinner ifvoid ifhbox ifvbox ifx
    ifeof iftrue iffalse ifcase ifdefined ifcsname iffontchar ifincsname ifprimitive ifabsnum ifabsdim
    ifpdfprimitive ifpdfabsnum ifpdfabsdim""".split())
# Package macros named \if... that take arguments and end with no \fi: no conditional of TeX's.
_ARGUMENT_IFS = frozenset("""ifthenelse ifdef ifndef ifundef ifcsdef ifcsundef ifbool iftoggle ifstrequal ifstrempty
    ifblank ifdefempty ifnumcomp ifdimcomp""".split())
# Control words after which an \iffalse or \end{document} is surely run by TeX: none takes it as an
# argument (\string\iffalse prints it, \unless\iffalse is \iftrue, \hide\iffalse may be \hide's argument).
_RUN_AFTER = frozenset("fi else or par relax makeatletter makeatother begin end".split() + list("[]()\\,;:! "))
# Environments LaTeX typesets whatever the document says (unless it redefines them, which derive
# refuses): a directive inside one applies; inside any other (\excludecomment{hide}) it is an error.
_TYPESET_ENVIRONMENTS = frozenset("""document itemize enumerate description center flushleft flushright quote
    quotation verse abstract proof figure figure* table table* tabular tabular* tabularx array""".split())
# The macros behind the environments the scan gives a meaning (\comment ... \endcomment is comment).
_ENVIRONMENT_MACROS = frozenset(word for name in _INTERPRETED_ENVIRONMENTS | _TYPESET_ENVIRONMENTS | {"minipage"}
                                if "*" not in name for word in (name, f"end{name}"))
# Macros the scan itself reads: a file may not redefine them either.
_SCAN_MACROS = _CODE_MACROS | _TEXT_IN_MATH | _ENVIRONMENT_MACROS | frozenset("""iffalse iftrue fi else csname
    endcsname eqref ref cite newif unless string noexpand expandafter newtheorem makeatletter makeatother""".split())
_PROTECTED = KNOWN_MACROS | _LAYER_MACROS | _SCAN_MACROS | _RUN_AFTER

_TEX_SPECIAL = re.compile(r"[\\%${}&]|\^\^")
_CONTROL = re.compile(r"\\(?:([a-zA-Z]+)|(.))", re.S)  # a control word, or a control symbol
_CONTROL_AT_LETTER = re.compile(r"\\(?:([a-zA-Z@]+)|(.))", re.S)  # the same after \makeatletter
_ENVIRONMENT_NAME = re.compile(r"\s*\{([^{}]*)\}")  # TeX skips spaces and a newline after \begin
# A name \begin reads as it is written: \begin{equation\empty} or \begin{\eq} names what a macro expands to.
_LITERAL_NAME = re.compile(r"[a-zA-Z0-9@*:.-]+")
_SKIPPED_TOKEN = re.compile(r"%[^\n]*|\^\^|\\(?:([a-zA-Z@]+)|.)", re.S)
# Between a control word and what follows it: nothing TeX reads as a token, and no blank line (a \par).
_NO_TOKEN = re.compile(r"(?:[ \t]|%[^\n]*\n)*\n?(?:[ \t]|%[^\n]*\n)*")
_NEWIF_NAME = re.compile(r"\s*\\(if[a-zA-Z@]+)")
_OPTIONAL_ARGUMENT = re.compile(r"\s*\[(?:[^\[\]{}]|\{[^{}]*\})*\]")
_CODE_OPTIONS = re.compile(r"\*?[ \t]*(?:\[[^\]\n]*\][ \t]*)?")  # \lstinline[language=C]{...}
_VERB_STAR = re.compile(r"\*?[ \t]*")  # \verb takes no options: \verb[x[ is code
_CODE_LANGUAGE = re.compile(r"\{[^{}\n]*\}[ \t]*")
_BRACES_IN_TEX = re.compile(r"\\.|%[^\n]*|[{}]", re.S)
_BRACES_IN_CODE = re.compile(r"[{}]")

# Definitions derive checks (_check_definition).
_DEFINES = (r"(?:re)?newcommand|providecommand|(?:New|Renew|Provide|Declare)(?:Expandable)?DocumentCommand"
            r"|(?:New|Renew|Declare)CommandCopy|DeclareRobustCommand|DeclareMathOperator|DeclareMathSymbol"
            r"|DeclarePairedDelimiter[XP]*|(?:re)?newrobustcmd|providerobustcmd|[gex]?def|let|futurelet"
            r"|U?(?:math)?chardef")
# Environments a file defines whose body is code, ended by the literal \end{name}.
_DEFINES_VERBATIM = r"(?:Define|Custom|Recustom)VerbatimEnvironment|lstnewenvironment|newtcblisting|DeclareTCBListing"
_DEFINES_ENVIRONMENT = (r"(?:re)?newenvironment|provideenvironment|(?:New|Renew|Provide|Declare)DocumentEnvironment"
                        rf"|(?:New|Renew)Environ|{_DEFINES_VERBATIM}|(?:include|exclude|special|process)comment")
_NAMES_BY_TEXT = r"@name(?:def|let)|cs(?:[gex]?def|let(?:cs)?|undef)"  # \@namedef{cdot}, etoolbox's \csdef{cdot}
_CHARACTER_CODES = (r"catcode|U?mathcode|delcode|MakeShortVerb|DefineShortVerb|lstMakeShortInline|MakeSpecialShortVerb"
                    r"|newmint(?:ed|inline|edfile)?")
_DEFINITION_START = re.compile(rf"\\(?:{_DEFINES}|{_DEFINES_ENVIRONMENT}|{_NAMES_BY_TEXT}|{_CHARACTER_CODES}"
                               r"|csname)(?![a-zA-Z])")
_DEFINITION = re.compile(rf"\\({_DEFINES})(?![a-zA-Z])\*?\s*\{{?\s*(\\(?:[a-zA-Z@]+|.)|[^\s{{}}\\])?", re.S)
_ENVIRONMENT_DEFINITION = re.compile(rf"\\({_DEFINES_ENVIRONMENT})\*?\s*\{{([^{{}}]*)\}}")
_NAMED_BY_TEXT = re.compile(rf"\\(?:csname(?![a-zA-Z])(?:((?:(?!\\endcsname).)*)\\endcsname)?"
                            rf"|(?:{_NAMES_BY_TEXT})\s*\{{([^{{}}]*)\}})", re.S)
_CODE_CHANGE = re.compile(rf"\\({_CHARACTER_CODES})(?![a-zA-Z])")
_BEFORE_BODY = re.compile(r"\s*\}?(?:\s|\[[^\]]*\]|#\d)*\{")
_LET_TARGETS = re.compile(r"\s*=?\s?(\\(?:[a-zA-Z]+|.)|\S)(?:\s*(\\(?:[a-zA-Z]+|.)|\S))?", re.S)
_TOKEN = re.compile(r"\\(?:([a-zA-Z]+)|(.))|(\$+)", re.S)


class ParseError(ValueError):
    """A claim the layer will not read: ``column`` counts from 1 in the claim's line."""

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


@dataclass
class Block:
    """One math environment: its text, where it starts in the file, the file's line of an offset,
    the directives before it, and what it is (``align*``, ``\\[``, ``$$``, ``math``)."""

    text: str
    start: int
    line_of: object
    directives: list[tuple[int, str]] = field(default_factory=list)
    environment: str = ""

    def line(self, offset: int) -> int:
        """The file's line of the text's ``offset`` (its last character's, past the end)."""
        return self.line_of(self.start + min(offset, max(len(self.text) - 1, 0)))


def _blank(text: str) -> str:
    """``text`` as spaces, newlines kept (offsets and lines stay)."""
    return re.sub(r"[^\n]", " ", text)


def _blanked(text: str, ranges: list[tuple[int, int]]) -> str:
    """``text`` with each (start, end) range blanked."""
    pieces, done = [], 0
    for start, end in sorted(ranges):
        start = max(start, done)
        if start < end:
            pieces += [text[done:start], _blank(text[start:end])]
            done = end
    return "".join(pieces) + text[done:]


def _line_of(text: str):
    starts = [0] + [m.end() for m in re.finditer("\r\n?|\n", text)]  # TeX's and CommonMark's line endings

    def line(offset: int) -> int:
        return bisect.bisect_right(starts, offset)

    return line


@dataclass(order=True)
class _Display:
    """A display the scan found: where its opener starts, its body, where its closer ends."""

    start: int
    body: int
    body_end: int
    end: int
    environment: str


def displays(text: str, suffix: str) -> list[Block]:
    """The displays of a file, in order, each with the directives between it and the one before."""
    line = _line_of(text)
    scan = _TexScan(text, line) if suffix == ".tex" else _MarkdownScan(text, line)
    clean = scan.run()
    blocks, used = [], 0
    for found in sorted(scan.found):
        before = [(line(offset), directive) for offset, directive in scan.directives if used <= offset < found.start]
        used = found.end
        blocks.append(Block(clean[found.body:found.body_end], found.body, line, before, found.environment))
    return blocks


def _group_end(text: str, start: int, braces: re.Pattern = _BRACES_IN_TEX) -> int:
    """Where the brace group opening at ``start`` closes (-1: never). In TeX an escaped brace or one in a
    comment does not count; in code (``_BRACES_IN_CODE``) every brace does."""
    depth = 0
    for m in braces.finditer(text, start):
        if m.group() == "{":
            depth += 1
        elif m.group() == "}":
            depth -= 1
            if not depth:
                return m.start()
    return -1


# --- LaTeX ------------------------------------------------------------------------------------------


@dataclass
class _Frame:
    """What is open where the scan is: the document, math up to its closer, or a box up to its }."""

    closer: str  # "" (the document), "}" (a box), "$", "$$", "\\]", "\\)", or an environment's name
    start: int
    body: int
    mode: str  # "paragraph" (a display may open), "box" (text in a line: $$ is an empty formula) or "math"
    opener: str = ""  # as an error names it
    environment: str = ""  # a display's, as Block.environment
    depth: int = 0  # braces open inside a box
    braces: int = 0  # braces open in the file where it opened


class _TexScan:
    """LaTeX read left to right as TeX reads it. Outside math, ``$$`` opens a display and ``$`` inline
    math, which the next ``$`` closes (``$a$$b$`` is two formulas); ``\\[``, ``\\(`` and environments open
    math up to their closers. In any mode a ``%`` starts a comment to the end of the line, ``\\verb|...|``
    and other code macros are text whatever they hold (a ``%`` or ``$`` in them is no comment or math),
    ``verbatim``-like environments and ``\\iffalse ... \\fi`` are skipped as TeX skips them."""

    def __init__(self, text: str, line):
        self.text, self.line = text, line
        self.blanks: list[tuple[int, int]] = []
        self.directives: list[tuple[int, str]] = []
        self.found: list[_Display] = []
        self.frames = [_Frame("", 0, 0, "paragraph")]
        self.conditionals = set(_CONDITIONALS)  # and those a \newif has made so far
        self.at_letter = False  # after \makeatletter, \if@x is one word
        self.braces = 0  # braces open: a group, an argument or a definition's body
        # What TeX may skip around the scan: the conditionals open, (word, start, sure: the \else of an
        # \iffalse), and the environments open other than displays, (name, start).
        self.open_conditionals: list[tuple[str, int, bool]] = []
        self.environments: list[tuple[str, int]] = []
        self.known_environments = set(_TYPESET_ENVIRONMENTS)  # and those a \newtheorem has made
        self.hidden_environments = set(_HIDDEN_ENVIRONMENTS)  # and the file's own verbatim environments
        self.last_control = ("", 0)  # the last control word or symbol read, and where it ended

    def run(self) -> str:
        """The text with comments, code and skipped text blanked; ``found`` and ``directives`` filled."""
        pos = 0
        while pos is not None and (m := _TEX_SPECIAL.search(self.text, pos)):
            pos = self.at(m.start())
        if pos is not None and len(self.frames) > 1:
            frame = self.frames[-1]
            raise ParseError(f"line {self.line(frame.start)}: {frame.opener} is never closed")
        return _blanked(self.text, self.blanks)

    def at(self, i: int) -> int | None:
        """Read what starts at ``i``; where to go on (None: the document has ended)."""
        c = self.text[i]
        if c == "%":
            return self.comment(i)
        if c == "\\":
            pos = self.control(i)
            self.last_control = (self.last_control[0], pos)
            return pos
        if c == "$":
            return self.dollar(i)
        if c == "^":
            raise ParseError(f"line {self.line(i)}: ^^ is a character code to TeX (^^5c is a backslash): derive does "
                             "not read it; write the character itself")
        frame = self.frames[-1]
        if c == "&" and frame.closer in ("$$", "\\]", "$") and not any(start > frame.start for _, start in
                                                                      self.environments):
            self.check_group_end(i, "&")  # $$ & $$ in a table: empty formulas in two cells
        if c == "}" and self.braces <= frame.braces:
            self.check_group_end(i, "}")
        self.braces = max(self.braces + (c == "{") - (c == "}"), 0)
        if frame.closer == "}":  # braces matter in a box only: its own } ends it
            if c == "{":
                frame.depth += 1
            elif frame.depth:
                frame.depth -= 1
            else:
                self.frames.pop()
        return i + 1

    def check_group_end(self, i: int, closer: str) -> None:
        """A group, conditional or environment that ends inside math but opened before it: TeX did not
        read that math as math (a $$ in \\detokenize{...}, a table cell, a false branch), and derive
        cannot tell where the math is."""
        frame = self.frames[-1]
        if frame.mode == "math":
            raise ParseError(f"line {self.line(i)}: {closer} inside the math {frame.opener} of line "
                             f"{self.line(frame.start)} ends what opened before it: TeX would not read that "
                             f"{frame.opener} as math, and derive cannot tell where the math is")

    def open(self, i: int, body: int, closer: str, opener: str, environment: str = "", mode: str = "math") -> int:
        self.braces += closer == "}"
        self.frames.append(_Frame(closer, i, body, mode, opener, environment, braces=self.braces))
        return body

    def run_by_tex(self, i: int) -> bool:
        """Whether TeX surely runs the token at ``i``: outside braces (a definition's body, an argument) and
        not right after a control word that may take it as an argument (\\string, \\unless, a macro)."""
        word, end = self.last_control
        after_word = word and _NO_TOKEN.fullmatch(self.text, end, i) is not None
        return not self.braces and not (after_word and word not in _RUN_AFTER)

    def close(self, i: int, end: int) -> int:
        frame = self.frames.pop()
        if frame.environment:
            self.found.append(_Display(frame.start, frame.body, i, end, frame.environment))
        return end

    def comment(self, i: int) -> int:
        end = self.text.find("\n", i)
        end = len(self.text) if end < 0 else end
        directive = re.match(r"%\s*derive:(.*)", self.text[i:end])
        if directive:
            self.check_directive_place(i)
            self.directives.append((i, directive.group(1).strip()))
        self.blanks.append((i, end))
        return end

    def check_directive_place(self, i: int) -> None:
        """A directive TeX may skip (in a conditional, an environment that may be excluded, braces) is an
        error: derive would apply what the page may not hold."""
        where = f"line {self.line(i)}: a derive: directive "
        if any(frame.environment for frame in self.frames):
            raise ParseError(where + "inside a math environment applies to nothing: put it before the environment")
        unsure = [(f"\\{word}", start) for word, start, sure in self.open_conditionals if not sure]
        unsure += [(f"\\begin{{{name}}}", start) for name, start in self.environments
                   if name not in self.known_environments]
        if unsure:
            opener, start = unsure[-1]
            raise ParseError(where + f"inside {opener} of line {self.line(start)}, which TeX may skip: derive cannot "
                             "tell whether it applies; put it outside")
        if self.braces:
            raise ParseError(where + "inside braces (a definition's body or an argument), which TeX may skip: put "
                             "it outside them")

    def dollar(self, i: int) -> int:
        frame = self.frames[-1]
        double = self.text.startswith("$$", i)
        if frame.mode == "math" and self.braces > frame.braces:  # $$\rlap{$$}: a box derive does not know
            raise ParseError(f"line {self.line(i)}: a $ inside braces inside the math {frame.opener} of line "
                             f"{self.line(frame.start)}: derive cannot tell whether a box there makes it a formula "
                             "of its own or the end of the math")
        if frame.mode == "box" and double and frame.depth:  # \fbox{\cell{$$ ...}}: \cell may hold a paragraph
            raise ParseError(f"line {self.line(i)}: $$ inside braces inside {frame.opener}: derive cannot tell "
                             "whether it is an empty formula or opens a display")
        if frame.mode == "paragraph":
            return self.open(i, i + 2, "$$", "$$", "$$") if double else self.open(i, i + 1, "$", "$")
        if frame.mode == "box":  # $$ is an empty formula there
            return i + 2 if double else self.open(i, i + 1, "$", "$")
        if frame.closer == "$":
            return self.close(i, i + 1)
        if frame.closer == "$$" and double:
            return self.close(i, i + 2)
        raise ParseError(f"line {self.line(i)}: a $ inside the math {frame.opener} opened at line "
                         f"{self.line(frame.start)}: TeX would end the math here")

    def control(self, i: int) -> int | None:
        m = (_CONTROL_AT_LETTER if self.at_letter else _CONTROL).match(self.text, i)
        if m is None:  # a backslash ends the file
            return i + 1
        if _DEFINITION_START.match(self.text, i):
            _check_definition(self.text, i, self.line)
            if environment := _ENVIRONMENT_DEFINITION.match(self.text, i):  # \excludecomment{lemma}
                self.known_environments.discard(environment.group(2).strip())
                if re.fullmatch(_DEFINES_VERBATIM, environment.group(1)):  # \DefineVerbatimEnvironment{code}
                    if self.open_conditionals or not self.run_by_tex(i):
                        raise ParseError(f"line {self.line(i)}: derive cannot tell whether TeX runs this "
                                         f"\\{environment.group(1)}, and so whether {environment.group(2)} is code")
                    self.hidden_environments.add(environment.group(2).strip())
        word, end, frame = m.group(1), m.end(), self.frames[-1]
        run, previous = self.run_by_tex(i), self.last_control[0]
        self.last_control = (word or m.group(2), end)
        if word is None:
            symbol = m.group(2)
            if symbol in "[(" and frame.mode == "math":
                raise ParseError(f"line {self.line(i)}: \\{symbol} inside the math {frame.opener} of line "
                                 f"{self.line(frame.start)}: derive cannot tell what TeX makes of it")
            if symbol == "[":  # in a box too: the box may hold a paragraph derive does not see
                return self.open(i, end, "\\]", "\\[", "\\[")
            if symbol == "(":
                return self.open(i, end, "\\)", "\\(")
            if frame.closer == "\\" + symbol:
                return self.close(i, end)
            return end
        if word in _CODE_MACROS:
            if frame.mode == "math":  # \[ 2 \verb|+1| = 2 \]: the page shows the code in the formula
                raise ParseError(f"line {self.line(i)}: \\{word} inside the math {frame.opener} of line "
                                 f"{self.line(frame.start)}: the page shows its code in the formula, and derive "
                                 "does not read code")
            return self.code(i, word, end)
        if word == "iffalse":
            if not run:
                after = "inside braces" if self.braces else f"right after \\{previous}"
                raise ParseError(f"line {self.line(i)}: derive cannot tell whether TeX runs this \\iffalse ({after}), "
                                 "and so what it skips")
            return self.skip_false(i, end)
        if word in ("makeatletter", "makeatother"):
            self.at_letter = word == "makeatletter"
        elif word == "newif" and run and (name := _NEWIF_NAME.match(self.text, end)):
            self.conditionals.add(name.group(1))  # one \newif in braces or a comment makes nothing derive knows
        elif word == "newtheorem" and (name := _ENVIRONMENT_NAME.match(self.text, end)):
            self.known_environments.add(name.group(1).strip())
        elif word.startswith("if") and word not in _ARGUMENT_IFS:  # \unless before it negates it
            self.open_conditionals.append((word, i, False))
        if word in ("fi", "else", "or") and (not self.open_conditionals or self.open_conditionals[-1][1] < frame.start):
            self.check_group_end(i, f"\\{word}")
        if word in ("bgroup", "begingroup"):
            self.braces += 1
        elif word in ("egroup", "endgroup"):
            if self.braces <= frame.braces:
                self.check_group_end(i, f"\\{word}")
            self.braces = max(self.braces - 1, 0)
        elif word in ("else", "or") and self.open_conditionals:  # the branch after it is one TeX may skip
            self.open_conditionals[-1] = (*self.open_conditionals[-1][:2], False)
        elif word == "fi":
            if not self.open_conditionals and self.directives:
                raise ParseError(f"line {self.line(i)}: \\fi closes a conditional derive did not see open, so the "
                                 f"derive: directive of line {self.line(self.directives[-1][0])} may be inside it")
            if self.open_conditionals:
                self.open_conditionals.pop()
        if word == "begin":
            return self.begin(i, end)
        if word == "end":
            return self.end(i, end, run)
        if word in _ENVIRONMENT_WORDS:
            raise ParseError(f"line {self.line(i)}: \\{word} opens or closes a display without \\begin or \\end, "
                             "and derive reads \\begin{...} ... \\end{...}")
        if frame.mode != "math" and (label := _OPTIONAL_ARGUMENT.match(self.text, end)) and "$$" in label.group(0):
            # \item[$$]: a label is a box, where $$ is an empty formula
            raise ParseError(f"line {self.line(i)}: $$ in the optional argument of \\{word}: TeX typesets it in a box, "
                             "where $$ is an empty formula; derive cannot tell; write it otherwise")
        box = _BOX_OPENING.match(self.text, end)
        if box and word in (_TEXT_IN_MATH if frame.mode == "math" else _TEXT_BOXES):
            return self.open(i, box.end(), "}", f"\\{word}{{", mode="box")
        if box and word in _PARAGRAPH_BOXES and len(self.frames) > 1:  # \fbox{\parbox{w}{$$ 1 = 2 $$}}
            if word == "parbox":
                width = _group_end(self.text, box.end() - 1)
                box = _BOX_OPENING.match(self.text, width + 1) if width >= 0 else None
            if box:
                return self.open(i, box.end(), "}", f"\\{word}{{", mode="paragraph")
        return end

    def code(self, i: int, word: str, pos: int) -> int:
        """``\\verb|x|``, ``\\lstinline{x}``, ``\\mintinline{lang}{x}``, ``\\url{x}``: blanked, what they
        hold is text."""
        text = self.text
        pos = (_VERB_STAR if word == "verb" else _CODE_OPTIONS).match(text, pos).end()
        if word in ("mintinline", "mint") and (language := _CODE_LANGUAGE.match(text, pos)):
            pos = language.end()
        delimiter, line_end = text[pos:pos + 1], text.find("\n", pos)
        if delimiter == "{" and word not in ("verb", "Verb"):
            end = _group_end(text, pos, _BRACES_IN_CODE)
            if word == "lstinline" and "{" in text[pos + 1:end]:
                raise ParseError(f"line {self.line(i)}: a brace inside \\lstinline{{...}}: derive cannot tell which "
                                 "} ends it; write \\lstinline|...|")
        elif delimiter and not delimiter.isspace() and not delimiter.isalpha():
            end = text.find(delimiter, pos + 1, len(text) if line_end < 0 else line_end)
        else:
            end = -1
        if end < 0:
            raise ParseError(f"line {self.line(i)}: \\{word} without its closing delimiter: derive cannot tell where "
                             "the code ends")
        self.blanks.append((i, end + 1))
        return end + 1

    def skip_false(self, i: int, pos: int) -> int:
        """``\\iffalse`` skips to the ``\\else`` or ``\\fi`` at its own depth, counting the conditionals between
        (a ``\\fi`` in a comment does not count; one in ``\\verb`` does, as TeX does not run ``\\verb`` there)."""
        depth = 0
        for m in _SKIPPED_TOKEN.finditer(self.text, pos):
            if m.group() == "^^":
                raise ParseError(f"line {self.line(m.start())}: ^^ inside \\iffalse: TeX reads it as a character "
                                 "code (^^5cfi is \\fi), and derive does not")
            word = m.group(1)
            if word and not self.at_letter:
                word = word.split("@")[0]  # @ is no letter: \fi@x is \fi, then @x
            if word in ("fi", "else") and not depth:
                self.blanks.append((i, m.end()))
                self.last_control = (word, m.end())
                if word == "else":  # TeX runs this branch: a directive in it applies
                    self.open_conditionals.append(("iffalse", i, True))
                return m.end()
            if word == "fi":
                depth -= 1
            elif word and word.startswith("if"):
                if word not in self.conditionals:
                    raise ParseError(f"line {self.line(m.start())}: \\{word} inside \\iffalse: derive cannot tell "
                                     "whether TeX counts it as a conditional there")
                depth += 1
        raise ParseError(f"line {self.line(i)}: \\iffalse is never closed by \\fi")

    def environment_name(self, i: int, pos: int) -> re.Match | None:
        m = _ENVIRONMENT_NAME.match(self.text, pos)
        if m and not _LITERAL_NAME.fullmatch(m.group(1)):
            raise ParseError(f"line {self.line(i)}: the environment name {{{m.group(1)}}} holds more than letters: "
                             "derive expands no macro, so it cannot tell which environment this is")
        return m

    def begin(self, i: int, pos: int) -> int:
        m = self.environment_name(i, pos)
        if m is None:
            return pos
        name, end = m.group(1), m.end()
        if name in self.hidden_environments:  # ended by the literal \end{name} only, as LaTeX ends it
            close = self.text.find(f"\\end{{{name}}}", end)
            if close < 0:
                raise ParseError(f"line {self.line(i)}: \\begin{{{name}}} is never closed by \\end{{{name}}}")
            self.blanks.append((i, close + len(name) + 6))
            return close + len(name) + 6
        if name in _UNREAD_ENVIRONMENTS or _DISPLAY_OPTIONS.match(self.text, end):
            raise ParseError(f"line {self.line(i)}: derive does not read \\begin{{{name}}}: write its math in "
                             "align or equation")
        frame = self.frames[-1]
        if name in _DISPLAY_ENVIRONMENTS or name == "math":
            if frame.mode == "math":
                raise ParseError(f"line {self.line(i)}: \\begin{{{name}}} inside the math {frame.opener} of line "
                                 f"{self.line(frame.start)}: derive cannot tell what TeX makes of it")
            # In a box too: the box may hold a paragraph derive does not see (a tabular's p column).
            count = _COLUMN_COUNT.match(self.text, end) if name in _COUNTED_ENVIRONMENTS else None
            return self.open(i, count.end() if count else end, name, f"\\begin{{{name}}}",
                             name if name != "math" else "")
        self.environments.append((name, i))
        if frame.mode == "box":  # a minipage, a tabular's p column: paragraphs again, where a display opens
            return self.open(i, end, name, f"\\begin{{{name}}}", mode="paragraph")
        return end

    def end(self, i: int, pos: int, run: bool) -> int | None:
        m = self.environment_name(i, pos)
        if m is None:
            return pos
        name, frame = m.group(1), self.frames[-1]
        opened_inside = self.environments and self.environments[-1][0] == name and self.environments[-1][1] > frame.start
        if name != frame.closer and not opened_inside:
            self.check_group_end(i, f"\\end{{{name}}}")
        if self.environments and self.environments[-1][0] == name:
            self.environments.pop()
        if name == frame.closer:
            return self.close(i, m.end())
        if name == "document" and len(self.frames) == 1 and run and not self.open_conditionals + self.environments:
            return None  # TeX reads nothing after a plain \end{document}; one in a macro, a conditional or
            # after \string is no end derive can be sure of, and the scan goes on
        return m.end()


def _check_definition(text: str, i: int, line) -> None:
    """A definition at ``i`` that derive cannot follow is a file error: of a macro derive reads
    (``\\renewcommand{\\cdot}{+}``, ``\\def\\cdot``, ``\\let\\cdot=+``), of one it cannot name
    (``\\csname``, ``\\def#1``), of what characters mean (``\\catcode``, ``\\def~``), or of a macro or
    environment that opens or closes math (``\\newcommand{\\be}{\\begin{equation}}``), whose display
    derive, which expands no macro, would not see."""
    where = f"line {line(i)}: "
    if m := _CODE_CHANGE.match(text, i):
        raise ParseError(where + f"\\{m.group(1)} changes what characters mean, and derive reads them as LaTeX "
                         "defines them")
    if m := _NAMED_BY_TEXT.match(text, i):
        name = m.group(1) if m.group(1) is not None else m.group(2)
        if name is None:
            raise ParseError(where + "\\csname without its \\endcsname")
        name = name.lstrip()  # TeX skips the spaces after \csname, not those before \endcsname
        if not re.fullmatch(r"[a-zA-Z]+", name) or name in _PROTECTED:
            raise ParseError(where + f"the macro named '{name}' by its letters may be one derive reads: derive "
                             "cannot tell which it is")
        return
    if m := _ENVIRONMENT_DEFINITION.match(text, i):
        word, name = m.groups()
        if name.strip() in _INTERPRETED_ENVIRONMENTS:
            raise ParseError(where + f"the environment {name.strip()} is redefined here, and derive reads it as "
                             "LaTeX defines it")
    elif m := _DEFINITION.match(text, i):
        word, name = m.groups()
        if name is None or name == "\\csname" or name.startswith("#"):
            raise ParseError(where + f"derive cannot tell which macro \\{word} defines here")
        if not re.fullmatch(r"\\[a-zA-Z@]+", name):
            raise ParseError(where + f"\\{word} gives {name} a meaning, and derive reads it as LaTeX defines it")
        if name[1:] in _PROTECTED or name[1:].split("@")[0] in _PROTECTED:  # \cdot@x is \cdot outside \makeatletter
            raise ParseError(where + f"{name} is redefined here, and derive reads it as LaTeX defines it")
        if word in ("let", "futurelet"):
            _check_let_target(text, m.end(), word, name, where)
            return
    else:
        return
    if _acts_on_the_scan(_definition_body(text, m.end(), word, where)):
        raise ParseError(where + "derive cannot follow a definition that opens or closes math, code or conditionals: "
                         "it expands no macro, so it would not see what the macro does where it is used; write the "
                         "$, \\[, \\begin{...}, \\verb or \\if... there")


# How many brace groups after the name a definition's body spans (\NewDocumentCommand{\x}{spec}{body}).
_BODY_GROUPS = {
    **{f"{kind}DocumentCommand": 2 for kind in ("New", "Renew", "Provide", "Declare")},
    **{f"{kind}ExpandableDocumentCommand": 2 for kind in ("New", "Renew", "Provide", "Declare")},
    **{f"{kind}DocumentEnvironment": 3 for kind in ("New", "Renew", "Provide", "Declare")},
    **{f"{kind}environment": 2 for kind in ("new", "renew", "provide")},
    **{f"{kind}comment": 0 for kind in ("include", "exclude", "special", "process")},
    **{name: 0 for name in ("DeclareMathSymbol", "chardef", "mathchardef", "Umathchardef", "Uchardef")},
    **{f"DeclarePairedDelimiter{suffix}": 2 for suffix in ("", "X", "XPP")},
}


def _check_let_target(text: str, pos: int, word: str, name: str, where: str) -> None:
    """``\\let\\x\\y`` makes ``\\x`` what ``\\y`` is (``\\futurelet\\x\\y\\z``, what ``\\z`` is): an error
    when that is something the scan reads itself (``\\let\\be\\[``, ``\\let\\myfi\\fi``, ``\\let\\mydef\\def``)."""
    targets = _LET_TARGETS.match(text, pos)
    target = targets and targets.group(2 if word == "futurelet" else 1)
    if target and (target in ("$", "\\[", "\\]", "\\(", "\\)") or _DEFINITION_START.fullmatch(target)
                   or _acts_on_the_scan(target)):
        raise ParseError(where + f"{name} is made {target}, which derive reads itself: it expands no macro, so it "
                         "would not see what this one does")


def _definition_body(text: str, pos: int, word: str, where: str) -> str:
    """What a definition after its name holds: the next brace groups (\\NewDocumentCommand{\\x}{spec}{body}),
    options and parameters between them, or the one token of a body without braces (\\newcommand\\be\\begin);
    for \\def, its parameter text (up to the first brace) too."""
    if re.fullmatch(r"[gex]?def", word):
        opening = text.find("{", pos)
        end = _group_end(text, opening) if opening >= 0 else -1
        if end < 0:
            raise ParseError(where + "a definition whose braces never close")
        return text[pos:end]
    body = []
    for _ in range(_BODY_GROUPS.get(word, 1)):
        opening = _BEFORE_BODY.match(text, pos)
        if opening is None:
            if not body and (token := re.compile(r"\s*(\\(?:[a-zA-Z@]+|.)|\S)", re.S).match(text, pos)):
                body.append(token.group(1))
            break
        end = _group_end(text, opening.end() - 1)
        if end < 0:
            raise ParseError(where + "a definition whose braces never close")
        body.append(text[opening.end():end])
        pos = end + 1
    return " ".join(body)


# Control words the scan acts on, besides \\if... and \\begin, \\end: a definition may not hold them.
_ACTED_ON = _CODE_MACROS | _ENVIRONMENT_MACROS | _ENVIRONMENT_WORDS | frozenset("fi else or unless newif".split())


def _acts_on_the_scan(body: str) -> bool:
    """Whether a definition's body holds what the scan acts on: math or display delimiters, code macros,
    conditionals, ``^^``, or \\begin and \\end other than of an environment LaTeX only typesets
    (\\newcommand{\\be}{\\begin}, \\newcommand{\\stop}{\\end{document}})."""
    body = re.sub(r"(?<!\\)%[^\n]*", "", body)
    if "^^" in body:
        return True
    for m in _TOKEN.finditer(body):
        word, symbol, run = m.groups()
        if run or symbol in ("[", "]", "(", ")") or word in _ACTED_ON:
            return True
        if word and word.startswith("if") and word not in _ARGUMENT_IFS:
            return True
        if word in ("begin", "end"):
            name = _ENVIRONMENT_NAME.match(body, m.end())
            if not name or name.group(1) not in _TYPESET_ENVIRONMENTS - {"document"}:
                return True
    return False


# --- Markdown ---------------------------------------------------------------------------------------

# Fences of backticks or tildes, and MyST's colon fences (:::{math} is a display, :::{note} holds Markdown).
_FENCE = re.compile(r"(`{3,}|~{3,}|:{3,})(.*)")
_MATH_INFO = (["math"], ["{math}"])
# Environments MathJax shows as math even bare in the text (processEnvironments), besides displays.
_MATHJAX_INNER_ENVIRONMENTS = frozenset("""aligned alignedat gathered split multlined array subarray cases matrix pmatrix
    bmatrix Bmatrix vmatrix Vmatrix smallmatrix CD""".split())
# MyST directives whose body is code; any other {name} fence holds Markdown to MyST.
_MYST_CODE = frozenset("{code} {code-block} {code-cell} {sourcecode} {literalinclude} {raw} {eval-rst}".split())
_MARKDOWN_MATH = re.compile(r"\$\$|\\\\?\[|\\\\?begin\s*\{|^\s*(?:```|~~~)\s*\{?math", re.M)  # a fence's first word that makes it a display (MyST writes {math})
# CommonMark's only line endings: \n, \r\n and \r (str.splitlines also breaks at \f, \x85, \u2028...).
_LINE_ENDING = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")
_LIST_MARKER = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?=[ \t]|$)")
_THEMATIC_BREAK = re.compile(r"(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
_SETEXT_UNDERLINE = re.compile(r"(?:=+|-+)[ \t]*")
# HTML blocks whose lines are no Markdown until their end (CommonMark's kinds 1 and 2).
_HTML_BLOCK = re.compile(r"<(pre|script|style|textarea)(?=[\s>]|$)|<!--", re.I)
# Links: a destination (<...>, or no spaces and balanced parentheses), a title; a link reference
# definition on one line ([r]: /url "title") renders nothing, nor does a link's ](destination "title").
_LINK_TITLE = r"""(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\((?:[^()\\]|\\.)*\))"""
_LINK_DESTINATION = r"(?:<(?:[^<>\\\n]|\\.)*>|(?!<)(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))+)"
_LINK_DEFINITION = re.compile(rf"\[(?!\^)(?=[^\]]*[^\]\s])(?:[^\\\[\]]|\\.){{1,999}}\]:[ \t]*{_LINK_DESTINATION}"
                              rf"([ \t]+{_LINK_TITLE})?[ \t]*")  # [^1]: is GitHub's footnote: text
_TITLE_LINE = re.compile(rf"{_LINK_TITLE}[ \t]*")  # a definition's title on the line after it
_SPACE = r"[ \t]*(?:\n[ \t]*)?"  # spaces with up to one line ending
_LINK_TARGET = re.compile(rf"\]\({_SPACE}(?:{_LINK_DESTINATION}(?:(?:[ \t]+(?:\n[ \t]*)?|\n[ \t]*){_LINK_TITLE})?"
                          rf"{_SPACE})?\)")
_IN_LINK_TEXT = re.compile(r"\\.|`+|\[|\]", re.S)
_MARKDOWN_SPECIAL = re.compile(r"[\\`<$\]]|!?\[")
_BACKTICKS = re.compile(r"`+")
# Raw HTML tags as CommonMark's grammar has them: they go before a code span that starts inside them
# (<span title="`">), and only a valid one is a tag (<code title=x"y> is text).
_ATTRIBUTE = r"""\s+[a-zA-Z_:][a-zA-Z0-9_.:-]*(?:\s*=\s*(?:[^"'=<>`\x00-\x20]+|'[^']*'|"[^"]*"))?"""
_OPEN_TAG = re.compile(rf"<([A-Za-z][A-Za-z0-9-]*)(?:{_ATTRIBUTE})*\s*/?>")
_CLOSING_TAG = re.compile(r"</[A-Za-z][A-Za-z0-9-]*\s*>")
# Elements whose text is code, not math (MathJax skips them too).
_CODE_ELEMENTS = frozenset("code pre kbd samp tt script style textarea".split())
_AUTOLINK = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\x00-\x20]*>")
_IN_DISPLAY = re.compile(r"\\.|\$\$|<!--", re.S)
_IN_DISPLAY_BODY = re.compile(r"\\.|<!--", re.S)
# \[ and \begin{align}, or \\[ and \\begin{align}, which CommonMark turns into them before MathJax reads.
_MARKDOWN_MATH_OPENER = re.compile(r"\\\\?(?:\[|begin\s*\{([a-zA-Z]+\*?)\})")
_UNSPACED = re.compile(r"\s+")
_IN_INLINE_MATH = re.compile(r"\\.|\$", re.S)
_PUNCTUATION = frozenset(string.punctuation)  # what a backslash escapes


def _comment_end(text: str, i: int) -> int:
    """Where the HTML comment opening at ``i`` ends (-1: never): ``<!-->`` and ``<!--->`` are whole ones."""
    for short in ("<!-->", "<!--->"):
        if text.startswith(short, i):
            return i + len(short)
    close = text.find("-->", i + 4)
    return close + 3 if close >= 0 else -1


def _columns(line: str, pos: int, col: int, up_to: float = float("inf")) -> tuple[int, int]:
    """(position, column) past the spaces and tabs at ``pos`` (at most up to column ``up_to``); a tab
    goes on to the next multiple of 4 columns."""
    while pos < len(line) and line[pos] in " \t" and col < up_to:
        col = col + 1 if line[pos] == " " else col + 4 - col % 4
        pos += 1
    return pos, col


class _MarkdownScan:
    """Markdown as CommonMark reads it, then the math in it as GitHub's renderer finds it. First the
    blocks, line by line: fenced code (any fence of 3 or more backticks or tildes, closed by a longer
    or equal one; ``math`` fences are displays), indented code (4 columns past the paragraph's
    container, a list item's content included), block quotes. Then the text, left to right: escapes
    (``\\$`` is a dollar, ``\\<!--`` no comment), code spans (over lines, within a paragraph), HTML
    comments and code elements, ``$$ $$`` displays and ``$ $`` inline math, and the displays MathJax
finds where GitHub's renderer shows text: ``\\[ \\]`` and bare environments."""

    def __init__(self, text: str, line):
        self.text, self.line = text, line
        self.code: list[tuple[int, int]] = []  # code blocks, fence lines and quote markers
        self.math_fences: list[tuple[int, int]] = []
        self.blanks: list[tuple[int, int]] = []  # what the text scan blanks
        self.directives: list[tuple[int, str]] = []
        self.found: list[_Display] = []
        # Where the block scan is: the open block quotes and list items, (a quote?, the column their
        # content starts at); the open fence, (its marker, math?, where it starts, where its body
        # starts); what ends the open HTML block; whether a paragraph is open.
        self.containers: list[tuple[bool, int]] = []
        self.fence = None
        self.html_end = None
        self.paragraph = False
        self.title_may_follow = False  # the line before was a link reference definition without a title
        # Where each block starts (CommonMark reads inline content block by block: no code span, math or
        # comment reaches over one), the HTML comments that open an HTML block, the open [ of links.
        self.ends: list[int] = []
        self.comment_blocks: set[int] = set()
        self.link_openers: list[int] = []
        self.blank_lines: list[int] = []

    def run(self) -> str:
        offset = 0
        for line in _LINE_ENDING.split(self.text):
            if line:
                self.block_line(line, offset)
                offset += len(line)
        if self.fence is not None:  # a fence never closed runs to the end of the file
            self.end_fence(len(self.text), len(self.text))
        self.ends = sorted(set(self.ends + [len(self.text)]))
        self.blank_lines.append(len(self.text))
        plain = _blanked(self.text, self.code)
        self.inline(_blanked(plain, self.math_fences))
        clean = _blanked(plain, self.blanks)
        for m in _DEFINITION_START.finditer(clean):  # MathJax and KaTeX honour \renewcommand, \def, \let
            _check_definition(clean, m.start(), self.line)
        return clean

    # -- blocks

    def block_line(self, line: str, start: int) -> None:
        """Read one line of the block structure: the containers it goes on with or opens, then its leaf."""
        content_end = len(line.rstrip("\r\n"))
        pos, col, kept = self.continued(line, start, content_end)
        if kept < len(self.containers):
            if (self.paragraph and self.fence is None and self.html_end is None and line[pos:content_end].strip()
                    and not self.starts_block(line, pos, col)):
                return  # a lazy continuation of the paragraph
            self.containers, self.paragraph, self.html_end = self.containers[:kept], False, None
            if self.fence is not None:  # its container ended, and so did it
                self.end_fence(start, start)
        if self.fence is not None:
            p, c = _columns(line, pos, col)
            closing = _FENCE.fullmatch(line[p:content_end].rstrip(" \t"))
            marker = self.fence[0]
            if (c - col <= 3 and closing and closing.group(1)[0] == marker[0]
                    and len(closing.group(1)) >= len(marker) and not closing.group(2)):
                self.end_fence(start, start + len(line))
            return
        if self.html_end is not None:
            if self.html_end.search(line, pos):
                self.html_end = None
            return
        pos, col = self.opened(line, start, pos, col, content_end)
        continues, title_may_follow, self.title_may_follow = self.paragraph, self.title_may_follow, False
        p, c = _columns(line, pos, col)
        rest = line[p:content_end]
        if not rest:
            self.paragraph = False
            self.blank_lines.append(start)
        elif c - col >= 4:  # indented code, unless it goes on with a paragraph
            if not self.paragraph:
                self.code.append((start + pos, start + content_end))
        elif (opening := self.fence_opening(rest)) is not None:
            self.fence = (opening.group(1), opening.group(2).split()[:1] in _MATH_INFO, start + p, start + len(line))
            self.paragraph = False
        elif html := _HTML_BLOCK.match(rest):
            end = re.compile(rf"</{html.group(1)}>" if html.group(1) else "-->", re.I)
            after = p + (html.end() if html.group(1) else 2)  # <!--> and <!---> are whole comments
            self.html_end = None if end.search(line, after) else end
            if not html.group(1):
                self.comment_blocks.add(start + p)
            self.paragraph = False
        elif not self.paragraph and ((definition := _LINK_DEFINITION.fullmatch(rest))
                                     or title_may_follow and _TITLE_LINE.fullmatch(rest)):
            self.code.append(self.hidden(line, start, p, content_end))  # it renders nothing
            self.title_may_follow = bool(definition and not definition.group(1))
        else:  # a heading (ATX, or setext: === or --- under a paragraph) or a thematic break ends the paragraph
            setext = self.paragraph and _SETEXT_UNDERLINE.fullmatch(rest)
            self.paragraph = not (setext or _THEMATIC_BREAK.match(rest) or _HEADING.match(rest))
            if rest.startswith(":::"):  # MyST's :::{note} and its end: a block to MyST, text to GitHub
                self.ends += [start, start + len(line)]
        if not (continues and self.paragraph):
            self.ends.append(start)

    @staticmethod
    def fence_opening(rest: str) -> re.Match | None:
        """A code fence's opening line (a backtick fence's info has no backtick), or MyST's ``:::{math}``."""
        opening = _FENCE.match(rest)
        if opening is None or opening.group(1)[0] == "`" and "`" in opening.group(2):
            return None
        return opening if opening.group(1)[0] != ":" or opening.group(2).split()[:1] == ["{math}"] else None

    def continued(self, line: str, start: int, content_end: int) -> tuple[int, int, int]:
        """(position, column) past the markers and indentation of the containers the line goes on
        with, and how many it goes on with (a blank line goes on with a list item)."""
        pos, col, kept = 0, 0, 0
        for quote, column in self.containers:
            if quote:
                p, c = _columns(line, pos, col)
                if c - col > 3 or not line.startswith(">", p):
                    break
                pos, col = self.quote_marker(line, start, p, c)
            elif line[pos:content_end].strip():
                p, c = _columns(line, pos, col, column)
                if c < column:
                    break
                pos, col = p, c
            kept += 1
        return pos, col, kept

    def opened(self, line: str, start: int, pos: int, col: int, content_end: int) -> tuple[int, int]:
        """(position, column) past the block quotes and list items the line opens."""
        while True:
            p, c = _columns(line, pos, col)
            if c - col > 3 or p >= content_end:
                return pos, col
            if line[p] == ">":
                pos, col = self.quote_marker(line, start, p, c)
                self.containers.append((True, col))
                self.paragraph = False
                continue
            marker = _LIST_MARKER.match(line, p)
            if marker is None or _THEMATIC_BREAK.match(line[p:content_end]):
                return pos, col
            marker_column = c + marker.end() - p
            q, d = _columns(line, marker.end(), marker_column)
            empty = q >= content_end
            if self.paragraph and (empty or marker.group()[0].isdigit() and int(marker.group()[:-1]) != 1):
                return pos, col  # an empty item, or a list numbered from other than 1, does not interrupt a paragraph
            if empty:  # its content, on the lines after, is 1 column past the marker
                pos, col = q, marker_column + 1
            elif d - marker_column > 4:  # its content is 1 column on (then indented code)
                pos, col = _columns(line, marker.end(), marker_column, marker_column + 1)
            else:
                pos, col = q, d
            self.containers.append((False, col))
            self.paragraph = False

    def quote_marker(self, line: str, start: int, p: int, c: int) -> tuple[int, int]:
        """Past a block quote's ``>`` (and the space after it), which is blanked: it is not content."""
        self.code.append((start + p, start + p + 1))
        return (p + 2, c + 2) if line[p + 1:p + 2] == " " else (p + 1, c + 1)

    def starts_block(self, line: str, pos: int, col: int) -> bool:
        """Whether the line starts a block rather than going on with a paragraph."""
        p, c = _columns(line, pos, col)
        rest = line[p:].rstrip("\r\n")
        if c - col > 3:
            return False
        marker = _LIST_MARKER.match(rest)
        item = marker and rest[marker.end():].strip() and not (rest[0].isdigit() and int(marker.group()[:-1]) != 1)
        return bool(rest.startswith(">") or item or self.fence_opening(rest)
                    or _THEMATIC_BREAK.match(rest) or _HEADING.match(rest) or _HTML_BLOCK.match(rest))

    def hidden(self, text: str, offset: int, start: int, end: int) -> tuple[int, int]:
        """Blank what CommonMark does not show as text: a link's destination and title, an image's alt, a link
        reference definition. A $$ there is an error: Jupyter finds math before Markdown and pairs it."""
        if (dollars := text.find("$$", start, end)) >= 0:
            raise ParseError(f"line {self.line(offset + dollars)}: a $$ in a link's destination or title, an image's "
                             "alt text or a link reference definition: renderers differ on whether it opens a "
                             "display; write it as \\$\\$")
        return offset + start, offset + end

    def end_fence(self, body_end: int, end: int) -> None:
        _, math, start, body = self.fence
        info = self.text[start:body].strip().lstrip("`~:").split()[:1]
        directive = info and re.fullmatch(r"\{[\w-]+\}", info[0]) and info[0] not in _MYST_CODE
        if directive and not math and _MARKDOWN_MATH.search(self.text, body, max(body, body_end)):
            # ```{note}: Markdown to MyST (Jupyter Book), code to GitHub
            raise ParseError(f"line {self.line(start)}: math inside the MyST directive {info[0]}, which MyST shows "
                             "as Markdown and GitHub as code: renderers differ; use :::{...} or move the math out")
        if math:
            self.math_fences.append((start, end))
            self.found.append(_Display(start, body, max(body, body_end), end, "math"))
        else:
            self.code.append((start, end))
        self.fence = None

    # -- text

    def inline(self, text: str) -> None:
        """Scan the text (code blocks and math fences blanked) for what hides math and for the math."""
        pos = 0
        while m := _MARKDOWN_SPECIAL.search(text, pos):
            i = m.start()
            if text[i] in "![]":
                pos = self.link(text, i)
            elif text[i] == "\\":  # an escaped character is text, a $ or ` or < too, but for MathJax's displays
                pos = self.backslash_display(text, i)
            elif text[i] == "`":
                pos = self.code_span(text, i)
            elif text[i] == "<":
                pos = self.html(text, i)
            elif text.startswith("$$", i):
                pos = self.display(text, i)
            else:
                pos = self.inline_math(text, i)

    def paragraph_end(self, i: int) -> int:
        return self.ends[bisect.bisect_right(self.ends, i)]

    def link(self, text: str, i: int) -> int:
        """Links and images: a link's ``](destination "title")`` is no text, nor is an image's ``![alt](...)``
        (the alt is an attribute), and so they are blanked. A link's [ is found at its ], as CommonMark
        does; an image is found at its ``![``, before its alt's $$ is read."""
        end = self.paragraph_end(i)
        if text[i] == "[":
            self.link_openers.append(i)
            return i + 1
        if text[i] == "]":
            while self.link_openers and self.paragraph_end(self.link_openers[-1]) != end:
                self.link_openers.pop()  # an opener of an earlier paragraph
            if not self.link_openers:
                return i + 1
            self.link_openers.pop()
            if (target := _LINK_TARGET.match(text, i, end)) is None:
                return i + 1
            self.link_openers.clear()  # a link holds no link: the [ before it open none
            self.blanks.append(self.hidden(text, 0, i, target.end()))
            return target.end()
        depth, pos = 0, i + 2  # ![: its alt's brackets nest, code spans in it go first
        while m := _IN_LINK_TEXT.search(text, pos, end):
            pos = m.end()
            if m.group()[0] == "`":
                pos = self.code_span(text, m.start())
            elif m.group() in "[]":
                depth += 1 if m.group() == "[" else -1
                if depth < 0:
                    break
        else:
            return i + 2
        target = _LINK_TARGET.match(text, m.start(), end)
        if target is None:
            return i + 2
        self.blanks.append(self.hidden(text, 0, i, target.end()))
        return target.end()

    def code_span(self, text: str, i: int) -> int:
        """A code span: up to a run of as many backticks in the same paragraph; without one, the
        backticks are text."""
        run = _BACKTICKS.match(text, i).end() - i
        for m in _BACKTICKS.finditer(text, i + run, self.paragraph_end(i)):
            if m.end() - m.start() == run:
                self.blanks.append((i, m.end()))
                return m.end()
        return i + run

    def html(self, text: str, i: int) -> int:
        if text.startswith("<!--", i):
            end = _comment_end(text, i)
            block = i in self.comment_blocks  # an HTML block, not inline HTML: it may hold blank lines
            if end < 0 and block:
                raise ParseError(f"line {self.line(i)}: an HTML comment that is never closed hides the rest of the "
                                 "file")
            if end < 0 or not block and end > self.paragraph_end(i):
                return i + 1  # not a comment: text
            directive = re.match(r"<!--\s*derive:(.*)-->", text[i:end], re.S)
            if directive:
                self.directives.append((i, directive.group(1).strip()))
            self.blanks.append((i, end))
            return end
        if tag := _OPEN_TAG.match(text, i, self.paragraph_end(i)):
            if tag.group(1).lower() not in _CODE_ELEMENTS:
                return tag.end()  # a tag: its attributes are no text, a backtick in them opens no code span
            close = re.compile(rf"</{tag.group(1)}\s*>", re.I).search(text, tag.end())
            if close is None:
                raise ParseError(f"line {self.line(i)}: <{tag.group(1)}> is never closed: derive cannot tell "
                                 "where its code ends")
            self.blanks.append((i, close.end()))
            return close.end()
        if tag := _CLOSING_TAG.match(text, i, self.paragraph_end(i)):
            return tag.end()
        if link := _AUTOLINK.match(text, i):
            self.blanks.append((i, link.end()))
            return link.end()
        return i + 1

    def display(self, text: str, i: int) -> int:
        """``$$ ... $$`` closed in its block (GitHub reads blocks apart, Jupyter pairs the $$ over them)."""
        pos, end = i + 2, self.paragraph_end(i)
        while m := _IN_DISPLAY.search(text, pos, end):
            if m.group() == "$$":
                self.found.append(_Display(i, i + 2, m.start(), m.end(), "$$"))
                return m.end()
            if m.group() == "<!--":
                self.comment_in_display(text, m.start())
            pos = m.end()
        if "$$" not in text[end:]:
            raise ParseError(f"line {self.line(i)}: $$ opens a display that no $$ closes")
        if end in self.blank_lines:
            raise ParseError(f"line {self.line(i)}: a blank line inside $$ ... $$: renderers differ on whether "
                             "the display goes on after it; remove it")
        raise self.across_blocks(i, "$$", end)

    def across_blocks(self, i: int, opener: str, end: int) -> ParseError:
        """A display closed past the block it opens in: GitHub reads blocks apart, Jupyter pairs over them."""
        return ParseError(f"line {self.line(i)}: this {opener} is not closed before the block that starts on line "
                          f"{self.line(end)}: renderers differ on whether the display goes on into it; close it "
                          "before" + (", or write a dollar of text as \\$" if opener == "$$" else ""))

    def comment_in_display(self, text: str, i: int) -> None:
        """An HTML comment inside a display: MathJax-based renderers drop it, GitHub shows it as TeX."""
        end = _comment_end(text, i)
        if end >= 0 and re.match(r"<!--\s*derive:", text[i:end]):
            raise ParseError(f"line {self.line(i)}: a derive: directive inside a math environment applies to "
                             "nothing: put it before the environment")
        raise ParseError(f"line {self.line(i)}: an HTML comment inside a display: renderers differ on whether it "
                         "is math; remove it")

    def backslash_display(self, text: str, i: int) -> int:
        """``\\[ ... \\]`` and a bare ``\\begin{align} ... \\end{align}``: CommonMark shows them as text, but
        MathJax-based renderers (MkDocs, pandoc; Jupyter for ``\\\\[``) as displays, and so they are read.
        Not closed before a blank line they are text to every renderer; closed past their block, an error."""
        opener = _MARKDOWN_MATH_OPENER.match(text, i)
        if opener is None or opener.group(1) not in (None, *_DISPLAY_ENVIRONMENTS, *_MATHJAX_INNER_ENVIRONMENTS):
            return i + 2 if text[i + 1:i + 2] in _PUNCTUATION else i + 1  # an escape, or no math environment
        if opener.group(1) is None:
            body, closer, environment = opener.end(), "\\]", "\\["
        else:
            environment, body, closer = opener.group(1), opener.end(), f"\\end{{{opener.group(1)}}}"
            if environment in ("array", "subarray") and (columns := re.match(r"\s*\{[^{}]*\}", text[body:])):
                body += columns.end()  # {cc}: the columns, not math
            elif re.search(r"align(?:ed)?at", environment) and (count := _COLUMN_COUNT.match(text, body)):
                body = count.end()
        # Closed past its block, Jupyter still pairs it up to a blank line; comments: an error once it is a display.
        comments, pos, end = [], body, self.paragraph_end(i)
        while True:
            m = _IN_DISPLAY_BODY.search(text, pos, self.blank_lines[bisect.bisect_right(self.blank_lines, i)])
            if m is None:
                return body  # not closed before a blank line: text
            pos = m.end()
            if m.group() == "<!--":
                comments.append(m.start())
            elif any(_UNSPACED.sub("", text[at:at + len(closer) + 8]).startswith(closer)
                     for at in (m.start(), m.start() + 1) if text[at] == "\\"):
                break
        if m.start() >= end:
            raise self.across_blocks(i, opener.group(), end)
        for start in comments:
            self.comment_in_display(text, start)
        closing_end = text.index("]" if closer == "\\]" else "}", m.start()) + 1
        self.found.append(_Display(i, body, m.start(), closing_end, environment))
        return closing_end

    def inline_math(self, text: str, i: int) -> int:
        """``$...$`` in one paragraph (a lone ``$`` is text). A ``$`` that closes it and starts a ``$$``
        could also be read as a display's: renderers differ, and so that is an error."""
        pos, end = i + 1, self.paragraph_end(i)
        while m := _IN_INLINE_MATH.search(text, pos, end):
            if m.group() == "$":
                if text.startswith("$$", m.start()):
                    raise ParseError(f"line {self.line(m.start())}: this $$ could close the $ of line {self.line(i)} "
                                     "and open math, or open a display: renderers differ; write a dollar of text as "
                                     "\\$")
                return m.end()
            pos = m.end()
        return i + 1


# --- rows and claims --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """``lhs = rhs`` as written, at the line of its ``=``."""

    lhs: str
    rhs: str
    line: int
    continues: bool  # the lhs is the previous claim's rhs
    error: str | None = None  # why the row cannot be read as claims


# A row's line break: \\ or \\*, then the [...] right after it is amsmath's spacing (amsmath reads a [
# after a space as math; eqnarray's \\ skips the space and reads it as spacing).
_ROW_BREAK = re.compile(r"\\\\\*?")
_SPACED_BRACKET = re.compile(r"\s*\[([^\]]*)\]")
# A TeX length or glue, as \\[...] takes it: signs, a decimal, a unit in any case (true ones too) or a
# length register (\jot, 1.5\baselineskip), then plus and minus parts.
_FACTOR = r"[-+\s]*(?:\d+(?:[.,]\d*)?|[.,]\d*)?\s*"
_UNIT = r"(?:(?:true\s*)?(?:pt|pc|in|bp|cm|mm|dd|cc|sp|px|nd|nc)|ex|em|mu|\\[a-zA-Z@]+)"
_STRETCH = rf"{_FACTOR}(?:fil+|{_UNIT})"
_GLUE = re.compile(rf"\s*{_FACTOR}{_UNIT}(?:\s*plus\s*{_STRETCH})?(?:\s*minus\s*{_STRETCH})?\s*", re.I)
# Inner alignments: their markers, and the position ([t], [b], [c]) and column count ({2}) after them.
_INNER_ENVIRONMENTS = re.compile(r"\\begin\{(?:aligned|gathered|alignedat)\}(?:\s*\[[^\]]*\])?(?:\s*\{\s*\d+\s*\})?"
                                 r"|\\begin\{split\}|\\end\{(?:aligned|split|gathered|alignedat)\}")
_TAB = re.compile(r"(?<!\\)&")
# What an annotation column may hold (&& \text{by Jensen}, && (\text{by } \eqref{eq:1})).
_ANNOTATION_TEXT = re.compile(r"\\(?:text(?:rm|it|bf|sf|up|normal|md|sl)?|mbox|emph|eqref|ref|cite[tp]?|label|tag"
                              r"|hspace)\*?\s*(?:\[[^\]]*\]\s*)?\{")
_ANNOTATION_SPACING = re.compile(r"\\(?:q?quad|hfill|nonumber|notag)(?![a-zA-Z])|\\[,;:! ]|~")
_ANNOTATION_REST = re.compile(r"[\s.,;:()\[\]&]*")


def _rows(block: Block):
    """(text, offset) of each ``\\``-separated row, labels and inner ``aligned``-like markers as spaces."""
    text = _INNER_ENVIRONMENTS.sub(lambda m: " " * len(m.group(0)), block.text)
    text = _ANNOTATIONS.sub(lambda m: " " * len(m.group(0)), text)
    start = 0
    for m in [*_ROW_BREAK.finditer(text), None]:
        end = m.start() if m else len(text)
        yield text[start:end], start
        start = _row_spacing_end(text, m.end(), block) if m else end


def _row_spacing_end(text: str, pos: int, block: Block) -> int:
    """Past the spacing after a row break at ``pos``: ``[...]`` right after ``\\\\`` is spacing, which must be a
    length (TeX errs on another); after a space amsmath reads it as math and eqnarray as spacing, and so
    a length there is an error."""
    spacing = _SPACED_BRACKET.match(text, pos)
    if spacing is None:
        return pos
    length = _GLUE.fullmatch(spacing.group(1))
    where = f"line {block.line(spacing.start(1) - 1)}: "
    if spacing.start() == spacing.start(1) - 1:
        if length is None:
            raise ParseError(where + f"[{spacing.group(1)}] right after \\\\ is the row's spacing to LaTeX, and it is "
                             "no length derive knows: write the spacing as a length, or put {} before a bracket of "
                             "math")
        return spacing.end()
    if length is not None:
        raise ParseError(where + f"cannot tell whether [{spacing.group(1)}] after \\\\ is spacing: remove the space")
    return pos


def _math_columns(row: str, environment: str) -> tuple[str, str | None]:
    """The row's equation, its alignment tabs and the columns after it as spaces (offsets kept), and
    why it is an error, when those columns hold math. They are where annotations go (``&&
    \\text{by Jensen}``): what else is there would not be read (``x &= x && 1 = 2``, ``a &= b & c &= d``).
    An equation is two columns in ``align`` and the like, three in ``eqnarray`` (``a &=& b``)."""
    tabs = [m.start() for m in _TAB.finditer(row)]
    columns = 3 if environment.rstrip("*") == "eqnarray" else 2
    if len(tabs) < columns:
        return _TAB.sub(" ", row), None
    tail = tabs[columns - 1]
    error = None if _is_annotation(row[tail:]) else ("math in a column after the equation's (after && or &) is "
                                                     "not read: give it its own row")
    return _TAB.sub(" ", row[:tail]) + " " * (len(row) - tail), error


def _is_annotation(text: str) -> bool:
    """Whether ``text`` states nothing: words, references, spacing and punctuation, and math that is
    neither an equation nor the equation going on (``&& \\text{i.e. } \\sigma(z) - y``, not ``&& 1 = 2``
    or ``&&+ 1``)."""
    kept, pos = [], 0
    while m := _ANNOTATION_TEXT.search(text, pos):
        end = _group_end(text, m.end() - 1)
        if end < 0:
            return False
        kept.append(text[pos:m.start()])
        pos = end + 1
    kept.append(text[pos:])
    rest = _ANNOTATION_SPACING.sub(" ", "".join(kept))
    if _ANNOTATION_REST.fullmatch(rest):
        return True
    return "=" not in rest and _GOING_ON.match(rest) is None


_GOING_ON = re.compile(r"[\s&]*(?:[-+*/^_]|\\(?:cdot|times|div|pm|mp)(?![a-zA-Z]))")


def _text_error(row: str) -> str | None:
    """Why the words of a row are the equation going on, on the page: words that state an equation or
    go on with one (\\text{ + 1}, \\text{ = 3}), or math first in them that does (\\text{$+1$}).
    Math after words is a condition (\\text{for $x > 0$})."""
    for words in re.finditer(r"\\text\{([^{}]*)\}", row):
        inline = re.compile(r"\$([^$]*)\$|\\\((.*?)\\\)")
        content = _ANNOTATION_SPACING.sub(" ", words.group(1))
        text = inline.sub(" ", content)
        first = inline.match(content.lstrip())
        math = first and (first.group(1) if first.group(1) is not None else first.group(2))
        if "=" in text or _GOING_ON.match(text) or math is not None and (
                _GOING_ON.match(math) or re.match(r"\s*(?:\{\s*\})?\s*=", math)):
            return "words that go on with the equation (\\text{ + 1}, \\text{$+1$}) are not read: write them as math"
    return None


def _row_error(row: str) -> str | None:
    """Why a row is not one equation chain: words or wide spaces between two equations (a = b \\quad
    \\text{and} \\quad c = d) or inside one (x^2 = x \\quad \\text{for all } x would multiply the x in),
    or an = inside brackets, which does not split the row and so would not be read."""
    for m in re.finditer(f"{_SEPARATOR}+", row):
        if "=" in row[:m.start()] and "=" in row[m.end():]:
            return "two equations on one row, apart by words or a wide space: write one per row"
    pieces = [p for p in re.split(f"{_SEPARATOR}+", row) if re.sub(r"[\s&.,;:()\[\]{}]", "", p)]
    if len(pieces) > 1:
        return "math on both sides of words or a wide space (\\text, \\quad): an annotation goes last in its row"
    if _bracketed_equals(row):
        return "an = inside brackets or braces is not read as a claim: write the equation outside them"
    return None


def _bracketed_equals(row: str) -> bool:
    """Whether an = of a balanced row is inside brackets or braces other than a script's
    (``\\left(1 = 2\\right)``, ``\\{1 = 2\\}``; not ``\\sum_{i=1}``)."""
    if sum((c in "{([") - (c in "})]") for c in row):
        return False  # an unbalanced row is split at each = (_equals_offsets)
    depth, scripts, last = 0, [], ""  # scripts: the depths of the script braces open
    for n, c in enumerate(row):
        if c in "{([":
            depth += 1
            if c == "{" and last in ("_", "^"):
                scripts.append(depth)
        elif c in "})]":
            if scripts and scripts[-1] == depth:
                scripts.pop()
            depth -= 1
        elif c == "=" and depth and not scripts and not (n and row[n - 1] in "<>\\"):
            return True
        if not c.isspace():
            last = c
    return False


def _joined(before: str, after: str) -> bool:
    """Whether two rows' math joins as one expression: an operator at the junction (a + \\\\ b,
    a \\\\ + b). Without one, x \\\\ y is two lines, not the product x y."""
    return bool(re.search(r"(?:[+\-/(\[{]|\\(?:times|cdot|div|left\s*[(\[]))\s*$", before)
                or re.match(r"\s*(?:[+\-/)\]}]|\\(?:times|cdot|div|right))", after))


def claims_of(block: Block) -> list[Claim]:
    claims: list[Claim] = []
    chain_open = False
    pending = ""  # a left side on rows of its own, before the row whose = it belongs to
    pending_error, pending_line = None, 0
    for raw, start in _rows(block):
        row, column_error = _math_columns(raw, block.environment)
        column_error = column_error or _text_error(row)
        row = _SEPARATORS.sub(lambda m: _SEPARATOR * len(m.group(0)), row)
        row = re.sub(_SPACING, lambda m: " " * len(m.group(0)), row)
        if not row.replace(_SEPARATOR, " ").strip():
            if column_error:  # math after && alone on its row: an error at its own line
                line = block.line(start + len(raw) - len(raw.lstrip()))
                claims.append(Claim(raw.strip(), raw.strip(), line, False, column_error))
            continue
        first_line = block.line(start + len(row) - len(row.lstrip()))
        error = column_error or _row_error(row)
        row = row.replace(_SEPARATOR, " ")
        parts = _split_equals(row)
        if len(parts) == 1:
            if chain_open and claims:  # a long right side broken over rows (+ c, \times e^{...})
                last = claims[-1]
                if not _joined(last.rhs, row):
                    error = error or _UNJOINED
                claims[-1] = Claim(last.lhs, f"{last.rhs} {row.strip()}", last.line, last.continues,
                                    last.error or error)
            else:
                if pending and not _joined(pending, row):
                    error = error or _UNJOINED
                pending = f"{pending} {row.strip()}"
                pending_error, pending_line = pending_error or error, pending_line or first_line
            continue
        # The line of each = that splits the row (not one inside \sum_{i=1}).
        offsets = _equals_offsets(row)
        lines = [block.line(start + o) for o in offsets] or [first_line] * (len(parts) - 1)
        if pending and parts[0].strip() and not _joined(pending, parts[0]):
            error = error or _UNJOINED
        error = error or pending_error
        head = f"{pending} {parts[0]}".strip().rstrip(",.;")
        continues = not head
        pending, pending_error, pending_line = "", None, 0
        if continues and not (chain_open and claims):
            raise ParseError("a row starts with = but nothing is before it")
        for n, rhs in enumerate(parts[1:]):
            lhs = (claims[-1].rhs if continues else head) if n == 0 else parts[n].strip()
            claims.append(Claim(lhs, rhs.strip().rstrip(",.;").strip(), lines[min(n, len(lines) - 1)],
                                 continues or n > 0, error))
        chain_open = True
    if pending_error:  # rows never split by an =, one in error ((1 = 2) in brackets): an error, not nothing
        claims.append(Claim(pending.strip(), pending.strip(), pending_line, False, pending_error))
    return claims


def _equals_offsets(row: str) -> list[int]:
    """Where the row splits: each = outside braces (not <=, >=, \\neq); in an unbalanced row each
    = (each side then says what is wrong)."""
    if sum((c in "{([") - (c in "})]") for c in row):
        return [m.start() for m in re.finditer(r"(?<![<>\\])=", row)]
    return _top_offsets(row, "=", not_after="<>\\")  # 3!= 7 is 3! = 7: LaTeX has no !=


_UNJOINED = ("a row without = next to another row, with no operator between them: continue it with +, -, "
             "\\times or \\cdot, or give it its own =")


def _split_equals(row: str) -> list[str]:
    bounds = [-1, *_equals_offsets(row), len(row)]
    return [row[a + 1:b] for a, b in zip(bounds, bounds[1:])]


def _top_offsets(text: str, separator: str, not_after: str = "") -> list[int]:
    """Each ``separator`` outside brackets, except one right after a character of ``not_after``."""
    offsets, depth = [], 0
    for n, c in enumerate(text):
        depth += (c in "{([") - (c in "})]")
        if c == separator and depth == 0 and not (n and text[n - 1] in not_after):
            offsets.append(n)
    return offsets


def split_top(text: str, separator: str, not_after: str = "") -> list[str]:
    """``text`` apart at each ``separator`` outside brackets (not one right after ``not_after``)."""
    bounds = [-1, *_top_offsets(text, separator, not_after), len(text)]
    return [text[a + 1:b] for a, b in zip(bounds, bounds[1:])]
