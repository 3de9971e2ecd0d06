"""The ``derive`` command: a thin layer over the library.

Exit codes: 0 every step proved; 1 a step refuted or unknown (or another domain error);
2 usage errors and proof files that cannot be loaded; 123 an internal error of derive.
Every error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import click

from ._files import write_atomically
from ._kernel import Settings
from .checking import check as check_derivations
from .codegen import generate, module_file, require_targets
from .demo import VaeSettings
from .demo.settings import DEVICES
from .errors import DeriveError, UsageError
from .loader import load
from .report import render_json, render_text

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


def _default_paths() -> list[str]:
    if Path("proofs").is_dir():
        return ["proofs"]
    raise UsageError("no proofs/ folder here: run from a project that has one, or name the proof files")


@click.group(cls=_Cli)
@click.version_option(package_name="derive")
def cli() -> None:
    """derive: check derivations step by step with a small trusted kernel."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Report format.")
@click.option("--samples", type=click.IntRange(1, 1000), default=Settings.samples, show_default=True,
              help="Numeric sample points per claim.")
@click.option("--seed", type=int, default=Settings.seed, show_default=True, help="Seed of the sample points.")
def check(paths: tuple[str, ...], output_format: str, samples: int, seed: int) -> None:
    """Check every step of the derivations in PATHS (default: ./proofs)."""
    settings = Settings(samples=samples, min_conclusive=min(Settings.min_conclusive, samples), seed=seed)
    derivations = load(list(paths) or _default_paths()).defined
    report = check_derivations(derivations, settings)
    click.echo(render_json(report) if output_format == "json" else render_text(report))
    sys.exit(0 if report.ok else 1)


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
              help="A .py file (one target) or a folder that gets <target>_kernels.py; default: print.")
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 if the files at --out differ from what the proofs generate.")
def codegen(paths: tuple[str, ...], targets: tuple[str, ...], out: str | None, check_only: bool) -> None:
    """Generate numpy / torch kernels from the exports of the proofs in PATHS (default: ./proofs)."""
    require_targets(targets)
    if out is None and (check_only or len(targets) > 1):
        raise UsageError("--check and several targets need --out")
    files = [module_file(Path(out), target, several=len(targets) > 1) if out else None for target in targets]
    for file in files:
        if file is not None and not file.parent.is_dir():
            raise UsageError(f"{file.parent}: no such folder")
    exports = load(list(paths) or _default_paths()).exports
    texts = generate(exports, list(dict.fromkeys(targets)))
    stale = []
    for target, file in zip(targets, files):
        text = texts[target]
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
            write_atomically(file, text)
            click.echo(f"wrote {file}", err=True)
    if stale:
        raise DeriveError("; ".join(stale) + ": run derive codegen without --check to regenerate")
    if check_only:
        click.echo(f"up to date: {', '.join(str(f) for f in files)}", err=True)


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


main = cli
