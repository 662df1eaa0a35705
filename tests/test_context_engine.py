"""Model 2's coding engine: the context networks run in bands of rows without changing a coded value."""

import numpy as np
import pytest
import torch

import aecodec
from aecodec import container
from aecodec.engine import CodedLatents
from conftest import synthetic_photo


def _coded_with_band(codec, image, band: int):
    """The file, coded latent and synthesis input of ``image`` with the context networks in bands of ``band`` rows."""
    engine = codec.engine
    saved = engine.context_band
    engine.context_band = band
    try:
        data = bytes(codec.encode(image, quality=50))
        parsed = container.parse(data)
        coded = CodedLatents(parsed.sections[container.HYPER_LATENT], parsed.sections[container.LATENT])
        latent, synthesis_input = engine.decode_coded_latent(coded, *image.shape[:2], 1)
    finally:
        engine.context_band = saved
    return data, latent, synthesis_input


@pytest.mark.parametrize("band", [1, 3, 7])
def test_bands_code_exactly_what_the_whole_latent_codes(band):
    """The shipped model 2 on a 12 x 20 latent: every band size gives the same bytes, coded latent and
    synthesis input as one band (halos cover the 3x3 convolutions; edge bands see the zero padding)."""
    codec = aecodec.Codec(2, precision="fp32", threads=1)
    image = synthetic_photo(140, 270, seed=3)
    whole = _coded_with_band(codec, image, 1000)
    banded = _coded_with_band(codec, image, band)
    assert whole[1].shape[2:] == (12, 20)
    assert banded[0] == whole[0]
    assert torch.equal(banded[1], whole[1])
    assert torch.equal(banded[2], whole[2])
    assert not np.array_equal(whole[2].numpy(), whole[1].numpy())  # the residual prediction ran
