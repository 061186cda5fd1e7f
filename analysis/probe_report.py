"""``cheesemaze probe``'s study of agents and groups: probe accuracy by layer against chance and
shuffled labels, and the channels that track the cheese, per agent and across seeds, written as
Markdown, CSV, JSON and figures into one new folder."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cheesemaze.agents.activations import check_hook_point, hook_points, record
from cheesemaze.agents.loading import Agent
from cheesemaze.analysis.behaviour import PUBLISHED_SIDE
from cheesemaze.analysis.outputs import write_results
from cheesemaze.analysis.probes import (
    OBSERVATION, PUBLISHED_CHEESE_CHANNELS, SHUFFLES, TARGETS, ProbeConfig, cell_maps, channel_ranking, layer_probes,
    probe_mazes, probe_observations, target_cells,
)
from cheesemaze.analysis.seeds import (
    ACROSS_SEEDS, Member, against_baseline, across_seeds, baseline_section, change_words, condition_difference,
    member_columns, time_words,
    timed_each, with_agent_intervals, world_words,
)
from cheesemaze.analysis.tables import markdown_table, with_ci
from cheesemaze.envs.maze import Maze

PUBLISHED_CHANNELS = (f"Turner et al. (their r=5 network, procgen hard, {PUBLISHED_SIDE}, IMPALA x4; not ours) found by eye "
                      f"{len(PUBLISHED_CHEESE_CHANNELS)} of the 128 channels at block2.res1 (our stacks.1.res0.add) that "
                      "track the cheese equivariantly: " + ", ".join(map(str, PUBLISHED_CHEESE_CHANNELS)) + "; channel "
                      "55 codes the cheese with values around +0.6 and is negative elsewhere.")


@dataclass(frozen=True)
class ProbeResult:
    """One agent probed: accuracy per layer and target, the ranked channels, and one maze to draw."""

    accuracy: pd.DataFrame
    channels: pd.DataFrame
    maze: Maze
    acts: np.ndarray
    """The ranked layer's activations (C, H, W) on ``maze`` with the mouse at its start."""


def probe_agent(agent: Agent, config: ProbeConfig, level_start: int) -> ProbeResult:
    """Fit and score the probes on the raw observation (the ``OBSERVATION`` row: the baseline) and at
    every residual addition; rank ``config.layer``'s channels."""
    env = agent.config.env
    layer = check_hook_point(agent.policy, config.layer)
    mazes, cells = probe_mazes(env.world_size, config.n_fit + config.n_score, level_start,
                               tuple(agent.config.train_levels), config.seed)
    obs = probe_observations(mazes, cells, env.obs_mode)
    acts = record(agent.policy, obs, hook_points(agent.policy))
    labels = {t: target_cells(mazes, t) for t in TARGETS}
    inputs = {OBSERVATION: obs.astype(np.float32), **acts}
    accuracy = layer_probes({k: a[: config.n_fit] for k, a in inputs.items()},
                            {k: a[config.n_fit :] for k, a in inputs.items()},
                            {t: y[: config.n_fit] for t, y in labels.items()},
                            {t: y[config.n_fit :] for t, y in labels.items()}, config.seed)
    size = acts[layer].shape[-1]
    cheese = cell_maps(np.array([m.cheese for m in mazes]), env.world_size, size, agent.config.ppo.upsample)
    channels = channel_ranking(acts[layer], cheese)
    maze = max(mazes[config.n_fit :], key=lambda m: m.size)  # the first scored maze of the largest size: room to see
    example = record(agent.policy, probe_observations([maze], np.array([maze.mouse]), env.obs_mode), [layer])[layer][0]
    return ProbeResult(accuracy, channels, maze, example)


def shown(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Accuracy with its interval as text, beside chance and the shuffled-label control."""
    out = table[list(columns)].copy()
    out["accuracy"] = [with_ci(*row) for row in zip(table["accuracy"], table["accuracy_low"], table["accuracy_high"])]
    for column in ("chance", "shuffled"):
        out[column] = table[column].map("{:.3f}".format)
    return out


TARGET_WORDS = {"cheese": "the cheese's cell", "top_right": "the top-right cell"}


def over_observation(per_agent: pd.DataFrame, group: str, target: str) -> pd.DataFrame:
    """Per layer of ``group``: its probe's accuracy minus the raw-observation probe's on ``target``,
    seed by seed (mean with a 95% t interval over seeds; for one seed, the two probes' Wilson intervals
    combined), in forward order."""
    mine = per_agent[(per_agent["group"] == group) & (per_agent["target"] == target)]
    rows = []
    for layer in dict.fromkeys(mine.loc[mine["layer"] != OBSERVATION, "layer"]):
        diff, low, high = condition_difference(per_agent, group, "accuracy", {"layer": layer, "target": target},
                                               {"layer": OBSERVATION, "target": target})
        rows.append({"layer": layer, "difference": diff, "low": low, "high": high})
    return pd.DataFrame(rows, columns=["layer", "difference", "low", "high"])


def observation_words(versus: pd.DataFrame) -> str:
    """Where the layers' probes beat the raw-observation probe (the interval of the difference above
    0), and what it means where they do not."""
    def described(row: pd.Series) -> str:
        return f"{row['layer']} {change_words(row['difference'], row['low'], row['high']).split(':')[0]}"

    above = versus[versus["low"] > 0]
    words = (f"above the raw-observation probe at {len(above)} of {len(versus)} layers (accuracy minus the "
             "raw observation's, 95% interval over seeds; over mazes for one seed)")
    if len(above):
        words += ": " + ", ".join(described(r) for _, r in above.iterrows())
    rest = versus[~(versus["low"] > 0)]
    if len(rest):
        best = rest.loc[rest["difference"].idxmax()]
        words += (f"; not at {'the other ' if len(above) else ''}{len(rest)} (closest: {described(best)}): the "
                  "information is in the input; a layer that keeps it is not evidence the network computes it")
    return words


def observation_text(per_agent: pd.DataFrame, group: str, target: str, drawn: pd.Series) -> str:
    """The raw-observation probe's accuracy: where every agent of the group scored the same (the input,
    mazes and split are the same for all; only the network differs, and this probe does not read it),
    one agent's Wilson interval over mazes, saying so; else as drawn (over seeds)."""
    rows = per_agent[(per_agent["group"] == group) & (per_agent["target"] == target)
                     & (per_agent["layer"] == OBSERVATION)]
    if len(rows) > 1 and rows["accuracy"].nunique() == 1:
        first = rows.iloc[0]
        return (f"{with_ci(first['accuracy'], first['accuracy_low'], first['accuracy_high'])} (the same for every "
                "agent, which shares the input; Wilson interval over mazes)")
    return with_ci(drawn["accuracy"], drawn["accuracy_low"], drawn["accuracy_high"])


def plain_words(per_agent: pd.DataFrame, across: pd.DataFrame) -> list[str]:
    """The report's opening: per group and target, the raw-observation probe (the baseline), where the
    layers' probes read best and at the last layer, against shuffled labels (chance) and against the
    raw observation, and the groups against the baseline group, in words."""
    drawn = with_agent_intervals(across, per_agent, ["layer", "target"], ["accuracy"])
    lines = ["## In plain words\n\nHeld-out probe accuracy (mean over seeds, 95% t interval; over mazes for a "
             "group of one seed) against the same probe fitted on shuffled labels (chance) and on the raw "
             "observation, the network's input (the baseline: the cheese is a channel of the input, and the walls "
             "show the maze's size and so its top-right cell):\n"]
    for group in dict.fromkeys(across["group"]):
        for target in dict.fromkeys(across["target"]):
            part = drawn[(drawn["group"] == group) & (drawn["target"] == target)]
            raw = part[part["layer"] == OBSERVATION]
            part = part[part["layer"] != OBSERVATION]
            best, last = part.loc[part["accuracy"].idxmax()], part.iloc[-1]
            beats = (part["accuracy_low"] > part["shuffled"]).sum()
            line = f"- **{group}**, {TARGET_WORDS.get(target, target)}: "
            if len(raw):
                line += f"raw observation {observation_text(per_agent, group, target, raw.iloc[0])}; "
            line += (f"best layer {best['layer']} {with_ci(best['accuracy'], best['accuracy_low'], best['accuracy_high'])} "
                     f"(shuffled {best['shuffled']:.3f}); at the last layer, {last['layer']}, "
                     f"{with_ci(last['accuracy'], last['accuracy_low'], last['accuracy_high'])} (shuffled "
                     f"{last['shuffled']:.3f}); above shuffled labels at {beats} of {len(part)} layers")
            if len(raw):
                line += "; " + observation_words(over_observation(per_agent, group, target))
            lines.append(line + ".")
    layers = per_agent[per_agent["layer"] != OBSERVATION]
    versus = against_baseline(layers, ["layer", "target"], "accuracy")
    groups = list(dict.fromkeys(across["group"]))
    for group in groups[:-1] if not versus.empty else []:
        for target in dict.fromkeys(across["target"]):
            mine = versus[(versus["group"] == group) & (versus["target"] == target)]
            apart = mine[(mine["low"] > 0) | (mine["high"] < 0)]
            span = (f" (the differences run from {mine['accuracy difference'].min():+.3f} to "
                    f"{mine['accuracy difference'].max():+.3f} over {len(mine)} layers, every interval within "
                    f"{mine['low'].min():+.3f} to {mine['high'].max():+.3f})") if len(mine) else ""
            where = (f"at no layer does the interval of the difference exclude 0{span}: the data cannot tell them apart"
                     if apart.empty else "the difference excludes 0 at " + ", ".join(
                         f"{r['layer']} ({r['accuracy difference']:+.3f})" for _, r in apart.iterrows()))
            lines.append(f"- **{group} against {groups[-1]}**, {TARGET_WORDS.get(target, target)}: {where}.")
    lines[-1] += "\n"
    return lines


def report(config: ProbeConfig, per_agent: pd.DataFrame, across: pd.DataFrame, channels: pd.DataFrame,
           level_start: int, world: str, seconds: dict[str, float] | None = None) -> str:
    top = channels.groupby("agent", sort=False).head(config.top)
    parts = [
        "# Linear probes and cheese channels\n",
        f"Held-out cheese-anywhere mazes, level seeds from {level_start} on: probes fitted on the first "
        f"{config.n_fit}, scored on the next {config.n_score}; each maze seen once with the mouse on a random free "
        "cell. A probe is a ridge-regression classifier over one layer's standardized activations, one class per "
        "world cell (penalty by leave-one-out on the fitting mazes). `chance`: always answering the fitting "
        f"mazes' most common cell; `shuffled`: the same probe fitted on shuffled labels (mean over {SHUFFLES} "
        f"permutations): the chance reference. Layer `{OBSERVATION}`: the same probe, mazes and split on the raw "
        "observation, the network's input: the baseline a layer must beat before its accuracy says the network "
        "computes the cell rather than keeps what the input shows. Accuracy intervals: Wilson 95% over the scored mazes (one agent), t 95% over seeds (a group's "
        f"mean). The top-right cell moves with the maze's size, which the walls show. Our agents live in {world}."
        + (f" {time_words(seconds)}" if seconds else "") + "\n",
        *plain_words(per_agent, across),
        "## Probe accuracy per agent\n", markdown_table(shown(per_agent, ["group", "agent", "layer", "target", "features"])),
        ACROSS_SEEDS + "\n", markdown_table(shown(across, ["group", "seeds", "layer", "target"])),
        *baseline_section(per_agent[per_agent["layer"] != OBSERVATION], ["layer", "target"], "accuracy",
                          "probe accuracy"),
        f"## Channels that track the cheese at {config.layer}\n\nRanked by the size of the correlation (its sign "
        "in `corr`: a negative channel marks the cheese by a dip) of the channel's activations with the cheese's "
        "position pooled to the layer's grid, over all probed mazes and positions. "
        "`peak_at_cheese`: how often the channel's largest activation lies on the cheese; `peak_chance`: how often "
        f"a random position does.\n\n{PUBLISHED_CHANNELS}\n",
        markdown_table(top),
    ]
    return "\n".join(parts)


def run_probes(members: Sequence[Member], config: ProbeConfig, level_start: int, out_dir: Path,
               progress: Callable[[int], None] | None = None) -> str:
    """Probe every agent and write the tables, report and figures into the new folder ``out_dir``."""
    from cheesemaze.analysis.figures.probes import channel_maps_figure, probe_accuracy_figure

    def probed(member: Member) -> ProbeResult:
        result = probe_agent(member.agent, config, level_start)
        if progress is not None:
            progress(1)
        return result

    results, seconds = timed_each(members, probed)
    per_agent = pd.concat([r.accuracy.assign(**member_columns(m)) for m, r in zip(members, results)])
    per_agent = per_agent[["group", "agent", "seed", *[c for c in per_agent if c not in ("group", "agent", "seed")]]]
    channels = pd.concat([r.channels.assign(agent=m.name, layer=config.layer) for m, r in zip(members, results)])
    across = across_seeds(per_agent, ["layer", "target"], ["accuracy", "chance", "shuffled"])
    text = report(config, per_agent, across, channels, level_start, world_words(members), seconds)
    summary = {"config": dataclasses.asdict(config), "level_start": level_start,
               "agents": [member_columns(m) for m in members], "seconds": seconds,
               "per_agent": per_agent.to_dict("records"),
               "across_seeds": across.to_dict("records"),
               "top_channels": {m.name: r.channels.head(config.top).to_dict("records") for m, r in zip(members, results)}}
    first = results[0]
    figures = {
        "probe_accuracy": ("Held-out probe accuracy by layer, beside chance, shuffled labels and the same probe on the "
                           "raw observation (the network's input; horizontal line): the mean over seeds",
                           probe_accuracy_figure(with_agent_intervals(across, per_agent, ["layer", "target"],
                                                                      ["accuracy"]), observation=OBSERVATION)),
        "channel_maps": (f"{members[0].name}: the {config.top} channels at {config.layer} that track the cheese best, "
                         f"on level {first.maze.level_seed}",
                         channel_maps_figure(first.maze, first.acts, first.channels, config.layer, config.top))}
    write_results(out_dir, {"probes": per_agent, "across_seeds": across, "channels": channels}, text, summary, figures)
    return text
