"""The README: its headline is the result file's, it types no other result number, its commands table
names every command, its Python example runs, and its sweep command trains every shipped agent's config."""

import dataclasses
import json
import os
import re
import shlex
import subprocess
import sys
import typing
from pathlib import Path


from cheesemaze.agents.checkpoint import load_checkpoint
from cheesemaze.agents.config import TrainConfig, config_from_dict
from cheesemaze.agents.grid import expand
from cheesemaze.agents.rundir import TRAINED_DIR, latest_checkpoint, shipped_agents
from cheesemaze.analysis.results import COMPARE_DIR, headline
from cheesemaze.scripts.main import COMMANDS, leaves
from cheesemaze.scripts import sweep

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
COMPARISON = ROOT / "docs" / "results" / COMPARE_DIR / "compare.json"


def prose(text: str) -> str:
    """The README without code (blocks and spans) and quote marks, its whitespace collapsed."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    return " ".join(text.replace("\n> ", "\n").split())


def test_the_headline_is_the_comparison_files():
    quote = " ".join(line[2:] for line in README.read_text().splitlines() if line.startswith("> "))
    assert quote == headline(json.loads(COMPARISON.read_text()))


def test_no_other_result_number_is_typed_in_the_readme():
    text = prose(README.read_text()).replace(headline(json.loads(COMPARISON.read_text())), "")
    assert not re.findall(r"(?<![\w.])0\.\d{2,}", text), "rates belong in docs/results.md (cheesemaze results)"
    assert "p = " not in text and "McNemar p" not in text


def test_the_readme_is_short():
    assert len(README.read_text().splitlines()) < 170


def test_the_commands_table_names_every_command():
    section = README.read_text().split("\n## Commands\n")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    spans = [set(re.split(r"[\s|\\]+", span)) for row in rows for span in re.findall(r"`([^`]*)`", row)]
    for command in leaves(COMMANDS):
        assert any(set(command.split()) <= span for span in spans), f"cheesemaze {command} is not in the table"


def test_the_python_example_runs(tmp_path):
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    # one torch thread, as the commands use: more can stall every step when the cores are busy
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "maze_size" in done.stdout


def test_the_readme_sweep_command_trains_every_shipped_agents_config():
    # the preset moves on; the README's sweeps must still name every value each shipped agent trained with
    lines = [ln for ln in README.read_text().splitlines() if re.match(r"cheesemaze sweep runs/\w+ --grid", ln)]
    assert any(line.startswith("cheesemaze sweep runs/zoo ") for line in lines)
    trials = {}
    for line in lines:
        known, base = sweep.parse(shlex.split(line)[2:], "cheesemaze sweep")
        trials.update({t.name: t.config for t in expand(base, known.grid)})
    assert shipped_agents(), "no agent shipped"
    for name in shipped_agents():
        assert name in trials, f"{name} is not a trial of the README's sweeps"
        shipped = config_from_dict(json.loads((TRAINED_DIR / name / "config.json").read_text())["config"])
        wanted = trials[name]
        for part in ("env", "seed", "train_levels", "test_levels", "preset"):
            assert getattr(wanted, part) == getattr(shipped, part), (name, part)
        # precision "auto" is each machine's choice; the config records what it resolved to
        mine, theirs = dataclasses.asdict(wanted.ppo), dataclasses.asdict(shipped.ppo)
        differ = sorted(k for k in mine if k != "precision" and mine[k] != theirs[k])
        assert not differ, f"{name}: the README's sweep trains other ppo values: {differ}"
        _, meta = load_checkpoint(latest_checkpoint(TRAINED_DIR / name))
        assert meta["num_timesteps"] >= wanted.total_timesteps == shipped.total_timesteps, name


def optional_ints(cls: type, prefix: str = "") -> list[str]:
    hints = typing.get_type_hints(cls)
    found = []
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            found += optional_ints(hints[f.name], f"{prefix}{f.name}.")
        elif hints[f.name] == (int | None):
            found.append(prefix + f.name)
    return found


def test_the_region_is_the_only_optional_integer_the_train_flags_parse_as_a_region():
    # scripts/args.py region_flags reads every int | None field as a region (R or anywhere)
    assert optional_ints(TrainConfig) == ["env.region"]
