"""Regenerates tests/data/tiny_model.safetensors and the golden .aec made with it.

Only run this when the format version changes on purpose: the golden file guards compatibility.
"""

from pathlib import Path

import numpy as np
import torch
from PIL import Image

HERE = Path(__file__).resolve().parent


def main() -> None:
    import sys

    sys.path.insert(0, str(HERE.parent))
    from conftest import synthetic_photo

    import aecodec
    from aecodec.nn.model import HyperpriorModel, ModelConfig
    from aecodec.nn.store import save_weights

    torch.manual_seed(0)
    model = HyperpriorModel(ModelConfig(n=8, m=12))
    with torch.no_grad():
        model.log_gain.copy_(torch.linspace(1.0, 3.5, model.num_levels)[:, None].expand_as(model.log_gain))
        model.log_inverse_gain.copy_(-model.log_gain)
    save_weights(model, HERE / "tiny_model.safetensors", {"purpose": "tests only"})
    codec = aecodec.Codec(weights=HERE / "tiny_model.safetensors", precision="fp32")
    data = codec.encode(synthetic_photo(40, 56, seed=7), quality=60)
    (HERE / "golden_tiny.aec").write_bytes(data)
    codec.decode(data).save(HERE / "golden_tiny_decoded.png")


if __name__ == "__main__":
    main()
