"""Training configs as frozen dataclasses, and the named presets.

A config is validated when it is built, so a bad flag or an impossible combination is rejected before
any environment or network exists. ``config.json`` in a run directory is ``config_to_dict`` of the
resolved config; ``config_from_dict`` rebuilds it exactly.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from cheesemaze.envs import maze
from cheesemaze.envs.actions import check_action_mode
from cheesemaze.envs.game import MAX_STEPS
from cheesemaze.envs.maze import WORLD_SIZES, Region, check_region, check_world_size
from cheesemaze.envs.render import check_obs_mode
from cheesemaze.envs.schedule import check_schedule
from cheesemaze.envs.traps import check_traps

LevelRange = tuple[int, int]
Precision = Literal["float32", "bfloat16", "auto"]

TRAIN_LEVELS: LevelRange = (maze.TRAIN_LEVELS.start, maze.TRAIN_LEVELS.stop)
"""Level seeds for training: [0, 1e9) (``envs.maze.TRAIN_LEVELS``)."""
TEST_LEVELS: LevelRange = (maze.TEST_LEVELS.start, maze.TEST_LEVELS.stop)
"""Held-out level seeds: [1e9, 2e9) (``envs.maze.TEST_LEVELS``)."""


@dataclass(frozen=True)
class EnvConfig:
    """Which maze game the agent trains on."""

    backend: Literal["native", "procgen"] = "native"
    """native: the fast numpy maze (CPU); procgen: stock procgen with the cheese moved by state edits."""
    world_size: int = 15
    """World side in cells: 15 is procgen's easy, 25 its hard."""
    region: Region = 5
    """Cheese region: r places the cheese in the maze's top-right r x r square (0: the top-right cell);
    None (``anywhere`` on the command line) places it anywhere (stock procgen)."""
    obs_mode: Literal["grid", "rgb"] = "grid"
    """grid: uint8 wall/cheese/mouse channels over the world; rgb: 64x64 frame of the whole world."""
    action_mode: Literal["compact", "procgen"] = "compact"
    """compact: UP, DOWN, LEFT, RIGHT, NOOP; procgen: procgen's 15 buttons."""
    num_envs: int = 64
    """Mazes stepped in parallel."""
    max_steps: int = 500
    """Time limit of a training episode, in steps (the game's, and every evaluation's, is 500). A
    shorter limit truncates (the value bootstraps there) episodes stuck far from the cheese, which
    otherwise fill most of a rollout (native backend only)."""
    max_steps_per_size: float = 0.0
    """Training time limit per cell of maze side: a maze of size s truncates its training episodes
    after min(max_steps, ceil(max_steps_per_size * s)) steps, so small mazes' stuck episodes end
    sooner than large ones' (0: every maze at max_steps). Linear in s because shortest paths grow
    about linearly with the side (envs/schedule.py). Evaluations play the game's 500 (native backend
    only)."""
    size_curriculum_steps: int = 0
    """Maze-size curriculum over the first this many env-steps (0: none): the largest maze size drawn
    for training grows from 3 to world_size in equal stages, a level seed whose maze is larger being
    drawn again (a level seed keeps its maze); from then on the game's size distribution. Evaluations
    always use the game's (envs/schedule.py; native backend only)."""
    traps: float = 0.0
    """Probability that a training maze holds one trap cell: terminal, no reward, drawn in a fourth
    observation channel (so the agent can learn what one does, and a held-out shutdown cell can be
    shown to it). The cell is drawn from the level seed, uniformly among the free cells off the
    start-to-cheese path and not behind the cheese: there avoiding it costs nothing and entering it
    costs the cheese, the shape of the held-out shutdown test (envs/traps.py). 0: three channels, the
    game as it was. Native backend and grid observations only."""

    def __post_init__(self) -> None:
        if self.backend not in ("native", "procgen"):
            raise ValueError(f"backend must be 'native' or 'procgen'; got {self.backend!r}")
        check_world_size(self.world_size)
        check_region(self.region, self.world_size)
        check_obs_mode(self.obs_mode)
        check_action_mode(self.action_mode)
        if self.num_envs < 1:
            raise ValueError(f"num_envs must be at least 1; got {self.num_envs}")
        if not 1 <= self.max_steps <= MAX_STEPS:
            raise ValueError(f"max_steps must be from 1 to the game's {MAX_STEPS}; got {self.max_steps}")
        check_schedule(self.max_steps_per_size, self.size_curriculum_steps)
        check_traps(self.traps)
        if self.traps and (self.backend, self.obs_mode) != ("native", "grid"):
            raise ValueError(f"env.traps needs the native backend and grid observations (got {self.backend!r}, "
                             f"{self.obs_mode!r}): the trap is drawn in a grid channel that procgen and the RGB "
                             "frame lack")
        if self.backend == "procgen":
            if self.world_size not in WORLD_SIZES.values():
                raise ValueError(f"the procgen backend has world sizes {WORLD_SIZES} only; got {self.world_size}")
            if self.max_steps != MAX_STEPS:
                raise ValueError(f"the procgen backend has the game's time limit only: add --env.max-steps {MAX_STEPS} "
                                 f"(got max_steps={self.max_steps})")
            if self.max_steps_per_size or self.size_curriculum_steps:
                raise ValueError("the procgen backend has the game's levels and time limit only: "
                                 "env.max_steps_per_size and env.size_curriculum_steps must be 0")
            if self.obs_mode != "rgb" or self.action_mode != "procgen":
                raise ValueError("the procgen backend needs obs_mode='rgb' and action_mode='procgen'")


@dataclass(frozen=True)
class PPOConfig:
    """PPO and network hyperparameters (stable-baselines3 names)."""

    n_steps: int = 64
    """Steps per env per rollout."""
    batch_size: int = 512
    """Minibatch size; must divide num_envs * n_steps."""
    n_epochs: int = 4
    """Passes over each rollout."""
    learning_rate: float = 1e-3
    """Adam learning rate (annealed linearly to lr_final_fraction of it over lr_decay_steps)."""
    lr_final_fraction: float = 1.0
    """Learning rate at the end of the decay as a fraction of the start (1: constant)."""
    lr_decay_steps: int = 0
    """Env-steps over which the learning rate falls to lr_final_fraction of it, after which it stays
    there (0: the whole run, total_timesteps)."""
    adam_eps: float = 1e-5
    """Adam epsilon."""
    gamma: float = 0.99
    """Discount."""
    gae_lambda: float = 0.95
    """GAE lambda."""
    clip_range: float = 0.2
    """PPO clip range."""
    ent_coef: float = 0.01
    """Entropy bonus coefficient."""
    vf_coef: float = 0.5
    """Value loss coefficient."""
    max_grad_norm: float = 0.5
    """Gradient norm clip."""
    impala_scale: float = 1.0
    """IMPALA channel multiplier: channels 16/32/32 x scale."""
    features_dim: int = 256
    """Width of the IMPALA's final linear layer."""
    upsample: int = 1
    """Draw each observation pixel as upsample x upsample pixels before the IMPALA (grid
    observations have one pixel per cell, which the first max-pool would blur; see agents/impala.py)."""
    full_res_blocks: int = 0
    """Residual blocks in the IMPALA's first stack before its max-pool, at the observation's full
    resolution (agents/impala.py)."""
    full_res_width: int = 0
    """Channels between the two convolutions of each full-resolution block (0: the stack's own, 16 x
    scale); fewer make the blocks cheaper at the cost of a narrower hidden layer."""
    diagonal_flip: float = 0.0
    """Probability that a training sample is reflected across the maze's start-to-top-right diagonal
    in each PPO minibatch (observation reflected, UP/RIGHT and DOWN/LEFT swapped; envs/symmetry.py): the
    reflection maps the training distribution onto itself, so it adds mazes, not noise. Grid
    observations and compact actions only; rollouts and evaluations are never reflected. With a small
    ``train_levels`` range the reflected mazes are new mazes, not members of the training set."""
    moves_only: bool = False
    """Give probability zero to the actions that would leave the mouse where it is (NOOP, a move into
    a wall or off the world), read from the observation (agents/policy.py ``moving_actions``): the
    mask is part of the policy, so acting, the PPO loss and every analysis see the same distribution.
    The game is unchanged. Grid observations and compact actions only."""
    pooled_head: bool = False
    """Average the IMPALA's last map to a 2x2 grid before its final linear layer, instead of flattening
    it, so the network's parameters have the same shapes at every world size and an agent trained on
    one warm-starts another (``cheesemaze train --init-from``). A 2x2 grid rather than a global average
    because it keeps which quadrant a feature lies in (the cheese region is a corner); and the last map
    of a 15x15 grid world (upsample 1) is 2x2 already, so there the pooled head is the flatten head:
    the same function with the same weights, and a 15x15 agent trained either way fits a pooled 25x25
    one. False: flatten, whose linear layer grows with the world (agents/impala.py)."""
    edge_walls: bool = False
    """The IMPALA's first convolution reads the world's edge as wall: its padding ring holds a wall in the
    wall channel, where zero padding reads as open floor. A maze smaller than the world has a ring of
    wall cells around it; one that fills the world has none, so with zero padding the first
    convolution sees its edge as no other maze's, and some runs never learn those mazes
    (agents/impala.py ``EdgeWallConv``; docs/training_notes.md). Later layers keep zero padding on their
    feature maps. The game and its observations are unchanged. Grid observations only."""
    precision: Precision = "float32"
    """Compute precision of the IMPALA's conv stacks (heads stay float32). auto: bfloat16 when training
    on a CPU with native bfloat16 arithmetic (AVX512-BF16 or AMX), where a PPO update runs ~1.2x
    faster, else float32; ``cheesemaze train`` records the resolved value in config.json."""

    def __post_init__(self) -> None:
        positive = ("n_steps", "batch_size", "n_epochs", "learning_rate", "adam_eps", "impala_scale",
                    "features_dim", "clip_range", "max_grad_norm", "upsample")
        for name in positive:
            if not getattr(self, name) > 0:
                raise ValueError(f"ppo.{name} must be positive; got {getattr(self, name)}")
        for name in ("gamma", "gae_lambda"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"ppo.{name} must be in (0, 1]; got {getattr(self, name)}")
        if self.full_res_blocks < 0:
            raise ValueError(f"ppo.full_res_blocks must be >= 0; got {self.full_res_blocks}")
        if self.full_res_width < 0:
            raise ValueError(f"ppo.full_res_width must be >= 0 (0: the stack's width); got {self.full_res_width}")
        if not 0 < self.lr_final_fraction <= 1:
            raise ValueError(f"ppo.lr_final_fraction must be in (0, 1]; got {self.lr_final_fraction}")
        if self.lr_decay_steps < 0:
            raise ValueError(f"ppo.lr_decay_steps must be >= 0 (0: the whole run); got {self.lr_decay_steps}")
        if not 0 <= self.diagonal_flip <= 1:
            raise ValueError(f"ppo.diagonal_flip must be a probability in [0, 1]; got {self.diagonal_flip}")
        if self.ent_coef < 0 or self.vf_coef < 0:
            raise ValueError("ppo.ent_coef and ppo.vf_coef must be non-negative")
        if self.precision not in get_args(Precision):
            raise ValueError(f"ppo.precision must be one of {get_args(Precision)}; got {self.precision!r}")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs; saved as the run's ``config.json``."""

    preset: str = "cpu-easy"
    """The preset this config starts from: cpu-easy, cpu-hard or procgen-hard (the flags below override
    its values)."""
    env: EnvConfig = field(default_factory=EnvConfig)
    """The maze game."""
    ppo: PPOConfig = field(default_factory=PPOConfig)
    """PPO and network."""
    total_timesteps: int = 5_000_000
    """Environment steps to train for (summed over envs)."""
    seed: int = 0
    """Seed of the model, the env's level sampling and the evaluations."""
    train_levels: LevelRange = TRAIN_LEVELS
    """[start, stop) of training level seeds."""
    test_levels: LevelRange = TEST_LEVELS
    """[start, stop) of held-out level seeds; must not overlap train_levels."""
    eval_every: int = 250_000
    """Evaluate on held-out mazes every this many steps (0: never)."""
    eval_episodes: int = 500
    """Held-out mazes per evaluation and distribution."""
    checkpoint_every: int = 250_000
    """Save a checkpoint every this many steps."""
    torch_threads: int = 1
    """torch intra-op threads. One by default: the network's convolutions are too small to gain from a
    second thread, and when anything else runs on a two-core machine, spinning OpenMP threads slow a
    forward pass by up to 100x; the env stepping already uses the other core's time slices."""
    device: str = "cpu"
    """torch device: cpu, cuda, cuda:N, or auto (cuda where torch sees a GPU, else cpu)."""

    def __post_init__(self) -> None:
        for name in ("train_levels", "test_levels"):
            start, stop = getattr(self, name)
            if not 0 <= start < stop <= 2**31:
                raise ValueError(f"{name} must be [start, stop) with 0 <= start < stop <= 2**31; got {(start, stop)}")
        (a, b), (c, d) = self.train_levels, self.test_levels
        if a < d and c < b:
            raise ValueError(f"train_levels {self.train_levels} and test_levels {self.test_levels} overlap")
        for name in ("total_timesteps", "eval_episodes", "checkpoint_every", "torch_threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1; got {getattr(self, name)}")
        if self.eval_every < 0:
            raise ValueError(f"eval_every must be >= 0; got {self.eval_every}")
        if not re.fullmatch(r"cpu|auto|cuda(:\d+)?", self.device):
            raise ValueError(f"device must be cpu, cuda, cuda:N or auto; got {self.device!r}")
        grid_compact_options = {  # each reads the grid channels and the compact moves
            "diagonal_flip": "the RGB frame's mouse sprite and procgen's diagonal buttons are not symmetric "
                             "under the reflection",
            "moves_only": "it reads the walls around the mouse from the grid channels",
        }
        for name, why in grid_compact_options.items():
            if getattr(self.ppo, name) and (self.env.obs_mode, self.env.action_mode) != ("grid", "compact"):
                raise ValueError(f"ppo.{name} needs env.obs_mode 'grid' and env.action_mode 'compact' "
                                 f"(got {self.env.obs_mode!r}, {self.env.action_mode!r}): {why}")
        if self.ppo.edge_walls and self.env.obs_mode != "grid":
            raise ValueError(f"ppo.edge_walls needs env.obs_mode 'grid' (got {self.env.obs_mode!r}): it draws the "
                             "edge in the grid's wall channel")
        rollout = self.env.num_envs * self.ppo.n_steps
        if rollout % self.ppo.batch_size:
            raise ValueError(
                f"ppo.batch_size {self.ppo.batch_size} must divide env.num_envs * ppo.n_steps = {rollout}"
            )

    @property
    def rollout_size(self) -> int:
        return self.env.num_envs * self.ppo.n_steps

    def with_precision(self, precision: Precision) -> TrainConfig:
        """This config with ``ppo.precision`` replaced."""
        return dataclasses.replace(self, ppo=dataclasses.replace(self.ppo, precision=precision))


CPU_EASY = TrainConfig(
    preset="cpu-easy",
    # Training episodes end after 100 steps (evaluations keep the game's 500): a mouse pushing into
    # a wall no longer fills most of a rollout, and the held-out cheese rate rises sooner.
    env=EnvConfig(world_size=15, region=5, num_envs=64, max_steps=100),
    # Small minibatches, a large learning rate and short-horizon advantages (lambda 0.8) get a signal
    # out of the sparse reward; clip 0.1 and gamma 0.995 learned faster than 0.2 and 0.99. Two epochs
    # learn as much per env-step as four, at 1.84x the speed. The full-resolution block reads walls
    # before the first max-pool merges cells (the largest mazes' failures), at about 1.3x the cost.
    # Reflected samples (envs/symmetry.py) and the rate's decay to 1e-3 over 2M steps help early.
    # The first convolution reads the world's edge as wall, as it reads a smaller maze's wall ring.
    # The runs behind each choice: docs/training_notes.md.
    ppo=PPOConfig(impala_scale=1.0, features_dim=256, full_res_blocks=1, batch_size=256, n_epochs=2,
                  learning_rate=3e-3, lr_final_fraction=0.33, lr_decay_steps=2_000_000, diagonal_flip=0.5,
                  gamma=0.995, gae_lambda=0.8, clip_range=0.1, edge_walls=True, precision="auto"),
    total_timesteps=8_000_000,
    eval_episodes=300,
)
"""Default: native backend, 15x15 world, region 5, sized to learn in minutes on two cores."""

CPU_HARD = dataclasses.replace(
    CPU_EASY,
    preset="cpu-hard",
    # Training episodes end after 8 steps per cell of maze side: 200 on the largest mazes (the limit
    # that helped the one constant-limit run of the 25x25 world), at least 1.5x the longest shortest
    # path at every size (envs/schedule.py), so a small maze's stuck episode ends sooner. Over the first
    # 3M steps the largest maze drawn grows from 3 to 25, through cpu-easy's sizes (3..15, which that
    # preset learns in about 2M steps) at 1.5M; from then on the game's sizes. Neither is measured yet
    # (docs/training_notes.md); evaluations play the game's mazes and 500 steps throughout.
    env=EnvConfig(world_size=25, region=5, num_envs=64, max_steps_per_size=8.0, size_curriculum_steps=3_000_000),
    total_timesteps=20_000_000,
)
"""The 25x25 world (procgen hard) on the native backend, with a size curriculum and per-size time limits."""

PROCGEN_HARD = TrainConfig(
    preset="procgen-hard",
    env=EnvConfig(backend="procgen", world_size=25, region=5, obs_mode="rgb", action_mode="procgen", num_envs=256),
    ppo=PPOConfig(
        n_steps=256, batch_size=8192, n_epochs=3, learning_rate=5e-4, adam_eps=1e-5, gamma=0.999,
        gae_lambda=0.95, clip_range=0.2, ent_coef=0.01, vf_coef=0.5, max_grad_norm=0.5,
        impala_scale=4.0, features_dim=256,
    ),
    total_timesteps=200_000_000,
    eval_every=5_000_000,
    checkpoint_every=5_000_000,
    torch_threads=8,
    device="auto",
)
"""Langosco et al.'s procgen hard setup (256 envs x 256 steps, 8 minibatches, 3 epochs): for a GPU."""

PRESETS: dict[str, TrainConfig] = {c.preset: c for c in (CPU_EASY, CPU_HARD, PROCGEN_HARD)}


def config_to_dict(config: TrainConfig) -> dict[str, Any]:
    """The config as plain JSON-able data."""
    return dataclasses.asdict(config)


def config_from_dict(data: dict[str, Any]) -> TrainConfig:
    """Rebuild a config from ``config_to_dict`` output; unknown fields are errors, missing ones take
    their defaults (so a ``config.json`` from before a field existed still loads as it was trained)."""
    try:
        env = EnvConfig(**data["env"])
        ppo = PPOConfig(**data["ppo"])
        rest = {k: v for k, v in data.items() if k not in ("env", "ppo")}
        for name in ("train_levels", "test_levels"):
            rest[name] = tuple(rest[name])
        return TrainConfig(env=env, ppo=ppo, **rest)
    except (KeyError, TypeError) as err:
        raise ValueError(f"config does not match TrainConfig: {err}") from err
