"""rANS entropy coder core (C++). Arrays must be C-contiguous with the exact dtype (nothing is converted:
anything else, None included, is a TypeError); aecodec.entropy converts.

Errors: aecodec.errors.CorruptStreamError / TruncatedStreamError for bad streams, InvalidTableError for
bad tables (also above MAX_TABLES tables or MAX_CDF_ENTRIES CDF entries, refused before allocating),
InvalidInputError (AecodecError, ValueError) for unusable arguments, ResourceError when a worker thread cannot
be started. `threads` is capped by the substream count and the machine's hardware threads. The GIL is released
while coding.
"""

import numpy as np
import numpy.typing as npt

# The extension re-exports aecodec.errors.InvalidInputError itself (bindings.cpp: register_errors).
from .errors import InvalidInputError as InvalidInputError

MAX_TABLES: int  # most tables in one Tables (4096)
MAX_CDF_ENTRIES: int  # most CDF entries over all tables of one Tables (16 * (2**16 + 1))

class Tables:
    """Validated CDF tables. Table t codes offsets[t] + (0 .. num_symbols[t] - 2); its last symbol is the escape."""

    def __init__(
        self,
        cdfs: npt.NDArray[np.uint32],  # tables back to back, num_symbols[t] + 1 entries each, 0 .. 2**precision
        num_symbols: npt.NDArray[np.int32],  # escape included, >= 2
        offsets: npt.NDArray[np.int32],
        precision: int,  # 1 .. 16
    ) -> None: ...
    @property
    def precision(self) -> int: ...
    def __len__(self) -> int: ...

class GaussianModel:
    """One table per grid scale (strictly increasing float32 grid, same length as tables)."""

    def __init__(self, tables: Tables, grid: npt.NDArray[np.float32]) -> None: ...

class GaussianPassDecoder:
    """Incremental decoder of one Gaussian stream of n values (checks the header on construction)."""

    def __init__(self, model: GaussianModel, data: bytes, n: int) -> None: ...
    @property
    def total(self) -> int: ...
    @property
    def decoded(self) -> int: ...
    def decode(
        self, means: npt.NDArray[np.float32], scales: npt.NDArray[np.float32], threads: int = 1
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int32]]: ...
    def finish(self) -> None: ...

def encode_gaussian(
    model: GaussianModel,
    y: npt.NDArray[np.float32],
    means: npt.NDArray[np.float32],
    scales: npt.NDArray[np.float32],
    substreams: int = 1,
    threads: int = 1,
) -> bytes: ...
def decode_gaussian(
    model: GaussianModel,
    data: bytes,
    means: npt.NDArray[np.float32],
    scales: npt.NDArray[np.float32],
    threads: int = 1,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int32]]:
    """Flat (y_hat, symbols)."""
def bits_gaussian(
    model: GaussianModel,
    y: npt.NDArray[np.float32],
    means: npt.NDArray[np.float32],
    scales: npt.NDArray[np.float32],
) -> float: ...
def scale_indexes(model: GaussianModel, scales: npt.NDArray[np.float32]) -> npt.NDArray[np.int32]:
    """Flat table indexes (count of grid scales < scale, capped)."""
def encode_indexed(
    tables: Tables,
    symbols: npt.NDArray[np.int32],
    indexes: npt.NDArray[np.int32],
    substreams: int = 1,
    threads: int = 1,
) -> bytes: ...
def decode_indexed(
    tables: Tables, data: bytes, indexes: npt.NDArray[np.int32], threads: int = 1
) -> npt.NDArray[np.int32]:
    """Flat symbols."""
def bits_indexed(tables: Tables, symbols: npt.NDArray[np.int32], indexes: npt.NDArray[np.int32]) -> float: ...
def stream_substreams(data: bytes, n: int) -> int:
    """Checks a stream's header and substream lengths for n values without decoding; returns the substream count."""
