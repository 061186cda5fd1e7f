"""cheesemaze: PPO agents in procedurally generated mazes, a testbed for goal misgeneralization.

The repository root is the package ``cheesemaze``; its layers are the subpackages ``envs``, ``agents``,
``analysis`` and ``scripts`` (``docs/design.md``). Importing the package registers the gymnasium env
``cheesemaze/Maze-v0`` (``gymnasium.make(cheesemaze.ENV_ID)``), and nothing heavier than gymnasium.
"""

from cheesemaze.envs import ENV_ID

__all__ = ["ENV_ID"]
