"""The Python API: load a shipped agent, play it on a maze you choose, run and read an evaluation.

Run it from the repository root once the project is installed: ``python examples/python_api.py``.
Loading a shipped agent by name copies it to ``runs/<name>`` (``r5`` is ``runs/r5/s0``) the first time; whatever an analysis
writes goes there, never into the package.
"""

import gymnasium as gym
import numpy as np
import torch

import cheesemaze
from cheesemaze.agents.loading import load_agent
from cheesemaze.agents.rollout import rollout
from cheesemaze.analysis.evaluation import read_episodes, run_evaluation
from cheesemaze.analysis.outputs import fresh_path
from cheesemaze.envs.maze import TEST_LEVELS, generate_maze
from cheesemaze.envs.text import format_maze

# One torch thread, as every command uses by default: with more, a busy CPU can stall each step.
torch.set_num_threads(1)
agent = load_agent("r5")
env = agent.config.env
print(f"r5: {agent.num_timesteps:,} training steps, cheese in the top-right {env.region}x{env.region} square")

# A held-out maze, with the cheese anywhere (region None), step by step through the gymnasium env.
# levels="test" draws only held-out level seeds; an explicit level seed must be one of them.
game = gym.make(cheesemaze.ENV_ID, world_size=env.world_size, region=None, levels="test")
obs, info = game.reset(options={"level_seed": TEST_LEVELS.start + 7})
print(format_maze(game.unwrapped.maze))
rng = np.random.default_rng(0)
done = False
while not done:
    action = agent.act(obs[None], greedy=False, rng=rng)[0]
    obs, reward, terminated, truncated, info = game.step(action)
    done = terminated or truncated
print(f"one episode on level {info['level_seed']}: {info['outcome']} after {info['steps']} steps")

# The same maze 50 times at once: rollout plays any mazes in a batch, here the one above.
maze = generate_maze(TEST_LEVELS.start + 7, env.world_size, region=None)
episodes = rollout(agent, [maze] * 50, seed=1)
outcomes = [episode.outcome for episode in episodes]
print("50 episodes:", {outcome: outcomes.count(outcome) for outcome in sorted(set(outcomes))})

# An evaluation: 100 held-out mazes, cheese anywhere, sampled actions; written as a folder
# (episodes.csv, summary.json) the way 'cheesemaze evaluate' writes it, and read back.
folder = fresh_path(agent.run_dir / "evaluations" / "example")
run_evaluation(agent, folder, 100, distributions=("anywhere",), policies=("sampled",))
table = read_episodes(folder)
print(f"wrote {folder}: {len(table)} episodes")
print(table["outcome"].value_counts(normalize=True).round(3).to_string())
