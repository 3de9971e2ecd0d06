"""The VAE demo: the generated kernel against the hand-written line, the CLI, data files, errors."""

import gzip
import inspect
import json
import struct

import numpy as np
import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

from derive.cli import cli  # noqa: E402
from derive.demo import VaeSettings, render_summary, run_vae  # noqa: E402
from derive.demo.data import load_images  # noqa: E402
from derive.demo.training import Hyperparameters, train  # noqa: E402
from derive.demo.vae import Vae, loss  # noqa: E402
from derive.errors import UsageError  # noqa: E402
from derive.kernels import torch_kernels  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SMALL = ["--epochs", "2", "--hidden", "16", "--latent", "3", "--batch-size", "256"]


def hand_written_kl(mu, logvar, reduction):
    """The line every VAE hand-writes, KL per example averaged over the batch."""
    assert reduction == "batchmean"
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / mu.shape[0]


def invoke(*arguments):
    return CliRunner().invoke(cli, list(arguments))


def test_the_demo_loss_uses_the_generated_kernel():
    assert inspect.signature(loss).parameters["kl"].default is torch_kernels.kl_standard_normal


def test_generated_kernel_and_hand_written_line_agree_on_the_demos_batches():
    images = load_images(None, seed=0)
    torch.manual_seed(0)
    model = Vae(images.pixels, hidden=32, latent=4).double()
    noise_seed = 5
    for batch in torch.as_tensor(images.train, dtype=torch.float64).split(256):
        results = []
        for kl in (torch_kernels.kl_standard_normal, hand_written_kl):
            model.zero_grad()
            logits, mu, logvar = model(batch, torch.Generator().manual_seed(noise_seed))
            batch_loss = loss(batch, logits, mu, logvar, beta=1.0, kl=kl)
            batch_loss.total.backward()
            results.append((batch_loss.kl.item(), [p.grad.clone() for p in model.parameters()]))
        (generated_kl, generated_grads), (hand_kl, hand_grads) = results
        assert generated_kl > 0
        assert generated_kl == pytest.approx(hand_kl, rel=1e-12)
        for generated, hand in zip(generated_grads, hand_grads):
            torch.testing.assert_close(generated, hand, rtol=1e-10, atol=1e-12)


def test_seeded_training_with_either_kl_follows_the_same_trajectory():
    images = load_images(None, seed=0)
    hyper = Hyperparameters(latent=4, hidden=32, epochs=4, batch_size=128, learning_rate=2e-3, beta=1.0, seed=3)
    runs = [train(images.train, images.test, hyper, torch.device("cpu"), kl=kl, dtype=torch.float64).history
            for kl in (torch_kernels.kl_standard_normal, hand_written_kl)]
    generated, hand = runs
    for name in ("total", "reconstruction", "kl"):
        np.testing.assert_allclose([r[name] for r in generated.test], [r[name] for r in hand.test], rtol=1e-6)
    assert generated.test[-1]["total"] < generated.test[0]["total"]


def test_cli_writes_every_picture_and_metrics_with_the_options_it_was_given(tmp_path):
    out = tmp_path / "run"
    result = invoke("demo", "vae", *SMALL, "--learning-rate", "0.005", "--beta", "0.5", "--seed", "7",
                    "--device", "cpu", "--threads", "2", "--out", str(out))
    assert result.exit_code == 0, result.output
    names = {"training_curves.png", "kl_terms.png", "reconstructions.png", "prior_samples.png",
             "prior_vs_autoencoder.png"}
    assert {path.name for path in out.iterdir()} == names | {"metrics.json"}
    for name in names:
        assert (out / name).read_bytes().startswith(PNG_SIGNATURE)
        assert str(out / name) in result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["settings"] | {"out": None} == {
        "epochs": 2, "latent": 3, "hidden": 16, "batch_size": 256, "learning_rate": 0.005, "beta": 0.5,
        "seed": 7, "device": "cpu", "threads": 2, "data": None, "out": None, "compare": True}
    assert len(metrics["history"]["train"]) == 2 and len(metrics["latent_units"]) == 3
    test = metrics["test"]
    assert test["kl"] == pytest.approx(test["kl_mean_term"] + test["kl_variance_term"], rel=1e-5)
    assert test["elbo"] == pytest.approx(-(test["reconstruction"] + test["kl"]))
    assert test["total"] == pytest.approx(test["reconstruction"] + 0.5 * test["kl"])
    assert metrics["active_units"] == sum(unit["active"] for unit in metrics["latent_units"])
    assert [model["beta"] for model in metrics["comparison"]] == [0.0, 1.0]
    assert "test ELBO per example" in result.output


def test_no_compare_skips_the_comparison(tmp_path):
    result = invoke("demo", "vae", *SMALL, "--no-compare", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "prior_vs_autoencoder.png").exists()
    assert json.loads((tmp_path / "metrics.json").read_text())["comparison"] == []


def test_a_seeded_run_is_reproducible_and_the_seed_matters(tmp_path):
    def history(seed, folder):
        run = run_vae(VaeSettings(epochs=2, hidden=16, latent=3, batch_size=256, seed=seed, compare=False,
                                  device="cpu", out=tmp_path / folder))
        return run.metrics["history"]

    assert history(1, "a") == history(1, "b")
    assert history(1, "a") != history(2, "c")


def test_summary_names_every_file_it_wrote(tmp_path):
    run = run_vae(VaeSettings(epochs=1, hidden=8, latent=2, compare=False, device="cpu", out=tmp_path))
    summary = render_summary(run)
    assert all(str(file) in summary for file in run.files)
    assert "active latent units" in summary


def write_idx(path, array, opener=open):
    with opener(path, "wb") as stream:
        stream.write(bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape))
        stream.write(array.astype(np.uint8).tobytes())


def test_mnist_idx_files_with_labels_beside_them_are_read_and_trained_on(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(50, 28, 28))
    labels = rng.integers(0, 10, size=50)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images, gzip.open)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels, gzip.open)
    loaded = load_images(tmp_path / "train-images-idx3-ubyte.gz", seed=0)
    assert loaded.shape == (28, 28) and len(loaded.train) == 40 and len(loaded.test) == 10
    assert loaded.train.max() <= 1 and loaded.train.min() >= 0
    assert sorted([*loaded.train_labels, *loaded.test_labels]) == sorted(labels)
    result = invoke("demo", "vae", *SMALL, "--data", str(tmp_path / "train-images-idx3-ubyte.gz"),
                    "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["data"]["image_shape"] == [28, 28]


def test_npz_in_the_keras_layout_keeps_its_own_split(tmp_path):
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "mnist.npz", x_train=rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 30), x_test=rng.integers(0, 256, (7, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, 7))
    loaded = load_images(tmp_path / "mnist.npz", seed=0)
    assert (len(loaded.train), len(loaded.test), loaded.pixels) == (30, 7, 784)


def bad_files(tmp_path):
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"not an idx file at all")
    truncated = tmp_path / "truncated-images-idx3-ubyte"
    write_idx(truncated, np.zeros((10, 28, 28)))
    truncated.write_bytes(truncated.read_bytes()[:-5])
    labels_only = tmp_path / "train-labels-idx1-ubyte"
    write_idx(labels_only, np.zeros(10))
    wrong_keys = tmp_path / "wrong.npz"
    np.savez(wrong_keys, pictures=np.zeros((3, 8, 8)))
    with_nan = tmp_path / "nan.npz"
    np.savez(with_nan, images=np.full((10, 8, 8), np.nan))
    out_of_range = tmp_path / "range.npz"
    np.savez(out_of_range, images=np.full((10, 8, 8), 3.0))
    not_npz = tmp_path / "broken.npz"
    not_npz.write_text("hello")
    cut_npz = tmp_path / "cut.npz"
    np.savez(cut_npz, images=np.zeros((10, 8, 8)))
    cut_npz.write_bytes(cut_npz.read_bytes()[:200])
    bad_gzip = tmp_path / "bad-images-idx3-ubyte.gz"
    write_idx(bad_gzip, np.zeros((10, 28, 28)), gzip.open)
    content = bytearray(bad_gzip.read_bytes())
    content[20:40] = b"\xff" * 20
    bad_gzip.write_bytes(bytes(content))
    return {
        tmp_path / "missing.npz": "no such file",
        garbage: "not an IDX file",
        truncated: "the header announces 7840 bytes",
        labels_only: "not an IDX file of unsigned bytes with 3 dimension(s)",
        wrong_keys: "expected arrays x_train and x_test, or images; found pictures",
        with_nan: "NaN",
        out_of_range: "float pixels must lie in [0, 1]",
        not_npz: "not a readable .npz archive",
        cut_npz: "not a readable .npz archive",
        bad_gzip: "cannot read",
    }


def test_bad_data_files_get_one_line_that_names_the_file_and_nothing_is_written(tmp_path):
    for path, message in bad_files(tmp_path).items():
        out = tmp_path / f"out_{path.stem}"
        result = invoke("demo", "vae", *SMALL, "--data", str(path), "--out", str(out))
        assert result.exit_code == 1, (path, result.output)
        error = result.output.strip().splitlines()[-1]
        assert error.startswith(f"derive: {path}: ") and message in error, error
        assert "Traceback" not in result.output
        assert not out.exists()


def test_bad_options_are_usage_errors(tmp_path):
    for arguments in (["--epochs", "0"], ["--lr", "0"], ["--beta", "-1"], ["--device", "tpu"], ["--latent", "x"]):
        result = invoke("demo", "vae", *arguments, "--out", str(tmp_path / "never"))
        assert result.exit_code == 2, (arguments, result.output)
    assert not (tmp_path / "never").exists()
    with pytest.raises(UsageError, match="learning_rate must be a positive number, got nan"):
        VaeSettings(learning_rate=float("nan"))
    with pytest.raises(UsageError, match="batch_size must be a positive integer"):
        VaeSettings(batch_size=0)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_asking_for_cuda_without_it_is_a_clear_error(tmp_path):
    result = invoke("demo", "vae", *SMALL, "--device", "cuda", "--out", str(tmp_path / "never"))
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == "derive: device cuda: this torch has no CUDA device; use --device cpu"


def test_an_output_path_that_is_a_file_is_refused(tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("mine")
    result = invoke("demo", "vae", *SMALL, "--out", str(taken))
    assert result.exit_code == 2
    assert f"{taken}: exists and is not a folder" in result.output
    assert taken.read_text() == "mine"


def test_a_diverging_run_stops_with_a_clear_error(tmp_path):
    result = invoke("demo", "vae", *SMALL, "--lr", "1e6", "--no-compare", "--out", str(tmp_path / "never"))
    assert result.exit_code == 1
    assert "training diverged in epoch 1" in result.output and "lower the learning rate" in result.output
    assert not (tmp_path / "never").exists()


def test_a_data_folder_gets_one_line():
    result = invoke("demo", "vae", *SMALL, "--data", str(ROOT), "--out", str(ROOT / "never"))
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == f"derive: {ROOT}: is a folder; name the IDX images file or the .npz in it"


def test_an_out_folder_that_cannot_be_made_gets_one_line(tmp_path):
    (tmp_path / "a_file").write_text("mine")
    out = tmp_path / "a_file" / "run"
    result = invoke("demo", "vae", *SMALL, "--no-compare", "--out", str(out))
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(f"derive: {out}: cannot write the pictures there: ")
    assert (tmp_path / "a_file").read_text() == "mine"
