"""Writes golden .aec files, one per readable format version, with the tiny test model.

    python tests/data/make_tiny_model.py --model    # regenerate tiny_model.safetensors and every golden
    python tests/data/make_tiny_model.py            # goldens only, with the existing model

Only run this when the format changes on purpose: golden files guard compatibility, and files of every
version this build reads must keep decoding to the very same pixels. Regenerate an older version's golden
only after checking that the old file still decodes as before.
"""

import math
import runpy
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent


def make_model() -> None:
    from aecodec.nn.model import HyperpriorModel, ModelConfig
    from aecodec.nn.store import save_weights

    torch.manual_seed(0)
    model = HyperpriorModel(ModelConfig(n=8, m=12))
    with torch.no_grad():
        model.log_gain.copy_(torch.linspace(1.0, 3.5, model.num_levels)[:, None].expand_as(model.log_gain))
        model.log_inverse_gain.copy_(-model.log_gain)
        # Predicted scales spread over the coder's grid (0.2 to 20), so that the table choice matters.
        m = model.config.m
        model.h_s[-1].bias[m:] = torch.exp(torch.linspace(math.log(0.2), math.log(20.0), m))
    save_weights(model, HERE / "tiny_model.safetensors", {"purpose": "tests only"})


def write_golden(codec, image, version: int) -> None:
    from aecodec import container
    from aecodec.imageio import to_planar

    planar = to_planar(image)
    engine = codec.engine
    latent = engine.analyze(planar.rgb, 60.0)
    coded = engine.encode_latent(latent, 60.0, 1, 1, scale_rule=container.SCALE_RULE_OF_VERSION[version])
    header = container.Header(model_id=codec.model_id, fingerprint=engine.fingerprint_bytes, width=planar.width,
                              height=planar.height, mode=planar.mode, quality=60.0, version=version)
    data = container.serialize(container.Container(
        header, {container.HYPER_LATENT: coded.z_stream, container.LATENT: coded.y_stream}))
    (HERE / f"golden_tiny_v{version}.aec").write_bytes(data)
    codec.decode(data).save(HERE / f"golden_tiny_v{version}_decoded.png")


def main() -> None:
    synthetic_photo = runpy.run_path(str(HERE.parent / "conftest.py"))["synthetic_photo"]
    import aecodec
    from aecodec import container

    if "--model" in sys.argv[1:]:
        make_model()
    codec = aecodec.Codec(weights=HERE / "tiny_model.safetensors", precision="fp32")
    image = synthetic_photo(40, 56, seed=7)
    for version in container.SCALE_RULE_OF_VERSION:
        write_golden(codec, image, version)
    current = codec.encode(image, quality=60)
    assert current == (HERE / f"golden_tiny_v{container.FORMAT_VERSION}.aec").read_bytes()


if __name__ == "__main__":
    main()
