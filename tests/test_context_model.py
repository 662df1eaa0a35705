"""Model 2 (context entropy model): warm start from model 1, coding passes, determinism, stream checks."""

import numpy as np
import pytest
import torch
from torch import nn

import aecodec
from aecodec.context_engine import ContextEngine
from aecodec.errors import AecodecError
from aecodec.entropy.gaussian import SCALE_BOUND
from aecodec.nn.context_model import MEAN_SHIFT_BOUND, ContextModel, ContextModelConfig, SliceContext, anchor_mask
from aecodec.nn.store import load_weights, save_weights
from conftest import TINY_MODEL, synthetic_photo


def tiny_context_model(seed: int = 0) -> ContextModel:
    """Model 2 on the tiny test model's transforms, with its context part moved off zero."""
    tiny, _ = load_weights(TINY_MODEL)
    config = ContextModelConfig(n=tiny.config.n, m=tiny.config.m, lambdas=tiny.config.lambdas, slices=(2, 2, 4, 4),
                                width=8)
    model = ContextModel(config)
    model.load_state_dict(tiny.state_dict(), strict=False)
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in model.context_parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model.eval()


@pytest.fixture(scope="module")
def tiny_context_weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("model2") / "tiny_context.safetensors"
    save_weights(tiny_context_model(), path, {"purpose": "tests only"})
    return path


def test_warm_start_from_model_1_codes_exactly_as_model_1():
    model1, _ = load_weights(TINY_MODEL)
    model2 = ContextModel(ContextModelConfig(n=model1.config.n, m=model1.config.m, lambdas=model1.config.lambdas,
                                             slices=(2, 2, 4, 4), width=8))
    missing, unexpected = model2.load_state_dict(model1.state_dict(), strict=False)
    assert not unexpected and missing and all(name.startswith("contexts.") for name in missing)
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    level = torch.tensor([0.5, 8.0])
    with torch.no_grad():
        out1, out2 = model1(x, level, "ste"), model2(x, level, "ste")
    for key in ("x_hat", "y_likelihood", "z_likelihood"):
        assert torch.equal(out1[key], out2[key])


def test_context_changes_the_likelihoods():
    model = tiny_context_model()
    model1, _ = load_weights(TINY_MODEL)
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert not torch.equal(model(x, torch.tensor([4.0]), "ste")["y_likelihood"],
                               model1(x, torch.tensor([4.0]), "ste")["y_likelihood"])


def test_anchor_mask_is_a_checkerboard():
    mask = anchor_mask(3, 4)[0, 0]
    assert mask.tolist() == [[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]]


def test_weights_file_loads_as_model_2(tiny_context_weights):
    model, meta = load_weights(tiny_context_weights)
    assert isinstance(model, ContextModel) and model.config.slices == (2, 2, 4, 4)
    assert aecodec.Codec(weights=tiny_context_weights, precision="fp32").engine.__class__ is ContextEngine


@pytest.mark.parametrize("height,width", [(40, 56), (70, 130)])
def test_round_trip_reconstructs_what_the_encoder_coded(tiny_context_weights, height, width):
    codec = aecodec.Codec(weights=tiny_context_weights, precision="fp32")
    image = synthetic_photo(height, width, seed=height)
    engine = codec.engine
    latent = engine.analyze(image, 60.0)
    coded = engine.encode_latent(latent, 60.0, 1, 1, image_size=(height, width))
    decoded = engine.decode_latent(coded, height, width, 60.0, 1)
    assert decoded.shape == (height, width, 3)
    # The streams decode to the very latent the encoder coded: decoding twice, with other thread
    # counts and substreams, gives the same pixels.
    again = engine.decode_latent(coded, height, width, 60.0, 2)
    assert np.array_equal(decoded, again)
    data = codec.encode(image, quality=60)
    assert np.array_equal(np.asarray(codec.decode(data)), decoded)


def test_tables_do_not_depend_on_the_transforms_precision(tiny_context_weights):
    """The passes' tables come from float64 context networks: a bf16 decoder reads an fp32 encoder's file."""
    image = synthetic_photo(48, 80, seed=5)
    fp32 = aecodec.Codec(weights=tiny_context_weights, precision="fp32")
    bf16 = aecodec.Codec(weights=tiny_context_weights, precision="bf16")
    data = fp32.encode(image, quality=40)
    header = aecodec.container.parse(data).header
    coded = aecodec.coding.CodedLatents(*(aecodec.container.parse(data).sections[t] for t in (b"ZLAT", b"YLAT")))
    # Decoding consumes every pass exactly and only the synthesis' arithmetic differs.
    a = fp32.engine.decode_latent(coded, header.height, header.width, header.quality, 1)
    b = bf16.engine.decode_latent(coded, header.height, header.width, header.quality, 2)
    assert np.abs(a.astype(int) - b.astype(int)).mean() < 2.0


@pytest.mark.parametrize("substreams", [1, 3])
@pytest.mark.parametrize("height,width", [(24, 24), (64, 200)])
def test_one_stream_for_all_passes(tiny_context_weights, height, width, substreams):
    """All passes are one stream (K substreams whose boundaries fall inside passes): decoding it pass by
    pass with 1 or 2 threads gives the latent the encoder coded."""
    from aecodec.entropy._checks import stream_bytes

    engine = aecodec.Codec(weights=tiny_context_weights, precision="fp32").engine
    image = synthetic_photo(height, width, seed=width)
    coded = engine.encode_latent(engine.analyze(image, 50.0), 50.0, substreams, 1, image_size=(height, width))
    _, _, yh, yw = engine.latent_shape(height, width, engine.model.config.m)
    assert engine.gaussian.check_stream(stream_bytes(coded.y_stream), engine.model.config.m * yh * yw) == substreams
    one, _ = engine.decode_coded_latent(coded, height, width, 1)
    two, _ = engine.decode_coded_latent(coded, height, width, 2)
    assert torch.equal(one, two)


def test_latent_section_is_one_stream_with_no_pass_table(monkeypatch):
    """Model 2's YLAT for a Kodak-sized image costs its ideal code length plus one stream's fixed bytes
    (tag, substream count, two 8-byte states, word padding): ten streams behind a pass table cost ~160 more."""
    codec = aecodec.Codec(2, precision="fp32", threads=1)
    gaussian = codec.engine.gaussian
    coded_inputs = []
    real_compress = gaussian.compress

    def recording_compress(y, means, scales, **kwargs):
        coded_inputs.append((y, means, scales))
        return real_compress(y, means, scales, **kwargs)

    image = synthetic_photo(512, 768, seed=11)
    monkeypatch.setattr(gaussian, "compress", recording_compress)
    data = codec.encode(image, quality=5)
    assert len(coded_inputs) == 1  # one stream for every pass
    section = aecodec.container.parse(data).sections[aecodec.container.LATENT]
    ideal = gaussian.estimate_bits(*coded_inputs[0]) / 8
    # fixed bytes: tag 1 + substream count 1 + states 16 + padding <= 3; measured 14.6 over the ideal
    assert ideal - 4 <= len(section) <= ideal + 24


def test_corrupt_stream_is_an_error_not_garbage(tiny_context_weights):
    codec = aecodec.Codec(weights=tiny_context_weights, precision="fp32")
    image = synthetic_photo(40, 56, seed=9)
    engine = codec.engine
    coded = engine.encode_latent(engine.analyze(image, 60.0), 60.0, 1, 1)
    stream = coded.y_stream
    middle = len(stream) // 2
    for broken in (stream[:-4], stream[:-2], stream + bytes(4),
                   stream[:middle] + bytes([stream[middle] ^ 0x5A]) + stream[middle + 1 :]):
        with pytest.raises(AecodecError):
            engine.decode_latent(aecodec.coding.CodedLatents(coded.z_stream, broken), 40, 56, 60.0, 1)


def test_broken_stream_headers_fail_before_the_networks_run(tiny_context_weights, monkeypatch):
    """The stream header is checked against the latent's element count before the context networks run."""
    from aecodec import container
    from aecodec.errors import CorruptStreamError

    codec = aecodec.Codec(weights=tiny_context_weights, precision="fp32")
    data = codec.encode(synthetic_photo(40, 56, seed=5), quality=50)
    parsed = container.parse(data)
    stream = parsed.sections[container.LATENT]
    assert codec.decode(data).size == (56, 40)

    def networks_ran(*args, **kwargs):
        raise AssertionError("the context networks ran before the cheap checks")

    monkeypatch.setattr(codec.engine, "_code_passes", networks_ran)
    # bad tag, impossible substream count, lengths beyond the stream, a length that is not whole words
    for broken in (b"\x00" + stream[1:], b"\xa1\x88\x27" + bytes(16), b"\xa1\x02\xff\xff\x03" + bytes(32),
                   stream + b"\0\0"):
        parsed.sections[container.LATENT] = broken
        with pytest.raises(CorruptStreamError):
            codec.decode(container.serialize(parsed))


def test_the_context_moves_a_mean_by_at_most_a_few_hyperprior_scales():
    """Unbounded, the context moved means by hundreds of scales on a synthetic gradient (docs/TRAINING.md)."""
    context = SliceContext(channels=2, previous=0, width=4)
    nn.init.constant_(context.parameters_net[-1].bias, 0.0)
    context.parameters_net[-1].bias.data[:2] = torch.tensor([100.0, 0.05])  # mean shifts: huge, small
    hyper_means = torch.zeros(1, 2, 3, 3)
    hyper_scales = torch.tensor([0.5, 0.5]).view(1, 2, 1, 1).expand(1, 2, 3, 3)
    for scales, limit in ((hyper_scales, 0.5), (hyper_scales * 0 - 1, SCALE_BOUND)):  # raw scales below the floor
        with torch.no_grad():
            means, _ = context.entropy_parameters(torch.cat([hyper_means, scales], dim=1), None, None)
        assert torch.allclose(means[:, 0], torch.full((1, 3, 3), MEAN_SHIFT_BOUND * limit))
        assert torch.allclose(means[:, 1], torch.full((1, 3, 3), 0.05))  # within the bound: unchanged
