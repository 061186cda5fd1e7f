"""The command table and its help: every command listed with a line of help, flags' help as prose."""

from __future__ import annotations

import pytest

from cheesemaze.scripts.args import flag_names
from cheesemaze.scripts.main import COMMANDS, HELP, WIDTH, leaves, main


def test_the_command_list_names_every_command_with_its_help(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    listed = [line.split("  ")[1].strip() for line in out.splitlines() if line.startswith("  ") and line[2] != " "]
    assert listed == leaves(COMMANDS)
    assert set(HELP) == set(leaves(COMMANDS))  # no group-level line that could fall behind its commands
    assert "plot heatmap" in listed and "analyze sweep" in listed
    assert max(map(len, out.splitlines())) <= WIDTH


def test_a_group_lists_its_commands(capsys):
    assert main(["plot"]) == 2
    out = capsys.readouterr().out
    assert out.startswith("usage: cheesemaze plot COMMAND") and "  heatmap " in out


def options(help_text: str) -> list[list[str]]:
    """The rendered options box as one list of lines per flag."""
    found: list[list[str]] = []
    for line in help_text.splitlines():
        text = line.strip("│ ").strip()
        if line.startswith("│ -"):
            found.append([text])
        elif found and text and not line.startswith(("╰", "╭")):
            found[-1].append(text)
    return found


@pytest.mark.parametrize("command", ["evaluate", "train", "analyze behaviour", "analyze hypotheses", "compare",
                                     "predict", "score", "report", "maze show", "plot curves"])
def test_flag_help_reads_as_prose(command, capsys, monkeypatch):
    # tyro once broke a line wherever a docstring's source line did, and showed {None}|PATH
    monkeypatch.setenv("COLUMNS", "400")
    try:
        code = main([*command.split(), "--help"])
    except SystemExit as exit_:  # tyro exits after printing help; train catches that and returns the code
        code = exit_.code
    assert code in (0, None)
    out = capsys.readouterr().out
    assert "{None}" not in out and "(default: None)" not in out
    for flag in options(out):
        assert len(flag) <= 2, flag  # the flag, then its help on one line


def test_errors_name_flags_not_fields():
    from cheesemaze.agents.config import TrainConfig
    from cheesemaze.scripts.evaluate import EvaluateConfig

    message = "total_timesteps 1 is below one rollout (env.num_envs x ppo.n_steps); see runs/total_timesteps/x"
    assert flag_names(message, TrainConfig) == ("--total-timesteps 1 is below one rollout (--env.num-envs x "
                                                "--ppo.n-steps); see runs/total_timesteps/x")
    assert flag_names("num_envs must be at least 1", TrainConfig) == "--env.num-envs must be at least 1"
    assert flag_names("level_start and --batch-size; n must", EvaluateConfig) == "--level-start and --batch-size; n must"


def test_analyze_hypotheses_refuses_in_flag_names(capsys):
    assert main(["analyze", "hypotheses", "r5", "--n-test", "0"]) == 2
    err = capsys.readouterr().err
    assert err == "cheesemaze analyze hypotheses: --n-test must be at least 1; got 0\n"
