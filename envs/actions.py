"""Action sets: the compact five moves and procgen's fifteen buttons, as row/column steps."""

from __future__ import annotations

import numpy as np

ACTION_MODES = ("compact", "procgen")

# Compact actions: UP, DOWN, LEFT, RIGHT, NOOP.
UP, DOWN, LEFT, RIGHT, NOOP = range(5)
COMPACT_NAMES = ("UP", "DOWN", "LEFT", "RIGHT", "NOOP")
COMPACT_STEPS = np.array([(-1, 0), (1, 0), (0, -1), (0, 1), (0, 0)], dtype=np.int64)

# procgen's Discrete(15): LEFT = 0, 1, 2; DOWN = 3; NOOP = 4; UP = 5; RIGHT = 6, 7, 8; NOOP = 9..14.
PROCGEN_TO_COMPACT = np.array([LEFT, LEFT, LEFT, DOWN, NOOP, UP, RIGHT, RIGHT, RIGHT] + [NOOP] * 6)
COMPACT_TO_PROCGEN = np.array([5, 3, 1, 7, 4])
PROCGEN_STEPS = COMPACT_STEPS[PROCGEN_TO_COMPACT]

# Letters for action strings in tests and docs: U, D, L, R and '.' for NOOP.
LETTERS = {"U": UP, "D": DOWN, "L": LEFT, "R": RIGHT, ".": NOOP}


def check_action_mode(mode: str) -> None:
    """Raise ``ValueError`` unless ``mode`` is a known action mode."""
    if mode not in ACTION_MODES:
        raise ValueError(f"action mode must be one of {ACTION_MODES}; got {mode!r}")


def action_steps(mode: str) -> np.ndarray:
    """The (n_actions, 2) table of row/column steps for an action mode."""
    check_action_mode(mode)
    return COMPACT_STEPS if mode == "compact" else PROCGEN_STEPS


def parse_actions(text: str, mode: str = "compact") -> list[int]:
    """Turn a string like ``"UURR.D"`` into actions of ``mode``; whitespace is ignored."""
    check_action_mode(mode)
    actions = []
    for ch in text:
        if ch.isspace():
            continue
        if ch.upper() not in LETTERS:
            raise ValueError(f"unknown action letter {ch!r}; use U, D, L, R or '.' (NOOP)")
        compact = LETTERS[ch.upper()]
        actions.append(compact if mode == "compact" else int(COMPACT_TO_PROCGEN[compact]))
    return actions
