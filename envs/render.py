"""Observations of a batch of mazes: the ``grid`` channels and a procgen-like 64x64 RGB frame."""

from __future__ import annotations

import numpy as np

OBS_MODES = ("grid", "rgb")
RGB_SIZE = 64

# Channels of the grid observation.
WALL, CHEESE, MOUSE = range(3)

# Flat colours of the RGB frame: floor, wall, cheese, mouse (mouse drawn over cheese).
PALETTE = np.array(
    [[191, 178, 150], [46, 87, 52], [250, 205, 40], [120, 90, 70]], dtype=np.uint8
)


def check_obs_mode(mode: str) -> None:
    """Raise ``ValueError`` unless ``mode`` is a known observation mode."""
    if mode not in OBS_MODES:
        raise ValueError(f"observation mode must be one of {OBS_MODES}; got {mode!r}")


def pixel_cells(world_size: int, size: int = RGB_SIZE) -> np.ndarray:
    """For each pixel row (or column), the world cell it shows: the whole world scaled to ``size``."""
    return (np.arange(size) * world_size) // size


def grid_to_rgb(grid: np.ndarray) -> np.ndarray:
    """Render grid observations (n, 3, W, W) as RGB frames (n, 64, 64, 3), whole world in view."""
    kind = np.zeros(grid.shape[:1] + grid.shape[2:], dtype=np.uint8)
    kind[grid[:, WALL] > 0] = 1
    kind[grid[:, CHEESE] > 0] = 2
    kind[grid[:, MOUSE] > 0] = 3
    cells = pixel_cells(grid.shape[-1])
    return PALETTE[kind[:, cells[:, None], cells[None, :]]]
