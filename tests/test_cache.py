"""The step cache saves time and never changes a verdict."""

import json
import os
import stat
from pathlib import Path

import pytest
import sympy

from derive import _cache
from derive.kernel import _core as _kernel
from derive._cache import StepCache
from derive.kernel import Reason, Settings, Status, check_equal
from derive.kernel import Reasoning

x = sympy.Symbol("x", positive=True)
TRUE_CLAIM = (sympy.log(x**2), 2 * sympy.log(x))
FALSE_CLAIM = (sympy.log(x**2), 3 * sympy.log(x))


@pytest.fixture
def cache(tmp_path):
    return StepCache(tmp_path / "cache", b"a key outside the repository")


def records(cache):
    return sorted(cache.folder.glob("*/*.json"))


def digest_of(lhs, rhs, using=(), reasoning=Reasoning.EVALUATION, settings=Settings()):
    return _kernel._claim_digest(lhs, rhs, _kernel._theorems(using), reasoning, settings)


def test_a_proved_claim_is_recorded_and_then_recalled(cache):
    first = check_equal(*TRUE_CLAIM, cache=cache)
    assert first.reason is Reason.SYMBOLIC_AND_NUMERIC
    assert len(records(cache)) == 1
    again = check_equal(*TRUE_CLAIM, cache=cache)
    assert again.status is Status.PROVED and again.reason is Reason.CACHED
    assert again.detail == f"cached: {first.detail}"
    assert (again.strategy, again.conclusive_points) == (first.strategy, first.conclusive_points)
    assert (cache.folder / ".gitignore").read_text().strip().endswith("*")


def test_only_proofs_are_recorded(cache):
    assert check_equal(*FALSE_CLAIM, cache=cache).status is Status.REFUTED
    assert check_equal(sympy.Integral(sympy.exp(-x**4), (x, 0, 1)), sympy.Rational(9, 10), cache=cache).proved is False
    assert records(cache) == []


def test_any_edit_to_the_claim_its_lemmas_reasoning_or_settings_is_a_miss(cache):
    check_equal(*TRUE_CLAIM, cache=cache)
    lemma = check_equal(sympy.exp(sympy.log(x)), x)
    y = sympy.Symbol("y", positive=True)
    variants = [
        (sympy.log(y**2), 2 * sympy.log(y)),  # another symbol
        (sympy.log(sympy.Symbol("x") ** 2), 2 * sympy.log(sympy.Symbol("x"))),  # lost an assumption
    ]
    digests = {digest_of(*TRUE_CLAIM)}
    digests |= {digest_of(*claim) for claim in variants}
    digests.add(digest_of(*TRUE_CLAIM, using=[lemma]))
    digests.add(digest_of(*TRUE_CLAIM, reasoning=Reasoning.ALGEBRA))
    digests.add(digest_of(*TRUE_CLAIM, settings=Settings(seed=1)))
    digests.add(digest_of(*TRUE_CLAIM, settings=Settings(samples=9)))
    assert len(digests) == 7
    assert check_equal(*TRUE_CLAIM, settings=Settings(seed=1), cache=cache).reason is Reason.SYMBOLIC_AND_NUMERIC


def test_a_record_signed_with_another_key_is_not_believed(cache):
    check_equal(*TRUE_CLAIM, cache=cache)
    foreign = StepCache(cache.folder, b"somebody else's key")
    assert check_equal(*TRUE_CLAIM, cache=foreign).reason is Reason.SYMBOLIC_AND_NUMERIC


def test_an_edited_record_claiming_a_wrong_step_proved_is_not_believed(cache):
    check_equal(*TRUE_CLAIM, cache=cache)
    genuine = json.loads(records(cache)[0].read_bytes())
    wrong = digest_of(*FALSE_CLAIM)
    guessed = StepCache(cache.folder / "elsewhere", b"a key from the repository, not the user's")
    guessed.write_signed("step", wrong, json.loads(genuine["body"]))
    forgeries = [
        # the true claim's record, copied to the wrong claim's place
        json.dumps(genuine).encode(),
        # signed for the wrong claim, but with a key from the repository instead of the user's
        guessed.read(wrong),
    ]
    for forgery in forgeries:
        cache.write(wrong, forgery)
        verdict = check_equal(*FALSE_CLAIM, cache=cache)
        assert verdict.status is Status.REFUTED and verdict.counterexample is not None


@pytest.mark.parametrize("content", [b"", b"\x00\xff garbage", b"[]", b'{"body": 1, "signature": "x"}',
                                     b'{"body": "{}", "signature": 5}'])
def test_a_corrupt_record_is_ignored_and_the_claim_proved_again(cache, content):
    digest = digest_of(*TRUE_CLAIM)
    cache.write(digest, content)
    assert check_equal(*TRUE_CLAIM, cache=cache).reason is Reason.SYMBOLIC_AND_NUMERIC
    assert check_equal(*TRUE_CLAIM, cache=cache).reason is Reason.CACHED


def test_a_record_with_fields_added_is_not_believed(cache):
    check_equal(*TRUE_CLAIM, cache=cache)
    path = records(cache)[0]
    digest = path.stem
    body = json.loads(json.loads(path.read_bytes())["body"]) | {"status": "proved"}
    cache.write_signed("step", digest, body)
    assert check_equal(*TRUE_CLAIM, cache=cache).reason is Reason.SYMBOLIC_AND_NUMERIC


def test_a_class_of_the_users_is_never_cached(cache):
    # Its methods, bases and helpers are code that no digest covers.
    opaque = type("Opaque", (sympy.Function,), {"__module__": "my_proofs.functions"})
    claim = (opaque(x) + 1, 1 + opaque(x))
    assert digest_of(*claim) is None
    check_equal(*claim, reasoning=Reasoning.ALGEBRA, cache=cache)
    assert records(cache) == []


def test_the_key_comes_from_the_environment_or_a_private_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVE_CACHE_KEY", "a ci secret of some length")
    assert _cache.load_key() == b"a ci secret of some length"
    monkeypatch.setenv("DERIVE_CACHE_KEY", "short")
    with pytest.raises(OSError, match="shorter than 16 bytes"):
        _cache.load_key()
    monkeypatch.delenv("DERIVE_CACHE_KEY")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    made = _cache.load_key()
    path = tmp_path / "derive" / "cache-key"
    assert len(made) == 32 and _cache.load_key() == made
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    for damaged in ("", "   \n", "abcd\n", "not hex at all\n"):  # e.g. a crash while it was written
        path.write_text(damaged)
        fresh = _cache.load_key()
        assert len(fresh) == 32 and fresh != made and _cache.load_key() == fresh
    assert [p.name for p in path.parent.iterdir()] == ["cache-key"]


# --- through the command line: a second run recalls, any edit re-proves -------------------------

from click.testing import CliRunner  # noqa: E402

from derive.cli import cli  # noqa: E402

WITH_LEMMA = """
from sympy import Function, Rational, Symbol, log
from derive import Derivation, lemma, rules

s = Symbol("s", positive=True)
log_square = lemma("log_square", log(s**2), 2 * log(s), rules.algebra())
d = Derivation("variance_term", "variance term", Rational(1, 2) * (s**2 - 1 - log(s**2)))
d.step("1", "log s^2 = 2 log s", rules.use(log_square), Rational(1, 2) * (s**2 - 1) - log(s))
d.step("2", "expand", rules.algebra(), s**2 / 2 - Rational(1, 2) - log(s))
"""


def check_json(path, *options):
    result = CliRunner().invoke(cli, ["check", str(path), "--format", "json", *options])
    report = json.loads(result.output)
    return result.exit_code, {f"{d['name']}:{s['label']}": s["reason"] for d in report["derivations"] for s in d["steps"]}


def test_a_second_run_recalls_every_step_and_says_so(write_proof):
    path = write_proof("proof.py", WITH_LEMMA)
    assert check_json(path) == (0, {"log_square:lemma": "SYMBOLIC_AND_NUMERIC", "variance_term:1": "SYMBOLIC_AND_NUMERIC",
                                    "variance_term:2": "SYMBOLIC_AND_NUMERIC"})
    assert set(check_json(path)[1].values()) == {"CACHED"}
    text = CliRunner().invoke(cli, ["check", str(path)]).output
    assert text.count(" cached ") == 3
    assert "recalled from the cache: 3 proved step(s)" in text and "--no-cache" in text
    assert set(check_json(path, "--no-cache")[1].values()) == {"SYMBOLIC_AND_NUMERIC"}


def test_no_cache_neither_reads_nor_writes(write_proof):
    path = write_proof("proof.py", WITH_LEMMA)
    check_json(path, "--no-cache")
    assert not list(Path(os.environ["DERIVE_CACHE_DIR"]).glob("*/*.json"))


def test_an_edit_to_a_step_or_to_a_lemma_it_uses_re_proves_exactly_what_changed(write_proof):
    path = write_proof("proof.py", WITH_LEMMA)
    check_json(path)
    path.write_text(path.read_text().replace("s**2 / 2 - Rational(1, 2) - log(s)", "(s - 1) * (s + 1) / 2 - log(s)"))
    assert check_json(path)[1] == {"log_square:lemma": "CACHED", "variance_term:1": "CACHED",
                                   "variance_term:2": "SYMBOLIC_AND_NUMERIC"}
    # The lemma now states the fact another way: it and the step using it are re-proved.
    path.write_text(path.read_text().replace('lemma("log_square", log(s**2), 2 * log(s)',
                                             'lemma("log_square", log(s**2), log(s**3) - log(s)'))
    assert check_json(path)[1] == {"log_square:lemma": "SYMBOLIC_AND_NUMERIC",
                                   "variance_term:1": "SYMBOLIC_AND_NUMERIC", "variance_term:2": "CACHED"}
    # A lemma made false fails, and the step that uses it is not recalled from the cache.
    path.write_text(path.read_text().replace("log(s**3) - log(s)", "3 * log(s)"))
    code, reasons = check_json(path)
    assert code == 1
    assert reasons["log_square:lemma"] == "NOT_EQUAL" and reasons["variance_term:1"] == "DEPENDENCY_NOT_PROVED"


def test_an_undefined_functions_assumptions_are_part_of_the_claim(cache):
    real = sympy.Symbol("r", real=True)
    positive_f, plain_f = sympy.Function("f", positive=True), sympy.Function("f")
    assert sympy.srepr(positive_f(real)) == sympy.srepr(plain_f(real))  # why srepr alone is not enough
    assert check_equal(sympy.log(positive_f(real) ** 2), 2 * sympy.log(positive_f(real)), cache=cache).proved
    assert check_equal(sympy.log(plain_f(real) ** 2), 2 * sympy.log(plain_f(real)), cache=cache).status is Status.REFUTED



def test_a_read_only_checkout_keeps_its_cache_in_the_users_cache_folder(tmp_path, monkeypatch):
    """The project's .derive_cache where the project can be written; else a folder of the user's
    cache named after the project's path (so two checkouts keep two caches); DERIVE_CACHE_DIR
    over both."""
    monkeypatch.delenv("DERIVE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    project = tmp_path / "checkout"
    project.mkdir()
    assert _cache.cache_folder(project) == project / ".derive_cache"
    writable = os.access
    monkeypatch.setattr(_cache.os, "access", lambda path, mode: False if Path(path) == project else writable(path, mode))
    elsewhere = _cache.cache_folder(project)
    assert elsewhere.parent == tmp_path / "user-cache" / "derive" / "steps" and elsewhere.name.startswith("checkout-")
    other = tmp_path / "other" / "checkout"
    other.mkdir(parents=True)
    monkeypatch.setattr(_cache.os, "access", lambda path, mode: False)
    assert _cache.cache_folder(other) != elsewhere
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path / "ci"))
    assert _cache.cache_folder(project) == tmp_path / "ci"
