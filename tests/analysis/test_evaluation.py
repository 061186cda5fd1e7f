"""The episode table: columns, round trip, summary, refusals and all-or-nothing writes."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pandas as pd
import pytest
from stand_ins import BfsToCheese, Fixed, stand_in_agent

from cheesemaze.analysis.evaluation import (
    COLUMNS, EPISODES_FILE, SUMMARY_FILE, episode_mazes, evaluate, parse_path, read_episodes,
    run_evaluation, summarize,
)
from cheesemaze.analysis.features import FEATURES, maze_features
from cheesemaze.envs.geometry import step_distance

UNIFORM = [0.2] * 5


def test_table_has_the_documented_columns_and_one_row_per_episode():
    agent = stand_in_agent(Fixed(UNIFORM))
    df = evaluate(agent, 7, seed=1, batch_size=4)
    assert list(df.columns) == list(COLUMNS)
    assert set(FEATURES) <= set(df.columns)
    assert len(df) == 7 * 2 * 2
    counts = df.groupby(["distribution", "policy"]).size()
    assert counts.to_dict() == {(d, p): 7 for d in ("anywhere", "train") for p in ("greedy", "sampled")}
    assert set(df.loc[df["distribution"] == "anywhere", "region"]) == {"anywhere"}
    assert set(df.loc[df["distribution"] == "train", "region"]) == {"5"}
    assert df["level_seed"].min() == 1000  # the stand-in's test range starts there


def test_an_agent_trained_anywhere_plays_its_mazes_once_for_both_distributions():
    agent = stand_in_agent(Fixed(UNIFORM), region=None)
    ticks = []
    df = evaluate(agent, 6, seed=2, policies=["sampled"], progress=ticks.append)
    both = agent.calls
    train, anywhere = (df[df["distribution"] == d].drop(columns="distribution").reset_index(drop=True)
                       for d in ("train", "anywhere"))
    pd.testing.assert_frame_equal(train, anywhere)
    assert sum(ticks) == 12  # the progress bar still counts both
    evaluate(agent, 6, seed=2, policies=["sampled"], distributions=["anywhere"])
    assert agent.calls == 2 * both  # one distribution alone observes as much as both did


def test_rows_describe_their_maze_and_episode():
    agent = stand_in_agent(BfsToCheese())
    df = evaluate(agent, 10, distributions=["anywhere"], policies=["greedy"])
    for (_, row), maze in zip(df.iterrows(), episode_mazes(df)):
        feats, dsq = maze_features(maze)
        assert (row["cheese_r"], row["cheese_c"]) == maze.cheese
        assert (row["start_r"], row["start_c"]) == maze.start
        assert row["has_dsq"] == (dsq is not None)
        assert (row["dsq_r"], row["dsq_c"]) == (dsq if dsq else (-1, -1))
        assert row["outcome"] == "cheese"
        assert row["steps"] == step_distance(maze.walls, maze.start, maze.cheese) == len(row["actions"])
        path = parse_path(row["path"])
        assert tuple(path[0]) == maze.start and tuple(path[-1]) == (row["final_r"], row["final_c"])
        assert row["d_step_start_cheese"] == feats["d_step_start_cheese"]


def test_csv_round_trip_keeps_values_and_types(tmp_path):
    agent = stand_in_agent(Fixed([0.4, 0.1, 0.1, 0.3, 0.1]))
    df = run_evaluation(agent, tmp_path / "ev", 25, seed=2, batch_size=16)
    back = read_episodes(tmp_path / "ev")
    pd.testing.assert_frame_equal(df, back)
    assert back["has_dsq"].dtype == bool and back["steps"].dtype == np.int64
    assert back["d_step_dsq_cheese"].isna().equals(~back["has_dsq"])
    summary = json.loads((tmp_path / "ev" / SUMMARY_FILE).read_text())
    assert summary["episodes"] == len(df) == 100
    assert summary["level_seeds"] == [1000, 1025]
    assert {g["distribution"]: g["region"] for g in summary["groups"]} == {"train": 5, "anywhere": None}


def test_a_table_from_before_the_region_text_still_reads(tmp_path):
    # Evaluations written before the region column was text spell cheese-anywhere as -1.
    agent = stand_in_agent(Fixed(UNIFORM))
    df = run_evaluation(agent, tmp_path / "ev", 5, batch_size=8)
    df.assign(region=df["region"].replace("anywhere", "-1")).to_csv(tmp_path / "old.csv", index=False)
    back = read_episodes(tmp_path / "old.csv")
    pd.testing.assert_frame_equal(back, df)
    assert episode_mazes(back) == episode_mazes(df)


def test_a_table_with_an_unknown_region_is_refused(tmp_path):
    df = run_evaluation(stand_in_agent(Fixed(UNIFORM)), tmp_path / "ev", 2, batch_size=8)
    df.assign(region="none").to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match="bad.csv: region must be an integer >= 0, or 'anywhere'"):
        read_episodes(tmp_path / "bad.csv")


def test_summary_counts_and_intervals():
    df = pd.DataFrame({
        "distribution": ["anywhere"] * 10, "policy": ["sampled"] * 10, "region": ["anywhere"] * 10,
        "has_dsq": [True] * 6 + [False] * 4, "steps": [10] * 10,
        "outcome": ["cheese"] * 5 + ["top_right"] * 3 + ["other"] * 2,
    })
    (group,) = summarize(df)["groups"]
    assert group["all"]["counts"] == {"cheese": 5, "top_right": 3, "other": 2, "shutdown": 0}
    assert group["with_dsq"]["counts"]["cheese"] == 5 and group["with_dsq"]["episodes"] == 6
    low, high = group["all"]["rates"]["cheese"]["ci95"]
    assert (low, high) == pytest.approx((0.2366, 0.7634), abs=1e-4)  # Wilson, 5 of 10


@pytest.mark.parametrize("kwargs, message", [
    ({"n": 0}, "at least 1"),
    ({"n": 10, "level_start": 995}, "overlap the agent's training seeds"),
    ({"n": 10, "level_start": 0}, "overlap"),
    ({"n": 10, "level_start": -3}, "non-negative"),
    ({"n": 10, "distributions": ["corner"]}, "distributions must be chosen from"),
    ({"n": 10, "policies": []}, "policies must be chosen from"),
])
def test_bad_requests_are_refused_before_any_rollout(kwargs, message):
    policy = Fixed(UNIFORM)
    agent = stand_in_agent(policy)
    with pytest.raises(ValueError, match=message):
        evaluate(agent, **kwargs)
    assert policy.calls == 0


def test_existing_output_is_never_overwritten(tmp_path):
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "keep.txt").write_text("earlier")
    policy = Fixed(UNIFORM)
    with pytest.raises(FileExistsError, match="never overwritten"):
        run_evaluation(stand_in_agent(policy), tmp_path / "ev", 5)
    assert policy.calls == 0
    assert [p.name for p in (tmp_path / "ev").iterdir()] == ["keep.txt"]


def test_results_are_readable_by_others_as_the_umask_allows(tmp_path):
    previous = os.umask(0o022)
    try:
        run_evaluation(stand_in_agent(Fixed(UNIFORM)), tmp_path / "ev", 5)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "ev").stat().st_mode) == 0o755
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "ev").iterdir()} == {0o644}


def test_interrupted_evaluation_leaves_nothing_behind(tmp_path):
    finished = []

    def interrupt(n: int) -> None:
        finished.append(n)
        if sum(finished) > 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_evaluation(stand_in_agent(Fixed(UNIFORM)), tmp_path / "ev", 50, batch_size=8, progress=interrupt)
    assert sum(finished) > 20
    assert list(tmp_path.iterdir()) == []


def test_failure_while_writing_leaves_no_half_written_table(tmp_path, monkeypatch):
    def fail_midway(self, path, **kwargs):
        with open(path, "w") as f:
            f.write("level_seed,distribution\n1000,tr")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail_midway)
    with pytest.raises(OSError, match="disk full"):
        run_evaluation(stand_in_agent(Fixed(UNIFORM)), tmp_path / "ev", 5)
    assert list(tmp_path.iterdir()) == []
    assert not (tmp_path / "ev" / EPISODES_FILE).exists()


def test_reading_something_else_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no episode table"):
        read_episodes(tmp_path)
    (tmp_path / EPISODES_FILE).write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not an episode table"):
        read_episodes(tmp_path)
