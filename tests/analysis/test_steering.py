"""Steering vectors: which maze an observation shows, the paired passes, the controls, coefficient 0
as the unedited agent, and ``cheesemaze steer`` end to end on untrained agents, alone and as a group."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import ErrorbarContainer
from matplotlib.quiver import Quiver
from networks import SMALL, one_torch_thread, save_runs, untrained_agent  # noqa: F401 (a fixture)

from cheesemaze.agents.activations import EditedAgent
from cheesemaze.agents.rollout import rollout
from cheesemaze.analysis.cell_maps import cell_map, observations
from cheesemaze.analysis.figures.steering import dose_response_figure, layer_effect_figure, steering_field_figure
from cheesemaze.analysis.interventions import decision_mazes, first_alike, key_index, maze_keys, maze_rows
from cheesemaze.analysis.steering import (
    SteerConfig, field_coeff, field_maze, open_top_right, per_maze_edit, random_like, steer_agent, steering_vectors,
)
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.render import grid_to_rgb
from cheesemaze.scripts.main import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def runs(tmp_path):
    return save_runs(tmp_path / "runs")
LAYER = "stacks.1.res0.add"
START = SMALL.test_levels[0]


@pytest.mark.parametrize("obs_mode", ["grid", "rgb"])
def test_an_observation_names_its_maze_wherever_the_mouse_stands(obs_mode):
    mazes = decision_mazes(15, 6, START, SMALL.train_levels)
    index = key_index(mazes, obs_mode)
    picks = [mazes[i] for i in (3, 0, 5, 3)]
    cells = np.array([m.free_cells()[k] for m, k in zip(picks, (0, 4, 2, 7))])
    grid = observations(picks, cells)
    obs = grid if obs_mode == "grid" else grid_to_rgb(grid)
    assert maze_rows(obs, obs_mode, index).tolist() == [3, 0, 5, 3]
    moved = mazes[0].with_cheese(tuple(mazes[0].free_cells()[-1]))
    assert maze_keys(observations([moved], np.array([moved.mouse])), "grid")[0] not in index


def test_the_top_right_corridor_reaches_the_world_corner_and_changes_nothing_else():
    maze = next(m for m in (generate_maze(s, 15, None) for s in range(100)) if m.size == 7)
    opened = open_top_right(maze)
    top, right = maze.top_right
    assert not opened.walls[:top + 1, right].any() and not opened.walls[0, right:].any()
    inside = np.zeros_like(maze.walls)
    inside[maze.offset:maze.offset + maze.size, maze.offset:maze.offset + maze.size] = True
    assert np.array_equal(opened.walls[inside], maze.walls[inside])
    assert (opened.mouse, opened.cheese) == (maze.mouse, maze.cheese)
    full = next(m for m in (generate_maze(s, 15, None) for s in range(100)) if m.size == 15)
    assert open_top_right(full) == full


def test_random_vectors_keep_each_mazes_norm():
    vectors = np.random.default_rng(0).standard_normal((4, 3, 2, 2)).astype(np.float32)
    vectors[2] = 0
    noise = random_like(vectors, seed=1)
    np.testing.assert_allclose(np.linalg.norm(noise.reshape(4, -1), axis=1), np.linalg.norm(vectors.reshape(4, -1), axis=1),
                               rtol=1e-5)
    assert not np.allclose(noise, vectors) and np.array_equal(noise, random_like(vectors, seed=1))


def test_paired_passes_differ_only_where_the_pair_differs():
    agent = untrained_agent()
    mazes = decision_mazes(7, 5, START, SMALL.train_levels)
    cheese = steering_vectors(agent, mazes, "cheese", [LAYER])[LAYER]
    assert cheese.shape == (5, 16, 2, 2) and (np.abs(cheese).reshape(5, -1).max(axis=1) > 0).all()
    full = [m for m in mazes if m.size == 7]
    if full:
        assert not steering_vectors(agent, full, "top-right", [LAYER])[LAYER].any()  # nothing to open


def test_steering_at_coefficient_zero_plays_the_unedited_agent_action_for_action():
    agent = untrained_agent()
    mazes = decision_mazes(7, 12, START, SMALL.train_levels)
    vectors = steering_vectors(agent, mazes, "cheese", [LAYER])[LAYER]
    index = key_index(mazes, "grid")
    zero = EditedAgent(agent, [(LAYER, per_maze_edit(vectors, index, 0.0, "grid"))])
    strong = EditedAgent(agent, [(LAYER, per_maze_edit(vectors, index, -5.0, "grid"))])
    plain = rollout(agent, mazes, seed=2, max_steps=80)
    assert [e.action_string for e in rollout(zero, mazes, seed=2, max_steps=80)] == [e.action_string for e in plain]
    assert not np.array_equal(cell_map(strong, mazes[0]).probs, cell_map(agent, mazes[0]).probs)


def test_steer_agent_plays_every_condition_on_the_same_mazes():
    agent = untrained_agent()
    config = SteerConfig(n=6, coeff=(-1.0, 0.0, 2.0), layer=(LAYER, "stacks.2.res1.add"))
    result = steer_agent(agent, config, START)
    assert len(result.summary) == 1 + 2 * 2 * 3
    base = result.summary.iloc[0]
    assert (base["kind"], base["effect"], base["mazes"]) == ("none", 0.0, 6)
    assert result.rows.groupby(["layer", "kind", "coeff"])["level_seed"].apply(tuple).nunique() == 1
    assert field_coeff("cheese", config.coeff) == -1.0 and field_coeff("top-right", config.coeff) == 2.0
    before, after, layer, coeff = result.field
    assert (layer, coeff) == (LAYER, -1.0) and before.maze == after.maze


def test_the_field_is_drawn_on_the_largest_maze_the_policy_favours_the_cheese_in():
    mazes = [generate_maze(level, 15, None) for level in range(40)]
    sizes = np.array([m.size for m in mazes])
    assert len(set(sizes)) > 2
    defined = np.ones(len(mazes), dtype=bool)
    favours = np.full(len(mazes), 0.9)
    largest = int(np.argmax(sizes))
    assert field_maze(mazes, defined, favours) == largest
    favours[sizes == sizes.max()] = 0.2  # the largest mazes are not favoured: the next size down, its first
    second = sizes[sizes < sizes.max()].max()
    assert field_maze(mazes, defined, favours) == int(np.flatnonzero(sizes == second)[0])
    defined[sizes >= second] = False  # nor are they defined
    drawn = field_maze(mazes, defined, favours)
    assert defined[drawn] and sizes[drawn] == sizes[defined & (favours > 0.5)].max()
    favours[:] = 0.0  # none favoured: the largest with a vector
    assert field_maze(mazes, defined, favours) == int(np.flatnonzero(sizes == sizes[defined].max())[0])


def test_the_dose_response_and_field_figures_show_what_they_are_given():
    agent = untrained_agent()
    result = steer_agent(agent, SteerConfig(n=4, coeff=(-1.0, 1.0)), START)
    table = result.summary.assign(group="g")
    fig = dose_response_figure(table, "cheese")
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 3  # one line per kind, each through coefficient 0
    ys = sorted(np.round(np.concatenate([c.lines[0].get_ydata() for c in bars]), 9))
    expected = [result.summary["p_cheese"].iloc[0]] * 3 + list(result.summary["p_cheese"].iloc[1:])
    assert ys == sorted(np.round(expected, 9))
    before, after, _, _ = result.field
    field = steering_field_figure(before, after, "title")
    assert sum(isinstance(c, Quiver) for a in field.axes for c in a.collections) >= 3


def test_steer_writes_per_agent_and_across_seed_results_for_a_group(runs, tmp_path, capsys):
    out = tmp_path / "steer"
    assert main(["steer", f"{runs}/*", "--n", "5", "--coeff", "-1", "0", "--out", str(out)]) == 0
    across = pd.read_csv(out / "across_seeds.csv")
    assert set(across["seeds"]) == {2} and across["p_cheese_low"].notna().all()
    per_agent = pd.read_csv(out / "conditions.csv")
    assert sorted(set(per_agent["seed"])) == [0, 1] and len(per_agent) == 2 * 4
    assert {"report.md", "episodes.csv", "vectors.csv", "summary.json"} <= {p.name for p in out.iterdir()}
    assert {"dose_response.png", "vector_field.png"} <= {p.name for p in (out / "figures").iterdir()}
    assert "published" in (out / "report.md").read_text()
    assert json.loads((out / "summary.json").read_text())["config"]["vector"] == "cheese"
    assert main(["steer", f"{runs}/*", "--n", "5", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    pair = tmp_path / "pair"  # two groups of one: the second named is the baseline
    assert main(["steer", str(runs / "s0"), str(runs / "s1"), "--n", "4", "--coeff", "-1", "--layer", LAYER,
                 "stacks.2.res1.add", "--out", str(pair)]) == 0
    report = (pair / "report.md").read_text()
    assert "## Against the baseline group" in report and "agents' intervals" in report
    by_layer = report.split("## By layer")[1].split("\n## ")[0]  # a row per layer, the pair's difference last
    assert all(f"| {layer} | -1 |" in by_layer for layer in (LAYER, "stacks.2.res1.add"))
    assert f"{runs / 's0'} - {runs / 's1'}" in by_layer
    assert "![by_layer](figures/by_layer.png)" in report and (pair / "figures" / "by_layer.png").is_file()
    assert "by_layer" not in (out / "report.md").read_text()  # one layer: no layer figure


def test_the_layer_figure_draws_each_groups_change_at_each_layer():
    rows = []
    for g, group in enumerate(("a", "b")):
        rows.append({"group": group, "layer": "-", "kind": "none", "coeff": 0.0, "effect": 0.0})
        for i, layer in enumerate(("stacks.0.res0.add", "stacks.1.res0.add", "stacks.2.res0.add")):
            for kind in ("maze", "random"):
                rows.append({"group": group, "layer": layer, "kind": kind, "coeff": -1.0,
                             "effect": -0.1 * (i + 1) * (g + 1) if kind == "maze" else 0.01})
    table = pd.DataFrame(rows).assign(effect_low=lambda t: t["effect"] - 0.02, effect_high=lambda t: t["effect"] + 0.02)
    fig = layer_effect_figure(table, "cheese")
    bars = [c for c in fig.axes[0].containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 4  # two groups x two kinds; no transfer rows, no line for it
    drawn = sorted(tuple(np.round(c.lines[0].get_ydata(), 9)) for c in bars)
    assert drawn == sorted([(-0.1, -0.2, -0.3), (-0.2, -0.4, -0.6), (0.01,) * 3, (0.01,) * 3])


@pytest.mark.parametrize("args, message", [
    (["--layer", "stacks.9.res0.add"], "choose from"),
    (["--n", "0"], "at least 1"),
    (["--level-start", "0"], "overlap the agent's training seeds"),
    (["--source-level", "5"], "overlap the agent's training seeds"),
])
def test_steer_refuses_bad_requests_before_playing(runs, tmp_path, args, message, capsys):
    assert main(["steer", str(runs / "s0"), *args, "--out", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_mazes_that_look_alike_share_the_first_ones_index():
    mazes = [generate_maze(s, 15, None) for s in range(400)]
    alike = first_alike(mazes, "grid")
    twins = [i for i in range(len(mazes)) if alike[i] != i]
    assert twins, "small mazes repeat: some should look alike"
    for i in twins:
        first = mazes[alike[i]]
        assert alike[i] < i and np.array_equal(first.walls, mazes[i].walls) and first.cheese == mazes[i].cheese



def synthetic_conditions(medians: dict[str, list[tuple[float, float]]], drops: dict[str, float],
                         coeff: float = -1.0) -> pd.DataFrame:
    """Per-agent conditions: per group, each seed's (unedited, edited) median P(cheese move) and the own
    vector's change in P(cheese); every measure with an interval of +-0.005 around it."""
    rows = []
    for group, pairs in medians.items():
        for seed, (before, after) in enumerate(pairs):
            common = {"group": group, "agent": f"{group}/s{seed}", "seed": seed, "p_cheese": 0.8, "p_top_right": 0.1,
                      "cheese_move_mean": 0.9}
            rows.append({**common, "layer": "-", "kind": "none", "coeff": 0.0, "effect": 0.0,
                         "cheese_move_median": before})
            for kind, effect in (("maze", drops[group] + 0.01 * seed), ("random", 0.02 * (-1) ** seed),
                                 ("transfer", 0.0)):
                rows.append({**common, "layer": LAYER, "kind": kind, "coeff": coeff, "effect": effect,
                             "cheese_move_median": after if kind == "maze" else before})
    per_agent = pd.DataFrame(rows)
    for column in ("p_cheese", "p_top_right", "cheese_move_mean", "effect", "cheese_move_median"):
        per_agent[f"{column}_low"], per_agent[f"{column}_high"] = per_agent[column] - 0.005, per_agent[column] + 0.005
    return per_agent


def test_the_plain_words_judge_the_median_by_each_seeds_change_and_give_it_in_log_odds():
    from cheesemaze.analysis.steering import PUBLISHED
    from cheesemaze.analysis.steering_report import log_odds, plain_words

    medians = {"r5": [(0.99, 0.90), (0.99, 0.88), (0.99, 0.86)],
               "control": [(0.999, 0.70), (0.999, 0.95), (0.999, 0.98)]}  # each seed falls, apart; seeds disagree
    per_agent = synthetic_conditions(medians, {"r5": -0.30, "control": -0.02})
    text = "\n".join(plain_words(SteerConfig(coeff=(-1.0,)), per_agent, "a 15x15 world"))
    lines = [line for line in text.splitlines() if line.startswith(("- ", "  - "))]
    r5, _, versus, published, r5_median, control_median = lines
    assert "own vector -0.290" in r5 and r5.split("; ")[0].endswith("a decrease")
    assert "cannot tell it from no change" in r5.split("; ")[1]
    assert versus.endswith("r5 changes more downward than control.")
    assert "0.81 to 0.03" in published and "-0.78 in probability" in published
    theirs = log_odds(PUBLISHED["cheese_move_median_after"]) - log_odds(PUBLISHED["cheese_move_median_before"])
    assert f"{theirs:+.2f} in log-odds" in published and "clipped to [0.0001, 0.9999]" in published
    assert "the change -0.110" in r5_median and r5_median.split("; ")[1].endswith("a decrease")
    odds = np.mean([log_odds(a) - log_odds(b) for b, a in medians["r5"]])
    assert f"in log-odds {odds:+.3f}" in r5_median
    # every control seed's median falls with its intervals apart, but the paired change over seeds cannot tell
    assert "3 of 3 seeds' medians fall with their own intervals apart" in control_median
    assert control_median.split("; ")[1].endswith("cannot tell it from no change")
    assert "not in the rest" not in text
    assert "in probability does not replicate (ours is smaller)" in r5_median


def test_the_log_odds_verdict_is_computed_not_written():
    from cheesemaze.analysis.steering_report import plain_words

    near = [(0.9, 0.03), (0.81, 0.03), (0.7, 0.03)]  # a published-sized fall, on both scales
    per_agent = synthetic_conditions({"r5": near}, {"r5": -0.3})
    text = "\n".join(plain_words(SteerConfig(coeff=(-1.0,)), per_agent, "a 15x15 world"))
    median = next(line for line in text.splitlines() if line.startswith("  - r5"))
    assert "in log-odds it is comparable (theirs lies within our interval)" in median
    assert "in probability is comparable" in median
    assert "sit at the clip" not in median  # no unedited median at 0 or 1
    clipped = synthetic_conditions({"r5": [(1.0, 0.03), (0.81, 0.03), (0.99995, 0.03)]}, {"r5": -0.3})
    text = "\n".join(plain_words(SteerConfig(coeff=(-1.0,)), clipped, "a 15x15 world"))
    median = next(line for line in text.splitlines() if line.startswith("  - r5"))
    assert median.endswith("2 of 3 seeds' unedited medians sit at the clip, so their log-odds change is set by the "
                           "clip as much as by the agent: a looser clip would make it larger, and the log-odds "
                           "comparison is loose.")


def top_right_episodes(changes: dict[str, list[float]], mazes: int = 40, zero: int = 10) -> pd.DataFrame:
    """Episodes per group and seed: unedited, the agent reaches the top-right on no maze; with its own vector,
    on the given fraction of the mazes whose vector is not zero (the first ``zero`` mazes have none)."""
    rows = []
    for group, fractions in changes.items():
        for seed, fraction in enumerate(fractions):
            hits = round(fraction * (mazes - zero))
            for kind, layer, coeff in (("none", "-", 0.0), ("maze", LAYER, 1.0)):
                for i in range(mazes):
                    up = kind == "maze" and zero <= i < zero + hits
                    rows.append({"group": group, "agent": f"{group}/s{seed}", "seed": seed, "level_seed": 100 + i,
                                 "kind": kind, "layer": layer, "coeff": coeff, "vector_zero": i < zero,
                                 "outcome": "top_right" if up else "cheese"})
    return pd.DataFrame(rows)


def test_the_top_right_words_give_the_paired_change_the_zero_vectors_and_the_published_verdict():
    from cheesemaze.analysis.steering_report import plain_words

    per_agent = synthetic_conditions({"r5": [(0.9, 0.9)] * 3, "control": [(0.9, 0.9)] * 3},
                                     {"r5": 0.0, "control": 0.0}, coeff=1.0)
    rows = top_right_episodes({"r5": [0.2, 0.3, 0.4], "control": [0.0, 0.1, 0.0]})
    norms = pd.DataFrame([{"group": g, "agent": f"{g}/s{s}", "layer": LAYER, "vector_norm_mean": 10.0,
                           "zero_vectors": 10, "source_norm": 5.0} for g in ("r5", "control") for s in range(3)])
    text = "\n".join(plain_words(SteerConfig(vector="top-right", coeff=(1.0,)), per_agent, "a 15x15 world", norms,
                                 rows))
    r5, control = [line for line in text.splitlines() if line.startswith("  P(top-right")]
    assert "paired change" in r5 and "(the intervals" not in text
    assert "+0.225 (95%" in r5  # 0.3 of the 30 mazes with a vector, on average: 9 of 40
    assert "10 of 40 mazes have a zero vector" in r5 and "on the 30 with a vector: +0.300 (95%" in r5
    assert r5.endswith("an increase.") and control.endswith("cannot tell it from no change.")
    assert "cheese location" not in text and "a different maze's top-right region" in text
    verdict = text.splitlines()[-1]
    assert "Add a top-right vector" in verdict and "replicates at our world size (a 15x15 world) in r5" in verdict
    assert "does not in control" in verdict
    alone = "\n".join(plain_words(SteerConfig(vector="top-right", coeff=(1.0,)),
                                         per_agent[per_agent["group"] == "control"], "a 15x15 world", norms,
                                         rows[rows["group"] == "control"]))
    assert "It does not replicate at our world size" in alone.splitlines()[-1]
    assert "That is not evidence of no effect: the intervals allow an upward change of up to +" in alone.splitlines()[-1]


def test_the_layer_words_name_clear_effects_random_controls_group_differences_and_sizes():
    from cheesemaze.analysis.seeds import against_baseline, across_seeds, with_agent_intervals
    from cheesemaze.analysis.steering_report import CONDITION, by_layer_section

    rows = []
    deep = "stacks.2.res0.add"
    for group, norm in (("r5", 140.0), ("control", 397.0)):
        for seed in range(3):
            base = {"group": group, "agent": f"{group}/s{seed}", "seed": seed}
            rows.append({**base, "layer": "-", "kind": "none", "coeff": 0.0, "effect": 0.0})
            for layer, own, random in ((LAYER, -0.2, 0.0), (deep, -0.04, -0.3)):
                shift = 0.3 if (group, layer) == ("r5", deep) else 0.0  # r5 falls less there
                spread = 0.1 * (seed - 1) if (group, layer) == ("control", deep) else 0.01 * seed  # seeds disagree
                rows.append({**base, "layer": layer, "kind": "maze", "coeff": -1.0, "effect": own + shift + spread})
                rows.append({**base, "layer": layer, "kind": "random", "coeff": -1.0, "effect": random + 0.01 * seed})
    per_agent = pd.DataFrame(rows)
    drawn = with_agent_intervals(across_seeds(per_agent, CONDITION, ["effect"]), per_agent, CONDITION, ["effect"])
    versus = against_baseline(per_agent[per_agent["kind"] == "maze"], CONDITION, "effect")
    norms = pd.DataFrame([{"group": g, "agent": f"{g}/s{s}", "layer": layer, "vector_norm_mean": n * (s + 1) / 2}
                          for g, n in (("r5", 140.0), ("control", 397.0)) for s in range(3) for layer in (LAYER, deep)])
    text = "\n".join(by_layer_section(drawn, versus, norms))
    words = text.split("In plain words")[1]
    r5, r5_random, control, control_random, versus_line, sizes = [
        line.strip() for line in words.splitlines() if line.startswith(("- ", "  "))]
    assert f"excludes 0 at 2 of 2 pairs: {LAYER} at -1 (-0.190); {deep} at -1 (+0.270)" in r5
    assert f"excludes 0 at 1 of 2 pairs: {LAYER} at -1 (-0.190)." in control
    assert f"{deep} at -1 (random -0.290 vs own -0.040)" in control_random and "not specific" in control_random
    assert r5_random.startswith(f"A random vector of the same norm changes P(cheese) as much or more at {deep}")
    assert f"1 of 2 pairs ({deep} at -1: +0.310 (95%" in versus_line and "r5's change is more upward" in versus_line
    assert "control's vectors are larger than r5's at 2 of 2 layers" in sizes and "397 against 140" in sizes


def test_the_change_arrows_are_magnified_to_be_seen_but_not_past_the_cap():
    from matplotlib.figure import Figure

    from cheesemaze.analysis.cell_maps import CellMap
    from cheesemaze.analysis.figures.steering import MAX_SHIFT_SCALE, draw_shift
    from cheesemaze.envs.maze import generate_maze

    maze = generate_maze(START, 7)
    probs = np.full((7, 7, 5), 0.2)
    before = CellMap(maze, probs, np.zeros((7, 7)))
    moved = probs.copy()
    moved[0, 0] = [0.2 + 0.05, 0.2 - 0.05, 0.2, 0.2, 0.2]  # expected step 0.1 up at one cell
    assert draw_shift(Figure().subplots(), before, CellMap(maze, moved, np.zeros((7, 7)))) == pytest.approx(9.0)
    tiny = probs.copy()
    tiny[0, 0] = [0.2 + 1e-4, 0.2 - 1e-4, 0.2, 0.2, 0.2]  # noise-sized: magnified by the cap only
    assert draw_shift(Figure().subplots(), before, CellMap(maze, tiny, np.zeros((7, 7)))) == MAX_SHIFT_SCALE
