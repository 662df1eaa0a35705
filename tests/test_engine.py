"""aecodec.engine helpers that the API tests do not reach directly."""

import numpy as np

from aecodec.engine import quality_to_level, stored_quality


def test_quality_is_stored_and_used_as_float32():
    assert stored_quality(33.3) == float(np.float32(33.3)) != 33.3
    assert quality_to_level(33.3, 8) == quality_to_level(stored_quality(33.3), 8)
    assert quality_to_level(1, 8) == 0.0 and quality_to_level(100, 8) == 7.0
