"""The evaluate, analyze behaviour and plot commands end to end, on an untrained agent's run directory."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from cheesemaze.agents.checkpoint import save_checkpoint
from cheesemaze.agents.config import CPU_EASY
from cheesemaze.agents.policy import build_policy
from cheesemaze.agents.rundir import create_run_dir
from cheesemaze.analysis import evaluation
from cheesemaze.analysis.evaluation import EPISODES_FILE, SUMMARY_FILE, maze_columns, read_episodes, write_evaluation
from cheesemaze.envs.maze import generate_maze, region_text
from cheesemaze.scripts.main import main

TEST_START = CPU_EASY.test_levels[0]
CONFIG = CPU_EASY.with_precision("float32")


@pytest.fixture
def run_dir(tmp_path):
    """A run directory holding an untrained policy of the default preset."""
    torch.manual_seed(0)
    run = create_run_dir(tmp_path / "run", CONFIG)
    save_checkpoint(run / "checkpoints" / "final.pt", {"policy": build_policy(CONFIG).state_dict()},
                    {"num_timesteps": 0})
    return run


@pytest.mark.parametrize("args, message", [
    (["--n", "0"], "--n must be at least 1"),
    (["--level-start", "0"], "overlap the agent's training seeds"),
    (["--level-start", str(TEST_START - 2), "--n", "5"], "overlap"),
    (["--threads", "0"], "--threads must be at least 1"),
])
def test_evaluate_refuses_bad_requests_before_rolling_out(run_dir, args, message, capsys):
    assert main(["evaluate", str(run_dir), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (run_dir / "evaluations").exists()


def test_evaluate_notes_seeds_beyond_the_held_out_range(run_dir, capsys):
    end = CPU_EASY.test_levels[1]
    args = ["evaluate", str(run_dir), "--n", "2", "--distribution", "train", "--policy", "greedy"]
    assert main([*args, "--level-start", str(end - 1)]) == 0
    assert f"{end - 1}..{end} reach outside the agent's held-out range" in " ".join(capsys.readouterr().err.split())
    assert main(args) == 0
    assert "outside" not in capsys.readouterr().err


def test_evaluate_refuses_an_output_it_cannot_create(run_dir, tmp_path, capsys):
    (tmp_path / "afile").write_text("")
    assert main(["evaluate", str(run_dir), "--out", str(tmp_path / "afile" / "ev")]) == 2
    assert "not a writable folder" in capsys.readouterr().err


def test_evaluate_refuses_a_bad_agent_path(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nowhere")]) == 2
    assert "no agent at" in capsys.readouterr().err


def test_evaluate_writes_a_table_and_never_overwrites(run_dir, capsys):
    args = ["evaluate", str(run_dir), "--n", "3", "--distribution", "anywhere", "--policy", "greedy"]
    assert main(args) == 0
    folder = run_dir / "evaluations" / f"n3-levels{TEST_START}-seed0-anywhere-greedy"
    df = read_episodes(folder)
    assert len(df) == 3 and set(df["policy"]) == {"greedy"} and df["level_seed"].min() == TEST_START
    header, row = capsys.readouterr().out.splitlines()[-3:-1]  # the rates table, then "wrote ..."
    assert header.split() == ["distribution", "policy", "n", "cheese", "top_right", "other", "cheese", "95%", "CI"]
    rate = (df["outcome"] == "cheese").mean()
    assert row.split()[:4] == ["anywhere", "greedy", "3", f"{rate:.3f}"]
    summary = json.loads((folder / SUMMARY_FILE).read_text())
    assert summary["agent"] == "run" and summary["checkpoint"] == "checkpoints/final.pt"
    assert summary["num_timesteps"] == 0
    assert main(args) == 0
    assert (folder.parent / f"{folder.name}-2" / EPISODES_FILE).is_file()
    assert main([*args, "--out", str(folder)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_evaluate_loads_the_checkpoint_asked_for(run_dir, tmp_path, capsys):
    torch.manual_seed(1)
    save_checkpoint(run_dir / "checkpoints" / "latest.pt", {"policy": build_policy(CONFIG).state_dict()},
                    {"num_timesteps": 4096})
    args = ["evaluate", str(run_dir), "--n", "40", "--distribution", "anywhere", "--policy", "greedy"]
    # latest.pt has trained past final.pt (a run resumed with a raised budget): by default the run's
    # furthest checkpoint plays, and --checkpoint picks another
    assert main([*args, "--out", str(tmp_path / "latest")]) == 0
    assert main([*args, "--out", str(tmp_path / "final"), "--checkpoint", str(run_dir / "checkpoints" / "final.pt")]) == 0
    final, latest = (json.loads((tmp_path / name / SUMMARY_FILE).read_text()) for name in ("final", "latest"))
    assert (final["checkpoint"], final["num_timesteps"]) == ("checkpoints/final.pt", 0)
    assert (latest["checkpoint"], latest["num_timesteps"]) == ("checkpoints/latest.pt", 4096)
    paths = [read_episodes(tmp_path / name)["actions"].tolist() for name in ("final", "latest")]
    assert paths[0] != paths[1]  # two different networks play differently
    assert main([*args, "--checkpoint", str(tmp_path / "none.pt")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_interrupted_evaluate_writes_nothing(run_dir, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluation, "rollout", interrupted)
    assert main(["evaluate", str(run_dir), "--n", "3"]) == 130
    assert "nothing was written" in capsys.readouterr().err
    evaluations = run_dir / "evaluations"
    assert not evaluations.exists() or list(evaluations.iterdir()) == []


def planted_evaluation(folder, n: int = 300) -> None:
    """An evaluation folder whose cheese-anywhere outcomes fall with d_Euclid(cheese, top-right)."""
    frames = []
    for distribution, region in (("train", 5), ("anywhere", None)):
        mazes = [generate_maze(TEST_START + i, 15, region) for i in range(n)]
        base = pd.DataFrame([maze_columns(m) for m in mazes]).assign(
            level_seed=[m.level_seed for m in mazes], distribution=distribution,
            region=region_text(region), policy="sampled")
        p = 1 / (1 + np.exp(base["d_euclid_cheese_tr"] - 5))
        got = np.random.default_rng(0).random(n) < p
        frames.append(base.assign(
            outcome=np.where(got, "cheese", "top_right"), steps=1, actions="U",
            final_r=base["start_r"] - 1, final_c=base["start_c"],
            path=[f"{r},{c};{r - 1},{c}" for r, c in zip(base["start_r"], base["start_c"])]))
    df = pd.concat(frames, ignore_index=True)[list(evaluation.COLUMNS)]
    write_evaluation(folder, df, evaluation.summarize(df))


def test_analyze_behaviour_writes_tables_report_and_figures(run_dir, tmp_path, capsys):
    planted_evaluation(tmp_path / "ev")
    args = ["analyze", "behaviour", str(run_dir), "--evaluation", str(tmp_path / "ev"), "--splits", "3",
            "--bootstrap", "5", "--fork-mazes", "20"]
    assert main(args) == 0
    out = run_dir / "analyses" / "behaviour"
    for name in ("comparison.csv", "comparison.md", "single_feature.csv", "coefficients.csv", "vif.csv",
                 "correlations.csv", "fork_comparison.csv", "summary.json", "report.md"):
        assert (out / name).is_file(), name
    figures = {p.name for p in (out / "figures").iterdir()}
    for stem in ("outcomes", "cheese_vs_features", "cheese_by_location", "regression", "actor_critic", "trajectories"):
        assert {f"{stem}.png", f"{stem}.pdf"} <= figures
    summary = json.loads((out / "summary.json").read_text())
    rows = read_episodes(tmp_path / "ev").query("distribution == 'anywhere' and has_dsq")
    assert summary["with_dsq"] == len(rows) and summary["cheese"] == (rows["outcome"] == "cheese").sum()
    fork = summary["actor_critic"]
    assert fork["decision_square_mazes"] == 20 and fork["mazes"] + fork["cheese_adjacent_excluded"] <= 20
    assert "Turner et al." in (out / "report.md").read_text()
    assert "| P(cheese \\| decision square) |" in capsys.readouterr().out
    assert main(args) == 0  # a second analysis goes beside the first
    assert (run_dir / "analyses" / "behaviour-2" / "summary.json").is_file()


def test_plot_commands_write_fresh_figures(run_dir, tmp_path):
    steps = np.arange(1, 6) * 4096
    pd.DataFrame({"time/total_timesteps": steps, "time/wall_seconds": steps / 1000,
                  "rollout/ep_rew_mean": [1, 2, 4, 6, 8]}).to_csv(run_dir / "progress.csv", index=False)
    assert main(["plot", "curves", str(run_dir)]) == 0
    assert main(["plot", "curves", str(run_dir)]) == 0
    figures = run_dir / "figures"
    assert {"training.png", "training.pdf", "training-2.png", "training-2.pdf"} <= {p.name for p in figures.iterdir()}
    seed = str(TEST_START + 1)
    assert main(["plot", "vector-field", str(run_dir), "--level-seed", seed]) == 0
    assert (figures / f"vector-field-{seed}-anywhere.png").is_file()
    assert main(["plot", "trajectories", str(run_dir), "--level-seed", seed, "--episodes", "2", "--greedy"]) == 0
    assert (figures / f"trajectories-{seed}-anywhere.png").is_file()
    assert main(["plot", "trajectories", str(run_dir), "--level-seed", seed, "--episodes", "100000"]) == 2
    planted_evaluation(run_dir / "evaluations" / "planted", n=100)
    for kind in ("outcomes", "cheese-rate", "heatmap"):
        assert main(["plot", kind, str(run_dir / "evaluations" / "planted"), "--out", str(tmp_path / kind)]) == 0
        assert (tmp_path / f"{kind}.png").is_file()
    assert main(["plot", "outcomes", str(run_dir / "evaluations" / "planted"), "--out", str(tmp_path / "outcomes")]) == 2


def test_evaluation_figures_go_to_the_run_directory_or_stay_beside_the_evaluation(run_dir, tmp_path):
    inside = run_dir / "evaluations" / "planted"
    planted_evaluation(inside, n=50)
    assert main(["plot", "outcomes", str(inside / EPISODES_FILE)]) == 0
    assert (run_dir / "figures" / "outcomes-planted.png").is_file()
    outside = tmp_path / "loose" / "copied"
    planted_evaluation(outside, n=50)
    assert main(["plot", "outcomes", str(outside)]) == 0
    assert (outside / "figures" / "outcomes-copied.png").is_file()
    assert not (tmp_path / "figures").exists() and not (tmp_path / "loose" / "figures").exists()


@pytest.mark.parametrize("args", [["--n", "5"], ["--out", "x"], ["--splits", "3"]])
def test_report_refuses_a_step_option_before_any_work(run_dir, args):
    with pytest.raises(SystemExit) as exited:
        main(["report", str(run_dir), *args])
    assert exited.value.code == 2
    assert not (run_dir / "evaluations").exists() and not (run_dir / "analyses").exists()


def test_report_refuses_zero_threads(run_dir, capsys):
    assert main(["report", str(run_dir), "--threads", "0"]) == 2
    assert "--threads must be at least 1" in capsys.readouterr().err


def test_analyze_behaviour_reuses_only_an_evaluation_of_the_same_checkpoint(run_dir, capsys):
    from cheesemaze.agents.loading import load_agent
    from cheesemaze.analysis.behaviour_study import BehaviourStudyConfig, episodes_for

    config = BehaviourStudyConfig(n=6)
    first = episodes_for(load_agent(run_dir), config, TEST_START)
    assert "running it" in capsys.readouterr().out
    again = episodes_for(load_agent(run_dir), config, TEST_START)
    assert "using the evaluation" in capsys.readouterr().out
    pd.testing.assert_frame_equal(first, again)
    # trained on: the same run directory, a checkpoint further along
    save_checkpoint(run_dir / "checkpoints" / "final.pt", {"policy": build_policy(CONFIG).state_dict()},
                    {"num_timesteps": 4096})
    episodes_for(load_agent(run_dir), config, TEST_START)
    assert "is of another checkpoint" in capsys.readouterr().out
    folders = sorted(p.name for p in (run_dir / "evaluations").iterdir())
    assert len(folders) == 2 and folders[1] == folders[0] + "-2"
    summary = json.loads((run_dir / "evaluations" / folders[1] / SUMMARY_FILE).read_text())
    assert summary["num_timesteps"] == 4096
    episodes_for(load_agent(run_dir), config, TEST_START)  # and now finds that one
    assert f"using the evaluation in {run_dir / 'evaluations' / folders[1]}" in capsys.readouterr().out


PLOT_DESCRIPTIONS = {"outcomes": "Outcome rates", "cheese-rate": "d_Euclid", "heatmap": "by cheese location",
                     "vector-field": "value map", "trajectories": "Episodes drawn"}


@pytest.mark.parametrize("kind", PLOT_DESCRIPTIONS)
def test_each_plot_command_describes_its_own_figure(capsys, kind):
    with pytest.raises(SystemExit) as exit_:
        main(["plot", kind, "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert [k for k, says in PLOT_DESCRIPTIONS.items() if says in text] == [kind]
