"""The README's example is a test, and CI runs the README's test command."""

import re
import subprocess
import sys

from click.testing import CliRunner

from derive.cli import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def fenced(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_readme_example_proof_is_proved(tmp_path):
    example = next(block for block in fenced("python") if block.startswith("# my_proofs/"))
    folder = tmp_path / "my_proofs"
    folder.mkdir()
    (folder / "variance_term.py").write_text(example)
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert result.exit_code == 0, result.output
    assert "2 steps in 2 derivations: 2 proved" in result.output


def test_readme_example_with_a_slip_is_refuted(tmp_path):
    example = next(block for block in fenced("python") if block.startswith("# my_proofs/"))
    (tmp_path / "slip.py").write_text(example.replace("(s**2 - 1) - log(s))", "(s**2 - 1) - 2 * log(s))"))
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "slip.py")])
    assert result.exit_code == 1
    assert "counterexample: s = " in result.output


def test_quickstart_has_two_commands_and_ci_runs_the_test_command():
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", quickstart, flags=re.S)
    assert len(commands) == 2
    assert "derive check" in commands[0]
    test_command = commands[1].split("&&")[-1].strip()
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_readme_kernel_example_runs_and_gives_the_proved_gradient():
    import pytest

    torch = pytest.importorskip("torch")
    example = next(block for block in fenced("python") if "from derive.kernels import" in block)
    torch.manual_seed(0)
    scope = {}
    exec(example, scope)
    mu, logvar, kl = scope["mu"], scope["logvar"], scope["kl"]
    assert kl.item() > 0
    assert torch.allclose(mu.grad, mu.detach() / 64)
    assert torch.allclose(logvar.grad, torch.expm1(logvar.detach()) / 2 / 64)


def test_readme_names_exactly_the_demo_options_the_cli_has():
    from derive.cli import vae

    documented = README.split("## The VAE demo", 1)[1].split("Options: ", 1)[1].split(". A seeded", 1)[0]
    named = set(re.findall(r"--[a-z-]+", documented))
    offered = {option for parameter in vae.params for option in (*parameter.opts, *parameter.secondary_opts)}
    assert named == offered - {"--help"}


def test_readme_ci_section_runs_both_checks_with_real_options(tmp_path):
    import shlex

    import yaml

    from derive.config import read_config
    from tests.test_cli import accepted_by_the_cli

    section = README.split("## Auditing math in CI", 1)[1].split("\n## ", 1)[0]
    blocks = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, flags=re.S)]
    workflow = next(block for block in blocks if isinstance(block, dict) and "jobs" in block)
    runs = [shlex.split(step["run"], comments=True) for job in workflow["jobs"].values()
            for step in job["steps"] if "run" in step]
    commands = [command for command in runs if command[0] == "derive"]
    assert commands[0] == ["derive", "check", "--format", "github"]
    assert commands[1][:2] == ["derive", "codegen"] and "--check" in commands[1]
    for command in commands:
        accepted_by_the_cli(command)
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (config,) = [block for block in blocks if isinstance(block, dict) and "repos" in block]
    used = config["repos"][0]["hooks"]
    assert {hook["id"] for hook in used} == {hook["id"] for hook in hooks}
    for hook in used:
        entry = next(h["entry"] for h in hooks if h["id"] == hook["id"])
        accepted_by_the_cli([*shlex.split(entry), *hook.get("args", [])])
    (toml,) = re.findall(r"```toml\n(.*?)```", section, flags=re.S)
    (tmp_path / "pyproject.toml").write_text(toml)
    assert read_config(tmp_path / "pyproject.toml").paths == (str(tmp_path.resolve() / "maths" / "proofs"),)


def test_what_you_trust_lists_every_kernel_module_with_its_size():
    table = README.split("## What you trust", 1)[1].split("\n\n", 3)[2]
    rows = re.findall(r"^\| (.+?) \| (\d+) \|", table, flags=re.M)
    kernel = ROOT / "derive" / "kernel"
    listed = set()
    for modules, lines in rows:
        names = re.findall(r"`(\w+\.py)`", modules)
        listed |= set(names)
        assert int(lines) == sum(len((kernel / name).read_text().splitlines()) for name in names), modules
    assert listed == {p.name for p in kernel.glob("*.py")} - {"__init__.py"}


def test_what_you_trust_states_the_document_readers_size():
    stated = re.search(r"you also trust that the reader built the expression the page\nshows: (.*?) \((\d+) lines in all\)",
                       README, flags=re.S)
    assert stated is not None
    names = re.findall(r"`derive/(\w+\.py)`", stated.group(1))
    assert set(names) == {"_latex_source.py", "latex.py", "_latex_refusals.py", "_matrix_notation.py"}
    assert int(stated.group(2)) == sum(len((ROOT / "derive" / name).read_text().splitlines()) for name in names)


def test_readme_latex_excerpt_prints_the_report_shown(tmp_path):
    """The LaTeX excerpt and its report, as derive prints them (times aside)."""
    section = README.split("## Derivations in LaTeX and Markdown", 1)[1]
    tex = section.split("```latex\n", 1)[1].split("```", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    (tmp_path / "kl.tex").write_text(tex)
    result = subprocess.run([sys.executable, "-m", "derive", "check", "--no-cache", "kl.tex"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stderr

    def timeless(text):
        return re.sub(r"\d+\.\d+s\b", "_s", text)

    assert timeless(result.stdout) == timeless(shown)
