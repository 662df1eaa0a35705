"""Per-level tables and the conditioned synthesis: neutral at the start, local in level, carried by the weights."""

import json

import numpy as np
import pytest
import torch

import aecodec
from aecodec import container
from aecodec.nn.conditioning import interpolate_levels
from aecodec.nn.context_model import ContextModel, ContextModelConfig, build_model
from aecodec.nn.model import HyperpriorModel, ModelConfig
from aecodec.nn.store import load_weights, save_weights
from conftest import synthetic_photo


def test_interpolation_hits_the_rows_at_integer_levels_and_blends_between():
    table = torch.arange(12, dtype=torch.float32).reshape(4, 3)
    got = interpolate_levels(table, torch.tensor([0.0, 2.0, 3.0, 1.25, -1.0, 7.0]))
    expected = torch.stack([table[0], table[2], table[3], 0.75 * table[1] + 0.25 * table[2], table[0], table[3]])
    torch.testing.assert_close(got, expected)


def small_pair(seed=0, part="synthesis"):
    """The same small model 2 without and with a conditioned ``part`` ("synthesis" or "analysis"; still neutral)."""
    torch.manual_seed(seed)
    plain = ContextModel(ContextModelConfig(n=16, m=32, slices=(16, 16), width=8)).eval()
    conditioned = ContextModel(ContextModelConfig(n=16, m=32, slices=(16, 16), width=8,
                                                  **{f"conditioned_{part}": True})).eval()
    missing, unexpected = conditioned.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and all(name.startswith(f"{part}_modulation.") for name in missing) and missing
    return plain, conditioned


def test_a_neutral_conditioned_synthesis_decodes_as_the_plain_one():
    plain, conditioned = small_pair()
    latent = torch.randn(2, 32, 4, 4)
    level = torch.tensor([0.0, 8.5])
    torch.testing.assert_close(conditioned.synthesis(level)(latent), plain.synthesis(level)(latent), rtol=0, atol=0)
    assert plain.synthesis(level) is plain.g_s and plain.modulation_parameters() == []


def test_a_level_s_modulation_changes_only_the_levels_around_it():
    _, conditioned = small_pair()
    latent = torch.randn(1, 32, 4, 4)
    before = {lv: conditioned.synthesis(torch.tensor([lv]))(latent) for lv in (0.0, 7.0, 8.5, 9.0)}
    with torch.no_grad():
        conditioned.synthesis_modulation.log_scale[9] += 0.3
        conditioned.synthesis_modulation.shift[9, 0] -= 0.1
    after = {lv: conditioned.synthesis(torch.tensor([lv]))(latent) for lv in before}
    for lv in (0.0, 7.0):
        torch.testing.assert_close(after[lv], before[lv], rtol=0, atol=0)
    for lv in (8.5, 9.0):
        assert (after[lv] - before[lv]).abs().max() > 1e-3


def test_training_pass_conditions_each_sample_on_its_own_level():
    _, conditioned = small_pair()
    with torch.no_grad():
        conditioned.synthesis_modulation.log_scale.normal_(0, 0.2)
    x = torch.rand(2, 3, 64, 64)
    levels = torch.tensor([1.0, 8.0])
    torch.manual_seed(3)
    both = conditioned(x, levels)["x_hat"]
    for i in range(2):
        torch.manual_seed(3)
        alone = conditioned(x, levels[i].repeat(2))["x_hat"][i]
        # Same noise draw, so only the level differs for the other sample; this one's output must match.
        torch.testing.assert_close(both[i], alone, rtol=1e-5, atol=1e-5)


def test_the_config_keeps_weights_without_it_as_they_were_and_carries_it_when_set():
    assert "conditioned_synthesis" not in ModelConfig().to_dict()
    assert "conditioned_synthesis" not in ContextModelConfig().to_dict()
    stored = ContextModelConfig(conditioned_synthesis=True).to_dict()
    assert stored["conditioned_synthesis"] is True and stored["kind"] == "context"
    rebuilt = build_model(json.loads(json.dumps(stored)))
    assert rebuilt.config.conditioned_synthesis and rebuilt.synthesis_modulation is not None
    assert build_model(ModelConfig(n=16, m=24, conditioned_synthesis=True).to_dict()).synthesis_modulation is not None
    assert isinstance(build_model(ModelConfig(n=16, m=24).to_dict()), HyperpriorModel)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_the_codec_decodes_with_the_level_s_synthesis(tmp_path, precision):
    """Weights with a conditioned synthesis round-trip through the codec, and its modulation is applied at the
    file's quality: changing it at the top levels changes a high-quality decode, not a low-quality one."""
    _, conditioned = small_pair(seed=1)
    path = tmp_path / "conditioned.safetensors"
    save_weights(conditioned, path)
    model, _ = load_weights(path)
    assert model.config.conditioned_synthesis
    image = synthetic_photo(64, 96, seed=4)
    codec = aecodec.Codec(2, weights=str(path), precision=precision)
    low, high = codec.encode(image, quality=5), codec.encode(image, quality=95)
    low_before, high_before = np.asarray(codec.decode(low)), np.asarray(codec.decode(high))
    assert low_before.shape == image.shape
    with torch.no_grad():
        codec.engine.model.synthesis_modulation.shift[-2:] += 0.5
    assert np.array_equal(np.asarray(codec.decode(low)), low_before)
    assert not np.array_equal(np.asarray(codec.decode(high)), high_before)


def test_a_neutral_conditioned_analysis_analyses_as_the_plain_one_and_a_modulated_one_per_level():
    plain, conditioned = small_pair(part="analysis")
    x = torch.rand(2, 3, 64, 64)
    level = torch.tensor([0.0, 8.5])
    torch.testing.assert_close(conditioned.analysis(level)(x), plain.analysis(level)(x), rtol=0, atol=0)
    assert plain.analysis(level) is plain.g_a and plain.analysis_modulation_parameters() == []
    with torch.no_grad():
        conditioned.analysis_modulation.log_scale[9] += 0.3
    after = conditioned.analysis(level)(x)
    torch.testing.assert_close(after[0], plain.g_a(x)[0], rtol=0, atol=0)
    assert (after[1] - plain.g_a(x)[1]).abs().max() > 1e-3


def test_the_config_carries_a_conditioned_analysis_only_when_set():
    assert "conditioned_analysis" not in ModelConfig().to_dict()
    assert "conditioned_analysis" not in ContextModelConfig(conditioned_synthesis=True).to_dict()
    stored = json.loads(json.dumps(ContextModelConfig(conditioned_analysis=True).to_dict()))
    rebuilt = build_model(stored)
    assert rebuilt.config.conditioned_analysis and rebuilt.analysis_modulation is not None
    assert rebuilt.synthesis_modulation is None
    assert build_model(ModelConfig(n=16, m=24, conditioned_analysis=True).to_dict()).analysis_modulation is not None


@pytest.fixture
def analysed_codec(tmp_path):
    """A codec of weights with a conditioned analysis whose top levels are modulated, and its weights file."""
    _, conditioned = small_pair(seed=2, part="analysis")
    with torch.no_grad():
        conditioned.analysis_modulation.log_scale[-3:].normal_(0, 0.3)
    path = tmp_path / "analysed.safetensors"
    save_weights(conditioned, path)
    assert load_weights(path)[0].config.conditioned_analysis
    return aecodec.Codec(2, weights=str(path), precision="fp32"), path


def test_the_codec_analyses_at_the_file_s_quality_and_decodes_without_the_analysis(analysed_codec):
    codec, path = analysed_codec
    image = synthetic_photo(64, 96, seed=5)
    assert codec.engine.analysis_depends_on_quality
    low, high = codec.encode(image, quality=5), codec.encode(image, quality=95)
    with torch.no_grad():
        codec.engine.model.analysis_modulation.log_scale.zero_()
    assert codec.encode(image, quality=5) == low  # the low levels were never modulated
    assert codec.encode(image, quality=95) != high
    fresh = aecodec.Codec(2, weights=str(path), precision="fp32")
    # The decoder never runs the analysis: the neutralised codec decodes the modulated encoder's file alike.
    assert np.array_equal(np.asarray(codec.decode(high)), np.asarray(fresh.decode(high)))


def test_a_bitrate_search_analyses_at_each_quality_it_tries(analysed_codec):
    codec, _ = analysed_codec
    image = synthetic_photo(64, 96, seed=6)
    target = 8 * len(codec.encode(image, quality=80)) / (64 * 96)
    data = codec.encode(image, target_bpp=target)
    quality = container.parse(data).header.quality
    assert codec.encode(image, quality=quality) == data
