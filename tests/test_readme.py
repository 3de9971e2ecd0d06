"""The README's example is a test, and CI runs the README's test command."""

import re

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
    example = next(block for block in fenced("python") if "derive.kernels.torch_kernels" in block)
    torch.manual_seed(0)
    scope = {}
    exec(example, scope)
    mu, logvar, kl = scope["mu"], scope["logvar"], scope["kl"]
    assert kl.item() > 0
    assert torch.allclose(mu.grad, mu.detach() / 64)
    assert torch.allclose(logvar.grad, torch.expm1(logvar.detach()) / 2 / 64)
