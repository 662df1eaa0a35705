"""``aecodec classic train|embed|anomaly|denoise``."""

import json
import re
import subprocess
import sys
from pathlib import Path

import torch

from aecodec.cli import main

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]


def test_anomaly_prints_roc_auc_last():
    proc = subprocess.run(
        [sys.executable, "-m", "aecodec", "classic", "anomaly", "--type", "undercomplete", "--anomaly-digit", "0",
         "--epochs", "30"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"ROC-AUC (\d\.\d+)", last)
    assert m, proc.stdout
    assert float(m.group(1)) >= 0.9  # measured 0.974


def test_train_embed_denoise(tmp_path, capsys):
    out = tmp_path / "dae"
    assert main(["classic", "train", "--type", "denoising", "--epochs", "20", "--out", str(out)]) == 0
    assert json.loads((out / "config.json").read_text())["config"]["type"] == "denoising"
    assert (out / "model.safetensors").is_file()

    codes = tmp_path / "codes.npz"
    assert main(["classic", "embed", "--model", str(out), "--out", str(codes)]) == 0
    text = capsys.readouterr().out
    assert re.search(r"reconstruction MSE: autoencoder [\d.]+ +PCA [\d.]+", text), text
    assert "5-NN accuracy" in text and codes.is_file()

    plot = tmp_path / "denoise.png"
    assert main(["classic", "denoise", "--model", str(out), "--noise-level", "0.2", "--plot", str(plot)]) == 0
    m = re.search(r"PSNR noisy ([\d.]+) dB, denoised ([\d.]+) dB", capsys.readouterr().out)
    assert m and float(m.group(2)) > float(m.group(1))
    assert plot.stat().st_size > 1000


def test_bad_options_fail_cleanly(tmp_path, capsys):
    assert main(["classic", "train", "--type", "undercomplete", "--code-dim", "64", "--out", str(tmp_path)]) == 1
    assert "code_dim" in capsys.readouterr().err


def test_cli_type_list_matches_models():
    from aecodec.classic import TYPES
    from aecodec.classic.cli import TYPES as CLI_TYPES

    assert CLI_TYPES == TYPES
