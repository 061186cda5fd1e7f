"""What training may change in the game, by maze size and step: a time limit scaled to the maze, and a
curriculum over maze sizes. Evaluations never use either; they play the game's mazes for its 500 steps.

Time limit per maze size
    A training episode on a maze of size ``s`` is truncated after ``min(max_steps, ceil(k * s))`` steps
    (``k = 0``: after ``max_steps`` on every maze). The shortest path from the start to a region-5
    cheese grows a little faster than the side (in a sample, level seeds 0-5999 of the 25x25 world: mean
    2.8 steps at size 3, 32 at 15, 64 at 25; the longest 6, 62 and 114, at most 5.2x the side at every
    size), far slower than its square, so a limit linear in ``s`` leaves most mazes a similar margin
    over their path, where one in ``s**2`` sized for the largest mazes would cut the smallest ones'
    paths short. A rare maze's path can exceed its limit (a size-19 maze could need up to 198 steps
    against 152 at ``k = 8``): such an episode is truncated in training and bootstraps there.
Size curriculum
    Over the first ``curriculum_steps`` env-steps the largest maze size drawn grows from 3 to the world
    size in equal stages (one per odd size); from then on every size is drawn, as in the game. The env
    draws level seeds as it would without a curriculum and draws again when a seed's maze is larger than
    the stage allows, so a level seed always names the same maze and the sizes allowed stay uniform.
"""

from __future__ import annotations

import math

from cheesemaze.envs.maze import check_world_size

SMALLEST_MAZE = 3
CURRICULUM_DRAWS = 10_000
"""Level seeds the curriculum draws for one maze before it gives up: each size is drawn with probability
at least 1/12 in the 25x25 world, so the game's own level range never comes near it (a miss is about
(11/12)**10000); only a level range without small mazes does."""


def check_schedule(max_steps_per_size: float, curriculum_steps: int) -> None:
    """Raise ``ValueError`` unless the per-size limit and the curriculum length are non-negative."""
    if isinstance(max_steps_per_size, bool) or not isinstance(max_steps_per_size, (int, float)) \
            or not 0 <= max_steps_per_size < math.inf:
        raise ValueError(f"max_steps_per_size must be a non-negative number (0: off); got {max_steps_per_size!r}")
    if isinstance(curriculum_steps, bool) or not isinstance(curriculum_steps, int) or curriculum_steps < 0:
        raise ValueError(f"size_curriculum_steps must be an integer >= 0 (0: off); got {curriculum_steps!r}")


def time_limit(size: int, max_steps: int, max_steps_per_size: float) -> int:
    """Steps after which a training episode on a maze of side ``size`` is truncated."""
    if max_steps_per_size == 0:
        return max_steps
    # rounded first so that a product like 2.2 * 25 = 55.000000000000007 is 55 steps, not 56
    return min(max_steps, math.ceil(round(max_steps_per_size * size, 9)))


def largest_size(step: int, curriculum_steps: int, world_size: int) -> int:
    """The largest maze size drawn after ``step`` env-steps of a curriculum of ``curriculum_steps``
    (0: none): 3 at step 0, then one odd size more every ``curriculum_steps / n_sizes`` steps, the world
    size from the last stage on."""
    check_world_size(world_size)
    if curriculum_steps == 0 or step >= curriculum_steps:
        return world_size
    n_sizes = (world_size - SMALLEST_MAZE) // 2 + 1
    return SMALLEST_MAZE + 2 * (max(step, 0) * n_sizes // curriculum_steps)
