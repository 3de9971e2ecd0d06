"""Where the math is in a .tex or .md file: every display a reader of the typeset page sees is found,
and nothing the page shows as text or code is read as a display or a directive. Each test plants a
false ``1 = 2`` behind one trick of an adversarial review (and its neighbours): derive must read it,
at its line, or refuse the file with a one-line error naming the line, never skip it."""

import re

import pytest

from derive import Reason, Status, check, load
from derive._latex_source import ParseError, claims_of, displays
from derive.errors import ProofFileError
from derive.latex import read


def found(text, suffix=".tex"):
    """(lhs, rhs, line, error) of each claim of each display of a file's text."""
    return [(c.lhs, c.rhs, c.line, c.error) for block in displays(text, suffix) for c in claims_of(block)]


def equations(text, suffix=".tex"):
    """(lhs, rhs, line) of each claim read without an error."""
    return [(lhs, rhs, line) for lhs, rhs, line, error in found(text, suffix) if error is None]


def errors(text, suffix=".tex"):
    """(line, error) of each claim in error."""
    return [(line, error) for _, _, line, error in found(text, suffix) if error is not None]


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def verdicts(path):
    return {s.step.location.line: s.verdict for s in check(load([path]).defined).step_results()}


# --- 1. $ and $$ pair as TeX pairs them -------------------------------------------------------------


@pytest.mark.parametrize("text, line", [
    ("Let $a$$b$ be reals, then $$ 1 = 2 $$\n", 1),  # two inline formulas side by side, then a display
    ("Let $a$$b$ be reals, then\n$$\n1 = 2\n$$\n", 3),
    ("$a$$b$$$ 1 = 2 $$\n", 1),
    ("Let \\(a\\)$b$ and $$ 1 = 2 $$\n", 1),
    ("Take $x$ and $y$.\n\\[ 1 = 2 \\]\nand $z$.\n", 2),
    ("\\[ a = \\text{ if $x$$y$ } \\]\n$$ 1 = 2 $$\n", 2),  # inline math inside \text inside a display
    ("$$ 3 = 3 \\text{ for $a$$b$ } $$ text\n$$ 1 = 2 $$\n", 2),
    ("\\mbox{$$} text\n$$ 1 = 2 $$\n", 2),  # $$ in a box is an empty formula, not a display
    ("\\fbox{\\parbox{5cm}{\n$$ 1 = 2 $$\n}}\n", 2),  # a paragraph inside a box holds displays again
    ("\\fbox{\\begin{minipage}{5cm}\n\\begin{align} 1 &= 2 \\end{align}\n\\end{minipage}}\n", 2),
    ("This costs \\$5, or \\$$5$.\n$$ 1 = 2 $$\n", 2),  # \$ is a dollar of text
    ("\\begin{displaymath}\n1 = 2\n\\end{displaymath}\n", 2),
])
def test_dollars_pair_as_tex_pairs_them_and_hide_no_display(text, line):
    assert ("1", "2", line) in equations(text)


@pytest.mark.parametrize("text, message", [
    ("$$ 1 = 2\n", "line 1: $$ is never closed"),
    ("Costs 5$ each.\n\\[ 1 = 2 \\]\n", "line 2: \\[ inside the math $ of line 1"),  # or $ never closed
    ("text\n\\begin{align}\n1 &= 2\n", "line 2: \\begin{align} is never closed"),
    ("\\[ 1 = 2 $ 3 \\]\n", "line 1: a $ inside the math \\["),
])
def test_math_that_is_never_closed_is_a_one_line_error(text, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        displays(text, ".tex")


def test_nothing_after_end_document_is_read():
    assert equations("\\[ 1 = 1 \\]\n\\end{document}\nnotes: $ and \\[ 1 = 2\n") == [("1", "1", 1)]


# --- 2, 3. comments and code, in one pass -----------------------------------------------------------


@pytest.mark.parametrize("text", [
    "\\verb|%| \\[ 1 = 2 \\]\n",  # the % in \verb is no comment
    "\\verb*|%| \\[ 1 = 2 \\]\n",
    "\\verb %x% \\[ 1 = 2 \\]\n",
    "\\verb[x[ \\[ 1 = 2 \\] ]\n",  # [ is \verb's delimiter, not its options
    "\\lstinline|%| \\[ 1 = 2 \\]\n",
    "\\url{http://a.org/%20} \\[ 1 = 2 \\]\n",
    "\\href{http://a.org/%20}{the site} \\[ 1 = 2 \\]\n",
    "\\lstinline|echo $$| text\n$$ 1 = 2 $$\n",  # a $$ in code pairs with nothing
    "\\lstinline{echo $$} text\n$$ 1 = 2 $$\n",
    "\\lstinline[language=sh]{echo $$} text\n$$ 1 = 2 $$\n",
    "\\mintinline{bash}{echo $$} text\n$$ 1 = 2 $$\n",
    "\\mintinline{bash}|echo $$| text\n$$ 1 = 2 $$\n",
    "\\url{http://a.org/$$} text\n$$ 1 = 2 $$\n",
    "\\path|a$$b| text\n$$ 1 = 2 $$\n",
    "\\Verb|$$| text\n$$ 1 = 2 $$\n",
    "\\begin{lstlisting}\necho $$ % not a comment\n\\end{lstlisting}\n$$ 1 = 2 $$\n",
    "\\begin{verbatim}\n\\iffalse $$\n\\end{verbatim}\n$$ 1 = 2 $$\n",
])
def test_code_hides_no_display(text):
    [(lhs, rhs, _)] = equations(text)
    assert (lhs, rhs) == ("1", "2")


@pytest.mark.parametrize("text", [
    "% \\verb|x| \\[ 1 = 2 \\]\n",  # a \verb in a comment is comment
    "% $$ 1 = 2 $$\n",
    "\\begin{verbatim}\n\\[ 1 = 2 \\]\n\\end{verbatim}\n",
    "\\verb|\\[ 1 = 2 \\]|\n",
    "\\iffalse\n\\[ 1 = 2 \\]\n\\fi\n",
])
def test_math_shown_as_text_or_not_shown_is_not_read(text):
    assert found(text) == []


@pytest.mark.parametrize("text, message", [
    ("\\verb|%\n\\[ 1 = 2 \\]\n", "line 1: \\verb without its closing delimiter"),
    ("\\lstinline{a{b} \\[ 1 = 2 \\]\n", "line 1: a brace inside \\lstinline{...}"),
    ("\\begin{verbatim}\n\\[ 1 = 2 \\]\n", "line 1: \\begin{verbatim} is never closed"),
])
def test_code_whose_end_derive_cannot_tell_is_a_one_line_error(text, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        displays(text, ".tex")


def test_iffalse_skips_as_tex_skips_to_its_else_or_its_own_fi():
    text = ("\\iffalse\n\\[ 3 = 3 \\]\n\\else\n\\[ 1 = 2 \\]\n\\fi\n"  # the \else branch is typeset
            "\\iffalse \\ifx a b \\fi \\[ 4 = 4 \\] \\fi\n\\[ 5 = 6 \\]\n"  # a nested conditional's \fi
            "\\iffalse % \\fi\n\\[ 7 = 7 \\]\n\\fi\n\\[ 8 = 9 \\]\n")  # a \fi in a comment does not count
    assert equations(text) == [("1", "2", 4), ("5", "6", 7), ("8", "9", 11)]
    with pytest.raises(ParseError, match=re.escape("line 1: \\ifthenelse inside \\iffalse")):
        displays("\\iffalse \\ifthenelse{}{}{} \\fi\n\\[ 1 = 2 \\]\n", ".tex")  # a macro TeX does not count


# --- 4. \begin {equation} ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, line", [
    ("\\begin {equation} 1 = 2 \\end {equation}\n", 1),
    ("\\begin\n{align*}\n1 &= 2\n\\end\t{align*}\n", 3),
    ("\\begin  {gather} x = x \\\\\n1 = 2 \\end{gather}\n", 2),
    ("\\begin {alignat} {2} 1 &= 2 \\end {alignat}\n", 1),
])
def test_spaces_between_begin_and_the_name_are_read(text, line):
    assert ("1", "2", line) in equations(text)


def test_an_environment_opened_by_its_macro_or_one_derive_does_not_read_is_an_error():
    with pytest.raises(ParseError, match=re.escape("line 2: \\equation opens or closes a display")):
        displays("text\n\\equation 1 = 2 \\endequation\n", ".tex")
    with pytest.raises(ParseError, match=re.escape("line 1: derive does not read \\begin{IEEEeqnarray}")):
        displays("\\begin{IEEEeqnarray}{rCl} 1 &=& 2 \\end{IEEEeqnarray}\n", ".tex")


# --- 5. directives from real comments only ----------------------------------------------------------


@pytest.mark.parametrize("hidden", [
    "\\begin{verbatim}\n% derive: assume x > 0\n\\end{verbatim}\n",
    "\\begin{comment}\n% derive: assume x > 0\n\\end{comment}\n",
    "\\begin{lstlisting}\n% derive: assume x > 0\n\\end{lstlisting}\n",
    "\\iffalse\n% derive: assume x > 0\n\\fi\n",
    "\\verb|% derive: assume x > 0|\n",
])
def test_a_directive_shown_as_text_or_skipped_is_not_applied(tmp_path, hidden):
    [block] = displays(hidden + "\\[ \\sqrt{x^2} = x \\]\n", ".tex")
    assert block.directives == []
    [derivation] = read(write(tmp_path, "d.tex", hidden + "\\[ \\sqrt{x^2} = x \\]\n"))
    assert "x > 0" not in derivation.scope
    assert not all(verdict.proved for verdict in verdicts(tmp_path / "d.tex").values())


def test_a_directive_in_a_real_comment_is_applied_at_its_line():
    text = "\\iffalse no \\else\n% derive: assume x > 0\n\\fi\n\\verb|%| % derive: let y = 2\n\\[ \\sqrt{x^2} = x \\]\n"
    [block] = displays(text, ".tex")
    assert block.directives == [(2, "assume x > 0"), (4, "let y = 2")]


# --- 6. columns after the equation's ----------------------------------------------------------------


MATH_AFTER_TABS = "math in a column after the equation's (after && or &) is not read"


@pytest.mark.parametrize("text, line", [
    ("\\begin{align}\nx &= x && 1 = 2\n\\end{align}\n", 2),
    ("\\begin{align}\n1 &= 1 && 1 &= 2\n\\end{align}\n", 2),
    ("\\begin{alignat}{2}\nx &= x &&+ 1\n\\end{alignat}\n", 2),
    ("\\begin{flalign}\n&& 1 &= 2 &\n\\end{flalign}\n", 2),
    ("\\begin{align}\na &= b & c &= d\n\\end{align}\n", 2),  # two alignment pairs: two equations
    ("\\begin{align}\nx &= x \\\\\n&= x && \\text{so} \\quad 1 = 2\n\\end{align}\n", 3),
    ("\\begin{align}\nx &= x && - 1 \\quad \\text{by (3)}\n\\end{align}\n", 2),  # the equation going on
])
def test_math_in_a_column_after_the_equation_is_an_error_at_its_row(text, line):
    assert (line, f"{MATH_AFTER_TABS}: give it its own row") in errors(text)


def test_annotations_after_double_ampersand_are_not_read_and_not_an_error():
    text = ("\\begin{align}\na &= a && \\text{by Jensen} \\\\\n&= a && (\\text{by } \\eqref{eq:1}) \\\\\n"
            "&= a && \\textrm{see \\cite[p.~2]{k}}, \\quad \\mbox{and} \\ref{x}. \\nonumber \\\\\n"
            "&= a && (\\text{by } 3) \\\\\n&= a && \\text{i.e. } \\sigma(z) - y.\n\\end{align}\n")  # math stating nothing
    assert found(text) == [("a", "a", n, None) for n in range(2, 7)]


def test_eqnarray_reads_its_three_columns_and_a_row_going_on_after_double_ampersand():
    text = "\\begin{eqnarray}\n1 &=& 1 \\\\\n&& + 1\n\\end{eqnarray}\n"
    assert found(text) == [("1", "1 + 1", 2, None)]


def test_one_tab_in_align_reads_the_pair_glued_as_it_is_typeset():
    # col 1 is set flush right against col 2: the page shows 0 = 0x = 0, and that is what is read
    assert equations("\\begin{align}\n0 = 0 & x = 0\n\\end{align}\n") == [("0", "0   x", 2), ("0   x", "0", 2)]


def test_math_after_double_ampersand_is_a_parse_error_step_and_the_rest_is_checked(tmp_path):
    path = write(tmp_path, "cols.tex", "\\begin{align}\nx &= x && 1 = 2\n\\end{align}\n\\[ 2 = 3 \\]\n")
    results = verdicts(path)
    assert results[2].reason is Reason.PARSE_ERROR and MATH_AFTER_TABS in results[2].detail
    assert results[4].status is Status.REFUTED


# --- 7. an = inside brackets ------------------------------------------------------------------------


BRACKETED = "an = inside brackets or braces is not read as a claim"


@pytest.mark.parametrize("text", [
    "\\[ \\left(1 = 2\\right) \\]",
    "\\[ (1 = 2) \\]",
    "\\[ [1 = 2] \\]",
    "\\[ \\{1 = 2\\} \\]",
    "\\[ {1 = 2} \\]",
    "\\[ \\frac{1 = 2}{3} \\]",
    "\\[ \\left[ x + \\left(1 = 2\\right) \\right] \\]",
    "\\[ f(x = 1) = 2 \\]",
    "\\begin{align}\nx &= x \\\\\n(1 = 2)\n\\end{align}",  # going on with the chain's last side
])
def test_an_equals_sign_inside_brackets_is_an_error_not_nothing(text):
    assert any(BRACKETED in error for _, error in errors(text))


@pytest.mark.parametrize("text, claim", [
    ("\\[ \\sum_{i=1}^{2} i = 3 \\]", ("\\sum_{i=1}^{2} i", "3", 1)),
    ("\\[ x^{(n=1)} = x \\]", ("x^{(n=1)}", "x", 1)),
    ("\\[ \\int_{x=0}^{1} 1 = 1 \\]", ("\\int_{x=0}^{1} 1", "1", 1)),
    ("\\[ \\prod_{\\substack{i = 1}}^{2} i = 2 \\]", ("\\prod_{\\substack{i = 1}}^{2} i", "2", 1)),
])
def test_an_equals_sign_in_a_script_is_no_claim_and_no_error(text, claim):
    assert found(text) == [(*claim, None)]


def test_an_equals_sign_inside_brackets_is_a_parse_error_step(tmp_path):
    results = verdicts(write(tmp_path, "b.tex", "\\[ \\left(1 = 2\\right) \\]\n"))
    assert results[1].reason is Reason.PARSE_ERROR and BRACKETED in results[1].detail


# --- 8, 9. definitions derive cannot follow ---------------------------------------------------------


@pytest.mark.parametrize("definition", [
    "\\renewcommand{\\cdot}{+}", "\\newcommand*{\\cdot}{+}", "\\providecommand\\cdot{+}",
    "\\DeclareMathOperator{\\cdot}{+}", "\\def\\cdot{+}", "\\def \\cdot#1{+}", "\\let\\cdot=+", "\\let \\cdot +",
    "\\gdef\\cdot{+}", "\\edef\\cdot{+}", "\\xdef\\cdot{+}", "\\long\\def\\cdot{+}",
    "\\NewDocumentCommand{\\cdot}{}{+}", "\\RenewDocumentCommand\\cdot{}{+}", "\\ProvideDocumentCommand{\\cdot}{}{+}",
    "\\DeclareDocumentCommand{\\cdot}{}{+}", "\\DeclareRobustCommand{\\cdot}{+}", "\\NewCommandCopy{\\cdot}{+}",
    "\\futurelet\\cdot\\a\\b", "\\global\\let\\cdot=+", "\\mathchardef\\cdot=\"2B",
    "\\expandafter\\def\\csname cdot\\endcsname{+}", "\\csname cdot\\endcsname", "\\csname c\\x\\endcsname",
    "\\expandafter\\let\\csname frac\\endcsname\\relax", "\\csdef{cdot}{+}", "\\makeatletter\\@namedef{cdot}{+}",
    "\\catcode`\\+=13", "\\mathcode`\\+=\"8000", "\\def~{+}", "\\DeclareMathSymbol{+}{\\mathbin}{letters}{1}",
    "\\def\\\\{+}", "\\let\\iffalse\\iftrue", "\\renewcommand{\\verb}{}", "\\renewcommand{\\text}[1]{1}",
    "\\newcommand{\\be}{\\begin{equation}}", "\\newcommand{\\ee}{\\end{equation}}", "\\def\\dd{$$}",
    "\\newcommand{\\bm}{\\[}", "\\newcommand{\\im}{$}", "\\let\\be\\[", "\\let\\myfi\\fi", "\\let\\mydef\\def",
    "\\newenvironment{eq}{\\begin{equation}}{\\end{equation}}", "\\renewenvironment{align}{}{}",
    "\\includecomment{comment}", "\\newcommand{\\setmacro}[2]{\\def#1{#2}}",
])
def test_a_definition_derive_cannot_follow_is_a_one_line_error_at_its_line(tmp_path, definition):
    path = write(tmp_path, "def.tex", f"Text.\n{definition}\n\\[ 2 \\cdot 3 = 6 \\]\n")
    with pytest.raises(ProofFileError, match=re.escape("def.tex:2")):
        read(path)


@pytest.mark.parametrize("definition", [
    "\\newcommand{\\R}{\\mathbb{R}}", "\\newcommand{\\norm}[1]{\\left\\lVert#1\\right\\rVert}",
    "\\DeclareMathOperator*{\\argmax}{arg\\,max}", "\\newcommand{\\foo}{%\n  \\mathrm{foo}% }\n}",
    "\\makeatletter\\def\\@maketitle{x}\\makeatother", "\\expandafter\\ifx\\csname pdfoutput\\endcsname\\relax\\fi",
    "\\newcommand{\\lb}{\\{}", "\\let\\foo\\relax", "\\newif\\ifdraft",
    "% \\renewcommand{\\cdot}{+}", "\\verb|\\def\\cdot{+}|", "\\definecolor{a}{rgb}{1,0,0}",
])
def test_definitions_that_change_nothing_derive_reads_are_accepted(definition):
    assert equations(f"{definition}\n\\[ 2 \\cdot 3 = 6 \\]\n") == [("2 \\cdot 3", "6", 1 + definition.count("\n") + 1)]


@pytest.mark.parametrize("math", [
    "$$\\renewcommand{\\cdot}{+}$$", "$\\def\\cdot{+}$", "$$\\let\\cdot=+$$", "$$\\newcommand{\\cdot}{+}$$",
    "```math\n\\gdef\\cdot{+}\n```",
])
def test_markdown_math_may_not_redefine_a_macro_either(tmp_path, math):
    path = write(tmp_path, "def.md", f"# Notes\n\n{math}\n\n$$2\\cdot3=6$$\n")
    line = 4 if math.startswith("```") else 3
    with pytest.raises(ProofFileError, match=re.escape(f"def.md:{line}: \\cdot is redefined here")):
        read(path)


def test_markdown_code_may_show_a_redefinition():
    assert equations("`\\renewcommand{\\cdot}{+}`\n\n$$2\\cdot3=6$$\n", ".md") == [("2\\cdot3", "6", 3)]


# --- 10. math fences --------------------------------------------------------------------------------


@pytest.mark.parametrize("text, line", [
    ("``` math\n1 = 2\n```\n", 2),  # a space before the info string
    ("````math\n1 = 2\n````\n", 2),
    ("````math\n1 = 2 \\\\\n```\n3 = 3\n````\n", 2),  # closed by a fence at least as long only
    ("~~~ math\n1 = 2\n~~~\n", 2),
    ("~~~~math\n1 = 2\n~~~~~\n", 2),
    ("   ```math\n1 = 2\n   ```\n", 2),  # indented up to 3 spaces
    ("Text right before\n```math\n1 = 2\n```\n", 3),
    ("> ```math\n> 1 = 2\n> ```\n", 2),  # in a block quote
    ("- item\n\n  ```math\n  1 = 2\n  ```\n", 4),  # in a list item
    ("``` math extra words\n1 = 2\n```\n", 2),
    ("```math\n1 = 2\n", 2),  # a fence never closed runs to the end of the file
])
def test_every_math_fence_commonmark_renders_is_read(text, line):
    assert ("1", "2", line) in equations(text, ".md")


@pytest.mark.parametrize("text", [
    "    ```math\n    1 = 2\n    ```\n",  # 4 spaces: indented code, not a fence
    "```mathematica\n1 = 2\n```\n",
    "``` math`\n1 = 2\n```\n",  # a backtick in a backtick fence's info: no fence, a code span
])
def test_what_is_not_a_math_fence_is_not_read_as_one(text):
    assert equations(text, ".md") == []


# --- 11. Markdown code of every shape ---------------------------------------------------------------


@pytest.mark.parametrize("text, line", [
    ("<code>$$</code> text\n\n$$ 1 = 2 $$\n", 3),
    ("<pre>\n$$\n</pre>\n\n$$ 1 = 2 $$\n", 5),
    ("<PRE class=\"x\">\n$$\n\n</PRE>\n\n$$ 1 = 2 $$\n", 6),
    ("Press <kbd>$$</kbd>.\n\n$$ 1 = 2 $$\n", 3),
    ("See <samp>$$</samp>.\n\n$$ 1 = 2 $$\n", 3),
    ("Run `echo\n$$` now.\n\n$$ 1 = 2 $$\n", 4),  # a code span over a line break
    ("Run ``echo ` $$\nagain`` now.\n\n$$ 1 = 2 $$\n", 4),
    ("- item\n\n      echo $$\n\n$$ 1 = 2 $$\n", 5),  # indented code in a list item
    ("1. item\n   - nested\n\n         echo $$\n\n$$ 1 = 2 $$\n", 6),
    ("> quoted\n>\n>     echo $$\n\n$$ 1 = 2 $$\n", 5),
    ("\tcode $$\n\n$$ 1 = 2 $$\n", 3),
    ("- item\n\n  ```\n  $$\n  ```\n\n$$ 1 = 2 $$\n", 7),
    ("> ```\n> $$\n\nafter\n\n$$ 1 = 2 $$\n", 6),  # a fence ends with its block quote
    ("<https://a.org/$$> text\n\n$$ 1 = 2 $$\n", 3),
    ("<!--\n```\n-->\n$$ 1 = 2 $$\n", 4),  # a fence in a comment opens nothing
])
def test_markdown_code_of_every_shape_hides_no_display(text, line):
    assert equations(text, ".md") == [("1", "2", line)]


@pytest.mark.parametrize("text, line", [
    ("- item\n\n    not code: $$ 1 = 2 $$\n", 3),  # 4 spaces in a list item is its paragraph
    ("para\n    $$ 1 = 2 $$\n", 2),  # indented code cannot interrupt a paragraph
    ("Run `echo\n\n$$ 1 = 2 $$ now`\n", 3),  # a code span ends with its paragraph
    ("text <!-- unclosed\n\n$$ 1 = 2 $$\n", 3),  # an inline comment too
])
def test_what_commonmark_shows_as_text_is_read_as_text(text, line):
    assert ("1", "2", line) in equations(text, ".md")


@pytest.mark.parametrize("text, message", [
    ("<code>echo $$\n\n$$ 1 = 2 $$\n", "line 1: <code> is never closed"),
    ("<!-- never closed\n\n$$ 1 = 2 $$\n", "line 1: an HTML comment that is never closed"),
    ("$$\n1 = 2\n\n$$\n", "line 1: a blank line inside $$ ... $$"),
    ("$$ 1 = 2\n", "line 1: $$ opens a display that no $$ closes"),
    ("$$ 1 = 2 <!-- derive: assume x > 0 --> $$\n", "line 1: a derive: directive inside a math environment"),
])
def test_markdown_derive_cannot_read_is_a_one_line_error(text, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        displays(text, ".md")


def test_markdown_code_is_blanked_and_line_numbers_stay_exact(tmp_path):
    path = write(tmp_path, "notes.md", "# Notes\n\n```python\nx = '$$'\n```\n\nRun `a\n$$`.\n\n"
                                       "- item\n\n      $$ code\n\n$$\n1 + 1 = 3\n$$\n")
    assert verdicts(path)[15].status is Status.REFUTED


# --- MathJax's displays outside $$: \[ \] and environments -------------------------------------------


@pytest.mark.parametrize("text, line", [
    ("Text \\[ 1 = 2 \\] more.\n", 1),  # MkDocs arithmatex and pandoc read \[ \] as a display
    ("\\[\n1 = 2\n\\]\n", 2),
    ("Jupyter \\\\[ 1 = 2 \\\\] style.\n", 1),  # \\[ is what CommonMark renders as \[
    ("\\begin{align}\n3 &= 3 \\\\\n1 &= 2\n\\end{align}\n", 3),  # MathJax reads bare environments
    ("\\begin{equation*} 1 = 2 \\end {equation*}\n", 1),
    ("\\\\begin{gather}\n1 = 2\n\\\\end{gather}\n", 2),
    ("\\begin{alignat}{2}\n1 &= 2 && \\text{by} \\\\\n\\end{alignat}\n", 2),  # {2} is no math
    ("> \\[ 1 = 2 \\]\n", 1),
    ("- \\begin{align} 1 &= 2 \\end{align}\n", 1),
    ("\\[ \\begin{aligned} 1 &= 2 \\\\[2pt] 3 &= 3 \\end{aligned} \\]\n", 1),  # \\[2pt] closes nothing
])
def test_mathjax_displays_outside_dollars_are_read_in_markdown(text, line):
    assert ("1", "2", line) in equations(text, ".md")


@pytest.mark.parametrize("text", [
    "An escaped \\[ bracket, a = b.\n\nAnother \\] later.\n",  # no pair in one paragraph: text to every renderer
    "`\\[ 1 = 2 \\]` and\n\n    \\[ 1 = 2 \\]\n",  # code
    "```\n\\begin{align} 1 &= 2 \\end{align}\n```\n",
    "\\begin{align} 1 &= 2 \\end{align*}\n",  # another environment's end closes nothing
    "\\begin{tabular} 1 = 2 \\end{tabular}\n",  # not math
    "Citations \\[1\\] and \\[2\\].\n",
])
def test_what_is_no_mathjax_display_is_not_read_as_one(text):
    assert equations(text, ".md") == []


def test_a_directive_inside_a_mathjax_display_is_an_error():
    with pytest.raises(ParseError, match=re.escape("line 2: a derive: directive inside a math environment")):
        displays("\\[ 1 = 1\nso <!-- derive: assume x > 0 --> \\]\n", ".md")


def test_a_false_step_in_a_bare_environment_is_refuted_at_its_line(tmp_path):
    path = write(tmp_path, "notes.md", "# Notes\n\n\\begin{align}\nx + x &= 2x \\\\\n  &= 3x\n\\end{align}\n")
    assert verdicts(path)[4].status is Status.PROVED
    assert verdicts(path)[5].status is Status.REFUTED


# --- 12, 13. escapes --------------------------------------------------------------------------------


@pytest.mark.parametrize("text, line", [
    ("It costs 5\\$$ per unit.\n\n$$ 1 = 2 $$\n", 3),  # \$ is a dollar: the $ after it is text alone
    ("5\\$ and 6\\$$ each\n\n$$ 1 = 2 $$\n", 3),
    ("a \\\\$$ 1 = 2 $$\n", 1),  # an escaped backslash escapes nothing after it
    ("\\`$$ 1 = 2 $$\\`\n", 1),  # escaped backticks open no code span
])
def test_an_escaped_dollar_or_backtick_is_text(text, line):
    assert ("1", "2", line) in equations(text, ".md")


@pytest.mark.parametrize("text, message", [
    ("It costs 5\\$$ per unit.\n$$ 1 = 2 $$\n", "line 2: this $$ could close the $ of line 1"),  # one paragraph
    ("Let $a$$b$ then $$ 1 = 2 $$\n", "line 1: this $$ could close the $ of line 1"),
])
def test_a_dollar_that_could_pair_two_ways_in_markdown_is_an_error(text, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        displays(text, ".md")


def test_an_escaped_html_comment_is_text_not_a_directive(tmp_path):
    text = "\\<!-- derive: assume x > 0 -->\n\n$$\n\\sqrt{x^2} = x\n$$\n"
    [block] = displays(text, ".md")
    assert block.directives == []
    [derivation] = read(write(tmp_path, "esc.md", text))
    assert "x > 0" not in derivation.scope
    # its text is read as text: a $$ in it is math, not hidden as a comment's would be
    assert equations("\\<!-- $$ 1 = 2 $$ -->\n", ".md") == [("1", "2", 1)]


def test_a_real_html_comment_directive_applies_and_a_comment_hides_its_text():
    text = "<!-- derive: assume x > 0 -->\n<!-- $$ 3 = 4 $$ -->\n\n$$\n\\sqrt{x^2} = x\n$$\n"
    [block] = displays(text, ".md")
    assert block.directives == [(1, "assume x > 0")]
    assert equations(text, ".md") == [("\\sqrt{x^2}", "x", 5)]


# --- 14. what amsmath takes as arguments or spacing is not math -------------------------------------


@pytest.mark.parametrize("text, suffix, line", [
    ("\\begin{equation}\\begin{aligned}[t] 1 &= 2 \\end{aligned}\\end{equation}\n", ".tex", 1),
    ("\\begin{equation}\\begin{aligned} [b]\n1 &= 2 \\end{aligned}\\end{equation}\n", ".tex", 2),
    ("\\begin{equation}\\begin{gathered}[c] 1 = 2 \\end{gathered}\\end{equation}\n", ".tex", 1),
    ("\\begin{equation}\\begin{alignedat}[t]{2} 1 &= 2 \\end{alignedat}\\end{equation}\n", ".tex", 1),
    ("\\begin{equation}\\begin{alignedat}{2} 1 &= 2 \\end{alignedat}\\end{equation}\n", ".tex", 1),
    ("```math\n\\begin{aligned}[t] 1 &= 2 \\end{aligned}\n```\n", ".md", 2),
])
def test_the_position_and_columns_of_an_inner_alignment_are_not_math(text, suffix, line):
    assert found(text, suffix) == [("1", "2", line, None)]


@pytest.mark.parametrize("spacing", [
    "[2pt]", "[+0pt]", "[0PT]", "[1ex plus 2pt]", "[\\jot]", "[2\\jot]", "[0 true pt]", "[-.5em]",
    "[1.5\\baselineskip]", "[1pt plus 1fil minus 2pt]", "[3px]", "[ 4 mu ]",
])
def test_spacing_after_a_row_break_is_not_math(spacing):
    text = f"\\begin{{align}}\n1 &= 1 \\\\{spacing}\n&= 2\n\\end{{align}}\n"
    assert found(text) == [("1", "1", 2, None), ("1", "2", 3, None)]
    assert found(text.replace("\\\\[", "\\\\*[")) == [("1", "1", 2, None), ("1", "2", 3, None)]


@pytest.mark.parametrize("text, message", [
    ("\\begin{align}\n1 &= 1 \\\\[a] &= 2\n\\end{align}\n", "line 2: [a] right after \\\\ is the row's spacing"),
    ("\\begin{eqnarray}\n1 &=& 1 \\\\ [0pt]\n&=& 2\n\\end{eqnarray}\n",
     "line 2: cannot tell whether [0pt] after \\\\ is spacing: remove the space"),
    ("\\begin{align}\n1 &= 1 \\\\\n[2pt] &= 2\n\\end{align}\n", "line 3: cannot tell whether [2pt] after \\\\"),
])
def test_a_bracket_after_a_row_break_derive_cannot_place_is_a_one_line_error(text, message):
    [block] = displays(text, ".tex")
    with pytest.raises(ParseError, match=re.escape(message)):
        claims_of(block)


def test_a_bracket_of_math_after_a_row_break_and_a_space_is_math():
    text = "\\begin{align}\nx &= x \\\\\n[1] &= 2\n\\end{align}\n"
    assert ("[1]", "2", 3, None) in found(text)


# --- 15. what TeX may skip: conditionals, excluded environments, macros ------------------------------


@pytest.mark.parametrize("hidden, message", [
    ("\\iftrue\n\\else\n% derive: assume x > 0\n\\fi\n", "line 3: a derive: directive inside \\iftrue of line 1"),
    ("\\newif\\ifdraft\n\\ifdraft % derive: assume x > 0\n\\fi\n", "line 2: a derive: directive inside \\ifdraft"),
    ("\\ifx a b\n% derive: assume x > 0\n\\fi\n", "line 2: a derive: directive inside \\ifx of line 1"),
    ("\\unless\\ifdraft\n% derive: assume x > 0\n\\fi\n", "line 2: a derive: directive inside \\ifdraft"),
    ("\\excludecomment{hide}\n\\begin{hide}\n% derive: assume x > 0\n\\end{hide}\n",
     "line 3: a derive: directive inside \\begin{hide} of line 2"),
    ("\\begin{mystery}\n% derive: assume x > 0\n\\end{mystery}\n", "line 2: a derive: directive inside \\begin{mystery}"),
    ("\\newtheorem{lemma}{Lemma}\n\\excludecomment{lemma}\n\\begin{lemma}\n% derive: assume x > 0\n\\end{lemma}\n",
     "line 4: a derive: directive inside \\begin{lemma}"),
    ("\\newcommand{\\notes}{%\n% derive: assume x > 0\n}\n", "line 2: a derive: directive inside braces"),
    ("\\ifthenelse{\\boolean{a}}{%\n% derive: assume x > 0\n}{}\n", "line 2: a derive: directive inside braces"),
    ("\\csname ifdraft\\endcsname\n% derive: assume x > 0\n\\fi\n", "line 3: \\fi closes a conditional derive did not"),
])
def test_a_directive_tex_may_skip_is_a_one_line_error(hidden, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        displays(hidden + "\\[ \\sqrt{x^2} = x \\]\n", ".tex")


def test_a_directive_in_an_environment_latex_typesets_applies():
    text = ("\\newtheorem{lemma}{Lemma}\n\\begin{lemma}\n% derive: assume x > 0\n\\[ \\sqrt{x^2} = x \\]\n"
            "\\end{lemma}\n\\begin{itemize}\\item % derive: let y = 2\n\\[ y = 2 \\]\n\\end{itemize}\n")
    assert [block.directives for block in displays(text, ".tex")] == [[(3, "assume x > 0")], [(6, "let y = 2")]]


@pytest.mark.parametrize("text, message", [
    ("\\unless\\iffalse\n\\[ 1 = 2 \\]\n\\fi\n", "line 1: derive cannot tell whether TeX runs this \\iffalse (right "
                                                 "after \\unless)"),
    ("\\texttt{\\string\\iffalse} \\[ 1 = 2 \\] \\texttt{\\string\\fi}\n", "line 1: derive cannot tell whether TeX runs "
                                                                        "this \\iffalse (inside braces)"),
    ("\\string\\iffalse \\[ 1 = 2 \\] \\string\\fi\n", "right after \\string"),
    ("\\expandafter\\iffalse\\relax \\[ 1 = 2 \\] \\fi\n", "right after \\expandafter"),
    ("\\hide\n%\n\\iffalse \\[ 1 = 2 \\] \\fi\n", "line 3: derive cannot tell whether TeX runs this \\iffalse"),
    ("% \\newif\\ifhide\n\\iffalse\\ifhide\\fi\n\\[ 1 = 2 \\]\n\\verb|\\fi|\n", "line 2: \\ifhide inside \\iffalse"),
    ("\\newcommand{\\x}{\\newif\\ifhide}\n", "line 1: derive cannot follow a definition"),
    ("\\makeatletter\n\\iffalse \\if@foo \\fi\n\\[ 1 = 2 \\]\n\\verb|\\fi|\n", "line 2: \\if@foo inside \\iffalse"),
    ("\\iffalse ^^5cfi \\[ 1 = 2 \\] \\fi\n", "line 1: ^^ inside \\iffalse"),
])
def test_an_iffalse_derive_is_not_sure_tex_runs_is_an_error(text, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        displays(text, ".tex")


def test_an_iffalse_tex_surely_runs_is_skipped():
    text = ("\\fi\\iffalse \\[ 3 = 3 \\] \\fi\n\\relax\n\\iffalse \\[ 4 = 4 \\] \\fi\n\\hide\n\n\\iffalse \\[ 5 = 5 \\]\\fi\n"
            "\\makeatletter \\iffalse \\fi@x \\[ 6 = 6 \\] \\fi \\makeatother\n\\[ 1 = 2 \\]\n")
    assert equations(text) == [("1", "2", 8)]
    # with @ no letter, \fi@x is \fi: the skip ends there
    assert equations("\\iffalse \\fi@x \\[ 1 = 2 \\] \\fi\n") == [("1", "2", 1)]


@pytest.mark.parametrize("stop", [
    "\\newcommand{\\stop}{\\end{document}}",  # refused as a definition: see below
    "Type \\texttt{\\string\\end{document}} to finish.",
    "\\newif\\ifdraft\n\\ifdraft\\end{document}\\fi",
    "\\string\\end{document}",
    "\\begin{hide}\\end{document}\\end{hide}",
])
def test_only_a_plain_end_document_ends_the_scan(stop):
    text = f"\\[ 3 = 3 \\]\n{stop}\n\\[ 1 = 2 \\]\n"
    try:
        assert ("1", "2", 3 + stop.count("\n")) in equations(text)
    except ParseError as exc:
        assert "definition" in str(exc)


@pytest.mark.parametrize("definition", [
    "\\newcommand{\\be}{\\begin}", "\\newcommand\\be\\begin", "\\def\\be{\\begin}", "\\newcommand{\\foo}{\\verb|}",
    "\\newcommand{\\stop}{\\end{document}}", "\\newcommand{\\hide}{\\iffalse}", "\\def\\x.#1.{\\fi}",
    "\\def\\x\\iffalse{}", "\\newcommand{\\x}{$x$}",
    "\\newcommand{\\comment}{}", "\\renewcommand{\\endverbatim}{}", "\\let\\stop\\enddocument",
    "\\renewcommand{\\begin}{}", "\\let\\x\\verb", "\\newcommand{\\x}{^^5c[}", "\\newcommand{\\x}{\\ifdraft}",
])
def test_a_definition_acting_on_what_the_scan_reads_is_a_one_line_error(definition):
    with pytest.raises(ParseError, match=re.escape("line 1: ")):
        displays(f"{definition}\n\\[ 1 = 2 \\]\n", ".tex")


def test_a_definition_using_environments_latex_only_typesets_is_accepted():
    assert equations("\\newcommand{\\bc}{\\begin{center}}\n\\[ 1 = 2 \\]\n") == [("1", "2", 2)]


@pytest.mark.parametrize("text", [
    "\\begin{equation\\empty} 1 = 2 \\end{equation\\empty}\n", "\\begin{\\eq} 1 = 2 \\end{\\eq}\n",
    "\\begin{equation~} 1 = 2 \\end{equation~}\n",
])
def test_an_environment_name_a_macro_makes_is_an_error(text):
    with pytest.raises(ParseError, match=re.escape("line 1: the environment name")):
        displays(text, ".tex")


@pytest.mark.parametrize("text", ["^^5c[ 1 = 2 ^^5c]\n", "^^24^^24 1 = 2 ^^24^^24\n", "a ^^25 b\n"])
def test_character_codes_are_an_error(text):
    with pytest.raises(ParseError, match=re.escape("line 1: ^^ is a character code to TeX")):
        displays(text, ".tex")


def test_character_codes_in_comments_and_code_are_text():
    assert equations("% ^^5c\n\\verb|^^24| \\[ 1 = 2 \\]\n") == [("1", "2", 2)]


@pytest.mark.parametrize("text, message", [
    ("$$\\rlap{$$} 1 = 2 $$\\rlap{$$}\n", "line 1: a $ inside braces inside the math $$ of line 1"),
    ("$$\\hbox to 0pt{$$} 1 = 2 $$\\hbox to 0pt{$$}\n", "line 1: a $ inside braces inside the math $$"),
    ("\\mbox{\\cell{$$ 1 = 2 $$}}\n", "line 1: $$ inside braces inside \\mbox{"),
    ("$ \\[ 1 = 2 \\] $\n", "line 1: \\[ inside the math $ of line 1"),
    ("\\[ \\begin{equation} 1 = 2 \\end{equation} \\]\n", "line 1: \\begin{equation} inside the math \\["),
])
def test_math_in_a_mode_derive_cannot_tell_is_an_error(text, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        displays(text, ".tex")


@pytest.mark.parametrize("text", [
    "\\fbox{\\begin{tabular}{p{5cm}} \\[ 1 = 2 \\] \\end{tabular}}\n",
    "\\fbox{\\begin{tabular}{p{5cm}} $$ 1 = 2 $$ \\end{tabular}}\n",
    "\\mbox{\\[ 1 = 2 \\]}\n",
    "\\mbox{\\begin{equation} 1 = 2 \\end{equation}}\n",
])
def test_a_display_opener_in_a_box_is_read(text):
    assert equations(text) == [("1", "2", 1)]


# --- 15b. a $$ TeX does not read as a display (the ninth review) ------------------------------------


FALSE_BETWEEN = "\\[ 3 = 3 \\]\n{0}\n$$ 1 + 1 = 3 $$\n{0}\n"


@pytest.mark.parametrize("opener, message", [
    ("\\begin{tabular}{c}$$\\end{tabular}", "line 2: \\end{tabular} inside the math $$ of line 2"),  # a cell: $$ is empty
    ("\\begin{alltt}$$\\end{alltt}", "line 2: \\end{alltt} inside the math $$"),  # $ is a character there
    ("\\hbox\\bgroup$$\\egroup", "line 2: \\egroup inside the math $$"),
    ("\\ifodd0 $$\\fi", "line 2: \\fi inside the math $$"),  # a branch TeX skips
    ("\\iftrue\\else $$\\fi", "line 2: \\fi inside the math $$"),
    ("\\detokenize{$$}", "line 2: } inside the math $$"),
])
def test_a_dollar_pair_that_closes_what_opened_before_it_is_an_error(opener, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        displays(FALSE_BETWEEN.format(opener), ".tex")


@pytest.mark.parametrize("text, message", [
    ("\\MakeShortVerb{\\|}\n|$$|\n$$ 1 + 1 = 3 $$\n|$$|\n", "line 1: \\MakeShortVerb changes what characters mean"),
    ("\\NewEnviron{eq}{\\begin{equation}\\BODY\\end{equation}}\n\\begin{eq} 1 + 1 = 3 \\end{eq}\n",
     "line 1: derive cannot follow a definition that opens or closes math"),
    ("\\begin{tcolorbox}[ams equation] 1 + 1 = 3 \\end{tcolorbox}\n", "line 1: derive does not read \\begin{tcolorbox}"),
    ("\\begin{numcases}{1 + 1 = 3}\n1 & always\n\\end{numcases}\n", "line 1: derive does not read \\begin{numcases}"),
    ("\\begin{DispWithArrows}\n1 + 1 & = 3\n\\end{DispWithArrows}\n", "line 1: derive does not read"),
    ("\\[ 2 \\verb|+1| = 2 \\]\n", "line 1: \\verb inside the math \\["),  # the page shows 2 +1 = 2
    ("\\[ 2 \\url{+1} = 2 \\]\n", "line 1: \\url inside the math \\["),
    ("\\[ x \\href{http://e.com}{+1} = x \\]\n", "line 1: \\href inside the math \\["),
    ("\\ifodd0\n\\DefineVerbatimEnvironment{code}{Verbatim}{}\n\\fi\n", "line 2: derive cannot tell whether TeX runs"),
])
def test_what_makes_or_hides_a_display_derive_cannot_follow_is_an_error(text, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        displays(text, ".tex")


def test_a_verbatim_environment_the_file_defines_hides_its_dollars():
    text = "\\DefineVerbatimEnvironment{code}{Verbatim}{}\n\\begin{code}\n$$\n\\end{code}\n$$ 1 + 1 = 3 $$\n"
    assert equations(text) == [("1 + 1", "3", 5)]


@pytest.mark.parametrize("row", [
    "2 &= 2 \\quad\\text{$+1$}",  # the page shows 2 = 2 +1
    "2 &= 2 \\text{$\\,+\\,1$} \\\\ &= 2",
    "2 &= 2\\text{ + 1}",
    "2 &= 2 \\text{ = 3}",
])
def test_words_that_go_on_with_the_equation_are_an_error(row):
    assert errors(f"\\begin{{align}} {row} \\end{{align}}\n")


@pytest.mark.parametrize("row", [
    "f &= x^2 \\quad \\text{for $x > 0$}",  # math after words is a condition
    "g &= 2 \\quad \\text{if $a = 1$}",
    "2 &= 2 && \\text{$+1$ on both sides}",  # the annotation column is apart
])
def test_words_after_the_equation_with_math_in_them_are_an_annotation(row):
    assert errors(f"\\begin{{align}} {row} \\end{{align}}\n") == []


# --- 16. Markdown blocks and raw HTML as CommonMark reads them -------------------------------------


@pytest.mark.parametrize("heading", ["Notes\n=====\n", "Notes\n---\n", "Notes\n--\n", "# Notes\n", "***\n", "\n"])
def test_an_indented_line_after_a_heading_or_break_is_code_and_its_directive_does_not_apply(tmp_path, heading):
    text = f"{heading}    <!-- derive: assume x > 0 -->\n\n$$\n\\sqrt{{x^2}} = x\n$$\n"
    [block] = displays(text, ".md")
    assert block.directives == []
    [derivation] = read(write(tmp_path, "h.md", text))
    assert "x > 0" not in derivation.scope


def test_an_indented_line_going_on_with_a_paragraph_is_text():
    [block] = displays("Notes\n    <!-- derive: assume x > 0 -->\n\n$$\n\\sqrt{x^2} = x\n$$\n", ".md")
    assert block.directives == [(2, "assume x > 0")]


@pytest.mark.parametrize("text, line", [
    ("-\n     $$ 1 = 2 $$\n", 2),  # an item opening with a blank line: its content is 2 columns in
    ("1.\n      $$ 1 = 2 $$\n", 2),
    ("-\n  $$ 1 = 2 $$\n", 2),
])
def test_a_list_item_opening_with_a_blank_line_holds_its_next_line_as_text(text, line):
    assert equations(text, ".md") == [("1", "2", line)]


@pytest.mark.parametrize("text, line", [
    ("<!-->\n$$ 1 = 2 $$\n<!-- end -->\n", 2),  # <!--> and <!---> are whole comments
    ("<!--->\n$$ 1 = 2 $$\n<!-- end -->\n", 2),
    ("a <!--> $$ 1 = 2 $$ --> b\n", 1),
    ("a <!---> $$ 1 = 2 $$ --> b\n", 1),
    ("<span title=\"`\">a</span> $$ 1 = 2 $$ <span title=\"`\">b</span>\n", 1),  # a tag goes before a code span
    ("<a href='`'>x</a> $$ 1 = 2 $$ `\n", 1),
    ("<code title=x\"y> $$ 1 = 2 $$ </code>\n", 1),  # no valid tag: text
    ("<code title=\"a\"b> $$ 1 = 2 $$ </code>\n", 1),
])
def test_raw_html_is_read_as_commonmark_reads_it(text, line):
    assert equations(text, ".md") == [("1", "2", line)]


@pytest.mark.parametrize("text", [
    "<code title=\"x\"> $$ 1 = 2 $$ </code>\n", "<CODE\nclass='a'> $$ 1 = 2 $$ </code>\n",
])
def test_a_valid_code_element_or_a_code_span_that_starts_first_hides_its_math(text):
    assert equations(text, ".md") == []


# --- 17. blocks bound inline content; links, MyST math, line endings -------------------------------


@pytest.mark.parametrize("text, message", [
    ("Cost: 5 $$\n***\n$$1 = 2$$\n***\n$$ is the currency.\n", "line 1: this $$ is not closed before the block that "
                                                                  "starts on line 2"),  # a thematic break
    ("Cost: 5 $$\n- $$1 = 2$$\n- $$ is the currency.\n", "line 1: this $$ is not closed before the block"),
    ("Cost: 5 $$\n# $$1 = 2$$\n$$ is the currency.\n", "line 1: this $$ is not closed before the block"),
    ("Cost: 5 $$\n> $$1 = 2$$\n\n$$ more\n", "line 1: this $$ is not closed before the block"),
    ("Cost: 5 $$\n```\ncode\n```\n$$ 1 = 2 $$ and $$\n", "line 1: this $$ is not closed before the block"),
    ("$$\n1 = 2\n1. item\n$$\n", "line 1: this $$ is not closed before the block that starts on line 3"),
    ("\\[ 1 = 2\n- \\]\n", "line 1: this \\[ is not closed before the block that starts on line 2"),
    ("\\begin{align} 1 &= 2\n# \\end{align}\n", "line 1: this \\begin{align} is not closed before the block"),
])
def test_a_display_closed_only_past_its_block_is_a_one_line_error(text, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        displays(text, ".md")


@pytest.mark.parametrize("text, line", [
    ("- item one\n- item two $$ 1 = 2 $$\n", 2),
    ("# Title $$ 1 = 2 $$\n", 1),
    ("- a\n  $$\n  1 = 2\n  $$\n", 3),  # a display in a list item, closed in it
    ("1. $$\n   1 = 2\n   $$\n", 2),
    ("> $$\n> 1 = 2\n> $$\n", 2),
    ("> $$\n1 = 2\n$$\n", 2),  # lazy lines go on with the quote's paragraph
    ("$$\n1 = 2 \\\\\n2. x = x\n$$\n", 2),  # a list numbered from 2 does not interrupt a paragraph
    ("Title\n=====\n$$ 1 = 2 $$\n", 3),
    ("a `code\n- b` $$ 1 = 2 $$\n", 2),  # a code span ends with its block
    ("para\n    <!--\n\n$$ 1 = 2 $$\n\n-->\n", 4),  # a comment in a paragraph ends with it, not an HTML block
])
def test_displays_closed_in_their_block_are_read(text, line):
    assert ("1", "2", line) in equations(text, ".md")


@pytest.mark.parametrize("separator", ["\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"])
def test_only_commonmark_line_endings_end_a_line(separator):
    # \f, \x85, \u2028 ... are no line ending: the ``` after it opens no fence hiding the display
    assert equations(f"Note <!--{separator}```-->\n$$ 1 = 2 $$\n", ".md") == [("1", "2", 2)]
    assert ("1", "2", 3) in equations(f"```math\n3 = 3 %{separator}```\n\\\\ 1 = 2\n```\n", ".md")


def test_carriage_returns_end_lines_and_count_in_line_numbers():
    assert equations("x\r$$\r1 = 2\r$$\r", ".md") == [("1", "2", 3)]
    assert equations("Note <!--\r```-->\r$$ 1 = 2 $$\r", ".md") == []  # a fence opens on line 2: code


@pytest.mark.parametrize("text, line", [
    ("```{math}\n1 = 2\n```\n", 2),  # MyST
    (":::{math}\n1 = 2\n:::\n", 2),
    ("::::{math}\n1 = 2\n::::\n", 2),
    ("> ::: {math}\n> 1 = 2\n> :::\n", 2),
    (":::{note}\n$$ 1 = 2 $$\n:::\n", 2),  # other colon fences hold Markdown
])
def test_myst_math_fences_are_read_and_its_other_colon_fences_hold_markdown(text, line):
    assert equations(text, ".md") == [("1", "2", line)]


@pytest.mark.parametrize("text, message", [
    ("[r]: https://example.com/$$\n$$1 = 2$$\n", "line 1: a $$ in a link's destination"),
    ("[r]: /u\n\"$$\"\n$$1 = 2$$\n", "line 2: a $$ in a link's destination"),  # its title on the next line
    ("[a](/u \"$$\") $$1 = 2$$ [b](/v \"$$\")\n", "line 1: a $$ in a link's destination"),
    ("see [x](https://example.com/$$).\n$$1 = 2$$\n", "line 1: a $$ in a link's destination"),
    ("![$$](a.png)\n$$1 = 2$$\n![$$](b.png)\n", "line 1: a $$ in a link's destination"),
    ("$$ 1 = 2 <!-- a comment --> $$\n", "line 1: an HTML comment inside a display"),
    ("$$\n1 = 2\nby <!-- a comment -->\n$$\n", "line 3: an HTML comment inside a display"),
    ("- \\begin{align} 1 &= 2 <!-- a comment --> \\end{align}\n", "line 1: an HTML comment inside a display"),
    ("\\[ 1 = 2 <!-- derive: assume x > 0 --> \\]\n", "line 1: a derive: directive inside a math environment"),
])
def test_a_dollar_in_a_link_or_a_comment_in_a_display_is_a_one_line_error(text, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        displays(text, ".md")


@pytest.mark.parametrize("text, line", [
    ("[r]: https://example.com/a\n$$1 = 2$$\n", 2),
    ("see [x](https://example.com/a \"title\") and $$ 1 = 2 $$\n", 1),
    ("![plot](a.png) $$ 1 = 2 $$\n", 1),
    ("[![badge](https://img.org/b.svg)](https://x.org) $$ 1 = 2 $$\n", 1),
    ("para\n[r]: /u$$ 1 = 2 $$\n", 2),  # a definition cannot interrupt a paragraph: text
    ("[a [b](c) d](e $$ 1 = 2 $$)\n", 1),  # a link holds no link: the outer ](...) is text
    ("](x $$ 1 = 2 $$)\n", 1),  # no [: text
    ("[a](/u\"$$ 1 = 2 $$\")\n", 1),  # no space before the title: no link
    ("[^1]: note $$ 1 = 2 $$\n", 1),  # GitHub's footnote: text
    ("[x] $$ 1 = 2 $$ [y]\n", 1),
])
def test_what_links_show_as_text_is_read(text, line):
    assert ("1", "2", line) in equations(text, ".md")


def test_a_false_step_after_a_link_reference_definition_is_refuted(tmp_path):
    path = write(tmp_path, "notes.md", "# Notes\n\n[r]: https://example.com/a\n$$\n1 + 1 = 3\n$$\n")
    assert verdicts(path)[5].status is Status.REFUTED


# --- the tenth review ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("\\begin{itemize}\n\\item[$$] x\n$$ 1 = 2 $$\n\\item[$$] y\n\\end{itemize}\n",
     "line 2: $$ in the optional argument of \\item"),  # a label is a box: $$ is an empty formula
    ("\\begin{tabular}{lp{5cm}l}\n$$ & $$ 1 = 2 $$ & $$ \\\\\n\\end{tabular}\n", "line 2: & inside the math $$"),
])
def test_a_dollar_pair_in_a_box_or_cell_is_an_error(text, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        displays(text, ".tex")


@pytest.mark.parametrize("environment", ["aligned", "split", "gathered", "array}{c", "cases", "matrix"])
def test_bare_mathjax_environments_of_every_kind_are_read_in_markdown(environment):
    name = environment.split("}")[0]
    assert ("1", "2", 3) in equations(f"Text\n\n\\begin{{{environment}}} 1 = 2 \\end{{{name}}}\n", ".md")


def test_a_bare_alignedat_s_column_count_is_not_math():
    assert equations("\\begin{alignedat}{2} 1 &= 2 \\end{alignedat}\n", ".md") == [("1", "2", 1)]


@pytest.mark.parametrize("fence", ["```{note}", "```{admonition} Title"])
def test_math_in_a_myst_directive_fence_is_an_error(fence):
    with pytest.raises(ParseError, match=re.escape("line 1: math inside the MyST directive")):
        displays(f"{fence}\n$$ 1 = 2 $$\n```\n", ".md")
    assert equations("```{code-block} python\nx = '$$ 1 = 2 $$'\n```\n", ".md") == []
