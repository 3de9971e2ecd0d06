"""The ``derive`` command: a thin layer over the library.

Exit codes: 0 every step proved; 1 a step refuted or unknown (or another domain error);
2 usage errors and proof files that cannot be loaded; 123 an internal error of derive.
Every error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import difflib
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from . import certificates
from ._cache import KEY_VARIABLE, StepCache, hide_key_and_restart, open_cache
from ._files import write_atomically
from .config import DEFAULT_SAMPLES, DEFAULT_SEED, SAMPLES_RANGE, Config, project_config
from .demo import VaeSettings
from .demo.settings import DEVICES
from .errors import DeriveError, UsageError

# The report formats, named here so that option parsing imports no sympy: each command starts
# loading the proof files (a process of their own) before it imports the kernel and the reports.
FORMATS = ("text", "json", "junit", "markdown", "github")

INTERNAL_ERROR = 123


class _Cli(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except DeriveError as exc:
            click.echo(f"derive: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except Exception as exc:  # noqa: BLE001 - a bug in derive still gets one line, not a traceback
            click.echo(f"derive: internal error: {type(exc).__name__}: {exc}", err=True)
            ctx.exit(INTERNAL_ERROR)


def _proof_paths(paths: tuple[str, ...], config: Config) -> list[str]:
    """PATHS from the command line, else [tool.derive] paths, else ./proofs."""
    if paths or config.paths:
        return list(paths or config.paths)
    if Path("proofs").is_dir():
        return ["proofs"]
    raise UsageError("no proofs/ folder here: run from a project that has one, name the proof files, "
                     "or set paths in [tool.derive] of pyproject.toml")


def _step_cache(config: Config) -> StepCache | None:
    """The cache in the project's folder (that of its pyproject.toml, else the current one);
    None, and every step proved afresh, when no key can be read or made."""
    try:
        return open_cache(config.file.parent if config.file else Path.cwd())
    except OSError as exc:
        click.echo(f"derive: cache off: no key ({exc.strerror or exc}); set {KEY_VARIABLE}", err=True)
        return None


def _append_step_summary(text: str) -> None:
    """Append to the file GitHub Actions names in $GITHUB_STEP_SUMMARY, when it names one."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as summary:
            summary.write(text + "\n")
    except OSError as exc:
        raise UsageError(f"GITHUB_STEP_SUMMARY={target}: cannot append the summary: {exc.strerror}") from None


@click.group(cls=_Cli)
@click.version_option(package_name="derive")
def cli() -> None:
    """derive: check derivations step by step with a small trusted kernel."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Report format (github: annotations, and a summary appended to "
                                      "$GITHUB_STEP_SUMMARY when it is set).")
@click.option("--strict/--allow-unknown", default=None,
              help="Whether an unknown step fails the check; a refuted step always does.  "
                   "[default: [tool.derive] strict, else strict]")
@click.option("--samples", type=click.IntRange(*SAMPLES_RANGE), default=None,
              help=f"Random numeric sample points per claim, besides the edge points; at least "
                   f"{SAMPLES_RANGE[0]}.  [default: [tool.derive] samples, else {DEFAULT_SAMPLES}]")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help=f"Seed of the sample points.  [default: [tool.derive] seed, else {DEFAULT_SEED}]")
@click.option("--no-cache", is_flag=True,
              help="Prove every step afresh: neither read nor write the project's .derive_cache.")
@click.option("--axioms", "list_axioms", is_flag=True,
              help="List what each derivation rests on besides the kernel (postulates, declared operators, "
                   "allowed-unknown steps), or none; text format (json always has them).")
def check(paths: tuple[str, ...], output_format: str, strict: bool | None, samples: int | None,
          seed: int | None, no_cache: bool, list_axioms: bool) -> None:
    """Check every step of the derivations in PATHS (default: [tool.derive] paths, else ./proofs)."""
    if list_axioms and output_format != "text":
        raise UsageError(f"--axioms goes with --format text; --format {output_format} lists no axioms "
                         "(json has them in every derivation's 'axioms')")
    config = project_config(paths)
    allow_unknown = not (strict if strict is not None else config.strict is not False)
    cache = None if no_cache else _step_cache(config)
    pending = certificates.start(_proof_paths(paths, config), cache, config.documents is not False)
    from .checking import check as check_derivations
    from .kernel import warm_workers
    from .outcome import Outcome
    from .report import FORMATS as RENDER, render_step_summary

    if not pending.recalled:
        warm_workers()  # a changed proof file has steps to prove: the workers start while it loads
    report = check_derivations(pending.loaded().defined, config.settings(samples, seed), cache)
    options = {"list_axioms": True} if list_axioms else {}
    click.echo(RENDER[output_format](report, allow_unknown=allow_unknown, **options))
    if output_format == "github":
        _append_step_summary(render_step_summary(report, allow_unknown=allow_unknown))
    sys.exit(0 if Outcome(report, allow_unknown).ok else 1)


def _named(derivations: list, name: str):
    by_name = {d.name: d for d in derivations}
    if name in by_name:
        return by_name[name]
    close = difflib.get_close_matches(name, list(by_name), n=5, cutoff=0.5)
    names = sorted(by_name)
    hint = (f"did you mean {', '.join(close)}?" if close else
            f"the derivations are {', '.join(names[:8])}{', ...' if len(names) > 8 else ''}")
    raise UsageError(f"no derivation named '{name}': {hint}")


@cli.command()
@click.argument("name")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--check", "check_it", is_flag=True,
              help="Also check it (and what it uses); exit 1 unless every step is proved.")
def show(name: str, paths: tuple[str, ...], check_it: bool) -> None:
    """Print the derivation NAME from PATHS (default as for check), pretty-printed, without checking it."""
    config = project_config(paths)
    pending = certificates.start(_proof_paths(paths, config), None, config.documents is not False)
    from .checking import check as check_derivations
    from .report import render_derivation

    derivation = _named(pending.loaded().created, name)
    report = check_derivations([derivation], config.settings()) if check_it else None
    result = None if report is None else next(r for r in report.results if r.derivation is derivation)
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    click.echo(render_derivation(derivation, result, unicode=encoding == "utf8",
                                 width=shutil.get_terminal_size((100, 24)).columns))
    if report is not None and not report.ok:
        sys.exit(1)


def _first_difference(old: str, new: str) -> int:
    for number, (a, b) in enumerate(zip(old.splitlines(), new.splitlines()), start=1):
        if a != b:
            return number
    return min(len(old.splitlines()), len(new.splitlines())) + 1


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--target", "targets", multiple=True, required=True, metavar="numpy|torch",
              help="Backend of the generated module; repeat for several.")
@click.option("--out", type=click.Path(), default=None,
              help="A .py file (one target, one module) or a folder (made if missing) that gets "
                   "<target>_kernels.py and <target>_precise_kernels.py.  [default: print the module]")
@click.option("--precise", is_flag=True,
              help="Print (or write to a .py --out) the precise module, correctly rounded where the plain "
                   "one loses digits, instead of the plain one.")
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 if the files at --out differ from what the proofs generate.")
@click.option("--no-cache", is_flag=True,
              help="Prove every claim afresh instead of recalling what derive check (or an earlier run) proved.")
def codegen(paths: tuple[str, ...], targets: tuple[str, ...], out: str | None, precise: bool, check_only: bool,
            no_cache: bool) -> None:
    """Generate numpy / torch kernels from the exports of the proofs in PATHS (default: [tool.derive]
    paths, else ./proofs)."""
    # Here, not at the top: sympy's torch printer imports torch, which `derive check` never needs.
    from .codegen import generate, module_files, module_name, require_targets

    require_targets(targets)
    if out is None and (check_only or len(targets) > 1):
        raise UsageError("--check and several targets need --out")
    targets = tuple(dict.fromkeys(targets))
    files = {}
    for target in targets:
        if out:
            files.update(module_files(Path(out), target, several=len(targets) > 1, precise=precise))
        else:
            files[module_name(target, precise)] = None
    config = project_config(paths)
    cache = None if no_cache else _step_cache(config)
    exports = certificates.load_certified(_proof_paths(paths, config)).exports
    # One module asked for, the precise one: each kernel must be in it.
    texts = generate(exports, list(targets), cache=cache,
                     require_precise=precise and (out is None or Path(out).suffix == ".py"))
    stale = []
    for module, file in files.items():
        text = texts[module]
        if file is None:
            click.echo(text, nl=False)
        elif check_only:
            committed = file.read_text() if file.is_file() else None
            if committed is None:
                stale.append(f"{file} does not exist")
            elif committed != text:
                stale.append(f"{file} differs from what the proofs generate "
                             f"(line {_first_difference(committed, text)})")
        else:
            file.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(file, text)
            click.echo(f"wrote {file}", err=True)
    if stale:
        raise DeriveError("; ".join(stale) + ": run derive codegen without --check to regenerate")
    if check_only:
        click.echo(f"up to date: {', '.join(str(f) for f in files.values())}", err=True)


@cli.group()
def demo() -> None:
    """Demos that train with the generated, verified kernels (needs the demo extra)."""


@contextmanager
def _progress_bar(label: str, epochs: int):
    """A bar on stderr with the running loss, its reconstruction and KL terms (train) and the test loss."""
    with click.progressbar(length=epochs, label=label, file=sys.stderr, show_pos=True,
                           item_show_func=lambda shown: shown) as bar:
        def on_epoch(epoch: int, train: dict, test: dict) -> None:
            bar.update(1, f"loss {train['total']:.2f} = recon {train['reconstruction']:.2f} + "
                          f"KL {train['kl']:.2f} | test loss {test['total']:.2f}")

        yield on_epoch


@demo.command()
@click.option("--epochs", type=click.IntRange(min=1), default=VaeSettings.epochs, show_default=True)
@click.option("--latent", type=click.IntRange(min=1), default=VaeSettings.latent, show_default=True,
              help="Size of the latent space of the main model.")
@click.option("--hidden", type=click.IntRange(min=1), default=VaeSettings.hidden, show_default=True,
              help="Width of the hidden layers.")
@click.option("--batch-size", type=click.IntRange(min=1), default=VaeSettings.batch_size, show_default=True)
@click.option("--learning-rate", "--lr", "learning_rate", type=click.FloatRange(min=0, min_open=True),
              default=VaeSettings.learning_rate, show_default=True, help="Adam's learning rate.")
@click.option("--beta", type=click.FloatRange(min=0), default=VaeSettings.beta, show_default=True,
              help="Weight of the KL term (0: a plain autoencoder).")
@click.option("--seed", type=int, default=VaeSettings.seed, show_default=True)
@click.option("--device", type=click.Choice(DEVICES), default=VaeSettings.device, show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=VaeSettings.threads, show_default=True,
              help="CPU threads for torch; more pay off only for larger data and models.")
@click.option("--data", type=click.Path(path_type=Path), default=None,
              help="MNIST as an IDX images file or .npz, instead of scikit-learn's digits.")
@click.option("--out", type=click.Path(path_type=Path), default=VaeSettings.out, show_default=True,
              help="Folder for the pictures and metrics.json.")
@click.option("--compare/--no-compare", default=VaeSettings.compare, show_default=True,
              help="Also train 2-D models with beta 0 and 1 and draw them side by side.")
def vae(**options) -> None:
    """Train a small VAE whose KL term is the generated torch kernel; draw what each term does."""
    settings = VaeSettings(**options)
    try:
        from .demo import render_summary, run_vae
    except ImportError as exc:
        raise UsageError(f"derive demo needs the demo extra (pip install 'derive[demo]'): {exc}") from None
    run = run_vae(settings, progress=_progress_bar)
    click.echo(render_summary(run))



def main(**options) -> None:
    """The console script: run the command, then leave without tearing the interpreter down.
    Freeing a check's memo caches (sympy's and the kernel's) one object at a time took 0.7 s of
    a 10 s cold `derive check`; by then every file is written and closed, and the output is
    flushed here."""
    hide_key_and_restart(sys.argv[1:])
    try:
        cli.main(**options)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
