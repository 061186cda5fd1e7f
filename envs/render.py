"""Observations of a batch of mazes: the ``grid`` channels and a procgen-like 64x64 RGB frame."""

from __future__ import annotations

import numpy as np

OBS_MODES = ("grid", "rgb")
RGB_SIZE = 64

# Channels of the grid observation. TRAP exists only in the observation of an env with traps
# (``EnvConfig.traps > 0``); every other grid has the first three alone.
WALL, CHEESE, MOUSE, TRAP = range(4)


def grid_channels(trap_channel: bool) -> int:
    """Channels of a grid observation: wall, cheese and mouse, and the trap channel where it is drawn."""
    return TRAP + 1 if trap_channel else TRAP

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


# Colour of each (wall, cheese, mouse) bit pattern, indexed by wall + 2 * cheese + 4 * mouse.
CELL_COLOURS = np.array(
    [PALETTE[3] if code & 4 else PALETTE[2] if code & 2 else PALETTE[code & 1] for code in range(8)],
    dtype=np.uint8,
)


def grid_to_rgb(grid: np.ndarray) -> np.ndarray:
    """Render grid observations (n, 3, W, W) as RGB frames (n, 64, 64, 3), whole world in view."""
    on = grid > 0
    code = on[:, WALL] + 2 * on[:, CHEESE].astype(np.uint8) + 4 * on[:, MOUSE].astype(np.uint8)
    cells = pixel_cells(grid.shape[-1])
    # Colour the W x W cells first, then stretch rows and columns (np.take keeps the result
    # C-contiguous): a third of the time of one 2-D gather over the 64 x 64 pixels.
    return np.take(np.take(CELL_COLOURS[code], cells, axis=1), cells, axis=2)
