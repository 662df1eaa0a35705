"""Overlapping tiles on the latent grid, shared by the tiled transforms and tiled refinement."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

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
