"""Rules: what a step claims to have done. A rule only proposes; the kernel checks.

A rule names the reasoning the step needs and the proved facts it uses. The kernel proves the
step with exactly that much reasoning, so a step whose justification is wrong fails even when
its result is right: "linearity" cannot evaluate a moment, "algebra" cannot split an integral,
and a lemma that is not named cannot be used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .kernel import Reasoning


@dataclass(frozen=True)
class Rule:
    name: str
    reasoning: Reasoning
    lemmas: tuple = field(default=())

    def describe(self) -> str:
        if not self.lemmas:
            return self.name
        return f"{self.name}: {', '.join(lemma.name for lemma in self.lemmas)}"


def algebra() -> Rule:
    """Rearrange, expand, cancel, use log rules the assumptions allow; operators stay opaque."""
    return Rule("algebra", Reasoning.ALGEBRA)


def linearity() -> Rule:
    """Split and merge integrals, sums and expectations; pull out constants."""
    return Rule("linearity", Reasoning.LINEARITY)


def use(*lemmas) -> Rule:
    """Substitute proved equalities (derivations, lemmas or their instances), then algebra."""
    if not lemmas:
        raise ValueError("use() needs at least one lemma")
    return Rule("lemma", Reasoning.ALGEBRA, tuple(lemmas))


def evaluate() -> Rule:
    """Evaluate integrals, sums, derivatives and expectations outright."""
    return Rule("evaluate", Reasoning.EVALUATION)


# The rules weakest() tries, least powerful first.
ORDER = (algebra, linearity, evaluate)


def weakest() -> Rule:
    """Whichever of algebra, linearity and evaluate proves the step first, in that order (a step
    read from LaTeX or Markdown names no rule); the report names the one that did."""
    return Rule("weakest", Reasoning.EVALUATION)


_BY_NAME = {"algebra": algebra, "linearity": linearity, "evaluate": evaluate, "weakest": weakest}


def named(name: str, lemmas: tuple = ()) -> Rule:
    """The rule a certificate names: the reasoning comes from the name, never from the data."""
    if name == "lemma":
        return use(*lemmas)
    if name not in _BY_NAME:
        raise ValueError(f"unknown rule {name!r}")
    if lemmas:
        raise ValueError(f"rule {name} takes no lemmas")
    return _BY_NAME[name]()
