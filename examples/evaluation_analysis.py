"""A custom analysis on evaluation tables: where does each agent miss the cheese?

Run it from the repository root once the project is installed: ``python examples/evaluation_analysis.py``.
An evaluation table has one row per episode: the maze (level seed, size, cheese and decision-square
cells, the distances the behavioural statistics use), the outcome, the steps and the path. This
script plays the shipped r5 and control agents on the same 300 held-out mazes with the cheese
anywhere, then tabulates P(cheese) and P(top-right) by maze size on the mazes with a decision square.
``read_episodes(folder)`` reads the same table from a folder written by ``cheesemaze evaluate``.
"""

import pandas as pd
import torch

from cheesemaze.agents.loading import load_agent
from cheesemaze.analysis.evaluation import evaluate
from cheesemaze.analysis.stats import wilson_interval
from cheesemaze.analysis.tables import markdown_table

torch.set_num_threads(1)  # as every command uses by default: with more, a busy CPU can stall each step
tables = []
for name in ("r5", "control"):
    table = evaluate(load_agent(name), 300, distributions=("anywhere",), policies=("sampled",))
    tables.append(table.assign(agent=name))
episodes = pd.concat(tables)
decision = episodes[episodes["has_dsq"]]

rows = []
for (agent, size), group in decision.groupby(["agent", "maze_size"]):
    cheese = int((group["outcome"] == "cheese").sum())
    low, high = wilson_interval(cheese, len(group))
    rows.append({"agent": agent, "maze size": size, "mazes": len(group), "P(cheese)": f"{cheese / len(group):.2f}",
                 "95% CI": f"{low:.2f}-{high:.2f}", "P(top-right)": f"{(group['outcome'] == 'top_right').mean():.2f}"})
print(f"{decision['level_seed'].nunique()} of 300 held-out mazes have a decision square\n")
print(markdown_table(pd.DataFrame(rows)))

# The cheese's distance from the maze's top-right cell, the published strongest predictor, in thirds.
decision = decision.assign(distance=pd.qcut(decision["d_euclid_cheese_tr"], 3, labels=["near", "middle", "far"]))
by_distance = decision.pivot_table(index="distance", columns="agent", values="outcome", observed=True,
                                   aggfunc=lambda outcomes: (outcomes == "cheese").mean())
print("P(cheese) by the cheese's Euclidean distance from the top-right cell:\n")
print(by_distance.round(2).to_string())
