"""The ``derive`` command: a thin layer over the library.

Exit codes: 0 every step proved; 1 a step refuted or unknown (or another domain error);
2 usage errors and proof files that cannot be loaded; 123 an internal error of derive.
Every error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._kernel import Settings
from .check import check as check_derivations
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
    derivations, _ = load(list(paths) or _default_paths())
    report = check_derivations(derivations, settings)
    click.echo(render_json(report) if output_format == "json" else render_text(report))
    sys.exit(0 if report.ok else 1)


main = cli
