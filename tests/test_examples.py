"""Every script in examples/ runs to the end, in a fresh interpreter and an empty working directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# what each example must print, so that a script that runs but says nothing useful fails
EXPECTED = {
    "python_api.py": "100 episodes",
    "ascii_maze.py": "decision square (5, 9)",
    "evaluation_analysis.py": "P(cheese) by the cheese's Euclidean distance",
}


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_example_runs(name, tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert EXPECTED[name] in done.stdout
    # shipped agents are copied into the working directory, never written in the package
    assert {p.name for p in (tmp_path / "runs").iterdir()} <= {"r5", "control"}
