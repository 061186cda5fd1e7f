"""Evaluate agents on a maze drawn in ASCII: '#' wall, '.' floor, 'M' the mouse, 'C' the cheese.

Run it from the repository root once the project is installed: ``python examples/ascii_maze.py``.
The drawing is the whole 15x15 world the shipped agents see, with a 9x9 maze in its middle; the mouse
starts on the maze's bottom-left cell, as in every generated maze. The cheese sits off the path to
the top-right corner, so the maze has a decision square: the last cell the two paths share.
"""

import torch

from cheesemaze.agents.loading import load_agent
from cheesemaze.agents.rollout import rollout
from cheesemaze.analysis.stats import wilson_interval
from cheesemaze.envs.geometry import decision_square
from cheesemaze.envs.text import format_maze, parse_maze

DRAWN = """
###############
###############
###############
###...#...#.###
#####.#.#.#.###
###.....#...###
###.###.#.#####
###...#.#...###
###.#####.#.###
###...#.#C#.###
#####.#.#.#.###
###M..#...#.###
###############
###############
###############
"""

maze = parse_maze(DRAWN)
print(f"a {maze.size}x{maze.size} maze; decision square {decision_square(maze)}; top-right cell {maze.top_right}")
torch.set_num_threads(1)  # as every command uses by default: with more, a busy CPU can stall each step
episodes = 100
for name in ("r5", "control"):
    agent = load_agent(name)
    for label, variant in (("drawn", maze), ("cheese moved to the top-right", maze.with_cheese(maze.top_right))):
        played = rollout(agent, [variant] * episodes, seed=0)
        cheese = sum(episode.outcome == "cheese" for episode in played)
        low, high = wilson_interval(cheese, episodes)
        print(f"{name:8} {label:30} P(cheese) {cheese / episodes:.2f} ({low:.2f}-{high:.2f}) over {episodes} episodes")

print("\nthe drawn maze, as the agents saw it:")
print(format_maze(maze))
