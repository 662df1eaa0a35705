"""Overlapping tiles on the latent grid: the tiled transforms (memory bounded on large images) and the tile
grid that tiled refinement also uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import torch

from aecodec.nn.model import HyperpriorModel

LATENT_STRIDE = 16  # pixels per latent element along each side
HYPER_STRIDE = HyperpriorModel.STRIDE // LATENT_STRIDE  # latent elements per hyper-latent element along each side


class Window(NamedTuple):
    """Latent rows [top, bottom) and columns [left, right)."""

    top: int
    left: int
    bottom: int
    right: int

    def scaled(self, factor: int, height: int | None = None, width: int | None = None) -> tuple[slice, slice]:
        """Row and column slices of the window on a grid ``factor`` times finer (optionally cropped)."""
        bottom, right = self.bottom * factor, self.right * factor
        if height is not None:
            bottom, right = min(bottom, height), min(right, width)
        return slice(self.top * factor, bottom), slice(self.left * factor, right)

    def shrunk(self, factor: int) -> tuple[slice, slice]:
        """Row and column slices of the window on a grid ``factor`` times coarser (edges multiples of it)."""
        return (slice(self.top // factor, -(-self.bottom // factor)),
                slice(self.left // factor, -(-self.right // factor)))

    def relative_to(self, origin: "Window") -> "Window":
        """This window in the coordinates of ``origin``'s top-left corner."""
        return Window(self.top - origin.top, self.left - origin.left, self.bottom - origin.top,
                      self.right - origin.left)


def tiles(rows: int, cols: int, tile: int, margin: int) -> Iterator[tuple[Window, Window]]:
    """(tile, region) pairs in raster order: tiles of ``tile`` cover the grid, each region adds ``margin``."""
    for top in range(0, rows, tile):
        for left in range(0, cols, tile):
            bottom, right = min(top + tile, rows), min(left + tile, cols)
            yield (Window(top, left, bottom, right),
                   Window(max(top - margin, 0), max(left - margin, 0), min(bottom + margin, rows),
                          min(right + margin, cols)))


def apply_tiled(x: torch.Tensor, transform: Callable[[torch.Tensor], torch.Tensor], scale: float, out_channels: int,
                tile: int, margin: int, bf16: bool, crop: tuple[int, int] | None = None) -> torch.Tensor:
    """Applies a (de)convolutional transform in overlapping tiles laid on the latent grid.

    ``scale`` is output size / input size (1/16 for analysis, 16 for synthesis); tiles of ``tile`` latent
    elements see ``margin`` more on each side; ``bf16`` runs the transform under bf16 autocast. Synthesis
    output is clamped, rounded and converted to uint8 tile by tile to keep memory bounded.
    """
    synthesis = scale > 1
    unit = 1 if synthesis else LATENT_STRIDE  # input elements per latent element
    lh, lw = (x.shape[2] // unit, x.shape[3] // unit)
    out_h, out_w = int(x.shape[2] * scale), int(x.shape[3] * scale)
    if crop is not None:
        out_h, out_w = crop
    dtype = torch.uint8 if synthesis else torch.float32
    out = torch.empty((1, out_channels, out_h, out_w), dtype=dtype)
    out_unit = LATENT_STRIDE if synthesis else 1  # output elements per latent element
    step = tile if max(lh, lw) > tile + 2 * margin else max(lh, lw)
    for inner, (t0, l0, t1, l1) in tiles(lh, lw, step, margin):
        top, left, bottom, right = inner
        region = x[:, :, t0 * unit : t1 * unit, l0 * unit : l1 * unit]
        if region.dtype == torch.uint8:
            region = region.float().div_(255)
        region = region.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            part = transform(region).float()
        oy, ox = (top - t0) * out_unit, (left - l0) * out_unit
        ty0, tx0 = top * out_unit, left * out_unit
        ty1, tx1 = min(bottom * out_unit, out_h), min(right * out_unit, out_w)
        if ty0 >= ty1 or tx0 >= tx1:
            continue
        piece = part[:, :, oy : oy + ty1 - ty0, ox : ox + tx1 - tx0]
        if synthesis:
            piece = piece.clamp_(0, 1).mul_(255).round_().to(torch.uint8)
        out[:, :, ty0:ty1, tx0:tx1] = piece
    return out
